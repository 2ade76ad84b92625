//===- CnnTraits.h - Op traits of the cnn dialect ---------------*- C++ -*-===//
//
// The C++ side of the traits declared in CnnInterfaces.td.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_CNNTRAITS_H
#define CNNOPT_DIALECT_CNNTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace mlir::cnn {

/// Each result element reads the operands at its own (broadcast or
/// per-channel) position: computing it inside a consumer costs nothing.
template <typename ConcreteType>
class Pointwise : public OpTrait::TraitBase<ConcreteType, Pointwise> {};

} // namespace mlir::cnn

#endif // CNNOPT_DIALECT_CNNTRAITS_H
