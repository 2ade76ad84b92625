//===- ElabExpr.cpp - Expressions and calls -------------------------------===//
//
// Compile-time evaluation of expressions: literals, names (with the `if`
// visibility rule and the reserved batch name), lists, scalar arithmetic
// (floor division and modulo like Python, int-to-float promotion, overflow
// checks), comparisons, `and`/`or`/`not`, tensor arithmetic as broadcast
// graph nodes, and calls of ops, builtins, optimizers and blocks.
//===----------------------------------------------------------------------===//

#include "frontend/Elaborator.h"
#include "frontend/Suggest.h"

#include <cmath>

using namespace cnnopt;
using namespace cnnopt::ast;

namespace {

std::string at(Loc loc) {
  return std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

/// The node op of a tensor arithmetic operator.
const char *arithOpName(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "add";
  case BinaryOp::Sub: return "sub";
  case BinaryOp::Mul: return "mul";
  case BinaryOp::Div: return "div";
  default: return nullptr;
  }
}

ArgKind paramArgKind(ParamKind kind) {
  switch (kind) {
  case ParamKind::Tensor: return ArgKind::AnyTensor;
  case ParamKind::Int: return ArgKind::Int;
  case ParamKind::Float: return ArgKind::Float;
  case ParamKind::Bool: return ArgKind::Bool;
  case ParamKind::Str: return ArgKind::Str;
  case ParamKind::Ints: return ArgKind::Ints;
  }
  return ArgKind::AnyTensor;
}

} // namespace

bool Elaborator::eval(const Expr &e, Frame &frame, Value &out,
                      const Ident *target) {
  if (++depth > kMaxElabDepth) {
    --depth;
    return reporter.error(e.loc, "elaboration nested deeper than " +
                                     std::to_string(kMaxElabDepth) + " levels");
  }
  // Every expression node counts against the step bound, not only the
  // statements: otherwise a loop whose body is one long expression runs
  // the bound times the length of the file.
  if (!step(e.loc)) {
    --depth;
    return false;
  }
  bool ok = true;
  switch (e.kind) {
  case ExprKind::Int:
    out = Value::ofInt(e.intValue);
    break;
  case ExprKind::Float:
    out = Value::ofFloat(e.floatValue);
    break;
  case ExprKind::Bool:
    out = Value::ofBool(e.boolValue);
    break;
  case ExprKind::Str:
    out = Value::ofStr(e.text);
    break;
  case ExprKind::Name:
    ok = evalName(e, frame, out);
    break;
  case ExprKind::List:
    ok = evalList(e, frame, out);
    break;
  case ExprKind::Unary:
    ok = evalUnary(e, frame, out, target);
    break;
  case ExprKind::Binary:
    ok = evalBinary(e, frame, out, target);
    break;
  case ExprKind::Call: {
    std::vector<Value> results;
    ok = evalCall(e, frame, results, target);
    if (ok && results.size() != 1)
      ok = reporter.error(e.loc, "'" + e.text + "' returns " +
                                     std::to_string(results.size()) +
                                     " values; assign them to as many names");
    if (ok)
      out = std::move(results[0]);
    break;
  }
  }
  --depth;
  return ok;
}

bool Elaborator::evalName(const Expr &e, Frame &frame, Value &out) {
  auto it = frame.vars.find(e.text);
  if (it != frame.vars.end()) {
    out = it->second;
    return true;
  }
  auto hidden = frame.hidden.find(e.text);
  if (hidden != frame.hidden.end())
    return reporter.error(e.loc, "'" + e.text +
                                     "' is not bound in every branch of the "
                                     "if at " + at(hidden->second));
  if (frame.isModel && cur->batchNames.count(e.text))
    return reporter.error(e.loc, "'" + e.text +
                                     "' is the batch size, known only at run "
                                     "time; it cannot be used in expressions");
  return reporter.error(e.loc, "'" + e.text + "' used before it is defined");
}

