//===- ShapeRules.cpp - PyTorch's shape rules for every cnn op ------------===//
//
// The formulas are torch.nn's (see DSL.md "Operators"); each check names the
// shapes involved so that both the front end and the verifiers can report
// them unchanged.
//===----------------------------------------------------------------------===//

#include "dialect/ShapeRules.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

namespace cnnopt::shapes {

namespace {

bool isDynamic(int64_t d) { return d == kDynamic; }

std::string str(int64_t v) { return std::to_string(v); }

std::string hw(Hw v) { return "[" + str(v.h) + ", " + str(v.w) + "]"; }

/// A count too large to be a tensor's; products saturate to it.
constexpr int64_t kHuge = INT64_MAX;

/// a * b for non-negative sizes, saturating instead of wrapping.
int64_t mulSat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kHuge : r;
}

/// The element count of `shape` from `begin` on; kDynamic if any is dynamic,
/// kHuge if it does not fit.
int64_t product(const Shape &shape, size_t begin = 0) {
  int64_t n = 1;
  for (size_t i = begin; i < shape.size(); ++i) {
    if (isDynamic(shape[i]))
      return kDynamic;
    n = mulSat(n, shape[i]);
  }
  return n;
}

/// Rejects a size-like value beyond kMaxDim (which would wrap arithmetic).
bool tooLarge(Hw v) { return v.h > kMaxDim || v.w > kMaxDim; }

ShapeOr tooLargeError(const char *what, Hw v) {
  return ShapeOr::fail(std::string(what) + " " + "[" + std::to_string(v.h) +
                       ", " + std::to_string(v.w) + "] is too large (limit " +
                       std::to_string(kMaxDim) + ")");
}

ShapeOr requireRank(const Shape &x, size_t rank, const char *what) {
  if (x.size() != rank)
    return ShapeOr::fail(std::string(what) + " must have rank " + str(rank) +
                         ", got " + format(x));
  return {x, ""};
}

/// Checks shared by conv2d and conv_transpose2d: NCHW input, 4-D weight,
/// and groups dividing the input channels.
ShapeOr checkConvOperands(const Shape &x, const Shape &weight, int64_t groups) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  if (auto r = requireRank(weight, 4, "weight"); !r.ok())
    return r;
  if (groups <= 0)
    return ShapeOr::fail("groups=" + str(groups) + " must be positive");
  if (x[1] % groups != 0)
    return ShapeOr::fail("input has " + str(x[1]) +
                         " channels, not divisible by groups=" + str(groups));
  return {x, ""};
}

/// Output spatial size of a windowed op, or an error naming the input.
ShapeOr spatialOutput(const Shape &x, Hw kernel, Hw stride, Pad4 pad,
                      Hw dilation, bool ceilMode) {
  if (kernel.h <= 0 || kernel.w <= 0)
    return ShapeOr::fail("kernel " + hw(kernel) + " must be positive");
  if (stride.h <= 0 || stride.w <= 0)
    return ShapeOr::fail("stride " + hw(stride) + " must be positive");
  if (dilation.h <= 0 || dilation.w <= 0)
    return ShapeOr::fail("dilation " + hw(dilation) + " must be positive");
  if (pad.top < 0 || pad.left < 0 || pad.bottom < 0 || pad.right < 0)
    return ShapeOr::fail("padding must not be negative");
  if (tooLarge(kernel))
    return tooLargeError("kernel", kernel);
  if (tooLarge(stride))
    return tooLargeError("stride", stride);
  if (tooLarge(dilation))
    return tooLargeError("dilation", dilation);
  if (tooLarge({std::max(pad.top, pad.bottom), std::max(pad.left, pad.right)}))
    return tooLargeError("padding", {std::max(pad.top, pad.bottom),
                                     std::max(pad.left, pad.right)});
  int64_t oh = windowCount(x[2], kernel.h, stride.h, pad.top, pad.bottom,
                           dilation.h, ceilMode);
  int64_t ow = windowCount(x[3], kernel.w, stride.w, pad.left, pad.right,
                           dilation.w, ceilMode);
  if (oh <= 0 || ow <= 0) {
    Hw effective{dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1};
    return ShapeOr::fail("window " + hw(effective) + " is larger than the padded input " +
                         "[" + str(x[2] + pad.top + pad.bottom) + ", " +
                         str(x[3] + pad.left + pad.right) + "] of input " + format(x));
  }
  return {{x[0], x[1], oh, ow}, ""};
}

} // namespace

