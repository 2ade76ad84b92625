//===- Lowering.h - A kernel program as Halide functions --------*- C++ -*-===//
//
// A model becomes one Halide pipeline per stage and per packed piece of
// data (ExecutionPlan.h says why and how they run). Every function takes
// Halide's user context first; a stage then takes the stored tensors it
// reads, the parameter array and the packed array (these two only with
// run-time parameters: embedded weights are constants of the stages that
// read them), and its output; a pack function takes the parameter array and
// its piece of the packed array.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_LOWERING_H
#define CNNOPT_CODEGEN_LOWERING_H

#include "codegen/ExecutionPlan.h"
#include "codegen/KernelSpec.h"

#include "Halide.h"

#include <functional>
#include <string>
#include <vector>

namespace cnnopt::codegen {

/// One function of the compiled model: a pipeline and its arguments.
struct LoweredFunction {
  std::string name;
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> arguments;
};

struct LoweredModel {
  ExecutionPlan plan;
  bool embeddedWeights = false;
  std::vector<LoweredFunction> stages; ///< plan.steps' order: `<symbol>_s<k>`
  std::vector<LoweredFunction> packs;  ///< plan.packs' order: `<symbol>_p<k>`; none if embedded
  /// The stages, then the packs.
  std::vector<const LoweredFunction *> functions() const;
};

/// The plan alone (the first definition pass and the program's structure,
/// no lowering: cheap).
ExecutionPlan planModel(const KernelProgram &program, const Halide::Target &target);

/// Defines every function of `program` for `target`, named after `symbol`.
/// With `weights` (program.paramFloats floats) the parameters and the
/// packed data (computed now) become constants of the stages.
LoweredModel lowerModel(const KernelProgram &program, const Halide::Target &target,
                        const std::string &symbol, const float *weights = nullptr);

/// The target the model's functions compile for: `target` without Halide's
/// run-time checks on CPUs. The functions are internal: the header checks
/// every caller buffer and the plan's runner makes the others, so the
/// checks (about half of the generated code and of LLVM's time) would only
/// repeat them. The runner also keeps every tensor a quarter of Halide's
/// 2^31-byte limit, leaving room for a stage's scratch (padding, Winograd
/// tiles), whose size checks go with the rest. GPU targets keep their
/// checks: device errors come back through them.
Halide::Target functionTarget(const Halide::Target &target);

/// Called before each function is lowered: (n, of m, its name).
using ProgressFn = std::function<void(int, int, const std::string &)>;

/// `f` lowered into a Module of its own for `target` (through
/// functionTarget()). Different functions may be lowered on different
/// threads: each stage and pack defines Funcs of its own, and what they
/// share (parameters, constant buffers) lowering only reads.
Halide::Module lowerFunction(const LoweredFunction &f, const Halide::Target &target);
/// Lowers every function of `model` into one Module.
Halide::Module compileModel(const LoweredModel &model, const Halide::Target &target,
                            const ProgressFn &progress = {});
/// Lowers `functions` (of one or more models) into one Module.
Halide::Module compileFunctions(const std::vector<const LoweredFunction *> &functions,
                                const Halide::Target &target, const ProgressFn &progress = {});

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_LOWERING_H
