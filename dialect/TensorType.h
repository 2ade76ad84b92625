//===- TensorType.h - Plain C++ tensor types and attributes -----*- C++ -*-===//
//
// The vocabulary shared by both sides of the cnn dialect without MLIR: the
// front end's graph (frontend/Graph.h) is written in it, and code
// generation's kernel descriptions (codegen/KernelSpec.h) are read in it.
// Living here, beside the shape rules, it lets data flow one way: front end
// -> dialect -> code generation, with neither end including the other.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_TENSORTYPE_H
#define CNNOPT_DIALECT_TENSORTYPE_H

#include "dialect/ShapeRules.h"

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace cnnopt {

enum class DType { F32, I32, I64 };

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
};

/// How PyTorch's `reset_parameters` initialises a parameter; the front end
/// decides it from the op that owns the parameter and records it on the
/// function argument (`cnn.init`, `cnn.init_bound`).
enum class ParamInit {
  Zero,    ///< biases of norms, running_mean, num_batches_tracked
  One,     ///< weights of norms, running_var
  Uniform, ///< U(-bound, bound): conv/linear weights (kaiming_uniform with
           ///< a=sqrt(5)) and biases, bound = 1/sqrt(fan_in)
  Constant, ///< every element `bound` (prelu's weight: 0.25)
};

/// An attribute value: ints are int64_t, floats double, lists of ints
/// std::vector<int64_t>, enums and keywords std::string.
using AttrValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;
/// Attributes by name, sorted so that printing is deterministic.
using AttrMap = std::map<std::string, AttrValue>;

} // namespace cnnopt

#endif // CNNOPT_DIALECT_TENSORTYPE_H
