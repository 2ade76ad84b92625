//===- LayerOps.cpp - Conv, Gemm, norms and pools from ONNX ---------------===//
//
// Ops with parameters take their weights from constants (initializers), so
// they become parameters named as in the ONNX graph. Only 2-D windows (rank-4
// inputs) are supported, as in the DSL. Gemm/MatMul weights are stored as
// nn.Linear's [out, in], transposed (and scaled by alpha/beta) at import.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"
#include "frontend/onnx/Ops.h"

#include <limits>

namespace cnnopt::onnx_import {

namespace {

using shapes::Hw;

/// "[1, 2, 3]": attribute lists (shapes::format would print -1 as the batch).
std::string text(const std::vector<int64_t> &v) {
  std::string out = "[";
  for (size_t k = 0; k < v.size(); ++k)
    out += (k ? ", " : "") + std::to_string(v[k]);
  return out + "]";
}

/// Input 0 as a tensor of rank 4 (N, C, H, W); -1 with an error otherwise.
int image(Importer &im) {
  int x = im.tensorInput(0);
  if (x >= 0 && im.shapeOf(x).size() != 4) {
    im.fail("only 2-D inputs ([N, C, H, W]) are supported, got " +
            shapes::format(im.shapeOf(x)));
    return -1;
  }
  return x;
}

/// A 2-element attribute (strides, dilations) with default `one`.
bool pairAttr(Importer &im, const std::string &name, std::vector<int64_t> &out) {
  out = im.attrInts(name, {1, 1});
  if (out.size() != 2)
    return im.fail("'" + name + "' must have 2 values for a 2-D op, got " + text(out));
  return true;
}

int weightParam(Importer &im, size_t k, const char *role) {
  const Constant *w = im.constantInput(k, std::string("the ") + role);
  if (!w)
    return -1;
  if (!w->isFloat) {
    im.fail(std::string("the ") + role + " must be float");
    return -1;
  }
  return im.param(im.inputName(k), *w, role, true);
}

bool convertConv(Importer &im) {
  if (!im.checkAttributes({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}))
    return false;
  int x = image(im);
  int w = x >= 0 ? weightParam(im, 1, "weight") : -1;
  if (w < 0)
    return false;
  const Shape &ws = im.shapeOf(w);
  if (ws.size() != 4)
    return im.fail("the weight must have rank 4, got " + text(ws));
  std::vector<int64_t> kernel{ws[2], ws[3]}, strides, dilations, pads;
  if (im.has("kernel_shape") && im.attrInts("kernel_shape") != kernel)
    return im.fail("kernel_shape " + text(im.attrInts("kernel_shape")) +
                   " differs from the weight's " + text(kernel));
  if (!pairAttr(im, "strides", strides) || !pairAttr(im, "dilations", dilations) ||
      !windowPadding(im, im.shapeOf(x), kernel, strides, dilations, pads))
    return false;
  std::vector<int> operands{x, w};
  if (im.hasInput(2)) {
    int b = weightParam(im, 2, "bias");
    if (b < 0)
      return false;
    operands.push_back(b);
  }
  int64_t groups = im.attrInt("group", 1);
  if (groups < 1)
    return im.fail("group must be positive, got " + std::to_string(groups));
  shapes::ShapeOr shape = shapes::conv2d(
      im.shapeOf(x), ws, Hw{strides[0], strides[1]},
      shapes::Pad4{pads[0], pads[1], pads[2], pads[3]}, Hw{dilations[0], dilations[1]}, groups);
  if (operands.size() == 3 && shape.ok() && im.shapeOf(operands[2]) != Shape{ws[0]})
    return im.fail("the bias has shape " + text(im.shapeOf(operands[2])) + ", expected [" +
                   std::to_string(ws[0]) + "]");
  int y = im.emit("conv2d", operands,
                  {{"stride", strides}, {"padding", pads}, {"dilation", dilations},
                   {"groups", groups}},
                  shape);
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertConvTranspose(Importer &im) {
  if (!im.checkAttributes({"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
                           "output_shape", "pads", "strides"}))
    return false;
  int x = image(im);
  int w = x >= 0 ? weightParam(im, 1, "weight") : -1;
  if (w < 0)
    return false;
  const Shape &ws = im.shapeOf(w), &xs = im.shapeOf(x);
  if (ws.size() != 4)
    return im.fail("the weight must have rank 4, got " + text(ws));
  std::vector<int64_t> strides, dilations;
  if (!pairAttr(im, "strides", strides) || !pairAttr(im, "dilations", dilations))
    return false;
  std::vector<int64_t> outPad = im.attrInts("output_padding", {0, 0});
  std::vector<int64_t> pads = im.attrInts("pads", {0, 0, 0, 0});
  std::string autoPad = im.attrString("auto_pad", "NOTSET");
  if (outPad.size() != 2 || pads.size() != 4)
    return im.fail("output_padding needs 2 values and pads 4");
  if (im.has("output_shape") || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // ONNX derives the padding from the wanted output size.
    std::vector<int64_t> wanted = im.attrInts("output_shape");
    if (wanted.size() > 2)
      wanted.erase(wanted.begin(), wanted.end() - 2);
    for (int a = 0; a < 2; ++a) {
      int64_t out = wanted.size() == 2 ? wanted[a] : xs[2 + a] * strides[a];
      int64_t total = strides[a] * (xs[2 + a] - 1) + outPad[a] +
                      (ws[2 + a] - 1) * dilations[a] + 1 - out;
      if (total < 0) { // a larger output than the window gives: extra rows at the end
        outPad[a] -= total;
        total = 0;
      }
      int64_t half = total / 2;
      pads[a] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[a + 2] = total - pads[a];
    }
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (autoPad != "NOTSET") {
    return im.fail("auto_pad '" + autoPad + "' is not supported");
  }
  // PyTorch's padding is symmetric: the common part goes to the op, the
  // rest is cropped after it (pad2d with negative pads).
  std::vector<int64_t> padding{std::min(pads[0], pads[2]), std::min(pads[1], pads[3])};
  std::vector<int64_t> crop{padding[1] - pads[1], padding[1] - pads[3], padding[0] - pads[0],
                            padding[0] - pads[2]};
  int64_t groups = im.attrInt("group", 1);
  if (groups < 1)
    return im.fail("group must be positive, got " + std::to_string(groups));
  std::vector<int> operands{x, w};
  if (im.hasInput(2)) {
    int b = weightParam(im, 2, "bias");
    if (b < 0)
      return false;
    if (im.shapeOf(b) != Shape{ws[1] * groups})
      return im.fail("the bias has shape " + text(im.shapeOf(b)) + ", expected [" +
                     std::to_string(ws[1] * groups) + "]");
    operands.push_back(b);
  }
  shapes::ShapeOr shape = shapes::convTranspose2d(
      xs, ws, Hw{strides[0], strides[1]}, Hw{padding[0], padding[1]}, Hw{outPad[0], outPad[1]},
      Hw{dilations[0], dilations[1]}, groups);
  int y = im.emit("conv_transpose2d", operands,
                  {{"stride", strides}, {"padding", padding}, {"output_padding", outPad},
                   {"dilation", dilations}, {"groups", groups}},
                  shape);
  if (y >= 0 && crop != std::vector<int64_t>{0, 0, 0, 0})
    y = im.emit("pad2d", {y}, {{"pads", crop}, {"mode", std::string("constant")}, {"value", 0.0}},
                shapes::pad2d(im.shapeOf(y), crop, "constant"));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

/// [rows, cols] -> [cols, rows], times `scale`.
Constant transposed(const Constant &m, float scale, bool transpose) {
  int64_t rows = m.dims[0], cols = m.dims[1];
  if (!transpose) {
    Constant out = Constant::ofFloats(m.f, m.dims);
    for (float &v : out.f)
      v *= scale;
    return out;
  }
  std::vector<float> t(m.f.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      t[size_t(c * rows + r)] = m.f[size_t(r * cols + c)] * scale;
  return Constant::ofFloats(std::move(t), {cols, rows});
}

/// linear(x, weight [out, in], bias?) from a constant matrix.
bool linear(Importer &im, int x, const Constant &weight, const std::string &weightName,
            const Constant *bias, const std::string &biasName) {
  int w = im.param(weightName, weight, "weight", true);
  if (w < 0)
    return false;
  std::vector<int> operands{x, w};
  if (bias) {
    int b = im.param(biasName, *bias, "bias", true);
    if (b < 0)
      return false;
    operands.push_back(b);
  }
  int y = im.emit("linear", operands, {}, shapes::linear(im.shapeOf(x), im.shapeOf(w)));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertGemm(Importer &im) {
  if (!im.checkAttributes({"alpha", "beta", "transA", "transB", "broadcast"}))
    return false;
  if (im.attrInt("transA", 0))
    return im.fail("transA=1 is not supported (the input must be [batch, features])");
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  if (im.shapeOf(x).size() != 2)
    return im.fail("the input must have rank 2, got " + text(im.shapeOf(x)));
  const Constant *b = im.constantInput(1, "B (the weight)");
  if (!b)
    return false;
  if (!b->isFloat || b->dims.size() != 2)
    return im.fail("B must be a float matrix, got " + text(b->dims));
  Constant weight = transposed(*b, im.attrFloat("alpha", 1.0f), im.attrInt("transB", 0) == 0);
  int64_t out = weight.dims[0];
  std::optional<Constant> bias;
  if (im.hasInput(2)) {
    const Constant *c = im.constantInput(2, "C (the bias)");
    if (!c)
      return false;
    int64_t count = c->size();
    bool rowVector = count == out && (c->dims.size() <= 1 || c->dims.front() == 1);
    if (!c->isFloat || !(rowVector || count == 1))
      return im.fail("C must broadcast as a bias over [" + std::to_string(out) +
                     "] features, got " + text(c->dims));
    float beta = im.attrFloat("beta", 1.0f);
    std::vector<float> values(static_cast<size_t>(out));
    for (int64_t k = 0; k < out; ++k)
      values[size_t(k)] = c->f[size_t(count == 1 ? 0 : k)] * beta;
    bias = Constant::ofFloats(values, {out});
  }
  return linear(im, x, weight, im.inputName(1), bias ? &*bias : nullptr,
                im.hasInput(2) ? im.inputName(2) : "");
}

bool convertMatMul(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  const Slot *b = im.input(1);
  if (!b)
    return false;
  if (!b->constant)
    return im.fail("MatMul of two run-time tensors is not supported (the second operand "
                   "must be a weight)");
  if (!b->constant->isFloat || b->constant->dims.size() != 2)
    return im.fail("the weight must be a float matrix, got " + text(b->constant->dims));
  if (im.shapeOf(x).size() < 2)
    return im.fail("the input must have rank 2 or more, got " + text(im.shapeOf(x)));
  return linear(im, x, transposed(*b->constant, 1.0f, true), im.inputName(1), nullptr, "");
}

/// Norm parameters: weight and bias trainable, statistics buffers.
int normParam(Importer &im, size_t k, const char *role, bool trainable) {
  const Constant *c = im.constantInput(k, std::string("the ") + role);
  if (!c)
    return -1;
  if (!c->isFloat) {
    im.fail(std::string("the ") + role + " must be float");
    return -1;
  }
  return im.param(im.inputName(k), *c, role, trainable);
}

bool convertBatchNorm(Importer &im) {
  if (!im.checkAttributes({"epsilon", "momentum", "spatial", "is_test", "consumed_inputs",
                           "training_mode"}))
    return false;
  if (im.attrInt("training_mode", 0))
    return im.fail("training_mode=1 (batch statistics) is not supported; export the model "
                   "in eval mode");
  if (im.attrInt("spatial", 1) != 1)
    return im.fail("spatial=0 is not supported");
  if (!im.onlyOutputs(1))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  std::vector<int> operands{x};
  const char *roles[] = {"weight", "bias", "running_mean", "running_var"};
  for (size_t k = 1; k <= 4; ++k) {
    int p = normParam(im, k, roles[k - 1], k <= 2);
    if (p < 0)
      return false;
    const Shape &xs = im.shapeOf(x);
    if (xs.size() < 2 || im.shapeOf(p) != Shape{xs[1]})
      return im.fail(std::string("the ") + roles[k - 1] + " has shape " + text(im.shapeOf(p)) +
                     " for an input " + shapes::format(xs));
    operands.push_back(p);
  }
  // ONNX's momentum weighs the running value, PyTorch's the batch's.
  double momentum = shortestDecimal(float(1.0 - im.attrFloat("momentum", 0.9f)));
  int y = im.emit("batch_norm", operands,
                  {{"eps", (im.attrFloat("epsilon", 1e-5f))}, {"momentum", momentum},
                   {"affine", true}},
                  shapes::batchNorm(im.shapeOf(x)));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool allEqual(const Constant &c, float value) {
  for (float v : c.f)
    if (v != value)
      return false;
  return true;
}

bool convertInstanceNorm(Importer &im) {
  if (!im.checkAttributes({"epsilon"}))
    return false;
  int x = im.tensorInput(0);
  const Constant *scale = x >= 0 ? im.constantInput(1, "the scale") : nullptr;
  const Constant *bias = scale ? im.constantInput(2, "the bias") : nullptr;
  if (!bias)
    return false;
  Shape xs = im.shapeOf(x);
  for (const Constant *c : {scale, bias})
    if (!c->isFloat || xs.size() < 2 || c->dims != Shape{xs[1]})
      return im.fail("scale and bias must be float [" +
                     (xs.size() < 2 ? std::string("C") : std::to_string(xs[1])) + "], got " +
                     text(c->dims));
  std::vector<int> operands{x};
  // torch.onnx.export writes GroupNorm as Reshape -> InstanceNormalization
  // with unit scale and zero bias -> Reshape -> Mul -> Add: no affine here.
  bool affine = !(allEqual(*scale, 1.0f) && allEqual(*bias, 0.0f));
  if (affine) {
    int w = normParam(im, 1, "weight", true), b = w >= 0 ? normParam(im, 2, "bias", true) : -1;
    if (b < 0)
      return false;
    operands.push_back(w);
    operands.push_back(b);
  }
  int y = im.emit("instance_norm", operands,
                  {{"eps", (im.attrFloat("epsilon", 1e-5f))}, {"affine", affine}},
                  shapes::instanceNorm(im.shapeOf(x)));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertLayerNorm(Importer &im) {
  if (!im.checkAttributes({"axis", "epsilon", "stash_type"}))
    return false;
  if (!im.onlyOutputs(1))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  int64_t rank = int64_t(im.shapeOf(x).size());
  std::optional<int64_t> axis = shapes::normalizeAxis(im.attrInt("axis", -1), rank);
  if (!axis || *axis == 0)
    return im.fail("axis " + std::to_string(im.attrInt("axis", -1)) +
                   " must leave the batch axis out of the normalised ones");
  int w = normParam(im, 1, "weight", true);
  if (w < 0)
    return false;
  Shape xs = im.shapeOf(x);
  Shape normalized(xs.begin() + *axis, xs.end());
  int b;
  if (im.hasInput(2)) {
    b = normParam(im, 2, "bias", true);
  } else {
    int64_t count = 1;
    for (int64_t d : normalized)
      count *= d;
    if (!im.checkFoldedSize(count))
      return false;
    b = im.param(im.inputName(1) + "_bias", Constant::ofFloats(std::vector<float>(size_t(count)), normalized),
                 "bias", true);
  }
  if (b < 0)
    return false;
  if (im.shapeOf(w) != normalized || im.shapeOf(b) != normalized)
    return im.fail("scale and bias must have the normalised shape " + text(normalized));
  int y = im.emit("layer_norm", {x, w, b},
                  {{"dims", rank - *axis}, {"eps", (im.attrFloat("epsilon", 1e-5f))},
                   {"affine", true}},
                  shapes::layerNorm(im.shapeOf(x), rank - *axis));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertPool(Importer &im, bool isMax) {
  std::set<std::string> allowed{"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides"};
  if (isMax) {
    allowed.insert("dilations");
    allowed.insert("storage_order");
  } else {
    allowed.insert("count_include_pad");
  }
  if (!im.checkAttributes(allowed) || !im.onlyOutputs(1))
    return false;
  int x = image(im);
  if (x < 0)
    return false;
  std::vector<int64_t> kernel = im.attrInts("kernel_shape"), strides, dilations, pads;
  if (kernel.size() != 2)
    return im.fail("kernel_shape must have 2 values, got " + text(kernel));
  if (!pairAttr(im, "strides", strides) || !pairAttr(im, "dilations", dilations) ||
      !windowPadding(im, im.shapeOf(x), kernel, strides, dilations, pads))
    return false;
  bool countPad = im.attrInt("count_include_pad", 0) != 0;
  if (pads[0] != pads[2] || pads[1] != pads[3]) {
    // PyTorch pools pad symmetrically: pad first, with what the pool would
    // ignore (max) or count (average with count_include_pad).
    if (!isMax && !countPad)
      return im.fail("asymmetric padding " + text(pads) +
                     " is not supported for average pooling without count_include_pad");
    std::vector<int64_t> ours{pads[1], pads[3], pads[0], pads[2]};
    double fill = isMax ? -std::numeric_limits<float>::max() : 0.0;
    x = im.emit("pad2d", {x}, {{"pads", ours}, {"mode", std::string("constant")}, {"value", fill}},
                shapes::pad2d(im.shapeOf(x), ours, "constant"));
    if (x < 0)
      return false;
    pads.assign(4, 0);
  }
  std::vector<int64_t> padding{pads[0], pads[1]};
  bool ceil = im.attrInt("ceil_mode", 0) != 0;
  Hw k{kernel[0], kernel[1]}, s{strides[0], strides[1]}, p{padding[0], padding[1]};
  AttrMap attrs{{"kernel", kernel}, {"stride", strides}, {"padding", padding}, {"ceil_mode", ceil}};
  int y;
  if (isMax) {
    attrs["dilation"] = dilations;
    y = im.emit("max_pool2d", {x}, attrs,
                shapes::maxPool2d(im.shapeOf(x), k, s, p, Hw{dilations[0], dilations[1]}, ceil));
  } else {
    attrs["count_include_pad"] = countPad;
    y = im.emit("avg_pool2d", {x}, attrs, shapes::avgPool2d(im.shapeOf(x), k, s, p, ceil));
  }
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertMaxPool(Importer &im) { return convertPool(im, true); }
bool convertAveragePool(Importer &im) { return convertPool(im, false); }

bool convertGlobalPool(Importer &im, bool isMax) {
  if (!im.checkAttributes({}))
    return false;
  int x = image(im);
  if (x < 0)
    return false;
  std::vector<int64_t> one{1, 1};
  int y = im.emit(isMax ? "adaptive_max_pool2d" : "adaptive_avg_pool2d", {x}, {{"size", one}},
                  shapes::adaptivePool2d(im.shapeOf(x), Hw{1, 1}));
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

bool convertGlobalAveragePool(Importer &im) { return convertGlobalPool(im, false); }
bool convertGlobalMaxPool(Importer &im) { return convertGlobalPool(im, true); }

} // namespace

bool windowPadding(Importer &im, const Shape &x, const std::vector<int64_t> &kernel,
                   const std::vector<int64_t> &strides, const std::vector<int64_t> &dilations,
                   std::vector<int64_t> &pads) {
  std::string autoPad = im.attrString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    pads = im.attrInts("pads", {0, 0, 0, 0});
    if (pads.size() != 4)
      return im.fail("'pads' must have 4 values for a 2-D op, got " + text(pads));
    for (int64_t p : pads)
      if (p < 0)
        return im.fail("negative padding " + text(pads) + " is not supported");
    return true;
  }
  if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
    return true;
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return im.fail("auto_pad '" + autoPad + "' is not supported");
  pads.assign(4, 0);
  for (int a = 0; a < 2; ++a) {
    int64_t in = x[2 + a], out = (in + strides[a] - 1) / strides[a];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - in);
    int64_t small = total / 2;
    pads[a] = autoPad == "SAME_UPPER" ? small : total - small;
    pads[a + 2] = total - pads[a];
  }
  return true;
}

void addLayerConverters(std::map<std::string, Converter> &table) {
  table["Conv"] = convertConv;
  table["ConvTranspose"] = convertConvTranspose;
  table["Gemm"] = convertGemm;
  table["MatMul"] = convertMatMul;
  table["BatchNormalization"] = convertBatchNorm;
  table["InstanceNormalization"] = convertInstanceNorm;
  table["LayerNormalization"] = convertLayerNorm;
  table["MaxPool"] = convertMaxPool;
  table["AveragePool"] = convertAveragePool;
  table["GlobalAveragePool"] = convertGlobalAveragePool;
  table["GlobalMaxPool"] = convertGlobalMaxPool;
}

} // namespace cnnopt::onnx_import
