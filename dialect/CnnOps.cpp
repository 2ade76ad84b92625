//===- CnnOps.cpp - cnn dialect ops: type inference and verifiers ---------===//
//
// Result types come from dialect/ShapeRules.h, the same rules the front end
// uses, so an op built by the front end and one parsed from text agree.
// Verifiers check what ODS cannot: parameter shapes against the input,
// attribute values and list lengths.
//===----------------------------------------------------------------------===//

#include "dialect/CnnOps.h"
#include "dialect/OpSupport.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::cnn;
using cnnopt::shapes::Hw;
using cnnopt::shapes::Pad4;
using cnnopt::shapes::ShapeOr;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace mlir::cnn::support {

/// The shape of a ranked tensor type in ShapeRules' terms (kDynamic = -1).
cnnopt::Shape toShape(Type type) {
  cnnopt::Shape shape;
  if (auto ranked = dyn_cast<RankedTensorType>(type))
    for (int64_t d : ranked.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? cnnopt::kDynamic : d);
  return shape;
}

cnnopt::Shape toShape(Value value) { return toShape(value.getType()); }

/// Reports an inference failure at the op, as an op verifier would.
LogicalResult inferenceError(std::optional<Location> loc, StringRef opName,
                             const Twine &message) {
  if (loc)
    emitError(*loc) << "'cnn." << opName << "' op " << message;
  return failure();
}

/// Turns a ShapeRules result into the op's f32 result type.
LogicalResult inferred(MLIRContext *context, std::optional<Location> loc,
                       StringRef opName, const ShapeOr &result,
                       SmallVectorImpl<Type> &types) {
  if (!result.ok())
    return inferenceError(loc, opName, result.error);
  SmallVector<int64_t> dims;
  for (int64_t d : result.shape)
    dims.push_back(d == cnnopt::kDynamic ? ShapedType::kDynamic : d);
  types.push_back(RankedTensorType::get(dims, Float32Type::get(context)));
  return success();
}

/// Reads an [h, w] attribute, failing if it does not hold two values.
LogicalResult pairOf(ArrayRef<int64_t> values, StringRef name,
                     std::optional<Location> loc, StringRef opName, Hw &out) {
  if (values.size() != 2)
    return inferenceError(loc, opName,
                          name + " must have 2 values, got " +
                              Twine(values.size()));
  out = {values[0], values[1]};
  return success();
}

/// Shortest round-trip form of a double ("1.5", "0.001").
std::string shortest(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

} // namespace mlir::cnn::support

using namespace mlir::cnn::support;

namespace {

/// Checks that an optional per-channel parameter has shape `expected`.
LogicalResult verifyParamShape(Operation *op, Value param, StringRef role,
                               const cnnopt::Shape &expected) {
  if (!param || toShape(param) == expected)
    return success();
  return op->emitOpError() << role << " has shape "
                           << cnnopt::shapes::format(toShape(param))
                           << ", expected "
                           << cnnopt::shapes::format(expected);
}

/// Checks an affine epilogue (a normalisation's weight and bias, a fused
/// conv's scale and shift): both or neither, each of shape `expected`.
LogicalResult verifyAffine(Operation *op, Value scale, Value shift,
                           StringRef scaleRole, StringRef shiftRole,
                           const cnnopt::Shape &expected) {
  if (static_cast<bool>(scale) != static_cast<bool>(shift))
    return op->emitOpError() << "needs both " << scaleRole << " and "
                             << shiftRole << ", or neither";
  if (failed(verifyParamShape(op, scale, scaleRole, expected)) ||
      failed(verifyParamShape(op, shift, shiftRole, expected)))
    return failure();
  return success();
}

/// A normalisation's optional weight and bias.
LogicalResult verifyNormAffine(Operation *op, Value weight, Value bias,
                               const cnnopt::Shape &expected) {
  return verifyAffine(op, weight, bias, "weight", "bias", expected);
}

/// The channel count of a normalisation's input, as a parameter shape.
cnnopt::Shape channelsOf(Value input) { return {toShape(input)[1]}; }

LogicalResult verifyProbability(Operation *op, double p) {
  if (p < 0.0 || p >= 1.0)
    return op->emitOpError() << "p=" << shortest(p) << " must be in [0, 1)";
  return success();
}

LogicalResult verifyAxis(Operation *op, int64_t axis, Value input) {
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  if (axis < 0 || axis >= rank)
    return op->emitOpError() << "axis " << axis << " is out of range for rank "
                             << rank;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// Shared by add, sub, mul and div.
template <typename Adaptor>
static LogicalResult inferBroadcast(MLIRContext *context,
                                    std::optional<Location> loc,
                                    StringRef opName, Adaptor adaptor,
                                    SmallVectorImpl<Type> &types) {
  return inferred(context, loc, opName,
                  cnnopt::shapes::broadcast(toShape(adaptor.getLhs()),
                                            toShape(adaptor.getRhs())),
                  types);
}

#define CNN_BROADCAST_INFERENCE(OpClass, name)                                 \
  LogicalResult OpClass::inferReturnTypes(                                     \
      MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,     \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcast(context, loc, name, adaptor, types);                 \
  }
/// `keep` when `constant` is a cnn.constant equal to `identity` and the
/// result is `keep` unchanged in type (no broadcast widened it).
static OpFoldResult foldIdentity(Value keep, Value constant, double identity,
                                 Type resultType) {
  auto c = constant.getDefiningOp<ConstantOp>();
  if (c && c.getValue().convertToDouble() == identity && keep.getType() == resultType)
    return keep;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor) {
  if (OpFoldResult r = foldIdentity(getLhs(), getRhs(), 0.0, getType()))
    return r;
  return foldIdentity(getRhs(), getLhs(), 0.0, getType());
}

OpFoldResult SubOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), 0.0, getType());
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  if (OpFoldResult r = foldIdentity(getLhs(), getRhs(), 1.0, getType()))
    return r;
  return foldIdentity(getRhs(), getLhs(), 1.0, getType());
}

