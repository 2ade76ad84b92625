//===- ConstantOps.cpp - Shape computations folded at import --------------===//
//
// torch.onnx.export writes `x.view(x.size(0), -1)` as Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape. Every shape here is known at compile time
// except the batch, so these ops are evaluated on constants; the batch
// travels as kBatchSymbol and may only end in a Reshape (ShapeOps.cpp).
// Anything that would compute with the batch is a "non-constant shape" error.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"
#include "frontend/onnx/Ops.h"

#include <algorithm>
#include <cmath>

namespace cnnopt::onnx_import {

namespace {


bool convertConstant(Importer &im) {
  if (!im.checkAttributes({"value", "value_float", "value_floats", "value_int", "value_ints"}))
    return false;
  Constant c;
  if (const onnx::TensorProto *t = im.attrTensor("value")) {
    if (!im.decode(*t, c))
      return im.fail(im.lastError());
  } else if (im.has("value_float")) {
    c = Constant::ofFloats({float(im.attrFloat("value_float", 0))}, {});
  } else if (im.has("value_int")) {
    c = Constant::ofInts({im.attrInt("value_int", 0)}, {});
  } else if (im.has("value_ints")) {
    std::vector<int64_t> v = im.attrInts("value_ints");
    c = Constant::ofInts(v, {int64_t(v.size())});
  } else {
    return im.fail("a Constant needs a 'value' (sparse and string values are not supported)");
  }
  im.setOutput(0, std::move(c));
  return true;
}

bool convertShape(Importer &im) {
  if (!im.checkAttributes({"start", "end"}))
    return false;
  const Slot *in = im.input(0);
  if (!in)
    return false;
  Shape dims = in->tensor >= 0 ? im.shapeOf(in->tensor) : in->constant->dims;
  int64_t rank = int64_t(dims.size());
  auto clampAxis = [&](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t(0), rank); };
  int64_t start = clampAxis(im.attrInt("start", 0)), end = clampAxis(im.attrInt("end", rank));
  std::vector<int64_t> out;
  for (int64_t k = start; k < end; ++k)
    out.push_back(dims[k] == kDynamic ? kBatchSymbol : dims[k]);
  int64_t n = int64_t(out.size());
  im.setOutput(0, Constant::ofInts(std::move(out), {n}));
  return true;
}

/// Row-major strides of `dims`.
std::vector<int64_t> stridesOf(const Shape &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;)
    strides[k - 1] = strides[k] * dims[k];
  return strides;
}

/// Picks elements of `c` by flat index, keeping its element kind.
Constant gatherFlat(const Constant &c, const std::vector<int64_t> &flat, Shape dims) {
  Constant out;
  out.isFloat = c.isFloat;
  out.dims = std::move(dims);
  for (int64_t k : flat) {
    if (c.isFloat)
      out.f.push_back(c.f[size_t(k)]);
    else
      out.i.push_back(c.i[size_t(k)]);
  }
  return out;
}

bool convertGather(Importer &im) {
  if (!im.checkAttributes({"axis"}))
    return false;
  const Slot *data = im.input(0);
  if (!data)
    return false;
  if (!data->constant)
    return im.fail("Gather on a tensor computed at run time is not supported (only on "
                   "shapes and constants)");
  const Constant *indices = im.constantInput(1, "the indices");
  if (!indices)
    return false;
  const Constant &c = *data->constant;
  int64_t rank = int64_t(c.dims.size());
  std::optional<int64_t> axis = shapes::normalizeAxis(im.attrInt("axis", 0), rank);
  if (!axis)
    return im.fail("axis " + std::to_string(im.attrInt("axis", 0)) + " is out of range for rank " +
                   std::to_string(rank));
  int64_t extent = c.dims[*axis];
  std::vector<int64_t> strides = stridesOf(c.dims);
  int64_t outer = 1, inner = strides[*axis];
  for (int64_t k = 0; k < *axis; ++k)
    outer *= c.dims[k];
  std::vector<int64_t> idx = indices->ints(), flat;
  for (int64_t &i : idx) {
    if (i < -extent || i >= extent)
      return im.fail("index " + std::to_string(i) + " is out of range for an axis of size " +
                     std::to_string(extent));
    if (i < 0)
      i += extent;
  }
  if (!im.checkFoldedSize(outer * int64_t(idx.size()) * inner))
    return false;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : idx)
      for (int64_t r = 0; r < inner; ++r)
        flat.push_back(o * extent * inner + i * inner + r);
  Shape dims(c.dims.begin(), c.dims.begin() + *axis);
  dims.insert(dims.end(), indices->dims.begin(), indices->dims.end());
  dims.insert(dims.end(), c.dims.begin() + *axis + 1, c.dims.end());
  im.setOutput(0, gatherFlat(c, flat, dims));
  return true;
}

