//===- Builtins.h - The op table of the .cnn language -----------*- C++ -*-===//
//
// Every callee that is not a block: the ops of DSL.md's table (with PyTorch's
// defaults), the named arithmetic ops, the losses, the compile-time builtins
// (`shape`, `rank`, `min`, ...) and the optimizers. Each entry has a
// signature for bindArgs() and a builder that checks the bound arguments,
// normalises them into the attributes of the node contract in Graph.h, and
// computes the parameter and result shapes with ShapeRules.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_BUILTINS_H
#define CNNOPT_FRONTEND_BUILTINS_H

#include "frontend/Signature.h"

#include <string>
#include <vector>

namespace cnnopt {

/// How the elaborator treats a callee.
enum class OpCategory {
  Layer,     ///< one graph node, maybe with parameters
  Arith,     ///< add/sub/mul/div: tensors or numbers, scalars broadcast
  Loss,      ///< one graph node, allowed only in `train`
  Builtin,   ///< compile-time function returning a scalar
  Optimizer, ///< `optimizer = sgd(...)`, only in `train`
};

/// A parameter (or buffer) an op asks for; named `<scope>.<role>`.
struct NewParam {
  std::string role;
  Shape shape;
  DType dtype = DType::F32;
  bool trainable = true;
  bool operand = true; ///< passed to the node after the tensor inputs
  ParamInit init = ParamInit::Zero;
  double bound = 0.0; ///< for ParamInit::Uniform; the value for ParamInit::Constant
};

struct OpInfo;

/// One call being built: the bound arguments in, the node description out.
struct OpCall {
  const OpInfo *info = nullptr;
  ast::Loc loc; ///< the op name token
  std::vector<BoundArg> args;
  const std::vector<TensorType> *values = nullptr;
  std::string batchName = "N"; ///< how the batch prints in messages

  // Results of the builder.
  std::vector<int> operands; ///< tensor inputs (parameters are appended)
  AttrMap attrs;
  std::vector<NewParam> params;
  Shape result;
  DType resultType = DType::F32;
  Value scalar; ///< Builtin and Optimizer results
  std::string error;
  ast::Loc errorLoc;

  bool has(size_t k) const { return args[k].present; }
  const Value &v(size_t k) const { return args[k].value; }
  int64_t i(size_t k) const { return args[k].value.i; }
  double f(size_t k) const { return args[k].value.f; }
  bool b(size_t k) const { return args[k].value.b; }
  const std::string &s(size_t k) const { return args[k].value.s; }
  int tensor(size_t k) const { return args[k].value.tensor; }
  const Shape &shape(size_t k) const { return (*values)[tensor(k)].shape; }
  /// Fails with `message` at the op name.
  bool fail(std::string message) {
    error = std::move(message);
    errorLoc = loc;
    return false;
  }
  /// Fails with `message` at argument `k`.
  bool failArg(size_t k, std::string message) {
    error = std::move(message);
    errorLoc = args[k].loc;
    return false;
  }
};

/// Checks the arguments of one call and describes its result.
using OpBuilder = bool (*)(OpCall &);

/// One entry of the op table.
struct OpInfo {
  std::string name;
  OpCategory category;
  std::vector<ParamSpec> params;
  OpBuilder build;
};

/// The entry for `name`, or null.
const OpInfo *findOp(const std::string &name);

/// Every entry, for "did you mean" suggestions.
const std::vector<OpInfo> &allOps();

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_BUILTINS_H