OpFoldResult DivOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), 1.0, getType());
}

CNN_BROADCAST_INFERENCE(AddOp, "add")
CNN_BROADCAST_INFERENCE(SubOp, "sub")
CNN_BROADCAST_INFERENCE(MulOp, "mul")
CNN_BROADCAST_INFERENCE(DivOp, "div")
#undef CNN_BROADCAST_INFERENCE

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError() << "approximate must be \"none\" or \"tanh\", got \""
                         << getApproximate() << "\"";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput());
}

//===----------------------------------------------------------------------===//
// Convolution and linear layers
//===----------------------------------------------------------------------===//

/// Shared by conv2d and fused_conv2d, whose conv attributes are the same.
template <typename Adaptor>
static LogicalResult inferConv2d(MLIRContext *context,
                                 std::optional<Location> loc, StringRef opName,
                                 Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Hw stride, dilation;
  if (failed(pairOf(adaptor.getStride(), "stride", loc, opName, stride)) ||
      failed(pairOf(adaptor.getDilation(), "dilation", loc, opName, dilation)))
    return failure();
  ArrayRef<int64_t> pad = adaptor.getPadding();
  if (pad.size() != 4)
    return inferenceError(loc, opName,
                          "padding must have 4 values [top, left, bottom, "
                          "right], got " + Twine(pad.size()));
  return inferred(context, loc, opName,
                  cnnopt::shapes::conv2d(toShape(adaptor.getInput()),
                                         toShape(adaptor.getWeight()), stride,
                                         Pad4{pad[0], pad[1], pad[2], pad[3]},
                                         dilation, adaptor.getGroups()),
                  types);
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferConv2d(context, loc, "conv2d", adaptor, types);
}

LogicalResult FusedConv2dOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferConv2d(context, loc, "fused_conv2d", adaptor, types);
}

unsigned mlir::cnn::activationParamCount(Activation kind) {
  switch (kind) {
  case Activation::leaky_relu:
  case Activation::elu:
    return 1;
  case Activation::softplus:
    return 2;
  default:
    return 0;
  }
}

/// A fused op's `activation_params` are as many as its activation takes
/// (absent when it takes none).
template <typename FusedOp> static LogicalResult verifyFusedActivation(FusedOp op) {
  unsigned expected = activationParamCount(op.getActivation());
  std::optional<ArrayRef<double>> params = op.getActivationParams();
  unsigned given = params ? params->size() : 0;
  if (given != expected || (params && expected == 0))
    return op.emitOpError() << "activation " << stringifyActivation(op.getActivation())
                            << " takes " << expected << " activation_params, got "
                            << (params ? Twine(given) : Twine("none"));
  return success();
}

LogicalResult FusedConv2dOp::verify() {
  cnnopt::Shape channels{getWeight().getType().getShape()[0]};
  if (failed(verifyFusedActivation(*this)) ||failed(verifyParamShape(*this, getBias(), "bias", channels)) ||
      failed(verifyAffine(*this, getScale(), getShift(), "scale", "shift",
                          channels)) ||
      failed(verifyParamShape(*this, getResidual(), "residual",
                              toShape(getResult()))))
    return failure();
  return success();
}