bool convertCast(Importer &im) {
  if (!im.checkAttributes({"to", "saturate"}))
    return false;
  const Slot *in = im.input(0);
  if (!in)
    return false;
  int64_t to = im.attrInt("to", 0);
  bool toFloat = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE;
  bool toInt = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
  if (in->tensor >= 0) {
    if (!toFloat)
      return im.fail("a cast of a run-time tensor to element type " + std::to_string(to) +
                     " is not supported (tensors are float32)");
    im.setOutput(0, in->tensor);
    return true;
  }
  const Constant &c = *in->constant;
  if (toFloat) {
    std::vector<float> f;
    for (int64_t k = 0; k < c.size(); ++k)
      f.push_back(float(c.at(k)));
    im.setOutput(0, Constant::ofFloats(f, c.dims));
  } else if (toInt) {
    im.setOutput(0, Constant::ofInts(c.ints(), c.dims));
  } else {
    return im.fail("a cast to element type " + std::to_string(to) + " is not supported");
  }
  return true;
}

bool convertConstantOfShape(Importer &im) {
  if (!im.checkAttributes({"value"}))
    return false;
  const Constant *shape = im.constantInput(0, "the shape");
  if (!shape)
    return false;
  Constant fill = Constant::ofFloats({0.0f}, {1});
  if (const onnx::TensorProto *t = im.attrTensor("value"))
    if (!im.decode(*t, fill))
      return im.fail(im.lastError());
  Shape dims = shape->ints();
  int64_t count = 1, span = 1; // span: without zero dims, as in decode
  for (int64_t d : dims) {
    if (d < 0 || d > shapes::kMaxDim || (d && span > shapes::kMaxElements / d))
      return im.fail("the shape " + shapes::format(dims) + " is not a constant size");
    count *= d;
    span *= d ? d : 1;
  }
  if (!im.checkFoldedSize(count))
    return false;
  if (fill.isFloat)
    im.setOutput(0, Constant::ofFloats(std::vector<float>(size_t(count), fill.f.at(0)), dims));
  else
    im.setOutput(0, Constant::ofInts(std::vector<int64_t>(size_t(count), fill.i.at(0)), dims));
  return true;
}

