//===- ModuleEmitter.h - Ahead-of-time outputs of a model -------*- C++ -*-===//
//
// Compiles a kernel program's functions (Lowering.h) for a Halide target
// into an object (with the Halide runtime inside), a static library,
// Halide's lowered statements or assembly. Plain C++ interface; the Halide
// work is inside. Every function takes Halide's user context as its first
// argument, so the header's entry points can catch its errors per call.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_MODULEEMITTER_H
#define CNNOPT_CODEGEN_MODULEEMITTER_H

#include "codegen/ExecutionPlan.h"
#include "codegen/KernelSpec.h"

#include <cstdint>
#include <functional>
#include <string>

namespace cnnopt::codegen {

enum class ArtifactKind { Object, StaticLibrary, Stmt, Assembly };

struct EmitRequest {
  ArtifactKind kind = ArtifactKind::Object;
  std::string path;           ///< where to write (the caller renames it into place)
  std::string target = "host"; ///< a Halide target string
  std::string symbol;          ///< the pipeline's name (pipelineSymbol() in HeaderWriter.h)
  const float *weights = nullptr; ///< embed these parameters (paramFloats floats)
  /// Threads generating machine code for objects and libraries (0: one per
  /// core; ObjectParts.h says when they are used).
  int jobs = 0;
  /// Called as each function is lowered (n of m, its name), then with
  /// (0, 0, "machine code") before LLVM's compile.
  std::function<void(int, int, const std::string &)> progress;
  /// With `cnnopt --train`: the training step, compiled into the same
  /// artifact under `trainSymbol` (run-time parameters only).
  const KernelProgram *trainProgram = nullptr;
  std::string trainSymbol;
};

/// Writes `request.path`; false with `error` set on failure.
bool emitModule(const KernelProgram &program, const EmitRequest &request, std::string &error);

/// The execution plan of `program` for `target` (what the header needs);
/// false with `error` on failure.
bool planModel(const KernelProgram &program, const std::string &target, ExecutionPlan &plan,
               std::string &error);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_MODULEEMITTER_H
