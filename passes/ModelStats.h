//===- ModelStats.h - Per-layer model statistics ----------------*- C++ -*-===//
//
// Shapes, parameter counts, MACs and receptive fields of a model function;
// used by the cnn-print-stats pass and `cnnopt --print-stats`.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_MODELSTATS_H
#define CNNOPT_PASSES_MODELSTATS_H

#include "dialect/ArgAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnopt {

/// One row of the statistics table: one cnn op.
struct LayerStats {
  std::string name;           ///< scope (or bound variable) from the op's NameLoc
  std::string op;             ///< mnemonic without the dialect prefix
  std::vector<int64_t> shape; ///< output shape, -1 for the run-time batch
  int64_t params = 0;         ///< trainable parameters the op owns
  int64_t macs = 0;           ///< multiply-accumulates for one sample
  double rf = 1;              ///< receptive field (input pixels, height axis)
  double jump = 1;            ///< input pixels between adjacent outputs
};

/// What torchinfo.summary (1.7, 1.8) reports under its table, by its
/// rules, for one forward pass at `batch`. torchinfo sees modules, not ops:
/// an op reading parameters (`cnn.param`) stands for a leaf module holding
/// them, and an op without parameters adds nothing, as a parameter-free leaf
/// module (ReLU, MaxPool2d) or a functional call adds nothing there.
struct TorchinfoSummary {
  int64_t batch = 1;          ///< the input's batch, 1 where it is the run-time N
  int64_t totalParams = 0;    ///< parameters (not buffers), each counted once
  int64_t trainableParams = 0;
  int64_t nonTrainableParams = 0;
  /// Per parameter tensor of an op: weight/bias of a conv: elements x batch x
  /// output pixels; of any other op: elements x batch (LayerInfo.calculate_macs).
  int64_t multAdds = 0;
  int64_t inputBytes = 0;   ///< the inputs' tensors (torchinfo adds the few bytes
                            ///< of Python's storage object to each)
  /// 2 x the output bytes of every op with parameters (x2 for gradients).
  int64_t forwardBackwardBytes = 0;
  int64_t paramBytes = 0;   ///< float32 parameters: 4 bytes each
  int64_t totalBytes() const { return inputBytes + forwardBackwardBytes + paramBytes; }
};

struct ModelStats {
  std::string model;
  std::vector<LayerStats> layers;
  int64_t totalParams = 0; ///< every trainable parameter of the function
  int64_t totalMacs = 0;
  TorchinfoSummary summary;
  /// Bytes of the tensors between stages that the generated code holds at
  /// once at batch 1 (its arena, cnnopt_api_plan_arena); -1 when unknown
  /// (cnnopt fills it in after planning the code; the pass cannot).
  int64_t peakActivationBytes = -1;
};

/// Computes the statistics of a model function (inputs, then parameters
/// marked with `cnn.param` / `cnn.buffer` argument attributes).
ModelStats computeModelStats(mlir::func::FuncOp func);

/// A human-readable, column-aligned table followed by totals.
void printStatsTable(const ModelStats &stats, llvm::raw_ostream &os);

/// `{"model": ..., "layers": [...], "total_params": N, "total_macs": M,
/// "summary": {torchinfo's numbers, sizes in bytes}, "peak_activation_bytes": P}`
/// (the last only when known).
void printStatsJson(const ModelStats &stats, llvm::raw_ostream &os);

} // namespace cnnopt

#endif // CNNOPT_PASSES_MODELSTATS_H
