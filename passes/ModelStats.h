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

struct ModelStats {
  std::string model;
  std::vector<LayerStats> layers;
  int64_t totalParams = 0; ///< every trainable parameter of the function
  int64_t totalMacs = 0;
};

/// Computes the statistics of a model function (inputs, then parameters
/// marked with `cnn.param` / `cnn.buffer` argument attributes).
ModelStats computeModelStats(mlir::func::FuncOp func);

/// A human-readable, column-aligned table followed by totals.
void printStatsTable(const ModelStats &stats, llvm::raw_ostream &os);

/// `{"model": ..., "layers": [...], "total_params": N, "total_macs": M}`
void printStatsJson(const ModelStats &stats, llvm::raw_ostream &os);

} // namespace cnnopt

#endif // CNNOPT_PASSES_MODELSTATS_H
