//===- FuzzSafetensors.cpp - libFuzzer harness for cnnopt_load_safetensors ===//
//
// Loads the input as a `.safetensors` file against a small fixed parameter
// table: tensors of ranks 0 to 5, a zero-sized one and a
// num_batches_tracked-like rank-0 counter, so inputs that name them get past
// the strict name and shape matching into the data conversion. The
// parameter array is allocated at its exact size, so AddressSanitizer sees
// any write past a tensor's slice.
//
// The loader takes a path. The input goes into a memfd once per run and is
// loaded through /proc/self/fd/N, which exercises the real stdio path with
// no disk I/O. Every kRoundTripEvery accepted files, the parameters are saved
// to a real temporary file and loaded back, and must come back bit for bit
// (the counter, stored as I64, as its integer part).
//===----------------------------------------------------------------------===//

#include "codegen/runtime/cnnopt_runtime.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

// Offsets are consecutive; kTotalFloats is the flat array's size.
const cnnopt_param_info kTable[] = {
    {"conv.weight", 4, {4, 3, 3, 3}, 0, 108, CNNOPT_INIT_UNIFORM, 0.19f},
    {"conv.bias", 1, {4}, 108, 4, CNNOPT_INIT_UNIFORM, 0.19f},
    {"bn.running_mean", 1, {4}, 112, 4, CNNOPT_INIT_ZERO, 0},
    {"bn.num_batches_tracked", 0, {}, 116, 1, CNNOPT_INIT_ZERO, 0},
    {"fc.weight", 2, {2, 4}, 117, 8, CNNOPT_INIT_UNIFORM, 0.5f},
    {"head.0.proj", 3, {1, 2, 3}, 125, 6, CNNOPT_INIT_UNIFORM, 0.5f},
    {"layer1.0.weight", 5, {1, 2, 1, 2, 1}, 131, 4, CNNOPT_INIT_ONE, 0},
    {"empty", 2, {0, 3}, 135, 0, CNNOPT_INIT_ZERO, 0},
};
constexpr int kCount = sizeof(kTable) / sizeof(kTable[0]);
constexpr int64_t kTotalFloats = 135;
constexpr size_t kErrLen = 256;
constexpr unsigned kRoundTripEvery = 64;

void check(bool condition, const char *what, const char *err = "") {
  if (!condition) {
    std::fprintf(stderr, "safetensors invariant violated: %s\n%s\n", what, err);
    std::abort();
  }
}

/// The memfd holding the current input, and its /proc path.
struct InputFile {
  int fd = -1;
  std::string path;
};

const InputFile &inputFile() {
  static const InputFile file = [] {
    InputFile f;
    f.fd = memfd_create("cnnopt-fuzz-safetensors", 0);
    check(f.fd >= 0, "memfd_create failed");
    f.path = "/proc/self/fd/" + std::to_string(f.fd);
    return f;
  }();
  return file;
}

const std::string &scratchPath() {
  static const std::string path = [] {
    const char *dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/cnnopt-fuzz-safetensors." +
           std::to_string((long)getpid()) + ".safetensors";
  }();
  return path;
}

void roundTrip(const float *params) {
  std::unique_ptr<float[]> back(new float[kTotalFloats]);
  std::unique_ptr<char[]> err(new char[kErrLen]);
  const std::string &path = scratchPath();
  check(cnnopt_save_safetensors(path.c_str(), kTable, kCount, params, err.get(), kErrLen) == 0,
        "loaded parameters can be saved", err.get());
  check(cnnopt_load_safetensors(path.c_str(), kTable, kCount, back.get(), err.get(), kErrLen) ==
            0,
        "saved parameters can be loaded", err.get());
  std::remove(path.c_str());
  for (const cnnopt_param_info &t : kTable)
    for (int64_t i = t.offset; i < t.offset + t.size; ++i) {
      if (std::strstr(t.name, "num_batches_tracked")) {
        // Saved as I64, as PyTorch stores it: truncated toward zero,
        // saturated, NaN as 0; every such integer converts back exactly.
        float v = params[i];
        float expected = std::isnan(v) ? 0.0f : v >= 0x1p63f ? 0x1p63f
                                              : v <= -0x1p63f ? -0x1p63f : std::trunc(v);
        check(back[i] == expected, "the counter survives a round trip as an integer");
        continue;
      }
      check(std::memcmp(&params[i], &back[i], sizeof(float)) == 0,
            "F32 parameters survive a round trip bit for bit");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned accepted;
  const InputFile &file = inputFile();
  check(ftruncate(file.fd, 0) == 0, "ftruncate failed");
  check(pwrite(file.fd, data, size, 0) == (ssize_t)size, "pwrite failed");

  // Exact sizes, so ASan reports any write beyond them.
  std::unique_ptr<float[]> params(new float[kTotalFloats]);
  std::unique_ptr<char[]> err(new char[kErrLen]);
  int rc = cnnopt_load_safetensors(file.path.c_str(), kTable, kCount, params.get(), err.get(),
                                   kErrLen);
  check(std::memchr(err.get(), '\0', kErrLen) != nullptr, "the message is NUL-terminated");
  if (rc != 0) {
    check(err[0] != '\0', "a refused file comes with a message");
    return 0;
  }
  check(err[0] == '\0', "success leaves an empty message", err.get());
  if (accepted++ % kRoundTripEvery == 0)
    roundTrip(params.get());
  return 0;
}