bool Elaborator::evalList(const Expr &e, Frame &frame, Value &out) {
  std::vector<Value> elems;
  for (const ExprPtr &a : e.args) {
    Value v;
    if (!eval(*a, frame, v))
      return false;
    elems.push_back(std::move(v));
  }
  if (elems.empty()) {
    out = Value::ofInts({});
    return true;
  }
  Value::Kind kind = elems[0].kind;
  for (size_t k = 0; k < elems.size(); ++k) {
    if ((elems[k].kind != Value::Kind::Int &&
         elems[k].kind != Value::Kind::Tensor) ||
        elems[k].kind != kind)
      return reporter.error(e.args[k]->begin,
                            "a list holds only ints or only tensors, got " +
                                describeValue(elems[k], cur->graph.values));
  }
  if (kind == Value::Kind::Int) {
    std::vector<int64_t> ints;
    for (const Value &v : elems)
      ints.push_back(v.i);
    out = Value::ofInts(std::move(ints));
  } else {
    out = Value();
    out.kind = Value::Kind::Tensors;
    for (const Value &v : elems)
      out.tensors.push_back(v.tensor);
  }
  return true;
}

bool Elaborator::evalUnary(const Expr &e, Frame &frame, Value &out,
                           const Ident *target) {
  Value v;
  if (!eval(*e.args[0], frame, v))
    return false;
  if (e.unaryOp == UnaryOp::Not) {
    if (v.kind != Value::Kind::Bool)
      return reporter.error(e.loc, "'not' needs a bool, got " +
                                       describeValue(v, cur->graph.values));
    out = Value::ofBool(!v.b);
    return true;
  }
  switch (v.kind) {
  case Value::Kind::Int:
    if (v.i == INT64_MIN)
      return reporter.error(e.loc, "integer overflow");
    out = Value::ofInt(-v.i);
    return true;
  case Value::Kind::Float:
    out = Value::ofFloat(-v.f);
    return true;
  case Value::Kind::Tensor: {
    const TensorType &t = cur->graph.values[v.tensor];
    if (t.dtype != DType::F32)
      return reporter.error(e.loc, "neg: operand must be an f32 tensor, got "
                                   "an i32 tensor");
    GraphNode node;
    node.op = "neg";
    node.operands = {v.tensor};
    node.result = addValue(DType::F32, t.shape);
    node.name = target ? target->name : "neg";
    out = Value::ofTensor(node.result);
    return addNode(std::move(node), e.loc);
  }
  default:
    return reporter.error(e.loc, "'-' needs a number or a tensor, got " +
                                     describeValue(v, cur->graph.values));
  }
}

bool Elaborator::evalBinary(const Expr &e, Frame &frame, Value &out,
                            const Ident *target) {
  BinaryOp op = e.binaryOp;
  Value a, b;
  if (!eval(*e.args[0], frame, a))
    return false;
  if (op == BinaryOp::And || op == BinaryOp::Or) {
    if (a.kind != Value::Kind::Bool)
      return reporter.error(e.loc, std::string("'") + spelling(op) +
                                       "' needs bools, got " +
                                       describeValue(a, cur->graph.values));
    if (a.b == (op == BinaryOp::Or)) { // short circuit
      out = a;
      return true;
    }
    if (!eval(*e.args[1], frame, b))
      return false;
    if (b.kind != Value::Kind::Bool)
      return reporter.error(e.loc, std::string("'") + spelling(op) +
                                       "' needs bools, got " +
                                       describeValue(b, cur->graph.values));
    out = b;
    return true;
  }
  if (!eval(*e.args[1], frame, b))
    return false;
  if (const char *name = arithOpName(op)) {
    if (a.kind == Value::Kind::Tensor || b.kind == Value::Kind::Tensor) {
      if ((a.kind != Value::Kind::Tensor && !a.isNumber()) ||
          (b.kind != Value::Kind::Tensor && !b.isNumber()))
        return reporter.error(e.loc, std::string("'") + spelling(op) +
                                         "' needs tensors or numbers, got " +
                                         describeValue(a, cur->graph.values) +
                                         " and " +
                                         describeValue(b, cur->graph.values));
      return tensorArith(name, a, b, e.loc, target ? target->name : name, out);
    }
  }
  switch (op) {
  case BinaryOp::Add:
  case BinaryOp::Sub:
  case BinaryOp::Mul:
  case BinaryOp::Div:
  case BinaryOp::Mod:
    return scalarArith(op, a, b, e.loc, out);
  default:
    return compare(op, a, b, e.loc, out);
  }
}

