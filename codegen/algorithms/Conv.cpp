//===- Conv.cpp - convolutions and linear ----------------------------------===//
//
// nn.Conv2d per algorithm, nn.ConvTranspose2d and nn.Linear. Padding is a
// stage of its own so that accumulations read without bounds tests.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <algorithm>

namespace cnnopt::codegen::algorithms {

/// sum over (ci, kh, kw) of padded(x) * weight, plus bias: nn.Conv2d. The
/// zero padding is a stage of its own ("padded") so that the accumulation
/// reads without bounds tests.
namespace {

Func convolution(Call &c, Var ox, Var oy, Var o, Var n) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0), &w = c.op(1);
  const Tensor *bias = c.optional(2);
  const auto &stride = k.ints("stride"), &pad = k.ints("padding"),
             &dilation = k.ints("dilation");
  int groups = int(k.i("groups"));
  int outPerGroup = int(w.shape[0]) / groups, inPerGroup = int(w.shape[1]);
  // Padded coordinates: input row y lives at y + top.
  Func input = x.func;
  if (std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; })) {
    Var px("px"), py("py"), pc("pc"), pn("pn");
    input = c.stage("padded");
    input(px, py, pc, pn) = paddedAt(x, pn, pc, py - int(pad[0]), px - int(pad[1]), f32(0));
  }
  RDom r(0, inPerGroup, 0, int(w.shape[2]), 0, int(w.shape[3]), "r");
  // Without groups the input channel is r.x alone, which lets Halide see
  // that every output channel of a tile reads the same input vector.
  Expr ci = groups == 1 ? Expr(r.x) : (o / outPerGroup) * inPerGroup + r.x;
  Expr iy = oy * int(stride[0]) + r.y * int(dilation[0]);
  Expr ix = ox * int(stride[1]) + r.z * int(dilation[1]);
  Func conv = c.stage("conv");
  conv(ox, oy, o, n) = bias ? bias->at({o}) : f32(0);
  conv(ox, oy, o, n) += input(ix, iy, ci, n) * w.at({o, r.x, r.y, r.z});
  return conv;
}

} // namespace

/// conv2d, and fused_conv2d's y = act((conv(x) + bias) * scale + shift +
/// residual) with the epilogue applied to the accumulator before the store.
KernelFuncs directConv2d(Call &c) {
  Var ox("ox"), oy("oy"), o("o"), n("n");
  Func conv = convolution(c, ox, oy, o, n);
  Expr y = conv(ox, oy, o, n);
  if (const Tensor *scale = c.optional(3))
    y = y * scale->at({o}) + c.op(4).at({o});
  if (const Tensor *residual = c.optional(5))
    y = y + residual->at({n, o, oy, ox});
  Func f = c.resultFunc();
  f(ox, oy, o, n) = activate(c.kernel, y);
  return c.done(f);
}

/// nn.ConvTranspose2d as a correlation over the input with stride - 1
/// zeros inserted between samples ("dilated"): output oy gathers
/// dilated[oy + padding - kh*dilation] * weight[kh], where dilated[u] is
/// x[u / stride] on the stride grid inside the input and 0 elsewhere. The
/// zeros live in a stage of their own, so the accumulation has no select
/// for Halide to narrow its loops by; the accumulation is a stage too (as a
/// pipeline output written in place it crashed 2-thread AVX-512 runs).
KernelFuncs convTranspose2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0), &w = c.op(1);
  const Tensor *bias = c.optional(2);
  const auto &stride = k.ints("stride"), &pad = k.ints("padding"),
             &dilation = k.ints("dilation");
  int groups = int(k.i("groups"));
  int inPerGroup = int(x.shape[1]) / groups, outPerGroup = int(w.shape[1]);
  int sy = int(stride[0]), sx = int(stride[1]);
  Var ux("ux"), uy("uy"), uc("uc"), un("un");
  Func dilated = c.stage("dilated");
  Expr onGrid = ux % sx == 0 && uy % sy == 0;
  dilated(ux, uy, uc, un) =
      select(onGrid, paddedAt(x, un, uc, uy / sy, ux / sx, f32(0)), f32(0));
  Var ox("ox"), oy("oy"), o("o"), n("n");
  RDom r(0, inPerGroup, 0, int(w.shape[2]), 0, int(w.shape[3]), "r");
  Expr ci = groups == 1 ? Expr(r.x) : (o / outPerGroup) * inPerGroup + r.x;
  Expr uyAt = oy + int(pad[0]) - r.y * int(dilation[0]);
  Expr uxAt = ox + int(pad[1]) - r.z * int(dilation[1]);
  Func conv = c.stage("conv");
  conv(ox, oy, o, n) = bias ? bias->at({o}) : f32(0);
  conv(ox, oy, o, n) += dilated(uxAt, uyAt, ci, n) * w.at({ci, o % outPerGroup, r.y, r.z});
  Func f = c.resultFunc();
  f(ox, oy, o, n) = conv(ox, oy, o, n);
  return c.done(f);
}

/// nn.Linear on the last axis: y = x W^T + b.
KernelFuncs linear(Call &c) {
  const Tensor &x = c.op(0), &w = c.op(1);
  const Tensor *bias = c.optional(2);
  auto v = axisVars(x.rank());
  RDom r(0, int(w.shape[1]), "r");
  std::vector<Expr> in = asExprs(v);
  in.back() = r;
  Func f = c.resultFunc();
  f(halideArgs(v)) = bias ? bias->at({v.back()}) : f32(0);
  f(halideArgs(v)) += x.at(in) * w.at({v.back(), r});
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
