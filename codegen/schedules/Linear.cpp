//===- Linear.cpp - nn.Linear schedules ------------------------------------===//
//
// A reduction vectorised along the contiguous input features.
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// nn.Linear, acc(o, ...) += x(k, ...) * w(o, k): both operands are
/// contiguous along k, so the reduction itself is vectorised (a vector
/// of partial sums per output, added up at the end), parallel over outputs.
/// The result (the epilogue of fused_linear) is a pass of its own.
void scheduleLinear(KernelFuncs &funcs, const Target &target, bool inlined) {
  int width = vectorWidth(target);
  Func f = funcs.stages.at("acc");
  std::vector<Var> args = f.args(); // o, then the leading axes
  scheduleInitialValue(f, target);
  std::vector<RVar> r = f.rvars(0);
  Stage update = f.update();
  update.atomic().vectorize(r[0], width).parallel(args[0], 16, TailStrategy::GuardWithIf);
  if (!inlined)
    scheduleStage(funcs.result.func, target);
}

} // namespace cnnopt::codegen::schedules
