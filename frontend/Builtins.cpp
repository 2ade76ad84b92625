//===- Builtins.cpp - The op table of the .cnn language -------------------===//
//
// One builder per op: value checks on the arguments (positive sizes,
// probabilities in [0, 1), known strings), attribute normalisation (pairs,
// four-sided conv padding, non-negative sorted axes, pool stride defaulting
// to the kernel), parameter shapes as PyTorch lays them out, and the result
// shape from ShapeRules. Builders report messages without the op name; the
// elaborator prefixes it.
//===----------------------------------------------------------------------===//

#include "frontend/Builtins.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

using namespace cnnopt;
using shapes::Hw;
using shapes::Pad4;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string fmtFloat(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// A value as written back to the user: `2`, `1.5`, `"same"`, `[2, 3]`.
std::string fmtArg(const Value &v) {
  if (v.kind == Value::Kind::Int)
    return std::to_string(v.i);
  if (v.kind == Value::Kind::Float)
    return fmtFloat(v.f);
  if (v.kind == Value::Kind::Str)
    return "\"" + v.s + "\"";
  std::string out = "[";
  for (size_t k = 0; k < v.ints.size(); ++k)
    out += (k ? ", " : "") + std::to_string(v.ints[k]);
  return out + "]";
}

std::string fmtShape(const OpCall &c, const Shape &s) {
  return shapes::format(s, c.batchName);
}

/// A bound int-or-pair argument: a pair of equal entries prints as the int
/// it was usually written as.
std::string fmtPair(const Value &v) {
  if (v.kind == Value::Kind::Ints && v.ints.size() == 2 &&
      v.ints[0] == v.ints[1])
    return std::to_string(v.ints[0]);
  return fmtArg(v);
}

Hw hw(const OpCall &c, size_t k) { return {c.v(k).ints[0], c.v(k).ints[1]}; }
std::vector<int64_t> pairAttr(const OpCall &c, size_t k) {
  return {c.v(k).ints[0], c.v(k).ints[1]};
}

/// An int or pair argument whose entries must all be > 0.
bool positive(OpCall &c, size_t k) {
  const Value &v = c.v(k);
  bool ok = v.kind == Value::Kind::Int
                ? v.i > 0
                : std::all_of(v.ints.begin(), v.ints.end(),
                              [](int64_t x) { return x > 0; });
  if (!ok)
    return c.failArg(k, c.info->params[k].name + " must be positive, got " +
                            fmtPair(v));
  return true;
}

/// An int or pair argument whose entries must all be >= 0.
bool nonNegative(OpCall &c, size_t k) {
  const Value &v = c.v(k);
  bool ok = v.kind == Value::Kind::Int
                ? v.i >= 0
                : std::all_of(v.ints.begin(), v.ints.end(),
                              [](int64_t x) { return x >= 0; });
  if (!ok)
    return c.failArg(k, c.info->params[k].name +
                            " must not be negative, got " + fmtPair(v));
  return true;
}

/// A float argument within [lo, hi) (or [lo, hi] when `closed`).
bool inRange(OpCall &c, size_t k, double lo, double hi, bool closed) {
  double v = c.f(k);
  bool ok = v >= lo && (closed ? v <= hi : v < hi);
  if (!ok)
    return c.failArg(k, c.info->params[k].name + " must be in [" +
                            fmtFloat(lo) + ", " + fmtFloat(hi) +
                            (closed ? "]" : ")") + ", got " + fmtFloat(v));
  return true;
}

/// A float argument >= 0.
bool nonNegativeFloat(OpCall &c, size_t k) {
  if (!(c.f(k) >= 0))
    return c.failArg(k, c.info->params[k].name +
                            " must not be negative, got " + fmtFloat(c.f(k)));
  return true;
}

/// Takes the result shape, or fails with the rule's message.
bool take(OpCall &c, const shapes::ShapeOr &r) {
  if (!r.ok())
    return c.fail(r.error);
  c.result = r.shape;
  return true;
}

/// Requires input `k` to be [N, C, H, W]; returns its channel count.
bool need4d(OpCall &c, size_t k, int64_t &channels) {
  const Shape &s = c.shape(k);
  if (s.size() != 4)
    return c.fail("input must have rank 4, got " + fmtShape(c, s));
  channels = s[1];
  return true;
}

/// Normalises axis argument `k` against `rank`.
bool axisArg(OpCall &c, size_t k, int64_t rank, const Shape &s,
             int64_t &axis) {
  std::optional<int64_t> a = shapes::normalizeAxis(c.i(k), rank);
  if (!a)
    return c.failArg(k, "axis " + std::to_string(c.i(k)) +
                            " is out of range for " + fmtShape(c, s));
  axis = *a;
  return true;
}

/// weight [shape] (ones), bias [shape] (zeros) when `affine`.
void affineParams(OpCall &c, const Shape &shape, bool affine) {
  if (!affine)
    return;
  c.params.push_back({"weight", shape, DType::F32, true, true, ParamInit::One});
  c.params.push_back({"bias", shape});
}

/// The weight of a conv or linear layer and, when `bias`, its bias [out]:
/// both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's reset_parameters,
/// with fan_in the product of the weight's dimensions after the first
/// (ConvTranspose2d's too, though its dimension 1 is out/groups).
void weightAndBias(OpCall &c, const Shape &weight, bool bias, int64_t out) {
  int64_t fanIn = 1;
  for (size_t a = 1; a < weight.size(); ++a)
    fanIn *= weight[a];
  double bound = 1.0 / std::sqrt(double(fanIn));
  c.params.push_back({"weight", weight, DType::F32, true, true, ParamInit::Uniform, bound});
  if (bias)
    c.params.push_back({"bias", {out}, DType::F32, true, true, ParamInit::Uniform, bound});
}

//===----------------------------------------------------------------------===//
// Ops with parameters
//===----------------------------------------------------------------------===//

bool buildConv2d(OpCall &c) {
  enum { X, Out, Kernel, Stride, Padding, Dilation, Groups, Bias };
  int64_t channels;
  if (!need4d(c, X, channels) || !positive(c, Out) || !positive(c, Kernel) ||
      !positive(c, Stride) || !positive(c, Dilation) || !positive(c, Groups))
    return false;
  Hw kernel = hw(c, Kernel), stride = hw(c, Stride), dilation = hw(c, Dilation);
  int64_t groups = c.i(Groups), out = c.i(Out);
  Pad4 pad;
  if (c.v(Padding).kind == Value::Kind::Str) {
    if (c.s(Padding) == "same") {
      if (stride.h != 1 || stride.w != 1)
        return c.failArg(Padding, "padding=\"same\" needs stride 1, got " +
                                      fmtPair(c.v(Stride)));
      pad = shapes::samePadding(kernel, dilation);
    } else if (c.s(Padding) != "valid") {
      return c.failArg(Padding, "unknown padding \"" + c.s(Padding) +
                                    "\"; expected an int, a pair [h, w], "
                                    "\"same\" or \"valid\"");
    }
  } else {
    if (!nonNegative(c, Padding))
      return false;
    Hw p = hw(c, Padding);
    pad = Pad4{p.h, p.w, p.h, p.w};
  }
  Shape weight = shapes::conv2dWeight(channels, out, kernel, groups);
  if (!take(c, shapes::conv2d(c.shape(X), weight, stride, pad, dilation,
                              groups)))
    return false;
  c.operands = {c.tensor(X)};
  weightAndBias(c, weight, c.b(Bias), out);
  c.attrs["stride"] = pairAttr(c, Stride);
  c.attrs["padding"] = std::vector<int64_t>{pad.top, pad.left, pad.bottom,
                                            pad.right};
  c.attrs["dilation"] = pairAttr(c, Dilation);
  c.attrs["groups"] = groups;
  return true;
}

bool buildConvTranspose2d(OpCall &c) {
  enum { X, Out, Kernel, Stride, Padding, OutputPadding, Groups, Dilation, Bias };
  int64_t channels;
  if (!need4d(c, X, channels) || !positive(c, Out) || !positive(c, Kernel) ||
      !positive(c, Stride) || !nonNegative(c, Padding) ||
      !nonNegative(c, OutputPadding) || !positive(c, Groups) ||
      !positive(c, Dilation))
    return false;
  Hw stride = hw(c, Stride), dilation = hw(c, Dilation),
     outPad = hw(c, OutputPadding);
  int64_t groups = c.i(Groups), out = c.i(Out);
  // The weight [in, out/groups, kh, kw] cannot tell a truncated out.
  if (out % groups != 0)
    return c.fail("output channels " + std::to_string(out) +
                  " not divisible by groups=" + std::to_string(groups));
  Shape weight =
      shapes::convTranspose2dWeight(channels, out, hw(c, Kernel), groups);
  if (!take(c, shapes::convTranspose2d(c.shape(X), weight, stride,
                                       hw(c, Padding), outPad, dilation,
                                       groups)))
    return false;
  c.operands = {c.tensor(X)};
  weightAndBias(c, weight, c.b(Bias), out);
  c.attrs["stride"] = pairAttr(c, Stride);
  c.attrs["padding"] = pairAttr(c, Padding);
  c.attrs["output_padding"] = pairAttr(c, OutputPadding);
  c.attrs["dilation"] = pairAttr(c, Dilation);
  c.attrs["groups"] = groups;
  return true;
}

bool buildLinear(OpCall &c) {
  enum { X, Out, Bias };
  if (!positive(c, Out))
    return false;
  const Shape &s = c.shape(X);
  if (s.size() < 2 || s.back() == kDynamic)
    return c.fail("input must have rank 2 or more, got " + fmtShape(c, s));
  Shape weight = {c.i(Out), s.back()};
  if (!take(c, shapes::linear(s, weight)))
    return false;
  c.operands = {c.tensor(X)};
  weightAndBias(c, weight, c.b(Bias), c.i(Out));
  return true;
}

bool buildBatchNorm(OpCall &c) {
  enum { X, Eps, Momentum, Affine };
  if (!nonNegativeFloat(c, Eps) || !inRange(c, Momentum, 0, 1, true))
    return false;
  if (!take(c, shapes::batchNorm(c.shape(X))))
    return false;
  Shape perChannel = {c.shape(X)[1]};
  c.operands = {c.tensor(X)};
  affineParams(c, perChannel, c.b(Affine));
  c.params.push_back({"running_mean", perChannel, DType::F32, false});
  c.params.push_back({"running_var", perChannel, DType::F32, false, true, ParamInit::One});
  c.params.push_back({"num_batches_tracked", {}, DType::I64, false, false});
  c.attrs["eps"] = c.f(Eps);
  c.attrs["momentum"] = c.f(Momentum);
  c.attrs["affine"] = c.b(Affine);
  return true;
}

bool buildLayerNorm(OpCall &c) {
  enum { X, Dims, Eps, Affine };
  if (!positive(c, Dims) || !nonNegativeFloat(c, Eps))
    return false;
  if (!take(c, shapes::layerNorm(c.shape(X), c.i(Dims))))
    return false;
  const Shape &s = c.shape(X);
  Shape normalized(s.end() - c.i(Dims), s.end());
  c.operands = {c.tensor(X)};
  affineParams(c, normalized, c.b(Affine));
  c.attrs["dims"] = c.i(Dims);
  c.attrs["eps"] = c.f(Eps);
  c.attrs["affine"] = c.b(Affine);
  return true;
}

bool buildGroupNorm(OpCall &c) {
  enum { X, Groups, Eps, Affine };
  if (!positive(c, Groups) || !nonNegativeFloat(c, Eps))
    return false;
  if (!take(c, shapes::groupNorm(c.shape(X), c.i(Groups))))
    return false;
  c.operands = {c.tensor(X)};
  affineParams(c, {c.shape(X)[1]}, c.b(Affine));
  c.attrs["groups"] = c.i(Groups);
  c.attrs["eps"] = c.f(Eps);
  c.attrs["affine"] = c.b(Affine);
  return true;
}

bool buildInstanceNorm(OpCall &c) {
  enum { X, Eps, Affine };
  if (!nonNegativeFloat(c, Eps))
    return false;
  if (!take(c, shapes::instanceNorm(c.shape(X))))
    return false;
  c.operands = {c.tensor(X)};
  affineParams(c, {c.shape(X)[1]}, c.b(Affine));
  c.attrs["eps"] = c.f(Eps);
  c.attrs["affine"] = c.b(Affine);
  return true;
}

//===----------------------------------------------------------------------===//
// Parameter-free ops
//===----------------------------------------------------------------------===//

/// relu, sigmoid, ... and the identity-in-inference regularisers.
bool buildUnary(OpCall &c) {
  c.result = c.shape(0);
  c.operands = {c.tensor(0)};
  return true;
}

bool buildLeakyRelu(OpCall &c) {
  buildUnary(c);
  c.attrs["slope"] = c.f(1);
  return true;
}

bool buildElu(OpCall &c) {
  buildUnary(c);
  c.attrs["alpha"] = c.f(1);
  return true;
}

bool buildSoftplus(OpCall &c) {
  buildUnary(c);
  c.attrs["beta"] = c.f(1);
  c.attrs["threshold"] = c.f(2);
  return true;
}

bool buildPow(OpCall &c) {
  buildUnary(c);
  c.attrs["exponent"] = c.f(1);
  return true;
}

/// prelu owns `weight` [num], PyTorch's init 0.25: one slope, or one per
/// channel (axis 1).
bool buildPrelu(OpCall &c) {
  enum { X, Num };
  const Shape &s = c.shape(X);
  if (c.i(Num) != 1 && (s.size() < 2 || c.i(Num) != s[1]))
    return c.failArg(Num, "num must be 1 or the channel count of " + fmtShape(c, s) +
                              ", got " + std::to_string(c.i(Num)));
  buildUnary(c);
  c.params.push_back({"weight", {c.i(Num)}, DType::F32, true, true, ParamInit::Constant, 0.25});
  return true;
}

bool buildGlu(OpCall &c) {
  enum { X, Axis };
  const Shape &s = c.shape(X);
  int64_t axis;
  if (!axisArg(c, Axis, int64_t(s.size()), s, axis))
    return false;
  shapes::ShapeOr r = shapes::glu(s, axis);
  if (!r.ok())
    return c.failArg(Axis, r.error);
  c.result = r.shape;
  c.operands = {c.tensor(X)};
  c.attrs["axis"] = axis;
  return true;
}

bool buildPad2d(OpCall &c) {
  enum { X, Pads, Mode, Fill };
  const std::vector<int64_t> &pads = c.v(Pads).ints;
  if (pads.size() != 4)
    return c.failArg(Pads, "pads must be [left, right, top, bottom], got " + fmtArg(c.v(Pads)));
  const std::string &mode = c.s(Mode);
  if (mode != "constant" && mode != "reflect" && mode != "replicate")
    return c.failArg(Mode, "unknown mode \"" + mode +
                               "\"; expected \"constant\", \"reflect\" or \"replicate\"");
  // Without pads only the input's rank can be wrong: that is the op's
  // error, what the pads do to the axes is theirs.
  if (!take(c, shapes::pad2d(c.shape(X), {0, 0, 0, 0}, mode)))
    return false;
  shapes::ShapeOr r = shapes::pad2d(c.shape(X), pads, mode);
  if (!r.ok())
    return c.failArg(Pads, r.error);
  c.result = r.shape;
  c.operands = {c.tensor(X)};
  c.attrs["pads"] = pads;
  c.attrs["mode"] = mode;
  c.attrs["value"] = c.f(Fill);
  return true;
}

bool buildPixelShuffle(OpCall &c) {
  enum { X, Factor };
  int64_t channels;
  if (!need4d(c, X, channels) || !positive(c, Factor))
    return false;
  shapes::ShapeOr r = shapes::pixelShuffle(c.shape(X), c.i(Factor));
  if (!r.ok())
    return c.failArg(Factor, r.error);
  c.result = r.shape;
  c.operands = {c.tensor(X)};
  c.attrs["factor"] = c.i(Factor);
  return true;
}

bool buildGelu(OpCall &c) {
  if (c.s(1) != "none" && c.s(1) != "tanh")
    return c.failArg(1, "unknown approximate \"" + c.s(1) +
                            "\"; expected \"none\" or \"tanh\"");
  buildUnary(c);
  c.attrs["approximate"] = c.s(1);
  return true;
}

bool buildSoftmax(OpCall &c) {
  const Shape &s = c.shape(0);
  int64_t axis;
  if (!axisArg(c, 1, int64_t(s.size()), s, axis) ||
      !take(c, shapes::softmax(s, axis)))
    return false;
  c.operands = {c.tensor(0)};
  c.attrs["axis"] = axis;
  return true;
}

/// Shared checks of max_pool2d and avg_pool2d; fills kernel/stride/padding.
bool poolCommon(OpCall &c, Hw &kernel, Hw &stride, Hw &padding) {
  enum { X, Kernel, Stride, Padding };
  if (!positive(c, Kernel) || (c.has(Stride) && !positive(c, Stride)) ||
      !nonNegative(c, Padding))
    return false;
  kernel = hw(c, Kernel);
  stride = c.has(Stride) ? hw(c, Stride) : kernel;
  padding = hw(c, Padding);
  c.operands = {c.tensor(X)};
  c.attrs["kernel"] = std::vector<int64_t>{kernel.h, kernel.w};
  c.attrs["stride"] = std::vector<int64_t>{stride.h, stride.w};
  c.attrs["padding"] = std::vector<int64_t>{padding.h, padding.w};
  return true;
}

bool buildMaxPool2d(OpCall &c) {
  enum { X, Kernel, Stride, Padding, Dilation, CeilMode };
  Hw kernel, stride, padding;
  if (!poolCommon(c, kernel, stride, padding) || !positive(c, Dilation))
    return false;
  if (!take(c, shapes::maxPool2d(c.shape(X), kernel, stride, padding,
                                 hw(c, Dilation), c.b(CeilMode))))
    return false;
  c.attrs["dilation"] = pairAttr(c, Dilation);
  c.attrs["ceil_mode"] = c.b(CeilMode);
  return true;
}

bool buildAvgPool2d(OpCall &c) {
  enum { X, Kernel, Stride, Padding, CeilMode, CountIncludePad };
  Hw kernel, stride, padding;
  if (!poolCommon(c, kernel, stride, padding))
    return false;
  if (!take(c, shapes::avgPool2d(c.shape(X), kernel, stride, padding,
                                 c.b(CeilMode))))
    return false;
  c.attrs["ceil_mode"] = c.b(CeilMode);
  c.attrs["count_include_pad"] = c.b(CountIncludePad);
  return true;
}

bool buildAdaptivePool2d(OpCall &c) {
  if (!positive(c, 1) || !take(c, shapes::adaptivePool2d(c.shape(0), hw(c, 1))))
    return false;
  c.operands = {c.tensor(0)};
  c.attrs["size"] = pairAttr(c, 1);
  return true;
}

bool buildUpsample2d(OpCall &c) {
  enum { X, Scale, Mode };
  if (!positive(c, Scale))
    return false;
  if (c.s(Mode) != "nearest" && c.s(Mode) != "bilinear")
    return c.failArg(Mode, "unknown mode \"" + c.s(Mode) +
                               "\"; expected \"nearest\" or \"bilinear\"");
  if (!take(c, shapes::upsample2d(c.shape(X), c.i(Scale))))
    return false;
  c.operands = {c.tensor(X)};
  c.attrs["scale"] = c.i(Scale);
  c.attrs["mode"] = c.s(Mode);
  return true;
}

bool buildFlatten(OpCall &c) {
  const Shape &s = c.shape(0);
  int64_t start;
  if (!axisArg(c, 1, int64_t(s.size()), s, start) ||
      !take(c, shapes::flatten(s, start)))
    return false;
  c.operands = {c.tensor(0)};
  c.attrs["start"] = start;
  return true;
}

bool buildReshape(OpCall &c) {
  const std::vector<int64_t> &target = c.v(1).ints;
  if (std::count(target.begin(), target.end(), -1) > 1)
    return c.failArg(1, "shape " + fmtArg(c.v(1)) + " has more than one -1");
  for (int64_t d : target)
    if (d <= 0 && d != -1)
      return c.failArg(1, "shape " + fmtArg(c.v(1)) +
                              " must hold positive sizes and at most one -1");
  if (!take(c, shapes::reshape(c.shape(0), target)))
    return false;
  c.operands = {c.tensor(0)};
  c.attrs["shape"] = target;
  return true;
}

bool buildConcat(OpCall &c) {
  const std::vector<int> &inputs = c.v(0).tensors;
  if (inputs.empty())
    return c.failArg(0, "needs at least one input");
  std::vector<Shape> shapesIn;
  for (int id : inputs) {
    if ((*c.values)[id].dtype != DType::F32)
      return c.failArg(0, "inputs must be f32 tensors");
    shapesIn.push_back((*c.values)[id].shape);
  }
  int64_t axis;
  if (!axisArg(c, 1, int64_t(shapesIn[0].size()), shapesIn[0], axis))
    return false;
  shapes::ShapeOr r = shapes::concat(shapesIn, axis);
  if (!r.ok())
    return c.fail(r.error);
  c.result = r.shape;
  c.operands = inputs;
  c.attrs["axis"] = axis;
  return true;
}

bool buildMean(OpCall &c) {
  const Shape &s = c.shape(0);
  std::vector<int64_t> axes;
  for (int64_t a : c.v(1).ints) {
    std::optional<int64_t> n = shapes::normalizeAxis(a, int64_t(s.size()));
    if (!n)
      return c.failArg(1, "axis " + std::to_string(a) +
                              " is out of range for " + fmtShape(c, s));
    if (std::find(axes.begin(), axes.end(), *n) != axes.end())
      return c.failArg(1, "axis " + std::to_string(a) + " is repeated");
    axes.push_back(*n);
  }
  std::sort(axes.begin(), axes.end());
  if (!take(c, shapes::mean(s, axes, c.b(2))))
    return false;
  c.operands = {c.tensor(0)};
  c.attrs["axes"] = axes;
  c.attrs["keepdim"] = c.b(2);
  return true;
}

bool buildDropout(OpCall &c) {
  if (!inRange(c, 1, 0, 1, false))
    return false;
  buildUnary(c);
  c.attrs["p"] = c.f(1);
  return true;
}

bool buildDropblock(OpCall &c) {
  enum { X, BlockSize, P };
  int64_t channels;
  if (!need4d(c, X, channels) || !positive(c, BlockSize) ||
      !inRange(c, P, 0, 1, false))
    return false;
  buildUnary(c);
  c.attrs["block_size"] = c.i(BlockSize);
  c.attrs["p"] = c.f(P);
  return true;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

bool buildCrossEntropy(OpCall &c) {
  if (!inRange(c, 2, 0, 1, true) ||
      !take(c, shapes::crossEntropy(c.shape(0), c.shape(1))))
    return false;
  c.operands = {c.tensor(0), c.tensor(1)};
  c.attrs["label_smoothing"] = c.f(2);
  return true;
}

bool buildMseLoss(OpCall &c) {
  if (!take(c, shapes::mseLoss(c.shape(0), c.shape(1))))
    return false;
  c.operands = {c.tensor(0), c.tensor(1)};
  return true;
}

//===----------------------------------------------------------------------===//
// Compile-time builtins
//===----------------------------------------------------------------------===//

bool buildShape(OpCall &c) {
  const Shape &s = c.shape(0);
  int64_t axis;
  if (!axisArg(c, 1, int64_t(s.size()), s, axis))
    return false;
  if (s[axis] == kDynamic)
    return c.failArg(1, "axis " + std::to_string(c.i(1)) + " of " +
                            fmtShape(c, s) +
                            " is the batch, known only at run time");
  c.scalar = Value::ofInt(s[axis]);
  return true;
}

bool buildRank(OpCall &c) {
  c.scalar = Value::ofInt(int64_t(c.shape(0).size()));
  return true;
}

bool buildChannels(OpCall &c) {
  const Shape &s = c.shape(0);
  if (s.size() < 2)
    return c.failArg(0, "expects a tensor with a channel axis, got " +
                            fmtShape(c, s));
  c.scalar = Value::ofInt(s[1]);
  return true;
}

/// min and max: ints stay ints, anything else compares as floats.
bool buildMinMax(OpCall &c) {
  bool isMin = c.info->name == "min";
  const Value &a = c.v(0), &b = c.v(1);
  if (a.kind == Value::Kind::Int && b.kind == Value::Kind::Int) {
    c.scalar = Value::ofInt(isMin ? std::min(a.i, b.i) : std::max(a.i, b.i));
    return true;
  }
  double x = a.asDouble(), y = b.asDouble();
  c.scalar = Value::ofFloat(isMin ? std::min(x, y) : std::max(x, y));
  return true;
}

bool buildInt(OpCall &c) {
  const Value &v = c.v(0);
  if (v.kind == Value::Kind::Int) {
    c.scalar = v;
    return true;
  }
  double t = std::trunc(v.f);
  if (!std::isfinite(t) || t < -9.2e18 || t > 9.2e18)
    return c.failArg(0, "cannot convert " + fmtFloat(v.f) + " to an int");
  c.scalar = Value::ofInt(int64_t(t));
  return true;
}

bool buildFloat(OpCall &c) {
  c.scalar = Value::ofFloat(c.v(0).asDouble());
  return true;
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

bool buildSgd(OpCall &c) {
  enum { Momentum, WeightDecay, Nesterov };
  if (!nonNegativeFloat(c, Momentum) || !nonNegativeFloat(c, WeightDecay))
    return false;
  if (c.b(Nesterov) && c.f(Momentum) <= 0)
    return c.failArg(Nesterov, "nesterov=true needs a positive momentum");
  c.attrs["momentum"] = c.f(Momentum);
  c.attrs["weight_decay"] = c.f(WeightDecay);
  c.attrs["nesterov"] = c.b(Nesterov);
  return true;
}

bool buildAdam(OpCall &c) {
  enum { Beta1, Beta2, Eps, WeightDecay };
  if (!inRange(c, Beta1, 0, 1, false) || !inRange(c, Beta2, 0, 1, false) ||
      !nonNegativeFloat(c, Eps) || !nonNegativeFloat(c, WeightDecay))
    return false;
  c.attrs["beta1"] = c.f(Beta1);
  c.attrs["beta2"] = c.f(Beta2);
  c.attrs["eps"] = c.f(Eps);
  c.attrs["weight_decay"] = c.f(WeightDecay);
  return true;
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

ParamSpec req(const char *name, ArgKind kind) { return {name, kind, true, {}}; }
ParamSpec opt(const char *name, ArgKind kind) { return {name, kind, false, {}}; }
ParamSpec dInt(const char *name, int64_t v, ArgKind kind = ArgKind::Int) {
  return {name, kind, false, Value::ofInt(v)};
}
ParamSpec dFloat(const char *name, double v) {
  return {name, ArgKind::Float, false, Value::ofFloat(v)};
}
ParamSpec dBool(const char *name, bool v) {
  return {name, ArgKind::Bool, false, Value::ofBool(v)};
}
ParamSpec dStr(const char *name, const char *v) {
  return {name, ArgKind::Str, false, Value::ofStr(v)};
}
ParamSpec dInts(const char *name, std::vector<int64_t> v) {
  return {name, ArgKind::Ints, false, Value::ofInts(std::move(v))};
}

std::vector<OpInfo> makeTable() {
  const ArgKind T = ArgKind::Tensor, I = ArgKind::Int, P = ArgKind::IntPair;
  const OpCategory L = OpCategory::Layer;
  std::vector<OpInfo> t = {
      {"conv2d", L,
       {req("x", T), req("out", I), req("kernel", P), dInt("stride", 1, P),
        dInt("padding", 0, ArgKind::Padding), dInt("dilation", 1, P),
        dInt("groups", 1), dBool("bias", true)},
       buildConv2d},
      {"conv_transpose2d", L,
       {req("x", T), req("out", I), req("kernel", P), dInt("stride", 1, P),
        dInt("padding", 0, P), dInt("output_padding", 0, P),
        dInt("groups", 1), dInt("dilation", 1, P), dBool("bias", true)},
       buildConvTranspose2d},
      {"linear", L, {req("x", T), req("out", I), dBool("bias", true)},
       buildLinear},
      {"batch_norm", L,
       {req("x", T), dFloat("eps", 1e-5), dFloat("momentum", 0.1),
        dBool("affine", true)},
       buildBatchNorm},
      {"layer_norm", L,
       {req("x", T), dInt("dims", 1), dFloat("eps", 1e-5),
        dBool("affine", true)},
       buildLayerNorm},
      {"group_norm", L,
       {req("x", T), req("groups", I), dFloat("eps", 1e-5),
        dBool("affine", true)},
       buildGroupNorm},
      {"instance_norm", L,
       {req("x", T), dFloat("eps", 1e-5), dBool("affine", false)},
       buildInstanceNorm},
      {"leaky_relu", L, {req("x", T), dFloat("slope", 0.01)}, buildLeakyRelu},
      {"gelu", L, {req("x", T), dStr("approximate", "none")}, buildGelu},
      {"elu", L, {req("x", T), dFloat("alpha", 1.0)}, buildElu},
      {"softplus", L, {req("x", T), dFloat("beta", 1.0), dFloat("threshold", 20.0)},
       buildSoftplus},
      {"prelu", L, {req("x", T), dInt("num", 1)}, buildPrelu},
      {"glu", L, {req("x", T), dInt("axis", -1)}, buildGlu},
      {"pad2d", L,
       {req("x", T), req("pads", ArgKind::Ints), dStr("mode", "constant"), dFloat("value", 0.0)},
       buildPad2d},
      {"pixel_shuffle", L, {req("x", T), req("factor", I)}, buildPixelShuffle},
      {"pow", L, {req("x", T), req("e", ArgKind::Float)}, buildPow},
      {"softmax", L, {req("x", T), dInt("axis", -1)}, buildSoftmax},
      {"log_softmax", L, {req("x", T), dInt("axis", -1)}, buildSoftmax},
      {"max_pool2d", L,
       {req("x", T), req("kernel", P), opt("stride", P), dInt("padding", 0, P),
        dInt("dilation", 1, P), dBool("ceil_mode", false)},
       buildMaxPool2d},
      {"avg_pool2d", L,
       {req("x", T), req("kernel", P), opt("stride", P), dInt("padding", 0, P),
        dBool("ceil_mode", false), dBool("count_include_pad", true)},
       buildAvgPool2d},
      {"adaptive_avg_pool2d", L, {req("x", T), req("size", P)},
       buildAdaptivePool2d},
      {"adaptive_max_pool2d", L, {req("x", T), req("size", P)},
       buildAdaptivePool2d},
      {"upsample2d", L,
       {req("x", T), dInt("scale", 2), dStr("mode", "nearest")},
       buildUpsample2d},
      {"flatten", L, {req("x", T), dInt("start", 1)}, buildFlatten},
      {"reshape", L, {req("x", T), req("shape", ArgKind::Ints)}, buildReshape},
      {"concat", L, {req("inputs", ArgKind::Tensors), dInt("axis", 1)},
       buildConcat},
      {"mean", L, {req("x", T), dInts("axes", {2, 3}), dBool("keepdim", false)},
       buildMean},
      {"dropout", L, {req("x", T), dFloat("p", 0.5)}, buildDropout},
      {"dropblock", L, {req("x", T), dInt("block_size", 7), dFloat("p", 0.1)},
       buildDropblock},
      {"stochastic_depth", L, {req("x", T), dFloat("p", 0.2)}, buildDropout},
      {"cross_entropy", OpCategory::Loss,
       {req("logits", T), req("labels", ArgKind::Labels),
        dFloat("label_smoothing", 0.0)},
       buildCrossEntropy},
      {"mse_loss", OpCategory::Loss, {req("a", T), req("b", T)}, buildMseLoss},
      {"shape", OpCategory::Builtin,
       {req("t", ArgKind::AnyTensor), req("axis", I)}, buildShape},
      {"rank", OpCategory::Builtin, {req("t", ArgKind::AnyTensor)}, buildRank},
      {"channels", OpCategory::Builtin, {req("t", ArgKind::AnyTensor)},
       buildChannels},
      {"min", OpCategory::Builtin,
       {req("a", ArgKind::Number), req("b", ArgKind::Number)}, buildMinMax},
      {"max", OpCategory::Builtin,
       {req("a", ArgKind::Number), req("b", ArgKind::Number)}, buildMinMax},
      {"int", OpCategory::Builtin, {req("x", ArgKind::Number)}, buildInt},
      {"float", OpCategory::Builtin, {req("x", ArgKind::Number)}, buildFloat},
      {"sgd", OpCategory::Optimizer,
       {dFloat("momentum", 0.0), dFloat("weight_decay", 0.0),
        dBool("nesterov", false)},
       buildSgd},
  };
  for (const char *name : {"relu", "relu6", "sigmoid", "tanh", "silu",
                           "hardswish", "hardsigmoid", "softsign", "erf"})
    t.push_back({name, L, {req("x", T)}, buildUnary});
  for (const char *name : {"add", "sub", "mul", "div"})
    t.push_back({name, OpCategory::Arith,
                 {req("a", ArgKind::Operand), req("b", ArgKind::Operand)},
                 nullptr});
  for (const char *name : {"adam", "adamw"})
    t.push_back({name, OpCategory::Optimizer,
                 {dFloat("beta1", 0.9), dFloat("beta2", 0.999),
                  dFloat("eps", 1e-8), dFloat("weight_decay", 0.0)},
                 buildAdam});
  return t;
}

} // namespace

const std::vector<OpInfo> &cnnopt::allOps() {
  static const std::vector<OpInfo> table = makeTable();
  return table;
}

const OpInfo *cnnopt::findOp(const std::string &name) {
  static const std::map<std::string, const OpInfo *> index = [] {
    std::map<std::string, const OpInfo *> m;
    for (const OpInfo &op : allOps())
      m[op.name] = &op;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}
