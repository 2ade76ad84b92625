//===- Conv.cpp - convolutions and linear ----------------------------------===//
//
// nn.Conv2d per algorithm, nn.ConvTranspose2d and nn.Linear. Padding is a
// stage of its own so that accumulations read without bounds tests.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <algorithm>
#include <optional>

namespace cnnopt::codegen::algorithms {

Accumulands accumulands(Call &c) {
  const Tensor &w = c.op(1);
  const Tensor *bias = c.optional(2), *scale = c.optional(3);
  Accumulands a{w, bias ? std::optional<Tensor>(*bias) : std::nullopt};
  if (!scale || !c.packer || !w.parameterOnly || !scale->parameterOnly ||
      !c.op(4).parameterOnly || (bias && !bias->parameterOnly))
    return a;
  const Tensor &shift = c.op(4);
  auto v = axisVars(w.rank()); // the output channel is axis 0 of the weight
  Func weight(c.resultFunc("_scaled_weight").name() + "_def");
  weight(halideArgs(v)) = w.definedAt(asExprs(v)) * scale->definedAt({v[0]});
  a.weight = c.packer->pack(c.packKey("scaled_weight"), weight, w.shape);
  Var o("o");
  Func b(c.resultFunc("_folded_bias").name() + "_def");
  b(o) = (bias ? bias->definedAt({o}) : f32(0)) * scale->definedAt({o}) + shift.definedAt({o});
  a.bias = c.packer->pack(c.packKey("folded_bias"), b, {w.shape[0]});
  a.affineFolded = true;
  return a;
}

Expr epilogue(const Call &c, const Accumulands &a, Expr acc, Expr channel,
              const std::vector<Expr> &at) {
  if (!a.affineFolded)
    return epilogue(c, acc, channel, at);
  if (const Tensor *residual = c.optional(5))
    acc = acc + residual->at(at);
  return activate(c.kernel, acc);
}

/// `w` with its axes in `order` (the axes left out have extent 1), the
/// output channel (axis 0) last, in blocks of `block` channels when they
/// divide the output channels.
OutputChannelsInnermost outputChannelsInnermost(Call &c, const Tensor &w,
                                                const std::vector<int> &order, int block) {
  int64_t outChannels = w.shape[0];
  if (block <= 0 || block >= outChannels || outChannels % block != 0)
    block = 0;
  Shape shape;
  if (block)
    shape.push_back(outChannels / block);
  for (int axis : order)
    shape.push_back(axis == 0 && block ? block : w.shape[axis]);
  auto v = axisVars(int(shape.size()));
  std::vector<Expr> at(size_t(w.rank()), Expr(0));
  for (size_t k = 0; k < order.size(); ++k)
    at[size_t(order[k])] = v[k + (block ? 1 : 0)];
  if (block)
    at[0] = v[0] * block + v.back();
  Func relaid(c.resultFunc("_relaid_weight").name() + "_def");
  relaid(halideArgs(v)) = w.definedAt(at);
  return {c.prepack("relaid_weight", relaid, shape, w.parameterOnly), block};
}

namespace {

/// The epilogue of a conv2d/fused_conv2d on its accumulator.
KernelFuncs finishConv(Call &c, const Accumulands &a, Func conv, Var ox, Var oy, Var o, Var n) {
  Func f = c.resultFunc();
  f(ox, oy, o, n) = epilogue(c, a, conv(ox, oy, o, n), o, {n, o, oy, ox});
  return c.done(f);
}

/// The input with its zero padding as a stage of its own ("padded"), so
/// that accumulations read without bounds tests; the input itself when the
/// conv has no padding.
Func paddedInput(Call &c) {
  const Tensor &x = c.op(0);
  const auto &pad = c.kernel.ints("padding");
  if (std::none_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; }))
    return x.func;
  Var px("px"), py("py"), pc("pc"), pn("pn");
  Func input = c.stage("padded");
  input(px, py, pc, pn) = paddedAt(x, pn, pc, py - int(pad[0]), px - int(pad[1]), f32(0));
  return input;
}

} // namespace

/// nn.Conv2d: sum over (ci, kh, kw) of padded(x) * weight, plus bias.
KernelFuncs directConv2d(Call &c) {
  const Kernel &k = c.kernel;
  Accumulands a = accumulands(c);
  const Tensor &w = a.weight;
  // [O/block,] kh, kw, I/groups, O or block
  OutputChannelsInnermost hwio = outputChannelsInnermost(c, w, {2, 3, 1, 0}, c.weightBlock);
  const auto &stride = k.ints("stride"), &dilation = k.ints("dilation");
  int groups = int(k.i("groups"));
  int outPerGroup = int(w.shape[0]) / groups, inPerGroup = int(w.shape[1]);
  Func input = paddedInput(c);
  Var ox("ox"), oy("oy"), o("o"), n("n");
  RDom r(0, inPerGroup, 0, int(w.shape[2]), 0, int(w.shape[3]), "r");
  // Without groups the input channel is r.x alone, which lets Halide see
  // that every output channel of a tile reads the same input vector.
  Expr ci = groups == 1 ? Expr(r.x) : (o / outPerGroup) * inPerGroup + r.x;
  Expr iy = oy * int(stride[0]) + r.y * int(dilation[0]);
  Expr ix = ox * int(stride[1]) + r.z * int(dilation[1]);
  Func conv = c.stage("conv");
  conv(ox, oy, o, n) = a.bias ? a.bias->at({o}) : f32(0);
  conv(ox, oy, o, n) += input(ix, iy, ci, n) * hwio.at({r.y, r.z, r.x}, o);
  if (groups == 1) // every output channel of a tile reads the same input tile
    c.out.reads = {{"input", input}};
  return finishConv(c, a, conv, ox, oy, o, n);
}

