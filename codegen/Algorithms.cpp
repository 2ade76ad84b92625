//===- Algorithms.cpp - What each kernel computes, as Halide Funcs --------===//
//
// One function per op family, each a direct transcription of the PyTorch
// formula it names. Padding is a select around clamped reads, so a Func is
// never read outside its extent; reductions are RDoms over static extents.
//===----------------------------------------------------------------------===//

#include "codegen/Algorithms.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

namespace cnnopt::codegen {
namespace {

using namespace Halide;

using Operands = std::vector<const Tensor *>;

/// What every op function gets.
struct Call {
  const Kernel &kernel;
  const Operands &ops;
  const Shape &shape; ///< the result's shape
  KernelFuncs out;

  const Tensor &op(size_t k) const { return *ops[k]; }
  const Tensor *optional(size_t k) const { return k < ops.size() ? ops[k] : nullptr; }

  /// A Func for the result, named after the kernel ("layer1_0_conv1_conv2d"):
  /// Halide reserves '.', so every other character becomes '_'.
  Func resultFunc(const std::string &suffix = "") const {
    std::string base = kernel.name.empty() ? kernel.op : kernel.name + "_" + kernel.op;
    for (char &ch : base)
      if (!std::isalnum(static_cast<unsigned char>(ch)))
        ch = '_';
    return Func(base + suffix);
  }

  /// An intermediate Func the schedule must place.
  Func stage(const std::string &suffix) {
    Func f = resultFunc("_" + suffix);
    out.stages[suffix] = f;
    return f;
  }

