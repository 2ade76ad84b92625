//===- Passes.h - cnn passes ------------------------------------*- C++ -*-===//
//
// Declarations and registration of every cnn pass (generated from Passes.td).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_PASSES_PASSES_H
#define CNNOPT_PASSES_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::cnn {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::cnn

#endif // CNNOPT_PASSES_PASSES_H
