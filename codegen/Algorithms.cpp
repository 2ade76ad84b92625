//===- Algorithms.cpp - What each kernel computes, as Halide Funcs --------===//
//
// Dispatch only: convolutions by their `algorithm` attribute, activations
// by the ActivationOpInterface fact, everything else by op. The
// definitions live in codegen/algorithms/, one file per op family, each a
// direct transcription of the PyTorch formula it names.
//===----------------------------------------------------------------------===//

#include "codegen/Algorithms.h"
#include "codegen/algorithms/Definitions.h"

#include <map>
#include <stdexcept>

namespace cnnopt::codegen {
namespace {

using namespace algorithms;

/// The op table.
const std::map<std::string, Definition> &definitions() {
  static const std::map<std::string, Definition> table = {
      {"conv_transpose2d", convTranspose2d},
      {"linear", linear},
      {"fused_linear", linear},
      {"batch_norm", batchNorm},
      {"batch_norm_scale", batchNormScale},
      {"batch_norm_shift", batchNormShift},
      {"layer_norm", layerNorm},
      {"group_norm", [](Call &c) { return groupedNorm(c, int(c.kernel.i("groups"))); }},
      {"instance_norm", [](Call &c) { return groupedNorm(c, int(c.op(0).shape[1])); }},
      {"neg", elementwise([](Expr x, const Kernel &) { return -x; })},
      // Regularisers are the identity in inference.
      {"dropout", elementwise([](Expr x, const Kernel &) { return x; })},
      {"dropblock", elementwise([](Expr x, const Kernel &) { return x; })},
      {"stochastic_depth", elementwise([](Expr x, const Kernel &) { return x; })},
      {"softmax", [](Call &c) { return softmax(c, false); }},
      {"log_softmax", [](Call &c) { return softmax(c, true); }},
      {"max_pool2d", maxPool2d},
      {"avg_pool2d", avgPool2d},
      {"adaptive_avg_pool2d", [](Call &c) { return adaptivePool2d(c, true); }},
      {"adaptive_max_pool2d", [](Call &c) { return adaptivePool2d(c, false); }},
      {"upsample2d", upsample2d},
      {"flatten", reshape},
      {"reshape", reshape},
      {"concat", concat},
      {"mean", mean},
      {"add", broadcasting([](Expr a, Expr b) { return a + b; })},
      {"sub", broadcasting([](Expr a, Expr b) { return a - b; })},
      {"mul", broadcasting([](Expr a, Expr b) { return a * b; })},
      {"div", broadcasting([](Expr a, Expr b) { return a / b; })},
      {"constant", constant},
      {"prelu", prelu},
      {"pow", power},
      {"glu", glu},
      {"pad2d", pad2d},
      {"pixel_shuffle", pixelShuffle},
      // The training step's ops.
      {"activation_grad", activationGrad},
      {"softmax_grad", softmaxGrad},
      {"conv2d_grad_input", conv2dGradInput},
      {"conv2d_grad_weight", conv2dGradWeight},
      {"conv2d_transpose_weight", conv2dTransposeWeight},
      {"zero_insert", zeroInsert},
      {"matmul", matmul},
      {"reduce_sum", reduceSum},
      {"mean_grad", meanGrad},
      {"slice", slice},
      {"pixel_unshuffle", pixelUnshuffle},
      {"pad2d_grad", pad2dGrad},
      {"max_pool2d_grad", maxPool2dGrad},
      {"avg_pool2d_grad", avgPool2dGrad},
      {"adaptive_pool2d_grad", adaptivePool2dGrad},
      {"upsample2d_grad", upsample2dGrad},
      {"layer_norm_grad", layerNormGrad},
      {"group_norm_grad", groupNormGrad},
      {"random_mask", randomMask},
      {"batch_norm_stats", batchNormStats},
      {"batch_norm_train", batchNormTrain},
      {"running_average", runningAverage},
      {"increment", increment},
      {"batch_norm_grad_sums", batchNormGradSums},
      {"batch_norm_grad_input", batchNormGradInput},
      {"take_row", takeRow},
      {"cross_entropy", crossEntropy},
      {"one_hot", oneHot},
      {"cross_entropy_grad", crossEntropyGrad},
      {"mse_loss", mseLoss},
      {"mse_loss_grad", mseLossGrad},
      {"sgd_momentum", sgdMomentum},
      {"sgd_step", sgdStep},
      {"adam_moment", adamMoment},
      {"adam_step", adamStep},
  };
  return table;
}

/// conv2d and fused_conv2d by algorithm (absent: direct).
const std::map<std::string, Definition> &convAlgorithms() {
  static const std::map<std::string, Definition> table = {
      {"direct", directConv2d},
      {"gemm", gemmConv2d},
      {"depthwise", depthwiseConv2d},
      {"winograd_2x2_3x3", [](Call &c) { return winogradConv2d(c, 2); }},
      {"winograd_4x4_3x3", [](Call &c) { return winogradConv2d(c, 4); }},
  };
  return table;
}

} // namespace

KernelFuncs defineFlatPixelsGemm(const Kernel &kernel, const std::vector<const Tensor *> &operands,
                                 const Shape &resultShape, Prepacker *packer, int weightBlock) {
  Call call{kernel, operands, resultShape, packer, weightBlock, {}};
  return flatPixelsGemmConv2d(call);
}

std::string convAlgorithm(const Kernel &kernel) {
  return kernel.has("algorithm") ? kernel.s("algorithm") : "direct";
}

KernelFuncs defineKernel(const Kernel &kernel, const std::vector<const Tensor *> &operands,
                         const Shape &resultShape, Prepacker *packer, int weightBlock) {
  Call call{kernel, operands, resultShape, packer, weightBlock, {}};
  if (kernel.op == "conv2d" || kernel.op == "fused_conv2d")
    return convAlgorithms().at(convAlgorithm(kernel))(call);
  auto definition = definitions().find(kernel.op);
  if (definition != definitions().end())
    return definition->second(call);
  // Every other op declares its formula through the ActivationOpInterface.
  if (kernel.activation.empty())
    throw std::logic_error("cnnopt: no definition for op '" + kernel.op + "'");
  return activation(call);
}

} // namespace cnnopt::codegen
