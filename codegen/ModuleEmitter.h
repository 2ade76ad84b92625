//===- ModuleEmitter.h - Ahead-of-time outputs of a model -------*- C++ -*-===//
//
// Compiles a kernel program's pipeline for a Halide target into an object
// (with the Halide runtime inside), a static library, Halide's lowered
// statement or assembly. Plain C++ interface; the Halide work is inside.
// The pipeline takes Halide's user context as its first argument, so the
// header's entry points can catch its errors per call.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_MODULEEMITTER_H
#define CNNOPT_CODEGEN_MODULEEMITTER_H

#include "codegen/KernelSpec.h"

#include <string>

namespace cnnopt::codegen {

enum class ArtifactKind { Object, StaticLibrary, Stmt, Assembly };

struct EmitRequest {
  ArtifactKind kind = ArtifactKind::Object;
  std::string path;           ///< where to write (the caller renames it into place)
  std::string target = "host"; ///< a Halide target string
  std::string symbol;          ///< the pipeline's name (pipelineSymbol() in HeaderWriter.h)
  const float *weights = nullptr; ///< embed these parameters (paramFloats floats)
};

/// Writes `request.path`; false with `error` set on failure.
bool emitModule(const KernelProgram &program, const EmitRequest &request, std::string &error);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_MODULEEMITTER_H
