//===- Derivatives.cpp - the derivatives of conv2d and linear --------------===//
//
// conv2d's derivatives with respect to its input (a transposed
// convolution, gathered at each input pixel from the output pixels whose
// windows hold it) and its weight (a sum over the batch and the output
// pixels per tap), and the matrix product of linear's derivatives.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

namespace cnnopt::codegen::algorithms {

namespace {

/// A conv2d's attributes, read from a derivative kernel.
struct ConvGeometry {
  std::vector<int64_t> stride, padding, dilation; ///< padding [top, left, bottom, right]
  int groups;
  explicit ConvGeometry(const Kernel &k)
      : stride(k.ints("stride")), padding(k.ints("padding")), dilation(k.ints("dilation")),
        groups(int(k.i("groups"))) {}
};

} // namespace

/// dx[n, i, y, x] = sum over the output channels o of i's group and the
/// taps (ky, kx) of w[o, i % Ig, ky, kx] * dy[n, o, oy, ox], where
/// y = oy * stride - pad + ky * dilation (and likewise x) for a whole oy.
KernelFuncs conv2dGradInput(Call &c) {
  const Tensor &grad = c.op(0), &w = c.op(1);
  ConvGeometry g(c.kernel);
  int outPerGroup = int(w.shape[0]) / g.groups, inPerGroup = int(w.shape[1]);
  int oh = int(grad.shape[2]), ow = int(grad.shape[3]);
  Var x("x"), y("y"), i("i"), n("n");
  RDom r(0, int(w.shape[3]), 0, int(w.shape[2]), 0, outPerGroup, "r"); // kx, ky, o
  Expr o = (i / inPerGroup) * outPerGroup + r.z;
  Expr offY = y + int(g.padding[0]) - r.y * int(g.dilation[0]);
  Expr offX = x + int(g.padding[1]) - r.x * int(g.dilation[1]);
  Expr oy = offY / int(g.stride[0]), ox = offX / int(g.stride[1]);
  Expr valid = offY >= 0 && offY % int(g.stride[0]) == 0 && oy < oh && offX >= 0 &&
               offX % int(g.stride[1]) == 0 && ox < ow;
  Expr dy = grad.at({n, o, clamp(oy, 0, oh - 1), clamp(ox, 0, ow - 1)});
  Func f = c.resultFunc();
  f(x, y, i, n) = sum(select(valid, dy * w.at({o, i % inPerGroup, r.y, r.x}), 0.0f));
  return c.done(f);
}

/// Stride-1 zeros between the pixels: out[n, c, y, x] = in[n, c, y/sy, x/sx]
/// where both divide, else 0.
KernelFuncs zeroInsert(Call &c) {
  const Tensor &x = c.op(0);
  const auto &stride = c.kernel.ints("stride");
  int sy = int(stride[0]), sx = int(stride[1]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr on = oy % sy == 0 && ox % sx == 0;
  Expr value = x.at({n, ch, clamp(oy / sy, 0, int(x.shape[2]) - 1),
                     clamp(ox / sx, 0, int(x.shape[3]) - 1)});
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = select(on, value, 0.0f);
  return c.done(f);
}

/// t[g*Ig + i, o, ky, kx] = w[g*Og + o, i, kh-1-ky, kw-1-kx].
KernelFuncs conv2dTransposeWeight(Call &c) {
  const Tensor &w = c.op(0);
  int groups = int(c.kernel.i("groups"));
  int outPerGroup = int(w.shape[0]) / groups, inPerGroup = int(w.shape[1]);
  int kh = int(w.shape[2]), kw = int(w.shape[3]);
  Var kx("kx"), ky("ky"), o("o"), row("row");
  Func f = c.resultFunc();
  f(kx, ky, o, row) =
      w.at({(row / inPerGroup) * outPerGroup + o, row % inPerGroup, kh - 1 - ky, kw - 1 - kx});
  return c.done(f);
}

/// dw[o, i, ky, kx] = sum over the batch and the output pixels of
/// dy[n, o, oy, ox] * x[n, group(o) * Ig + i, oy * stride - pad + ky * dilation, ...].
/// The sums run in the stage "acc", over (i, kx, ky, o): the input
/// channels innermost, a vector of them one load of a channels-last input.
KernelFuncs conv2dGradWeight(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1), &w = c.op(2);
  ConvGeometry g(c.kernel);
  int outPerGroup = int(w.shape[0]) / g.groups, inPerGroup = int(w.shape[1]);
  Var kx("kx"), ky("ky"), i("i"), o("o");
  RDom r(0, int(grad.shape[3]), 0, int(grad.shape[2]), 0, grad.extent(0), "r"); // ox, oy, n
  Expr iy = r.y * int(g.stride[0]) - int(g.padding[0]) + ky * int(g.dilation[0]);
  Expr ix = r.x * int(g.stride[1]) - int(g.padding[1]) + kx * int(g.dilation[1]);
  Expr channel = (o / outPerGroup) * inPerGroup + i;
  Func acc = c.stage("acc");
  acc(i, kx, ky, o) = f32(0);
  acc(i, kx, ky, o) += grad.at({r.z, o, r.y, r.x}) * paddedAt(x, r.z, channel, iy, ix, f32(0));
  Func f = c.resultFunc();
  f(kx, ky, i, o) = acc(i, kx, ky, o);
  return c.done(f);
}

/// lhs [M, K] (or [K, M] transposed) times rhs [K, P].
KernelFuncs matmul(Call &c) {
  const Tensor &a = c.op(0), &b = c.op(1);
  bool transposed = c.kernel.b("transpose_lhs");
  Var p("p"), m("m");
  RDom k(0, b.extent(0), "k"); // the run-time batch for dy^T x
  Expr left = transposed ? a.at({k, m}) : a.at({m, k});
  // The sums in a stage of their own: the stage's output is the caller's
  // buffer, which a vectorised update would read back (and Halide, seeing
  // its rows start at 0, with aligned loads a caller's pointer may not
  // honour).
  Func acc = c.stage("acc");
  acc(p, m) = f32(0);
  acc(p, m) += left * b.at({k, p});
  Func f = c.resultFunc();
  f(p, m) = acc(p, m);
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
