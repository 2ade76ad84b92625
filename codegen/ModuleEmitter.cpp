//===- ModuleEmitter.cpp - Ahead-of-time outputs of a model ---------------===//
//
// One Halide compile per request. A static library is written by Halide
// beside a header of its own under a scratch prefix; only the archive is
// kept (cnnopt writes the model's C header itself).
//===----------------------------------------------------------------------===//

#include "codegen/ModuleEmitter.h"
#include "codegen/Lowering.h"

#include <filesystem>

namespace cnnopt::codegen {

using namespace Halide;

bool emitModule(const KernelProgram &program, const EmitRequest &request, std::string &error) {
  try {
    Target target = request.target == "host" ? get_host_target() : Target(request.target);
    target = target.with_feature(Target::UserContext);
    LoweredModel lowered = lowerModel(program, target, request.weights);
    std::vector<Argument> args = lowered.arguments();
    const std::string &name = request.symbol;
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
      // Halide writes the archive (member <model>.a.o) and a header of its
      // own under a scratch folder; only the archive is kept.
      std::filesystem::path dir = request.path + ".dir";
      std::error_code ec;
      std::filesystem::create_directory(dir, ec);
      std::string prefix = (dir / program.name).string();
      try {
        lowered.pipeline.compile_to_static_library(prefix, args, name, target);
      } catch (...) {
        std::filesystem::remove_all(dir, ec);
        throw;
      }
      std::filesystem::rename(prefix + ".a", request.path, ec);
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
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
