//===- Prepacker.cpp - Parameter-only data, computed once -----------------===//

#include "codegen/Prepacker.h"

#include <stdexcept>

namespace cnnopt::codegen {

using namespace Halide;

namespace {
/// Slices of the packed array are Funcs named after their key.
const std::string kSlicePrefix = "packed_";
} // namespace

Tensor Prepacker::pack(const std::string &key, Func definition, const Shape &shape) {
  if (secondPass) {
    auto dropped = unread.find(key);
    if (dropped != unread.end()) {
      // Not read by any stage (keepOnly): only other definitions build on it.
      Tensor t;
      t.shape = shape;
      t.parameterOnly = true;
      t.func = t.definition = dropped->second;
      return t;
    }
    auto it = byKey.find(key);
    if (it == byKey.end() || entries[it->second].shape != shape)
      throw std::logic_error("cnnopt: the second definition pass packs '" + key +
                             "', which the first did not");
    Tensor t;
    if (constants.defined()) {
      t = constantTensor(constants.data() + entries[it->second].offset, shape, kSlicePrefix + key);
    } else {
      t = flatSlice(source, shape, entries[it->second].offset, kSlicePrefix + key);
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

std::vector<std::string> Prepacker::keysReadBy(Func result) {
  std::vector<std::string> keys;
  std::map<std::string, Internal::Function> calls = Internal::find_transitive_calls(result.function());
  for (const auto &[name, function] : calls)
    if (name.rfind(kSlicePrefix, 0) == 0) {
      // Halide keeps Func names unique in the process: a second Func of the
      // same name becomes "name$2".
      std::string key = name.substr(kSlicePrefix.size());
      keys.push_back(key.substr(0, key.find('$')));
    }
  return keys;
}

void Prepacker::keepOnly(const std::set<std::string> &keys) {
  std::vector<Entry> kept;
  byKey.clear();
  total = 0;
  for (Entry &e : entries)
    if (!keys.count(e.key)) {
      unread[e.key] = e.definition;
    } else {
      e.offset = total;
      byKey[e.key] = kept.size();
      kept.push_back(e);
      int64_t size = 1;
      for (int64_t d : e.shape)
        size *= d;
      total += size;
    }
  entries = std::move(kept);
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
