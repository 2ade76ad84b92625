//===- Lowering.cpp - A kernel program as Halide functions ----------------===//
//
// First pass: every kernel is defined over the whole model to find the
// parameter-only data (Prepacker); each piece becomes a pack function.
// Second pass: each stored kernel is defined again in a pipeline of its own
// (a stage), reading ImageParams for the stored tensors it needs; pointwise
// kernels read once are defined inside the stage that reads them.
//===----------------------------------------------------------------------===//

#include "codegen/Lowering.h"
#include "codegen/HostTarget.h"
#include "codegen/Algorithms.h"
#include "codegen/Prepacker.h"
#include "codegen/Schedules.h"
#include "codegen/schedules/Families.h"

#include <algorithm>
#include <map>
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
/// strides let Halide's lowering simplify every bounds expression to
/// numbers, and the compiled code asserts them.
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

/// A flat float array argument (the parameters, the packed data). Only its
/// stride is constrained: a stage reads a slice of it, and a constrained
/// min would turn that slice's bounds query into a region that misses it.
ImageParam flatArgument(const std::string &name) {
  ImageParam p(Float(32), 1, name);
  p.dim(0).set_stride(1);
  return p;
}

/// A dense ImageParam for a tensor of `type`, its batch recorded in `t`.
ImageParam tensorArgument(const TensorType &type, const std::string &name, Tensor &t) {
  int rank = int(type.shape.size());
  ImageParam param(halideType(type.dtype), rank, name);
  t.shape = type.shape;
  t.func = Func(param);
  if (rank > 0 && type.shape[0] == kDynamic)
    t.batch = param.dim(rank - 1).extent();
  constrainDense([&](int h) { return param.dim(h); }, type.shape);
  return param;
}

/// The stored shape of a channels-last 4-D tensor: [N, H, W, C].
Shape channelsLastShape(const Shape &nchw) { return {nchw[0], nchw[2], nchw[3], nchw[1]}; }

/// A dense channels-last ImageParam for a 4-D tensor of `type`; `t` reads
/// it in NCHW order through a permuting Func.
ImageParam channelsLastArgument(const TensorType &type, const std::string &name, Tensor &t) {
  TensorType stored = type;
  stored.shape = channelsLastShape(type.shape);
  ImageParam param = tensorArgument(stored, name, t);
  Var x("x"), y("y"), c("c"), n("n");
  Func nchw(name + "_nchw");
  nchw(x, y, c, n) = param(c, x, y, n);
  t.func = nchw;
  t.shape = type.shape;
  t.channelsLast = true;
  return param;
}

bool parameterOnly(const std::vector<const Tensor *> &operands, const Shape &shape) {
  return !operands.empty() &&
         std::all_of(operands.begin(), operands.end(),
                     [](const Tensor *t) { return !t || t->parameterOnly; }) &&
         std::none_of(shape.begin(), shape.end(), [](int64_t d) { return d == kDynamic; });
}

std::string packKey(int value) { return "k" + std::to_string(value); }

/// What the two passes share: the program's facts and the Prepacker.
class Lowerer {
public:
  /// With `weights`, parameters and packed data are constants of the
  /// pipelines that read them.
  Lowerer(const KernelProgram &program, const Target &target, const float *weights = nullptr)
      : program(program), target(target), weights(weights) {
    for (const KernelParam &p : program.params)
      paramOf[p.value] = &p;
    for (const Kernel &k : program.kernels)
      kernelOf[k.result] = &k;
    findInlinedKernels();
    nameValues();
  }

  /// The name of a stored value's buffer in every pipeline, which Halide's
  /// messages use: "in_x" for an input, "layer1_0_conv1_fused_conv2d" for
  /// a kernel's result (with "_<id>" where two kernels share a scope).
  const std::string &valueName(int value) const { return valueNames.at(value); }

