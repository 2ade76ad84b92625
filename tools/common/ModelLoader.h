//===- ModelLoader.h - .cnn file to a verified module, for tools -*- C++ -*-===//
//
// What every tool does first: read a `.cnn` file (elaborating it, printing
// `file:line:col: error:` diagnostics) or an `.onnx` file (importing it,
// errors naming the node), build and verify the cnn module, and
// pick the model the command applies to (`--model`, or the only one).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_COMMON_MODELLOADER_H
#define CNNOPT_TOOLS_COMMON_MODELLOADER_H

#include "frontend/Frontend.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cnnopt::tools {

/// Prints `<tool>: error: <message>` and returns 1 (the exit code).
int fail(const std::string &tool, const llvm::Twine &message);

/// Parses `--input-shape name=d1,d2,...` options into `options`; prints an
/// error and returns false on a malformed one.
bool parseShapeOverrides(const std::string &tool, const std::vector<std::string> &specs,
                         FrontendOptions &options);

class ModelLoader {
public:
  ModelLoader(std::string tool, std::string path);
  ~ModelLoader();

  /// Reads, elaborates and verifies the file; false (errors printed) if
  /// anything is wrong with it.
  bool load(const FrontendOptions &options);

  /// Runs the optimisation pipeline on the module; false (diagnostics
  /// printed at their `.cnn` locations) if a pass fails. The tool must have
  /// called mlir::registerPassManagerCLOptions().
  bool optimize(const OptimizationOptions &options);

  /// The model named `name`, or the only one when `name` is empty; prints
  /// an error listing the models and returns null otherwise.
  const ModelGraph *select(const std::string &name);

  const Program &program() const { return *elaborated; }
  mlir::ModuleOp module() { return *built; }
  mlir::func::FuncOp function(const ModelGraph &model);

private:
  std::string tool, path;
  llvm::SourceMgr sourceMgr;
  mlir::MLIRContext context;
  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> handler;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> plainHandler; ///< ONNX files
  std::optional<Program> elaborated;
  mlir::OwningOpRef<mlir::ModuleOp> built;
};

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_COMMON_MODELLOADER_H
