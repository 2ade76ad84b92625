//===- Conv.cpp - convolution schedules ------------------------------------===//
//
// Register-tiled schedules per conv algorithm (PERF_NOTES lesson 1).
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// Direct convolution (conv2d and fused_conv2d) in NCHW: the result is
/// tiled into `channels` output channels x `pixels` pixels of one row; the
/// accumulator of a tile is computed inside it, so its channels x
/// pixels/width vectors stay in registers while the reduction over input
/// channels and taps streams the weights (broadcast) and one input row
/// segment per tap. 8 channels x 2 vectors = 16 accumulators, plus the
/// input vectors and a broadcast, fits the 32 zmm registers of AVX-512
/// (PERF_NOTES lesson 1); narrow rows use one vector.
void scheduleDirectConv(KernelFuncs &funcs, const Target &target) {
  int width = vectorWidth(target);
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  const Shape &shape = funcs.result.shape;
  int outChannels = int(shape[1]), outWidth = int(shape[3]);
  // Constant tile sizes (tails shift inwards, recomputing a little) keep the
  // accumulator a fixed-size stack array that LLVM promotes to registers.
  int pixels = outWidth >= 2 * width ? 2 * width : std::min(outWidth, width);
  int channels = std::min(8, outChannels);
  // A row narrower than a vector (7 or 14 pixels deep in a network) is one
  // vector of exactly its width: LLVM pads it, with no per-lane guards.
  bool narrow = pixels < width;
  auto vectorizeRow = [&](auto stage, VarOrRVar x) {
    if (narrow)
      stage.vectorize(x);
    else
      stage.vectorize(x, width).unroll(x);
  };
  std::vector<Var> a = f.args(); // ox, oy, o, n
  Var ox = a[0], oy = a[1], o = a[2], n = a[3];
  Var xo("xo"), xi("xi"), co("co"), ci("ci"), rows("rows");
  f.compute_root()
      .split(ox, xo, xi, pixels)
      .split(o, co, ci, channels)
      .reorder(xi, ci, xo, co, oy, n)
      .fuse(co, oy, rows)
      .parallel(rows)
      .unroll(ci);
  vectorizeRow(f, xi);
  std::vector<Var> c = conv.args();
  conv.compute_at(f, xo).unroll(c[2]);
  vectorizeRow(conv, c[0]);
  std::vector<RVar> r = conv.rvars(0); // input channel, kernel row, kernel column
  Stage update = conv.update();
  update.reorder(c[0], c[2], r[2], r[1], r[0], c[1], c[3]).unroll(c[2]);
  vectorizeRow(update, c[0]);
  if (funcs.stages.count("padded"))
    scheduleStage(funcs.stages.at("padded"), target);
}

} // namespace cnnopt::codegen::schedules
