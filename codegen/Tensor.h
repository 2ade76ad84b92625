//===- Tensor.h - Tensors as Halide Funcs -----------------------*- C++ -*-===//
//
// During lowering every SSA value is a Halide Func over one Var per axis.
// Halide lists the innermost (fastest-varying) dimension first, PyTorch the
// outermost, so a Func's arguments are the tensor's axes reversed; `at()`
// hides that. The batch (axis 0, kDynamic in the shape) is known only at
// run time: its extent is the Expr `batch`.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_TENSOR_H
#define CNNOPT_CODEGEN_TENSOR_H

#include "dialect/ShapeRules.h"

#include "Halide.h"

#include <vector>

namespace cnnopt::codegen {

struct Tensor {
  Halide::Func func;
  Shape shape;        ///< static sizes, kDynamic for the run-time batch
  Halide::Expr batch; ///< the run-time batch size (undefined if static)
  /// A parameter, or computed from parameters only: the Prepacker can
  /// compute it once, before the first forward call.
  bool parameterOnly = false;
  /// For prepacked data (Prepacker): how it is computed from the
  /// parameters, for other prepacked data built on it; `func` reads the
  /// packed array.
  Halide::Func definition;
  /// Stored channels-last between stages (NHWC, read through a Func that
  /// permutes it back): a vector of channels is one load.
  bool channelsLast = false;

  int rank() const { return static_cast<int>(shape.size()); }

  /// The extent of `axis` (PyTorch order) as an Expr.
  Halide::Expr extent(int axis) const {
    return shape[axis] == kDynamic ? batch : Halide::Expr(int(shape[axis]));
  }

  /// The element at `index` (PyTorch axis order).
  Halide::Expr at(const std::vector<Halide::Expr> &index) const {
    return func(std::vector<Halide::Expr>(index.rbegin(), index.rend()));
  }

  /// The element at `index` as prepacking may read it (from its definition
  /// rather than from the packed array it fills).
  Halide::Expr definedAt(const std::vector<Halide::Expr> &index) const {
    Halide::Func f = definition.defined() ? definition : func;
    return f(std::vector<Halide::Expr>(index.rbegin(), index.rend()));
  }
};

/// Fresh Vars, one per axis (PyTorch order).
inline std::vector<Halide::Var> axisVars(int rank) {
  std::vector<Halide::Var> vars;
  for (int k = 0; k < rank; ++k)
    vars.push_back(Halide::Var("d" + std::to_string(k)));
  return vars;
}

/// The Func arguments for `vars` given in PyTorch order.
inline std::vector<Halide::Var> halideArgs(const std::vector<Halide::Var> &vars) {
  return std::vector<Halide::Var>(vars.rbegin(), vars.rend());
}

/// `vars` as Exprs (PyTorch order), for indexing.
inline std::vector<Halide::Expr> asExprs(const std::vector<Halide::Var> &vars) {
  return std::vector<Halide::Expr>(vars.begin(), vars.end());
}

/// A Func reading `flat` as a row-major tensor of `shape` starting at `offset`.
inline Tensor flatSlice(Halide::Func flat, const Shape &shape, int64_t offset,
                        const std::string &name) {
  Tensor t;
  t.shape = shape;
  t.func = Halide::Func(name);
  auto v = axisVars(int(shape.size()));
  Halide::Expr index = Halide::Expr(int(offset));
  int64_t stride = 1;
  for (size_t a = shape.size(); a-- > 0;) {
    index = index + v[a] * int(stride);
    stride *= shape[a];
  }
  t.func(halideArgs(v)) = flat(index);
  return t;
}

/// A constant tensor of static `shape`: a Buffer named `name` holding a
/// copy of the row-major floats at `data`, for a pipeline to embed.
inline Tensor constantTensor(const float *data, const Shape &shape, const std::string &name) {
  std::vector<int> sizes(shape.rbegin(), shape.rend()); // innermost first
  Halide::Buffer<float> buffer =
      sizes.empty() ? Halide::Buffer<float>::make_scalar(name) : Halide::Buffer<float>(sizes, name);
  std::copy(data, data + buffer.number_of_elements(), buffer.data());
  Tensor t;
  t.shape = shape;
  t.func = Halide::Func(buffer);
  return t;
}

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_TENSOR_H
