//===- OpSupport.h - Helpers of the op implementations ----------*- C++ -*-===//
//
// What CnnOps.cpp and CnnGradOps.cpp share: shapes in ShapeRules' terms,
// inference errors reported as a verifier would, and attribute readers.
// Internal to the dialect library.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_OPSUPPORT_H
#define CNNOPT_DIALECT_OPSUPPORT_H

#include "dialect/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <string>

namespace mlir::cnn::support {

/// The shape of a ranked tensor type (kDynamic for `?`).
cnnopt::Shape toShape(Type type);
cnnopt::Shape toShape(Value value);

/// Reports an inference failure at `loc`, as an op verifier would.
LogicalResult inferenceError(std::optional<Location> loc, StringRef opName,
                             const Twine &message);

/// Turns a ShapeRules result into an f32 result type.
LogicalResult inferred(MLIRContext *context, std::optional<Location> loc,
                       StringRef opName, const cnnopt::shapes::ShapeOr &result,
                       SmallVectorImpl<Type> &types);

/// Reads an [h, w] attribute, failing if it does not hold two values.
LogicalResult pairOf(ArrayRef<int64_t> values, StringRef name,
                     std::optional<Location> loc, StringRef opName,
                     cnnopt::shapes::Hw &out);

/// Shortest round-trip form of a double ("1.5", "0.001").
std::string shortest(double value);

} // namespace mlir::cnn::support

#endif // CNNOPT_DIALECT_OPSUPPORT_H