  /// The first pass: records the packed data, the parameters read through
  /// `params`.
  void recordPackedData(ImageParam params) {
    std::vector<Tensor> values(program.values.size());
    for (const KernelIO &input : program.inputs)
      tensorArgument(program.values[input.value], valueName(input.value), values[input.value]);
    for (const KernelParam &p : program.params)
      values[p.value] = paramTensor(p, Func(params));
    for (const Kernel &k : program.kernels) {
      std::vector<const Tensor *> operands;
      for (int id : k.operands)
        operands.push_back(id < 0 ? nullptr : &values[id]);
      const Shape &shape = program.values[k.result].shape;
      KernelFuncs funcs = defineKernel(k, operands, shape, &packer, weightBlock(k, shape, target));
      if (parameterOnly(operands, shape)) {
        values[k.result] = packer.pack(packKey(k.result), funcs.result.func, shape);
        packedKernels.insert(k.result);
      } else {
        values[k.result] = funcs.result;
      }
    }
  }

  /// Between the passes: defines every stage once, only to learn which
  /// packed pieces the stages (and the outputs) read, and drops the rest.
  void dropUnreadPieces() {
    discovering = true;
    std::set<std::string> read;
    for (const Kernel &k : program.kernels)
      if (isStored(k.result)) {
        Stage s{flatArgument("params"), flatArgument("packed"), {}, {}, {}};
        for (const std::string &key : Prepacker::keysReadBy(defineStageKernel(s, k)))
          read.insert(key);
      }
    for (const KernelIO &output : program.outputs)
      if (packedKernels.count(output.value))
        read.insert(packKey(output.value));
    packer.keepOnly(read);
    discovering = false;
  }

