//===- Random.cpp - the masks of dropout, dropblock, stochastic depth ------===//
//
// Training-mode regularisers multiply by a mask whose draws come from a
// counter-based generator: a hash of (seed, step, salt, element index), so
// a mask depends on nothing but those (not on threads, schedule or
// machine) and needs no state between steps.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

namespace cnnopt::codegen::algorithms {

namespace {

Expr u32(uint32_t v) { return cast(UInt(32), Expr(int32_t(v))); }

/// A 32-bit integer finaliser (lowbias32): every input bit moves about
/// half of the output bits.
Expr mix(Expr h) {
  h = h ^ (h >> 16);
  h = h * u32(0x7feb352du);
  h = h ^ (h >> 15);
  h = h * u32(0x846ca68bu);
  return h ^ (h >> 16);
}

/// A uniform draw in [0, 1) for element `index` of the stream (seed, step, salt).
Expr uniform(const Call &c, Expr index) {
  Expr stream = mix(cast(UInt(32), c.op(1).at({})) * u32(0x9E3779B1u) ^
                    cast(UInt(32), c.op(2).at({})) * u32(0x85EBCA77u) ^
                    u32(uint32_t(c.kernel.i("salt")) * 0xC2B2AE3Du));
  Expr bits = mix(cast(UInt(32), index) ^ stream);
  return cast<float>(bits >> 8) * f32(1.0 / 16777216.0);
}

/// Row-major linear index of `at` (PyTorch order) in `shape`, the run-time
/// batch outermost.
Expr linearIndex(const Shape &shape, const std::vector<Expr> &at) {
  Expr index = at[0];
  for (size_t a = 1; a < shape.size(); ++a)
    index = index * int(shape[a]) + at[a];
  return index;
}

/// torchvision's DropBlock2d: blocks of `bs` seeded at rate gamma over the
/// positions a whole block fits, the kept elements scaled by count / kept.
Func dropBlock(Call &c, double p) {
  const Tensor &x = c.op(0);
  int h = int(x.shape[2]), w = int(x.shape[3]), channels = int(x.shape[1]);
  int bs = std::min<int>(int(c.kernel.i("block_size")), std::min(h, w));
  int fitH = h - bs + 1, fitW = w - bs + 1, reach = 2 * (bs / 2);
  double gamma = p * h * w / (double(bs) * bs * fitH * fitW);
  Var xx("x"), y("y"), ch("ch"), n("n");
  Func seeds = c.stage("seeds");
  seeds(xx, y, ch, n) = select(
      uniform(c, ((n * channels + ch) * fitH + y) * fitW + xx) < f32(gamma), 1.0f, 0.0f);
  // A pixel is dropped when a seed lies in the block window that covers it.
  RDom r(0, bs, 0, bs, "r");
  Expr sy = y - reach + r.y, sx = xx - reach + r.x;
  Expr inside = sy >= 0 && sy < fitH && sx >= 0 && sx < fitW;
  Func kept = c.stage("kept");
  kept(xx, y, ch, n) =
      1.0f - maximum(select(inside, seeds(clamp(sx, 0, fitW - 1), clamp(sy, 0, fitH - 1), ch, n),
                            0.0f));
  RDom all(0, w, 0, h, 0, channels, 0, x.extent(0), "all");
  Func total = c.stage("total");
  total() = sum(kept(all.x, all.y, all.z, all.w));
  Expr count = cast<float>(x.extent(0) * channels * h * w);
  Func f = c.resultFunc();
  f(xx, y, ch, n) = kept(xx, y, ch, n) * (count / (1e-6f + total()));
  return f;
}

} // namespace

KernelFuncs randomMask(Call &c) {
  const Tensor &x = c.op(0);
  const std::string &kind = c.kernel.s("kind");
  double p = c.kernel.f("p");
  if (kind == "dropblock" && p > 0.0)
    return c.done(dropBlock(c, p));
  auto v = axisVars(x.rank());
  Expr index = kind == "stochastic_depth" ? Expr(v[0]) : linearIndex(x.shape, asExprs(v));
  Expr keep = kind == "dropblock" ? Expr(true) : uniform(c, index) >= f32(p);
  Func f = c.resultFunc();
  f(halideArgs(v)) = select(keep, f32(1.0 / (1.0 - p)), 0.0f);
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