bool Elaborator::scalarArith(BinaryOp op, const Value &a, const Value &b,
                             Loc loc, Value &out) {
  if (!a.isNumber() || !b.isNumber())
    return reporter.error(loc, std::string("'") + spelling(op) +
                                   "' needs numbers, got " +
                                   describeValue(a, cur->graph.values) +
                                   " and " +
                                   describeValue(b, cur->graph.values));
  if (a.kind == Value::Kind::Int && b.kind == Value::Kind::Int) {
    int64_t x = a.i, y = b.i, r = 0;
    bool overflow = false;
    switch (op) {
    case BinaryOp::Add: overflow = __builtin_add_overflow(x, y, &r); break;
    case BinaryOp::Sub: overflow = __builtin_sub_overflow(x, y, &r); break;
    case BinaryOp::Mul: overflow = __builtin_mul_overflow(x, y, &r); break;
    case BinaryOp::Div:
      if (y == 0)
        return reporter.error(loc, "division by zero");
      if (x == INT64_MIN && y == -1)
        return reporter.error(loc, "integer overflow");
      r = x / y;
      if (x % y != 0 && ((x < 0) != (y < 0)))
        --r; // floor division
      break;
    case BinaryOp::Mod:
      if (y == 0)
        return reporter.error(loc, "modulo by zero");
      r = y == -1 ? 0 : x % y;
      if (r != 0 && ((r < 0) != (y < 0)))
        r += y; // the sign of the divisor, like Python
      break;
    default:
      break;
    }
    if (overflow)
      return reporter.error(loc, "integer overflow");
    out = Value::ofInt(r);
    return true;
  }
  double x = a.asDouble(), y = b.asDouble(), r = 0;
  switch (op) {
  case BinaryOp::Add: r = x + y; break;
  case BinaryOp::Sub: r = x - y; break;
  case BinaryOp::Mul: r = x * y; break;
  case BinaryOp::Div:
    if (y == 0)
      return reporter.error(loc, "division by zero");
    r = x / y;
    break;
  case BinaryOp::Mod:
    if (y == 0)
      return reporter.error(loc, "modulo by zero");
    r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0)))
      r += y;
    break;
  default:
    break;
  }
  out = Value::ofFloat(r);
  return true;
}

bool Elaborator::compare(BinaryOp op, const Value &a, const Value &b, Loc loc,
                         Value &out) {
  bool equality = op == BinaryOp::Eq || op == BinaryOp::Ne;
  int order = 0; // -1, 0, 1 for numbers; 0/1 (equal/different) otherwise
  if (a.isNumber() && b.isNumber()) {
    if (a.kind == Value::Kind::Int && b.kind == Value::Kind::Int)
      order = a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    else
      order = a.asDouble() < b.asDouble() ? -1
              : a.asDouble() > b.asDouble() ? 1
                                            : 0;
  } else if (equality && a.kind == b.kind &&
             (a.kind == Value::Kind::Str || a.kind == Value::Kind::Bool ||
              a.kind == Value::Kind::Ints)) {
    bool same = a.kind == Value::Kind::Str    ? a.s == b.s
                : a.kind == Value::Kind::Bool ? a.b == b.b
                                              : a.ints == b.ints;
    order = same ? 0 : 1;
  } else {
    return reporter.error(loc, std::string("cannot compare ") +
                                   describeValue(a, cur->graph.values) +
                                   " with " +
                                   describeValue(b, cur->graph.values) +
                                   " using '" + spelling(op) + "'");
  }
  bool r = false;
  switch (op) {
  case BinaryOp::Eq: r = order == 0; break;
  case BinaryOp::Ne: r = order != 0; break;
  case BinaryOp::Lt: r = order < 0; break;
  case BinaryOp::Le: r = order <= 0; break;
  case BinaryOp::Gt: r = order > 0; break;
  case BinaryOp::Ge: r = order >= 0; break;
  default: break;
  }
  out = Value::ofBool(r);
  return true;
}

