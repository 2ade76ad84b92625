//===- Schedules.h - How each kernel is computed ----------------*- C++ -*-===//
//
// THE SCHEDULE half of the Halide side: given a kernel's Funcs and the
// target, decide loop order, parallelism, vectorisation and where stages
// are stored. Dispatches on the op family; Algorithms.cpp never schedules.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_SCHEDULES_H
#define CNNOPT_CODEGEN_SCHEDULES_H

#include "codegen/Algorithms.h"

namespace cnnopt::codegen {

/// Schedules the Funcs of `kernel` for `target`.
void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs,
                    const Halide::Target &target);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_SCHEDULES_H
