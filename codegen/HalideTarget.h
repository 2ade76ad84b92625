//===- HalideTarget.h - Halide targets for code generation ------*- C++ -*-===//
//
// Target strings as Halide understands them (`host`, `x86-64-linux-avx2`).
// No Halide include here so that MLIR-side code can call it.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_HALIDETARGET_H
#define CNNOPT_CODEGEN_HALIDETARGET_H

#include <string>

namespace cnnopt::codegen {

/// The Halide target string of this machine, e.g. "x86-64-linux-avx512...".
std::string hostTargetString();

/// Whether Halide accepts `target` as a target string.
bool isValidTarget(const std::string &target);

/// Floats per vector register on `target` (a valid target string).
int floatVectorWidth(const std::string &target);

/// Whether code for `target` (a valid target string) runs its stages on a
/// GPU: CUDA, OpenCL, Metal, ... features.
bool isGpuTarget(const std::string &target);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_HALIDETARGET_H