ShapeOr checkSize(const Shape &shape) {
  for (int64_t d : shape)
    if (!isDynamic(d) && (d < 1 || d > kMaxDim))
      return ShapeOr::fail("tensor " + format(shape) + " has a dimension " +
                           "outside [1, " + str(kMaxDim) + "]");
  int64_t perSample = product(shape, !shape.empty() && isDynamic(shape[0]));
  if (perSample > kMaxElements)
    return ShapeOr::fail("tensor " + format(shape) + " has more than 2^40 elements");
  return {shape, ""};
}

std::string format(const Shape &shape, std::string_view batch) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ",";
    out += isDynamic(shape[i]) ? std::string(batch) : str(shape[i]);
  }
  return out + "]";
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Pad4 samePadding(Hw kernel, Hw dilation) {
  int64_t th = dilation.h * (kernel.h - 1), tw = dilation.w * (kernel.w - 1);
  return {th / 2, tw / 2, th - th / 2, tw - tw / 2};
}

int64_t windowCount(int64_t in, int64_t kernel, int64_t stride,
                    int64_t padBefore, int64_t padAfter, int64_t dilation,
                    bool ceilMode) {
  int64_t span = in + padBefore + padAfter - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // PyTorch: the last window must start inside the input or left padding.
  if (ceilMode && (out - 1) * stride >= in + padBefore)
    --out;
  return out;
}

//===----------------------------------------------------------------------===//
// Ops with parameters
//===----------------------------------------------------------------------===//

Shape conv2dWeight(int64_t inChannels, int64_t out, Hw kernel, int64_t groups) {
  return {out, groups > 0 ? inChannels / groups : 0, kernel.h, kernel.w};
}

ShapeOr conv2d(const Shape &x, const Shape &weight, Hw stride, Pad4 padding,
               Hw dilation, int64_t groups) {
  if (auto r = checkConvOperands(x, weight, groups); !r.ok())
    return r;
  if (weight[0] <= 0)
    return ShapeOr::fail("output channels " + str(weight[0]) + " must be positive");
  if (weight[0] % groups != 0)
    return ShapeOr::fail("output channels " + str(weight[0]) +
                         " not divisible by groups=" + str(groups));
  if (weight[1] * groups != x[1])
    return ShapeOr::fail("weight " + format(weight) + " with groups=" +
                         str(groups) + " expects " + str(weight[1] * groups) +
                         " input channels, input is " + format(x));
  ShapeOr r = spatialOutput(x, {weight[2], weight[3]}, stride, padding,
                            dilation, false);
  if (r.ok())
    r.shape[1] = weight[0];
  return r;
}

Shape convTranspose2dWeight(int64_t inChannels, int64_t out, Hw kernel,
                            int64_t groups) {
  return {inChannels, groups > 0 ? out / groups : 0, kernel.h, kernel.w};
}

ShapeOr convTranspose2d(const Shape &x, const Shape &weight, Hw stride,
                        Hw padding, Hw outputPadding, Hw dilation,
                        int64_t groups) {
  if (auto r = checkConvOperands(x, weight, groups); !r.ok())
    return r;
  if (weight[0] != x[1])
    return ShapeOr::fail("weight " + format(weight) + " expects " +
                         str(weight[0]) + " input channels, input is " + format(x));
  if (weight[1] <= 0)
    return ShapeOr::fail("output channels must be positive");
  if (stride.h <= 0 || stride.w <= 0 || dilation.h <= 0 || dilation.w <= 0)
    return ShapeOr::fail("stride and dilation must be positive");
  if (padding.h < 0 || padding.w < 0 || outputPadding.h < 0 || outputPadding.w < 0)
    return ShapeOr::fail("padding must not be negative");
  for (auto [what, v] : {std::pair{"stride", stride}, {"padding", padding},
                         {"output_padding", outputPadding}, {"dilation", dilation}})
    if (tooLarge(v))
      return tooLargeError(what, v);
  // PyTorch: output padding must be smaller than either stride or dilation.
  if ((outputPadding.h >= stride.h && outputPadding.h >= dilation.h) ||
      (outputPadding.w >= stride.w && outputPadding.w >= dilation.w))
    return ShapeOr::fail("output_padding " + hw(outputPadding) +
                         " must be smaller than stride " + hw(stride) +
                         " or dilation " + hw(dilation));
  auto size = [](int64_t in, int64_t k, int64_t s, int64_t p, int64_t op,
                 int64_t d) { return (in - 1) * s - 2 * p + d * (k - 1) + op + 1; };
  int64_t oh = size(x[2], weight[2], stride.h, padding.h, outputPadding.h, dilation.h);
  int64_t ow = size(x[3], weight[3], stride.w, padding.w, outputPadding.w, dilation.w);
  if (oh <= 0 || ow <= 0)
    return ShapeOr::fail("output size [" + str(oh) + ", " + str(ow) +
                         "] is not positive for input " + format(x));
  if (tooLarge({oh, ow}))
    return tooLargeError("output size", {oh, ow});
  return {{x[0], weight[1] * groups, oh, ow}, ""};
}

