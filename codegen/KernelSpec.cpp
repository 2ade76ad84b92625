//===- KernelSpec.cpp - Attribute access on kernels -----------------------===//
//
// Typed attribute getters; a missing or mistyped attribute is a compiler
// bug (the dialect verifier guarantees them), reported by abort.
//===----------------------------------------------------------------------===//

#include "codegen/KernelSpec.h"

#include <cstdio>
#include <cstdlib>

namespace cnnopt::codegen {

namespace {

template <typename T>
const T &get(const Kernel &k, const std::string &attr) {
  auto it = k.attrs.find(attr);
  const T *value = it == k.attrs.end() ? nullptr : std::get_if<T>(&it->second);
  if (!value) {
    std::fprintf(stderr, "cnnopt: internal error: %s has no attribute '%s' of the expected type\n",
                 k.op.c_str(), attr.c_str());
    std::abort();
  }
  return *value;
}

} // namespace

int64_t Kernel::i(const std::string &attr) const { return get<int64_t>(*this, attr); }
double Kernel::f(const std::string &attr) const { return get<double>(*this, attr); }
bool Kernel::b(const std::string &attr) const {
  auto it = attrs.find(attr);
  return it != attrs.end() && get<bool>(*this, attr);
}
const std::string &Kernel::s(const std::string &attr) const {
  return get<std::string>(*this, attr);
}
const std::vector<int64_t> &Kernel::ints(const std::string &attr) const {
  return get<std::vector<int64_t>>(*this, attr);
}

} // namespace cnnopt::codegen
