//===- Signature.h - Parameters of callees and argument binding -*- C++ -*-===//
//
// Every callee (op, builtin, optimizer, block) has a list of parameters with
// a kind and maybe a default. bindArgs() matches a call's evaluated
// positional and keyword arguments to them, converts ints to floats and
// ints to pairs where asked, and reports the DSL's argument errors: too many
// arguments, unknown keyword (with a suggestion), an argument given twice,
// a missing argument, the wrong kind.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_SIGNATURE_H
#define CNNOPT_FRONTEND_SIGNATURE_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"
#include "frontend/Value.h"

#include <optional>
#include <string>
#include <vector>

namespace cnnopt {

/// Reports located errors for one file.
struct Reporter {
  DiagnosticSink *diags = nullptr;
  const std::string *file = nullptr;
  /// Reports `message` at `at`; always returns false.
  bool error(ast::Loc at, const std::string &message) const {
    diags->error(toSource(at), message);
    return false;
  }
  SourceLoc toSource(ast::Loc at) const {
    return SourceLoc{*file, at.line, at.col};
  }
};

/// What a parameter accepts.
enum class ArgKind {
  Tensor,    ///< an f32 tensor
  Labels,    ///< an i32 tensor
  AnyTensor, ///< a tensor of any element type
  Int,
  Float,     ///< a float; ints promote
  Bool,
  Str,
  Ints,      ///< a list of ints
  Tensors,   ///< a list of tensors
  IntPair,   ///< an int (used for both axes) or `[h, w]`; bound as Ints of 2
  Padding,   ///< like IntPair, or the strings "same" / "valid"
  Operand,   ///< a tensor or a number (broadcast by arithmetic ops)
  Number,    ///< an int or a float, kept as it is
};

/// One parameter of a callee. Without `def` and not `required` the
/// parameter is simply absent when not given (the callee decides).
struct ParamSpec {
  std::string name;
  ArgKind kind = ArgKind::Tensor;
  bool required = false;
  std::optional<Value> def;
};

/// One bound parameter: the value and where it was written.
struct BoundArg {
  bool present = false;
  Value value;
  ast::Loc loc;
};

/// A call's arguments after evaluation, in source order.
struct EvaluatedArgs {
  struct Positional {
    Value value;
    ast::Loc loc;
  };
  struct Keyword {
    std::string name;
    ast::Loc loc;
    Value value;
  };
  std::vector<Positional> positional;
  std::vector<Keyword> keywords;
};

/// Binds `args` to `params` for a call of `callee` written at `calleeLoc`.
/// When `allowName` is set, a `name=` keyword is accepted (it must be a
/// string) and returned in `nameArg`. `values` gives tensor element types.
/// Reports the first error through `reporter` and returns false.
bool bindArgs(const std::string &callee, ast::Loc calleeLoc,
              const std::vector<ParamSpec> &params, const EvaluatedArgs &args,
              bool allowName, const std::vector<TensorType> &values,
              const Reporter &reporter, std::vector<BoundArg> &bound,
              BoundArg &nameArg);

/// Converts `value` to what `kind` accepts (int->float, int->pair), or
/// returns false with `expected` set to the wanted kind for the message.
bool convertArg(ArgKind kind, const std::vector<TensorType> &values,
                Value &value, std::string &expected);

/// "a tensor", "an int", "a list of ints" ... for messages.
std::string describeValue(const Value &value,
                          const std::vector<TensorType> &values);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_SIGNATURE_H
