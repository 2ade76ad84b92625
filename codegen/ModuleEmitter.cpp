//===- ModuleEmitter.cpp - Ahead-of-time outputs of a model ---------------===//
//
// Lowers every function of the model (Lowering.h) and writes the requested
// artifact: objects and libraries of large models compiled in parts on
// several threads (ObjectParts.h), everything else as one Halide Module with
// the runtime inside.
//===----------------------------------------------------------------------===//

#include "codegen/ModuleEmitter.h"
#include "codegen/HostTarget.h"
#include "codegen/Lowering.h"
#include "codegen/ObjectParts.h"
#include "codegen/Threads.h"

#include <filesystem>
#include <optional>

namespace cnnopt::codegen {

using namespace Halide;

namespace {

Target targetFor(const std::string &name) {
  return targetNamed(name).with_feature(Target::UserContext);
}

OutputFileType outputType(ArtifactKind kind) {
  switch (kind) {
  case ArtifactKind::Object:
    return OutputFileType::object;
  case ArtifactKind::StaticLibrary:
    return OutputFileType::static_library;
  case ArtifactKind::Stmt:
    return OutputFileType::stmt;
  case ArtifactKind::Assembly:
    return OutputFileType::assembly;
  }
  return OutputFileType::object;
}

} // namespace

bool emitModule(const KernelProgram &program, const EmitRequest &request, std::string &error) {
  try {
    Target target = targetFor(request.target);
    LoweredModel lowered = lowerModel(program, target, request.symbol, request.weights);
    bool library = request.kind == ArtifactKind::StaticLibrary;
    std::vector<const LoweredFunction *> functions = lowered.functions();
    std::optional<LoweredModel> training;
    if (request.trainProgram) {
      training = lowerModel(*request.trainProgram, target, request.trainSymbol);
      for (const LoweredFunction *f : training->functions())
        functions.push_back(f);
    }
    int parts = request.kind == ArtifactKind::Object || library
                    ? objectParts(request.jobs, functions.size(), target, library)
                    : 1;
    if (parts > 1) {
      emitObjectParts(functions, target, parts, compileThreads(request.jobs), program.name,
                      request.path, library ? JoinKind::Archive : JoinKind::Relocatable,
                      request.progress);
      return true;
    }
    Module module = compileFunctions(functions, target, request.progress);
    if (request.progress)
      request.progress(0, 0, "machine code");
    if (request.kind != ArtifactKind::StaticLibrary) {
      module.compile({{outputType(request.kind), request.path}});
      return true;
    }
    // The archive's member is named after the file Halide writes
    // (<model>.a.o): write it in a scratch folder, then move it into place.
    std::filesystem::path dir = request.path + ".dir";
    std::error_code ec;
    std::filesystem::create_directory(dir, ec);
    std::string archive = (dir / (program.name + ".a")).string();
    try {
      module.compile({{OutputFileType::static_library, archive}});
    } catch (...) {
      std::filesystem::remove_all(dir, ec);
      throw;
    }
    std::filesystem::rename(archive, request.path, ec);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (ec) {
      error = "cannot write " + request.path + ": " + ec.message();
      return false;
    }
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return false;
}

bool planModel(const KernelProgram &program, const std::string &target, ExecutionPlan &plan,
               std::string &error) {
  try {
    plan = planModel(program, targetFor(target));
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return false;
}

} // namespace cnnopt::codegen
