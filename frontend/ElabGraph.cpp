//===- ElabGraph.cpp - Graph building and scope names ---------------------===//
//
// Appends values and nodes to the graph being elaborated (bounded by
// FrontendOptions::maxNodes over the whole file), and implements the
// `state_dict` naming rules of DSL.md: `{v}` substitution in `name=`, `_1`,
// `_2`, ... for automatic duplicates (skipping taken names), and an error for
// an explicit duplicate.
//===----------------------------------------------------------------------===//

#include "frontend/Elaborator.h"
#include "frontend/Parser.h"

using namespace cnnopt;
using namespace cnnopt::ast;

int Elaborator::addValue(DType dtype, Shape shape) {
  cur->graph.values.push_back(TensorType{dtype, std::move(shape)});
  return int(cur->graph.values.size() - 1);
}

bool Elaborator::addNode(GraphNode node, Loc at) {
  size_t own = cur->graph.nodes.size();
  if (own >= options.maxNodes)
    return reporter.error(at, "model has more than " +
                                  std::to_string(options.maxNodes) +
                                  " ops (is a loop too long?)");
  if (finishedNodes + own >= options.maxNodes)
    return reporter.error(at, "the models of this file have more than " +
                                  std::to_string(options.maxNodes) +
                                  " ops together (is a loop too long?)");
  node.loc = reporter.toSource(at);
  cur->graph.nodes.push_back(std::move(node));
  return true;
}

int Elaborator::constantNode(double value, Loc at) {
  GraphNode node;
  node.op = "constant";
  node.attrs["value"] = value;
  node.result = addValue(DType::F32, {});
  node.name = "constant";
  int id = node.result;
  return addNode(std::move(node), at) ? id : -1;
}

bool Elaborator::evalInTemplate(const std::string &text, Frame &frame, Value &out,
                                std::string &problem) {
  // Its own diagnostics: the caller reports the first one at the name
  // argument, after the template it stands in.
  DiagnosticSink local;
  Reporter outer = reporter;
  std::optional<std::vector<Token>> tokens = lex(text, *reporter.file, local);
  ast::ExprPtr expr = tokens ? parseExpression(*tokens, *reporter.file, local) : nullptr;
  bool ok = false;
  if (expr) {
    reporter.diags = &local;
    ok = eval(*expr, frame, out);
    reporter = outer;
  }
  if (!ok)
    problem = local.hasErrors() ? local.all().front().message : "'{" + text + "}' is empty";
  return ok;
}

bool Elaborator::expandName(const std::string &callee,
                            const BoundArg &nameArg, Frame &frame,
                            std::string &out) {
  const std::string &tmpl = nameArg.value.s;
  const std::string prefix = callee + ": name \"" + tmpl + "\": ";
  out.clear();
  for (size_t k = 0; k < tmpl.size(); ++k) {
    char c = tmpl[k];
    if (c == '}')
      return reporter.error(nameArg.loc, prefix + "'}' without '{'");
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    size_t close = tmpl.find('}', k);
    if (close == std::string::npos)
      return reporter.error(nameArg.loc, prefix + "'{' without '}'");
    std::string text = tmpl.substr(k + 1, close - k - 1);
    Value value;
    std::string problem;
    if (!evalInTemplate(text, frame, value, problem))
      return reporter.error(nameArg.loc, prefix + problem);
    if (value.kind != Value::Kind::Int)
      return reporter.error(nameArg.loc,
                            prefix + "'{" + text + "}' must name an int, got " +
                                describeValue(value, cur->graph.values));
    out += std::to_string(value.i);
    k = close;
  }
  if (out.empty() || out.front() == '.' || out.back() == '.' ||
      out.find("..") != std::string::npos)
    return reporter.error(nameArg.loc, prefix + "a scope name needs a "
                                                "non-empty part between dots");
  return true;
}

std::string Elaborator::dedupScope(const std::string &full) const {
  if (!cur->scopes.count(full))
    return full;
  for (size_t k = 1;; ++k) {
    std::string candidate = full + "_" + std::to_string(k);
    if (!cur->scopes.count(candidate))
      return candidate;
  }
}

bool Elaborator::claimScope(const std::string &full, bool isExplicit, Loc at) {
  auto it = cur->scopes.find(full);
  if (it != cur->scopes.end()) {
    if (isExplicit)
      return reporter.error(at, "scope '" + full + "' is used twice (first at " +
                                    std::to_string(it->second.line) + ":" +
                                    std::to_string(it->second.col) + ")");
    // Automatic names were deduplicated before; nothing to do.
    return true;
  }
  cur->scopes[full] = at;
  return true;
}
