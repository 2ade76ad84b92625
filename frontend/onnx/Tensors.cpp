//===- Tensors.cpp - ONNX TensorProto to an import-time constant ----------===//
//
// Decodes initializers and Constant values: float32/float64 become floats,
// int32/int64/bool become ints. The data may sit in the typed fields or in
// raw_data (little-endian, what torch.onnx.export writes); a size that does
// not match the dims is a malformed file, not a crash.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"

#include <cstring>

namespace cnnopt::onnx_import {

std::vector<int64_t> Constant::ints() const {
  if (!isFloat)
    return i;
  std::vector<int64_t> out;
  for (float v : f)
    out.push_back(int64_t(v));
  return out;
}

Constant Constant::ofInts(std::vector<int64_t> values, Shape dims) {
  Constant c;
  c.isFloat = false;
  c.i = std::move(values);
  c.dims = std::move(dims);
  return c;
}

Constant Constant::ofFloats(std::vector<float> values, Shape dims) {
  Constant c;
  c.f = std::move(values);
  c.dims = std::move(dims);
  return c;
}

namespace {

/// Copies `count` little-endian values of type T out of raw_data.
template <typename T, typename Out>
bool fromRaw(const std::string &raw, int64_t count, std::vector<Out> &out) {
  if (raw.size() != size_t(count) * sizeof(T))
    return false;
  out.resize(size_t(count));
  for (int64_t k = 0; k < count; ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
    out[size_t(k)] = Out(v);
  }
  return true;
}

template <typename Field, typename Out>
bool fromField(const Field &field, int64_t count, std::vector<Out> &out) {
  if (field.size() != count)
    return false;
  out.assign(field.begin(), field.end());
  return true;
}

} // namespace

bool Importer::decode(const onnx::TensorProto &t, Constant &out) {
  auto bad = [&](const std::string &message) {
    error = message; // the caller says where (initializer or node)
    return false;
  };
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return bad("tensor '" + t.name() + "' keeps its data in an external file, which is "
               "not supported (save the model with its weights inside)");
  int64_t count = 1;
  out.dims.clear();
  // `span` skips zero dims, so that a zero-sized tensor's other dims stay
  // bounded too (its strides are still computed).
  int64_t span = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > shapes::kMaxDim || (d && span > shapes::kMaxElements / d))
      return bad("tensor '" + t.name() + "' has an invalid shape");
    count *= d;
    span *= d ? d : 1;
    out.dims.push_back(d);
  }
  const std::string &raw = t.raw_data();
  bool ok = false;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    out.isFloat = true;
    ok = t.has_raw_data() ? fromRaw<float>(raw, count, out.f) : fromField(t.float_data(), count, out.f);
    break;
  case onnx::TensorProto::DOUBLE:
    out.isFloat = true;
    ok = t.has_raw_data() ? fromRaw<double>(raw, count, out.f)
                          : fromField(t.double_data(), count, out.f);
    break;
  case onnx::TensorProto::INT64:
    out.isFloat = false;
    ok = t.has_raw_data() ? fromRaw<int64_t>(raw, count, out.i)
                          : fromField(t.int64_data(), count, out.i);
    break;
  case onnx::TensorProto::INT32:
    out.isFloat = false;
    ok = t.has_raw_data() ? fromRaw<int32_t>(raw, count, out.i)
                          : fromField(t.int32_data(), count, out.i);
    break;
  case onnx::TensorProto::BOOL:
    out.isFloat = false;
    ok = t.has_raw_data() ? fromRaw<uint8_t>(raw, count, out.i)
                          : fromField(t.int32_data(), count, out.i);
    break;
  default:
    return bad("tensor '" + t.name() + "' has element type " + std::to_string(t.data_type()) +
               "; only float32, float64, int32, int64 and bool constants are supported");
  }
  if (!ok)
    return bad("tensor '" + t.name() + "' holds a different number of values than its shape " +
               "needs (" + std::to_string(count) + ")");
  return true;
}

} // namespace cnnopt::onnx_import
