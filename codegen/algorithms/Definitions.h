//===- Definitions.h - Shared parts of the op definitions -------*- C++ -*-===//
//
// What the per-family files of codegen/algorithms/ share: the Call each
// definition receives, small Halide helpers, and one entry point per op
// family (Algorithms.cpp dispatches to them). Internal to code generation.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_ALGORITHMS_DEFINITIONS_H
#define CNNOPT_CODEGEN_ALGORITHMS_DEFINITIONS_H

#include "codegen/Algorithms.h"
#include "codegen/Prepacker.h"

#include <cctype>
#include <functional>
#include <limits>
#include <optional>

namespace cnnopt::codegen::algorithms {

using namespace Halide;

using Operands = std::vector<const Tensor *>;

/// What every op function gets.
struct Call {
  const Kernel &kernel;
  const Operands &ops;
  const Shape &shape; ///< the result's shape
  Prepacker *packer; ///< computes parameter-only data once (null: per call)
  int weightBlock;   ///< output channels per block of packed dense conv weights (0: one)
  KernelFuncs out;

  const Tensor &op(size_t k) const { return *ops[k]; }
  const Tensor *optional(size_t k) const { return k < ops.size() ? ops[k] : nullptr; }

  /// A Func for the result, named after the kernel ("layer1_0_conv1_conv2d"):
  /// Halide reserves '.', so every other character becomes '_'.
  Func resultFunc(const std::string &suffix = "") const {
    std::string base = kernel.name.empty() ? kernel.op : kernel.name + "_" + kernel.op;
    for (char &ch : base)
      if (!std::isalnum(static_cast<unsigned char>(ch)))
        ch = '_';
    return Func(base + suffix);
  }

  /// An intermediate Func the schedule must place.
  Func stage(const std::string &suffix) {
    Func f = resultFunc("_" + suffix);
    out.stages[suffix] = f;
    return f;
  }

  /// The Prepacker's key of this kernel's parameter-only data `role`.
  std::string packKey(const std::string &role) const {
    return "k" + std::to_string(kernel.result) + "_" + role;
  }

  /// `definition` (of static `shape`) computed once, by the Prepacker, when
  /// it reads parameters only; otherwise once per call as the stage
  /// "packed_<role>".
  Tensor prepack(const std::string &role, Func definition, const Shape &shape,
                 bool parameterOnlyInputs) {
    if (packer && parameterOnlyInputs)
      return packer->pack(packKey(role), definition, shape);
    out.stages["packed_" + role] = definition;
    Tensor t;
    t.func = definition;
    t.shape = shape;
    return t;
  }

  /// Finishes with `f` as the result (its batch comes from operand 0).
  KernelFuncs done(Func f) {
    out.result.func = f;
    out.result.shape = shape;
    bool dynamic = !shape.empty() && shape[0] == kDynamic; // not after mean over axis 0
    for (const Tensor *t : ops)
      if (dynamic && t && t->batch.defined()) {
        out.result.batch = t->batch;
        break;
      }
    return std::move(out);
  }
};

using Definition = std::function<KernelFuncs(Call &)>;

inline Expr f32(double v) { return Expr(static_cast<float>(v)); }
inline Expr negInf() { return Expr(-std::numeric_limits<float>::infinity()); }

/// `t` at a 4-D position, `fill` outside [0, H) x [0, W).
inline Expr paddedAt(const Tensor &t, Expr n, Expr c, Expr y, Expr x, Expr fill) {
  int h = int(t.shape[2]), w = int(t.shape[3]);
  Expr inside = y >= 0 && y < h && x >= 0 && x < w;
  // likely() on the value (Halide's loop partitioning looks for it on a
  // select's values, not its condition): loops over the padded tensor are
  // split into borders and an interior free of the select.
  return select(inside, likely(t.at({n, c, clamp(y, 0, h - 1), clamp(x, 0, w - 1)})), fill);
}

/// Elementwise op on operand 0.
Definition elementwise(std::function<Expr(Expr, const Kernel &)> fn);

/// A fused op's epilogue on its accumulator `acc` (bias included) at output
/// channel `channel`: act(acc * scale + shift + residual), each optional
/// (operands 3, 4 and 5); `at` is the output position (PyTorch order).
Expr epilogue(const Call &c, Expr acc, Expr channel, const std::vector<Expr> &at);

/// The weight and bias a conv or linear layer accumulates with. A constant
/// affine (a folded batch_norm with embedded weights) goes into them at
/// compile time, w * scale[o] and bias * scale + shift, leaving the
/// epilogue without scale and shift; otherwise they are the operands.
struct Accumulands {
  Tensor weight;
  std::optional<Tensor> bias;
  bool affineFolded = false;
};
Accumulands accumulands(Call &c);

/// A conv's or linear's weight laid out again, once (prepacked), with the
/// output channels innermost: a vector of output channels is one load and
/// a reduction step reads consecutive floats. Blocked, the output channels
/// are split into blocks of `block` that are outermost, so that a register
/// tile's slice of the weights is contiguous instead of one cache line per
/// input channel at a stride of all the output channels (a power-of-two
/// stride that maps every line of a reduction chunk to one L1 set).
struct OutputChannelsInnermost {
  Tensor packed;
  int block = 0; ///< 0: not blocked

