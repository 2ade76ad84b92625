//===- GraphDot.cpp - A model function as a Graphviz graph ----------------===//
//
// Nodes by kind, so that a picture reads at a glance:
//   input      light blue, "invhouse"     x: f32[N,3,32,32]
//   output     light green, "house"       logits: f32[N,10]
//   parameter  yellow note                features.0.weight [32,3,3,3]
//   buffer     yellow note, dashed        running statistics
//   op         box: scope, op and its facts; a fused op (fused_conv2d,
//              fused_linear) bold and red, labelled with what it fused
//              ("conv2d + bias + batch_norm + add + relu") and the conv
//              algorithm once cnn-select-conv-algorithm has chosen one;
//              ops computing only from parameters (a folded batch norm's
//              scale and shift, packed once) yellow like them.
// Edges carry the shape of the tensor that flows ("N" for the run-time
// batch); edges from parameters are dashed.
//===----------------------------------------------------------------------===//

#include "tools/cnnopt/GraphDot.h"

#include "dialect/ArgAttrs.h"
#include "dialect/CnnOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace cnnopt::tools {
namespace {

/// A DOT string literal: quotes and backslashes escaped, `\n` kept as the
/// line break of a label.
std::string quoted(llvm::StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// `[N,3,32,32]`, `[]` for a scalar.
std::string shapeText(Type type) {
  std::string text = "[";
  auto shaped = dyn_cast<ShapedType>(type);
  if (shaped)
    llvm::interleave(
        shaped.getShape(), [&](int64_t d) {
          text += ShapedType::isDynamic(d) ? "N" : std::to_string(d);
        },
        [&] { text += ","; });
  return text + "]";
}

std::string typeText(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  std::string element;
  if (shaped) {
    llvm::raw_string_ostream os(element);
    os << shaped.getElementType();
  }
  return element + shapeText(type);
}

std::string scopeOf(Operation *op) {
  if (auto named = dyn_cast<NameLoc>(op->getLoc()))
    return named.getName().str();
  return "";
}

/// "conv2d + bias + batch_norm + add + relu" for a fused op.
template <typename FusedOp>
std::string fusedParts(FusedOp op, llvm::StringRef base) {
  std::string parts = base.str();
  if (op.getBias())
    parts += " + bias";
  if (Value scale = op.getScale())
    // The fold pass leaves a batch norm's scale; anything else is a plain
    // per-channel affine.
    parts += scale.getDefiningOp<cnn::BatchNormScaleOp>() ? " + batch_norm" : " + affine";
  if (op.getResidual())
    parts += " + add";
  if (op.getActivation() != cnn::Activation::none)
    parts += " + " + cnn::stringifyActivation(op.getActivation()).str();
  return parts;
}

class DotWriter {
public:
  explicit DotWriter(func::FuncOp func) : func(func) {}

  std::string write() {
    os << "digraph " << quoted(func.getSymName()) << " {\n"
       << "  rankdir=TB;\n"
       << "  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
          "fontname=\"Helvetica\", fontsize=10];\n"
       << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (BlockArgument arg : func.getArguments())
      argumentNode(arg);
    unsigned index = 0;
    func.walk([&](Operation *op) {
      if (isa<func::ReturnOp>(op))
        outputNodes(op);
      else if (op->getDialect() && op->getDialect()->getNamespace() == "cnn")
        opNode(op, index++);
    });
    os << "}\n";
    os.flush();
    return text;
  }

private:
  bool isParamArg(Value v, const char *attr) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner()->getParentOp() == func &&
           func.getArgAttr(arg.getArgNumber(), attr);
  }

  void argumentNode(BlockArgument arg) {
    unsigned n = arg.getArgNumber();
    std::string id = "arg" + std::to_string(n);
    if (auto input = func.getArgAttrOfType<StringAttr>(n, kInputAttr)) {
      os << "  " << id << " [label=" << quoted(input.getValue().str() + ": " + typeText(arg.getType()))
         << ", shape=invhouse, fillcolor=\"#cfe2f3\", class=input];\n";
    } else if (arg.use_empty()) {
      return; // e.g. num_batches_tracked, which inference never reads
    } else if (auto param = func.getArgAttrOfType<StringAttr>(n, kParamAttr)) {
      os << "  " << id << " [label=" << quoted(param.getValue().str() + "\n" + shapeText(arg.getType()))
         << ", shape=note, fillcolor=\"#fff2cc\", class=param];\n";
    } else if (auto buffer = func.getArgAttrOfType<StringAttr>(n, kBufferAttr)) {
      os << "  " << id << " [label=" << quoted(buffer.getValue().str() + "\n" + shapeText(arg.getType()))
         << ", shape=note, style=\"filled,dashed\", fillcolor=\"#fff2cc\", class=buffer];\n";
    } else {
      os << "  " << id << " [label=" << quoted("arg " + std::to_string(n) + ": " + typeText(arg.getType()))
         << ", shape=ellipse];\n";
    }
    ids[arg] = id;
    fromParams[arg] = !func.getArgAttr(n, kInputAttr);
  }

  /// Conv facts worth a glance: kernel, stride, groups.
  std::string convFacts(Operation *op, Value weight) {
    std::string facts;
    auto w = cast<ShapedType>(weight.getType()).getShape();
    if (w.size() == 4)
      facts += "kernel " + std::to_string(w[2]) + "x" + std::to_string(w[3]);
    if (auto stride = op->getAttrOfType<DenseI64ArrayAttr>("stride"))
      if (llvm::any_of(stride.asArrayRef(), [](int64_t s) { return s != 1; }))
        facts += ", stride " + std::to_string(stride[0]);
    if (auto groups = op->getAttrOfType<IntegerAttr>("groups"))
      if (groups.getInt() != 1)
        facts += ", groups " + std::to_string(groups.getInt());
    return facts;
  }

  void opNode(Operation *op, unsigned index) {
    std::string id = "op" + std::to_string(index);
    std::string mnemonic = op->getName().stripDialect().str();
    std::string label, attrs;
    std::string scope = scopeOf(op);
    // Unnamed ops carry their mnemonic as their scope: said once is enough.
    if (!scope.empty() && scope != mnemonic)
      label += scope + "\n";
    if (auto conv = dyn_cast<cnn::FusedConv2dOp>(op)) {
      label += "fused: " + fusedParts(conv, "conv2d") + "\n" + convFacts(op, conv.getWeight());
      attrs = ", penwidth=2, color=\"#cc0000\", fillcolor=\"#f4cccc\", class=fused";
    } else if (auto linear = dyn_cast<cnn::FusedLinearOp>(op)) {
      label += "fused: " + fusedParts(linear, "linear");
      attrs = ", penwidth=2, color=\"#cc0000\", fillcolor=\"#f4cccc\", class=fused";
    } else {
      label += mnemonic;
      if (isa<cnn::Conv2dOp>(op))
        label += "\n" + convFacts(op, op->getOperand(1));
    }
    if (auto algorithm = op->getAttrOfType<cnn::ConvAlgorithmAttr>("algorithm"))
      label += "\nalgorithm: " + cnn::stringifyConvAlgorithm(algorithm.getValue()).str();
    // Computed from parameters alone: packed once, not per call.
    bool paramOnly = op->getNumOperands() > 0 && llvm::all_of(op->getOperands(), [&](Value v) {
                       return fromParams.lookup(v);
                     });
    if (paramOnly && attrs.empty())
      attrs = ", fillcolor=\"#fff2cc\", class=param_op";
    os << "  " << id << " [label=" << quoted(label) << attrs << "];\n";
    // A fused add's second tensor often comes from the same node as the
    // input (an identity shortcut): say which edge it is. It is the last
    // operand when present (the ODS operand order).
    Value residual;
    if (auto conv = dyn_cast<cnn::FusedConv2dOp>(op))
      residual = conv.getResidual();
    else if (auto linear = dyn_cast<cnn::FusedLinearOp>(op))
      residual = linear.getResidual();
    for (OpOperand &operand : op->getOpOperands())
      edge(operand.get(), id,
           residual && operand.getOperandNumber() == op->getNumOperands() - 1 ? " residual" : "");
    for (Value result : op->getResults()) {
      ids[result] = id;
      fromParams[result] = paramOnly;
    }
  }

  void outputNodes(Operation *ret) {
    for (auto [k, value] : llvm::enumerate(ret->getOperands())) {
      auto name = func.getResultAttrOfType<StringAttr>(k, kOutputAttr);
      std::string id = "out" + std::to_string(k);
      std::string label = (name ? name.getValue().str() : "output " + std::to_string(k)) + ": " +
                          typeText(value.getType());
      os << "  " << id << " [label=" << quoted(label)
         << ", shape=house, fillcolor=\"#d9ead3\", class=output];\n";
      edge(value, id);
    }
  }

  void edge(Value from, const std::string &to, llvm::StringRef note = "") {
    auto it = ids.find(from);
    if (it == ids.end())
      return;
    os << "  " << it->second << " -> " << to
       << " [label=" << quoted(shapeText(from.getType()) + note.str());
    if (fromParams.lookup(from))
      os << ", style=dashed";
    os << "];\n";
  }

  func::FuncOp func;
  std::string text;
  llvm::raw_string_ostream os{text};
  llvm::DenseMap<Value, std::string> ids;
  llvm::DenseMap<Value, bool> fromParams; ///< computed from parameters and buffers only
};

} // namespace

std::string graphToDot(func::FuncOp func) { return DotWriter(func).write(); }

} // namespace cnnopt::tools