bool Elaborator::tensorArith(const std::string &opName, const Value &a,
                             const Value &b, Loc loc,
                             const std::string &nodeName, Value &out) {
  if (a.kind != Value::Kind::Tensor && b.kind != Value::Kind::Tensor)
    return reporter.error(loc, opName + ": expects at least one tensor, got " +
                                   describeValue(a, cur->graph.values) +
                                   " and " +
                                   describeValue(b, cur->graph.values));
  int ids[2];
  const Value *sides[2] = {&a, &b};
  for (int k = 0; k < 2; ++k) {
    const Value &v = *sides[k];
    if (v.kind == Value::Kind::Tensor) {
      if (cur->graph.values[v.tensor].dtype != DType::F32)
        return reporter.error(loc, opName + ": operands must be f32 tensors, "
                                            "got an i32 tensor");
      ids[k] = v.tensor;
    } else {
      ids[k] = constantNode(v.asDouble(), loc);
      if (ids[k] < 0)
        return false;
    }
  }
  shapes::ShapeOr r = shapes::broadcast(cur->graph.values[ids[0]].shape,
                                        cur->graph.values[ids[1]].shape);
  if (!r.ok())
    return reporter.error(loc, opName + ": " + r.error);
  GraphNode node;
  node.op = opName;
  node.operands = {ids[0], ids[1]};
  node.result = addValue(DType::F32, r.shape);
  node.name = nodeName;
  out = Value::ofTensor(node.result);
  return addNode(std::move(node), loc);
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

bool Elaborator::evalArgs(const Expr &e, Frame &frame, EvaluatedArgs &args) {
  for (const ExprPtr &a : e.args) {
    Value v;
    if (!eval(*a, frame, v))
      return false;
    args.positional.push_back({std::move(v), a->begin});
  }
  for (const KeywordArg &kw : e.kwargs) {
    Value v;
    if (!eval(*kw.value, frame, v))
      return false;
    args.keywords.push_back({kw.name.name, kw.name.loc, std::move(v)});
  }
  return true;
}

bool Elaborator::evalCall(const Expr &e, Frame &frame, std::vector<Value> &out,
                          const Ident *target) {
  out.clear();
  if (const OpInfo *op = findOp(e.text)) {
    Value v;
    if (!callOp(*op, e, frame, v, target))
      return false;
    out.push_back(std::move(v));
    return true;
  }
  auto block = blocks.find(e.text);
  if (block != blocks.end())
    return callBlock(*block->second, e, frame, out, target);
  std::vector<std::string> names;
  for (const OpInfo &op : allOps())
    names.push_back(op.name);
  for (const auto &b : blocks)
    names.push_back(b.first);
  return reporter.error(e.loc, "unknown op '" + e.text + "'" +
                                   didYouMean(e.text, names));
}

bool Elaborator::callOp(const OpInfo &op, const Expr &e, Frame &frame,
                        Value &out, const Ident *target) {
  bool trainOnly =
      op.category == OpCategory::Loss || op.category == OpCategory::Optimizer;
  if (trainOnly && !cur->isTrain)
    return reporter.error(e.loc, "'" + op.name +
                                     "' is allowed only in a train declaration");
  bool allowName = op.category == OpCategory::Layer ||
                   op.category == OpCategory::Loss ||
                   op.category == OpCategory::Arith;
  EvaluatedArgs args;
  std::vector<BoundArg> bound;
  BoundArg nameArg;
  if (!evalArgs(e, frame, args) ||
      !bindArgs(op.name, e.loc, op.params, args, allowName, cur->graph.values,
                reporter, bound, nameArg))
    return false;
  std::string explicitName;
  if (nameArg.present &&
      !expandName(op.name, nameArg, frame, explicitName))
    return false;
  std::string local = nameArg.present ? explicitName
                      : target        ? target->name
                                      : op.name;

  if (op.category == OpCategory::Arith)
    return tensorArith(op.name, bound[0].value, bound[1].value, e.loc, local,
                       out);

  OpCall call;
  call.info = &op;
  call.loc = e.loc;
  call.args = std::move(bound);
  call.values = &cur->graph.values;
  call.batchName = cur->batchName;
  if (!op.build(call)) {
    // ShapeRules words concat's mismatch as "along axis 1: ...", which
    // reads as "concat along axis 1: ..." (DSL.md).
    bool joined = call.error.compare(0, 6, "along ") == 0;
    return reporter.error(call.errorLoc,
                          op.name + (joined ? " " : ": ") + call.error);
  }
  // Sizes beyond ShapeRules' limits would wrap later arithmetic.
  if (op.category == OpCategory::Layer || op.category == OpCategory::Loss) {
    std::vector<const Shape *> created{&call.result};
    for (const NewParam &p : call.params)
      created.push_back(&p.shape);
    for (const Shape *shape : created) {
      shapes::ShapeOr size = shapes::checkSize(*shape);
      if (!size.ok())
        return reporter.error(e.loc, op.name + ": " + size.error);
    }
  }
  if (op.category == OpCategory::Builtin) {
    out = call.scalar;
    return true;
  }
  if (op.category == OpCategory::Optimizer) {
    auto spec = std::make_shared<OptimizerSpec>();
    spec->kind = op.name;
    spec->attrs = call.attrs;
    spec->loc = reporter.toSource(e.loc);
    out = Value();
    out.kind = Value::Kind::Optimizer;
    out.optimizer = std::move(spec);
    return true;
  }

  GraphNode node;
  node.op = op.name;
  node.operands = call.operands;
  node.attrs = std::move(call.attrs);
  node.name = local;
  if (!call.params.empty()) {
    std::string scope = frame.prefix + local;
    if (!nameArg.present)
      scope = dedupScope(scope);
    if (!claimScope(scope, nameArg.present, target ? target->loc : e.loc))
      return false;
    for (const NewParam &p : call.params) {
      int id = addValue(p.dtype, p.shape);
      cur->graph.params.push_back(GraphParam{scope + "." + p.role, p.role, id,
                                             p.trainable,
                                             reporter.toSource(e.loc), p.init,
                                             p.bound});
      if (p.operand)
        node.operands.push_back(id);
    }
    node.name = scope;
  }
  node.result = addValue(call.resultType, call.result);
  out = Value::ofTensor(node.result);
  return addNode(std::move(node), e.loc);
}

bool Elaborator::callBlock(const BlockDecl &block, const Expr &e, Frame &frame,
                           std::vector<Value> &out, const Ident *target) {
  for (size_t k = 0; k < callStack.size(); ++k) {
    if (callStack[k] != &block)
      continue;
    std::string cycle;
    for (size_t j = k; j < callStack.size(); ++j)
      cycle += callStack[j]->id.name + " -> ";
    return reporter.error(e.loc, "recursive block call: " + cycle +
                                     block.id.name);
  }
  if (callStack.size() >= kMaxBlockDepth)
    return reporter.error(e.loc, "block calls nested deeper than " +
                                     std::to_string(kMaxBlockDepth) + " levels");

  std::vector<ParamSpec> specs;
  for (const BlockParam &p : block.params)
    specs.push_back(ParamSpec{p.id.name, paramArgKind(p.kind),
                              p.defaultValue == nullptr, std::nullopt});
  EvaluatedArgs args;
  std::vector<BoundArg> bound;
  BoundArg nameArg;
  if (!evalArgs(e, frame, args) ||
      !bindArgs(block.id.name, e.loc, specs, args, /*allowName=*/true,
                cur->graph.values, reporter, bound, nameArg))
    return false;
  std::string local = target ? target->name : block.id.name;
  if (nameArg.present && !expandName(block.id.name, nameArg, frame, local))
    return false;
  std::string scope = frame.prefix + local;
  if (!nameArg.present)
    scope = dedupScope(scope);

  Frame inner;
  inner.isModel = false;
  inner.prefix = scope + ".";
  for (size_t k = 0; k < block.params.size(); ++k) {
    const BlockParam &p = block.params[k];
    if (bound[k].present) {
      bind(inner, p.id, bound[k].value);
      continue;
    }
    // Defaults are evaluated at the call, seeing the earlier parameters.
    Value v;
    if (!eval(*p.defaultValue, inner, v))
      return false;
    std::string expected;
    Value converted = v;
    if (!convertArg(specs[k].kind, cur->graph.values, converted, expected))
      return reporter.error(p.defaultValue->begin,
                            block.id.name + ": default of '" + p.id.name +
                                "' must be " + expected + ", got " +
                                describeValue(v, cur->graph.values));
    bind(inner, p.id, std::move(converted));
  }

  size_t paramsBefore = cur->graph.params.size();
  callStack.push_back(&block);
  const Stmt *retStmt = nullptr;
  Flow flow = execBody(block.body, inner, out, &retStmt);
  callStack.pop_back();
  if (flow == Flow::Error)
    return false;
  if (flow != Flow::Return)
    return reporter.error(block.close, "block '" + block.id.name +
                                           "' has no return");
  // Only a block that (transitively) owns parameters takes its scope.
  if (cur->graph.params.size() > paramsBefore &&
      !claimScope(scope, nameArg.present, target ? target->loc : e.loc))
    return false;
  return true;
}
