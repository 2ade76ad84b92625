//===- FusedForms.cpp - conv2d and linear in their fused forms ------------===//

#include "passes/FusedForms.h"

using namespace mlir;
using namespace mlir::cnn;

namespace cnnopt {

FusedConv2dOp toFused(RewriterBase &rewriter, Conv2dOp conv) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(conv);
  auto fused = rewriter.create<FusedConv2dOp>(
      conv.getLoc(), conv.getType(), conv.getInput(), conv.getWeight(), conv.getBias(),
      /*scale=*/Value(), /*shift=*/Value(), /*residual=*/Value(), conv.getStrideAttr(),
      conv.getPaddingAttr(), conv.getDilationAttr(), conv.getGroupsAttr(),
      ActivationAttr::get(rewriter.getContext(), Activation::none),
      /*activation_params=*/DenseF64ArrayAttr(), conv.getAlgorithmAttr());
  rewriter.replaceOp(conv, fused.getResult());
  return fused;
}

FusedLinearOp toFused(RewriterBase &rewriter, LinearOp linear) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(linear);
  auto fused = rewriter.create<FusedLinearOp>(
      linear.getLoc(), linear.getType(), linear.getInput(), linear.getWeight(),
      linear.getBias(), /*scale=*/Value(), /*shift=*/Value(), /*residual=*/Value(),
      ActivationAttr::get(rewriter.getContext(), Activation::none),
      /*activation_params=*/DenseF64ArrayAttr());
  rewriter.replaceOp(linear, fused.getResult());
  return fused;
}

} // namespace cnnopt
