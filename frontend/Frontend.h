//===- Frontend.h - .cnn text to elaborated graphs --------------*- C++ -*-===//
//
// The one entry point the tools use: lex, parse and elaborate a `.cnn` file.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_FRONTEND_H
#define CNNOPT_FRONTEND_FRONTEND_H

#include "frontend/Diagnostics.h"
#include "frontend/Graph.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cnnopt {

/// Default bounds on the compile-time work of one file: steps (statements,
/// loop iterations and expression nodes evaluated) and graph ops built, by
/// all its models and train declarations together. Past them elaboration stops with an error, so a
/// short file cannot keep the compiler busy for minutes or exhaust memory.
constexpr uint64_t kMaxSteps = 5000000;
constexpr size_t kMaxNodes = 1000000;

struct FrontendOptions {
  /// Replaces the non-batch dimensions of a model input before elaboration
  /// (`--input-shape x=3,64,64`), so large models can be tested at a small
  /// resolution. Keyed by input name.
  std::map<std::string, Shape> inputShapeOverrides;
  /// The work bounds (kMaxSteps, kMaxNodes). The fuzzer lowers them so that
  /// every input finishes within its time limit under the sanitizers.
  uint64_t maxSteps = kMaxSteps;
  size_t maxNodes = kMaxNodes;
};

/// Parses and elaborates `source` (named `filename` in diagnostics). Returns
/// nothing, with at least one error in `diags`, when the file is invalid.
std::optional<Program> compileSource(std::string_view source,
                                     const std::string &filename,
                                     DiagnosticSink &diags,
                                     const FrontendOptions &options = {});

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_FRONTEND_H
