//===- Attributes.cpp - A node's attributes, checked ----------------------===//
//
// Every converter names the attributes it understands; any other one is an
// error rather than silently ignored, because ONNX attributes change results
// (an unknown `auto_pad` or `coordinate_transformation_mode` would otherwise
// give wrong numbers without a word).
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"

#include <cstdio>
#include <cstdlib>

namespace cnnopt::onnx_import {

namespace {

const onnx::AttributeProto *find(const onnx::NodeProto &node, const std::string &name) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

} // namespace

bool Importer::checkAttributes(const std::set<std::string> &allowed) {
  for (const onnx::AttributeProto &a : current->attribute())
    if (!allowed.count(a.name()))
      return fail("unsupported attribute '" + a.name() + "'");
  return true;
}

bool Importer::has(const std::string &name) const { return find(*current, name) != nullptr; }

int64_t Importer::attrInt(const std::string &name, int64_t otherwise) const {
  const onnx::AttributeProto *a = find(*current, name);
  return a ? a->i() : otherwise;
}

double shortestDecimal(float v) {
  char buf[32];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, double(v));
    if (std::strtof(buf, nullptr) == v)
      break;
  }
  return std::strtod(buf, nullptr);
}

double Importer::attrFloat(const std::string &name, float otherwise) const {
  const onnx::AttributeProto *a = find(*current, name);
  return shortestDecimal(a ? a->f() : otherwise);
}

std::string Importer::attrString(const std::string &name, const std::string &otherwise) const {
  const onnx::AttributeProto *a = find(*current, name);
  return a ? a->s() : otherwise;
}

std::vector<int64_t> Importer::attrInts(const std::string &name,
                                        std::vector<int64_t> otherwise) const {
  const onnx::AttributeProto *a = find(*current, name);
  if (!a)
    return otherwise;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

const onnx::TensorProto *Importer::attrTensor(const std::string &name) const {
  const onnx::AttributeProto *a = find(*current, name);
  return a && a->has_t() ? &a->t() : nullptr;
}

} // namespace cnnopt::onnx_import
