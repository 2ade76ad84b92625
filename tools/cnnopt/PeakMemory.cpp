//===- PeakMemory.cpp - Activation memory of a planned model --------------===//
//
// Runs the generated code's own placement (cnnopt_api_plan_arena, which the
// header carries verbatim) on the plan, so that the number reported is the
// block the compiled model allocates, not a second estimate that could drift.
//===----------------------------------------------------------------------===//

#include "tools/cnnopt/PeakMemory.h"

#include "codegen/runtime/cnnopt_model_api.h"

#include <vector>

namespace cnnopt::tools {

int64_t arenaBytes(const codegen::ExecutionPlan &plan, int batch) {
  size_t n = plan.slots.size();
  std::vector<size_t> bytes(n, 0);
  std::vector<int> lastReader(n);
  std::vector<cnnopt_plan_step> steps(plan.steps.size());
  std::vector<bool> caller(n, false); // outputs written into the caller's buffers
  for (const codegen::PlanOutput &out : plan.outputs)
    if (out.source == codegen::PlanOutput::Source::Stage && out.slot >= 0)
      caller[size_t(out.slot)] = true;
  for (size_t k = 0; k < n; ++k)
    lastReader[k] = plan.lastReader(int(k));
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    int r = plan.steps[s].result;
    steps[s] = cnnopt_plan_step{};
    steps[s].result = r;
    if (caller[size_t(r)])
      continue;
    // Every stored tensor is float32 or int32 (cnnopt_api_run_plan: 4 bytes).
    size_t elements = 1;
    for (int64_t d : plan.slotShapes[size_t(r)])
      elements *= size_t(d < 0 ? batch : d);
    bytes[size_t(r)] = elements * 4;
  }
  cnnopt_plan table{};
  table.n_slots = int(n);
  table.last_reader = lastReader.data();
  table.n_steps = int(steps.size());
  table.steps = steps.data();
  cnnopt_arena arena{};
  size_t total = cnnopt_api_plan_arena(&table, bytes.data(), &arena);
  cnnopt_arena_release(&arena);
  if (!total)
    return -1;
  // With nothing between stages, the runtime still asks for 64 bytes.
  bool any = false;
  for (size_t b : bytes)
    any = any || b;
  return any ? int64_t(total) : 0;
}

} // namespace cnnopt::tools
