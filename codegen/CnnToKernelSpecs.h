//===- CnnToKernelSpecs.h - cnn ops to kernel descriptions ------*- C++ -*-===//
//
// The MLIR half of code generation.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_CNNTOKERNELSPECS_H
#define CNNOPT_CODEGEN_CNNTOKERNELSPECS_H

#include "codegen/KernelSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace cnnopt::codegen {

/// Describes a verified model function (inputs, then `cnn.param` /
/// `cnn.buffer` arguments) as kernels. Emits a located error and returns
/// nothing for what inference code cannot run (a training-only op).
std::optional<KernelProgram> describeModel(mlir::func::FuncOp func);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_CNNTOKERNELSPECS_H
