//===- Prepacker.cpp - Parameter-only data, computed once -----------------===//

#include "codegen/Prepacker.h"

#include <stdexcept>

namespace cnnopt::codegen {

using namespace Halide;

Tensor Prepacker::pack(const std::string &key, Func definition, const Shape &shape) {
  if (secondPass) {
    auto it = byKey.find(key);
    if (it == byKey.end() || entries[it->second].shape != shape)
      throw std::logic_error("cnnopt: the second definition pass packs '" + key +
                             "', which the first did not");
    Tensor t;
    if (constants.defined()) {
      t = constantTensor(constants.data() + entries[it->second].offset, shape, "packed_" + key);
    } else {
      t = flatSlice(source, shape, entries[it->second].offset, "packed_" + key);
    }
    t.parameterOnly = true;
    return t;
  }
  if (byKey.count(key))
    throw std::logic_error("cnnopt: packed data '" + key + "' defined twice");
  int64_t size = 1;
  for (int64_t d : shape)
    size *= d;
  byKey[key] = entries.size();
  entries.push_back({key, definition, shape, total});
  total += size;
  Tensor t;
  t.shape = shape;
  t.parameterOnly = true;
  t.func = definition;
  t.definition = definition;
  return t;
}

void Prepacker::readFrom(Func packed) {
  secondPass = true;
  source = packed;
  constants = Buffer<float>();
}

void Prepacker::readFrom(Buffer<float> packed) {
  secondPass = true;
  constants = packed;
}

} // namespace cnnopt::codegen