  /// After the first pass: which stored 4-D tensors stay channels-last
  /// between stages, the layout the conv kernels want (a vector of
  /// channels is one load). Model inputs and outputs stay NCHW, as
  /// PyTorch's; a tensor whose channels are not a whole number of vectors
  /// stays NCHW. A stage reads its tensors in its own output's layout
  /// (permuting on the fly would gather), except a dense conv's input,
  /// which it broadcasts one element at a time; tensors of one pixel per
  /// channel are the same in both layouts. Where a reader and a tensor
  /// disagree, the one stored channels-last becomes NCHW, until they all
  /// agree: layout changes happen where the kernels force them, not
  /// around every op. At the model's edges a stage reading a model input or
  /// writing a model output (NCHW) changes the layout as it goes: the one
  /// pass over the tensor that some stage has to make.
  void chooseLayouts() {
    if (schedules::isGpu(target))
      return;
    int width = schedules::vectorWidth(target);
    std::set<int> outputs, inputs;
    for (const KernelIO &output : program.outputs)
      outputs.insert(output.value);
    for (const KernelIO &input : program.inputs)
      inputs.insert(input.value);
    for (const Kernel &k : program.kernels) {
      const Shape &shape = program.values[k.result].shape;
      if (isStored(k.result) && !outputs.count(k.result) && shape.size() == 4 &&
          shape[1] % width == 0 && storesChannelsLast(k, program.values))
        channelsLast.insert(k.result);
    }
    auto onePixel = [&](int id) {
      const Shape &shape = program.values[id].shape;
      return shape.size() != 4 || shape[2] * shape[3] == 1;
    };
    // Each stage's reads, and those it takes in either layout (found once:
    // the demotions below only change layouts).
    struct StageReads {
      const Kernel *kernel;
      std::vector<int> reads;
      std::set<int> eitherLayout;
    };
    std::vector<StageReads> stages;
    for (const Kernel &k : program.kernels) {
      if (!isStored(k.result))
        continue;
      StageReads &stage = stages.emplace_back(StageReads{&k, {}, {}});
      std::set<int> seen;
      collectReads(k, seen, stage.reads);
      if (readsInputInEitherLayout(k) && k.operands[0] >= 0) {
        std::set<int> inputSeen;
        std::vector<int> inputReads;
        collectReads(k.operands[0], inputSeen, inputReads);
        stage.eitherLayout.insert(inputReads.begin(), inputReads.end());
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (const StageReads &stage : stages) {
        const Kernel &k = *stage.kernel;
        bool resultLast = channelsLast.count(k.result) != 0;
        bool edge = outputs.count(k.result) != 0;
        for (int id : stage.reads) {
          bool readLast = channelsLast.count(id) != 0;
          if (readLast == resultLast || onePixel(id) || stage.eitherLayout.count(id) || edge ||
              inputs.count(id))
            continue;
          channelsLast.erase(readLast ? id : k.result);
          resultLast = channelsLast.count(k.result) != 0;
          changed = true;
        }
      }
    }
  }

  /// After chooseLayouts(): the 1x1 convs that run over flat pixels
  /// (prefersFlatPixels()), where they can: their result and every tensor
  /// they read are stored channels-last (the plan passes them as [N*H*W, C]
  /// matrices), none computed inside them.
  void chooseFlatPixelStages() {
    for (const Kernel &k : program.kernels) {
      if (!isStored(k.result) || !channelsLast.count(k.result) ||
          !prefersFlatPixels(k, program.values[k.result].shape, target))
        continue;
      bool matrices = std::all_of(k.operands.begin(), k.operands.end(), [&](int id) {
        return id < 0 || isParam(id) || packedKernels.count(id) ||
               (!inlined.count(id) && channelsLast.count(id));
      });
      if (matrices)
        flatPixels.insert(k.result);
    }
  }

  /// After the first pass: the order of the stages, what each reads, the
  /// packed pieces and where the outputs come from.
  ExecutionPlan plan() const {
    ExecutionPlan plan;
    std::map<int, int> slotOf;
    auto addSlot = [&](int value) {
      slotOf[value] = int(plan.slots.size());
      plan.slots.push_back(value);
      plan.slotNames.push_back(valueName(value));
      plan.slotShapes.push_back(storedShape(value));
    };
    for (const KernelIO &input : program.inputs)
      addSlot(input.value);
    for (const Kernel &k : program.kernels)
      if (isStored(k.result)) {
        PlanStep step;
        std::set<int> seen;
        std::vector<int> reads;
        collectReads(k, seen, reads);
        for (int id : reads)
          step.reads.push_back(slotOf.at(id));
        addSlot(k.result);
        step.result = slotOf.at(k.result);
        step.flatPixels = flatPixels.count(k.result) != 0;
        plan.steps.push_back(step);
      }
    for (const Prepacker::Entry &e : packer.recorded())
      plan.packs.push_back({e.key, e.offset, e.shape});
    plan.packedFloats = std::max<int64_t>(packer.floats(), 1);
    std::set<int> written;
    for (const KernelIO &output : program.outputs) {
      PlanOutput out;
      auto slot = slotOf.find(output.value);
      bool stage = slot != slotOf.end() && slot->second >= int(program.inputs.size());
      if (stage && written.insert(output.value).second) {
        out.source = PlanOutput::Source::Stage;
        out.slot = slot->second;
      } else if (slot != slotOf.end()) {
        out.source = PlanOutput::Source::Value; // an input, or an output twice
        out.slot = slot->second;
      } else if (isParam(output.value)) {
        out.source = PlanOutput::Source::Params;
        out.offset = param(output.value).offset;
      } else {
        out.source = PlanOutput::Source::Packed;
        for (const PlanPack &pack : plan.packs)
          if (pack.key == packKey(output.value))
            out.offset = pack.offset;
      }
      plan.outputs.push_back(out);
    }
    return plan;
  }

  bool embedded() const { return weights != nullptr; }

  /// With embedded weights: the packed data, computed now.
  void computePackedData() {
    packedData = Buffer<float>(int(std::max<int64_t>(packer.floats(), 1)), "packed");
    for (const Prepacker::Entry &e : packer.recorded()) {
      std::vector<int> sizes(e.shape.rbegin(), e.shape.rend());
      Buffer<float> slice = sizes.empty() ? Buffer<float>::make_scalar(packedData.data() + e.offset)
                                          : Buffer<float>(packedData.data() + e.offset, sizes);
      Func definition = e.definition;
      definition.realize(slice, jitTarget());
    }
  }

  /// A packed piece is computed once per context: vectorised along its
  /// innermost axis, spread over the cores only when it is large (each
  /// parallel loop is a closure of its own: compile time).
  void schedulePiece(Func out, const Shape &shape) const {
    std::vector<Var> axes = out.args();
    int64_t size = 1;
    for (int64_t d : shape)
      size *= d;
    int width = schedules::vectorWidth(target);
    if (!axes.empty() && shape.back() >= width)
      out.vectorize(axes.front(), width, TailStrategy::GuardWithIf);
    if (axes.size() > 1 && size >= (1 << 16))
      out.parallel(axes.back());
  }

  /// The pack function filling recorded entries [first, last) (the
  /// parameters read through `params`): one output each.
  LoweredFunction definePack(size_t first, size_t last, const std::string &name,
                             ImageParam params) const {
    std::vector<Func> outputs;
    for (size_t k = first; k < last; ++k) {
      const Prepacker::Entry &e = packer.recorded()[k];
      Func out(name + "_" + std::to_string(k - first));
      auto v = axisVars(int(e.shape.size()));
      Func definition = e.definition;
      out(halideArgs(v)) = definition(halideArgs(v));
      constrainDense([&](int h) { return out.output_buffer().dim(h); }, e.shape);
      schedulePiece(out, e.shape);
      outputs.push_back(out);
    }
    return {name, Pipeline(outputs), {params}};
  }

  /// The second pass for one step: its stage pipeline, named `name`.
  LoweredFunction defineStage(const ExecutionPlan &plan, const PlanStep &step,
                              const std::string &name) {
    Stage s{flatArgument("params"), flatArgument("packed"), {}, {}, {}};
    int value = plan.slots[step.result];
    Func out = step.flatPixels ? defineFlatPixelsStage(s, *kernelOf.at(value))
                               : defineStageKernel(s, *kernelOf.at(value));
    Shape stored = storedShape(value);
    constrainDense([&](int h) { return out.output_buffer().dim(h); },
                   step.flatPixels ? flatPixelsShape(stored) : stored);
    LoweredFunction f{name, Pipeline(out), {}};
    for (int slot : step.reads)
      f.arguments.push_back(s.reads.at(plan.slots[slot]));
    if (!embedded()) {
      f.arguments.push_back(s.params);
      f.arguments.push_back(s.packed);
    }
    return f;
  }

  /// A parameter's tensor, a slice of `flat`.
  /// (With embedded weights, a constant Buffer of its own.)
  Tensor paramTensor(const KernelParam &p, Func flat) const {
    const Shape &shape = program.values[p.value].shape;
    Tensor t = embedded() ? constantTensor(weights + p.offset, shape, "w_" + funcName(p.name))
                          : flatSlice(flat, shape, p.offset, "p_" + funcName(p.name));
    t.parameterOnly = true;
    return t;
  }

  /// The shape `value` is stored in between stages.
  Shape storedShape(int value) const {
    const Shape &shape = program.values[value].shape;
    return channelsLast.count(value) ? channelsLastShape(shape) : shape;
  }

  bool isParam(int value) const { return paramOf.count(value) != 0; }
  const KernelParam &param(int value) const { return *paramOf.at(value); }

private:
  /// One stage's definitions: its arguments and the values defined so far.
  struct Stage {
    ImageParam params, packed;
    std::map<int, ImageParam> reads; ///< stored tensors read
    std::map<int, Tensor> values;
    Func output; ///< what the stage stores: its kernel's result, or a channels-last view
    bool flatPixels = false; ///< reads its stored tensors as [N*H*W, C] matrices
  };

  /// The stored values `k` reads, directly or through kernels inlined into
  /// it, in the order defineKernelIn() first reaches them.
  void collectReads(const Kernel &k, std::set<int> &seen, std::vector<int> &reads) const {
    for (int id : k.operands)
      collectReads(id, seen, reads);
  }

  /// The stored values operand `id` reads (itself, or what it is computed
  /// from when it is inlined).
  void collectReads(int id, std::set<int> &seen, std::vector<int> &reads) const {
    if (id < 0 || isParam(id) || packedKernels.count(id) || !seen.insert(id).second)
      return;
    if (inlined.count(id))
      collectReads(*kernelOf.at(id), seen, reads);
    else
      reads.push_back(id);
  }

  /// A pointwise kernel whose every reader reads each element once is
  /// computed inside its readers (conv -> batch_norm -> relu -> padded copy).
  void findInlinedKernels() {
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
    for (const Kernel &k : program.kernels)
      if (isPointwise(k, program.values) && !outputs.count(k.result) &&
          readOnce.count(k.result) && readOnce[k.result])
        inlined.insert(k.result);
  }

  void nameValues() {
    std::set<std::string> taken;
    auto name = [&](int value, const std::string &base) {
      std::string n = funcName(base);
      if (!taken.insert(n).second)
        taken.insert(n = n + "_" + std::to_string(value));
      valueNames[value] = n;
    };
    for (const KernelIO &input : program.inputs)
      name(input.value, "in_" + input.name);
    for (const Kernel &k : program.kernels)
      name(k.result, k.name.empty() ? k.op : k.name + "_" + k.op);
  }

  void readPackedFrom(Func packed) {
    if (embedded() && !discovering)
      packer.readFrom(packedData);
    else
      packer.readFrom(packed);
  }

  /// Whether kernel result `value` is a stage's output (neither packed nor
  /// computed inside its readers).
  bool isStored(int value) const { return !packedKernels.count(value) && !inlined.count(value); }

  /// Defines `k` as the output of stage `s` (its packed data read from
  /// `s.packed`); returns the Func the stage stores.
  Func defineStageKernel(Stage &s, const Kernel &k) {
    readPackedFrom(Func(s.packed));
    stage = &s;
    defineKernelIn(k, /*stageOutput=*/true);
    stage = nullptr;
    return s.output;
  }

  /// A channels-last [N, H, W, C] shape as the [N*H*W, C] matrix a flat
  /// pixels stage reads and writes.
  static Shape flatPixelsShape(const Shape &stored) { return {kDynamic, stored.back()}; }

  /// Defines `k` (chooseFlatPixelStages()) as the output of stage `s`: its
  /// stored operands are [N*H*W, C] matrices.
  Func defineFlatPixelsStage(Stage &s, const Kernel &k) {
    readPackedFrom(Func(s.packed));
    s.flatPixels = true;
    stage = &s;
    std::vector<const Tensor *> operands;
    for (int id : k.operands)
      operands.push_back(id < 0 ? nullptr : &valueIn(id));
    stage = nullptr;
    const Shape &shape = program.values[k.result].shape;
    KernelFuncs funcs = defineFlatPixelsGemm(k, operands, flatPixelsShape(storedShape(k.result)),
                                             &packer, weightBlock(k, shape, target));
    schedules::scheduleFlatPixelsConv(funcs, target, shape[2] * shape[3]);
    return funcs.result.func;
  }

  /// `id` as the current stage reads it.
  const Tensor &valueIn(int id) {
    auto found = stage->values.find(id);
    if (found != stage->values.end())
      return found->second;
    Tensor t;
    if (isParam(id)) {
      t = paramTensor(param(id), Func(stage->params));
    } else if (packedKernels.count(id)) {
      t = packer.pack(packKey(id), Func(), program.values[id].shape);
    } else if (inlined.count(id)) {
      return defineKernelIn(*kernelOf.at(id));
    } else {
      // A stored kernel result gets a suffix: the stage's own Funcs are
      // named after their kernels too.
      std::string name = kernelOf.count(id) ? valueName(id) + "_in" : valueName(id);
      if (stage->flatPixels) {
        TensorType matrix = program.values[id];
        matrix.shape = flatPixelsShape(storedShape(id));
        stage->reads.emplace(id, tensorArgument(matrix, name, t));
      } else {
        stage->reads.emplace(id, channelsLast.count(id)
                                     ? channelsLastArgument(program.values[id], name, t)
                                     : tensorArgument(program.values[id], name, t));
      }
    }
    return stage->values[id] = t;
  }

  /// Defines `k` in the current stage (as its output with `stageOutput`).
  const Tensor &defineKernelIn(const Kernel &k, bool stageOutput = false) {
    std::vector<const Tensor *> operands;
    for (int id : k.operands)
      operands.push_back(id < 0 ? nullptr : &valueIn(id));
    const Shape &shape = program.values[k.result].shape;
    KernelFuncs funcs = defineKernel(k, operands, shape, &packer, weightBlock(k, shape, target));
    KernelPlacement placement;
    placement.inlined = inlined.count(k.result) != 0;
    placement.inputChannelsLast = !operands.empty() && operands[0] && operands[0]->channelsLast;
    if (stageOutput && channelsLast.count(k.result)) {
      Func result = funcs.result.func;
      Var c("c"), x("x"), y("y"), n("n");
      placement.channelsLastOutput = Func(result.name() + "_nhwc");
      placement.channelsLastOutput(c, x, y, n) = result(x, y, c, n);
    }
    scheduleKernel(k, funcs, target, placement);
    if (stageOutput)
      stage->output = placement.channelsLastOutput.defined() ? placement.channelsLastOutput
                                                             : funcs.result.func;
    // A kernel inlined into its readers reads what its operands read.
    funcs.result.channelsLast =
        std::any_of(operands.begin(), operands.end(), [](const Tensor *t) { return t && t->channelsLast; });
    return stage->values[k.result] = funcs.result;
  }

  const KernelProgram &program;
  const Target &target;
  const float *weights;
  Buffer<float> packedData;
  Prepacker packer;
  std::map<int, const KernelParam *> paramOf;
  std::map<int, const Kernel *> kernelOf;
  std::map<int, std::string> valueNames;
  std::set<int> inlined, packedKernels;
  std::set<int> channelsLast; ///< stored values kept NHWC (chooseLayouts())
  std::set<int> flatPixels;   ///< stages over flat pixels (chooseFlatPixelStages())
  Stage *stage = nullptr;
  bool discovering = false;
};

} // namespace

