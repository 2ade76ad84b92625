//===- GradientRules.h - The derivative of each cnn op ----------*- C++ -*-===//
//
// Reverse-mode rules, one per op, in GradientRules.cpp: given the
// derivative of the loss with respect to an op's result, the derivatives
// with respect to its operands. Used by cnn-derive-gradients.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_GRADIENTRULES_H
#define CNNOPT_PASSES_GRADIENTRULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace cnnopt {

/// Emits at `builder`'s insertion point the derivatives of `op`'s operands
/// from `grad`, the derivative with respect to its result. `wanted[k]`
/// says whether operand k needs one; `operandGrads` gets one entry per
/// operand (null where not wanted or where the operand has none, such as
/// labels or batch statistics). Fails with an error at the op when no rule
/// covers it.
mlir::LogicalResult deriveOperandGradients(mlir::OpBuilder &builder, mlir::Operation *op,
                                           mlir::Value grad, llvm::ArrayRef<bool> wanted,
                                           llvm::SmallVectorImpl<mlir::Value> &operandGrads);

/// The reverse sweep over `forward` (ops in program order), last op first:
/// `grads` holds the seeds (the derivative of the loss, or of the class
/// scores) and receives the derivative of every value on a path from one of
/// `sources` (trainable parameters, a Grad-CAM layer) to a seed. A value
/// read by several ops gets the sum of their derivatives; an op none of
/// whose operands lies on such a path is not visited.
mlir::LogicalResult propagateGradients(mlir::OpBuilder &builder,
                                       llvm::ArrayRef<mlir::Operation *> forward,
                                       const llvm::DenseSet<mlir::Value> &sources,
                                       llvm::DenseMap<mlir::Value, mlir::Value> &grads);

} // namespace cnnopt

#endif // CNNOPT_PASSES_GRADIENTRULES_H