/// A 1x1 conv (groups 1, no padding) as a GEMM: output channels x pixels,
/// reduced over input channels only (no taps, no padded copy).
KernelFuncs gemmConv2d(Call &c) {
  const Kernel &k = c.kernel;
  Accumulands a = accumulands(c);
  const Tensor &x = c.op(0), &w = a.weight;
  OutputChannelsInnermost io = outputChannelsInnermost(c, w, {1, 0}, c.weightBlock); // [O/block,] I, O or block
  const auto &stride = k.ints("stride");
  Var ox("ox"), oy("oy"), o("o"), n("n");
  RDom r(0, int(w.shape[1]), "r");
  Func conv = c.stage("conv");
  conv(ox, oy, o, n) = a.bias ? a.bias->at({o}) : f32(0);
  conv(ox, oy, o, n) +=
      x.at({n, r, oy * int(stride[0]), ox * int(stride[1])}) * io.at({r}, o);
  c.out.reads = {{"input", x.func}};
  return finishConv(c, a, conv, ox, oy, o, n);
}

/// A 1x1 stride-1 conv over flat pixels: its input, residual and result
/// are [pixels, channels] matrices (channels-last tensors of every image at
/// once), the conv a GEMM of pixels x input channels by input x output
/// channels. The weights are packed as gemmConv2d() packs them.
KernelFuncs flatPixelsGemmConv2d(Call &c) {
  Accumulands a = accumulands(c);
  const Tensor &x = c.op(0), &w = a.weight;
  OutputChannelsInnermost io = outputChannelsInnermost(c, w, {1, 0}, c.weightBlock);
  Var o("o"), p("p");
  RDom r(0, int(w.shape[1]), "r");
  Func conv = c.stage("conv");
  conv(o, p) = a.bias ? a.bias->at({o}) : f32(0);
  // The pixel clamped: the schedule rounds a block's pixels up to whole
  // register tiles, whose extra pixels (never stored) read the last one.
  Expr pixel = min(p, x.extent(0) - 1);
  conv(o, p) += x.at({pixel, r}) * io.at({r}, o);
  Func f = c.resultFunc();
  f(o, p) = epilogue(c, a, conv(o, p), o, {p, o});
  return c.done(f);
}

/// groups == input channels: each output channel o reads input channel
/// o / multiplier over the taps only.
KernelFuncs depthwiseConv2d(Call &c) {
  const Kernel &k = c.kernel;
  Accumulands a = accumulands(c);
  const Tensor &w = a.weight;
  OutputChannelsInnermost hwo = outputChannelsInnermost(c, w, {2, 3, 0}); // [kh, kw, O]
  const auto &stride = k.ints("stride"), &dilation = k.ints("dilation");
  int multiplier = int(w.shape[0]) / int(k.i("groups"));
  Func input = paddedInput(c);
  Var ox("ox"), oy("oy"), o("o"), n("n");
  RDom r(0, int(w.shape[2]), 0, int(w.shape[3]), "r");
  Expr ci = multiplier == 1 ? Expr(o) : o / multiplier;
  Expr iy = oy * int(stride[0]) + r.x * int(dilation[0]);
  Expr ix = ox * int(stride[1]) + r.y * int(dilation[1]);
  Func conv = c.stage("conv");
  conv(ox, oy, o, n) = a.bias ? a.bias->at({o}) : f32(0);
  conv(ox, oy, o, n) += input(ix, iy, ci, n) * hwo.at({r.x, r.y}, o);
  return finishConv(c, a, conv, ox, oy, o, n);
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
  // A folded batch_norm's scale and shift (operands 3 and 4), if any.
  Func f = c.resultFunc();
  f(ox, oy, o, n) = epilogue(c, conv(ox, oy, o, n), o, {n, o, oy, ox});
  return c.done(f);
}

/// nn.Linear on the last axis: y = x W^T + b, accumulated in the stage
/// "acc"; fused_linear applies its epilogue (operands 3-5) to it.
KernelFuncs linear(Call &c) {
  Accumulands a = accumulands(c);
  const Tensor &x = c.op(0), &w = a.weight;
  OutputChannelsInnermost io = outputChannelsInnermost(c, w, {1, 0}); // [in, out]
  auto v = axisVars(x.rank());
  RDom r(0, int(w.shape[1]), "r");
  std::vector<Expr> in = asExprs(v);
  in.back() = r;
  Func acc = c.stage("acc");
  acc(halideArgs(v)) = a.bias ? a.bias->at({v.back()}) : f32(0);
  acc(halideArgs(v)) += x.at(in) * io.at({r}, v.back());
  c.out.reads = {{"input", x.func}};
  Func f = c.resultFunc();
  f(halideArgs(v)) = epilogue(c, a, acc(halideArgs(v)), v.back(), asExprs(v));
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
