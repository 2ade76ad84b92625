//===- Diagnostics.h - Located front-end errors -----------------*- C++ -*-===//
//
// The language half of the front end reports errors here instead of through
// MLIR so that it stays free of MLIR. The driver prints them as
// `file:line:col: error: message` (DSL.md) and exits with code 1.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_DIAGNOSTICS_H
#define CNNOPT_FRONTEND_DIAGNOSTICS_H

#include "frontend/Graph.h"

#include <string>
#include <vector>

namespace cnnopt {

struct Diagnostic {
  SourceLoc loc;
  std::string message; ///< lower case, no trailing period
};

/// Collects errors in the order they were found.
class DiagnosticSink {
public:
  void error(const SourceLoc &loc, std::string message) {
    diagnostics.push_back({loc, std::move(message)});
  }
  bool hasErrors() const { return !diagnostics.empty(); }
  const std::vector<Diagnostic> &all() const { return diagnostics; }

  /// `file:line:col: error: message`
  static std::string format(const Diagnostic &d) {
    return d.loc.file + ":" + std::to_string(d.loc.line) + ":" +
           std::to_string(d.loc.col) + ": error: " + d.message;
  }

private:
  std::vector<Diagnostic> diagnostics;
};

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_DIAGNOSTICS_H
