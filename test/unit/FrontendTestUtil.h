//===- FrontendTestUtil.h - Helpers for the front-end units -----*- C++ -*-===//
//
// Compile a snippet and get its program, or its first error as
// "line:col: message"; look up parameters, nodes and value shapes by name.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TEST_UNIT_FRONTENDTESTUTIL_H
#define CNNOPT_TEST_UNIT_FRONTENDTESTUTIL_H

#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cnnopt::test {

/// The first diagnostic of compiling `src` as "line:col: message", or
/// "no error".
inline std::string firstError(const std::string &src,
                              const FrontendOptions &options = {}) {
  DiagnosticSink diags;
  std::optional<Program> p = compileSource(src, "t.cnn", diags, options);
  if (!diags.hasErrors())
    return p ? "no error" : "no error but no program";
  const Diagnostic &d = diags.all().front();
  return std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " +
         d.message;
}

/// Compiles `src`, failing the test (with the diagnostics) on an error.
inline Program compileOk(const std::string &src,
                         const FrontendOptions &options = {}) {
  DiagnosticSink diags;
  std::optional<Program> p = compileSource(src, "t.cnn", diags, options);
  std::string all;
  for (const Diagnostic &d : diags.all())
    all += DiagnosticSink::format(d) + "\n";
  EXPECT_TRUE(p.has_value()) << all;
  EXPECT_FALSE(diags.hasErrors()) << all;
  return p ? std::move(*p) : Program{};
}

/// "name [shape]" for every parameter of `m`, in program order.
inline std::vector<std::string> paramList(const ModelGraph &m) {
  std::vector<std::string> out;
  for (const GraphParam &p : m.params)
    out.push_back(p.name + " " + shapes::format(m.values[p.value].shape));
  return out;
}

/// The parameter names of `m`, in program order.
inline std::vector<std::string> paramNames(const ModelGraph &m) {
  std::vector<std::string> out;
  for (const GraphParam &p : m.params)
    out.push_back(p.name);
  return out;
}

/// The ops of `m`'s nodes, in program order.
inline std::vector<std::string> nodeOps(const ModelGraph &m) {
  std::vector<std::string> out;
  for (const GraphNode &n : m.nodes)
    out.push_back(n.op);
  return out;
}

/// The first node of `m` with op `op` (fails the test when there is none).
inline const GraphNode &nodeOf(const ModelGraph &m, const std::string &op,
                               size_t nth = 0) {
  for (const GraphNode &n : m.nodes)
    if (n.op == op && nth-- == 0)
      return n;
  ADD_FAILURE() << "no node " << op;
  static GraphNode none;
  return none;
}

/// The shape of output `k` of `m`, formatted.
inline std::string outShape(const ModelGraph &m, size_t k = 0) {
  if (k >= m.outputs.size())
    return "<no output>";
  return shapes::format(m.values[m.outputs[k].value].shape);
}

/// Wraps statements into a model with input x: f32[N, 3, 32, 32].
inline std::string inModel(const std::string &body,
                           const std::string &ret = "return h") {
  return "model M(x: f32[N, 3, 32, 32]) {\n" + body + "\n  " + ret + "\n}\n";
}

} // namespace cnnopt::test

#endif // CNNOPT_TEST_UNIT_FRONTENDTESTUTIL_H
