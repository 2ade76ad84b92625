//===- FusedForms.h - conv2d and linear in their fused forms ----*- C++ -*-===//
//
// fused_conv2d and fused_linear with an empty epilogue compute what conv2d
// and linear do; the fusion passes rewrite into those forms and then grow
// the epilogue in place.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_FUSEDFORMS_H
#define CNNOPT_PASSES_FUSEDFORMS_H

#include "dialect/CnnOps.h"

#include "mlir/IR/PatternMatch.h"

namespace cnnopt {

/// Replaces `conv` by the equivalent fused_conv2d (same location).
mlir::cnn::FusedConv2dOp toFused(mlir::RewriterBase &rewriter, mlir::cnn::Conv2dOp conv);

/// Replaces `linear` by the equivalent fused_linear (same location).
mlir::cnn::FusedLinearOp toFused(mlir::RewriterBase &rewriter, mlir::cnn::LinearOp linear);

/// Whether a fused op's epilogue is still empty past its bias: no affine,
/// no residual, no activation.
template <typename FusedOp> bool hasEmptyEpilogue(FusedOp op) {
  return !op.getScale() && !op.getResidual() &&
         op.getActivation() == mlir::cnn::Activation::none;
}

} // namespace cnnopt

#endif // CNNOPT_PASSES_FUSEDFORMS_H
