//===- Threads.h - Compile work spread over the cores -----------*- C++ -*-===//
//
// Lowering and LLVM's code generation take one core per Halide module; a
// model's functions are independent modules, so its compile spreads them
// over threads (Halide's compiler is thread-safe for modules that share no
// mutable IR).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_THREADS_H
#define CNNOPT_CODEGEN_THREADS_H

#include <cstddef>
#include <functional>

namespace cnnopt::codegen {

/// `jobs` threads, or one per core when `jobs` <= 0.
int compileThreads(int jobs);

/// Runs body(0) ... body(threads - 1) on as many threads; rethrows the
/// first exception once all have finished.
void onThreads(int threads, const std::function<void(int)> &body);

/// Runs body(0) ... body(count - 1), each once, `threads` at a time (in
/// order of starting); rethrows the first exception once all have finished.
void forEachOnThreads(size_t count, int threads, const std::function<void(size_t)> &body);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_THREADS_H
