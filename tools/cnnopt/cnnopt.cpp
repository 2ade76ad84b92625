//===- cnnopt.cpp - The cnnopt compiler driver ----------------------------===//
//
// Reads a `.cnn` file, elaborates it into the cnn dialect and runs the
// requested stage:
//
//   cnnopt model.cnn --emit=mlir          the module (every model)
//   cnnopt model.cnn --print-params       state_dict keys and shapes
//   cnnopt model.cnn --print-stats [--json]
//
// Errors are printed as `file:line:col: error: ...` and exit with code 1.
//===----------------------------------------------------------------------===//

#include "codegen/HalideTarget.h"
#include "dialect/ArgAttrs.h"
#include "passes/ModelStats.h"
#include "tools/common/ModelLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("cnnopt options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.cnn>"),
                               cl::Required, cl::cat(category));

cl::opt<std::string> modelName(
    "model", cl::desc("The model to use when the file defines several"),
    cl::value_desc("name"), cl::cat(category));

enum class Emit { None, Mlir };
cl::opt<Emit> emit("emit", cl::desc("Output to produce"), cl::init(Emit::None),
                   cl::values(clEnumValN(Emit::Mlir, "mlir",
                                         "the cnn dialect module (all models)")),
                   cl::cat(category));

cl::opt<bool> printStats(
    "print-stats",
    cl::desc("Per-layer shape, parameters, MACs and receptive field"),
    cl::cat(category));

cl::opt<bool> json("json", cl::desc("With --print-stats: print JSON"),
                   cl::cat(category));

cl::opt<bool> printParams(
    "print-params", cl::desc("List state_dict names and shapes in order"),
    cl::cat(category));

cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Override an input's non-batch dimensions, e.g. x=3,64,64 "
             "(to run large models at a small size)"),
    cl::value_desc("name=d1,d2,..."), cl::cat(category));

void printParamList(mlir::func::FuncOp func) {
  int64_t total = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto param = func.getArgAttrOfType<mlir::StringAttr>(i, cnnopt::kParamAttr);
    auto buffer = func.getArgAttrOfType<mlir::StringAttr>(i, cnnopt::kBufferAttr);
    if (!param && !buffer)
      continue;
    auto type = llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[i]);
    llvm::outs() << (param ? param : buffer).getValue() << " [";
    llvm::interleaveComma(type.getShape(), llvm::outs());
    llvm::outs() << "]\n";
    if (param)
      total += type.getNumElements();
  }
  llvm::outs() << "total parameters: " << total << "\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo and friends, for tests that check locations.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "cnnopt: Halide host target " << cnnopt::codegen::hostTargetString()
       << "\n";
  });
  cl::ParseCommandLineOptions(argc, argv, "cnnopt: a compiler for CNN models\n");

  cnnopt::FrontendOptions options;
  if (!cnnopt::tools::parseShapeOverrides("cnnopt", inputShapes, options))
    return 1;
  cnnopt::tools::ModelLoader loader("cnnopt", inputFile);
  if (!loader.load(options))
    return 1;

  // --model is checked even when only --emit=mlir (which prints every model)
  // is asked for, so a misspelt name never passes silently.
  bool needsModel = printStats || printParams;
  const cnnopt::ModelGraph *model = nullptr;
  if (needsModel || !modelName.empty()) {
    model = loader.select(modelName);
    if (!model)
      return 1;
  }
  if (emit == Emit::Mlir) {
    loader.module()->print(llvm::outs(), mlir::OpPrintingFlags());
    llvm::outs() << "\n";
  }
  if (!needsModel)
    return 0;

  mlir::func::FuncOp func = loader.function(*model);
  if (printParams)
    printParamList(func);
  if (printStats) {
    cnnopt::ModelStats stats = cnnopt::computeModelStats(func);
    if (json)
      cnnopt::printStatsJson(stats, llvm::outs());
    else
      cnnopt::printStatsTable(stats, llvm::outs());
  }
  return 0;
}
