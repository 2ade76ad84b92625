//===- OutputFiles.h - cnnopt's outputs, written all or nothing -*- C++ -*-===//
//
// `cnnopt -o model.o` writes an object and its header as one unit. Each file
// is first written under a scratch name beside its destination (the same
// file system, so the rename is atomic), and all of them are renamed into
// place only once every one is complete, with SIGINT, SIGTERM, SIGHUP and
// SIGQUIT held off between the renames. Until then an error (the destructor)
// or one of those signals (LLVM's RemoveFileOnSignal) removes the scratch
// files. Only SIGKILL can leave one behind; the next run that writes the
// same destination removes those whose process no longer exists.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_CNNOPT_OUTPUTFILES_H
#define CNNOPT_TOOLS_CNNOPT_OUTPUTFILES_H

#include <string>
#include <vector>

namespace cnnopt::tools {

class OutputFiles {
public:
  OutputFiles() = default;
  OutputFiles(const OutputFiles &) = delete;
  OutputFiles &operator=(const OutputFiles &) = delete;
  /// Removes the scratch files of an unfinished (uncommitted) set.
  ~OutputFiles();

  /// The scratch path to write `destination` to: `destination.tmp<pid>`;
  /// empty, with `error` set, when `destination` is a directory, so that a
  /// commit never stops between its renames for that reason.
  std::string add(const std::string &destination, std::string &error);

  /// Renames every scratch file onto its destination; false with `error`
  /// (naming the file) if one cannot be.
  bool commit(std::string &error);

private:
  struct File {
    std::string scratch, destination;
  };
  std::vector<File> files;
};

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_CNNOPT_OUTPUTFILES_H
