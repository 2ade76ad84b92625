//===- Training.h - cnnopt-run --train-steps ---------------------*- C++ -*-===//
//
// Runs a model's compiled `<model>_train_step` K times on one batch, as a
// training loop would: the optimizer state starts at zero, `step` counts
// from 1, and each step's new parameters, buffers and state feed the next.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_CNNOPT_RUN_TRAINING_H
#define CNNOPT_TOOLS_CNNOPT_RUN_TRAINING_H

#include "codegen/JitRunner.h"
#include "codegen/KernelSpec.h"

#include <map>
#include <string>
#include <vector>

namespace cnnopt::tools {

/// The step's inputs the caller supplies (the model's and the train
/// declaration's), not the learning rate, step, seed or optimizer state.
bool isDataInput(const codegen::KernelProgram &step, const codegen::KernelIO &input);

/// Checks every class label a cross_entropy of `step` reads in `data`:
/// PyTorch refuses labels outside [0, classes), and the compiled step would
/// read beside the logits. Before the compile: a bad file fails at once.
bool checkLabels(const codegen::KernelProgram &step,
                 const std::map<std::string, codegen::HostTensor> &data, std::string &error);

struct TrainingRun {
  unsigned steps = 1;
  float lr = 0.01f;
  int32_t seed = 0;
  /// The data inputs by name, already checked against their shapes.
  std::map<std::string, codegen::HostTensor> data;
  /// Filled with each step's wall time (packing, the step, the copies
  /// back), in milliseconds, when set.
  std::vector<double> *stepMilliseconds = nullptr;
};

/// Runs `run.steps` steps of the compiled `step` from `params` (updated in
/// place, buffers included); `losses` gets each step's loss and `last` the
/// last step's outputs (in step.outputs' order: `<name>.grad` among them
/// when the step returns derivatives). False with `error` on a failed run
/// (checkLabels() first).
bool runTrainingSteps(codegen::JitModel &jit, const codegen::KernelProgram &step,
                      const TrainingRun &run, std::vector<float> &params,
                      std::vector<float> &losses, std::vector<codegen::HostTensor> &last,
                      std::string &error);

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_CNNOPT_RUN_TRAINING_H
