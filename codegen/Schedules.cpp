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
    // The residual is read once, in the epilogue; the input once by the
    // padded copy (direct and depthwise).
    if (consumer.op == "fused_conv2d" && operand == 5)
      return true;
    const auto &pad = consumer.ints("padding");
    bool padded = std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    std::string algorithm = convAlgorithm(consumer);
    // Winograd's input transform reads each input pixel of overlapping
    // tiles (t^2 / m^2 times): a pointwise producer recomputed there costs
    // less than a pass over memory of its own.
    if (operand == 0 && algorithm.rfind("winograd", 0) == 0)
      return true;
    return operand == 0 && padded && (algorithm == "direct" || algorithm == "depthwise");
  }
  if (consumer.op == "fused_linear" && operand == 5)
    return true;
  if (!isPointwise(consumer, values))
    return false;
  // Same-shape operand of a pointwise kernel (batch_norm's parameters are
  // per-channel, but they are parameters, never kernel results).
  return values[consumer.operands[operand]].shape == values[consumer.result].shape;
}

void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs, const Target &target,
                    bool inlined) {
  // Parameter-only data (transformed weights, ...): once per call.
  for (auto &[role, stage] : funcs.stages)
    if (role.rfind("packed_", 0) == 0)
      scheduleStage(stage, target);
  if (kernel.op == "conv2d" || kernel.op == "fused_conv2d") {
    std::string algorithm = convAlgorithm(kernel);
    if (algorithm.rfind("winograd", 0) == 0)
      scheduleWinogradConv(funcs, target);
    else
      scheduleDirectConv(funcs, target, /*unrollTaps=*/algorithm == "depthwise");
    return;
  }
  if (kernel.op == "linear" || kernel.op == "fused_linear") {
    scheduleLinear(funcs, target, inlined);
    return;
  }
  for (auto &[role, stage] : funcs.stages)
    if (role.rfind("packed_", 0) != 0)
      scheduleStage(stage, target);
  if (!inlined)
    scheduleStage(funcs.result.func, target);
}

} // namespace cnnopt::codegen
