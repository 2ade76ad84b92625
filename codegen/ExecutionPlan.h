//===- ExecutionPlan.h - The order a compiled model runs in -----*- C++ -*-===//
//
// A model compiles into many small Halide functions, one per stored tensor
// (a *stage*: a conv with its fused epilogue and the pointwise kernels
// inlined into it, a pooling, a concat, ...) and one per piece of packed
// data (a *pack* function: folded or transformed weights), so that Halide's
// lowering time, which grows faster than linearly with one pipeline's
// Funcs, stays linear in the model's size. The plan says how to run them:
// which stored tensors each stage reads, where each packed piece lives in
// the packed array, where the outputs come from, and when a tensor is last
// read (so its memory can go). The generated header and the JIT runner
// both execute it with cnnopt_api_run_plan (runtime/cnnopt_model_api.h).
// Plain C++: the MLIR-side driver writes the header from it.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_EXECUTIONPLAN_H
#define CNNOPT_CODEGEN_EXECUTIONPLAN_H

#include "dialect/TensorType.h"

#include <string>
#include <vector>

namespace cnnopt::codegen {

/// Stored tensors are numbered by *slot*: the model's inputs first, then
/// each step's result in order (ExecutionPlan::slots maps them back to the
/// program's value ids).
struct PlanStep {
  int result = -1;        ///< the slot it writes
  std::vector<int> reads; ///< the slots it reads, in argument order
  /// The stage takes its 4-D tensors (all channels-last) as [N*H*W, C]
  /// matrices: a 1x1 conv whose register tiles run over the pixels of
  /// every image at once (Lowering.cpp, chooseFlatPixelStages()).
  bool flatPixels = false;
};

struct PlanPack {
  std::string key;    ///< the Prepacker's key
  int64_t offset = 0; ///< first float in the packed array
  Shape shape;
};

/// Where a model output comes from.
struct PlanOutput {
  enum class Source {
    Stage,  ///< a step writes it into the caller's buffer
    Value,  ///< a copy of another stored value (an input, an output twice)
    Params, ///< a copy of a parameter
    Packed, ///< a copy of packed data
  };
  Source source = Source::Stage;
  int slot = -1;      ///< Stage: the slot written; Value: the slot copied
  int64_t offset = 0; ///< Params, Packed: the first float
};

/// Pack functions each fill several consecutive pieces (fewer, larger
/// functions compile faster).
constexpr int kPiecesPerPackFunction = 32;

struct ExecutionPlan {
  std::vector<int> slots;      ///< slot -> the program's value id
  std::vector<std::string> slotNames; ///< "in_x", "layer1_0_conv1_fused_conv2d", ...
  /// Each slot's shape as stored: the value's shape, or [N, H, W, C] for a
  /// 4-D value kept channels-last between stages (Lowering.cpp chooses).
  std::vector<Shape> slotShapes;
  std::vector<PlanStep> steps; ///< in program order
  std::vector<PlanPack> packs;     ///< the pieces of the packed array
  std::vector<PlanOutput> outputs; ///< model output order
  int64_t packedFloats = 1;        ///< the packed array's length (at least 1)

  /// The last step reading `slot`, or -1 if none does.
  /// The pack functions: function f fills pieces
  /// [f * kPiecesPerPackFunction, min((f + 1) * kPiecesPerPackFunction, packs.size())).
  int packFunctions() const {
    return int((packs.size() + kPiecesPerPackFunction - 1) / kPiecesPerPackFunction);
  }

  int lastReader(int slot) const {
    int last = -1;
    for (size_t s = 0; s < steps.size(); ++s)
      for (int r : steps[s].reads)
        if (r == slot)
          last = int(s);
    return last;
  }
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_EXECUTIONPLAN_H
