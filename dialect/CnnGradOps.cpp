//===- CnnGradOps.cpp - training-step ops: type inference, verifiers ------===//
//
// The ops of CnnGradOps.td. A derivative takes the forward op's attributes
// and the tensors whose shapes it needs; its verifier checks that they are
// those of a forward op whose output the incoming derivative has the shape
// of, with the same ShapeRules the forward op uses.
//===----------------------------------------------------------------------===//

#include "dialect/CnnOps.h"
#include "dialect/OpSupport.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::support;
using cnnopt::shapes::Hw;
using cnnopt::shapes::Pad4;
using cnnopt::shapes::ShapeOr;

namespace {

/// Checks that `grad` has the shape of the forward op's output `forward`.
LogicalResult verifyForward(Operation *op, const ShapeOr &forward, Value grad) {
  if (!forward.ok())
    return op->emitOpError() << "forward op: " << forward.error;
  if (forward.shape != toShape(grad))
    return op->emitOpError() << "grad has shape " << cnnopt::shapes::format(toShape(grad))
                             << ", the forward op's output "
                             << cnnopt::shapes::format(forward.shape);
  return success();
}

/// A conv2d's output shape from its input, weight and attributes.
template <typename ConvGradOp> ShapeOr convForward(ConvGradOp op) {
  Hw stride, dilation;
  auto loc = op.getLoc();
  StringRef name = op->getName().stripDialect();
  if (failed(pairOf(op.getStride(), "stride", loc, name, stride)) ||
      failed(pairOf(op.getDilation(), "dilation", loc, name, dilation)))
    return ShapeOr::fail("bad stride or dilation");
  ArrayRef<int64_t> pad = op.getPadding();
  if (pad.size() != 4)
    return ShapeOr::fail("padding must have 4 values [top, left, bottom, right]");
  return cnnopt::shapes::conv2d(toShape(op.getInput()), toShape(op.getWeight()), stride,
                                Pad4{pad[0], pad[1], pad[2], pad[3]}, dilation,
                                op.getGroups());
}

/// Checks a [rows, C] statistics tensor against the channels of `input`.
LogicalResult verifyChannelRows(Operation *op, Value table, int64_t rows, Value input,
                                StringRef role) {
  cnnopt::Shape in = toShape(input);
  cnnopt::Shape expected{rows, in.size() > 1 ? in[1] : 0};
  if (toShape(table) != expected)
    return op->emitOpError() << role << " has shape "
                             << cnnopt::shapes::format(toShape(table)) << ", expected "
                             << cnnopt::shapes::format(expected);
  return success();
}

/// Checks an optional per-channel parameter of batch_norm's training forms.
LogicalResult verifyChannelParam(Operation *op, Value param, Value input, StringRef role) {
  if (!param)
    return success();
  cnnopt::Shape expected{toShape(input)[1]};
  if (toShape(param) != expected)
    return op->emitOpError() << role << " has shape "
                             << cnnopt::shapes::format(toShape(param)) << ", expected "
                             << cnnopt::shapes::format(expected);
  return success();
}

LogicalResult verifyNormInput(Operation *op, Value input) {
  ShapeOr checked = cnnopt::shapes::batchNorm(toShape(input));
  if (!checked.ok())
    return op->emitOpError() << checked.error;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Derivatives of forward ops
//===----------------------------------------------------------------------===//

LogicalResult ActivationGradOp::verify() {
  if (getActivation() == Activation::none)
    return emitOpError("needs an activation, not none");
  std::optional<ArrayRef<double>> params = getActivationParams();
  unsigned expected = activationParamCount(getActivation());
  if ((params ? params->size() : 0) != expected || (params && expected == 0))
    return emitOpError() << stringifyActivation(getActivation()) << " takes " << expected
                         << " activation_params";
  return success();
}

LogicalResult PixelUnshuffleOp::inferReturnTypes(MLIRContext *context,
                                                 std::optional<Location> loc, Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  return inferred(context, loc, "pixel_unshuffle",
                  cnnopt::shapes::pixelUnshuffle(toShape(adaptor.getInput()),
                                                 adaptor.getFactor()),
                  types);
}

LogicalResult Pad2dGradOp::verify() {
  if (getMode() != "reflect" && getMode() != "replicate")
    return emitOpError() << "mode must be \"reflect\" or \"replicate\", got \"" << getMode()
                         << "\"";
  ArrayRef<int64_t> pads = getPads();
  return verifyForward(*this,
                       cnnopt::shapes::pad2d(toShape(getInput()),
                                             std::vector<int64_t>(pads.begin(), pads.end()),
                                             getMode().str()),
                       getGrad());
}

LogicalResult Conv2dGradInputOp::verify() {
  return verifyForward(*this, convForward(*this), getGrad());
}

LogicalResult Conv2dGradWeightOp::verify() {
  return verifyForward(*this, convForward(*this), getGrad());
}

LogicalResult Conv2dTransposeWeightOp::inferReturnTypes(MLIRContext *context,
                                                        std::optional<Location> loc,
                                                        Adaptor adaptor,
                                                        SmallVectorImpl<Type> &types) {
  cnnopt::Shape w = toShape(adaptor.getWeight());
  int64_t groups = int64_t(adaptor.getGroups());
  if (w.size() != 4 || groups < 1 || w[0] % groups != 0)
    return inferenceError(loc, "conv2d_transpose_weight",
                          "needs a [O, I/g, kh, kw] weight whose O divides into groups=" +
                              Twine(groups) + ", got " + cnnopt::shapes::format(w));
  return inferred(context, loc, "conv2d_transpose_weight",
                  ShapeOr{{w[1] * groups, w[0] / groups, w[2], w[3]}, ""}, types);
}

LogicalResult ZeroInsertOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &types) {
  cnnopt::Shape x = toShape(adaptor.getInput());
  ArrayRef<int64_t> stride = adaptor.getStride();
  if (x.size() != 4 || stride.size() != 2 || stride[0] < 1 || stride[1] < 1)
    return inferenceError(loc, "zero_insert", "needs a 4-D input and two positive strides");
  return inferred(context, loc, "zero_insert",
                  ShapeOr{{x[0], x[1], (x[2] - 1) * stride[0] + 1, (x[3] - 1) * stride[1] + 1}, ""},
                  types);
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  cnnopt::Shape lhs = toShape(adaptor.getLhs()), rhs = toShape(adaptor.getRhs());
  if (lhs.size() != 2 || rhs.size() != 2)
    return inferenceError(loc, "matmul", "needs two matrices, got " +
                                             cnnopt::shapes::format(lhs) + " and " +
                                             cnnopt::shapes::format(rhs));
  if (adaptor.getTransposeLhs())
    std::swap(lhs[0], lhs[1]);
  if (lhs[1] != rhs[0])
    return inferenceError(loc, "matmul", "inner sizes differ: " + cnnopt::shapes::format(lhs) +
                                             " times " + cnnopt::shapes::format(rhs));
  return inferred(context, loc, "matmul", ShapeOr{{lhs[0], rhs[1]}, ""}, types);
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> axes = adaptor.getAxes();
  return inferred(context, loc, "reduce_sum",
                  cnnopt::shapes::mean(toShape(adaptor.getInput()), {axes.begin(), axes.end()},
                                       adaptor.getKeepdim()),
                  types);
}

LogicalResult MeanGradOp::verify() {
  ArrayRef<int64_t> axes = getAxes();
  return verifyForward(*this,
                       cnnopt::shapes::mean(toShape(getInput()), {axes.begin(), axes.end()},
                                            getKeepdim()),
                       getGrad());
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  cnnopt::Shape shape = toShape(adaptor.getInput());
  int64_t axis = adaptor.getAxis(), start = adaptor.getStart(), size = adaptor.getSize();
  if (axis < 0 || axis >= int64_t(shape.size()) || shape[axis] == cnnopt::kDynamic)
    return inferenceError(loc, "slice", "axis " + Twine(axis) + " is not a static axis of " +
                                            cnnopt::shapes::format(shape));
  if (start < 0 || size <= 0 || start + size > shape[axis])
    return inferenceError(loc, "slice", "[" + Twine(start) + ", " + Twine(start + size) +
                                            ") is outside axis " + Twine(axis) + " of " +
                                            cnnopt::shapes::format(shape));
  shape[axis] = size;
  return inferred(context, loc, "slice", ShapeOr{shape, ""}, types);
}

LogicalResult MaxPool2dGradOp::verify() {
  Hw kernel, stride, padding, dilation;
  StringRef name = "max_pool2d_grad";
  if (failed(pairOf(getKernel(), "kernel", getLoc(), name, kernel)) ||
      failed(pairOf(getStride(), "stride", getLoc(), name, stride)) ||
      failed(pairOf(getPadding(), "padding", getLoc(), name, padding)) ||
      failed(pairOf(getDilation(), "dilation", getLoc(), name, dilation)))
    return failure();
  return verifyForward(*this,
                       cnnopt::shapes::maxPool2d(toShape(getInput()), kernel, stride, padding,
                                                 dilation, getCeilMode()),
                       getGrad());
}

LogicalResult AvgPool2dGradOp::verify() {
  Hw kernel, stride, padding;
  StringRef name = "avg_pool2d_grad";
  if (failed(pairOf(getKernel(), "kernel", getLoc(), name, kernel)) ||
      failed(pairOf(getStride(), "stride", getLoc(), name, stride)) ||
      failed(pairOf(getPadding(), "padding", getLoc(), name, padding)))
    return failure();
  return verifyForward(
      *this,
      cnnopt::shapes::avgPool2d(toShape(getInput()), kernel, stride, padding, getCeilMode()),
      getGrad());
}

LogicalResult AdaptivePool2dGradOp::verify() {
  cnnopt::Shape grad = toShape(getGrad());
  if (grad.size() != 4)
    return emitOpError() << "grad must be 4-D, got " << cnnopt::shapes::format(grad);
  return verifyForward(
      *this, cnnopt::shapes::adaptivePool2d(toShape(getInput()), Hw{grad[2], grad[3]}),
      getGrad());
}

LogicalResult Upsample2dGradOp::verify() {
  if (getMode() != "nearest" && getMode() != "bilinear")
    return emitOpError() << "mode must be \"nearest\" or \"bilinear\", got \"" << getMode()
                         << "\"";
  return verifyForward(*this, cnnopt::shapes::upsample2d(toShape(getInput()), getScale()),
                       getGrad());
}

LogicalResult GroupNormGradOp::verify() {
  ShapeOr checked = cnnopt::shapes::groupNorm(toShape(getInput()), getGroups());
  if (!checked.ok())
    return emitOpError() << checked.error;
  return success();
}

LogicalResult RandomMaskOp::verify() {
  StringRef kind = getKind();
  if (kind != "dropout" && kind != "stochastic_depth" && kind != "dropblock")
    return emitOpError() << "kind must be dropout, stochastic_depth or dropblock, got '" << kind
                         << "'";
  double p = getP().convertToDouble();
  if (p < 0.0 || p >= 1.0)
    return emitOpError() << "p=" << shortest(p) << " must be in [0, 1)";
  if (kind == "dropblock" && (getBlockSize() <= 0 || toShape(getInput()).size() != 4))
    return emitOpError("dropblock needs a positive block_size and a 4-D input");
  return success();
}

//===----------------------------------------------------------------------===//
// batch_norm in training
//===----------------------------------------------------------------------===//

LogicalResult BatchNormStatsOp::inferReturnTypes(MLIRContext *context,
                                                 std::optional<Location> loc, Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  cnnopt::Shape input = toShape(adaptor.getInput());
  ShapeOr checked = cnnopt::shapes::batchNorm(input);
  if (!checked.ok())
    return inferenceError(loc, "batch_norm_stats", checked.error);
  return inferred(context, loc, "batch_norm_stats", ShapeOr{{3, input[1]}, ""}, types);
}

LogicalResult BatchNormTrainOp::verify() {
  if (failed(verifyNormInput(*this, getInput())) ||
      failed(verifyChannelRows(*this, getStats(), 3, getInput(), "stats")) ||
      failed(verifyChannelParam(*this, getWeight(), getInput(), "weight")) ||
      failed(verifyChannelParam(*this, getBias(), getInput(), "bias")))
    return failure();
  return success();
}

LogicalResult RunningAverageOp::verify() {
  int64_t row = int64_t(getRow());
  if (row < 0 || row > 2)
    return emitOpError() << "row " << row << " is not a row of batch_norm_stats (0..2)";
  cnnopt::Shape running = toShape(getRunning());
  cnnopt::Shape expected{3, running.empty() ? 0 : running[0]};
  if (running.size() != 1 || toShape(getStats()) != expected)
    return emitOpError() << "stats " << cnnopt::shapes::format(toShape(getStats()))
                         << " do not match the running statistic "
                         << cnnopt::shapes::format(running);
  return success();
}

LogicalResult BatchNormGradSumsOp::inferReturnTypes(MLIRContext *context,
                                                    std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &types) {
  cnnopt::Shape input = toShape(adaptor.getInput());
  ShapeOr checked = cnnopt::shapes::batchNorm(input);
  if (!checked.ok())
    return inferenceError(loc, "batch_norm_grad_sums", checked.error);
  return inferred(context, loc, "batch_norm_grad_sums", ShapeOr{{2, input[1]}, ""}, types);
}

LogicalResult BatchNormGradSumsOp::verify() {
  if (toShape(getGrad()) != toShape(getInput()))
    return emitOpError("grad and input differ in shape");
  return verifyChannelRows(*this, getStats(), 3, getInput(), "stats");
}

LogicalResult BatchNormGradInputOp::verify() {
  if (toShape(getGrad()) != toShape(getInput()))
    return emitOpError("grad and input differ in shape");
  if (failed(verifyNormInput(*this, getInput())) ||
      failed(verifyChannelRows(*this, getStats(), 3, getInput(), "stats")) ||
      failed(verifyChannelRows(*this, getSums(), 2, getInput(), "sums")) ||
      failed(verifyChannelParam(*this, getWeight(), getInput(), "weight")))
    return failure();
  return success();
}

LogicalResult TakeRowOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &types) {
  cnnopt::Shape shape = toShape(adaptor.getInput());
  int64_t index = int64_t(adaptor.getIndex());
  if (shape.empty() || shape[0] == cnnopt::kDynamic || index < 0 || index >= shape[0])
    return inferenceError(loc, "take_row", "row " + Twine(index) +
                                               " is not a row of " +
                                               cnnopt::shapes::format(shape));
  shape.erase(shape.begin());
  return inferred(context, loc, "take_row", ShapeOr{shape, ""}, types);
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  cnnopt::Shape labels = toShape(adaptor.getLabels());
  int64_t classes = int64_t(adaptor.getClasses());
  if (labels.size() != 1 || classes < 1)
    return inferenceError(loc, "one_hot", "needs labels [N] and classes >= 1, got " +
                                              cnnopt::shapes::format(labels) + " and " +
                                              Twine(classes));
  return inferred(context, loc, "one_hot", ShapeOr{{labels[0], classes}, ""}, types);
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

LogicalResult AdamMomentOp::verify() {
  if (getOrder() != 1 && getOrder() != 2)
    return emitOpError() << "order " << getOrder() << " must be 1 or 2";
  return success();
}
