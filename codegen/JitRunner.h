//===- JitRunner.h - Run a model in-process through Halide's JIT -*- C++ -*-===//
//
// What `cnnopt-run` executes: the same functions as the AOT path (the
// stages, the pack function and the forward pipeline over packed data,
// Lowering.h), linked into one module and compiled for the host with
// Halide's JIT. Plain C++ interface (no Halide types), so the MLIR-side
// driver never includes Halide.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_JITRUNNER_H
#define CNNOPT_CODEGEN_JITRUNNER_H

#include "codegen/KernelSpec.h"

#include <memory>
#include <string>
#include <vector>

namespace cnnopt::codegen {

/// A dense row-major host tensor: f32 data, or i32 for label inputs.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int32_t> ints;
  bool isInt = false;
};

class JitModel {
public:
  /// JIT-compiles `program` for `target` ("host" or a Halide target
  /// string). Returns null and sets `error` on failure.
  static std::unique_ptr<JitModel> compile(const KernelProgram &program,
                                           const std::string &target,
                                           std::string &error);
  ~JitModel();

  /// Takes the flat parameter array (program.paramFloats floats) and packs
  /// it once, as M_context_create does; run() uses it until the next call.
  bool setParams(const std::vector<float> &params, std::string &error);

  /// Runs on `inputs` (model input order, shapes already checked); fills
  /// `outputs` in model output order.
  bool run(const std::vector<HostTensor> &inputs, std::vector<HostTensor> &outputs,
           std::string &error);

  /// The stages in the order they run (named after the tensors they
  /// store), and the time each took in the last run(), in milliseconds,
  /// once profiling is on.
  void setProfiling(bool on);
  std::vector<std::string> stageNames() const;
  const std::vector<double> &stageMilliseconds() const;

private:
  struct Impl;
  explicit JitModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Sets the number of threads of Halide's JIT thread pool (0: one per
/// core); call it before the first run.
void setJitThreads(int threads);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_JITRUNNER_H
