//===- Lowering.h - A kernel program as one Halide pipeline -----*- C++ -*-===//
//
// Builds the Halide pipeline of a whole model: an ImageParam per model
// input, one flat float ImageParam holding every parameter (or, with
// embedded weights, a constant Buffer), and a Func per kernel, defined by
// Algorithms.cpp and scheduled by Schedules.cpp.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_LOWERING_H
#define CNNOPT_CODEGEN_LOWERING_H

#include "codegen/KernelSpec.h"

#include "Halide.h"

#include <vector>

namespace cnnopt::codegen {

struct LoweredModel {
  std::vector<Halide::ImageParam> inputs; ///< in model input order
  Halide::ImageParam params;              ///< flat floats; unused if embedded
  bool embeddedWeights = false;
  std::vector<Halide::Func> outputs;      ///< in model output order
  Halide::Pipeline pipeline;

  /// The pipeline's arguments: the inputs, then the parameters unless
  /// they are embedded.
  std::vector<Halide::Argument> arguments() const;
};

/// Lowers `program` for `target`. With `weights` (program.paramFloats
/// floats) the parameters become constants inside the pipeline.
LoweredModel lowerModel(const KernelProgram &program, const Halide::Target &target,
                        const float *weights = nullptr);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_LOWERING_H
