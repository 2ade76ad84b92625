//===- Elaborator.cpp - Declarations and statements -----------------------===//
//
// The top of elaboration: the name tables of blocks and models, model and
// train declarations (inputs, outputs, `loss` and `optimizer`), and the
// statements (assignment, return, compile-time `for` and `if`). Expressions
// and calls live in ElabExpr.cpp, graph building and scopes in ElabGraph.cpp.
//===----------------------------------------------------------------------===//

#include "frontend/Elaborator.h"
#include "frontend/Suggest.h"

#include <algorithm>
#include <map>

using namespace cnnopt;
using namespace cnnopt::ast;

namespace {

std::string at(Loc loc) {
  return std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

/// Every name a statement list may bind (assignment targets, loop
/// variables), in any branch.
void possiblyBound(const StmtList &body, std::set<std::string> &names) {
  for (const StmtPtr &s : body) {
    for (const Ident &t : s->targets)
      names.insert(t.name);
    if (s->kind == StmtKind::For)
      names.insert(s->var.name);
    possiblyBound(s->body, names);
    possiblyBound(s->elseBody, names);
  }
}

/// The names a statement list binds on every path through its `if`s.
std::set<std::string> surelyBound(const StmtList &body) {
  std::set<std::string> names;
  for (const StmtPtr &s : body) {
    for (const Ident &t : s->targets)
      names.insert(t.name);
    if (s->kind == StmtKind::For) {
      names.insert(s->var.name);
      std::set<std::string> inner = surelyBound(s->body);
      names.insert(inner.begin(), inner.end());
    } else if (s->kind == StmtKind::If && s->hasElse) {
      std::set<std::string> a = surelyBound(s->body);
      std::set<std::string> b = surelyBound(s->elseBody);
      for (const std::string &n : a)
        if (b.count(n))
          names.insert(n);
    }
  }
  return names;
}

/// A call from one block to another, found in the source.
struct BlockCall {
  const std::string *callee;
  Loc loc;
};

/// Every call to a block in an expression tree, in source order.
void blockCallsIn(const Expr &e, const std::map<std::string, const BlockDecl *> &blocks,
                  std::vector<BlockCall> &out) {
  if (e.kind == ExprKind::Call) {
    auto it = blocks.find(e.text);
    if (it != blocks.end())
      out.push_back({&it->first, e.loc});
  }
  for (const ExprPtr &arg : e.args)
    blockCallsIn(*arg, blocks, out);
  for (const KeywordArg &kw : e.kwargs)
    blockCallsIn(*kw.value, blocks, out);
}

void blockCallsIn(const StmtList &body,
                  const std::map<std::string, const BlockDecl *> &blocks,
                  std::vector<BlockCall> &out) {
  for (const StmtPtr &s : body) {
    for (const Expr *e : {s->value.get(), s->lo.get(), s->hi.get(), s->cond.get()})
      if (e)
        blockCallsIn(*e, blocks, out);
    for (const ExprPtr &v : s->values)
      blockCallsIn(*v, blocks, out);
    blockCallsIn(s->body, blocks, out);
    blockCallsIn(s->elseBody, blocks, out);
  }
}

} // namespace

Elaborator::Elaborator(const File &file, const std::string &filename,
                       DiagnosticSink &diags, const FrontendOptions &options)
    : file(file), options(options) {
  reporter.diags = &diags;
  reporter.file = &filename;
}

std::optional<Program> cnnopt::elaborate(const File &file,
                                         const std::string &filename,
                                         DiagnosticSink &diags,
                                         const FrontendOptions &options) {
  return Elaborator(file, filename, diags, options).run();
}

std::optional<Program> Elaborator::run() {
  if (file.models.empty()) {
    reporter.error(Loc{1, 1}, "no model in file");
    return std::nullopt;
  }
  if (!collect() || !checkNoRecursion())
    return std::nullopt;
  for (const ModelDecl &m : file.models)
    if (!elaborateModel(m))
      return std::nullopt;
  for (const ModelDecl &t : file.trains)
    if (!elaborateTrain(t))
      return std::nullopt;
  if (!checkOverridesUsed())
    return std::nullopt;
  return std::move(program);
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

bool Elaborator::collect() {
  for (const BlockDecl &b : file.blocks) {
    if (findOp(b.id.name))
      return reporter.error(b.id.loc, "block '" + b.id.name +
                                          "' has the name of a built-in op");
    auto it = blocks.find(b.id.name);
    if (it != blocks.end())
      return reporter.error(b.id.loc, "block '" + b.id.name +
                                          "' is defined twice (first at " +
                                          at(it->second->id.loc) + ")");
    std::set<std::string> seen;
    for (const BlockParam &p : b.params) {
      if (p.id.name == "name")
        return reporter.error(p.id.loc, "parameter 'name' is reserved for "
                                        "scope names");
      if (!seen.insert(p.id.name).second)
        return reporter.error(p.id.loc, "parameter '" + p.id.name +
                                            "' is declared twice");
    }
    blocks[b.id.name] = &b;
  }
  for (const ModelDecl &m : file.models) {
    auto it = models.find(m.id.name);
    if (it != models.end())
      return reporter.error(m.id.loc, "model '" + m.id.name +
                                          "' is defined twice (first at " +
                                          at(it->second->id.loc) + ")");
    auto b = blocks.find(m.id.name);
    if (b != blocks.end())
      return reporter.error(m.id.loc, "model '" + m.id.name +
                                          "' has the name of the block at " +
                                          at(b->second->id.loc));
    models[m.id.name] = &m;
  }
  return true;
}

/// DSL.md: blocks may call blocks, not themselves. The check is on the
/// source, so recursion that a compile-time `if` would stop, and recursion
/// through a parameter's default, are rejected too. A depth-first walk of
/// the call graph reports the call that closes the first cycle.
bool Elaborator::checkNoRecursion() {
  std::map<std::string, std::vector<BlockCall>> calls;
  for (const auto &[name, block] : blocks) {
    std::vector<BlockCall> &out = calls[name];
    for (const BlockParam &p : block->params)
      if (p.defaultValue)
        blockCallsIn(*p.defaultValue, blocks, out);
    blockCallsIn(block->body, blocks, out);
  }
  enum class Mark { Unvisited, OnPath, Done };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  // Iterative, so that a long chain of blocks cannot overflow the stack.
  struct Visit {
    const std::string *block;
    size_t next = 0;
  };
  for (const BlockDecl &root : file.blocks) {
    if (marks[root.id.name] != Mark::Unvisited)
      continue;
    std::vector<Visit> stack{{&root.id.name}};
    marks[root.id.name] = Mark::OnPath;
    path.push_back(root.id.name);
    while (!stack.empty()) {
      Visit &top = stack.back();
      const std::vector<BlockCall> &out = calls[*top.block];
      if (top.next == out.size()) {
        marks[*top.block] = Mark::Done;
        path.pop_back();
        stack.pop_back();
        continue;
      }
      const BlockCall &call = out[top.next++];
      Mark &mark = marks[*call.callee];
      if (mark == Mark::OnPath) {
        std::string cycle;
        auto from = std::find(path.begin(), path.end(), *call.callee);
        for (auto it = from; it != path.end(); ++it)
          cycle += *it + " -> ";
        return reporter.error(call.loc, "recursive block call: " + cycle +
                                            *call.callee);
      }
      if (mark == Mark::Unvisited) {
        mark = Mark::OnPath;
        path.push_back(*call.callee);
        stack.push_back({call.callee});
      }
    }
  }
  return true;
}

bool Elaborator::addInputs(const std::vector<InputDecl> &inputs,
                           Frame &frame) {
  for (const InputDecl &in : inputs) {
    const std::string &name = in.id.name;
    if (frame.vars.count(name))
      return reporter.error(in.id.loc, "input '" + name + "' is declared twice");
    Shape shape;
    std::string batchName;
    Loc batchLoc;
    for (size_t k = 0; k < in.dims.size(); ++k) {
      const InputDim &d = in.dims[k];
      std::string which = "dimension " + std::to_string(k) + " of '" + name + "'";
      if (d.isName) {
        if (k != 0)
          return reporter.error(d.loc, which + " must be an integer; only "
                                               "dimension 0 may name the batch");
        batchName = d.name;
        batchLoc = d.loc;
        shape.push_back(kDynamic);
        continue;
      }
      if (d.value <= 0)
        return reporter.error(d.loc, which + " must be positive, got " +
                                         std::to_string(d.value));
      shape.push_back(d.value);
    }
    auto ov = options.inputShapeOverrides.find(name);
    if (ov != options.inputShapeOverrides.end()) {
      overridesUsed.insert(name);
      for (int64_t d : ov->second)
        if (d <= 0)
          return reporter.error(in.id.loc, "input shape override for '" + name +
                                               "' must hold positive sizes");
      if (ov->second.size() + 1 != shape.size())
        return reporter.error(in.id.loc,
                              "input shape override for '" + name + "' gives " +
                                  std::to_string(ov->second.size()) +
                                  " dimensions, the input has " +
                                  std::to_string(shape.size() - 1) +
                                  " after the batch");
      shape.resize(1);
      shape.insert(shape.end(), ov->second.begin(), ov->second.end());
    }
    if (!batchName.empty()) {
      // DSL.md: one name means one size. Two names would be two run-time
      // sizes that no op could relate, so a model has a single batch name.
      if (!cur->batchNames.empty() && !cur->batchNames.count(batchName))
        return reporter.error(batchLoc, "input '" + name + "' names its batch '" +
                                            batchName + "', but the model's "
                                            "batch is '" + cur->batchName + "'");
      if (cur->batchNames.empty())
        cur->batchName = batchName;
      cur->batchNames.insert(batchName);
    }
    int id = addValue(in.isI32 ? DType::I32 : DType::F32, shape);
    cur->graph.inputs.push_back(
        GraphInput{name, id, batchName, reporter.toSource(in.id.loc)});
    bind(frame, in.id, Value::ofTensor(id));
  }
  return true;
}

bool Elaborator::nameOutputs(const Stmt &ret, const std::vector<Value> &values) {
  std::set<std::string> used;
  for (size_t k = 0; k < values.size(); ++k) {
    const Expr &e = *ret.values[k];
    if (values[k].kind != Value::Kind::Tensor)
      return reporter.error(e.begin,
                            "a model output must be a tensor, got " +
                                describeValue(values[k], cur->graph.values));
    std::string name = "out" + std::to_string(k);
    if (e.kind == ExprKind::Name && !used.count(e.text))
      name = e.text;
    used.insert(name);
    cur->graph.outputs.push_back(GraphOutput{name, values[k].tensor});
    cur->outputs[name] = values[k].tensor;
  }
  return true;
}

bool Elaborator::elaborateModel(const ModelDecl &decl) {
  GraphState state;
  state.graph.name = decl.id.name;
  state.graph.loc = reporter.toSource(decl.id.loc);
  cur = &state;
  Frame frame;
  if (!addInputs(decl.inputs, frame))
    return false;
  std::vector<Value> ret;
  const Stmt *retStmt = nullptr;
  Flow flow = execBody(decl.body, frame, ret, &retStmt);
  if (flow == Flow::Error)
    return false;
  if (flow != Flow::Return || !retStmt)
    return reporter.error(decl.close, "model '" + decl.id.name +
                                          "' has no return");
  if (!nameOutputs(*retStmt, ret))
    return false;
  program.models.push_back(state.graph);
  finishedNodes += state.graph.nodes.size();
  cur = nullptr;
  finished[decl.id.name] = std::move(state);
  return true;
}

bool Elaborator::elaborateTrain(const ModelDecl &decl) {
  const std::string &name = decl.id.name;
  auto model = finished.find(name);
  if (model == finished.end()) {
    std::vector<std::string> names;
    for (const auto &m : models)
      names.push_back(m.first);
    return reporter.error(decl.id.loc, "train declaration names unknown model '" +
                                           name + "'" + didYouMean(name, names));
  }
  auto prior = trained.find(name);
  if (prior != trained.end())
    return reporter.error(decl.id.loc, "model '" + name +
                                           "' already has a train declaration "
                                           "(at " + at(prior->second) + ")");
  trained[name] = decl.id.loc;

  GraphState state = model->second;
  state.graph.isTrain = true;
  state.graph.loc = reporter.toSource(decl.id.loc);
  state.graph.outputs.clear();
  state.isTrain = true;
  cur = &state;
  // Only the model's outputs and the declared extra inputs are in scope.
  Frame frame;
  std::set<std::string> taken;
  for (const auto &out : model->second.outputs) {
    frame.vars[out.first] = Value::ofTensor(out.second);
    taken.insert(out.first);
  }
  for (const GraphInput &in : model->second.graph.inputs)
    taken.insert(in.name);
  for (const InputDecl &in : decl.inputs)
    if (taken.count(in.id.name))
      return reporter.error(in.id.loc, "input '" + in.id.name +
                                           "' is already a name of model '" +
                                           name + "'");
  if (!addInputs(decl.inputs, frame))
    return false;

  std::vector<Value> ret;
  if (execBody(decl.body, frame, ret, nullptr) == Flow::Error)
    return false;

  // The model's outputs are in scope, so `loss` and `optimizer` must be bound
  // by the declaration itself, not inherited from an output of that name.
  auto loss = frame.vars.find("loss");
  if (loss == frame.vars.end() || !frame.boundAt.count("loss"))
    return reporter.error(decl.close, "train declaration must bind 'loss'");
  const Value &lv = loss->second;
  Loc lossAt = frame.boundAt["loss"];
  if (lv.kind != Value::Kind::Tensor)
    return reporter.error(lossAt, "'loss' must be a scalar tensor, got " +
                                      describeValue(lv, state.graph.values));
  const TensorType &lt = state.graph.values[lv.tensor];
  if (!lt.shape.empty() || lt.dtype != DType::F32)
    return reporter.error(lossAt, "'loss' must be a scalar f32 tensor, got " +
                                      shapes::format(lt.shape, state.batchName));
  auto opt = frame.vars.find("optimizer");
  if (opt == frame.vars.end() || !frame.boundAt.count("optimizer"))
    return reporter.error(decl.close, "train declaration must bind "
                                      "'optimizer' (sgd, adam or adamw)");
  if (opt->second.kind != Value::Kind::Optimizer)
    return reporter.error(frame.boundAt["optimizer"],
                          "'optimizer' must be sgd(...), adam(...) or "
                          "adamw(...), got " +
                              describeValue(opt->second, state.graph.values));
  state.graph.outputs = {GraphOutput{"loss", lv.tensor}};
  state.graph.optimizer = *opt->second.optimizer;
  finishedNodes += state.graph.nodes.size();
  program.trains.push_back(std::move(state.graph));
  cur = nullptr;
  return true;
}

bool Elaborator::checkOverridesUsed() {
  for (const auto &ov : options.inputShapeOverrides)
    if (!overridesUsed.count(ov.first))
      return reporter.error(Loc{1, 1}, "input shape override names no model "
                                       "input '" + ov.first + "'");
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Elaborator::step(Loc loc) {
  if (++steps > options.maxSteps)
    return reporter.error(loc, "elaboration runs more than " +
                                   std::to_string(options.maxSteps) +
                                   " statements (is a loop too long?)");
  return true;
}

void Elaborator::bind(Frame &frame, const Ident &id, Value value) {
  frame.vars[id.name] = std::move(value);
  frame.boundAt[id.name] = id.loc;
  frame.hidden.erase(id.name);
}

Elaborator::Flow Elaborator::execBody(const StmtList &body, Frame &frame,
                                      std::vector<Value> &ret,
                                      const Stmt **retStmt) {
  if (++depth > kMaxElabDepth) {
    --depth;
    reporter.error(body.empty() ? Loc{1, 1} : body.front()->loc,
                   "elaboration nested deeper than " +
                       std::to_string(kMaxElabDepth) + " levels");
    return Flow::Error;
  }
  Flow flow = Flow::Next;
  for (const StmtPtr &sp : body) {
    const Stmt &s = *sp;
    if (!step(s.loc)) {
      flow = Flow::Error;
      break;
    }
    switch (s.kind) {
    case StmtKind::Assign:
      flow = execAssign(s, frame);
      break;
    case StmtKind::Return: {
      ret.clear();
      flow = Flow::Return;
      for (const ExprPtr &e : s.values) {
        Value v;
        if (!eval(*e, frame, v)) {
          flow = Flow::Error;
          break;
        }
        ret.push_back(std::move(v));
      }
      if (retStmt)
        *retStmt = &s;
      break;
    }
    case StmtKind::For:
      flow = execFor(s, frame, ret, retStmt);
      break;
    case StmtKind::If:
      flow = execIf(s, frame, ret, retStmt);
      break;
    }
    if (flow != Flow::Next)
      break;
  }
  --depth;
  return flow;
}

Elaborator::Flow Elaborator::execAssign(const Stmt &s, Frame &frame) {
  if (s.targets.size() == 1) {
    Value v;
    if (!eval(*s.value, frame, v, &s.targets[0]))
      return Flow::Error;
    bind(frame, s.targets[0], std::move(v));
    return Flow::Next;
  }
  if (s.value->kind != ExprKind::Call) {
    reporter.error(s.value->begin, "cannot assign one value to " +
                                       std::to_string(s.targets.size()) +
                                       " names");
    return Flow::Error;
  }
  std::vector<Value> values;
  if (!evalCall(*s.value, frame, values, &s.targets[0]))
    return Flow::Error;
  if (values.size() != s.targets.size()) {
    reporter.error(s.value->loc, "'" + s.value->text + "' returns " +
                                     std::to_string(values.size()) +
                                     (values.size() == 1 ? " value" : " values") +
                                     ", not " +
                                     std::to_string(s.targets.size()));
    return Flow::Error;
  }
  for (size_t k = 0; k < values.size(); ++k)
    bind(frame, s.targets[k], std::move(values[k]));
  return Flow::Next;
}

Elaborator::Flow Elaborator::execFor(const Stmt &s, Frame &frame,
                                     std::vector<Value> &ret,
                                     const Stmt **retStmt) {
  Value lo, hi;
  if (!eval(*s.lo, frame, lo) || !eval(*s.hi, frame, hi))
    return Flow::Error;
  for (const auto &bound : {std::make_pair(&lo, s.lo.get()),
                            std::make_pair(&hi, s.hi.get())}) {
    if (bound.first->kind != Value::Kind::Int) {
      reporter.error(bound.second->begin,
                     "loop bounds must be ints, got " +
                         describeValue(*bound.first, cur->graph.values));
      return Flow::Error;
    }
  }
  for (int64_t i = lo.i; i < hi.i; ++i) {
    if (!step(s.loc))
      return Flow::Error;
    bind(frame, s.var, Value::ofInt(i));
    Flow flow = execBody(s.body, frame, ret, retStmt);
    if (flow != Flow::Next)
      return flow;
  }
  return Flow::Next;
}

Elaborator::Flow Elaborator::execIf(const Stmt &s, Frame &frame,
                                    std::vector<Value> &ret,
                                    const Stmt **retStmt) {
  Value cond;
  if (!eval(*s.cond, frame, cond))
    return Flow::Error;
  if (cond.kind != Value::Kind::Bool) {
    reporter.error(s.cond->begin,
                   "if condition must be a bool, got " +
                       describeValue(cond, cur->graph.values));
    return Flow::Error;
  }
  std::set<std::string> before;
  for (const auto &v : frame.vars)
    before.insert(v.first);
  Flow flow = execBody(cond.b ? s.body : s.elseBody, frame, ret, retStmt);
  if (flow != Flow::Next)
    return flow;
  // A name first bound here is visible afterwards only if every branch
  // binds it.
  std::set<std::string> maybe;
  possiblyBound(s.body, maybe);
  possiblyBound(s.elseBody, maybe);
  std::set<std::string> sureThen = surelyBound(s.body);
  std::set<std::string> sureElse =
      s.hasElse ? surelyBound(s.elseBody) : std::set<std::string>{};
  for (const std::string &n : maybe) {
    if (before.count(n) || (sureThen.count(n) && sureElse.count(n)))
      continue;
    frame.vars.erase(n);
    frame.hidden[n] = s.loc;
  }
  return Flow::Next;
}
