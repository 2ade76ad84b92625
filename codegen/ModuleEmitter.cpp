//===- ModuleEmitter.cpp - Ahead-of-time outputs of a model ---------------===//
//
// One Halide compile per request. A static library is written by Halide
// beside a header of its own under a scratch prefix; only the archive is
// kept (cnnopt writes the model's C header itself).
//===----------------------------------------------------------------------===//

#include "codegen/ModuleEmitter.h"
#include "codegen/HeaderWriter.h"
#include "codegen/Lowering.h"

#include <filesystem>

namespace cnnopt::codegen {

using namespace Halide;

bool emitModule(const KernelProgram &program, const EmitRequest &request, std::string &error) {
  try {
    Target target = request.target == "host" ? get_host_target() : Target(request.target);
    LoweredModel lowered = lowerModel(program, target, request.weights);
    std::vector<Argument> args = lowered.arguments();
    std::string name = pipelineSymbol(program);
    switch (request.kind) {
    case ArtifactKind::Object:
      lowered.pipeline.compile_to({{OutputFileType::object, request.path}}, args, name, target);
      break;
    case ArtifactKind::Stmt:
      lowered.pipeline.compile_to({{OutputFileType::stmt, request.path}}, args, name, target);
      break;
    case ArtifactKind::Assembly:
      lowered.pipeline.compile_to({{OutputFileType::assembly, request.path}}, args, name, target);
      break;
    case ArtifactKind::StaticLibrary: {
      // Halide names the archive member after the prefix: <model>.a.o.
      std::filesystem::path dir = std::filesystem::path(request.path).string() + ".dir";
      std::error_code ec;
      std::filesystem::create_directory(dir, ec);
      std::string prefix = (dir / program.name).string();
      lowered.pipeline.compile_to_static_library(prefix, args, name, target);
      std::filesystem::rename(prefix + ".a", request.path, ec);
      std::filesystem::remove_all(dir);
      if (ec) {
        error = "cannot write " + request.path + ": " + ec.message();
        return false;
      }
      break;
    }
    }
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return false;
}

} // namespace cnnopt::codegen
