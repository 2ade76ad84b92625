//===- MLIRGen.cpp - Elaborated graphs to the cnn dialect -----------------===//
//
// One op per GraphNode, built generically from its mnemonic: the graph
// already holds the normalised attributes and inferred result types, so this
// file only translates representations. The op's ODS-declared attributes are
// kept; front-end-only arguments (`affine`, implied by the operands) are not.
// The module is verified at the end, so a disagreement between the front
// end's shape rules and the dialect's surfaces as a located error.
//===----------------------------------------------------------------------===//

#include "frontend/MLIRGen.h"
#include "dialect/CnnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace cnnopt {
namespace {

/// The ODS operand group sizes of ops with several optional operands, from
/// the node's operands (see Graph.h); empty for the other ops.
SmallVector<int32_t> operandSegments(const GraphNode &node) {
  int32_t count = static_cast<int32_t>(node.operands.size());
  const std::string &op = node.op;
  // [input, weight?, bias?, then batch_norm's running_mean, running_var]
  if (op == "batch_norm")
    return {1, count == 5, count == 5, 1, 1};
  if (op == "layer_norm" || op == "group_norm" || op == "instance_norm")
    return {1, count == 3, count == 3};
  // [input, weight, bias?, scale?, shift?]: the front end sets no affine.
  if (op == "conv_transpose2d")
    return {1, 1, count == 3, 0, 0};
  return {};
}

class ModuleBuilder {
public:
  explicit ModuleBuilder(MLIRContext &context)
      : context(context), builder(&context) {}

  OwningOpRef<ModuleOp> build(const Program &program) {
    // Diagnostics about the module as a whole point at the file.
    Location fileLoc = program.models.empty()
                           ? Location(builder.getUnknownLoc())
                           : FileLineColLoc::get(&context, program.models.front().loc.file, 1, 1);
    OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
    builder.setInsertionPointToEnd(module->getBody());
    for (const ModelGraph &graph : program.models)
      buildFunction(graph);
    for (const ModelGraph &graph : program.trains)
      buildFunction(graph);
    if (failed(verify(module->getOperation())))
      return nullptr;
    return module;
  }

private:
  Location loc(const SourceLoc &at) {
    return FileLineColLoc::get(&context, at.file, at.line, at.col);
  }

  /// The scope (or variable) name wraps the source position.
  Location loc(const GraphNode &node) {
    Location fileLoc = loc(node.loc);
    if (node.name.empty())
      return fileLoc;
    return NameLoc::get(builder.getStringAttr(node.name), fileLoc);
  }

  Type typeOf(const TensorType &type) {
    SmallVector<int64_t> dims;
    for (int64_t d : type.shape)
      dims.push_back(d == kDynamic ? ShapedType::kDynamic : d);
    Type element;
    switch (type.dtype) {
    case DType::F32:
      element = builder.getF32Type();
      break;
    case DType::I32:
      element = builder.getI32Type();
      break;
    case DType::I64:
      element = builder.getI64Type();
      break;
    }
    return RankedTensorType::get(dims, element);
  }

  Attribute attrOf(const AttrValue &value) {
    return std::visit(
        [&](const auto &v) -> Attribute {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, int64_t>)
            return builder.getI64IntegerAttr(v);
          else if constexpr (std::is_same_v<T, double>)
            return builder.getF64FloatAttr(v);
          else if constexpr (std::is_same_v<T, bool>)
            return builder.getBoolAttr(v);
          else if constexpr (std::is_same_v<T, std::string>)
            return builder.getStringAttr(v);
          else
            return builder.getDenseI64ArrayAttr(v);
        },
        value);
  }

  DictionaryAttr dictOf(const AttrMap &attrs) {
    SmallVector<NamedAttribute> named;
    for (const auto &[name, value] : attrs)
      named.push_back(builder.getNamedAttr(name, attrOf(value)));
    return builder.getDictionaryAttr(named);
  }

