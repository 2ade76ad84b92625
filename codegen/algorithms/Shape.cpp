//===- Shape.cpp - reshape, concat, slice, pixel (un)shuffle ----------------===//
//
// Ops that move elements without arithmetic.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

namespace cnnopt::codegen::algorithms {

namespace {

/// Row-major strides of `shape` from axis `from` on.
std::vector<int64_t> strides(const Shape &shape, size_t from) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t a = shape.size(); a-- > from + 1;)
    s[a - 1] = s[a] * shape[a];
  return s;
}

} // namespace

/// flatten and reshape: the result's row-major position within a sample
/// (or the whole tensor when the batch is static) read back in x's shape.
KernelFuncs reshape(Call &c) {
  const Tensor &x = c.op(0);
  size_t from = (!x.shape.empty() && x.shape[0] == kDynamic) ? 1 : 0;
  auto v = axisVars(int(c.shape.size()));
  std::vector<int64_t> outStrides = strides(c.shape, from), inStrides = strides(x.shape, from);
  Expr linear = 0;
  for (size_t a = from; a < c.shape.size(); ++a)
    linear = linear + v[a] * int(outStrides[a]);
  std::vector<Expr> in;
  if (from)
    in.push_back(v[0]);
  for (size_t a = from; a < x.shape.size(); ++a)
    in.push_back((linear / int(inStrides[a])) % int(x.shape[a]));
  Func f = c.resultFunc();
  f(halideArgs(v)) = x.at(in);
  return c.done(f);
}

KernelFuncs concat(Call &c) {
  int axis = int(c.kernel.i("axis"));
  auto v = axisVars(int(c.shape.size()));
  // Walk back from the last input: each select picks its range.
  std::vector<int64_t> starts;
  int64_t start = 0;
  for (const Tensor *t : c.ops) {
    starts.push_back(start);
    start += t->shape[axis];
  }
  // A select chain from the last input back; every branch is evaluated, so
  // each reads its input at a clamped position.
  Expr value;
  for (size_t i = c.ops.size(); i-- > 0;) {
    std::vector<Expr> idx = asExprs(v);
    idx[axis] = clamp(idx[axis] - int(starts[i]), 0, int(c.ops[i]->shape[axis]) - 1);
    Expr here = c.ops[i]->at(idx);
    value = value.defined() ? select(v[axis] < int(starts[i + 1]), here, value) : here;
  }
  Func f = c.resultFunc();
  f(halideArgs(v)) = value;
  return c.done(f);
}

/// `size` entries of `axis` from `start`.
KernelFuncs slice(Call &c) {
  auto v = axisVars(int(c.shape.size()));
  std::vector<Expr> idx = asExprs(v);
  int axis = int(c.kernel.i("axis"));
  idx[axis] = idx[axis] + int(c.kernel.i("start"));
  Func f = c.resultFunc();
  f(halideArgs(v)) = c.op(0).at(idx);
  return c.done(f);
}

/// pixel_shuffle: out[n, c, y, x] = in[n, c*r*r + (y%r)*r + x%r, y/r, x/r].
KernelFuncs pixelShuffle(Call &c) {
  int r = int(c.kernel.i("factor"));
  Var x("x"), y("y"), ch("ch"), n("n");
  Func f = c.resultFunc();
  f(x, y, ch, n) = c.op(0).at({n, ch * (r * r) + (y % r) * r + x % r, y / r, x / r});
  return c.done(f);
}

/// pixel_unshuffle, pixel_shuffle's inverse: out[n, c*r*r + i*r + j, y, x]
/// = in[n, c, y*r + i, x*r + j].
KernelFuncs pixelUnshuffle(Call &c) {
  int r = int(c.kernel.i("factor"));
  Var x("x"), y("y"), ch("ch"), n("n");
  Func f = c.resultFunc();
  f(x, y, ch, n) = c.op(0).at({n, ch / (r * r), y * r + (ch / r) % r, x * r + ch % r});
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
