//===- AST.h - Syntax tree of a .cnn file -----------------------*- C++ -*-===//
//
// The parser's output: blocks, models and train declarations with their
// statements and expressions, each node carrying the line and column of the
// token that diagnostics point at (DSL.md "Error locations"). Plain data; the
// elaborator gives it meaning.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_AST_H
#define CNNOPT_FRONTEND_AST_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnnopt {
namespace ast {

/// A 1-based line and column in the file being compiled.
struct Loc {
  unsigned line = 0;
  unsigned col = 0;
};

/// A name with the location of its token.
struct Ident {
  std::string name;
  Loc loc;
};

enum class ExprKind { Int, Float, Str, Bool, Name, List, Call, Unary, Binary };
enum class BinaryOp { Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
enum class UnaryOp { Neg, Not };

/// The spelling of a binary operator (`+`, `and`, ...).
const char *spelling(BinaryOp op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// `name=value` in a call.
struct KeywordArg {
  Ident name;
  ExprPtr value;
};

/// One expression node. Which fields matter depends on `kind`:
///  Int/Float/Bool/Str: the literal; Name: `text`; List: `args` (elements);
///  Call: `text` (callee), `args` (positional), `kwargs`; Unary: `unaryOp`,
///  `args[0]`; Binary: `binaryOp`, `args[0]`, `args[1]`.
struct Expr {
  ExprKind kind = ExprKind::Int;
  /// The token diagnostics point at: the literal, the name, the callee or
  /// the operator.
  Loc loc;
  /// The first token of the expression (used for argument errors).
  Loc begin;
  /// Height of the tree below and including this node (bounded by the
  /// parser so that recursive walks cannot overflow the stack).
  unsigned depth = 1;
  int64_t intValue = 0;
  double floatValue = 0.0;
  bool boolValue = false;
  std::string text;
  BinaryOp binaryOp = BinaryOp::Add;
  UnaryOp unaryOp = UnaryOp::Neg;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
};

enum class StmtKind { Assign, Return, For, If };

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

/// One statement. Assign: `targets`, `value`; Return: `values`; For: `var`,
/// `lo`, `hi`, `body`; If: `cond`, `body`, `elseBody` (`hasElse`).
struct Stmt {
  StmtKind kind = StmtKind::Assign;
  Loc loc; ///< the first token (first target, `return`, `for`, `if`)
  std::vector<Ident> targets;
  ExprPtr value;
  std::vector<ExprPtr> values;
  Ident var;
  ExprPtr lo, hi;
  ExprPtr cond;
  StmtList body;
  StmtList elseBody;
  bool hasElse = false;
};

/// The kind written after a block parameter (`out: int`); none means tensor.
enum class ParamKind { Tensor, Int, Float, Bool, Str, Ints };

/// `k: int = 3`.
struct BlockParam {
  Ident id;
  ParamKind kind = ParamKind::Tensor;
  ExprPtr defaultValue; ///< null when required
};

/// One dimension of an input type: an integer or a name (the batch).
struct InputDim {
  bool isName = false;
  int64_t value = 0;
  std::string name;
  Loc loc;
};

/// `x: f32[N, 3, 32, 32]`.
struct InputDecl {
  Ident id;
  bool isI32 = false;
  std::vector<InputDim> dims;
};

/// `block NAME(params) { body }`.
struct BlockDecl {
  Ident id;
  std::vector<BlockParam> params;
  StmtList body;
  Loc close; ///< the closing `}`
};

/// `model NAME(inputs) { body }` or `train NAME(inputs) { body }`.
struct ModelDecl {
  Ident id;
  std::vector<InputDecl> inputs;
  StmtList body;
  Loc close; ///< the closing `}`
};

/// A whole file, each kind of declaration in source order.
struct File {
  std::vector<BlockDecl> blocks;
  std::vector<ModelDecl> models;
  std::vector<ModelDecl> trains;
};

} // namespace ast
} // namespace cnnopt

#endif // CNNOPT_FRONTEND_AST_H