LogicalResult Conv2dOp::verify() {
  int64_t out = getWeight().getType().getShape()[0];
  return verifyParamShape(*this, getBias(), "bias", {out});
}

LogicalResult ConvTranspose2dOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  const char *name = "conv_transpose2d";
  Hw stride, padding, outputPadding, dilation;
  if (failed(pairOf(adaptor.getStride(), "stride", loc, name, stride)) ||
      failed(pairOf(adaptor.getPadding(), "padding", loc, name, padding)) ||
      failed(pairOf(adaptor.getOutputPadding(), "output_padding", loc, name,
                    outputPadding)) ||
      failed(pairOf(adaptor.getDilation(), "dilation", loc, name, dilation)))
    return failure();
  return inferred(context, loc, name,
                  cnnopt::shapes::convTranspose2d(
                      toShape(adaptor.getInput()), toShape(adaptor.getWeight()),
                      stride, padding, outputPadding, dilation,
                      adaptor.getGroups()),
                  types);
}

LogicalResult ConvTranspose2dOp::verify() {
  int64_t out = getWeight().getType().getShape()[1] * getGroups();
  if (failed(verifyAffine(*this, getScale(), getShift(), "scale", "shift", {out})))
    return failure();
  return verifyParamShape(*this, getBias(), "bias", {out});
}

LogicalResult FusedLinearOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "fused_linear",
                  cnnopt::shapes::linear(toShape(adaptor.getInput()),
                                         toShape(adaptor.getWeight())),
                  types);
}

LogicalResult FusedLinearOp::verify() {
  cnnopt::Shape features{getWeight().getType().getShape()[0]};
  if (failed(verifyFusedActivation(*this)) ||
      failed(verifyParamShape(*this, getBias(), "bias", features)) ||
      failed(verifyAffine(*this, getScale(), getShift(), "scale", "shift", features)) ||
      failed(verifyParamShape(*this, getResidual(), "residual", toShape(getResult()))))
    return failure();
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "linear",
                  cnnopt::shapes::linear(toShape(adaptor.getInput()),
                                         toShape(adaptor.getWeight())),
                  types);
}

LogicalResult LinearOp::verify() {
  int64_t out = getWeight().getType().getShape()[0];
  return verifyParamShape(*this, getBias(), "bias", {out});
}

//===----------------------------------------------------------------------===//
// Normalisations
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "batch_norm",
                  cnnopt::shapes::batchNorm(toShape(adaptor.getInput())), types);
}

LogicalResult BatchNormOp::verify() {
  cnnopt::Shape channels = channelsOf(getInput());
  if (failed(verifyNormAffine(*this, getWeight(), getBias(), channels)) ||
      failed(verifyParamShape(*this, getRunningMean(), "running_mean", channels)) ||
      failed(verifyParamShape(*this, getRunningVar(), "running_var", channels)))
    return failure();
  // Zero is valid, as in torch.nn and the front end (which takes any eps
  // >= 0); refusing it here failed files the front end had accepted.
  if (!(getEps().convertToDouble() >= 0.0))
    return emitOpError("eps must not be negative");
  return success();
}

/// batch_norm_scale/shift: every operand and the result are [C].
static LogicalResult verifyPerChannel(Operation *op) {
  cnnopt::Shape result = toShape(op->getResult(0));
  if (result.size() != 1 || result[0] == cnnopt::kDynamic)
    return op->emitOpError() << "result must be [C], got " << cnnopt::shapes::format(result);
  for (Value operand : op->getOperands())
    if (toShape(operand) != result)
      return op->emitOpError() << "operands must have the result's shape "
                               << cnnopt::shapes::format(result) << ", got "
                               << cnnopt::shapes::format(toShape(operand));
  return success();
}

LogicalResult BatchNormScaleOp::verify() {
  if (!(getEps().convertToDouble() >= 0.0))
    return emitOpError("eps must not be negative");
  return verifyPerChannel(*this);
}

LogicalResult BatchNormShiftOp::verify() { return verifyPerChannel(*this); }

LogicalResult GroupNormOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "group_norm",
                  cnnopt::shapes::groupNorm(toShape(adaptor.getInput()),
                                            adaptor.getGroups()),
                  types);
}

