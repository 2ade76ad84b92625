//===- ConstantFolder.h - Compile-time evaluation of parameter-only Funcs -*- C++ -*-===//
//
// With embedded weights (`cnnopt --weights`), whatever depends on the
// parameters only (a folded batch_norm's scale and shift, conv weights with
// that scale folded in, Winograd-transformed weights) is computed once, at
// compile time, and the object holds the result.
//
// Lowering defines the model twice. In the first pass fold() records each
// such definition and hands back a tensor computing it inline, so later
// definitions can build on it; evaluate() then computes every recorded
// definition with one JIT-compiled pipeline into one flat buffer. In the
// second pass fold() hands back, in the same order, slices of that buffer:
// like the parameters, all folded data is one array of static size, which
// keeps every bounds expression of the model's pipeline a number.
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

  /// Ends the first pass: computes every definition folded so far.
  void evaluate();

private:
  bool evaluated = false;
  size_t next = 0; ///< second pass: the next fold() to answer
  std::vector<Halide::Func> definitions;
  std::vector<Shape> shapes;
  std::vector<int64_t> offsets;
  int64_t total = 0;
  Halide::Buffer<float> data;
  Halide::Func flat;
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_CONSTANTFOLDER_H
