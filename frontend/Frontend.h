//===- Frontend.h - .cnn text to elaborated graphs --------------*- C++ -*-===//
//
// The one entry point the tools use: lex, parse and elaborate a `.cnn` file.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_FRONTEND_H
#define CNNOPT_FRONTEND_FRONTEND_H

#include "frontend/Diagnostics.h"
#include "frontend/Graph.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cnnopt {

struct FrontendOptions {
  /// Replaces the non-batch dimensions of a model input before elaboration
  /// (`--input-shape x=3,64,64`), so large models can be tested at a small
  /// resolution. Keyed by input name.
  std::map<std::string, Shape> inputShapeOverrides;
};

/// Parses and elaborates `source` (named `filename` in diagnostics). Returns
/// nothing, with at least one error in `diags`, when the file is invalid.
std::optional<Program> compileSource(std::string_view source,
                                     const std::string &filename,
                                     DiagnosticSink &diags,
                                     const FrontendOptions &options = {});

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_FRONTEND_H