ExecutionPlan planModel(const KernelProgram &program, const Target &target) {
  Lowerer lowerer(program, target);
  lowerer.recordPackedData(flatArgument("params"));
  lowerer.chooseLayouts();
  lowerer.chooseFlatPixelStages();
  lowerer.dropUnreadPieces();
  return lowerer.plan();
}

LoweredModel lowerModel(const KernelProgram &program, const Target &target,
                        const std::string &symbol, const float *weights) {
  LoweredModel model;
  Lowerer lowerer(program, target, weights);
  // Named apart from the stages' "params": a stage that read the first
  // pass's definitions would fail to compile instead of matching by name.
  ImageParam params = flatArgument("pack_params");
  lowerer.recordPackedData(params);
  lowerer.chooseLayouts();
  lowerer.chooseFlatPixelStages();
  lowerer.dropUnreadPieces();
  model.plan = lowerer.plan();
  model.embeddedWeights = weights != nullptr;
  if (weights)
    lowerer.computePackedData(); // the stages embed what they read of it
  for (size_t s = 0; s < model.plan.steps.size(); ++s)
    model.stages.push_back(
        lowerer.defineStage(model.plan, model.plan.steps[s], symbol + "_s" + std::to_string(s)));
  if (!weights)
    for (int f = 0; f < model.plan.packFunctions(); ++f) {
      size_t first = size_t(f) * kPiecesPerPackFunction;
      size_t last = std::min(first + kPiecesPerPackFunction, model.plan.packs.size());
      model.packs.push_back(
          lowerer.definePack(first, last, symbol + "_p" + std::to_string(f), params));
    }
  return model;
}

