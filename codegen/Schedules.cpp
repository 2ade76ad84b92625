//===- Schedules.cpp - How each kernel is computed ------------------------===//
//
// Which kernels may be computed inside their consumers, and dispatch to the
// schedule of each op family and conv algorithm (codegen/schedules/).
//===----------------------------------------------------------------------===//

#include "codegen/Schedules.h"
#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen {

using namespace schedules;
using Halide::Func;
using Halide::Target;

bool isPointwise(const Kernel &kernel, const std::vector<TensorType> &values) {
  if (!kernel.pointwise)
    return false;
  // An operand broadcast along some axis of the result's rank is read many
  // times per element: not free to inline. Lower-rank operands are
  // per-channel parameters or scalar constants.
  const Shape &result = values[kernel.result].shape;
  for (int id : kernel.operands)
    if (id >= 0 && values[id].shape.size() == result.size() && values[id].shape != result)
      return false;
  return true;
}

namespace {

bool isConv(const Kernel &kernel) { return kernel.op == "conv2d" || kernel.op == "fused_conv2d"; }

bool isWinograd(const Kernel &kernel) { return convAlgorithm(kernel).rfind("winograd", 0) == 0; }

} // namespace

bool readsOnce(const Kernel &consumer, size_t operand, const std::vector<TensorType> &values) {
  if (isConv(consumer)) {
    // The residual is read once, in the epilogue; the input once by the
    // padded copy (direct and depthwise).
    if (consumer.op == "fused_conv2d" && operand == 5)
      return true;
    const auto &pad = consumer.ints("padding");
    bool padded = std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    std::string algorithm = convAlgorithm(consumer);
    // Winograd's input transform reads each input pixel of overlapping
    // tiles (t^2 / m^2 times): a pointwise producer recomputed there costs
    // less than a pass over memory of its own.
    if (operand == 0 && isWinograd(consumer))
      return true;
    return operand == 0 && padded && (algorithm == "direct" || algorithm == "depthwise");
  }
  if (consumer.op == "fused_linear" && operand == 5)
    return true;
  if (!isPointwise(consumer, values))
    return false;
  // Same-shape operand of a pointwise kernel (batch_norm's parameters are
  // per-channel, but they are parameters, never kernel results).
  return values[consumer.operands[operand]].shape == values[consumer.result].shape;
}

namespace {

/// Whether a Winograd conv's map is small enough to vectorise along the
/// channels (scheduleWinogradChannels): at most 16 x 16 output pixels, so
/// that an image's transformed tiles stay in L2 between the stages, and
/// vectors of tiles would be mostly padding (7 x 7 has 16 tiles of 2 x 2).
/// Wider maps vectorise along the tiles (scheduleWinogradTiles). Measured
/// (F(4x4), 2 threads, along the tiles vs along the channels): 64 channels
/// at 56 x 56 1.0 vs 3-4 ms, 128 at 28 x 28 1.1 vs 1.6-1.9 ms, 256 at
/// 14 x 14 2.2-2.5 vs 1.7 ms, 512 at 7 x 7 8-12 vs 1.5-1.8 ms.
bool smallWinogradMap(const Kernel &kernel, const Shape &resultShape) {
  constexpr int64_t kMaxPixels = 16 * 16;
  return isWinograd(kernel) && resultShape[2] * resultShape[3] <= kMaxPixels;
}

/// Whether a Winograd conv runs vectorised along its channels.
bool winogradOverChannels(const Kernel &kernel, const Shape &resultShape, const Target &target) {
  return smallWinogradMap(kernel, resultShape) && !schedules::isGpu(target) &&
         resultShape[1] % schedules::vectorWidth(target) == 0;
}

/// F(m x m, 3x3)'s m: the output pixels of a tile along each axis.
int winogradOutputTile(const Kernel &kernel) {
  return convAlgorithm(kernel) == "winograd_2x2_3x3" ? 2 : 4;
}

/// A Winograd conv's tiles per image: F(m x m, 3x3) covers the output map
/// in m x m tiles.
int winogradTiles(const Kernel &kernel, const Shape &resultShape) {
  int m = winogradOutputTile(kernel);
  return int(((resultShape[2] + m - 1) / m) * ((resultShape[3] + m - 1) / m));
}

/// A 1x1 or ungrouped direct convolution: every output channel reads every
/// input channel, one broadcast element at a time.
bool isDenseConv(const Kernel &kernel) {
  if (!isConv(kernel))
    return false;
  std::string algorithm = convAlgorithm(kernel);
  return algorithm == "gemm" || (algorithm == "direct" && kernel.i("groups") == 1);
}

} // namespace

bool storesChannelsLast(const Kernel &kernel, const std::vector<TensorType> &values) {
  if (!isConv(kernel))
    return true; // the generic schedule permutes any result
  if (convAlgorithm(kernel) == "depthwise") // one input channel per output channel
    return kernel.i("groups") == values[kernel.result].shape[1];
  // Winograd on small maps is vectorised along the channels.
  return isDenseConv(kernel) || smallWinogradMap(kernel, values[kernel.result].shape);
}

bool readsInputInEitherLayout(const Kernel &kernel) { return isDenseConv(kernel); }

