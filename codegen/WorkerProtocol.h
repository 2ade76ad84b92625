//===- WorkerProtocol.h - cnnopt-run and its device worker ------*- C++ -*-===//
//
// A GPU target's model runs in a process of its own, cnnopt-device-worker:
// PoCL's LLVM 15 binds to the LLVM 14 of Halide and the LLVM 19 of MLIR in
// any process that has them loaded and crashes (DESIGN.md), and the worker
// loads neither -- only the model's shared object, with its Halide runtime.
// cnnopt-run (codegen/DeviceWorker.cpp) talks to it over a pipe pair:
//
//   plan     the execution plan's tables, each function by symbol name;
//            reply: status, message
//   'P'      the flat parameter array; the worker packs it (its device
//            copies stay resident until the next 'P'); reply: status, message
//   'R'      a batch, whether to time the stages, each input (type, shape,
//            data) and each output's shape; reply: status, message, then
//            on success each output's data and, when timed, each stage's ms
//   'Q'      quit
//
// Both ends are the same build on the same machine: values go in native
// byte order. Plain C++, no dependencies: the worker links nothing else.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_WORKERPROTOCOL_H
#define CNNOPT_CODEGEN_WORKERPROTOCOL_H

#include "codegen/runtime/cnnopt_model_api.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <unistd.h>
#include <vector>

namespace cnnopt::worker {

/// The first value of a plan message ("cnnw" and a version).
constexpr uint32_t kPlanMagic = 0x636e6e01;

enum Command : uint8_t { SetParams = 'P', Run = 'R', Quit = 'Q' };

/// Typed reads and writes over a pair of file descriptors; writes are
/// buffered until flush(). Every call returns false once the other end is
/// gone (and stays false).
class Channel {
public:
  Channel(int in, int out) : in(in), out(out) {}

  template <typename T> void put(const T &value) {
    const char *bytes = reinterpret_cast<const char *>(&value);
    pending.insert(pending.end(), bytes, bytes + sizeof(T));
  }
  void putBytes(const void *data, size_t size) {
    const char *bytes = static_cast<const char *>(data);
    pending.insert(pending.end(), bytes, bytes + size);
  }
  void putString(const std::string &s) {
    put<uint32_t>(uint32_t(s.size()));
    putBytes(s.data(), s.size());
  }

  bool flush() {
    size_t done = 0;
    while (ok && done < pending.size()) {
      ssize_t n = ::write(out, pending.data() + done, pending.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      done += ok ? size_t(n) : 0;
    }
    pending.clear();
    return ok;
  }

  bool getBytes(void *data, size_t size) {
    char *bytes = static_cast<char *>(data);
    size_t done = 0;
    while (ok && done < size) {
      ssize_t n = ::read(in, bytes + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      done += ok ? size_t(n) : 0;
    }
    return ok;
  }
  template <typename T> bool get(T &value) { return getBytes(&value, sizeof(T)); }
  template <typename T> T get() {
    T value{};
    get(value);
    return value;
  }
  bool getString(std::string &s) {
    uint32_t size = 0;
    if (!get(size))
      return false;
    s.resize(size);
    return getBytes(s.data(), size);
  }

  bool good() const { return ok; }

private:
  int in, out;
  bool ok = true;
  std::vector<char> pending;
};

/// A tensor table entry: its name, rank, shape and type.
inline void putTensorInfo(Channel &c, const cnnopt_tensor_info &t) {
  c.putString(t.name ? t.name : "");
  c.put<int32_t>(t.rank);
  for (int a = 0; a < CNNOPT_MAX_RANK; ++a)
    c.put<int64_t>(t.shape[a]);
  c.put<int32_t>(t.is_int);
}

/// Reads what putTensorInfo() wrote; `names` keeps the name alive.
inline bool getTensorInfo(Channel &c, cnnopt_tensor_info &t, std::deque<std::string> &names) {
  std::string name;
  c.getString(name);
  t.name = names.emplace_back(std::move(name)).c_str();
  t.rank = c.get<int32_t>();
  for (int a = 0; a < CNNOPT_MAX_RANK; ++a)
    t.shape[a] = c.get<int64_t>();
  t.is_int = c.get<int32_t>();
  return c.good() && t.rank >= 0 && t.rank <= CNNOPT_MAX_RANK;
}

} // namespace cnnopt::worker

#endif // CNNOPT_CODEGEN_WORKERPROTOCOL_H
