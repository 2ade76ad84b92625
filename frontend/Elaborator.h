//===- Elaborator.h - Syntax tree to elaborated graphs ----------*- C++ -*-===//
//
// Runs a parsed `.cnn` file at compile time: blocks are expanded at their call
// sites, `for` loops unrolled, `if`s decided, names resolved, parameters named
// by the scope rules of DSL.md, and every op's shape inferred through
// ShapeRules. The result is one flat ModelGraph per model and per `train`
// declaration. The first error stops elaboration.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_ELABORATOR_H
#define CNNOPT_FRONTEND_ELABORATOR_H

#include "frontend/AST.h"
#include "frontend/Builtins.h"
#include "frontend/Frontend.h"
#include "frontend/Signature.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cnnopt {

// The bounds on steps run and ops built, kMaxSteps and kMaxNodes, are
// FrontendOptions (Frontend.h) and count the whole file.

/// Deepest chain of nested block calls.
constexpr unsigned kMaxBlockDepth = 256;
/// Deepest recursion of the elaborator itself (expressions, bodies, calls).
constexpr unsigned kMaxElabDepth = 2000;

/// Elaborates `file` (named `filename` in diagnostics). Returns nothing after
/// reporting an error to `diags`.
std::optional<Program> elaborate(const ast::File &file,
                                 const std::string &filename,
                                 DiagnosticSink &diags,
                                 const FrontendOptions &options);

/// The elaborator's state; used through elaborate().
class Elaborator {
public:
  Elaborator(const ast::File &file, const std::string &filename,
             DiagnosticSink &diags, const FrontendOptions &options);

  std::optional<Program> run();

private:
  /// The names visible in one model, train or block expansion.
  struct Frame {
    std::map<std::string, Value> vars;
    std::map<std::string, ast::Loc> boundAt; ///< last binding of each name
    /// Names bound in only some branches of an `if` (the `if`'s location).
    std::map<std::string, ast::Loc> hidden;
    std::string prefix; ///< scope prefix of this expansion ("s1." or "")
    bool isModel = true; ///< model or train (its batch names are reserved)
  };

  /// The graph being built and its naming state.
  struct GraphState {
    ModelGraph graph;
    std::map<std::string, ast::Loc> scopes; ///< taken scopes, first use
    std::set<std::string> batchNames;
    std::string batchName = "N"; ///< how the batch prints in messages
    bool isTrain = false;
    std::map<std::string, int> outputs; ///< output name -> value (models)
  };

  /// How a statement list ended.
  enum class Flow { Next, Return, Error };

  // Declarations (Elaborator.cpp).
  bool collect();
  bool checkNoRecursion();
  bool elaborateModel(const ast::ModelDecl &decl);
  bool elaborateTrain(const ast::ModelDecl &decl);
  bool addInputs(const std::vector<ast::InputDecl> &inputs, Frame &frame);
  bool nameOutputs(const ast::Stmt &ret, const std::vector<Value> &values);
  bool checkOverridesUsed();

  // Statements (Elaborator.cpp).
  Flow execBody(const ast::StmtList &body, Frame &frame,
                std::vector<Value> &ret, const ast::Stmt **retStmt);
  Flow execAssign(const ast::Stmt &s, Frame &frame);
  Flow execFor(const ast::Stmt &s, Frame &frame, std::vector<Value> &ret,
               const ast::Stmt **retStmt);
  Flow execIf(const ast::Stmt &s, Frame &frame, std::vector<Value> &ret,
              const ast::Stmt **retStmt);
  /// Counts one step (a statement, loop iteration or expression node);
  /// false, with an error at `at`, past options.maxSteps.
  bool step(ast::Loc at);
  void bind(Frame &frame, const ast::Ident &id, Value value);

  // Expressions (ElabExpr.cpp).
  /// Evaluates `e` to one value. `target` is the assigned name when `e` is
  /// the whole right-hand side of an assignment (it names the scope).
  bool eval(const ast::Expr &e, Frame &frame, Value &out,
            const ast::Ident *target = nullptr);
  bool evalName(const ast::Expr &e, Frame &frame, Value &out);
  bool evalList(const ast::Expr &e, Frame &frame, Value &out);
  bool evalUnary(const ast::Expr &e, Frame &frame, Value &out,
                 const ast::Ident *target);
  bool evalBinary(const ast::Expr &e, Frame &frame, Value &out,
                  const ast::Ident *target);
  bool scalarArith(ast::BinaryOp op, const Value &a, const Value &b,
                   ast::Loc at, Value &out);
  bool compare(ast::BinaryOp op, const Value &a, const Value &b, ast::Loc at,
               Value &out);
  /// `a op b` where at least one side is a tensor: a broadcast graph node.
  bool tensorArith(const std::string &opName, const Value &a, const Value &b,
                   ast::Loc at, const std::string &nodeName, Value &out);
  /// Evaluates a call to all its results (blocks may return several).
  bool evalCall(const ast::Expr &e, Frame &frame, std::vector<Value> &out,
                const ast::Ident *target);
  bool evalArgs(const ast::Expr &e, Frame &frame, EvaluatedArgs &args);
  bool callOp(const OpInfo &op, const ast::Expr &e, Frame &frame, Value &out,
              const ast::Ident *target);
  bool callBlock(const ast::BlockDecl &block, const ast::Expr &e, Frame &frame,
                 std::vector<Value> &out, const ast::Ident *target);

  // Graph building and scopes (ElabGraph.cpp).
  int addValue(DType dtype, Shape shape);
  bool addNode(GraphNode node, ast::Loc at);
  int constantNode(double value, ast::Loc at);
  /// Evaluates `text`, the expression of a `{...}` in a name template, in
  /// `frame`; false with the first `problem` it has.
  bool evalInTemplate(const std::string &text, Frame &frame, Value &out,
                      std::string &problem);
  /// Substitutes each `{expr}` in the explicit `name=` string of a call of
  /// `callee` by the expression's int value.
  bool expandName(const std::string &callee, const BoundArg &nameArg,
                  Frame &frame, std::string &out);
  /// The scope an automatic name `full` gets: itself or `full_1`, ...
  std::string dedupScope(const std::string &full) const;
  /// Takes `full` for a call at `at`; an explicit name may not be taken.
  bool claimScope(const std::string &full, bool isExplicit, ast::Loc at);

  const ast::File &file;
  Reporter reporter;
  const FrontendOptions &options;
  std::map<std::string, const ast::BlockDecl *> blocks;
  std::map<std::string, const ast::ModelDecl *> models;
  /// Elaborated models by name, for their train declarations.
  std::map<std::string, GraphState> finished;
  /// Work done so far in the whole file, against options.maxSteps and
  /// options.maxNodes: per-model counters would let a file of many models
  /// (or of train declarations, which copy their model's graph) multiply
  /// the bounds.
  uint64_t steps = 0;
  size_t finishedNodes = 0; ///< ops of the graphs already in `program`
  std::map<std::string, ast::Loc> trained;
  std::set<std::string> overridesUsed;
  GraphState *cur = nullptr;
  std::vector<const ast::BlockDecl *> callStack;
  unsigned depth = 0;
  Program program;
};

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_ELABORATOR_H