namespace {

/// Whether a dense conv runs the channels-last register tile whatever the
/// layout it stores (its output channels are whole vectors of a CPU
/// target). weightBlock() packs the weights for that tile.
bool runsChannelsLastTile(const Kernel &kernel, const Shape &resultShape, const Target &target) {
  return isDenseConv(kernel) && !schedules::isGpu(target) &&
         resultShape[1] % schedules::vectorWidth(target) == 0;
}

} // namespace

bool prefersFlatPixels(const Kernel &kernel, const Shape &resultShape, const Target &target) {
  if (!isConv(kernel) || convAlgorithm(kernel) != "gemm" || schedules::isGpu(target))
    return false;
  const auto &stride = kernel.ints("stride");
  int width = schedules::vectorWidth(target);
  int channels = int(resultShape[1]);
  if (stride[0] != 1 || stride[1] != 1 || channels % width != 0)
    return false;
  ChannelsLastTile row = chooseTile(channels / width, int(resultShape[3]), vectorRegisters(target));
  ChannelsLastTile flat = flatPixelsTile(channels, target);
  return row.vectors * row.pixels < flat.vectors * flat.pixels;
}

int weightBlock(const Kernel &kernel, const Shape &resultShape, const Target &target) {
  if (prefersFlatPixels(kernel, resultShape, target))
    return flatPixelsTile(int(resultShape[1]), target).vectors * schedules::vectorWidth(target);
  if (isConv(kernel) && winogradOverChannels(kernel, resultShape, target))
    return schedules::channelsLastTileChannels(int(resultShape[1]),
                                               winogradTiles(kernel, resultShape), target);
  if (!runsChannelsLastTile(kernel, resultShape, target))
    return 0;
  return schedules::channelsLastTileChannels(int(resultShape[1]), int(resultShape[3]), target);
}

namespace {

/// GPU targets: no channels-last layouts or flat pixels (Lowering.cpp keeps
/// NCHW), one schedule per family in schedules/Gpu.cpp.
void scheduleGpuKernel(const Kernel &kernel, KernelFuncs &funcs, bool inlined) {
  if (isWinograd(kernel))
    scheduleGpuWinograd(funcs);
  else if (isConv(kernel) || kernel.op == "conv_transpose2d")
    scheduleGpuConv(kernel, funcs);
  else if (kernel.op == "linear" || kernel.op == "fused_linear")
    scheduleGpuLinear(funcs, inlined);
  else
    scheduleGpuGeneric(funcs, inlined);
}

} // namespace

void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs, const Target &target,
                    const KernelPlacement &placement) {
  if (schedules::isGpu(target)) {
    scheduleGpuKernel(kernel, funcs, placement.inlined);
    return;
  }
  // Parameter-only data (transformed weights, ...): once per call.
  for (auto &[role, stage] : funcs.stages)
    if (role.rfind("packed_", 0) == 0)
      scheduleStage(stage, target);
  Func stored = placement.channelsLastOutput;
  if (isConv(kernel)) {
    std::string algorithm = convAlgorithm(kernel);
    bool depthwise = algorithm == "depthwise";
    if (winogradOverChannels(kernel, funcs.result.shape, target))
      scheduleWinogradChannels(funcs, stored.defined() ? stored : funcs.result.func, target,
                               winogradTiles(kernel, funcs.result.shape),
                               winogradOutputTile(kernel) + 2);
    else if (isWinograd(kernel))
      scheduleWinogradTiles(funcs, target);
    else if (stored.defined())
      scheduleChannelsLastConv(kernel, funcs, stored, target, placement.inputChannelsLast);
    else if (runsChannelsLastTile(kernel, funcs.result.shape, target))
      // The channels-last tile, stored to NCHW lane by lane: it
      // broadcasts its inputs, so it reads either layout (the NCHW tile's
      // rows of pixels would gather from channels-last input), and it beats
      // the NCHW tile on NCHW input too (ResNet-18's stem, which writes
      // NCHW for the max pool before the Winograd layers: 5.1 -> 2.9 ms;
      // its layer2 3x3 stride 2: 3.2 -> 1.4 ms).
      scheduleChannelsLastConv(kernel, funcs, funcs.result.func, target,
                               placement.inputChannelsLast);
    else
      scheduleDirectConv(funcs, target, depthwise, placement.inputChannelsLast);
    return;
  }
  if (kernel.op == "linear" || kernel.op == "fused_linear") {
    scheduleLinear(funcs, target, placement.inlined);
    return;
  }
  if (kernel.op == "conv2d_grad_weight" && !schedules::isGpu(target)) {
    scheduleConvGradWeight(funcs, stored, target);
    return;
  }
  for (auto &[role, stage] : funcs.stages)
    if (role.rfind("packed_", 0) != 0)
      scheduleStage(stage, target);
  Func result = funcs.result.func;
  const Shape &shape = funcs.result.shape;
  int rowWidth = shape.empty() || shape.back() == kDynamic ? 0 : int(shape.back());
  if (stored.defined()) {
    // The permuting output is computed like any result; the result is
    // inlined into it unless it has update definitions of its own.
    if (result.has_update_definition())
      scheduleStage(result, target, rowWidth);
    scheduleStage(stored, target, int(shape[1])); // channels innermost
  } else if (!placement.inlined) {
    scheduleStage(result, target, rowWidth);
  }
}

} // namespace cnnopt::codegen
