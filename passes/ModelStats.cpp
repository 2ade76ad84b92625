//===- ModelStats.cpp - Per-layer model statistics ------------------------===//
//
// Walks a model function in program order and derives, per cnn op, its
// parameters, MACs and the receptive field of its output:
//
//   RF[n]   = RF[n-1] + (k_eff - 1) * jump[n-1],   k_eff = dilation*(k-1) + 1
//   jump[n] = jump[n-1] * stride[n]
//
// tracked per SSA value along the height axis, so branches (Inception,
// residual adds) take the largest field among their inputs.
//===----------------------------------------------------------------------===//

#include "passes/ModelStats.h"
#include "dialect/CnnOps.h"
#include "dialect/ShapeRules.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatAdapters.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace cnnopt {
namespace {

struct Field {
  double rf = 1;
  double jump = 1;
};

int64_t numElements(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.hasStaticShape() ? shaped.getNumElements() : 0;
}

/// The element count of one sample of a value (dimension 0 left out).
int64_t perSample(Value value) {
  ArrayRef<int64_t> shape = cast<ShapedType>(value.getType()).getShape();
  int64_t n = 1;
  for (int64_t d : shape.drop_front())
    n *= d;
  return n;
}

/// Bytes of a tensor of `type` with a run-time batch of `batch`.
int64_t bytesAt(Type type, int64_t batch) {
  auto shaped = cast<ShapedType>(type);
  int64_t n = 1;
  for (int64_t d : shaped.getShape())
    n *= ShapedType::isDynamic(d) ? batch : d;
  return n * int64_t((shaped.getElementTypeBitWidth() + 7) / 8);
}

/// The batch torchinfo would run: the inputs' fixed batch, else 1.
int64_t summaryBatch(func::FuncOp func) {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<ShapedType>(arg.getType());
    if (func.getArgAttr(arg.getArgNumber(), kInputAttr) && type && type.getRank() > 0 &&
        !ShapedType::isDynamic(type.getShape()[0]))
      return type.getShape()[0];
  }
  return 1;
}

/// Spatial height of a rank-4 value, 1 otherwise.
int64_t heightOf(Value value) {
  auto type = cast<ShapedType>(value.getType());
  return type.getRank() == 4 ? type.getShape()[2] : 1;
}

std::string nameOf(Operation *op) {
  if (auto named = dyn_cast<NameLoc>(op->getLoc()))
    return named.getName().str();
  return "";
}

/// Largest window of PyTorch's adaptive pooling along an axis.
int64_t adaptiveWindow(int64_t in, int64_t out) {
  // Beyond a million cells, the bound ceil(in/out) + 1 stands in for the
  // exact maximum so that the analysis stays fast on absurd sizes.
  if (out > (int64_t(1) << 20))
    return (in + out - 1) / out + 1;
  int64_t widest = 0;
  for (int64_t i = 0; i < out; ++i) {
    int64_t start = (i * in) / out;
    int64_t end = ((i + 1) * in + out - 1) / out;
    widest = std::max(widest, end - start);
  }
  return widest;
}

class StatsBuilder {
public:
  explicit StatsBuilder(func::FuncOp func) : func(func) {}

  ModelStats build() {
    ModelStats stats;
    stats.model = func.getSymName().str();
    TorchinfoSummary &summary = stats.summary;
    summary.batch = summaryBatch(func);
    for (BlockArgument arg : func.getArguments()) {
      fields[arg] = Field{};
      if (func.getArgAttr(arg.getArgNumber(), kParamAttr)) {
        stats.totalParams += numElements(arg.getType());
        summary.paramBytes += bytesAt(arg.getType(), summary.batch);
      } else if (func.getArgAttr(arg.getArgNumber(), kInputAttr)) {
        summary.inputBytes += bytesAt(arg.getType(), summary.batch);
      }
    }
    // cnn.param marks what torch.optim updates: every parameter is trainable.
    summary.totalParams = summary.trainableParams = stats.totalParams;
    func.walk([&](Operation *op) {
      if (op->getDialect() != cnnDialect() || op->getNumResults() != 1)
        return;
      LayerStats layer = visit(op);
      stats.totalMacs += layer.macs;
      stats.layers.push_back(std::move(layer));
      addToSummary(op, summary);
    });
    return stats;
  }

private:
  /// torchinfo's share of `op` as the leaf module owning its parameters
  /// (ModelStatistics.__init__, LayerInfo.calculate_macs in torchinfo 1.8).
  void addToSummary(Operation *op, TorchinfoSummary &summary) {
    Value result = op->getResult(0);
    ArrayRef<int64_t> shape = cast<ShapedType>(result.getType()).getShape();
    // torchinfo tells convolutions by "Conv" in the module's class name.
    bool conv = op->getName().stripDialect().contains("conv");
    int64_t pixels = 1;
    for (int64_t d : shape.drop_front(std::min<size_t>(2, shape.size())))
      pixels *= d;
    bool hasParams = false;
    for (Value operand : op->getOperands()) {
      if (!isParam(operand))
        continue;
      hasParams = true;
      int64_t n = numElements(operand.getType());
      // The module's own name for the tensor: the key's last component.
      llvm::StringRef key =
          func.getArgAttrOfType<StringAttr>(cast<BlockArgument>(operand).getArgNumber(),
                                            kParamAttr)
              .getValue();
      llvm::StringRef name = key.rsplit('.').second.empty() ? key : key.rsplit('.').second;
      if (name == "weight" || name == "bias")
        summary.multAdds += conv ? n * summary.batch * pixels : n * summary.batch;
      else if (name.contains("weight") || name.contains("bias"))
        // RNN-style names (weight_ih_l0): output_size[:2].
        summary.multAdds += n * summary.batch * (shape.size() > 1 ? shape[1] : 1);
    }
    if (hasParams)
      summary.forwardBackwardBytes += 2 * bytesAt(result.getType(), summary.batch);
  }

