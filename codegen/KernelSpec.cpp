//===- KernelSpec.cpp - Attribute access on kernels -----------------------===//
//
// Typed attribute getters; a missing or mistyped attribute is a compiler
// bug (the dialect verifier guarantees them), reported by abort.
//===----------------------------------------------------------------------===//

#include "codegen/KernelSpec.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

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

std::string formatType(const TensorType &type) {
  std::ostringstream os;
  os << (type.dtype == DType::F32 ? "f32" : type.dtype == DType::I32 ? "i32" : "i64") << "[";
  for (size_t a = 0; a < type.shape.size(); ++a)
    os << (a ? ", " : "") << (type.shape[a] == kDynamic ? std::string("N")
                                                         : std::to_string(type.shape[a]));
  return os.str() + "]";
}

std::string formatAttr(const AttrValue &value) {
  std::ostringstream os;
  os.precision(9);
  if (auto *i = std::get_if<int64_t>(&value))
    os << *i;
  else if (auto *f = std::get_if<double>(&value))
    os << *f;
  else if (auto *b = std::get_if<bool>(&value))
    os << (*b ? "true" : "false");
  else if (auto *s = std::get_if<std::string>(&value))
    os << *s;
  else if (auto *list = std::get_if<std::vector<int64_t>>(&value)) {
    os << "[";
    for (size_t k = 0; k < list->size(); ++k)
      os << (k ? ", " : "") << (*list)[k];
    os << "]";
  }
  return os.str();
}

const char *initName(ParamInit init) {
  switch (init) {
  case ParamInit::Zero:
    return "zeros";
  case ParamInit::One:
    return "ones";
  case ParamInit::Uniform:
    return "uniform";
  case ParamInit::Constant:
    return "constant";
  }
  return "?";
}

} // namespace

std::string formatProgram(const KernelProgram &program) {
  std::ostringstream os;
  os << "kernels @" << program.name << " (" << program.paramFloats << " parameter floats)\n";
  for (const KernelIO &input : program.inputs)
    os << "  input " << input.name << ": %" << input.value << " "
       << formatType(program.values[input.value]) << "\n";
  for (const KernelParam &p : program.params) {
    os << "  " << (p.trainable ? "param " : "buffer ") << p.name << ": %" << p.value << " "
       << formatType(program.values[p.value]) << " at " << p.offset << " " << initName(p.init);
    if (p.init == ParamInit::Uniform || p.init == ParamInit::Constant)
      os << "(" << formatAttr(p.bound) << ")";
    os << "\n";
  }
  for (const Kernel &k : program.kernels) {
    os << "  %" << k.result << " = " << k.op << "(";
    for (size_t o = 0; o < k.operands.size(); ++o)
      os << (o ? ", " : "") << (k.operands[o] < 0 ? std::string("-")
                                                   : "%" + std::to_string(k.operands[o]));
    os << ")";
    std::map<std::string, std::string> attrs;
    for (const auto &[name, value] : k.attrs)
      attrs[name] = formatAttr(value);
    if (!k.activationParams.empty()) {
      std::string list = "[";
      for (size_t p = 0; p < k.activationParams.size(); ++p)
        list += (p ? ", " : "") + formatAttr(k.activationParams[p]);
      attrs["activation_params"] = list + "]";
    }
    if (!attrs.empty()) {
      os << " {";
      bool first = true;
      for (const auto &[name, value] : attrs) {
        os << (first ? "" : ", ") << name << " = " << value;
        first = false;
      }
      os << "}";
    }
    os << " : " << formatType(program.values[k.result]);
    if (!k.name.empty())
      os << "  // " << k.name;
    os << "\n";
  }
  for (const KernelIO &output : program.outputs)
    os << "  output " << output.name << ": %" << output.value << "\n";
  return os.str();
}

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
