//===- CnnToKernelSpecs.cpp - cnn ops to kernel descriptions --------------===//
//
// One Kernel per cnn op, with MLIR attributes turned into plain values and
// SSA values into dense ids; parameters get their place in the flat array.
//===----------------------------------------------------------------------===//

#include "codegen/CnnToKernelSpecs.h"
#include "dialect/ArgAttrs.h"
#include "dialect/CnnOps.h"

#include "llvm/ADT/DenseMap.h"


using namespace mlir;

namespace cnnopt::codegen {
namespace {

class Describer {
public:
  explicit Describer(func::FuncOp func) : func(func) {}

  std::optional<KernelProgram> run() {
    program.name = func.getSymName().str();
    for (BlockArgument arg : func.getArguments()) {
      int id = addValue(arg);
      unsigned i = arg.getArgNumber();
      if (auto name = func.getArgAttrOfType<StringAttr>(i, kInputAttr)) {
        auto state = func.getArgAttrOfType<StringAttr>(i, kOptStateAttr);
        program.inputs.push_back({name.str(), id, state ? state.str() : ""});
        continue;
      }
      auto param = func.getArgAttrOfType<StringAttr>(i, kParamAttr);
      auto buffer = func.getArgAttrOfType<StringAttr>(i, kBufferAttr);
      KernelParam p;
      p.name = (param ? param : buffer).str();
      p.value = id;
      p.trainable = static_cast<bool>(param);
      p.size = elementCount(program.values[id].shape);
      p.offset = program.paramFloats;
      if (auto init = func.getArgAttrOfType<StringAttr>(i, kInitAttr)) {
        StringRef kind = init.getValue();
        if (kind != "ones" && kind != "uniform" && kind != "constant") {
          func.emitError() << "argument " << i << ": unknown initialiser " << init
                           << " (expected \"ones\", \"uniform\" or \"constant\")";
          return std::nullopt;
        }
        p.init = kind == "ones"      ? ParamInit::One
                 : kind == "uniform" ? ParamInit::Uniform
                                     : ParamInit::Constant;
      }
      if (auto bound = func.getArgAttrOfType<FloatAttr>(i, kInitBoundAttr))
        p.bound = bound.getValueAsDouble();
      program.paramFloats += p.size;
      program.params.push_back(p);
    }
    for (Operation &op : func.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (auto [k, v] : llvm::enumerate(ret.getOperands())) {
          auto name = func.getResultAttrOfType<StringAttr>(k, kOutputAttr);
          program.outputs.push_back(
              {name ? name.str() : "out" + std::to_string(k), ids.lookup(v), ""});
        }
        continue;
      }
      if (failed(describe(op)))
        return std::nullopt;
    }
    return std::move(program);
  }

private:
  static int64_t elementCount(const Shape &shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }

  int addValue(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    TensorType t;
    Type element = type.getElementType();
    // Counters (i64 buffers: num_batches_tracked) live in the flat float
    // array like every parameter, so code generation computes them as floats.
    t.dtype = element.isInteger(32) ? DType::I32 : DType::F32;
    for (int64_t d : type.getShape())
      t.shape.push_back(ShapedType::isDynamic(d) ? kDynamic : d);
    int id = static_cast<int>(program.values.size());
    program.values.push_back(t);
    ids[v] = id;
    return id;
  }

  static std::optional<AttrValue> plain(Attribute attr) {
    // BoolAttr is an i1 IntegerAttr: test it first.
    if (auto b = dyn_cast<BoolAttr>(attr))
      return AttrValue(b.getValue());
    if (auto i = dyn_cast<IntegerAttr>(attr))
      return AttrValue(i.getInt());
    if (auto f = dyn_cast<FloatAttr>(attr))
      return AttrValue(f.getValueAsDouble());
    if (isa<UnitAttr>(attr))
      return AttrValue(true);
    if (auto s = dyn_cast<StringAttr>(attr))
      return AttrValue(s.str());
    if (auto a = dyn_cast<DenseI64ArrayAttr>(attr))
      return AttrValue(std::vector<int64_t>(a.asArrayRef()));
    if (auto e = dyn_cast<cnn::ConvAlgorithmAttr>(attr))
      return AttrValue(cnn::stringifyConvAlgorithm(e.getValue()).str());
    if (auto e = dyn_cast<cnn::ActivationAttr>(attr))
      return AttrValue(cnn::stringifyActivation(e.getValue()).str());
    return std::nullopt;
  }

  LogicalResult describe(Operation &op) {
    if (isa<cnn::CrossEntropyOp, cnn::MseLossOp>(op) && !func->hasAttr("cnn.train_step_of"))
      return op.emitError() << op.getName().stripDialect()
                            << " is a training loss; inference code has none";
    if (op.getDialect() != func->getContext()->getLoadedDialect<cnn::CnnDialect>())
      return op.emitError("cannot generate code for this op");
    Kernel k;
    k.op = op.getName().stripDialect().str();
    if (auto named = dyn_cast<NameLoc>(op.getLoc()))
      k.name = named.getName().str();
    // Absent optional operands keep their slot (-1) so that positions mean
    // the same thing for every instance of an op.
    if (auto segments =
            op.getAttrOfType<DenseI32ArrayAttr>("operandSegmentSizes")) {
      unsigned next = 0;
      for (int32_t size : segments.asArrayRef()) {
        if (size == 0)
          k.operands.push_back(-1);
        for (int32_t j = 0; j < size; ++j)
          k.operands.push_back(ids.lookup(op.getOperand(next++)));
      }
    } else {
      for (Value operand : op.getOperands())
        k.operands.push_back(ids.lookup(operand));
    }
    for (NamedAttribute attr : op.getAttrs()) {
      if (attr.getName() == "operandSegmentSizes")
        continue;
      if (std::optional<AttrValue> v = plain(attr.getValue()))
        k.attrs[attr.getName().str()] = *v;
    }
    k.pointwise = op.hasTrait<cnn::Pointwise>();
    if (auto activation = dyn_cast<cnn::ActivationOpInterface>(op)) {
      k.activation = cnn::stringifyActivation(activation.getActivationKind()).str();
      auto params = activation.getActivationParams();
      k.activationParams.assign(params.begin(), params.end());
    }
    auto fusedActivation = [&](auto fused) {
      k.activation = cnn::stringifyActivation(fused.getActivation()).str();
    };
    if (auto conv = dyn_cast<cnn::FusedConv2dOp>(op))
      fusedActivation(conv);
    if (auto linear = dyn_cast<cnn::FusedLinearOp>(op))
      fusedActivation(linear);
    // The fused ops' and activation_grad's activation parameters.
    if (auto params = op.getAttrOfType<DenseF64ArrayAttr>("activation_params"))
      k.activationParams.assign(params.asArrayRef().begin(), params.asArrayRef().end());
    k.result = addValue(op.getResult(0));
    program.kernels.push_back(std::move(k));
    return success();
  }

  func::FuncOp func;
  KernelProgram program;
  llvm::DenseMap<Value, int> ids;
};

} // namespace

std::optional<KernelProgram> describeModel(func::FuncOp func) {
  return Describer(func).run();
}

} // namespace cnnopt::codegen