  /// The weight at `outer` (the axes of the layout but the output channel)
  /// and output channel `o`.
  Expr at(std::vector<Expr> outer, Expr o) const {
    if (block == 0) {
      outer.push_back(o);
      return packed.at(outer);
    }
    outer.insert(outer.begin(), o / block);
    outer.push_back(o % block);
    return packed.at(outer);
  }
};

/// `w` with its axes in `order` (the axes left out have extent 1), the
/// output channel (axis 0) last, in blocks of `block` channels when they
/// divide the output channels (0: not blocked); prepacked as
/// "relaid_weight".
OutputChannelsInnermost outputChannelsInnermost(Call &c, const Tensor &w,
                                                const std::vector<int> &order, int block = 0);

/// epilogue() without the scale and shift already folded into `a`.
Expr epilogue(const Call &c, const Accumulands &a, Expr acc, Expr channel,
              const std::vector<Expr> &at);

/// The activation `kernel` applies (an activation op, or a fused op's
/// epilogue), one formula per case of the dialect's Activation enum.
Expr activate(const Kernel &kernel, Expr x);

// One entry point per op (family files named after each group).
// Elementwise.cpp
KernelFuncs activation(Call &c);
KernelFuncs activationGrad(Call &c);
Definition broadcasting(std::function<Expr(Expr, Expr)> fn);
KernelFuncs constant(Call &c);
KernelFuncs prelu(Call &c);
KernelFuncs power(Call &c); // pow (named apart from Halide::pow and std::pow)
KernelFuncs glu(Call &c);
// Pad.cpp
KernelFuncs pad2d(Call &c);
KernelFuncs pad2dGrad(Call &c);
// Conv.cpp: conv2d and fused_conv2d per algorithm (operands x, weight,
// bias, scale, shift, residual), transposed and linear layers
KernelFuncs directConv2d(Call &c);
KernelFuncs gemmConv2d(Call &c);
KernelFuncs flatPixelsGemmConv2d(Call &c);
KernelFuncs depthwiseConv2d(Call &c);
KernelFuncs convTranspose2d(Call &c);
KernelFuncs linear(Call &c);
// Derivatives.cpp: conv2d's and linear's derivatives
KernelFuncs conv2dGradInput(Call &c);
KernelFuncs conv2dGradWeight(Call &c);
KernelFuncs conv2dTransposeWeight(Call &c);
KernelFuncs zeroInsert(Call &c);
KernelFuncs matmul(Call &c);
// Winograd.cpp
KernelFuncs winogradConv2d(Call &c, int outputTile);
// Norm.cpp
KernelFuncs batchNorm(Call &c);
KernelFuncs batchNormScale(Call &c);
KernelFuncs batchNormShift(Call &c);
KernelFuncs layerNorm(Call &c);
KernelFuncs groupedNorm(Call &c, int groups);
KernelFuncs layerNormGrad(Call &c);
KernelFuncs groupNormGrad(Call &c);
// Random.cpp
KernelFuncs randomMask(Call &c);
// Reduce.cpp
KernelFuncs softmax(Call &c, bool log);
KernelFuncs mean(Call &c);
KernelFuncs reduceSum(Call &c);
KernelFuncs meanGrad(Call &c);
KernelFuncs softmaxGrad(Call &c);
// Pool.cpp
KernelFuncs maxPool2d(Call &c);
KernelFuncs avgPool2d(Call &c);
KernelFuncs adaptivePool2d(Call &c, bool average);
KernelFuncs upsample2d(Call &c);
KernelFuncs maxPool2dGrad(Call &c);
KernelFuncs avgPool2dGrad(Call &c);
KernelFuncs adaptivePool2dGrad(Call &c);
KernelFuncs upsample2dGrad(Call &c);
// Shape.cpp
KernelFuncs reshape(Call &c);
KernelFuncs concat(Call &c);
KernelFuncs slice(Call &c);
KernelFuncs pixelShuffle(Call &c);
KernelFuncs pixelUnshuffle(Call &c);
// Training.cpp: batch_norm on batch statistics, losses, optimizers
/// Per channel (axis 1) of `x`'s shape, the sums of `values` expressions
/// of each position (PyTorch order) over every other axis: per image first
/// (stage "<name>_partial", parallel over the images), then over the
/// images (stage "<name>"). A Tuple Func when `values` > 1.
Func channelSums(Call &c, const std::string &name, const Tensor &x, int values,
                 const std::function<std::vector<Expr>(const std::vector<Expr> &)> &value);
KernelFuncs batchNormStats(Call &c);
KernelFuncs batchNormTrain(Call &c);
KernelFuncs runningAverage(Call &c);
KernelFuncs increment(Call &c);
KernelFuncs batchNormGradSums(Call &c);
KernelFuncs batchNormGradInput(Call &c);
KernelFuncs takeRow(Call &c);
KernelFuncs crossEntropy(Call &c);
KernelFuncs oneHot(Call &c);
KernelFuncs crossEntropyGrad(Call &c);
KernelFuncs mseLoss(Call &c);
KernelFuncs mseLossGrad(Call &c);
KernelFuncs sgdMomentum(Call &c);
KernelFuncs sgdStep(Call &c);
KernelFuncs adamMoment(Call &c);
KernelFuncs adamStep(Call &c);

} // namespace cnnopt::codegen::algorithms

#endif // CNNOPT_CODEGEN_ALGORITHMS_DEFINITIONS_H
