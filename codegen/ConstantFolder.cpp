//===- ConstantFolder.cpp - Compile-time evaluation of parameter-only Funcs ===//

#include "codegen/ConstantFolder.h"

namespace cnnopt::codegen {

Tensor ConstantFolder::fold(const std::string &name, Halide::Func definition,
                            const Shape &shape) {
  std::vector<int> sizes(shape.rbegin(), shape.rend()); // innermost first
  Halide::Buffer<float> buffer(sizes, name + "_folded");
  Tensor t;
  t.shape = shape;
  t.constant = true;
  t.definition = definition;
  t.func = Halide::Func(name + "_folded");
  std::vector<Halide::Var> v = axisVars(int(shape.size()));
  std::vector<Halide::Expr> args(v.rbegin(), v.rend());
  t.func(halideArgs(v)) = buffer(args);
  definitions.push_back(definition);
  buffers.push_back(buffer);
  return t;
}

void ConstantFolder::evaluate() {
  if (definitions.empty())
    return;
  // The default schedule (everything inlined into each output) suits these
  // small, once-only computations; the host runs them whatever the target.
  Halide::Pipeline pipeline(definitions);
  std::vector<Halide::Buffer<>> outputs(buffers.begin(), buffers.end());
  pipeline.realize(Halide::Realization(outputs), Halide::get_jit_target_from_environment());
}

} // namespace cnnopt::codegen
