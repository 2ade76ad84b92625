//===- ObjectParts.h - A model's machine code on several threads -*- C++ -*-===//
//
// Lowering and LLVM's code generation are a large model's compile time, and
// each runs on one core per module. Here the model's functions are lowered
// on several threads as Modules of their own, dealt into parts of about
// equal size, and each part becomes an object on its own thread (without
// Halide's runtime, which is one more object). The pieces are then joined:
// as the members of an archive, or by a relocatable link (`ld -r`) into the
// one object the user asked for.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_OBJECTPARTS_H
#define CNNOPT_CODEGEN_OBJECTPARTS_H

#include "codegen/Lowering.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cnnopt::codegen {

/// How many parts to compile `functions` functions in with `jobs` threads
/// (0: one per core) for `target`: 1 (one module, one LLVM compile) when
/// there is one thread, too little to share, or no way to join objects of
/// `target` here (a relocatable link needs `ld` and a host-format target).
/// A GPU target always takes one part per function (each function's device
/// code in an object of its own); throws Halide::CompileError where such
/// parts cannot be joined.
int objectParts(int jobs, size_t functions, const Halide::Target &target, bool archive);

/// A scratch folder, made empty at construction (Halide::CompileError if it
/// cannot be) and removed with everything in it at destruction.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(std::filesystem::path p);
  ~ScratchDir();
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
};

/// How emitObjectParts() joins the parts.
enum class JoinKind {
  Archive,     ///< a static library of `<name>_<k>.o` members
  Relocatable, ///< one object (`ld -r`)
  Shared,      ///< a shared object (`ld -shared`), for loading into this process
};

/// Lowers `functions` for `target` and compiles them in `parts` objects of
/// about equal size, plus Halide's runtime, `threads` at a time; joins
/// them at `path` as `join` says. `progress` as for compileModel(), from
/// any of the threads, one call at a time. Throws Halide::Error on failure.
void emitObjectParts(const std::vector<const LoweredFunction *> &functions,
                     const Halide::Target &target, int parts, int threads,
                     const std::string &name, const std::string &path, JoinKind join,
                     const ProgressFn &progress);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_OBJECTPARTS_H
