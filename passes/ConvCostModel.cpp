//===- ConvCostModel.cpp - Which conv algorithm is legal, which is fastest ===//
//
// Cost = work in units of one multiply-accumulate of the direct kernel.
// Weight transforms (Winograd's U = G g G^T, re-layouts, folded batch
// norms) are prepacked: computed at compile time with embedded weights,
// else once per context (M_context_create; cnnopt-run), so they cost
// nothing per call. (The plain M_forward computes them on every call.)
//
// Winograd F(m x m, 3x3), t = m + 2, is a GEMM of tiles x t^2 x in x out
// MACs plus input and output transforms per tile element and channel. Two
// schedules (codegen/Schedules.cpp):
//   wide maps (over 16 x 16 output pixels): vectorised along the tiles,
//     whose count is padded up to the vector width; F(2x2)'s GEMM runs at
//     a third of F(4x4)'s speed per MAC. Fitted on AVX-512, 2 threads,
//     direct vs F(2x2) vs F(4x4): 64ch 56x56 2.68 / 3.97 / 1.00 ms,
//     128ch 28x28 2.82 / 3.18 / 1.98 ms, 64->8 28x28 0.10 / - / 0.11 ms,
//     16->16 28x28 0.05 / - / 0.06 ms.
//   small maps with whole vectors of output channels: vectorised along
//     the channels, register tiles of about 6 tiles (their count padded
//     up to that), the GEMM at about the direct kernel's cost per MAC and
//     a small fixed cost. Fitted on AVX2, 1 thread, direct / F(2x2) /
//     F(4x4): 32->64 16x16 0.109 / 0.077 / 0.055 ms, 64->128 8x8 0.170 /
//     0.081 / 0.060, 128->128 8x8 0.308 / 0.150 / 0.082, 16->16 16x16
//     0.026 / 0.022 / 0.008, 128->32 16x16 0.29 / 0.11 / 0.10, 256ch 14x14
//     3.8 / 2.6-3.5 / 2.2-3.4, 512ch 7x7 4.3-5.2 / 2.5-2.6 / 3.1-3.7 (the
//     last two noisy: F(4x4) is chosen at 7x7, F(2x2) would be slightly
//     faster: its 16 tiles fill the register tiles, F(4x4)'s 4 do not).
//
//   gemm, depthwise  the direct tile without taps or padded copy: slightly
//                    cheaper per MAC than direct.
//
// Every algorithm also streams its (transformed) weights once per call.
// A small model's stay in the last-level cache between calls; a deep
// layer's come from memory at batch 1 (ResNet-50 holds 100 MB of them),
// and F(4x4)'s are 4x the direct kernel's (t^2 = 36 against 9 per channel
// pair), so the bytes beyond kCachedWeightBytes count. Within ResNet-50,
// batch 1, AVX2 (fastest of 20 runs, 1 / 2 threads): 512ch 7x7 F(4x4)
// 2.93 / 1.66-1.84 ms (37.7 MB of weights), F(2x2) 2.48-2.52 / 1.56-1.61
// (16.8 MB), direct 3.75-3.90 / 1.91-2.08 (9.4 MB); 256ch 14x14 F(4x4)
// 1.41-1.52 / 0.83-0.87 (9.4 MB), F(2x2) 1.43-1.61 / 0.78-0.91 (4.2 MB).
// The estimate assumes batch 1 (latency); larger batches share one pass
// over the weights.
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
/// On small maps, vectorised along the channels: cost per MAC and fixed.
constexpr double kChannelsMacCost = 1.0;
constexpr double kChannelsFixedCost = 1.0e5;
/// Tiles of a register tile on small maps (their count is padded to it).
constexpr int64_t kChannelsRegisterTiles = 6;
/// Output pixels up to which Winograd runs vectorised along the channels
/// (codegen/Schedules.cpp, smallWinogradMap()).
constexpr int64_t kSmallMapPixels = 16 * 16;
/// Winograd's five stages cost about 0.02 ms of launches and barriers
/// whatever the size: 64->8 and 16->16 channels at 28x28 measured the same
/// as direct (0.10 and 0.05 ms).
constexpr double kWinogradFixedCost = 1.0e6;
/// Streaming one byte of weights, in MACs (about 28 GB/s at the direct
/// kernel's 85 GFLOP/s): fitted on the layers above.
constexpr double kWeightByteCost = 1.5;
/// A layer's weights up to this many bytes are taken to stay cached
/// between calls (L2 1 MB per core, L3 32 MB shared, on the machines
/// measured): 128 channels at 8x8 keep F(4x4) (2.4 MB, measured 0.082 ms
/// against F(2x2)'s 0.150).
constexpr double kCachedWeightBytes = 4.0 * (1 << 20);

bool isWinograd(const std::string &algorithm) {
  return algorithm == "winograd_2x2_3x3" || algorithm == "winograd_4x4_3x3";
}

/// F(m x m, 3x3)'s tile of t = m + 2 input pixels along each axis.
int64_t winogradTileSize(const std::string &algorithm) {
  return algorithm == "winograd_2x2_3x3" ? 4 : 6;
}

double directMacs(const ConvShape &c) {
  return double(c.outH) * c.outW * c.outChannels * (c.inChannels / c.groups) * c.kernelH *
         c.kernelW;
}

/// Bytes of (transformed) float weights one call reads.
double weightBytes(const std::string &algorithm, const ConvShape &c) {
  int64_t t = winogradTileSize(algorithm);
  int64_t taps = isWinograd(algorithm) ? t * t : c.kernelH * c.kernelW;
  return 4.0 * double(c.outChannels) * double(c.inChannels / c.groups) * double(taps);
}

/// The multiply-adds and transforms of one image, in MACs of the direct kernel.
double computeCost(const std::string &algorithm, const ConvShape &c,
                   const CostContext &context) {
  double macs = directMacs(c);
  if (algorithm == "gemm")
    return macs * kGemmMacCost;
  if (algorithm == "depthwise")
    return macs * kDepthwiseMacCost;
  if (isWinograd(algorithm)) {
    int64_t t = winogradTileSize(algorithm), m = t - 2;
    int64_t tiles = ((c.outH + m - 1) / m) * ((c.outW + m - 1) / m);
    int64_t lanes = std::max(context.vectorWidth, 1);
    bool overChannels = c.outH * c.outW <= kSmallMapPixels && c.outChannels % lanes == 0;
    int64_t pad = overChannels ? kChannelsRegisterTiles : lanes;
    double paddedTiles = double((tiles + pad - 1) / pad * pad);
    double perTile = double(t * t);
    double macCost = overChannels ? kChannelsMacCost
                                  : m == 2 ? kWinograd2MacCost : kWinograd4MacCost;
    double gemm =
        paddedTiles * perTile * double(c.inChannels) * double(c.outChannels) * macCost;
    double transforms =
        double(tiles) * perTile * double(c.inChannels + c.outChannels) * kTransformCost;
    return (overChannels ? kChannelsFixedCost : kWinogradFixedCost) + gemm + transforms;
  }
  return macs;
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
  double streamed = std::max(0.0, weightBytes(algorithm, c) - kCachedWeightBytes);
  return computeCost(algorithm, c, context) + streamed * kWeightByteCost;
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