ShapeOr linear(const Shape &x, const Shape &weight) {
  if (x.size() < 2)
    return ShapeOr::fail("input must have rank 2 or more, got " + format(x));
  if (auto r = requireRank(weight, 2, "weight"); !r.ok())
    return r;
  if (x.back() != weight[1])
    return ShapeOr::fail("input " + format(x) + " has " + str(x.back()) +
                         " features, weight " + format(weight) + " expects " +
                         str(weight[1]));
  Shape out = x;
  out.back() = weight[0];
  return {out, ""};
}

ShapeOr batchNorm(const Shape &x) {
  if (x.size() < 2 || x.size() > 5)
    return ShapeOr::fail("input must have rank 2 to 5, got " + format(x));
  return {x, ""};
}

ShapeOr groupNorm(const Shape &x, int64_t groups) {
  if (x.size() < 2)
    return ShapeOr::fail("input must have rank 2 or more, got " + format(x));
  if (groups <= 0)
    return ShapeOr::fail("groups=" + str(groups) + " must be positive");
  if (x[1] % groups != 0)
    return ShapeOr::fail("input has " + str(x[1]) +
                         " channels, not divisible by groups=" + str(groups));
  return {x, ""};
}

ShapeOr instanceNorm(const Shape &x) {
  if (x.size() != 3 && x.size() != 4)
    return ShapeOr::fail("input must have rank 3 or 4, got " + format(x));
  return {x, ""};
}

ShapeOr layerNorm(const Shape &x, int64_t dims) {
  if (dims < 1 || dims >= static_cast<int64_t>(x.size()))
    return ShapeOr::fail("dims=" + str(dims) + " must be between 1 and " +
                         str(static_cast<int64_t>(x.size()) - 1) +
                         " for input " + format(x));
  return {x, ""};
}

//===----------------------------------------------------------------------===//
// Parameter-free ops
//===----------------------------------------------------------------------===//

ShapeOr maxPool2d(const Shape &x, Hw kernel, Hw stride, Hw padding,
                  Hw dilation, bool ceilMode) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  // PyTorch: "pad should be at most half of effective kernel size".
  if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
    return ShapeOr::fail("padding " + hw(padding) +
                         " must be at most half of kernel " + hw(kernel));
  return spatialOutput(x, kernel, stride,
                       {padding.h, padding.w, padding.h, padding.w}, dilation,
                       ceilMode);
}

ShapeOr avgPool2d(const Shape &x, Hw kernel, Hw stride, Hw padding,
                  bool ceilMode) {
  // The same windows as an undilated max pool.
  return maxPool2d(x, kernel, stride, padding, {1, 1}, ceilMode);
}

ShapeOr adaptivePool2d(const Shape &x, Hw size) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  if (size.h <= 0 || size.w <= 0)
    return ShapeOr::fail("output size " + hw(size) + " must be positive");
  if (tooLarge(size))
    return tooLargeError("output size", size);
  return {{x[0], x[1], size.h, size.w}, ""};
}

ShapeOr upsample2d(const Shape &x, int64_t scale) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  if (scale <= 0)
    return ShapeOr::fail("scale=" + str(scale) + " must be a positive int");
  Hw out{mulSat(x[2], scale), mulSat(x[3], scale)};
  if (tooLarge(out))
    return tooLargeError("output size", out);
  return {{x[0], x[1], out.h, out.w}, ""};
}

