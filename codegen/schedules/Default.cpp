//===- Default.cpp - schedules of the other ops ----------------------------===//
//
// Every kernel's result is computed once (compute_root), spread over the
// cores along channels x batch so that batch 1 still uses every core, and
// vectorised along the innermost (width) axis.
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// Parallel over the two outermost axes (channels x batch for NCHW) and
/// vectorised along the innermost one, for a pure definition or an update.
namespace {

template <typename StageT>
void spreadAndVectorize(StageT stage, const std::vector<Var> &args, int width) {
  if (width < 2)
    width = 0;
  if (args.size() >= 3) {
    Var outer = args[args.size() - 1], inner = args[args.size() - 2];
    Var fused(outer.name() + "_" + inner.name());
    stage.fuse(inner, outer, fused).parallel(fused);
  } else if (args.size() == 2) {
    stage.parallel(args.back());
  }
  if (!args.empty() && width > 0)
    stage.vectorize(args.front(), width, TailStrategy::GuardWithIf);
}

} // namespace

/// Computes `f` once, before its consumers, in parallel and vectorised.
/// An update that reduces (conv taps, a norm's statistics, a linear layer's
/// inputs) runs its reduction outside a vectorised row of the innermost
/// axis, so the row of accumulators stays in registers/L1.
void scheduleStage(Func f, const Target &target, int innermostExtent) {
  int width = vectorWidth(target);
  // A row narrower than a vector stays scalar: a guarded vector loop still
  // computes its inline producers (a reduction's sum) for every lane,
  // reading past the end of their inputs' rows.
  if (innermostExtent > 0)
    while (width > innermostExtent)
      width /= 2;
  std::vector<Var> args = f.args();
  f.compute_root();
  spreadAndVectorize(f, args, width);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Stage update = f.update(u);
    std::vector<RVar> r = f.rvars(u);
    if (!r.empty() && !args.empty()) {
      std::vector<VarOrRVar> order{args[0]};
      order.insert(order.end(), r.begin(), r.end());
      for (size_t k = 1; k < args.size(); ++k)
        order.push_back(args[k]);
      update.reorder(order);
    }
    spreadAndVectorize(update, args, width);
  }
}

void scheduleInitialValue(Func f, const Target &target) {
  f.compute_root();
  spreadAndVectorize(f, f.args(), vectorWidth(target));
}

} // namespace cnnopt::codegen::schedules