  Dialect *cnnDialect() {
    return func->getContext()->getLoadedDialect<cnn::CnnDialect>();
  }

  bool isParam(Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner()->getParentOp() == func &&
           func.getArgAttr(arg.getArgNumber(), kParamAttr);
  }

  /// The operand with the widest receptive field (activations only).
  Field widestInput(Operation *op) {
    Field widest;
    for (Value operand : op->getOperands()) {
      if (isParam(operand))
        continue;
      Field f = fields.lookup(operand);
      if (f.rf > widest.rf || (f.rf == widest.rf && f.jump > widest.jump))
        widest = f;
    }
    return widest;
  }

  static Field window(Field in, int64_t kernel, int64_t stride,
                      int64_t dilation = 1) {
    int64_t effective = dilation * (kernel - 1) + 1;
    return {in.rf + (effective - 1) * in.jump, in.jump * stride};
  }

  /// An op that mixes every position of its input along the height axis.
  static Field whole(Field in, int64_t height) {
    return {in.rf + (height - 1) * in.jump, in.jump * height};
  }

  LayerStats visit(Operation *op) {
    LayerStats layer;
    layer.name = nameOf(op);
    layer.op = op->getName().stripDialect().str();
    Value result = op->getResult(0);
    for (int64_t d : cast<ShapedType>(result.getType()).getShape())
      layer.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    for (Value operand : op->getOperands())
      if (isParam(operand))
        layer.params += numElements(operand.getType());

    Field in = widestInput(op);
    Field out =
        llvm::TypeSwitch<Operation *, Field>(op)
            .Case<cnn::Conv2dOp, cnn::FusedConv2dOp>([&](auto conv) {
              auto w = conv.getWeight().getType().getShape();
              layer.macs = perSample(result) * w[1] * w[2] * w[3];
              return window(in, w[2], conv.getStride()[0],
                            conv.getDilation()[0]);
            })
            .Case([&](cnn::ConvTranspose2dOp conv) {
              auto w = conv.getWeight().getType().getShape();
              layer.macs = perSample(conv.getInput()) * w[1] * w[2] * w[3];
              int64_t stride = conv.getStride()[0];
              int64_t effective = conv.getDilation()[0] * (w[2] - 1) + 1;
              // An output sees ceil(k_eff / stride) inputs along an axis.
              int64_t taps = (effective + stride - 1) / stride;
              return Field{in.rf + (taps - 1) * in.jump, in.jump / stride};
            })
            .Case([&](cnn::LinearOp linear) {
              auto w = linear.getWeight().getType().getShape();
              layer.macs = perSample(result) * w[1];
              return in;
            })
            .Case([&](cnn::MaxPool2dOp pool) {
              return window(in, pool.getKernel()[0], pool.getStride()[0],
                            pool.getDilation()[0]);
            })
            .Case([&](cnn::AvgPool2dOp pool) {
              return window(in, pool.getKernel()[0], pool.getStride()[0]);
            })
            .Case<cnn::AdaptiveAvgPool2dOp, cnn::AdaptiveMaxPool2dOp>(
                [&](auto pool) {
                  int64_t h = heightOf(pool.getInput());
                  int64_t oh = pool.getSize()[0];
                  Field f = window(in, adaptiveWindow(h, oh), 1);
                  f.jump = in.jump * double(h) / double(oh);
                  return f;
                })
            .Case([&](cnn::Upsample2dOp up) {
              double jump = in.jump / double(up.getScale());
              // Bilinear reads two neighbours along each axis.
              double rf = up.getMode() == "bilinear" ? in.rf + in.jump : in.rf;
              return Field{rf, jump};
            })
            .Case([&](cnn::PixelShuffleOp shuffle) {
              // An output pixel reads one input pixel; r outputs per input.
              return Field{in.rf, in.jump / double(shuffle.getFactor())};
            })
            .Case([&](cnn::FlattenOp flatten) {
              bool mixesSpatial = flatten.getStart() <= 2 &&
                                  flatten.getInput().getType().getRank() == 4;
              return mixesSpatial ? whole(in, heightOf(flatten.getInput())) : in;
            })
            .Case([&](cnn::MeanOp mean) {
              bool mixesHeight = llvm::is_contained(mean.getAxes(), 2) &&
                                 mean.getInput().getType().getRank() == 4;
              return mixesHeight ? whole(in, heightOf(mean.getInput())) : in;
            })
            .Default([&](Operation *) { return in; });
    fields[result] = out;
    layer.rf = out.rf;
    layer.jump = out.jump;
    return layer;
  }