ShapeOr pad2d(const Shape &x, const std::vector<int64_t> &pads, std::string_view mode) {
  if (pads.size() != 4)
    return ShapeOr::fail("pads must have 4 values [left, right, top, bottom], got " +
                         str(int64_t(pads.size())));
  bool constant = mode == "constant";
  if (!constant && mode != "reflect" && mode != "replicate")
    return ShapeOr::fail("unknown mode \"" + std::string(mode) +
                         "\"; expected \"constant\", \"reflect\" or \"replicate\"");
  // F.pad pads any rank in constant mode; the other modes are 3-D and 4-D
  // only (ReflectionPad2d, ReplicationPad2d).
  if (constant ? x.size() < 2 : x.size() != 3 && x.size() != 4)
    return ShapeOr::fail(constant ? "input must have rank 2 or more, got " + format(x)
                                  : "mode \"" + std::string(mode) +
                                        "\" needs an input of rank 3 or 4, got " + format(x));
  static const char *side[] = {"left", "right", "top", "bottom"};
  Shape out = x;
  for (int k = 0; k < 2; ++k) {
    size_t axis = x.size() - 1 - k;
    int64_t before = pads[2 * k], after = pads[2 * k + 1], size = x[axis];
    if (isDynamic(size))
      return ShapeOr::fail("cannot pad the run-time batch axis of " + format(x));
    for (int64_t p : {before, after})
      if (p > kMaxDim || p < -kMaxDim)
        return ShapeOr::fail("pad " + str(p) + " is too large (limit " + str(kMaxDim) + ")");
    // PyTorch's reflection reads one mirror image only.
    if (mode == "reflect")
      for (int e = 0; e < 2; ++e)
        if (pads[2 * k + e] >= size)
          return ShapeOr::fail("mode \"reflect\" needs each pad less than its axis: " +
                               std::string(side[2 * k + e]) + "=" + str(pads[2 * k + e]) +
                               " on axis " + str(int64_t(axis)) + " of " + format(x));
    out[axis] = size + before + after;
    if (out[axis] < 1)
      return ShapeOr::fail("pads [" + str(pads[0]) + ", " + str(pads[1]) + ", " + str(pads[2]) +
                           ", " + str(pads[3]) + "] leave axis " + str(int64_t(axis)) + " of " +
                           format(x) + " with size " + str(out[axis]));
    if (out[axis] > kMaxDim)
      return ShapeOr::fail("padded axis " + str(int64_t(axis)) + " is too large (limit " +
                           str(kMaxDim) + ")");
  }
  return checkSize(out);
}

ShapeOr pixelShuffle(const Shape &x, int64_t factor) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  if (factor <= 0 || factor > 65536)
    return ShapeOr::fail("factor=" + str(factor) + " must be a positive int (at most 65536)");
  int64_t square = factor * factor;
  if (x[1] % square != 0)
    return ShapeOr::fail("input " + format(x) + " has " + str(x[1]) +
                         " channels, not divisible by factor*factor=" + str(square));
  Hw out{mulSat(x[2], factor), mulSat(x[3], factor)};
  if (tooLarge(out))
    return tooLargeError("output size", out);
  return {{x[0], x[1] / square, out.h, out.w}, ""};
}

ShapeOr pixelUnshuffle(const Shape &x, int64_t factor) {
  if (auto r = requireRank(x, 4, "input"); !r.ok())
    return r;
  if (factor <= 0 || factor > 65536)
    return ShapeOr::fail("factor=" + str(factor) + " must be a positive int (at most 65536)");
  if (x[2] % factor != 0 || x[3] % factor != 0)
    return ShapeOr::fail("input " + format(x) + " has a height or width not divisible by factor=" +
                         str(factor));
  return checkSize({x[0], mulSat(x[1], factor * factor), x[2] / factor, x[3] / factor});
}

ShapeOr glu(const Shape &x, int64_t axis) {
  auto a = normalizeAxis(axis, static_cast<int64_t>(x.size()));
  if (!a)
    return ShapeOr::fail("axis " + str(axis) + " is out of range for " + format(x));
  if (isDynamic(x[*a]))
    return ShapeOr::fail("cannot halve the run-time batch axis of " + format(x));
  if (x[*a] % 2 != 0)
    return ShapeOr::fail("halving axis " + str(*a) + " of " + format(x) +
                         " needs an even size, got " + str(x[*a]));
  Shape out = x;
  out[*a] /= 2;
  return {out, ""};
}

ShapeOr flatten(const Shape &x, int64_t start) {
  auto axis = normalizeAxis(start, static_cast<int64_t>(x.size()));
  if (!axis)
    return ShapeOr::fail("start=" + str(start) + " is out of range for " + format(x));
  if (*axis == 0 && !x.empty() && isDynamic(x[0]) && x.size() > 1)
    return ShapeOr::fail("flattening from axis 0 would merge the run-time "
                         "batch of " + format(x) + " into the features");
  Shape out(x.begin(), x.begin() + *axis);
  out.push_back(product(x, *axis));
  return {out, ""};
}

