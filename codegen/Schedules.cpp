//===- Schedules.cpp - How each kernel is computed ------------------------===//
//
// Which kernels may be computed inside their consumers, and dispatch to the
// schedule of each op family and conv algorithm (codegen/schedules/).
//===----------------------------------------------------------------------===//

#include "codegen/Schedules.h"
#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen {

using namespace schedules;
using Halide::Target;

bool isPointwise(const Kernel &kernel, const std::vector<TensorType> &values) {
  if (!kernel.pointwise)
    return false;
  // An operand broadcast along some axis of the result's rank is read many
  // times per element: not free to inline. Lower-rank operands are
  // per-channel parameters or scalar constants.
  const Shape &result = values[kernel.result].shape;
  for (int id : kernel.operands)
    if (id >= 0 && values[id].shape.size() == result.size() && values[id].shape != result)
      return false;
  return true;
}

bool readsOnce(const Kernel &consumer, size_t operand, const std::vector<TensorType> &values) {
  if (consumer.op == "conv2d" || consumer.op == "fused_conv2d") {
    const auto &pad = consumer.ints("padding");
    bool padded = std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    return operand == 0 && padded;
  }
  if (!isPointwise(consumer, values))
    return false;
  // Same-shape operand of a pointwise kernel (batch_norm's parameters are
  // per-channel, but they are parameters, never kernel results).
  return values[consumer.operands[operand]].shape == values[consumer.result].shape;
}

void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs, const Target &target,
                    bool inlined) {
  if (kernel.op == "conv2d" || kernel.op == "fused_conv2d") {
    scheduleDirectConv(funcs, target);
    return;
  }
  if (kernel.op == "linear") {
    scheduleLinear(funcs, target);
    return;
  }
  for (auto &[role, stage] : funcs.stages)
    scheduleStage(stage, target);
  if (!inlined)
    scheduleStage(funcs.result.func, target);
}

} // namespace cnnopt::codegen
