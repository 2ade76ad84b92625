//===- ConstantFolder.cpp - Compile-time evaluation of parameter-only Funcs ===//

#include "codegen/ConstantFolder.h"

#include <stdexcept>

namespace cnnopt::codegen {

Tensor ConstantFolder::fold(const std::string &name, Halide::Func definition,
                            const Shape &shape) {
  if (evaluated) {
    // The second pass folds the same tensors in the same order.
    if (next >= shapes.size() || shapes[next] != shape)
      throw std::logic_error("cnnopt: the second definition pass folded '" + name +
                             "' out of order");
    Tensor t = flatSlice(flat, shape, offsets[next++], name + "_folded");
    t.constant = true;
    return t;
  }
  int64_t size = 1;
  for (int64_t d : shape)
    size *= d;
  definitions.push_back(definition);
  shapes.push_back(shape);
  offsets.push_back(total);
  total += size;
  Tensor t;
  t.shape = shape;
  t.constant = true;
  t.func = definition;
  t.definition = definition;
  return t;
}

void ConstantFolder::evaluate() {
  evaluated = true;
  data = Halide::Buffer<float>(int(std::max<int64_t>(total, 1)), "folded");
  Halide::Var i("i");
  flat = Halide::Func("folded");
  flat(i) = data(i);
  if (definitions.empty())
    return;
  // Each definition lands in its slice of `data`. The default schedule
  // (everything inlined into each output) suits these small, once-only
  // computations; the host runs them whatever the target.
  std::vector<Halide::Buffer<>> outputs;
  for (size_t k = 0; k < definitions.size(); ++k) {
    std::vector<int> sizes(shapes[k].rbegin(), shapes[k].rend()); // innermost first
    outputs.push_back(Halide::Buffer<float>(data.data() + offsets[k], sizes));
  }
  Halide::Pipeline(definitions)
      .realize(Halide::Realization(outputs), Halide::get_jit_target_from_environment());
}

} // namespace cnnopt::codegen
