//===- Pipelines.cpp - The optimisation pipeline of cnnopt ----------------===//
//
// With --train, cnn-derive-gradients first builds the training steps. Then
// -O2 runs, on every function of the module:
//   cnn-canonicalize            regularisers in inference, reshape chains, x*1
//   cnn-fold-batch-norm         inference BN into the conv/linear before it
//   cnn-fuse-epilogue           bias, BN affine, residual add, activation
//   cnn-select-conv-algorithm   direct, gemm, depthwise or Winograd per conv
// Folding comes before fusion so that a conv -> BN -> ReLU chain becomes one
// fused op; algorithm selection comes last, on the ops code generation sees.
//===----------------------------------------------------------------------===//

#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"

namespace cnnopt {

bool isOptimizationLevel(unsigned level) { return level == 0 || level == 2; }

void buildOptimizationPipeline(mlir::OpPassManager &pm, const OptimizationOptions &options) {
  if (options.train) {
    mlir::cnn::CnnDeriveGradientsPassOptions derive;
    derive.inputGradients = options.gradients;
    pm.addPass(mlir::cnn::createCnnDeriveGradientsPass(derive));
  }
  if (!options.gradCamScope.empty()) {
    mlir::cnn::CnnGradCamPassOptions cam;
    cam.scope = options.gradCamScope;
    cam.model = options.model;
    pm.addPass(mlir::cnn::createCnnGradCamPass(cam));
  }
  if (options.level == 0)
    return;
  mlir::OpPassManager &perFunction = pm.nest<mlir::func::FuncOp>();
  perFunction.addPass(mlir::cnn::createCnnCanonicalizePass());
  perFunction.addPass(mlir::cnn::createCnnFoldBatchNormPass());
  perFunction.addPass(mlir::cnn::createCnnFuseEpiloguePass());
  mlir::cnn::CnnSelectConvAlgorithmPassOptions select;
  select.algorithms = options.convAlgorithms;
  select.vectorWidth = options.vectorWidth;
  pm.addPass(mlir::cnn::createCnnSelectConvAlgorithmPass(select));
}

void registerOptimizationPipeline() {
  mlir::PassPipelineRegistration<>(
      "cnn-optimize", "The -O2 pipeline of cnnopt (canonicalise, fold BatchNorm, "
                      "fuse epilogues, select conv algorithms)",
      [](mlir::OpPassManager &pm) { buildOptimizationPipeline(pm, OptimizationOptions()); });
}

} // namespace cnnopt
