//===- Pipelines.h - The optimisation pipeline of cnnopt --------*- C++ -*-===//
//
// What `cnnopt` and `cnnopt-run` do to a module between the front end and
// code generation, by optimisation level; `cnnopt-opt --cnn-optimize` runs
// the same passes, so lit tests see what the tools compile.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_PIPELINES_H
#define CNNOPT_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace cnnopt {

struct OptimizationOptions {
  /// 0: the graph as written; 2 (the default): canonicalise, fold
  /// BatchNorm, fuse epilogues, select conv algorithms.
  unsigned level = 2;
  /// `--conv-algorithm` values: one algorithm for every conv where it is
  /// legal (`auto`, `direct`, `gemm`, ...), or `SCOPE=ALG` for one layer.
  std::vector<std::string> convAlgorithms;
  /// What the conv cost model knows of the target.
  int vectorWidth = 16;
  /// Build each train declaration's `<model>_train_step` first
  /// (cnn-derive-gradients), at every level.
  bool train = false;
  /// With `train`: the steps also return `<name>.grad` of every input and
  /// parameter (cnnopt-run --output x.grad=...).
  bool gradients = false;
  /// Build `<model>_grad_cam` of the layer named so (cnn-grad-cam) first;
  /// `model` names the model.
  std::string gradCamScope;
  std::string model;
};

/// Whether `level` names an optimisation level (-O0 or -O2).
bool isOptimizationLevel(unsigned level);

/// Adds the passes of `options.level` to `pm` (which runs on a module);
/// the verifier runs after each of them.
void buildOptimizationPipeline(mlir::OpPassManager &pm, const OptimizationOptions &options);

/// Registers `cnn-optimize` (the -O2 pipeline) for cnnopt-opt.
void registerOptimizationPipeline();

} // namespace cnnopt

#endif // CNNOPT_PASSES_PIPELINES_H
