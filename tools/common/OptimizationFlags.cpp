//===- OptimizationFlags.cpp - -O and --conv-algorithm for tools ----------===//

#include "tools/common/OptimizationFlags.h"
#include "tools/common/ModelLoader.h"
#include "passes/ConvCostModel.h"

#include "llvm/ADT/STLExtras.h"

namespace cl = llvm::cl;

namespace cnnopt::tools {

cl::OptionCategory &optimizationCategory() {
  static cl::OptionCategory category("Optimisation options");
  return category;
}

namespace {

cl::opt<unsigned> level("O", cl::Prefix, cl::init(2),
                        cl::desc("Optimisation level: -O0 compiles the graph as written, "
                                 "-O2 (default) optimises it"),
                        cl::value_desc("level"), cl::cat(optimizationCategory()));

cl::list<std::string> convAlgorithms(
    "conv-algorithm",
    cl::desc("auto (default), direct, gemm, depthwise, winograd_2x2_3x3 or "
             "winograd_4x4_3x3 for every conv where it is legal, or SCOPE=ALG for "
             "one layer (repeatable; -O2 only)"),
    cl::value_desc("[scope=]algorithm"), cl::cat(optimizationCategory()));

} // namespace

std::optional<OptimizationOptions> optimizationOptions(const std::string &tool) {
  if (!isOptimizationLevel(level)) {
    fail(tool, "unknown optimisation level -O" + std::to_string(level) + " (use -O0 or -O2)");
    return std::nullopt;
  }
  if (level == 0 && !convAlgorithms.empty()) {
    fail(tool, "--conv-algorithm needs -O2 (-O0 runs no pass)");
    return std::nullopt;
  }
  for (const std::string &spec : convAlgorithms) {
    llvm::StringRef name = llvm::StringRef(spec).rsplit('=').second;
    if (name.empty())
      name = spec;
    if (name != "auto" && !llvm::is_contained(convAlgorithmNames(), name.str())) {
      fail(tool, "--conv-algorithm=" + spec + ": unknown algorithm '" + name +
                     "' (expected auto, direct, gemm, depthwise, winograd_2x2_3x3 or "
                     "winograd_4x4_3x3)");
      return std::nullopt;
    }
  }
  OptimizationOptions options;
  options.level = level;
  options.convAlgorithms.assign(convAlgorithms.begin(), convAlgorithms.end());
  return options;
}

} // namespace cnnopt::tools
