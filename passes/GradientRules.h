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

} // namespace cnnopt

#endif // CNNOPT_PASSES_GRADIENTRULES_H
