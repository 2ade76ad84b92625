//===- ShapeOps.cpp - Reshape, Flatten, Concat, Resize and reductions -----===//
//
// Shape ops on run-time tensors become the DSL's reshape/flatten/concat/
// upsample2d/mean; on constants they fold (ConstantOps.cpp). A target shape
// may carry the batch (kBatchSymbol, from Shape): it must stay on axis 0,
// the one place a run-time size can be.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"
#include "frontend/onnx/Ops.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace cnnopt::onnx_import {

namespace {

bool bind(Importer &im, int y) {
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

/// The product of s[from, to).
int64_t product(const Shape &s, size_t from = 0, size_t to = SIZE_MAX) {
  to = std::min(to, s.size());
  return from >= to ? 1
                    : std::accumulate(s.begin() + long(from), s.begin() + long(to), int64_t(1),
                                      std::multiplies<int64_t>());
}

/// ONNX's Reshape rules (0 copies, one -1 infers) on `xs`; the batch, when
/// dynamic, must end on axis 0. Empty with an error otherwise.
std::optional<Shape> resolveReshape(Importer &im, const Shape &xs, std::vector<int64_t> target,
                                    bool allowZero) {
  bool dynamic = !xs.empty() && xs[0] == kDynamic;
  int infer = -1;
  for (size_t k = 0; k < target.size(); ++k) {
    int64_t &d = target[k];
    if (d == 0 && !allowZero) {
      if (k >= xs.size()) {
        im.fail("a 0 in the target shape copies axis " + std::to_string(k) +
                ", which the input " + shapes::format(xs) + " does not have");
        return std::nullopt;
      }
      d = xs[k] == kDynamic ? kBatchSymbol : xs[k];
    }
    if (d == kBatchSymbol && k != 0) {
      im.fail("the target shape moves the batch off axis 0 (a non-constant shape)");
      return std::nullopt;
    }
    if (d == -1) {
      if (infer >= 0) {
        im.fail("the target shape has two -1");
        return std::nullopt;
      }
      infer = int(k);
    } else if (d < 0 && d != kBatchSymbol) {
      im.fail("the target shape has a negative size " + std::to_string(d));
      return std::nullopt;
    } else if (d > shapes::kMaxDim) {
      im.fail("the target shape has a size " + std::to_string(d) + " over " +
              std::to_string(shapes::kMaxDim));
      return std::nullopt;
    }
  }
  // Work per sample when the batch is dynamic: it stays on axis 0.
  if (dynamic) {
    if (target.empty() || (target[0] != kBatchSymbol && target[0] != -1)) {
      im.fail("the target shape fixes the batch axis to " +
              (target.empty() ? std::string("nothing") : std::to_string(target[0])) +
              ", but the input's batch is chosen at run time");
      return std::nullopt;
    }
    if (target[0] == -1)
      infer = -1; // -1 on axis 0 is the batch itself
    target[0] = 1;
  }
  int64_t have = dynamic ? product(xs, 1) : product(xs), known = 1;
  for (size_t k = 0; k < target.size(); ++k) {
    if (int(k) == infer)
      continue;
    if (target[k] && known > shapes::kMaxElements / target[k]) {
      im.fail("the target shape " + shapes::format(target) + " has too many elements");
      return std::nullopt;
    }
    known *= target[k];
  }
  if (infer >= 0) {
    if (known == 0 || have % known) {
      im.fail("cannot reshape " + shapes::format(xs) + " to " + shapes::format(target));
      return std::nullopt;
    }
    target[size_t(infer)] = have / known;
  }
  if (dynamic)
    target[0] = kDynamic;
  return target;
}

/// torch.onnx.export writes GroupNorm(G) as Reshape to [N, G, -1] ->
/// InstanceNormalization (unit scale, zero bias) -> Reshape back -> Mul ->
/// Add. At the second Reshape the first three become one group_norm
/// (without affine: Mul and Add fold into it, ElementOps.cpp). Returns the
/// group_norm's value, -1 on error, -2 when the pattern is not there.
int groupNormFromReshape(Importer &im, int v, const Shape &target) {
  const GraphNode *norm = im.lastNodeComputing(v);
  if (!norm || norm->op != "instance_norm" || norm->operands.size() != 1 ||
      !im.usedOnlyHere(v))
    return -2;
  int u = norm->operands[0];
  const GraphNode *split = im.lastNodeComputing(u, 1);
  if (!split || split->op != "reshape" || !im.unusedLater(u))
    return -2;
  int t = split->operands[0];
  Shape ts = im.shapeOf(t), us = im.shapeOf(u);
  if (ts.size() < 3 || target != ts || us.size() != 3 || ts[1] % us[1] != 0)
    return -2;
  int64_t groups = us[1];
  double eps = std::get<double>(norm->attrs.at("eps"));
  im.dropLastNode();
  im.dropLastNode();
  return im.emit("group_norm", {t}, {{"groups", groups}, {"eps", eps}, {"affine", false}},
                 shapes::groupNorm(ts, groups));
}

bool convertReshape(Importer &im) {
  if (!im.checkAttributes({"allowzero", "shape"}))
    return false;
  const Slot *data = im.input(0);
  if (!data)
    return false;
  std::vector<int64_t> target;
  if (im.opset() < 5 || im.has("shape")) {
    target = im.attrInts("shape");
  } else {
    const Constant *shape = im.constantInput(1, "the target shape");
    if (!shape)
      return false;
    target = shape->ints();
  }
  Shape xs = data->constant ? data->constant->dims : im.shapeOf(data->tensor);
  std::optional<Shape> resolved = resolveReshape(im, xs, target, im.attrInt("allowzero", 0));
  if (!resolved)
    return false;
  if (data->constant) {
    if (product(*resolved) != data->constant->size())
      return im.fail("cannot reshape " + shapes::format(xs) + " to " + shapes::format(*resolved));
    return foldReshape(im, *data->constant, *resolved);
  }
  int norm = groupNormFromReshape(im, data->tensor, *resolved);
  if (norm != -2)
    return bind(im, norm);
  return bind(im, reshapeTensor(im, data->tensor, *resolved));
}

bool convertFlatten(Importer &im) {
  if (!im.checkAttributes({"axis"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  Shape xs = im.shapeOf(x);
  int64_t rank = int64_t(xs.size());
  int64_t axis = im.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return im.fail("axis " + std::to_string(im.attrInt("axis", 1)) + " is out of range for " +
                   shapes::format(xs));
  if (axis == 1)
    return bind(im, im.emit("flatten", {x}, {{"start", int64_t(1)}}, shapes::flatten(xs, 1)));
  if (xs[0] == kDynamic)
    return im.fail("Flatten with axis " + std::to_string(axis) +
                   " merges the run-time batch with other axes");
  return bind(im, reshapeTensor(im, x, {product(xs, 0, size_t(axis)), product(xs, size_t(axis))}));
}

bool convertConcat(Importer &im) {
  if (!im.checkAttributes({"axis"}))
    return false;
  size_t count = im.inputCount();
  std::vector<const Constant *> constants;
  for (size_t k = 0; k < count; ++k) {
    const Slot *slot = im.input(k);
    if (!slot)
      return false;
    if (slot->constant)
      constants.push_back(&*slot->constant);
  }
  if (count == 0)
    return im.fail("Concat needs at least one input");
  int64_t rank = constants.size() == count ? int64_t(constants.front()->dims.size())
                                           : -1;
  if (constants.size() == count) {
    std::optional<int64_t> axis = shapes::normalizeAxis(im.attrInt("axis", 0), rank);
    if (!axis)
      return im.fail("axis " + std::to_string(im.attrInt("axis", 0)) + " is out of range");
    return foldConcat(im, constants, *axis);
  }
  std::vector<int> operands;
  std::vector<Shape> shapesIn;
  for (size_t k = 0; k < count; ++k) {
    int t = im.tensorInput(k);
    if (t < 0)
      return false;
    operands.push_back(t);
    shapesIn.push_back(im.shapeOf(t));
  }
  std::optional<int64_t> axis =
      shapes::normalizeAxis(im.attrInt("axis", 1), int64_t(shapesIn.front().size()));
  if (!axis)
    return im.fail("axis " + std::to_string(im.attrInt("axis", 1)) + " is out of range for " +
                   shapes::format(shapesIn.front()));
  return bind(im, im.emit("concat", operands, {{"axis", *axis}}, shapes::concat(shapesIn, *axis)));
}

/// The `axes` of (Un)Squeeze: an attribute before opset 13, then an input.
bool axesOperand(Importer &im, std::vector<int64_t> &axes) {
  if (im.opset() < 13) {
    axes = im.attrInts("axes");
    return true;
  }
  if (!im.hasInput(1))
    return true;
  const Constant *c = im.constantInput(1, "the axes");
  if (c)
    axes = c->ints();
  return c != nullptr;
}

/// Unsqueeze's result dims: a 1 inserted at each axis.
bool unsqueezeDims(Importer &im, const Shape &xs, const std::vector<int64_t> &axes, Shape &out) {
  int64_t rank = int64_t(xs.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    std::optional<int64_t> axis = shapes::normalizeAxis(a, rank);
    if (!axis || inserted[size_t(*axis)])
      return im.fail("axis " + std::to_string(a) + " is out of range or repeated");
    inserted[size_t(*axis)] = true;
  }
  size_t next = 0;
  for (int64_t k = 0; k < rank; ++k)
    out.push_back(inserted[size_t(k)] ? 1 : xs[next++]);
  return true;
}

/// Squeeze's result dims: the axes (or every size-1 axis) dropped.
bool squeezeDims(Importer &im, const Shape &xs, const std::vector<int64_t> &axes, Shape &out) {
  int64_t rank = int64_t(xs.size());
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    std::optional<int64_t> axis = shapes::normalizeAxis(a, rank);
    if (!axis || xs[size_t(*axis)] != 1)
      return im.fail("axis " + std::to_string(a) + " of " + shapes::format(xs) +
                     " is out of range or not of size 1");
    drop[size_t(*axis)] = true;
  }
  for (int64_t k = 0; k < rank; ++k)
    if (!(axes.empty() ? xs[size_t(k)] == 1 : drop[size_t(k)]))
      out.push_back(xs[size_t(k)]);
  return true;
}

/// (Un)Squeeze change only the dims: a reshape of a tensor, or new dims
/// for a constant.
template <bool (*Dims)(Importer &, const Shape &, const std::vector<int64_t> &, Shape &)>
bool convertAxesReshape(Importer &im) {
  if (!im.checkAttributes({"axes"}))
    return false;
  const Slot *data = im.input(0);
  std::vector<int64_t> axes;
  if (!data || !axesOperand(im, axes))
    return false;
  Shape xs = data->constant ? data->constant->dims : im.shapeOf(data->tensor), out;
  if (!Dims(im, xs, axes, out))
    return false;
  if (data->constant)
    return foldReshape(im, *data->constant, out);
  return bind(im, reshapeTensor(im, data->tensor, out));
}

/// The integer factor `out / in`, or 0 when it is not one.
int64_t integerFactor(double scale) {
  double rounded = std::round(scale);
  return rounded >= 1 && std::abs(scale - rounded) < 1e-6 ? int64_t(rounded) : 0;
}

bool convertResize(Importer &im) {
  bool isUpsample = im.node().op_type() == "Upsample";
  if (!im.checkAttributes({"mode", "scales", "coordinate_transformation_mode", "nearest_mode",
                           "cubic_coeff_a", "exclude_outside", "extrapolation_value"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  Shape xs = im.shapeOf(x);
  if (xs.size() != 4)
    return im.fail("only 2-D inputs ([N, C, H, W]) are supported, got " + shapes::format(xs));
  std::vector<double> scales;
  if (im.has("scales")) { // Upsample before opset 9
    const onnx::NodeProto &n = im.node();
    for (const onnx::AttributeProto &a : n.attribute())
      if (a.name() == "scales")
        scales.assign(a.floats().begin(), a.floats().end());
  } else {
    // Upsample-9 and Resize-10: [x, scales]; Resize-11+: [x, roi, scales, sizes].
    size_t scalesAt = isUpsample || im.opset() < 11 ? 1 : 2;
    if (im.hasInput(scalesAt)) {
      const Constant *s = im.constantInput(scalesAt, "the scales");
      if (!s)
        return false;
      for (int64_t k = 0; k < s->size(); ++k)
        scales.push_back(s->at(k));
    }
    if (scales.empty() && im.hasInput(3)) {
      const Constant *sizes = im.constantInput(3, "the sizes");
      if (!sizes)
        return false;
      std::vector<int64_t> v = sizes->ints();
      if (v.size() != 4)
        return im.fail("sizes must have 4 values, got " + shapes::format(v));
      for (size_t k = 0; k < 4; ++k)
        scales.push_back(k < 2 ? 1.0 : double(v[k]) / double(xs[k]));
    }
  }
  if (scales.size() != 4 || scales[0] != 1 || scales[1] != 1)
    return im.fail("only resizing H and W is supported (scales [1, 1, s, s])");
  int64_t factor = integerFactor(scales[2]);
  if (!factor || factor != integerFactor(scales[3]))
    return im.fail("only the same integer scale on H and W is supported, got " +
                   std::to_string(scales[2]) + " and " + std::to_string(scales[3]));
  std::string mode = im.attrString("mode", "nearest");
  std::string coords = im.attrString("coordinate_transformation_mode",
                                     isUpsample || im.opset() < 11 ? "asymmetric" : "half_pixel");
  std::string nearest = im.attrString("nearest_mode", "round_prefer_floor");
  bool halfPixel = coords == "half_pixel" || coords == "pytorch_half_pixel";
  std::string ours;
  // With an integer scale, half-pixel rounding and asymmetric flooring both
  // pick source pixel dst / s, PyTorch's nearest.
  if (mode == "nearest" && ((coords == "asymmetric" && (nearest == "floor" || isUpsample ||
                                                        im.opset() < 11)) ||
                            (halfPixel && nearest != "floor" && nearest != "ceil")))
    ours = "nearest";
  else if ((mode == "linear" || mode == "bilinear") && halfPixel)
    ours = "bilinear";
  if (ours.empty())
    return im.fail("mode '" + mode + "' with coordinate_transformation_mode '" + coords +
                     "' and nearest_mode '" + nearest +
                     "' is not supported (PyTorch's nearest and bilinear with "
                     "align_corners=False are)");
  return bind(im, im.emit("upsample2d", {x}, {{"scale", factor}, {"mode", ours}},
                          shapes::upsample2d(xs, factor)));
}

bool convertReduceMean(Importer &im) {
  if (!im.checkAttributes({"axes", "keepdims", "noop_with_empty_axes"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  int64_t rank = int64_t(im.shapeOf(x).size());
  std::vector<int64_t> axes = im.attrInts("axes");
  if (axes.empty())
    for (int64_t k = 0; k < rank; ++k)
      axes.push_back(k);
  for (int64_t &a : axes) {
    std::optional<int64_t> axis = shapes::normalizeAxis(a, rank);
    if (!axis)
      return im.fail("axis " + std::to_string(a) + " is out of range");
    a = *axis;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  bool keep = im.attrInt("keepdims", 1) != 0;
  return bind(im, im.emit("mean", {x}, {{"axes", axes}, {"keepdim", keep}},
                          shapes::mean(im.shapeOf(x), axes, keep)));
}

/// Pad of the last two axes (F.pad's forms): constant, reflect, edge.
bool convertPad(Importer &im) {
  if (!im.checkAttributes({"mode", "pads", "value"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  Shape xs = im.shapeOf(x);
  std::vector<int64_t> pads;
  double value = im.attrFloat("value", 0.0f);
  if (im.opset() < 11) {
    pads = im.attrInts("pads");
  } else {
    const Constant *p = im.constantInput(1, "the pads");
    if (!p)
      return false;
    pads = p->ints();
    if (im.hasInput(2)) {
      const Constant *v = im.constantInput(2, "the constant value");
      if (!v)
        return false;
      value = v->size() ? v->at(0) : 0.0;
    }
  }
  size_t rank = xs.size();
  if (pads.size() != 2 * rank)
    return im.fail("pads has " + std::to_string(pads.size()) + " values for a rank-" +
                   std::to_string(rank) + " input");
  for (size_t a = 0; a + 2 < rank; ++a)
    if (pads[a] || pads[a + rank])
      return im.fail("only the last two axes may be padded (pad2d)");
  std::string mode = im.attrString("mode", "constant");
  static const std::map<std::string, std::string> modes{
      {"constant", "constant"}, {"reflect", "reflect"}, {"edge", "replicate"}};
  auto found = modes.find(mode);
  if (found == modes.end())
    return im.fail("mode '" + mode + "' is not supported (constant, reflect and edge are)");
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) {
    im.setOutput(0, x);
    return true;
  }
  // ONNX: [x1_begin, x2_begin, ..., x1_end, x2_end]; pad2d: [left, right, top, bottom].
  std::vector<int64_t> ours{pads[rank - 1], pads[2 * rank - 1], pads[rank - 2], pads[2 * rank - 2]};
  return bind(im, im.emit("pad2d", {x}, {{"pads", ours}, {"mode", found->second}, {"value", value}},
                          shapes::pad2d(xs, ours, found->second)));
}

/// DepthToSpace in CRD mode is pixel_shuffle.
bool convertDepthToSpace(Importer &im) {
  if (!im.checkAttributes({"blocksize", "mode"}))
    return false;
  std::string mode = im.attrString("mode", "DCR");
  if (mode != "CRD")
    return im.fail("mode '" + mode + "' is not supported (CRD, PyTorch's pixel_shuffle, is)");
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  int64_t factor = im.attrInt("blocksize", 0);
  return bind(im, im.emit("pixel_shuffle", {x}, {{"factor", factor}},
                          shapes::pixelShuffle(im.shapeOf(x), factor)));
}

/// Split in two equal halves: the first step of torch's GLU export; the
/// halves meet again in Sigmoid and Mul (ElementOps.cpp).
bool convertSplit(Importer &im) {
  if (!im.checkAttributes({"axis", "split", "num_outputs"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  Shape xs = im.shapeOf(x);
  std::optional<int64_t> axis = shapes::normalizeAxis(im.attrInt("axis", 0), int64_t(xs.size()));
  if (!axis)
    return im.fail("axis " + std::to_string(im.attrInt("axis", 0)) + " is out of range");
  std::vector<int64_t> sizes = im.attrInts("split");
  if (im.opset() >= 13 && im.hasInput(1)) {
    const Constant *c = im.constantInput(1, "the split sizes");
    if (!c)
      return false;
    sizes = c->ints();
  }
  int64_t extent = xs[size_t(*axis)];
  bool halves = im.node().output_size() == 2 && extent != kDynamic && extent % 2 == 0 &&
                (sizes.empty() || (sizes.size() == 2 && sizes[0] == extent / 2 &&
                                   sizes[1] == extent / 2));
  if (!halves)
    return im.fail("only a split into two equal halves (GLU's) is supported");
  im.setOutput(0, GluPart{x, *axis, 0, false});
  im.setOutput(1, GluPart{x, *axis, 1, false});
  return true;
}

} // namespace

int reshapeTensor(Importer &im, int x, const Shape &target) {
  if (im.shapeOf(x) == target)
    return x;
  Shape written = target;
  for (size_t k = 0; k < written.size(); ++k)
    if (written[k] == kDynamic) {
      if (k != 0) {
        im.fail("the batch would leave axis 0 (shape " + shapes::format(target) + ")");
        return -1;
      }
      written[k] = -1;
    }
  return im.emit("reshape", {x}, {{"shape", written}}, shapes::reshape(im.shapeOf(x), written));
}

void addShapeConverters(std::map<std::string, Converter> &table) {
  table["Reshape"] = convertReshape;
  table["Flatten"] = convertFlatten;
  table["Concat"] = convertConcat;
  table["Unsqueeze"] = convertAxesReshape<unsqueezeDims>;
  table["Squeeze"] = convertAxesReshape<squeezeDims>;
  table["Resize"] = convertResize;
  table["Upsample"] = convertResize;
  table["ReduceMean"] = convertReduceMean;
  table["Pad"] = convertPad;
  table["DepthToSpace"] = convertDepthToSpace;
  table["Split"] = convertSplit;
}

} // namespace cnnopt::onnx_import