  /// Finishes with `f` as the result (its batch comes from operand 0).
  KernelFuncs done(Func f) {
    out.result.func = f;
    out.result.shape = shape;
    bool dynamic = !shape.empty() && shape[0] == kDynamic; // not after mean over axis 0
    for (const Tensor *t : ops)
      if (dynamic && t && t->batch.defined()) {
        out.result.batch = t->batch;
        break;
      }
    return std::move(out);
  }
};

using Definition = std::function<KernelFuncs(Call &)>;

Expr f32(double v) { return Expr(static_cast<float>(v)); }
Expr negInf() { return Expr(-std::numeric_limits<float>::infinity()); }

/// `t` at a 4-D position, `fill` outside [0, H) x [0, W).
Expr paddedAt(const Tensor &t, Expr n, Expr c, Expr y, Expr x, Expr fill) {
  int h = int(t.shape[2]), w = int(t.shape[3]);
  Expr inside = y >= 0 && y < h && x >= 0 && x < w;
  return select(inside, t.at({n, c, clamp(y, 0, h - 1), clamp(x, 0, w - 1)}), fill);
}

/// Elementwise op on operand 0.
Definition elementwise(std::function<Expr(Expr, const Kernel &)> fn) {
  return [fn](Call &c) {
    auto v = axisVars(c.op(0).rank());
    Func f = c.resultFunc();
    f(halideArgs(v)) = fn(c.op(0).at(asExprs(v)), c.kernel);
    return c.done(f);
  };
}

Expr sigmoidOf(Expr x) { return 1.0f / (1.0f + exp(-x)); }
Expr relu6Of(Expr x) { return clamp(x, 0.0f, 6.0f); }

/// The activation `kernel` applies (an activation op, or a fused op's
/// epilogue), one formula per case of the dialect's Activation enum.
Expr activate(const Kernel &kernel, Expr x) {
  const std::string &act = kernel.activation;
  if (act == "relu")
    return max(x, 0.0f);
  if (act == "relu6")
    return relu6Of(x);
  if (act == "sigmoid")
    return sigmoidOf(x);
  if (act == "tanh")
    return tanh(x);
  if (act == "silu")
    return x * sigmoidOf(x);
  if (act == "hardswish")
    return x * relu6Of(x + 3.0f) / 6.0f;
  if (act == "hardsigmoid")
    return relu6Of(x + 3.0f) / 6.0f;
  if (act == "leaky_relu")
    return select(x >= 0.0f, x, x * f32(kernel.negativeSlope));
  if (act == "gelu")
    return 0.5f * x * (1.0f + erf(x * f32(M_SQRT1_2)));
  if (act == "gelu_tanh") {
    Expr inner = f32(std::sqrt(2.0 / M_PI)) * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanh(inner));
  }
  return x; // "none"
}

/// An activation op.
KernelFuncs activation(Call &c) {
  return elementwise([](Expr x, const Kernel &k) { return activate(k, x); })(c);
}

//===----------------------------------------------------------------------===//
// Convolutions and linear
//===----------------------------------------------------------------------===//

/// sum over (ci, kh, kw) of padded(x) * weight, plus bias: nn.Conv2d. The
/// zero padding is a stage of its own ("padded") so that the accumulation
/// reads without bounds tests.
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

KernelFuncs conv2d(Call &c) {
  Var ox("ox"), oy("oy"), o("o"), n("n");
  Func conv = convolution(c, ox, oy, o, n);
  Func f = c.resultFunc();
  f(ox, oy, o, n) = conv(ox, oy, o, n);
  return c.done(f);
}

/// y = act((conv(x) + bias) * scale + shift + residual)
KernelFuncs fusedConv2d(Call &c) {
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

//===----------------------------------------------------------------------===//
// Normalisations
//===----------------------------------------------------------------------===//

/// Inference batch norm: per channel (axis 1), x * scale + shift with
/// scale = weight / sqrt(running_var + eps), shift = bias - mean * scale.
KernelFuncs batchNorm(Call &c) {
  const Tensor &x = c.op(0);
  const Tensor *weight = c.optional(1), *bias = c.optional(2);
  const Tensor &mean = c.op(3), &var = c.op(4);
  Var ch("ch");
  // (scale, shift) per channel, one stage: a model has dozens of these.
  Func affine = c.stage("affine");
  Expr invStd = 1.0f / sqrt(var.at({ch}) + f32(c.kernel.f("eps")));
  Expr scale = weight ? weight->at({ch}) * invStd : invStd;
  affine(ch) = Tuple(scale, (bias ? bias->at({ch}) : f32(0)) - mean.at({ch}) * scale);
  auto v = axisVars(x.rank());
  Func f = c.resultFunc();
  f(halideArgs(v)) = x.at(asExprs(v)) * affine(v[1])[0] + affine(v[1])[1];
  return c.done(f);
}

/// Mean and biased variance of `value(r)` over the RDom `r`, one per point of
/// `args`; two passes, as PyTorch computes them.
std::pair<Func, Func> meanVar(Call &c, const std::vector<Var> &args, RDom r,
                              const std::function<Expr(RDom)> &value, int count) {
  Func mean = c.stage("mean"), var = c.stage("var");
  mean(args) = f32(0);
  mean(args) += value(r);
  mean(args) = mean(args) / f32(count);
  var(args) = f32(0);
  Expr d = value(r) - mean(args);
  var(args) += d * d;
  var(args) = var(args) / f32(count);
  return {mean, var};
}

/// Applies (x - mean) / sqrt(var + eps) and the optional affine.
Expr normalize(Expr x, Expr mean, Expr var, double eps, Expr weight, Expr bias) {
  Expr y = (x - mean) / sqrt(var + f32(eps));
  if (weight.defined())
    y = y * weight + bias;
  return y;
}

/// nn.LayerNorm over the last `dims` axes.
KernelFuncs layerNorm(Call &c) {
  const Tensor &x = c.op(0);
  int rank = x.rank(), dims = int(c.kernel.i("dims"));
  int kept = rank - dims;
  Region region;
  int count = 1;
  for (int a = kept; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  RDom r(region, "r");
  auto v = axisVars(rank);
  std::vector<Var> keptVars(v.begin(), v.begin() + kept);
  auto value = [&](RDom rd) {
    std::vector<Expr> idx(v.begin(), v.begin() + kept);
    for (int a = 0; a < dims; ++a)
      idx.push_back(rd[a]);
    return x.at(idx);
  };
  auto [mean, var] = meanVar(c, halideArgs(keptVars), r, value, count);
  std::vector<Expr> normIdx(v.begin() + kept, v.end());
  const Tensor *w = c.optional(1), *b = c.optional(2);
  Func f = c.resultFunc();
  f(halideArgs(v)) = normalize(x.at(asExprs(v)), mean(halideArgs(keptVars)),
                               var(halideArgs(keptVars)), c.kernel.f("eps"),
                               w ? w->at(normIdx) : Expr(), b ? b->at(normIdx) : Expr());
  return c.done(f);
}

/// nn.GroupNorm (and nn.InstanceNorm2d, one channel per group): statistics
/// per (sample, group) over the group's channels and all positions.
KernelFuncs groupedNorm(Call &c, int groups) {
  const Tensor &x = c.op(0);
  int rank = x.rank();
  int channels = int(x.shape[1]), perGroup = channels / groups;
  Region region{Range(0, perGroup)};
  int count = perGroup;
  for (int a = 2; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  RDom r(region, "r");
  Var g("g"), n("n");
  auto value = [&](RDom rd) {
    std::vector<Expr> idx{n, g * perGroup + rd[0]};
    for (int a = 2; a < rank; ++a)
      idx.push_back(rd[a - 1]);
    return x.at(idx);
  };
  auto [mean, var] = meanVar(c, {g, n}, r, value, count);
  auto v = axisVars(rank);
  Expr group = v[1] / perGroup;
  const Tensor *w = c.optional(1), *b = c.optional(2);
  Func f = c.resultFunc();
  f(halideArgs(v)) = normalize(x.at(asExprs(v)), mean(group, v[0]), var(group, v[0]),
                               c.kernel.f("eps"), w ? w->at({v[1]}) : Expr(),
                               b ? b->at({v[1]}) : Expr());
  return c.done(f);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax or log-softmax along `axis`, with the max subtracted first.
KernelFuncs softmax(Call &c, bool log) {
  const Tensor &x = c.op(0);
  int axis = int(c.kernel.i("axis"));
  auto v = axisVars(x.rank());
  std::vector<Var> others;
  for (int a = 0; a < x.rank(); ++a)
    if (a != axis)
      others.push_back(v[a]);
  RDom r(0, x.extent(axis), "r"); // the run-time batch when axis is 0
  std::vector<Expr> along = asExprs(v);
  along[axis] = r;
  Func top = c.stage("max"), total = c.stage("sum");
  top(halideArgs(others)) = negInf();
  top(halideArgs(others)) = max(top(halideArgs(others)), x.at(along));
  total(halideArgs(others)) = f32(0);
  total(halideArgs(others)) += exp(x.at(along) - top(halideArgs(others)));
  Expr shifted = x.at(asExprs(v)) - top(halideArgs(others));
  Func f = c.resultFunc();
  f(halideArgs(v)) = log ? shifted - Halide::log(total(halideArgs(others)))
                         : exp(shifted) / total(halideArgs(others));
  return c.done(f);
}

//===----------------------------------------------------------------------===//
// Pooling and resampling
//===----------------------------------------------------------------------===//

KernelFuncs maxPool2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding"), &dilation = k.ints("dilation");
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  RDom r(0, int(kernel[0]), 0, int(kernel[1]), "r");
  Expr iy = oy * int(stride[0]) - int(pad[0]) + r.x * int(dilation[0]);
  Expr ix = ox * int(stride[1]) - int(pad[1]) + r.y * int(dilation[1]);
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = maximum(paddedAt(x, n, ch, iy, ix, negInf()));
  return c.done(f);
}

/// nn.AvgPool2d: the divisor is the window clipped to the padded input
/// (count_include_pad) or to the input itself.
KernelFuncs avgPool2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding");
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = oy * int(stride[0]) - int(pad[0]), x0 = ox * int(stride[1]) - int(pad[1]);
  Expr y1 = min(y0 + int(kernel[0]), h + int(pad[0]));
  Expr x1 = min(x0 + int(kernel[1]), w + int(pad[1]));
  Expr divisor = (y1 - y0) * (x1 - x0);
  if (!k.b("count_include_pad"))
    divisor = (min(y1, h) - max(y0, 0)) * (min(x1, w) - max(x0, 0));
  RDom r(0, int(kernel[0]), 0, int(kernel[1]), "r");
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = sum(paddedAt(x, n, ch, y0 + r.x, x0 + r.y, f32(0))) / cast<float>(divisor);
  return c.done(f);
}

/// Widest window of adaptive pooling from `in` to `out` cells.
int adaptiveWindow(int in, int out) {
  int widest = 0;
  for (int i = 0; i < out; ++i)
    widest = std::max(widest, ((i + 1) * in + out - 1) / out - (i * in) / out);
  return widest;
}

/// Adaptive pooling: cell i covers [floor(i*in/out), ceil((i+1)*in/out)).
KernelFuncs adaptivePool2d(Call &c, bool average) {
  const Tensor &x = c.op(0);
  const auto &size = c.kernel.ints("size");
  int h = int(x.shape[2]), w = int(x.shape[3]), oh = int(size[0]), ow = int(size[1]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
  Expr x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
  RDom r(0, adaptiveWindow(h, oh), 0, adaptiveWindow(w, ow), "r");
  Expr inside = y0 + r.x < y1 && x0 + r.y < x1;
  Expr value = x.at({n, ch, min(y0 + r.x, h - 1), min(x0 + r.y, w - 1)});
  Func f = c.resultFunc();
  if (average)
    f(ox, oy, ch, n) = sum(select(inside, value, 0.0f)) / cast<float>((y1 - y0) * (x1 - x0));
  else
    f(ox, oy, ch, n) = maximum(select(inside, value, negInf()));
  return c.done(f);
}

/// nn.Upsample(scale_factor=s): nearest, or bilinear with
/// align_corners=false (source = (dst + 0.5) / s - 0.5, clamped at 0).
KernelFuncs upsample2d(Call &c) {
  const Tensor &x = c.op(0);
  int scale = int(c.kernel.i("scale"));
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Func f = c.resultFunc();
  if (c.kernel.s("mode") == "nearest") {
    f(ox, oy, ch, n) = x.at({n, ch, oy / scale, ox / scale});
    return c.done(f);
  }
  auto source = [&](Expr dst) {
    return max((cast<float>(dst) + 0.5f) / f32(scale) - 0.5f, 0.0f);
  };
  Expr sy = source(oy), sx = source(ox);
  Expr y0 = cast<int>(sy), x0 = cast<int>(sx);
  Expr y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1);
  Expr ly = sy - cast<float>(y0), lx = sx - cast<float>(x0);
  auto at = [&](Expr y, Expr xx) { return x.at({n, ch, y, xx}); };
  f(ox, oy, ch, n) = (1.0f - ly) * ((1.0f - lx) * at(y0, x0) + lx * at(y0, x1)) +
                     ly * ((1.0f - lx) * at(y1, x0) + lx * at(y1, x1));
  return c.done(f);
}

//===----------------------------------------------------------------------===//
// Shape manipulation and reductions
//===----------------------------------------------------------------------===//

/// Row-major strides of `shape` from axis `from` on.
std::vector<int64_t> strides(const Shape &shape, size_t from) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t a = shape.size(); a-- > from + 1;)
    s[a - 1] = s[a] * shape[a];
  return s;
}

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

KernelFuncs mean(Call &c) {
  const Tensor &x = c.op(0);
  const auto &axes = c.kernel.ints("axes");
  bool keepdim = c.kernel.b("keepdim");
  Region region;
  Expr count = 1; // over the run-time batch too when axis 0 is reduced
  for (int64_t a : axes) {
    region.push_back(Range(0, x.extent(int(a))));
    count = count * x.extent(int(a));
  }
  RDom r(region, "r");
  auto v = axisVars(int(c.shape.size()));
  std::vector<Expr> in;
  size_t out = 0, reduced = 0;
  for (int a = 0; a < x.rank(); ++a) {
    if (std::find(axes.begin(), axes.end(), a) != axes.end()) {
      in.push_back(r[int(reduced++)]);
      out += keepdim;
    } else {
      in.push_back(v[out++]);
    }
  }
  Func f = c.resultFunc();
  f(halideArgs(v)) = sum(x.at(in)) / cast<float>(count);
  return c.done(f);
}

/// add/sub/mul/div with NumPy broadcasting.
Definition broadcasting(std::function<Expr(Expr, Expr)> fn) {
  return [fn](Call &c) {
    auto v = axisVars(int(c.shape.size()));
    auto read = [&](const Tensor &t) {
      std::vector<Expr> idx;
      size_t lead = c.shape.size() - t.shape.size();
      for (size_t a = 0; a < t.shape.size(); ++a)
        idx.push_back(t.shape[a] == 1 && c.shape[lead + a] != 1 ? Expr(0)
                                                                : Expr(v[lead + a]));
      return t.at(idx);
    };
    Func f = c.resultFunc();
    f(halideArgs(v)) = fn(read(c.op(0)), read(c.op(1)));
    return c.done(f);
  };
}

KernelFuncs constant(Call &c) {
  Func f = c.resultFunc();
  f() = f32(c.kernel.f("value"));
  return c.done(f);
}

/// The op table.
const std::map<std::string, Definition> &definitions() {
  static const std::map<std::string, Definition> table = {
      {"conv2d", conv2d},
      {"fused_conv2d", fusedConv2d},
      {"conv_transpose2d", convTranspose2d},
      {"linear", linear},
      {"batch_norm", batchNorm},
      {"layer_norm", layerNorm},
      {"group_norm", [](Call &c) { return groupedNorm(c, int(c.kernel.i("groups"))); }},
      {"instance_norm", [](Call &c) { return groupedNorm(c, int(c.op(0).shape[1])); }},
      {"neg", elementwise([](Expr x, const Kernel &) { return -x; })},
      // Regularisers are the identity in inference.
      {"dropout", elementwise([](Expr x, const Kernel &) { return x; })},
      {"dropblock", elementwise([](Expr x, const Kernel &) { return x; })},
      {"stochastic_depth", elementwise([](Expr x, const Kernel &) { return x; })},
      {"softmax", [](Call &c) { return softmax(c, false); }},
      {"log_softmax", [](Call &c) { return softmax(c, true); }},
      {"max_pool2d", maxPool2d},
      {"avg_pool2d", avgPool2d},
      {"adaptive_avg_pool2d", [](Call &c) { return adaptivePool2d(c, true); }},
      {"adaptive_max_pool2d", [](Call &c) { return adaptivePool2d(c, false); }},
      {"upsample2d", upsample2d},
      {"flatten", reshape},
      {"reshape", reshape},
      {"concat", concat},
      {"mean", mean},
      {"add", broadcasting([](Expr a, Expr b) { return a + b; })},
      {"sub", broadcasting([](Expr a, Expr b) { return a - b; })},
      {"mul", broadcasting([](Expr a, Expr b) { return a * b; })},
      {"div", broadcasting([](Expr a, Expr b) { return a / b; })},
      {"constant", constant},
  };
  return table;
}

} // namespace

KernelFuncs defineKernel(const Kernel &kernel, const std::vector<const Tensor *> &operands,
                         const Shape &resultShape) {
  Call call{kernel, operands, resultShape, {}};
  if (!kernel.activation.empty() && kernel.op != "fused_conv2d")
    return activation(call);
  return definitions().at(kernel.op)(call);
}

} // namespace cnnopt::codegen
