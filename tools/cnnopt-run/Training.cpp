//===- Training.cpp - cnnopt-run --train-steps -----------------------------===//

#include "tools/cnnopt-run/Training.h"

#include <algorithm>
#include <chrono>

namespace cnnopt::tools {

using codegen::HostTensor;
using codegen::KernelProgram;

namespace {

bool isScalarInput(const std::string &name) {
  return name == "lr" || name == "step" || name == "seed";
}

int64_t elementCount(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor scalar(float value) {
  HostTensor t;
  t.floats = {value};
  return t;
}

HostTensor intScalar(int32_t value) {
  HostTensor t;
  t.isInt = true;
  t.ints = {value};
  return t;
}

} // namespace

bool checkLabels(const KernelProgram &step, const std::map<std::string, HostTensor> &data,
                 std::string &error) {
  for (const codegen::Kernel &k : step.kernels) {
    if (k.op != "cross_entropy")
      continue;
    int64_t classes = step.values[k.operands[0]].shape[1];
    for (const codegen::KernelIO &input : step.inputs) {
      if (input.value != k.operands[1] || !data.count(input.name))
        continue;
      const std::vector<int32_t> &labels = data.at(input.name).ints;
      for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= classes) {
          error = "input '" + input.name + "': label " + std::to_string(labels[i]) +
                  " at index " + std::to_string(i) + " is outside [0, " +
                  std::to_string(classes) + ")";
          return false;
        }
    }
  }
  return true;
}

bool isDataInput(const KernelProgram &, const codegen::KernelIO &input) {
  return !isScalarInput(input.name) && input.optStateOf.empty();
}

bool runTrainingSteps(codegen::JitModel &jit, const KernelProgram &step, const TrainingRun &run,
                      std::vector<float> &params, std::vector<float> &losses,
                      std::vector<HostTensor> &outputs, std::string &error) {
  std::map<std::string, const codegen::KernelParam *> paramByName;
  for (const codegen::KernelParam &p : step.params)
    paramByName[p.name] = &p;
  // The optimizer state, zero before the first step (torch.optim's lazily
  // created state: SGD's first step copies the gradient into its buffer).
  std::map<std::string, HostTensor> state;
  for (const codegen::KernelIO &input : step.inputs)
    if (!isScalarInput(input.name) && !isDataInput(step, input)) {
      HostTensor &t = state[input.name];
      t.shape = step.values[input.value].shape;
      t.floats.assign(size_t(elementCount(t.shape)), 0.0f);
    }
  losses.clear();
  std::vector<HostTensor> inputs;
  for (unsigned s = 1; s <= run.steps; ++s) {
    auto start = std::chrono::steady_clock::now();
    if (!jit.setParams(params, error))
      return false;
    inputs.clear();
    for (const codegen::KernelIO &input : step.inputs) {
      if (input.name == "lr")
        inputs.push_back(scalar(run.lr));
      else if (input.name == "step")
        inputs.push_back(intScalar(int32_t(s)));
      else if (input.name == "seed")
        inputs.push_back(intScalar(run.seed));
      else if (state.count(input.name))
        inputs.push_back(state[input.name]);
      else
        inputs.push_back(run.data.at(input.name));
    }
    if (!jit.run(inputs, outputs, error))
      return false;
    losses.push_back(outputs[0].floats[0]);
    for (size_t k = 1; k < step.outputs.size(); ++k) {
      const std::string &name = step.outputs[k].name;
      const std::vector<float> &value = outputs[k].floats;
      auto param = paramByName.find(name);
      if (param != paramByName.end())
        std::copy(value.begin(), value.end(), params.begin() + param->second->offset);
      else if (state.count(name))
        state[name].floats = value;
    }
    if (run.stepMilliseconds)
      run.stepMilliseconds->push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
  }
  return true;
}

} // namespace cnnopt::tools