  func::FuncOp func;
  llvm::DenseMap<Value, Field> fields;
};

/// 1234567 -> "1,234,567"
std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// Integral values print without a fraction, others with up to 4 digits.
std::string formatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<int64_t>(v));
  return llvm::formatv("{0:f4}", v).str();
}

} // namespace

ModelStats computeModelStats(func::FuncOp func) {
  return StatsBuilder(func).build();
}

void printStatsTable(const ModelStats &stats, llvm::raw_ostream &os) {
  size_t nameWidth = 5, opWidth = 2, shapeWidth = 5;
  for (const LayerStats &l : stats.layers) {
    nameWidth = std::max(nameWidth, l.name.size());
    opWidth = std::max(opWidth, l.op.size());
    shapeWidth = std::max(shapeWidth, cnnopt::shapes::format(l.shape).size());
  }
  auto row = [&](llvm::StringRef name, llvm::StringRef op,
                 llvm::StringRef shape, llvm::StringRef params,
                 llvm::StringRef macs, llvm::StringRef rf,
                 llvm::StringRef jump) {
    os << llvm::formatv("{0} {1} {2} {3,12} {4,15} {5,6} {6,6}\n",
                        llvm::fmt_align(name, llvm::AlignStyle::Left, nameWidth),
                        llvm::fmt_align(op, llvm::AlignStyle::Left, opWidth),
                        llvm::fmt_align(shape, llvm::AlignStyle::Left, shapeWidth),
                        params, macs, rf, jump);
  };
  os << "model " << stats.model << "\n";
  row("layer", "op", "shape", "params", "MACs", "RF", "jump");
  for (const LayerStats &l : stats.layers)
    row(l.name.empty() ? "-" : l.name, l.op, cnnopt::shapes::format(l.shape),
        withCommas(l.params), withCommas(l.macs), formatNumber(l.rf),
        formatNumber(l.jump));
  os << "total params: " << withCommas(stats.totalParams) << "\n";
  os << "total MACs (per sample): " << withCommas(stats.totalMacs) << "\n";
  // torchinfo.summary's footer, in its units (MB = 10^6 bytes, 2 decimals).
  const TorchinfoSummary &s = stats.summary;
  auto mb = [](int64_t bytes) { return llvm::formatv("{0:f2}", double(bytes) / 1e6).str(); };
  os << "torchinfo summary (batch " << s.batch << "):\n";
  os << "  trainable params: " << withCommas(s.trainableParams) << "\n";
  os << "  non-trainable params: " << withCommas(s.nonTrainableParams) << "\n";
  os << "  total mult-adds: " << withCommas(s.multAdds) << "\n";
  os << "  input size (MB): " << mb(s.inputBytes) << "\n";
  os << "  forward/backward pass size (MB): " << mb(s.forwardBackwardBytes) << "\n";
  os << "  params size (MB): " << mb(s.paramBytes) << "\n";
  os << "  estimated total size (MB): " << mb(s.totalBytes()) << "\n";
  if (stats.peakActivationBytes >= 0)
    os << "peak activation memory of the generated code (batch 1): "
       << withCommas(stats.peakActivationBytes) << " bytes (" << mb(stats.peakActivationBytes)
       << " MB)\n";
}

void printStatsJson(const ModelStats &stats, llvm::raw_ostream &os) {
  llvm::json::Array layers;
  for (const LayerStats &l : stats.layers) {
    llvm::json::Array shape;
    for (int64_t d : l.shape)
      shape.push_back(d);
    layers.push_back(llvm::json::Object{{"name", l.name},
                                        {"op", l.op},
                                        {"shape", std::move(shape)},
                                        {"params", l.params},
                                        {"macs", l.macs},
                                        {"rf", l.rf},
                                        {"jump", l.jump}});
  }
  const TorchinfoSummary &s = stats.summary;
  llvm::json::Object root{
      {"model", stats.model},
      {"layers", std::move(layers)},
      {"total_params", stats.totalParams},
      {"total_macs", stats.totalMacs},
      {"summary", llvm::json::Object{{"batch", s.batch},
                                     {"total_params", s.totalParams},
                                     {"trainable_params", s.trainableParams},
                                     {"non_trainable_params", s.nonTrainableParams},
                                     {"total_mult_adds", s.multAdds},
                                     {"input_bytes", s.inputBytes},
                                     {"forward_backward_bytes", s.forwardBackwardBytes},
                                     {"params_bytes", s.paramBytes},
                                     {"estimated_total_bytes", s.totalBytes()}}}};
  if (stats.peakActivationBytes >= 0)
    root["peak_activation_bytes"] = stats.peakActivationBytes;
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

} // namespace cnnopt
