//===- MLIRGen.h - Elaborated graphs to the cnn dialect ---------*- C++ -*-===//
//
// Turns the front end's ModelGraphs into `func.func`s of cnn ops: arguments
// are the inputs followed by the parameters, each carrying its name in an
// argument attribute; every op gets a `NameLoc` (its scope) around the
// `FileLineColLoc` of the `.cnn` token that created it.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_MLIRGEN_H
#define CNNOPT_FRONTEND_MLIRGEN_H

#include "dialect/ArgAttrs.h"
#include "frontend/Graph.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace cnnopt {

/// Builds and verifies the module for `program` (models, then train
/// declarations as `<Model>_train` functions). Verification errors are
/// reported through the context's diagnostic handler; nothing is returned
/// then.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &context,
                                              const Program &program);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_MLIRGEN_H
