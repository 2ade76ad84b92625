//===- Threads.cpp - Compile work spread over the cores -------------------===//

#include "codegen/Threads.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <thread>
#include <vector>

namespace cnnopt::codegen {

int compileThreads(int jobs) {
  return jobs > 0 ? jobs : int(std::max(1u, std::thread::hardware_concurrency()));
}

void onThreads(int threads, const std::function<void(int)> &body) {
  std::vector<std::future<void>> running;
  for (int t = 0; t < threads; ++t)
    running.push_back(std::async(std::launch::async, body, t));
  std::exception_ptr first;
  for (std::future<void> &r : running) {
    try {
      r.get();
    } catch (...) {
      if (!first)
        first = std::current_exception();
    }
  }
  if (first)
    std::rethrow_exception(first);
}

void forEachOnThreads(size_t count, int threads, const std::function<void(size_t)> &body) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  onThreads(std::max(1, std::min(threads, int(count))), [&](int) {
    // After an error the others stop taking work.
    for (size_t k = next++; k < count && !failed; k = next++) {
      try {
        body(k);
      } catch (...) {
        failed = true;
        throw;
      }
    }
  });
}

} // namespace cnnopt::codegen