LogicalResult GroupNormOp::verify() {
  return verifyNormAffine(*this, getWeight(), getBias(), channelsOf(getInput()));
}

LogicalResult InstanceNormOp::inferReturnTypes(MLIRContext *context,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "instance_norm",
                  cnnopt::shapes::instanceNorm(toShape(adaptor.getInput())),
                  types);
}

LogicalResult InstanceNormOp::verify() {
  return verifyNormAffine(*this, getWeight(), getBias(), channelsOf(getInput()));
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "layer_norm",
                  cnnopt::shapes::layerNorm(toShape(adaptor.getInput()),
                                            adaptor.getDims()),
                  types);
}

LogicalResult LayerNormOp::verify() {
  cnnopt::Shape input = toShape(getInput());
  cnnopt::Shape normalized(input.end() - getDims(), input.end());
  return verifyNormAffine(*this, getWeight(), getBias(), normalized);
}

//===----------------------------------------------------------------------===//
// Pooling and resampling
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferAdaptive(MLIRContext *context,
                                   std::optional<Location> loc,
                                   StringRef opName, Adaptor adaptor,
                                   SmallVectorImpl<Type> &types) {
  Hw size;
  if (failed(pairOf(adaptor.getSize(), "size", loc, opName, size)))
    return failure();
  return inferred(context, loc, opName,
                  cnnopt::shapes::adaptivePool2d(toShape(adaptor.getInput()), size),
                  types);
}

LogicalResult AdaptiveAvgPool2dOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferAdaptive(context, loc, "adaptive_avg_pool2d", adaptor, types);
}

LogicalResult AdaptiveMaxPool2dOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferAdaptive(context, loc, "adaptive_max_pool2d", adaptor, types);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  const char *name = "avg_pool2d";
  Hw kernel, stride, padding;
  if (failed(pairOf(adaptor.getKernel(), "kernel", loc, name, kernel)) ||
      failed(pairOf(adaptor.getStride(), "stride", loc, name, stride)) ||
      failed(pairOf(adaptor.getPadding(), "padding", loc, name, padding)))
    return failure();
  return inferred(context, loc, name,
                  cnnopt::shapes::avgPool2d(toShape(adaptor.getInput()), kernel,
                                            stride, padding,
                                            adaptor.getCeilMode()),
                  types);
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  const char *name = "max_pool2d";
  Hw kernel, stride, padding, dilation;
  if (failed(pairOf(adaptor.getKernel(), "kernel", loc, name, kernel)) ||
      failed(pairOf(adaptor.getStride(), "stride", loc, name, stride)) ||
      failed(pairOf(adaptor.getPadding(), "padding", loc, name, padding)) ||
      failed(pairOf(adaptor.getDilation(), "dilation", loc, name, dilation)))
    return failure();
  return inferred(context, loc, name,
                  cnnopt::shapes::maxPool2d(toShape(adaptor.getInput()), kernel,
                                            stride, padding, dilation,
                                            adaptor.getCeilMode()),
                  types);
}

LogicalResult Upsample2dOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "upsample2d",
                  cnnopt::shapes::upsample2d(toShape(adaptor.getInput()),
                                             adaptor.getScale()),
                  types);
}

LogicalResult Upsample2dOp::verify() {
  if (getMode() != "nearest" && getMode() != "bilinear")
    return emitOpError() << "mode must be \"nearest\" or \"bilinear\", got \""
                         << getMode() << "\"";
  return success();
}

LogicalResult GluOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "glu",
                  cnnopt::shapes::glu(toShape(adaptor.getInput()), adaptor.getAxis()), types);
}

/// PReLU's weight is one slope or one per channel (axis 1).
LogicalResult PreluOp::verify() {
  cnnopt::Shape x = toShape(getInput()), w = toShape(getWeight());
  if (w.size() != 1 || (w[0] != 1 && (x.size() < 2 || w[0] != x[1])))
    return emitOpError() << "weight has shape " << cnnopt::shapes::format(w)
                         << ", expected [1] or [channels] of input "
                         << cnnopt::shapes::format(x);
  return success();
}

LogicalResult Pad2dOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> pads = adaptor.getPads();
  return inferred(context, loc, "pad2d",
                  cnnopt::shapes::pad2d(toShape(adaptor.getInput()),
                                        std::vector<int64_t>(pads.begin(), pads.end()),
                                        adaptor.getMode().str()),
                  types);
}