ShapeOr reshape(const Shape &x, const Shape &target) {
  int64_t inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0)
        return ShapeOr::fail("shape " + format(target, "-1") +
                             " has more than one -1");
      inferred = static_cast<int64_t>(i);
    } else if (target[i] <= 0) {
      return ShapeOr::fail("shape " + format(target, "-1") +
                           " has a dimension that is not positive");
    }
  }
  bool dynamicBatch = !x.empty() && isDynamic(x[0]);
  Shape out = target;
  if (dynamicBatch) {
    // The batch is known only at run time: it must stay the leading -1.
    if (inferred != 0)
      return ShapeOr::fail("input " + format(x) +
                           " has a run-time batch, so the -1 must be in position 0 of " +
                           format(target, "-1"));
    if (product(x, 1) != product(target, 1))
      return ShapeOr::fail("cannot reshape " + format(x) + " to " +
                           format(target, "-1") + ": the per-sample sizes differ");
    return {out, ""};
  }
  int64_t total = product(x);
  if (inferred >= 0) {
    int64_t rest = 1;
    for (size_t i = 0; i < target.size(); ++i)
      if (static_cast<int64_t>(i) != inferred)
        rest = mulSat(rest, target[i]);
    if (rest > total || total % rest != 0)
      return ShapeOr::fail("cannot reshape " + format(x) + " to " +
                           format(target, "-1"));
    out[inferred] = total / rest;
  } else if (product(target) != total) {
    return ShapeOr::fail("cannot reshape " + format(x) + " (" + str(total) +
                         " elements) to " + format(target));
  }
  return {out, ""};
}

ShapeOr concat(const std::vector<Shape> &inputs, int64_t axis) {
  if (inputs.empty())
    return ShapeOr::fail("needs at least one input");
  const Shape &first = inputs.front();
  auto a = normalizeAxis(axis, static_cast<int64_t>(first.size()));
  if (!a)
    return ShapeOr::fail("axis " + str(axis) + " is out of range for " + format(first));
  Shape out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape &s = inputs[i];
    if (s.size() != first.size())
      return ShapeOr::fail("along axis " + str(*a) + ": shapes " + format(first) +
                           " and " + format(s) + " differ in rank");
    for (size_t d = 0; d < s.size(); ++d) {
      if (static_cast<int64_t>(d) == *a || s[d] == first[d])
        continue;
      return ShapeOr::fail("along axis " + str(*a) + ": shapes " + format(first) +
                           " and " + format(s) + " differ in axis " + str(d));
    }
    if (isDynamic(out[*a]) || isDynamic(s[*a]))
      return ShapeOr::fail("cannot concatenate along the run-time batch axis " +
                           str(*a) + " of " + format(first));
    out[*a] += s[*a];
  }
  return {out, ""};
}

ShapeOr mean(const Shape &x, const std::vector<int64_t> &axes, bool keepdim) {
  int64_t rank = static_cast<int64_t>(x.size());
  std::vector<bool> reduced(x.size(), false);
  for (int64_t axis : axes) {
    auto a = normalizeAxis(axis, rank);
    if (!a)
      return ShapeOr::fail("axis " + str(axis) + " is out of range for " + format(x));
    if (reduced[*a])
      return ShapeOr::fail("axis " + str(*a) + " appears twice");
    reduced[*a] = true;
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      out.push_back(x[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return {out, ""};
}

ShapeOr broadcast(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right, as NumPy does.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else
      return ShapeOr::fail("shapes " + format(a) + " and " + format(b) +
                           " cannot be broadcast together");
  }
  return {out, ""};
}

ShapeOr softmax(const Shape &x, int64_t axis) {
  if (!normalizeAxis(axis, static_cast<int64_t>(x.size())))
    return ShapeOr::fail("axis " + str(axis) + " is out of range for " + format(x));
  return {x, ""};
}

ShapeOr crossEntropy(const Shape &logits, const Shape &labels) {
  if (logits.size() != 2)
    return ShapeOr::fail("logits must be [N, C], got " + format(logits));
  if (labels.size() != 1 || labels[0] != logits[0])
    return ShapeOr::fail("labels " + format(labels) +
                         " must be [N] for logits " + format(logits));
  return {{}, ""};
}

ShapeOr mseLoss(const Shape &a, const Shape &b) {
  if (a != b)
    return ShapeOr::fail("shapes " + format(a) + " and " + format(b) + " differ");
  return {{}, ""};
}

} // namespace cnnopt::shapes
