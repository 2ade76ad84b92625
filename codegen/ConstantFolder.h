//===- ConstantFolder.h - Compile-time evaluation of parameter-only Funcs -*- C++ -*-===//
//
// With embedded weights (`cnnopt --weights`), whatever depends on the
// parameters only (a folded batch_norm's scale and shift, conv weights with
// that scale folded in, Winograd-transformed weights) is computed once, at
// compile time, and the object holds the result. fold() hands out a Tensor
// reading a buffer of the right shape at once; evaluate() fills every such
// buffer with one JIT-compiled pipeline before the model is compiled.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_CONSTANTFOLDER_H
#define CNNOPT_CODEGEN_CONSTANTFOLDER_H

#include "codegen/Tensor.h"

#include <string>
#include <vector>

namespace cnnopt::codegen {

class ConstantFolder {
public:
  /// A constant tensor of static `shape` holding `definition` (a Func of
  /// constant tensors only), named `name`.
  Tensor fold(const std::string &name, Halide::Func definition, const Shape &shape);

  /// Computes every folded definition into its buffer.
  void evaluate();

private:
  std::vector<Halide::Func> definitions;
  std::vector<Halide::Buffer<float>> buffers;
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_CONSTANTFOLDER_H
