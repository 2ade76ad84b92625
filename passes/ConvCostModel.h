//===- ConvCostModel.h - Which conv algorithm is legal, which is fastest -*- C++ -*-===//
//
// Plain C++ (no MLIR): the facts of one convolution in, an algorithm out,
// so that the model is unit-testable and its numbers sit in one file.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_CONVCOSTMODEL_H
#define CNNOPT_PASSES_CONVCOSTMODEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnopt {

/// The shape facts of a conv2d that decide its algorithm.
struct ConvShape {
  int64_t inChannels = 0, outChannels = 0, groups = 1;
  int64_t kernelH = 0, kernelW = 0;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t outH = 0, outW = 0;
  bool padded = false; ///< any padding
};

/// What the cost of an algorithm depends on besides the conv itself.
struct CostContext {
  int vectorWidth = 16; ///< floats per vector register of the target
};

/// Every algorithm name, in the order of the dialect's ConvAlgorithm enum.
const std::vector<std::string> &convAlgorithmNames();

/// Why `algorithm` cannot compute `conv` ("needs a 1x1 kernel, ..."), or
/// nothing when it can.
std::optional<std::string> whyIllegal(const std::string &algorithm, const ConvShape &conv);

/// Estimated cost of `algorithm` on `conv` (arbitrary units, comparable
/// between algorithms of one conv); only for legal algorithms.
double estimatedCost(const std::string &algorithm, const ConvShape &conv,
                     const CostContext &context = {});

/// The legal algorithm of least estimated cost.
std::string cheapestAlgorithm(const ConvShape &conv, const CostContext &context = {});

} // namespace cnnopt

#endif // CNNOPT_PASSES_CONVCOSTMODEL_H
