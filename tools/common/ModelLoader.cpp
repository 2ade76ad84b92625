//===- ModelLoader.cpp - .cnn file to a verified module, for tools --------===//

#include "tools/common/ModelLoader.h"
#include "frontend/MLIRGen.h"
#include "frontend/onnx/OnnxImport.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace cnnopt::tools {

int fail(const std::string &tool, const llvm::Twine &message) {
  llvm::errs() << tool << ": error: " << message << "\n";
  return 1;
}

bool parseShapeOverrides(const std::string &tool, const std::vector<std::string> &specs,
                         FrontendOptions &options) {
  for (const std::string &spec : specs) {
    auto [name, dims] = llvm::StringRef(spec).split('=');
    if (name.empty() || dims.empty()) {
      fail(tool, "--input-shape expects name=d1,d2,..., got '" + spec + "'");
      return false;
    }
    Shape shape;
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, ',');
    for (llvm::StringRef part : parts) {
      int64_t d;
      if (part.trim().getAsInteger(10, d) || d <= 0) {
        fail(tool, "--input-shape: '" + part + "' is not a positive integer");
        return false;
      }
      shape.push_back(d);
    }
    options.inputShapeOverrides[name.str()] = shape;
  }
  return true;
}

ModelLoader::ModelLoader(std::string tool, std::string path)
    : tool(std::move(tool)), path(std::move(path)) {}

ModelLoader::~ModelLoader() = default;

bool ModelLoader::load(const FrontendOptions &options) {
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file = mlir::openInputFile(path, &errorMessage);
  if (!file) {
    fail(tool, errorMessage);
    return false;
  }
  if (onnx_import::isOnnxPath(path)) {
    std::string error;
    elaborated = onnx_import::importOnnx(file->getBuffer(), path, error, options);
    if (!elaborated) {
      llvm::errs() << error << "\n";
      return false;
    }
    // No source lines to quote from a binary file: diagnostics are one line.
    plainHandler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &context, [](mlir::Diagnostic &d) {
          llvm::errs() << d.getLocation() << ": " << d << "\n";
          return mlir::success();
        });
  } else {
    DiagnosticSink diags;
    elaborated = compileSource(file->getBuffer(), path, diags, options);
    if (!elaborated) {
      for (const Diagnostic &d : diags.all())
        llvm::errs() << DiagnosticSink::format(d) << "\n";
      return false;
    }
    // Verifier errors (a disagreement inside the compiler) carry .cnn locations.
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    handler = std::make_unique<mlir::SourceMgrDiagnosticHandler>(sourceMgr, &context);
  }
  // A diagnostic names its .cnn location; a dump of the op would bury it.
  context.printOpOnDiagnostic(false);
  built = buildModule(context, *elaborated);
  return static_cast<bool>(built);
}

bool ModelLoader::optimize(const OptimizationOptions &options) {
  mlir::PassManager pm(&context);
  // --mlir-print-ir-after-all and friends, where the tool registered them.
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return false;
  buildOptimizationPipeline(pm, options);
  return mlir::succeeded(pm.run(*built));
}

const ModelGraph *ModelLoader::select(const std::string &name) {
  std::vector<std::string> names;
  for (const ModelGraph &graph : elaborated->models) {
    if (graph.name == name)
      return &graph;
    names.push_back(graph.name);
  }
  std::string list = llvm::join(names, ", ");
  if (!name.empty())
    fail(tool, "no model named '" + name + "' in " + path + " (it defines: " + list + ")");
  else if (elaborated->models.size() == 1)
    return &elaborated->models.front();
  else
    fail(tool, path + " defines several models (" + list + "); choose one with --model");
  return nullptr;
}

mlir::func::FuncOp ModelLoader::function(const ModelGraph &model) {
  return built->lookupSymbol<mlir::func::FuncOp>(model.name);
}

} // namespace cnnopt::tools
