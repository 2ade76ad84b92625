//===- Families.h - Schedules per op family ---------------------*- C++ -*-===//
//
// One entry point per family of codegen/schedules/; Schedules.cpp
// dispatches to them by op and algorithm. Internal to code generation.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_SCHEDULES_FAMILIES_H
#define CNNOPT_CODEGEN_SCHEDULES_FAMILIES_H

#include "codegen/Algorithms.h"
#include "codegen/schedules/TargetFacts.h"

namespace cnnopt::codegen::schedules {

// Default.cpp
/// Computes `f` once, before its consumers, in parallel and vectorised.
/// `innermostExtent` (0: unknown) narrows the vectors to fit the rows.
void scheduleStage(Halide::Func f, const Halide::Target &target, int innermostExtent = 0);
/// Only the pure definition of `f` (its updates are the caller's).
void scheduleInitialValue(Halide::Func f, const Halide::Target &target);
// Conv.cpp
/// A register tile of a channels-last convolution: `vectors` vectors of
/// output channels x `pixels` pixels (of one row, or of flat pixels).
struct ChannelsLastTile {
  int vectors = 1, pixels = 1;
};
/// The row tile of a channels-last dense conv with `channelVectors`
/// vectors of output channels and rows of `width` pixels.
ChannelsLastTile chooseTile(int channelVectors, int width, int registers);
/// The tile of a 1x1 conv over flat pixels with `channels` output channels
/// (whole vectors).
ChannelsLastTile flatPixelsTile(int channels, const Halide::Target &target);
/// A 1x1 conv over flat pixels, its maps of `imagePixels` pixels.
void scheduleFlatPixelsConv(KernelFuncs &funcs, const Halide::Target &target,
                            int64_t imagePixels);
void scheduleDirectConv(KernelFuncs &funcs, const Halide::Target &target, bool unrollTaps,
                        bool inputChannelsLast);
/// The output channels of a channels-last dense conv's register tile with
/// `channels` output channels and rows of `rowWidth` pixels (0 when the
/// channels are not whole vectors).
int channelsLastTileChannels(int channels, int rowWidth, const Halide::Target &target);
void scheduleChannelsLastConv(const Kernel &kernel, KernelFuncs &funcs, Halide::Func stored,
                              const Halide::Target &target, bool inputChannelsLast);
/// A conv's zero-padded input ("padded"), if it has one: stored NCHW, or
/// channels-last and vectorised along the channels.
void schedulePadded(KernelFuncs &funcs, const Halide::Target &target, bool channelsLast);
/// Winograd vectorised along the tiles (wide maps, stored NCHW).
void scheduleWinogradTiles(KernelFuncs &funcs, const Halide::Target &target);
/// The images of a chunk of a small-map Winograd conv whose transformed
/// tiles take `imageBytes` per image, at run-time batch `batch`.
Halide::Expr imagesPerChunk(Halide::Expr batch, int64_t imageBytes);
/// Winograd vectorised along the channels (small maps) with `tiles` tiles
/// of `tileSize` x `tileSize` points per image; `stored` is the
/// channels-last wrapper of the result, or the result.
void scheduleWinogradChannels(KernelFuncs &funcs, Halide::Func stored,
                              const Halide::Target &target, int tiles, int tileSize);
// Linear.cpp
void scheduleLinear(KernelFuncs &funcs, const Halide::Target &target, bool inlined);

// Training.cpp
/// conv2d_grad_weight: `stored` is its channels-last output or undefined.
void scheduleConvGradWeight(KernelFuncs &funcs, Halide::Func stored, const Halide::Target &target);

// Gpu.cpp (CUDA, OpenCL: every stage a launch of its own)
/// `f` and its updates computed once, its pure axes fused and split over
/// blocks of threads (a scalar, or a scatter, on one thread). Returns the
/// thread variable of the pure definition.
Halide::Var scheduleGpuStage(Halide::Func f);
/// A per-output accumulator computed in the registers of the thread
/// `thread` of `consumer` that stores its one output.
void scheduleGpuAccumulator(Halide::Func acc, Halide::Func consumer, Halide::Var thread);
/// Convolutions: one pixel x a register tile of output channels per
/// thread; dense ones (direct, 1x1; groups 1) whose blocks' input windows
/// fit in shared memory in blocks of pixel tiles that stage them there.
void scheduleGpuConv(const Kernel &kernel, KernelFuncs &funcs);
/// Winograd: each transform and the GEMM a launch; the GEMM's
/// accumulators in registers.
void scheduleGpuWinograd(KernelFuncs &funcs);
/// linear / fused_linear: blocks of output features of one row, the row
/// staged in shared memory where it fits (up to 8192 input features);
/// else as scheduleGpuGeneric().
void scheduleGpuLinear(KernelFuncs &funcs, bool inlined);
/// Every other kernel: each stage flat, an "acc" accumulator in the
/// result's threads (unless the result is `inlined` into its consumer).
void scheduleGpuGeneric(KernelFuncs &funcs, bool inlined);

} // namespace cnnopt::codegen::schedules

#endif // CNNOPT_CODEGEN_SCHEDULES_FAMILIES_H
