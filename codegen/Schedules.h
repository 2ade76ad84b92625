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

/// Whether `kernel` computes each output element from the same position of
/// its operands (activations, batch_norm, same-shape arithmetic, ...), so
/// that inlining it into a consumer costs nothing extra.
bool isPointwise(const Kernel &kernel, const std::vector<TensorType> &values);

/// Whether `consumer` reads each element of its operand `operand` once:
/// pointwise kernels on same-shape operands, and the zero-padded copy a
/// padded convolution makes of its input.
bool readsOnce(const Kernel &consumer, size_t operand, const std::vector<TensorType> &values);

/// Schedules the Funcs of `kernel` for `target`. With `inlined`, the result
/// is computed inside its consumers instead of in a buffer of its own
/// (fewer realisations also keep Halide's lowering fast on deep models).
void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs,
                    const Halide::Target &target, bool inlined = false);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_SCHEDULES_H
