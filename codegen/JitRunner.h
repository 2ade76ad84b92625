//===- JitRunner.h - Run a model in-process through Halide's JIT -*- C++ -*-===//
//
// What `cnnopt-run` executes: the same lowering as the AOT path, compiled
// for the host with Halide's JIT. Plain C++ interface (no Halide types), so
// the MLIR-side driver never includes Halide.
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

  /// Runs on `inputs` (model input order, shapes already checked) with the
  /// flat parameter array; fills `outputs` in model output order.
  bool run(const std::vector<HostTensor> &inputs, const std::vector<float> &params,
           std::vector<HostTensor> &outputs, std::string &error);

private:
  struct Impl;
  explicit JitModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_JITRUNNER_H