bool convertSlice(Importer &im) {
  if (!im.checkAttributes({"starts", "ends", "axes"}))
    return false;
  const Slot *data = im.input(0);
  if (!data)
    return false;
  if (!data->constant)
    return im.fail("Slice of a tensor computed at run time is not supported (only of shapes "
                   "and constants)");
  std::vector<int64_t> starts, ends, axes, steps;
  if (im.opset() < 10) {
    starts = im.attrInts("starts");
    ends = im.attrInts("ends");
    axes = im.attrInts("axes");
  } else {
    const Constant *s = im.constantInput(1, "starts"), *e = s ? im.constantInput(2, "ends") : nullptr;
    if (!e)
      return false;
    starts = s->ints();
    ends = e->ints();
    if (im.hasInput(3)) {
      const Constant *a = im.constantInput(3, "axes");
      if (!a)
        return false;
      axes = a->ints();
    }
    if (im.hasInput(4)) {
      const Constant *st = im.constantInput(4, "steps");
      if (!st)
        return false;
      steps = st->ints();
    }
  }
  const Constant &c = *data->constant;
  int64_t rank = int64_t(c.dims.size());
  if (axes.empty())
    for (int64_t k = 0; k < int64_t(starts.size()); ++k)
      axes.push_back(k);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return im.fail("starts, ends, axes and steps differ in length");
  // Per axis: the selected indices.
  std::vector<std::vector<int64_t>> picks(static_cast<size_t>(rank));
  for (int64_t a = 0; a < rank; ++a)
    for (int64_t k = 0; k < c.dims[a]; ++k)
      picks[a].push_back(k);
  for (size_t k = 0; k < starts.size(); ++k) {
    std::optional<int64_t> axis = shapes::normalizeAxis(axes[k], rank);
    if (!axis || steps[k] == 0)
      return im.fail("axis " + std::to_string(axes[k]) + " or step " + std::to_string(steps[k]) +
                     " is invalid");
    int64_t dim = c.dims[*axis], step = steps[k];
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v < -dim ? -1 : v + dim; // -1 marks "before the first" for clamping below
      return std::clamp(v, lo, hi);
    };
    int64_t start = step > 0 ? clampIndex(starts[k], 0, dim) : clampIndex(starts[k], 0, dim - 1);
    int64_t end = step > 0 ? clampIndex(ends[k], 0, dim) : clampIndex(ends[k], -1, dim - 1);
    picks[*axis].clear();
    for (int64_t v = start; step > 0 ? v < end : v > end; v += step)
      picks[*axis].push_back(v);
  }
  std::vector<int64_t> strides = stridesOf(c.dims), flat{0};
  Shape dims;
  for (int64_t a = 0; a < rank; ++a) {
    std::vector<int64_t> next;
    for (int64_t base : flat)
      for (int64_t v : picks[a])
        next.push_back(base + v * strides[a]);
    flat = std::move(next);
    dims.push_back(int64_t(picks[a].size()));
  }
  if (rank == 0)
    flat = {0};
  im.setOutput(0, gatherFlat(c, flat, dims));
  return true;
}

/// Transpose of a constant (torch's export of F.pad computes its pads so),
/// or of a tensor on its way into a softmax (Permuted).
bool convertTranspose(Importer &im) {
  if (!im.checkAttributes({"perm"}))
    return false;
  const Slot *data = im.input(0, true);
  if (!data)
    return false;
  size_t rank = data->constant ? data->constant->dims.size()
                : data->permuted ? data->permuted->perm.size()
                : im.shapeOf(data->tensor).size();
  std::vector<int64_t> perm = im.attrInts("perm");
  if (perm.empty())
    for (size_t k = rank; k-- > 0;)
      perm.push_back(int64_t(k));
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(rank) || seen[size_t(p)] || perm.size() != rank)
      return im.fail("perm " + shapes::format(perm) + " is not a permutation of the axes");
    seen[size_t(p)] = true;
  }
  if (data->permuted) { // back from a Transpose: only the same swap undoes it
    std::vector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(data->permuted->perm[size_t(p)]);
    for (size_t a = 0; a < rank; ++a)
      if (composed[a] != int64_t(a))
        return im.fail("only a Transpose back to the original axis order is supported here");
    im.setOutput(0, data->permuted->tensor);
    return true;
  }
  if (!data->constant) { // the first Transpose of Transpose -> Softmax -> Transpose
    im.setOutput(0, Permuted{data->tensor, perm});
    return true;
  }
  const Constant &c = *data->constant;
  Shape dims;
  for (int64_t p : perm)
    dims.push_back(c.dims[size_t(p)]);
  std::vector<int64_t> inStrides = stridesOf(c.dims), outStrides = stridesOf(dims), flat;
  int64_t count = c.size();
  for (int64_t k = 0; k < count; ++k) {
    int64_t source = 0;
    for (size_t a = 0; a < rank; ++a)
      source += (k / outStrides[a]) % dims[a] * inStrides[size_t(perm[a])];
    flat.push_back(source);
  }
  im.setOutput(0, gatherFlat(c, flat, dims));
  return true;
}

} // namespace

