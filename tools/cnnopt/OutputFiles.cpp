//===- OutputFiles.cpp - cnnopt's outputs, written all or nothing ---------===//

#include "tools/cnnopt/OutputFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace cnnopt::tools {
namespace {

const char *kScratchMarker = ".tmp";

/// Removes `destination.tmp<pid>` files left by killed cnnopt processes.
/// A file whose process still runs belongs to a concurrent compile.
void removeStaleScratch(const std::string &destination) {
  llvm::StringRef dir = llvm::sys::path::parent_path(destination);
  std::string prefix = llvm::sys::path::filename(destination).str() + kScratchMarker;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir.empty() ? "." : dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.consume_front(prefix))
      continue;
    unsigned pid;
    if (name.empty() || !llvm::all_of(name, llvm::isDigit) || name.getAsInteger(10, pid))
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      llvm::sys::fs::remove(it->path());
  }
}

/// Holds off the signals that would interrupt a commit half-way.
class HeldSignals {
public:
  HeldSignals() {
    sigset_t held;
    sigemptyset(&held);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
      sigaddset(&held, sig);
    pthread_sigmask(SIG_BLOCK, &held, &previous);
  }
  ~HeldSignals() { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }

private:
  sigset_t previous;
};

} // namespace

OutputFiles::~OutputFiles() {
  for (const File &file : files) {
    std::remove(file.scratch.c_str());
    llvm::sys::DontRemoveFileOnSignal(file.scratch);
  }
}

std::string OutputFiles::add(const std::string &destination, std::string &error) {
  if (llvm::sys::fs::is_directory(destination)) {
    error = "cannot write " + destination + ": it is a directory";
    return "";
  }
  removeStaleScratch(destination);
  std::string scratch = destination + kScratchMarker + std::to_string(::getpid());
  llvm::sys::RemoveFileOnSignal(scratch);
  files.push_back({scratch, destination});
  return scratch;
}

bool OutputFiles::commit(std::string &error) {
  HeldSignals held;
  for (size_t k = 0; k < files.size(); ++k) {
    if (std::rename(files[k].scratch.c_str(), files[k].destination.c_str()) != 0) {
      error = "cannot write " + files[k].destination + ": " + std::strerror(errno);
      return false;
    }
  }
  for (const File &file : files)
    llvm::sys::DontRemoveFileOnSignal(file.scratch);
  files.clear();
  return true;
}

} // namespace cnnopt::tools