  void buildFunction(const ModelGraph &graph) {
    SmallVector<Type> argTypes, resultTypes;
    for (const GraphInput &input : graph.inputs)
      argTypes.push_back(typeOf(graph.values[input.value]));
    for (const GraphParam &param : graph.params)
      argTypes.push_back(typeOf(graph.values[param.value]));
    for (const GraphOutput &output : graph.outputs)
      resultTypes.push_back(typeOf(graph.values[output.value]));

    std::string name = graph.isTrain ? graph.name + "_train" : graph.name;
    auto func = builder.create<func::FuncOp>(
        loc(graph.loc), name, builder.getFunctionType(argTypes, resultTypes));
    // All argument attributes at once: setArgAttr rebuilds the whole array
    // each time, quadratic in the argument count (4,568 parameters took
    // 0.9 s; found by the front-end fuzzer).
    SmallVector<DictionaryAttr> argAttrs, resultAttrs;
    auto named = [&](StringRef key, const std::string &value) {
      return builder.getDictionaryAttr(
          builder.getNamedAttr(key, builder.getStringAttr(value)));
    };
    for (const GraphInput &input : graph.inputs)
      argAttrs.push_back(named(kInputAttr, input.name));
    for (const GraphParam &param : graph.params) {
      SmallVector<NamedAttribute, 3> attrs{builder.getNamedAttr(
          param.trainable ? kParamAttr : kBufferAttr, builder.getStringAttr(param.name))};
      if (param.init == ParamInit::One)
        attrs.push_back(builder.getNamedAttr(kInitAttr, builder.getStringAttr("ones")));
      if (param.init == ParamInit::Uniform || param.init == ParamInit::Constant) {
        const char *init = param.init == ParamInit::Uniform ? "uniform" : "constant";
        attrs.push_back(builder.getNamedAttr(kInitAttr, builder.getStringAttr(init)));
        attrs.push_back(builder.getNamedAttr(kInitBoundAttr, builder.getF64FloatAttr(param.bound)));
      }
      argAttrs.push_back(builder.getDictionaryAttr(attrs));
    }
    for (const GraphOutput &output : graph.outputs)
      resultAttrs.push_back(named(kOutputAttr, output.name));
    func.setAllArgAttrs(argAttrs);
    func.setAllResultAttrs(resultAttrs);
    if (graph.isTrain) {
      func->setAttr("cnn.train_of", builder.getStringAttr(graph.name));
      if (graph.optimizer) {
        AttrMap hyper = graph.optimizer->attrs;
        hyper["kind"] = graph.optimizer->kind;
        func->setAttr("cnn.optimizer", dictOf(hyper));
      }
    }

    OpBuilder::InsertionGuard guard(builder);
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToStart(body);
    std::vector<Value> values(graph.values.size());
    unsigned arg = 0;
    for (const GraphInput &input : graph.inputs)
      values[input.value] = body->getArgument(arg++);
    for (const GraphParam &param : graph.params)
      values[param.value] = body->getArgument(arg++);
    for (const GraphNode &node : graph.nodes)
      values[node.result] = buildOp(node, graph, values);

    SmallVector<Value> results;
    for (const GraphOutput &output : graph.outputs)
      results.push_back(values[output.value]);
    builder.create<func::ReturnOp>(loc(graph.loc), results);
  }

  Value buildOp(const GraphNode &node, const ModelGraph &graph,
                const std::vector<Value> &values) {
    OperationState state(loc(node), "cnn." + node.op);
    for (int operand : node.operands)
      state.addOperands(values[operand]);
    state.addTypes(typeOf(graph.values[node.result]));

    // Keep only the attributes the op declares.
    std::optional<RegisteredOperationName> info = state.name.getRegisteredInfo();
    for (const auto &[name, value] : node.attrs)
      if (info && llvm::is_contained(info->getAttributeNames(),
                                     builder.getStringAttr(name)))
        state.addAttribute(name, attrOf(value));
    // A train function runs batch_norm and the regularisers in training mode.
    StringAttr training = builder.getStringAttr("training");
    if (graph.isTrain && info &&
        llvm::is_contained(info->getAttributeNames(), training))
      state.addAttribute(training, builder.getUnitAttr());
    SmallVector<int32_t> segments = operandSegments(node);
    if (!segments.empty())
      state.addAttribute("operandSegmentSizes", builder.getDenseI32ArrayAttr(segments));
    return builder.create(state)->getResult(0);
  }

  MLIRContext &context;
  OpBuilder builder;
};

} // namespace

OwningOpRef<ModuleOp> buildModule(MLIRContext &context, const Program &program) {
  context.loadDialect<cnn::CnnDialect, func::FuncDialect>();
  return ModuleBuilder(context).build(program);
}

} // namespace cnnopt
