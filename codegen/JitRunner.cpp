//===- JitRunner.cpp - Run a model in-process through Halide's JIT --------===//
//
// Compiles the lowered pipeline once; each run wraps the caller's arrays in
// Halide buffers (no copies for inputs and parameters) and realizes every
// output at its shape, the batch taken from the inputs. Halide reports
// problems by throwing; they become error strings here.
//===----------------------------------------------------------------------===//

#include "codegen/JitRunner.h"
#include "codegen/Lowering.h"

namespace cnnopt::codegen {

using namespace Halide;

struct JitModel::Impl {
  KernelProgram program;
  LoweredModel lowered;
  Target target;
};

JitModel::JitModel(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
JitModel::~JitModel() = default;

namespace {

/// Halide lists dimensions innermost first: the reverse of `shape`.
std::vector<int> halideSizes(const std::vector<int64_t> &shape) {
  return std::vector<int>(shape.rbegin(), shape.rend());
}

} // namespace

std::unique_ptr<JitModel> JitModel::compile(const KernelProgram &program,
                                            const std::string &target,
                                            std::string &error) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->program = program;
    impl->target = target == "host" ? get_jit_target_from_environment()
                                    : Target(target);
    impl->lowered = lowerModel(program, impl->target);
    impl->lowered.pipeline.compile_jit(impl->target);
    return std::unique_ptr<JitModel>(new JitModel(std::move(impl)));
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return nullptr;
}

bool JitModel::run(const std::vector<HostTensor> &inputs, const std::vector<float> &params,
                   std::vector<HostTensor> &outputs, std::string &error) {
  try {
    const KernelProgram &program = impl->program;
    LoweredModel &lowered = impl->lowered;
    int64_t batch = 1;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const HostTensor &t = inputs[k];
      if (!t.shape.empty() && program.values[program.inputs[k].value].shape[0] == kDynamic)
        batch = t.shape[0];
      if (t.isInt)
        lowered.inputs[k].set(Buffer<int32_t>(const_cast<int32_t *>(t.ints.data()),
                                              halideSizes(t.shape)));
      else
        lowered.inputs[k].set(Buffer<float>(const_cast<float *>(t.floats.data()),
                                            halideSizes(t.shape)));
    }
    std::vector<float> one(1, 0.0f); // a model without parameters still binds one
    const std::vector<float> &flat = params.empty() ? one : params;
    lowered.params.set(Buffer<float>(const_cast<float *>(flat.data()), int(flat.size())));

    std::vector<Buffer<>> buffers;
    outputs.assign(program.outputs.size(), HostTensor());
    for (size_t k = 0; k < program.outputs.size(); ++k) {
      HostTensor &out = outputs[k];
      out.shape = program.values[program.outputs[k].value].shape;
      if (!out.shape.empty() && out.shape[0] == kDynamic)
        out.shape[0] = batch;
      int64_t n = 1;
      for (int64_t d : out.shape)
        n *= d;
      out.floats.assign(size_t(n), 0.0f);
      buffers.push_back(Buffer<float>(out.floats.data(), halideSizes(out.shape)));
    }
    lowered.pipeline.realize(Realization(buffers), impl->target);
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return false;
}

} // namespace cnnopt::codegen
