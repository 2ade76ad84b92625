//===- StepTimer.h - Each stage's time, through cnnopt_plan::on_step -*- C++ -*-===//
//
// cnnopt-run --profile times the stages of a run: the plan runner calls
// on_step before and after each step (codegen/runtime/cnnopt_model_api.h),
// in the JIT runner and in the device worker alike. Plain C++ (the worker
// links nothing else).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_STEPTIMER_H
#define CNNOPT_CODEGEN_STEPTIMER_H

#include "codegen/runtime/cnnopt_model_api.h"

#include <chrono>
#include <vector>

namespace cnnopt::codegen {

struct StepTimer {
  std::chrono::steady_clock::time_point stepStart;
  std::vector<double> stepMilliseconds; ///< per step, sized by the owner
  /// A GPU object's halide_device_sync: a step's kernels run after its
  /// launch returns, so its time ends when its result is ready.
  int (*deviceSync)(void *user_context, halide_buffer_t *buffer) = nullptr;

  /// A cnnopt_plan::on_step callback; `user` is the StepTimer.
  static void onStep(void *user, int step, int finished, halide_buffer_t *result) {
    auto *self = static_cast<StepTimer *>(user);
    if (finished && self->deviceSync && result && result->device)
      self->deviceSync(nullptr, result);
    auto now = std::chrono::steady_clock::now();
    if (!finished)
      self->stepStart = now;
    else
      self->stepMilliseconds[size_t(step)] =
          std::chrono::duration<double, std::milli>(now - self->stepStart).count();
  }
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_STEPTIMER_H
