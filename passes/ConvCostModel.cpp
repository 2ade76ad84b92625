//===- ConvCostModel.cpp - Which conv algorithm is legal, which is fastest ===//
//
// Cost = work in units of one multiply-accumulate of the direct kernel.
// The constants below were fitted to the generated kernels, measured with
// `cnnopt-run --conv-algorithm=ALG --bench 20` on one 3x3 conv (2 threads,
// AVX-512, run-time weights; direct = 1 per MAC):
//
//                  direct   F(2x2,3x3)   F(4x4,3x3)
//   64ch  56x56    2.68 ms   3.97 ms      1.00 ms
//   128ch 28x28    2.82 ms   3.18 ms      1.98 ms
//   256ch 14x14    2.07 ms   2.85 ms      5.63 ms
//   512ch 7x7      2.10 ms   11.5 ms      44.8 ms
//   128->32 16x16  0.19 ms   0.21 ms      0.30 ms
//   64->8   28x28  0.10 ms                0.11 ms
//   16->16  28x28  0.05 ms                0.06 ms
//
//   gemm, depthwise  the direct tile without taps or padded copy: slightly
//                    cheaper per MAC than direct.
//   Winograd F(m x m, 3x3), t = m + 2: a GEMM of tiles x t^2 x in x out
//                    MACs (vectorised across tiles, so the tile count is
//                    padded up to the vector width), input and output
//                    transforms per tile element and channel, and, unless
//                    the weights are known at compile time, the weight
//                    transform of t^2 x in x out elements on every call,
//                    which dominates on deep layers with small maps.
//                    F(2x2)'s GEMM runs at a third of F(4x4)'s speed per MAC.
//===----------------------------------------------------------------------===//

#include "passes/ConvCostModel.h"

#include <algorithm>

namespace cnnopt {
namespace {

/// Cost per MAC relative to the direct kernel.
constexpr double kGemmMacCost = 0.95;
constexpr double kDepthwiseMacCost = 0.9;
constexpr double kWinograd4MacCost = 1.0;
constexpr double kWinograd2MacCost = 3.0;
/// Cost of one transformed element of the input or output, per channel.
constexpr double kTransformCost = 4.0;
/// Cost of one transformed weight element when computed on every call.
constexpr double kWeightTransformCost = 100.0;
/// Winograd's five stages cost about 0.02 ms of launches and barriers
/// whatever the size: 64->8 and 16->16 channels at 28x28 measured the same
/// as direct (0.10 and 0.05 ms).
constexpr double kWinogradFixedCost = 1.0e6;

bool isWinograd(const std::string &algorithm) {
  return algorithm == "winograd_2x2_3x3" || algorithm == "winograd_4x4_3x3";
}

double directMacs(const ConvShape &c) {
  return double(c.outH) * c.outW * c.outChannels * (c.inChannels / c.groups) * c.kernelH *
         c.kernelW;
}

} // namespace

const std::vector<std::string> &convAlgorithmNames() {
  static const std::vector<std::string> names = {
      "direct", "gemm", "depthwise", "winograd_2x2_3x3", "winograd_4x4_3x3"};
  return names;
}

std::optional<std::string> whyIllegal(const std::string &algorithm, const ConvShape &c) {
  if (algorithm == "direct")
    return std::nullopt;
  if (algorithm == "gemm") {
    if (c.kernelH != 1 || c.kernelW != 1 || c.groups != 1 || c.padded)
      return std::string("gemm needs a 1x1 kernel, groups 1 and no padding");
    return std::nullopt;
  }
  if (algorithm == "depthwise") {
    if (c.groups != c.inChannels || c.groups == 1)
      return std::string("depthwise needs groups equal to the input channels (more than 1)");
    return std::nullopt;
  }
  if (isWinograd(algorithm)) {
    if (c.kernelH != 3 || c.kernelW != 3 || c.strideH != 1 || c.strideW != 1 ||
        c.dilationH != 1 || c.dilationW != 1 || c.groups != 1)
      return algorithm + " needs a 3x3 kernel, stride 1, dilation 1 and groups 1";
    return std::nullopt;
  }
  return "unknown algorithm '" + algorithm + "'";
}

double estimatedCost(const std::string &algorithm, const ConvShape &c,
                     const CostContext &context) {
  double macs = directMacs(c);
  if (algorithm == "gemm")
    return macs * kGemmMacCost;
  if (algorithm == "depthwise")
    return macs * kDepthwiseMacCost;
  if (isWinograd(algorithm)) {
    int64_t m = algorithm == "winograd_2x2_3x3" ? 2 : 4, t = m + 2;
    int64_t tiles = ((c.outH + m - 1) / m) * ((c.outW + m - 1) / m);
    int64_t lanes = std::max(context.vectorWidth, 1);
    double paddedTiles = double((tiles + lanes - 1) / lanes * lanes);
    double perTile = double(t * t);
    double gemm = paddedTiles * perTile * double(c.inChannels) * double(c.outChannels) *
                  (m == 2 ? kWinograd2MacCost : kWinograd4MacCost);
    double transforms = double(tiles) * perTile * double(c.inChannels + c.outChannels) *
                        kTransformCost;
    double weights = context.weightsKnown
                         ? 0.0
                         : perTile * double(c.inChannels) * double(c.outChannels) *
                               kWeightTransformCost;
    return kWinogradFixedCost + gemm + transforms + weights;
  }
  return macs;
}

std::string cheapestAlgorithm(const ConvShape &conv, const CostContext &context) {
  std::string best = "direct";
  double bestCost = estimatedCost(best, conv, context);
  for (const std::string &name : convAlgorithmNames()) {
    if (whyIllegal(name, conv))
      continue;
    double cost = estimatedCost(name, conv, context);
    if (cost < bestCost) {
      best = name;
      bestCost = cost;
    }
  }
  return best;
}

} // namespace cnnopt
