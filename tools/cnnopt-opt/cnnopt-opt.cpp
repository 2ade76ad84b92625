//===- cnnopt-opt.cpp - mlir-opt for the cnn dialect ----------------------===//
//
// Parses, verifies and transforms cnn IR with any registered pass; the lit
// tests drive the dialect and every pass through it.
//===----------------------------------------------------------------------===//

#include "dialect/CnnDialect.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::cnn::registerCnnPasses();
  cnnopt::registerOptimizationPipeline();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();

  mlir::DialectRegistry registry;
  registry.insert<mlir::cnn::CnnDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "cnnopt pass driver\n", registry));
}
