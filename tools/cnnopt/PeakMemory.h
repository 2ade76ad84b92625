//===- PeakMemory.h - Activation memory of a planned model ------*- C++ -*-===//
//
// `cnnopt --print-stats` reports how much memory the generated code holds
// for the tensors between its stages: the arena that cnnopt_api_run_plan
// allocates, placed by liveness (codegen/runtime/cnnopt_model_api.h).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_CNNOPT_PEAKMEMORY_H
#define CNNOPT_TOOLS_CNNOPT_PEAKMEMORY_H

#include "codegen/ExecutionPlan.h"

#include <cstdint>

namespace cnnopt::tools {

/// The bytes of the arena the generated code allocates for `plan` at `batch`:
/// the tensors between stages, each placed where nothing alive at the same
/// time lies (the model's inputs and outputs are the caller's and not in it);
/// -1 if the plan cannot be laid out.
int64_t arenaBytes(const codegen::ExecutionPlan &plan, int batch);

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_CNNOPT_PEAKMEMORY_H
