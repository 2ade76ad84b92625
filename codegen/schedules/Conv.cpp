//===- Conv.cpp - convolution schedules ------------------------------------===//
//
// Register-tiled schedules per conv algorithm (PERF_NOTES lesson 1).
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// Direct convolution (conv2d and fused_conv2d) in NCHW: the result is
/// tiled into `channels` output channels x `pixels` pixels of one row; the
/// accumulator of a tile is computed inside it, so its channels x
/// pixels/width vectors stay in registers while the reduction over input
/// channels and taps streams the weights (broadcast) and one input row
/// segment per tap. 8 channels x 2 vectors = 16 accumulators, plus the
/// input vectors and a broadcast, fits the 32 zmm registers of AVX-512
/// (PERF_NOTES lesson 1); AVX2's 16 ymm registers take 6 channels; narrow
/// rows use one vector.
/// gemm (1x1: one reduction variable) and depthwise (taps only, unrolled)
/// use the same tile.
void scheduleDirectConv(KernelFuncs &funcs, const Target &target, bool unrollTaps) {
  int width = vectorWidth(target);
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  const Shape &shape = funcs.result.shape;
  int outChannels = int(shape[1]), outWidth = int(shape[3]);
  // Constant tile sizes (tails shift inwards, recomputing a little) keep the
  // accumulator a fixed-size stack array that LLVM promotes to registers.
  int pixels = outWidth >= 2 * width ? 2 * width : std::min(outWidth, width);
  // Accumulators, the row's input vectors and one broadcast weight must
  // fit the vector registers: 8 channels x 2 vectors with AVX-512's 32,
  // 6 x 2 with AVX2's 16.
  int rowVectors = std::max(1, pixels / width);
  int channels = std::min({8, outChannels, (vectorRegisters(target) - rowVectors - 1) / rowVectors});
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
  // Innermost: the row vectors and channels of the tile, then the
  // reduction variables from the last (kernel column) to the first.
  std::vector<RVar> r = conv.rvars(0);
  std::vector<VarOrRVar> order{c[0], c[2]};
  order.insert(order.end(), r.rbegin(), r.rend());
  order.push_back(c[1]);
  order.push_back(c[3]);
  Stage update = conv.update();
  update.reorder(order).unroll(c[2]);
  if (unrollTaps)
    for (const RVar &tap : r)
      update.unroll(tap);
  vectorizeRow(update, c[0]);
  if (funcs.stages.count("padded"))
    scheduleStage(funcs.stages.at("padded"), target);
}

namespace {

/// A Winograd stage over (k, i, j, channel, n), (i, j) a point of the t x t
/// tile: computed once, a vector of tiles at a time with the tile points
/// unrolled, in parallel over channels x batch. Returns the loop over
/// vectors of tiles.
Var scheduleTileStage(Func f, int width) {
  std::vector<Var> a = f.args();
  Var outer(f.name() + "_ko"), inner(f.name() + "_ki"), planes(f.name() + "_planes");
  f.compute_root()
      .split(a[0], outer, inner, width)
      .reorder(inner, a[2], a[1], outer, a[3], a[4])
      .vectorize(inner)
      .unroll(a[1])
      .unroll(a[2])
      .fuse(a[3], a[4], planes)
      .parallel(planes);
  return outer;
}

} // namespace

/// Winograd (algorithms/Winograd.cpp): each stage computed once, vectorised
/// along the tile index k; the GEMM keeps one vector of tiles x 8 output
/// channels of accumulators in registers while it streams the input
/// channels (the transformed weights broadcast, the transformed input
/// contiguous along k).
void scheduleWinogradConv(KernelFuncs &funcs, const Target &target) {
  int width = vectorWidth(target);
  Func input = funcs.stages.at("input_tile"), v = funcs.stages.at("transformed");
  Func acc = funcs.stages.at("gemm_acc"), gemm = funcs.stages.at("gemm");
  Func outputTile = funcs.stages.at("output_tile"), f = funcs.result.func;

  // V(k, a, b, ci, n): per vector of tiles, the row pass then the column pass.
  Var tiles = scheduleTileStage(v, width);
  std::vector<Var> ia = input.args(); // k, j, a, ci, n
  input.compute_at(v, tiles).vectorize(ia[0], width).unroll(ia[1]).unroll(ia[2]);

  // M(k, a, b, o, n): blocks of one vector of tiles x 8 channels.
  const Shape &shape = funcs.result.shape;
  int outChannels = int(shape[1]);
  int channels = std::min(8, outChannels);
  std::vector<Var> ga = gemm.args(); // k, a, b, o, n
  Var gko("gko"), gki("gki"), oo("oo"), oi("oi"), blocks("blocks");
  gemm.compute_root()
      .split(ga[0], gko, gki, width)
      .split(ga[3], oo, oi, channels)
      .reorder(gki, oi, gko, ga[1], ga[2], oo, ga[4])
      .vectorize(gki)
      .unroll(oi)
      .fuse(ga[1], ga[2], blocks)
      .fuse(blocks, oo, blocks)
      .parallel(blocks);
  std::vector<Var> aa = acc.args();
  acc.compute_at(gemm, gko).vectorize(aa[0]).unroll(aa[3]);
  std::vector<RVar> r = acc.rvars(0);
  acc.update().reorder(aa[0], aa[3], r[0], aa[1], aa[2], aa[4]).vectorize(aa[0]).unroll(aa[3]);

  // Y per tile, then the epilogue per output pixel.
  scheduleTileStage(outputTile, width);
  scheduleStage(f, target);
}

} // namespace cnnopt::codegen::schedules
