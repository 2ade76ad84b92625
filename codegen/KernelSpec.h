//===- KernelSpec.h - A model as kernels, between MLIR and Halide -*- C++ -*-===//
//
// The hand-off between the two halves of code generation: the MLIR side
// (CnnToKernelSpecs.cpp) walks a model function and describes each cnn op as
// a Kernel; the Halide side (Lowering.cpp) turns Kernels into Funcs. Plain
// C++ with neither MLIR nor Halide included, so the two never share a
// translation unit (DESIGN.md).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_KERNELSPEC_H
#define CNNOPT_CODEGEN_KERNELSPEC_H

#include "dialect/TensorType.h"

#include <string>
#include <vector>

namespace cnnopt::codegen {

/// One cnn op: its mnemonic (`conv2d`, `fused_conv2d`, ...), the ids of its
/// operand values in operand order (absent optional operands are -1), and
/// its attributes (enums as their keyword, unit attributes as `true`).
struct Kernel {
  std::string op;
  std::vector<int> operands;
  AttrMap attrs;
  int result = -1;
  std::string name; ///< scope or variable, for naming Funcs
  /// Facts the dialect declares about the op (CnnInterfaces.td):
  bool pointwise = false;  ///< reads operands at its own (broadcast) position
  std::string activation;  ///< the Activation it applies ("relu", ...), or ""
  /// The activation's parameters (leaky_relu [slope], elu [alpha],
  /// softplus [beta, threshold]), from the op or its `activation_params`.
  std::vector<double> activationParams;

  bool has(const std::string &attr) const { return attrs.count(attr) != 0; }
  int64_t i(const std::string &attr) const;
  double f(const std::string &attr) const;
  bool b(const std::string &attr) const;
  const std::string &s(const std::string &attr) const;
  const std::vector<int64_t> &ints(const std::string &attr) const;
};

/// A named model input or output.
struct KernelIO {
  std::string name;
  int value = -1;
  /// A training step's optimizer state (`<param>.exp_avg`, ...): the
  /// parameter it belongs to; empty for everything else.
  std::string optStateOf;
};

/// One state_dict entry in the flat parameter array.
struct KernelParam {
  std::string name; ///< state_dict key
  int value = -1;
  bool trainable = true;
  int64_t offset = 0; ///< first float in the flat array
  int64_t size = 0;   ///< element count (1 for a rank-0 buffer)
  ParamInit init = ParamInit::Zero;
  double bound = 0.0; ///< for ParamInit::Uniform
};

/// A whole model function. Parameters are laid out one after another in
/// program order in a single float array; `paramFloats` is its length.
struct KernelProgram {
  std::string name;
  std::vector<TensorType> values; ///< by value id
  std::vector<KernelIO> inputs;
  std::vector<KernelParam> params;
  std::vector<Kernel> kernels; ///< in program order
  std::vector<KernelIO> outputs;
  int64_t paramFloats = 0;
};

/// The program as text, one line per input, parameter, kernel and output
/// (`cnnopt --emit=kernels`), e.g.
///   %4 = fused_conv2d(%0, %1, %2, -, -, -) {activation = relu, ...} : f32[N, 16, 32, 32]  // conv1
std::string formatProgram(const KernelProgram &program);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_KERNELSPEC_H
