//===- OptimizationFlags.h - -O and --conv-algorithm for tools --*- C++ -*-===//
//
// The optimisation options `cnnopt` and `cnnopt-run` share, so the two
// compile a model the same way.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_COMMON_OPTIMIZATIONFLAGS_H
#define CNNOPT_TOOLS_COMMON_OPTIMIZATIONFLAGS_H

#include "passes/Pipelines.h"

#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace cnnopt::tools {

/// The category holding -O and --conv-algorithm (for HideUnrelatedOptions).
llvm::cl::OptionCategory &optimizationCategory();

/// The options given on the command line; prints an error and returns
/// nothing on an unknown optimisation level.
std::optional<OptimizationOptions> optimizationOptions(const std::string &tool);

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_COMMON_OPTIMIZATIONFLAGS_H
