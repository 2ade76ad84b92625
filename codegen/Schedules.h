//===- Schedules.h - How each kernel is computed ----------------*- C++ -*-===//
//
// THE SCHEDULE half of the Halide side: given a kernel's Funcs and the
// target, decide loop order, parallelism, vectorisation and where stages
// are stored. Dispatches on the op family; Algorithms.cpp never schedules.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_SCHEDULES_H
#define CNNOPT_CODEGEN_SCHEDULES_H

#include "codegen/Algorithms.h"

namespace cnnopt::codegen {

/// Whether `kernel` computes each output element from the same position of
/// its operands (activations, batch_norm, same-shape arithmetic, ...), so
/// that inlining it into a consumer costs nothing extra.
bool isPointwise(const Kernel &kernel, const std::vector<TensorType> &values);

/// Whether `consumer` reads each element of its operand `operand` once:
/// pointwise kernels on same-shape operands, and the zero-padded copy a
/// padded convolution makes of its input.
bool readsOnce(const Kernel &consumer, size_t operand, const std::vector<TensorType> &values);

/// Where a kernel's result goes and how its input arrives.
struct KernelPlacement {
  /// Computed inside its consumers instead of in a buffer of its own
  /// (fewer realisations also keep Halide's lowering fast on deep models).
  bool inlined = false;
  /// The stage's output when the result is stored channels-last: a Func
  /// over (c, x, y, n) reading the result; undefined when the result itself
  /// (NCHW) is stored or inlined.
  Halide::Func channelsLastOutput;
  /// Operand 0 is read from a channels-last tensor.
  bool inputChannelsLast = false;
};

/// Schedules the Funcs of `kernel` for `target`, placed as `placement` says.
void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs,
                    const Halide::Target &target, const KernelPlacement &placement = {});

/// Whether a stage computing `kernel` can store its result channels-last
/// (Lowering.cpp chooses the layouts; this says which kernels have a
/// schedule for it): not grouped or channel-multiplying convolutions (a vector of output channels would
/// gather its inputs).
bool storesChannelsLast(const Kernel &kernel, const std::vector<TensorType> &values);

/// Whether a 1x1 stride-1 conv (gemm) would rather run over flat pixels
/// (ExecutionPlan.h, flatPixels): its rows are too narrow for a register
/// tile as large as the flat one (7 x 7, 14 x 14 with AVX2). Lowering
/// decides, as the layouts allow.
bool prefersFlatPixels(const Kernel &kernel, const Shape &resultShape,
                       const Halide::Target &target);

/// The output channels per block of a dense conv's packed weights
/// (Algorithms.h defineKernel()): those of its channels-last register tile,
/// whose slice of the weights is then one contiguous run; 0 (one block) for
/// other kernels and GPU targets.
int weightBlock(const Kernel &kernel, const Shape &resultShape, const Halide::Target &target);

/// Whether `kernel` reads its operand 0 (the input) as well in either
/// layout whatever its own output's layout is: dense convolutions read it
/// one broadcast element at a time.
bool readsInputInEitherLayout(const Kernel &kernel);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_SCHEDULES_H
