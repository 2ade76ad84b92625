//===- Pad.cpp - pad2d and its derivative ----------------------------------===//
//
// F.pad on the last two axes, in its three modes, and the derivative of
// the reflect and replicate modes (constant's is a constant pad2d, built
// by the gradient rules). An axis padded `before` at the start reads its
// input at k = o - before: outside [0, size) constant mode reads `value`,
// reflect mirrors about the edge element (PyTorch needs each pad below the
// size, so one mirror image is enough), replicate clamps.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <algorithm>

namespace cnnopt::codegen::algorithms {

namespace {

/// The input position output position `o` reads along an axis of `size`
/// padded `before` at its start (clamped, so constant mode's reads outside
/// stay in bounds; their value is replaced).
Expr source(const std::string &mode, Expr o, int before, int size) {
  Expr k = o - before;
  if (mode == "reflect")
    k = select(k < 0, -k, k >= size, 2 * (size - 1) - k, k);
  return clamp(k, 0, size - 1);
}

/// The derivative along one axis of a reflect or replicate pad: input
/// position `i` sums `g` (the output's derivative along the axis) over the
/// output positions that read it: its own (o = i + before, absent where a
/// negative pad cropped it) and those in the pads, at most `before` and
/// `after` of them.
Expr gatherAxis(const std::string &mode, Expr i, int before, int after, int size,
                const std::function<Expr(Expr)> &g) {
  int outSize = size + before + after;
  Expr own = i + before;
  Expr total = select(own >= 0 && own < outSize, g(clamp(own, 0, outSize - 1)), 0.0f);
  if (before > 0) {
    RDom r(0, before, "before");
    total += sum(select(source(mode, r, before, size) == i, g(r), 0.0f));
  }
  if (after > 0) {
    RDom r(0, after, "after");
    Expr o = size + before + Expr(r);
    total += sum(select(source(mode, o, before, size) == i, g(o), 0.0f));
  }
  return total;
}

} // namespace

/// pad2d: pads [left, right, top, bottom] of the last two axes.
KernelFuncs pad2d(Call &c) {
  const Tensor &x = c.op(0);
  int rank = x.rank();
  const std::vector<int64_t> &pads = c.kernel.ints("pads");
  const std::string &mode = c.kernel.s("mode");
  int h = int(x.shape[rank - 2]), w = int(x.shape[rank - 1]);
  int left = int(pads[0]), top = int(pads[2]);
  auto v = axisVars(rank);
  Expr oy = v[rank - 2], ox = v[rank - 1];
  std::vector<Expr> at = asExprs(v);
  at[rank - 2] = source(mode, oy, top, h);
  at[rank - 1] = source(mode, ox, left, w);
  Expr read = x.at(at);
  if (mode == "constant") {
    Expr ky = oy - top, kx = ox - left;
    Expr inside = ky >= 0 && ky < h && kx >= 0 && kx < w;
    // likely(): the loops split into borders and a select-free interior.
    read = select(inside, likely(read), f32(c.kernel.f("value")));
  }
  Func f = c.resultFunc();
  f(halideArgs(v)) = read;
  return c.done(f);
}

/// pad2d_grad (reflect, replicate): along the width into stage "rows",
/// then along the height; each input element sums its copies.
KernelFuncs pad2dGrad(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1);
  int rank = x.rank();
  const std::vector<int64_t> &pads = c.kernel.ints("pads");
  const std::string &mode = c.kernel.s("mode");
  int h = int(x.shape[rank - 2]), w = int(x.shape[rank - 1]);
  auto v = axisVars(rank);
  Func rows = c.stage("rows"); // [..., output rows, input columns]
  rows(halideArgs(v)) = gatherAxis(mode, v[rank - 1], int(pads[0]), int(pads[1]), w,
                                   [&](Expr o) {
                                     std::vector<Expr> at = asExprs(v);
                                     at[rank - 1] = o;
                                     return grad.at(at);
                                   });
  Func f = c.resultFunc();
  f(halideArgs(v)) = gatherAxis(mode, v[rank - 2], int(pads[2]), int(pads[3]), h,
                                [&](Expr o) {
                                  std::vector<Expr> at = asExprs(v);
                                  at[rank - 2] = o;
                                  std::reverse(at.begin(), at.end());
                                  return rows(at);
                                });
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
