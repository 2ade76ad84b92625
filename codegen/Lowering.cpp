//===- Lowering.cpp - A kernel program as one Halide pipeline -------------===//
//
// Values become Tensors in program order: inputs read their ImageParam,
// parameters a slice of the flat parameter array (row-major at their
// offset), kernels their defined Func. Outputs that are not the result of a
// kernel of their own (an input, a parameter, a value returned twice) get a
// copying Func so that every pipeline output is a distinct Func.
//===----------------------------------------------------------------------===//

#include "codegen/Lowering.h"
#include "codegen/Algorithms.h"
#include "codegen/ConstantFolder.h"
#include "codegen/Schedules.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace cnnopt::codegen {
namespace {

using namespace Halide;

Type halideType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return Float(32);
  case DType::I32:
    return Int(32);
  case DType::I64:
    return Int(64);
  }
  return Float(32);
}

/// Declares that a buffer of `shape` is dense, row-major and starts at 0,
/// with every extent but the run-time batch fixed. Constant bounds and
/// strides let Halide's lowering simplify every bounds expression of the
/// pipeline to numbers (it otherwise stays symbolic in the output sizes and
/// grows with depth), and the compiled code asserts them.
template <typename Dims> void constrainDense(Dims dim, const Shape &shape) {
  int rank = int(shape.size());
  int stride = 1;
  for (int h = 0; h < rank; ++h) {
    int64_t extent = shape[rank - 1 - h];
    dim(h).set_min(0).set_stride(stride);
    if (extent == kDynamic)
      break; // the batch is outermost: nothing past it
    dim(h).set_extent(int(extent));
    stride *= int(extent);
  }
}

/// A legal Halide name from a state_dict key or scope ("layer1.0.conv1").
std::string funcName(const std::string &name) {
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

/// Defines (and schedules) every kernel of `program` in order, `values`
/// holding the inputs and parameters; results whose id is in `inlined` are
/// computed inside their consumers. With `folder`, a kernel of constants
/// only (a folded batch_norm's scale and shift) is folded.
void defineKernels(const KernelProgram &program, std::vector<Tensor> &values,
                   const Target &target, ConstantFolder *folder, const std::set<int> &inlined) {
  for (const Kernel &k : program.kernels) {
    std::vector<const Tensor *> operands;
    for (int id : k.operands)
      operands.push_back(id < 0 ? nullptr : &values[id]);
    const Shape &shape = program.values[k.result].shape;
    KernelFuncs funcs = defineKernel(k, operands, shape, folder);
    // A kernel of constants only (a folded batch_norm's scale and shift).
    bool constant = folder && !operands.empty() &&
                    std::all_of(operands.begin(), operands.end(),
                                [](const Tensor *t) { return !t || t->constant; }) &&
                    std::none_of(shape.begin(), shape.end(),
                                 [](int64_t d) { return d == kDynamic; });
    if (constant) {
      values[k.result] = folder->fold(funcName(k.name + "_" + k.op + std::to_string(k.result)),
                                      funcs.result.func, shape);
      continue;
    }
    scheduleKernel(k, funcs, target, inlined.count(k.result) != 0);
    values[k.result] = funcs.result;
  }
}

} // namespace

std::vector<Argument> LoweredModel::arguments() const {
  std::vector<Argument> args(inputs.begin(), inputs.end());
  if (!embeddedWeights)
    args.push_back(params);
  return args;
}

LoweredModel lowerModel(const KernelProgram &program, const Target &target,
                        const float *weights) {
  LoweredModel model;
  std::vector<Tensor> values(program.values.size());

  for (const KernelIO &input : program.inputs) {
    const TensorType &type = program.values[input.value];
    int rank = int(type.shape.size());
    ImageParam param(halideType(type.dtype), rank, "in_" + funcName(input.name));
    Tensor &t = values[input.value];
    t.shape = type.shape;
    t.func = Func(param);
    if (rank > 0 && type.shape[0] == kDynamic)
      t.batch = param.dim(rank - 1).extent();
    constrainDense([&](int h) { return param.dim(h); }, type.shape);
    model.inputs.push_back(param);
  }

  Func flat("params");
  Var i("i");
  // With embedded weights, parameter-only computations happen here, at
  // compile time, and the object holds their results.
  std::optional<ConstantFolder> folder;
  if (weights) {
    folder.emplace();
    Buffer<float> constants(int(std::max<int64_t>(program.paramFloats, 1)), "weights");
    std::copy(weights, weights + program.paramFloats, constants.data());
    flat(i) = constants(i);
    model.embeddedWeights = true;
  } else {
    model.params = ImageParam(Float(32), 1, "params");
    model.params.dim(0).set_min(0);
    flat(i) = model.params(i);
  }
  for (const KernelParam &p : program.params) {
    values[p.value] = flatSlice(flat, program.values[p.value].shape, p.offset,
                                 "p_" + funcName(p.name));
    values[p.value].constant = static_cast<bool>(weights);
  }

  // A pointwise kernel whose every reader reads each element once is
  // computed inside its readers (conv -> batch_norm -> relu -> padded copy).
  std::set<int> outputs;
  for (const KernelIO &output : program.outputs)
    outputs.insert(output.value);
  std::map<int, bool> readOnce; // value -> every use reads each element once
  for (const Kernel &k : program.kernels)
    for (size_t o = 0; o < k.operands.size(); ++o)
      if (k.operands[o] >= 0) {
        auto [it, fresh] = readOnce.emplace(k.operands[o], true);
        it->second = it->second && readsOnce(k, o, program.values);
      }
  std::set<int> inlinedKernels;
  for (const Kernel &k : program.kernels)
    if (isPointwise(k, program.values) && !outputs.count(k.result) && readOnce.count(k.result) &&
        readOnce[k.result])
      inlinedKernels.insert(k.result);

  if (folder) {
    // Pass 1 finds what can be computed now and computes it; pass 2 defines
    // the model reading the results (see ConstantFolder.h).
    std::vector<Tensor> scratch = values;
    defineKernels(program, scratch, target, &*folder, inlinedKernels);
    folder->evaluate();
  }
  defineKernels(program, values, target, folder ? &*folder : nullptr, inlinedKernels);

  std::set<int> kernelResults, used;
  for (const Kernel &k : program.kernels)
    kernelResults.insert(k.result);
  for (const KernelIO &output : program.outputs) {
    const Tensor &t = values[output.value];
    Func out = t.func;
    if (!kernelResults.count(output.value) || !used.insert(output.value).second) {
      out = Func("out_" + funcName(output.name));
      auto v = axisVars(t.rank());
      out(halideArgs(v)) = t.func(halideArgs(v));
      out.compute_root();
    }
    constrainDense([&](int h) { return out.output_buffer().dim(h); }, t.shape);
    model.outputs.push_back(out);
  }
  model.pipeline = Pipeline(model.outputs);
  return model;
}

} // namespace cnnopt::codegen
