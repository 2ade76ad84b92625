//===- Value.h - Compile-time values of the elaborator ----------*- C++ -*-===//
//
// What a `.cnn` expression evaluates to during elaboration: a tensor (a value
// id of the graph being built), a compile-time scalar (int, float, bool, str),
// a list of ints, a list of tensors (for `concat`), or an optimizer
// description (only in `train` declarations).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_VALUE_H
#define CNNOPT_FRONTEND_VALUE_H

#include "frontend/Graph.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnnopt {

/// One compile-time value. Only the field of its kind is meaningful.
struct Value {
  enum class Kind { Tensor, Int, Float, Bool, Str, Ints, Tensors, Optimizer };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0.0;
  bool b = false;
  std::string s;
  std::vector<int64_t> ints;
  int tensor = -1;               ///< value id for Kind::Tensor
  std::vector<int> tensors;      ///< value ids for Kind::Tensors
  std::shared_ptr<const OptimizerSpec> optimizer;

  static Value ofInt(int64_t v) {
    Value r;
    r.kind = Kind::Int;
    r.i = v;
    return r;
  }
  static Value ofFloat(double v) {
    Value r;
    r.kind = Kind::Float;
    r.f = v;
    return r;
  }
  static Value ofBool(bool v) {
    Value r;
    r.kind = Kind::Bool;
    r.b = v;
    return r;
  }
  static Value ofStr(std::string v) {
    Value r;
    r.kind = Kind::Str;
    r.s = std::move(v);
    return r;
  }
  static Value ofInts(std::vector<int64_t> v) {
    Value r;
    r.kind = Kind::Ints;
    r.ints = std::move(v);
    return r;
  }
  static Value ofTensor(int id) {
    Value r;
    r.kind = Kind::Tensor;
    r.tensor = id;
    return r;
  }
  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  /// The value as a double (ints promote).
  double asDouble() const { return kind == Kind::Int ? double(i) : f; }
};

/// The kind as users read it in messages: "tensor", "int", "list of tensors".
inline const char *kindName(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Tensor: return "tensor";
  case Value::Kind::Int: return "int";
  case Value::Kind::Float: return "float";
  case Value::Kind::Bool: return "bool";
  case Value::Kind::Str: return "str";
  case Value::Kind::Ints: return "ints";
  case Value::Kind::Tensors: return "list of tensors";
  case Value::Kind::Optimizer: return "optimizer";
  }
  return "value";
}

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_VALUE_H