Target functionTarget(const Target &target) {
  return target.has_gpu_feature() ? target : target.with_feature(Target::NoAsserts);
}

std::vector<const LoweredFunction *> LoweredModel::functions() const {
  std::vector<const LoweredFunction *> all;
  for (const LoweredFunction &f : stages)
    all.push_back(&f);
  for (const LoweredFunction &f : packs)
    all.push_back(&f);
  return all;
}

Module lowerFunction(const LoweredFunction &f, const Target &target) {
  // compile_to_module is not const; the copy shares f's pipeline.
  LoweredFunction copy = f;
  // An argv entry point (what the plan calls), no argument metadata.
  return copy.pipeline.compile_to_module(copy.arguments, copy.name, functionTarget(target),
                                         LinkageType::ExternalPlusArgv);
}

Module compileModel(const LoweredModel &model, const Target &target, const ProgressFn &progress) {
  return compileFunctions(model.functions(), target, progress);
}

Module compileFunctions(const std::vector<const LoweredFunction *> &all, const Target &target,
                        const ProgressFn &progress) {
  std::vector<Module> modules;
  for (size_t k = 0; k < all.size(); ++k) {
    if (progress)
      progress(int(k + 1), int(all.size()), all[k]->name);
    modules.push_back(lowerFunction(*all[k], target));
  }
  return link_modules(modules.front().name(), modules);
}

} // namespace cnnopt::codegen