LogicalResult PixelShuffleOp::inferReturnTypes(MLIRContext *context,
                                               std::optional<Location> loc, Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "pixel_shuffle",
                  cnnopt::shapes::pixelShuffle(toShape(adaptor.getInput()), adaptor.getFactor()),
                  types);
}

//===----------------------------------------------------------------------===//
// Shape manipulation and reductions
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  std::vector<cnnopt::Shape> inputs;
  for (Value input : adaptor.getInputs())
    inputs.push_back(toShape(input));
  return inferred(context, loc, "concat",
                  cnnopt::shapes::concat(inputs, adaptor.getAxis()), types);
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "flatten",
                  cnnopt::shapes::flatten(toShape(adaptor.getInput()),
                                          adaptor.getStart()),
                  types);
}

LogicalResult MeanOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> axes = adaptor.getAxes();
  return inferred(context, loc, "mean",
                  cnnopt::shapes::mean(toShape(adaptor.getInput()),
                                       {axes.begin(), axes.end()},
                                       adaptor.getKeepdim()),
                  types);
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> shape = adaptor.getShape();
  return inferred(context, loc, "reshape",
                  cnnopt::shapes::reshape(toShape(adaptor.getInput()),
                                          {shape.begin(), shape.end()}),
                  types);
}

//===----------------------------------------------------------------------===//
// Regularisers
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  return verifyProbability(*this, getP().convertToDouble());
}

LogicalResult DropBlockOp::verify() {
  if (getBlockSize() <= 0)
    return emitOpError() << "block_size=" << getBlockSize()
                         << " must be positive";
  return verifyProbability(*this, getP().convertToDouble());
}

LogicalResult StochasticDepthOp::verify() {
  return verifyProbability(*this, getP().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *context,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "cross_entropy",
                  cnnopt::shapes::crossEntropy(toShape(adaptor.getLogits()),
                                               toShape(adaptor.getLabels())),
                  types);
}

LogicalResult CrossEntropyOp::verify() {
  double smoothing = getLabelSmoothing().convertToDouble();
  if (smoothing < 0.0 || smoothing > 1.0)
    return emitOpError() << "label_smoothing=" << shortest(smoothing)
                         << " must be in [0, 1]";
  return success();
}

LogicalResult MseLossOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "mse_loss",
                  cnnopt::shapes::mseLoss(toShape(adaptor.getLhs()),
                                          toShape(adaptor.getRhs())),
                  types);
}

//===----------------------------------------------------------------------===//
// Folders and canonicalisation patterns (cnn-canonicalize)
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

Operation *CnnDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                           Location loc) {
  auto number = dyn_cast<FloatAttr>(value);
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!number || !tensor || tensor.getRank() != 0)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, builder.getF64FloatAttr(number.getValueAsDouble()));
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  return getTraining() ? OpFoldResult() : OpFoldResult(getInput());
}
OpFoldResult DropBlockOp::fold(FoldAdaptor) {
  return getTraining() ? OpFoldResult() : OpFoldResult(getInput());
}
OpFoldResult StochasticDepthOp::fold(FoldAdaptor) {
  return getTraining() ? OpFoldResult() : OpFoldResult(getInput());
}

/// A flatten or reshape that changes no shape is its input.
OpFoldResult FlattenOp::fold(FoldAdaptor) {
  return getInput().getType() == getType() ? getInput() : Value();
}
OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  return getInput().getType() == getType() ? getInput() : Value();
}

namespace {

/// flatten/reshape of a flatten/reshape: one reshape from the first input
/// to the last shape (the run-time batch, if any, stays the leading -1).
template <typename OpTy> struct CollapseReshapeChain : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Operation *inner = op.getInput().getDefiningOp();
    if (!inner || !isa<FlattenOp, ReshapeOp>(inner))
      return failure();
    Value source = inner->getOperand(0);
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<int64_t> shape;
    for (auto [axis, d] : llvm::enumerate(type.getShape())) {
      if (ShapedType::isDynamic(d) && axis != 0)
        return failure();
      shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    }
    ShapeOr collapsed = cnnopt::shapes::reshape(toShape(source), cnnopt::Shape(shape.begin(), shape.end()));
    if (!collapsed.ok() || collapsed.shape != toShape(op.getType()))
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, type, source, rewriter.getDenseI64ArrayAttr(shape));
    return success();
  }
};

} // namespace

void FlattenOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<CollapseReshapeChain<FlattenOp>>(context);
}
void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<CollapseReshapeChain<ReshapeOp>>(context);
}

#include "dialect/CnnInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialect/CnnOps.cpp.inc"
