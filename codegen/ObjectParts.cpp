//===- ObjectParts.cpp - A model's machine code on several threads --------===//
//
// Halide's compiler is thread-safe for modules that share no mutable IR;
// lowered Modules hold immutable statements, so each part compiles on its
// own thread with its own LLVM context.
//===----------------------------------------------------------------------===//

#include "codegen/ObjectParts.h"
#include "codegen/HostTarget.h"
#include "codegen/Threads.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>

extern char **environ;

namespace cnnopt::codegen {

using namespace Halide;

namespace {

/// Each part gets at least this many functions: below it the runtime's
/// object and the link cost more than the threads save.
constexpr size_t kMinFunctionsPerPart = 4;

/// Loads and stores of a lowered function: its size after unrolling and
/// vectorisation, which LLVM's time follows.
class MemoryAccesses : public Internal::IRVisitor {
public:
  size_t count = 0;

protected:
  using IRVisitor::visit;
  void visit(const Internal::Load *op) override {
    ++count;
    IRVisitor::visit(op);
  }
  void visit(const Internal::Store *op) override {
    ++count;
    IRVisitor::visit(op);
  }
};

size_t codeSize(const Module &module) {
  MemoryAccesses accesses;
  for (const Internal::LoweredFunc &f : module.functions())
    f.body.accept(&accesses);
  return accesses.count + 1;
}

/// Largest first, each into the lightest part so far.
std::vector<std::vector<Module>> dealIntoParts(const std::vector<Module> &modules, int parts) {
  std::vector<std::pair<size_t, size_t>> bySize; // (size, index)
  for (size_t k = 0; k < modules.size(); ++k)
    bySize.emplace_back(codeSize(modules[k]), k);
  std::sort(bySize.rbegin(), bySize.rend());
  std::vector<std::vector<Module>> dealt(static_cast<size_t>(parts));
  std::vector<size_t> load(static_cast<size_t>(parts), 0);
  for (const auto &[size, index] : bySize) {
    size_t lightest = size_t(std::min_element(load.begin(), load.end()) - load.begin());
    dealt[lightest].push_back(modules[index]);
    load[lightest] += size;
  }
  return dealt;
}

/// Runs `argv` (found on PATH), its stderr into `log`; its exit status, or
/// -1 when it could not start.
int runProgram(const std::vector<std::string> &argv, const std::string &log) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool haveRelocatableLinker() {
  static const bool found = runProgram({"ld", "--version"}, "/dev/null") == 0;
  return found;
}

std::string readText(const std::filesystem::path &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

ScratchDir::ScratchDir(std::filesystem::path p) : path(std::move(p)) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (!std::filesystem::create_directory(path, ec))
    throw CompileError("cannot create the scratch folder " + path.string() + ": " +
                       (ec ? ec.message() : std::string("it exists")));
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

int objectParts(int jobs, size_t functions, const Target &target, bool archive) {
  Target host = hostTarget();
  bool hostFormat = target.os == host.os && target.arch == host.arch && target.bits == host.bits;
  bool joinable = archive || (hostFormat && haveRelocatableLinker());
  if (target.has_gpu_feature()) {
    // Halide names every lowered module's device code alike, and a linked
    // module keeps one of them: each function's kernels need an object of
    // their own.
    if (!joinable)
      throw CompileError("an object for a GPU target (" + target.to_string() +
                         ") is joined from one object per function, which needs the linker "
                         "'ld' and a target of this machine's format; write a static library "
                         "(.a) instead");
    return int(std::max<size_t>(functions, 1));
  }
  int parts = int(std::min<size_t>(size_t(compileThreads(jobs)), functions / kMinFunctionsPerPart));
  if (parts < 2)
    return 1;
  return joinable ? parts : 1;
}

void emitObjectParts(const std::vector<const LoweredFunction *> &functions, const Target &target,
                     int parts, int threads, const std::string &name, const std::string &path,
                     JoinKind join, const ProgressFn &progress) {
  threads = std::max(1, std::min(threads, parts));
  ScratchDir scratch(path + ".parts");
  std::string runtime = (scratch.path / (name + "_runtime.o")).string();
  // Task 0 is the runtime's compile (the longest), task k the lowering of
  // function k - 1.
  std::vector<std::optional<Module>> lowered(functions.size());
  std::mutex progressLock;
  int loweredCount = 0;
  forEachOnThreads(functions.size() + 1, threads, [&](size_t task) {
    if (task == 0) {
      compile_standalone_runtime(runtime, functionTarget(target));
      return;
    }
    const LoweredFunction &f = *functions[task - 1];
    if (progress) {
      std::lock_guard<std::mutex> hold(progressLock);
      progress(++loweredCount, int(functions.size()), f.name);
    }
    lowered[task - 1] = lowerFunction(f, target.with_feature(Target::NoRuntime));
  });
  if (progress)
    progress(0, 0, "machine code");
  std::vector<Module> modules;
  for (std::optional<Module> &m : lowered)
    modules.push_back(std::move(*m));
  std::vector<std::vector<Module>> dealt = dealIntoParts(modules, parts);
  std::vector<std::string> objects;
  for (size_t k = 0; k < dealt.size(); ++k)
    objects.push_back((scratch.path / (name + "_" + std::to_string(k) + ".o")).string());
  forEachOnThreads(dealt.size(), threads, [&](size_t k) {
    Module part = link_modules(dealt[k].front().name(), dealt[k]);
    part.compile({{OutputFileType::object, objects[k]}});
  });
  objects.push_back(runtime);
  if (join == JoinKind::Archive) {
    create_static_library(objects, target, path);
    return;
  }
  // A shared object binds its Halide runtime's symbols to itself: the
  // process that loads it may hold other runtimes (Halide's JIT, models).
  std::vector<std::string> link = join == JoinKind::Shared
                                      ? std::vector<std::string>{"ld", "-shared", "-Bsymbolic"}
                                      : std::vector<std::string>{"ld", "-r"};
  link.insert(link.end(), {"-o", path});
  link.insert(link.end(), objects.begin(), objects.end());
  std::filesystem::path log = scratch.path / "ld.log";
  if (int status = runProgram(link, log.string()); status != 0)
    throw CompileError("linking the model's objects failed (" + link[0] + " " + link[1] +
                       ", status " + std::to_string(status) + "): " + readText(log));
}

} // namespace cnnopt::codegen
