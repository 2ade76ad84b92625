//===- FuzzNpy.cpp - libFuzzer harness for the .npy reader ----------------===//
//
// Feeds the input to npy::readMemory (the reader behind npy::read, without
// the file), and checks what an accepted array promises: a known dtype, data
// of exactly numElements * itemSize bytes, and one float per element from
// asFloat. An accepted array is written back and read again through the file
// API every kRoundTripEvery inputs, so the writer and the file path stay
// covered without a file operation per input.
//===----------------------------------------------------------------------===//

#include "tools/common/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace cnnopt::npy;

namespace {

constexpr unsigned kRoundTripEvery = 64;

void check(bool condition, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "npy invariant violated: %s\n", what);
    std::abort();
  }
}

/// A per-process file name in the temporary directory.
const std::string &scratchPath() {
  static const std::string path = [] {
    const char *dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/cnnopt-fuzz-npy." +
           std::to_string((long)getpid()) + ".npy";
  }();
  return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned accepted;
  Array a;
  std::string error;
  if (!readMemory(data, size, "fuzz.npy", a, error)) {
    check(!error.empty(), "a refused array comes with a message");
    return 0;
  }
  int item = itemSize(a.dtype);
  check(item != 0, "an accepted array has a supported dtype");
  int64_t n = numElements(a.shape);
  check(n >= 0 && (uint64_t)n * (uint64_t)item == a.data.size(),
        "the data holds numElements * itemSize bytes");
  check(asFloat(a).size() == (size_t)n, "asFloat gives one float per element");

  if (accepted++ % kRoundTripEvery == 0) {
    const std::string &path = scratchPath();
    Array b;
    check(write(path, a, error), "an accepted array can be written");
    check(read(path, b, error), "a written array can be read");
    check(b.dtype == a.dtype && b.shape == a.shape && b.data == a.data,
          "the round trip keeps the array");
    std::remove(path.c_str());
  }
  return 0;
}