/// Folds Add/Sub/Mul/Div/Pow of constants with NumPy broadcasting. The
/// batch symbol cannot take part: its value is not known until run time.
bool foldArithmetic(Importer &im, const std::string &op, const Constant &a, const Constant &b) {
  shapes::ShapeOr shape = shapes::broadcast(a.dims, b.dims);
  if (!shape.ok())
    return im.fail(shape.error);
  for (const Constant *c : {&a, &b})
    for (int64_t v : c->i)
      if (v == kBatchSymbol)
        return im.fail("the shape computation uses the batch size, which is known only at run "
                       "time (a non-constant shape)");
  Shape out = shape.shape;
  int64_t count = 1;
  for (int64_t d : out) {
    count *= d;
    if (!im.checkFoldedSize(count))
      return false;
  }
  std::vector<int64_t> outStrides = stridesOf(out);
  auto index = [&](const Constant &c, int64_t flat) {
    // Broadcast index: axes aligned from the right, size-1 axes stay at 0.
    std::vector<int64_t> strides = stridesOf(c.dims);
    int64_t offset = int64_t(out.size() - c.dims.size()), k = 0;
    for (size_t a = 0; a < c.dims.size(); ++a) {
      int64_t coord = (flat / outStrides[a + offset]) % out[a + offset];
      k += (c.dims[a] == 1 ? 0 : coord) * strides[a];
    }
    return k;
  };
  bool isFloat = a.isFloat || b.isFloat;
  Constant result;
  result.isFloat = isFloat;
  result.dims = out;
  for (int64_t k = 0; k < count; ++k) {
    double x = a.at(index(a, k)), y = b.at(index(b, k));
    if (isFloat) {
      float fx = float(x), fy = float(y);
      result.f.push_back(op == "Add" ? fx + fy : op == "Sub" ? fx - fy : op == "Mul" ? fx * fy
                         : op == "Div" ? fx / fy : std::pow(fx, fy));
      continue;
    }
    int64_t ix = a.i[size_t(index(a, k))], iy = b.i[size_t(index(b, k))], r = 0;
    if (op == "Div" && iy == 0)
      return im.fail("integer division by zero in a shape computation");
    bool overflow = false;
    if (op == "Add")
      overflow = __builtin_add_overflow(ix, iy, &r);
    else if (op == "Sub")
      overflow = __builtin_sub_overflow(ix, iy, &r);
    else if (op == "Mul")
      overflow = __builtin_mul_overflow(ix, iy, &r);
    else if (op == "Div")
      overflow = ix == INT64_MIN && iy == -1, r = overflow ? 0 : ix / iy;
    else {
      double p = std::pow(double(ix), double(iy));
      overflow = !(std::abs(p) < 9.2e18);
      r = overflow ? 0 : int64_t(p);
    }
    if (overflow)
      return im.fail("integer overflow in a shape computation");
    result.i.push_back(r);
  }
  im.setOutput(0, std::move(result));
  return true;
}

/// Unsqueeze/Squeeze of a constant: only the dims change.
bool foldReshape(Importer &im, const Constant &c, Shape dims) {
  Constant out = c;
  out.dims = std::move(dims);
  im.setOutput(0, std::move(out));
  return true;
}

/// Concat of constants along `axis`.
bool foldConcat(Importer &im, const std::vector<const Constant *> &parts, int64_t axis) {
  std::vector<Shape> shapesIn;
  for (const Constant *c : parts)
    shapesIn.push_back(c->dims);
  shapes::ShapeOr shape = shapes::concat(shapesIn, axis);
  if (!shape.ok())
    return im.fail(shape.error);
  Constant out;
  out.isFloat = parts.front()->isFloat;
  out.dims = shape.shape;
  int64_t outer = 1;
  for (int64_t k = 0; k < axis; ++k)
    outer *= out.dims[k];
  for (int64_t o = 0; o < outer; ++o)
    for (const Constant *c : parts) {
      int64_t chunk = outer ? c->size() / outer : 0;
      for (int64_t k = o * chunk; k < (o + 1) * chunk; ++k) {
        if (out.isFloat)
          out.f.push_back(float(c->at(k)));
        else
          out.i.push_back(c->isFloat ? int64_t(c->f[k]) : c->i[k]);
      }
    }
  im.setOutput(0, std::move(out));
  return true;
}

void addConstantConverters(std::map<std::string, Converter> &table) {
  table["Constant"] = convertConstant;
  table["Shape"] = convertShape;
  table["Gather"] = convertGather;
  table["Cast"] = convertCast;
  table["ConstantOfShape"] = convertConstantOfShape;
  table["Slice"] = convertSlice;
  table["Transpose"] = convertTranspose;
}

} // namespace cnnopt::onnx_import
