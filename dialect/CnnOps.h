//===- CnnOps.h - cnn dialect ops -------------------------------*- C++ -*-===//
//
// The generated op classes of the cnn dialect.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_CNNOPS_H
#define CNNOPT_DIALECT_CNNOPS_H

#include "dialect/CnnDialect.h"
#include "dialect/CnnTraits.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/CnnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialect/CnnOps.h.inc"

namespace mlir::cnn {

/// How many `activation_params` a fused op or activation_grad carries with
/// activation `kind`: leaky_relu [slope] and elu [alpha] 1, softplus
/// [beta, threshold] 2, the others none (the attribute is absent).
unsigned activationParamCount(Activation kind);

} // namespace mlir::cnn

#endif // CNNOPT_DIALECT_CNNOPS_H
