//===- PrintStats.cpp - The cnn-print-stats pass --------------------------===//
//
// Prints ModelStats for every model function of a module; changes nothing.
//===----------------------------------------------------------------------===//

#include "passes/ModelStats.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNPRINTSTATSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

struct PrintStatsPass
    : mlir::cnn::impl::CnnPrintStatsPassBase<PrintStatsPass> {
  using CnnPrintStatsPassBase::CnnPrintStatsPassBase;
  void runOnOperation() override;
};

} // namespace

void PrintStatsPass::runOnOperation() {
  for (auto func : getOperation().getOps<mlir::func::FuncOp>()) {
    cnnopt::ModelStats stats = cnnopt::computeModelStats(func);
    if (json)
      cnnopt::printStatsJson(stats, llvm::outs());
    else
      cnnopt::printStatsTable(stats, llvm::outs());
  }
  markAllAnalysesPreserved();
}
