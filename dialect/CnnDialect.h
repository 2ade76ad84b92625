//===- CnnDialect.h - The cnn dialect ---------------------------*- C++ -*-===//
//
// Declares the dialect, its attributes and enums (generated from the .td).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_CNNDIALECT_H
#define CNNOPT_DIALECT_CNNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialect/CnnDialect.h.inc"
#include "dialect/CnnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/CnnAttrs.h.inc"

#endif // CNNOPT_DIALECT_CNNDIALECT_H
