//===- GradientRules.cpp - The derivative of each cnn op ------------------===//
//
// One case per forward op of a training step, each the textbook
// derivative written with cnn ops: a derivative op of its own where the
// computation is one (conv2d_grad_input, max_pool2d_grad, ...), forward ops
// where they say it (a flatten's derivative is a reshape, a product's the
// other factor). Broadcast operands get the sum over the axes they were
// broadcast along. An op without a case is an error at that op.
//===----------------------------------------------------------------------===//

#include "passes/GradientRules.h"
#include "dialect/CnnOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <type_traits>

namespace cnnopt {
namespace {

using namespace mlir;
using namespace mlir::cnn;

class Rules {
public:
  Rules(OpBuilder &b, Operation *op, Value grad, ArrayRef<bool> wanted,
        SmallVectorImpl<Value> &out)
      : b(b), loc(op->getLoc()), op(op), grad(grad), wanted(wanted), out(out) {
    out.assign(op->getNumOperands(), Value());
  }

  LogicalResult run() {
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](Conv2dOp conv) { return conv2d(conv); })
        .Case([&](ConvTranspose2dOp conv) { return convTranspose2d(conv); })
        .Case([&](LinearOp linear) { return this->linear(linear); })
        .Case([&](LayerNormOp norm) { return layerNorm(norm); })
        .Case<GroupNormOp, InstanceNormOp>([&](auto norm) { return groupNorm(norm); })
        .Case([&](Upsample2dOp up) {
          set(0, [&] {
            return b.create<Upsample2dGradOp>(loc, grad, up.getInput(), up.getScaleAttr(),
                                              up.getModeAttr());
          });
          return success();
        })
        .Case([&](BatchNormTrainOp bn) { return batchNorm(bn); })
        .Case([&](BatchNormOp bn) { return inferenceBatchNorm(bn); })
        // Inference regularisers are the identity (training ones become masks).
        .Case<DropoutOp, DropBlockOp, StochasticDepthOp>([&](Operation *reg) -> LogicalResult {
          if (reg->hasAttr("training"))
            return reg->emitError("cnn-derive-gradients: a training-mode regulariser must "
                                  "become a random mask first");
          set(0, [&] { return grad; });
          return success();
        })
        .Case([&](MaxPool2dOp pool) {
          set(0, [&] {
            return b.create<MaxPool2dGradOp>(loc, grad, pool.getInput(), pool.getKernelAttr(),
                                             pool.getStrideAttr(), pool.getPaddingAttr(),
                                             pool.getDilationAttr(), pool.getCeilModeAttr());
          });
          return success();
        })
        .Case([&](AvgPool2dOp pool) {
          set(0, [&] {
            return b.create<AvgPool2dGradOp>(
                loc, grad, pool.getInput(), pool.getKernelAttr(), pool.getStrideAttr(),
                pool.getPaddingAttr(), pool.getCeilModeAttr(), pool.getCountIncludePadAttr());
          });
          return success();
        })
        .Case<AdaptiveAvgPool2dOp, AdaptiveMaxPool2dOp>([&](auto pool) {
          bool average = isa<AdaptiveAvgPool2dOp>(op);
          set(0, [&] {
            return b.create<AdaptivePool2dGradOp>(loc, grad, pool.getInput(),
                                                  b.getBoolAttr(average));
          });
          return success();
        })
        .Case<FlattenOp, ReshapeOp>([&](auto) {
          set(0, [&] { return reshapeLike(grad, op->getOperand(0)); });
          return success();
        })
        .Case([&](AddOp) { return binary(grad, grad); })
        .Case([&](SubOp) {
          return binary(grad, wanted[1] ? b.create<NegOp>(loc, grad).getResult() : Value());
        })
        .Case([&](MulOp mul) {
          return binary(wanted[0] ? b.create<MulOp>(loc, grad, mul.getRhs()).getResult() : Value(),
                        wanted[1] ? b.create<MulOp>(loc, grad, mul.getLhs()).getResult() : Value());
        })
        .Case([&](DivOp div) {
          Value dl = wanted[0] ? b.create<DivOp>(loc, grad, div.getRhs()).getResult() : Value();
          Value dr;
          if (wanted[1]) {
            // d(a/b)/db = -(a/b)/b.
            Value scaled = b.create<MulOp>(loc, grad, div.getResult());
            dr = b.create<NegOp>(loc, b.create<DivOp>(loc, scaled, div.getRhs()));
          }
          return binary(dl, dr);
        })
        .Case([&](NegOp) {
          set(0, [&] { return b.create<NegOp>(loc, grad); });
          return success();
        })
        // Constants of the step: a mask reads its input for the shape only.
        .Case<ConstantOp, RandomMaskOp>([&](auto) { return success(); })
        .Case<SoftmaxOp, LogSoftmaxOp>([&](auto softmax) {
          set(0, [&] {
            return b.create<SoftmaxGradOp>(loc, grad, softmax.getResult(), softmax.getAxisAttr(),
                                           b.getBoolAttr(isa<LogSoftmaxOp>(op)));
          });
          return success();
        })
        .Case([&](ConcatOp concat) {
          int64_t start = 0, axis = concat.getAxis();
          for (auto [k, input] : llvm::enumerate(concat.getInputs())) {
            int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
            set(k, [&] {
              return b.create<SliceOp>(loc, grad, b.getI64IntegerAttr(axis),
                                       b.getI64IntegerAttr(start), b.getI64IntegerAttr(size));
            });
            start += size;
          }
          return success();
        })
        .Case([&](MeanOp mean) { return this->mean(mean); })
        .Case([&](PreluOp op) { return prelu(op); })
        .Case([&](GluOp op) { return glu(op); })
        .Case([&](PowOp op) { return pow(op); })
        .Case([&](Pad2dOp op) { return pad2d(op); })
        .Case([&](PixelShuffleOp shuffle) {
          set(0, [&] {
            return b.create<PixelUnshuffleOp>(loc, grad, shuffle.getFactorAttr());
          });
          return success();
        })
        .Case([&](CrossEntropyOp ce) {
          set(0, [&] {
            return b.create<CrossEntropyGradOp>(loc, ce.getLogits(), ce.getLabels(), grad,
                                                ce.getLabelSmoothingAttr());
          });
          return success();
        })
        .Case([&](MseLossOp mse) {
          Value dl = b.create<MseLossGradOp>(loc, mse.getLhs(), mse.getRhs(), grad);
          out[0] = wanted[0] ? dl : Value();
          out[1] = wanted[1] ? b.create<NegOp>(loc, dl).getResult() : Value();
          return success();
        })
        .Default([&](Operation *other) -> LogicalResult {
          if (auto activation = dyn_cast<ActivationOpInterface>(other))
            return this->activation(activation);
          return other->emitError() << "cnn-derive-gradients: no derivative rule for '"
                                    << other->getName() << "'";
        });
  }

private:
  /// Operand k's derivative, built only when it is wanted.
  template <typename Build> void set(unsigned k, Build build) {
    if (k < wanted.size() && wanted[k])
      out[k] = build();
  }

  LogicalResult activation(ActivationOpInterface act) {
    set(0, [&] { return activationGrad(act.getActivationKind(), act.getActivationParams(),
                                       grad, op->getOperand(0)); });
    return success();
  }

  /// grad * act'(input).
  Value activationGrad(Activation kind, ArrayRef<double> params, Value g, Value input) {
    return b.create<ActivationGradOp>(
        loc, g, input, ActivationAttr::get(b.getContext(), kind),
        params.empty() ? DenseF64ArrayAttr() : b.getDenseF64ArrayAttr(params));
  }

  /// prelu(x) = relu(x) + w * (x - relu(x)), so dx = r + w * (grad - r)
  /// with r = grad * relu'(x) (PyTorch's: grad where x > 0, w * grad
  /// elsewhere), and dw = grad * min(x, 0) summed over everything but the
  /// weight's axis.
  LogicalResult prelu(PreluOp prelu) {
    auto type = cast<RankedTensorType>(prelu.getInput().getType());
    int64_t num = cast<RankedTensorType>(prelu.getWeight().getType()).getDimSize(0);
    // The weight broadcast against x: [C, 1, ...] per channel, [1] else.
    SmallVector<int64_t> shape{num};
    if (num != 1)
      for (int64_t a = 2; a < type.getRank(); ++a)
        shape.push_back(1);
    set(0, [&] {
      Value passed = activationGrad(Activation::relu, {}, grad, prelu.getInput());
      Value w = b.create<ReshapeOp>(loc, prelu.getWeight(), b.getDenseI64ArrayAttr(shape));
      Value rest = b.create<MulOp>(loc, b.create<SubOp>(loc, grad, passed), w);
      return b.create<AddOp>(loc, passed, rest);
    });
    set(1, [&]() -> Value {
      Value x = prelu.getInput();
      Value negative = b.create<SubOp>(loc, x, b.create<ReluOp>(loc, x));
      Value product = b.create<MulOp>(loc, grad, negative);
      SmallVector<int64_t> axes;
      for (int64_t a = 0; a < type.getRank(); ++a)
        if (num == 1 || a != 1)
          axes.push_back(a);
      Value summed = sum(product, axes);
      return num == 1 ? reshapeLike(summed, prelu.getWeight()) : summed;
    });
    return success();
  }

  /// glu(x) = a * sigmoid(b) with a, b the halves of x along `axis`:
  /// da = grad * sigmoid(b), db = (grad * a) * sigmoid'(b), joined again.
  LogicalResult glu(GluOp glu) {
    set(0, [&]() -> Value {
      int64_t axis = glu.getAxis();
      int64_t half = cast<RankedTensorType>(glu.getType()).getDimSize(axis);
      auto halfAt = [&](int64_t start) {
        return b.create<SliceOp>(loc, glu.getInput(), b.getI64IntegerAttr(axis),
                                 b.getI64IntegerAttr(start), b.getI64IntegerAttr(half));
      };
      Value first = halfAt(0), second = halfAt(half);
      Value da = b.create<MulOp>(loc, grad, b.create<SigmoidOp>(loc, second));
      Value db = activationGrad(Activation::sigmoid, {}, b.create<MulOp>(loc, grad, first),
                                second);
      return b.create<ConcatOp>(loc, ValueRange{da, db}, b.getI64IntegerAttr(axis));
    });
    return success();
  }

  /// d x^e / dx = e * x^(e-1); PyTorch's is 0 everywhere for e = 0.
  LogicalResult pow(PowOp pow) {
    double e = pow.getExponent().convertToDouble();
    set(0, [&]() -> Value {
      if (e == 0)
        return b.create<MulOp>(loc, grad, constant(0.0));
      Value slope = b.create<MulOp>(
          loc, b.create<PowOp>(loc, pow.getInput(), b.getF64FloatAttr(e - 1)), constant(e));
      return b.create<MulOp>(loc, grad, slope);
    });
    return success();
  }

  /// A constant pad2d's derivative crops what it padded (and pads what it
  /// cropped with zeros): pad2d with the pads negated. Reflect and
  /// replicate sum the copies back (pad2d_grad).
  LogicalResult pad2d(Pad2dOp pad) {
    set(0, [&]() -> Value {
      if (pad.getMode() != "constant")
        return b.create<Pad2dGradOp>(loc, pad.getInput().getType(), grad, pad.getInput(),
                                     pad.getPadsAttr(), pad.getModeAttr());
      SmallVector<int64_t> negated;
      for (int64_t p : pad.getPads())
        negated.push_back(-p);
      return b.create<Pad2dOp>(loc, grad, b.getDenseI64ArrayAttr(negated),
                               b.getStringAttr("constant"), b.getF64FloatAttr(0.0));
    });
    return success();
  }

  /// A conv's input derivative is a stride-1 conv2d of the output's
  /// derivative (with stride-1 zeros between its pixels for a strided
  /// conv) and the transposed, flipped weight, padded dilation*(k-1) -
  /// padding before and what makes up the input's size after: the forward
  /// conv's algorithms and schedules then apply. Where that padding would
  /// be negative, conv2d_grad_input gathers.
  LogicalResult conv2d(Conv2dOp conv) {
    set(0, [&]() -> Value {
      auto wType = cast<RankedTensorType>(conv.getWeight().getType());
      auto inType = cast<RankedTensorType>(conv.getInput().getType());
      auto outType = cast<RankedTensorType>(conv.getType());
      ArrayRef<int64_t> pad = conv.getPadding(), dil = conv.getDilation(),
                        stride = conv.getStride();
      SmallVector<int64_t> transposedPad(4);
      for (int axis = 0; axis < 2; ++axis) {
        int64_t span = dil[axis] * (wType.getDimSize(2 + axis) - 1);
        int64_t inserted = (outType.getDimSize(2 + axis) - 1) * stride[axis] + 1;
        transposedPad[axis] = span - pad[axis];                                  // top, left
        transposedPad[axis + 2] = inType.getDimSize(2 + axis) + span - inserted -
                                  transposedPad[axis];                           // bottom, right
      }
      if (llvm::all_of(transposedPad, [](int64_t p) { return p >= 0; })) {
        Value source = grad;
        if (llvm::any_of(stride, [](int64_t s) { return s != 1; }))
          source = b.create<ZeroInsertOp>(loc, grad, conv.getStrideAttr());
        Value transposed = b.create<Conv2dTransposeWeightOp>(loc, conv.getWeight(),
                                                             conv.getGroupsAttr());
        return b.create<Conv2dOp>(loc, source, transposed, Value(),
                                  b.getDenseI64ArrayAttr({1, 1}),
                                  b.getDenseI64ArrayAttr(transposedPad), conv.getDilationAttr(),
                                  conv.getGroupsAttr(), ConvAlgorithmAttr());
      }
      return b.create<Conv2dGradInputOp>(loc, grad, conv.getWeight(), conv.getInput(),
                                         conv.getStrideAttr(), conv.getPaddingAttr(),
                                         conv.getDilationAttr(), conv.getGroupsAttr());
    });
    set(1, [&] {
      return b.create<Conv2dGradWeightOp>(loc, grad, conv.getInput(), conv.getWeight(),
                                          conv.getStrideAttr(), conv.getPaddingAttr(),
                                          conv.getDilationAttr(), conv.getGroupsAttr());
    });
    set(2, [&] { return sum(grad, {0, 2, 3}); });
    return success();
  }

  /// A transposed convolution's input derivative is the convolution it
  /// transposes (same weight, stride, padding, dilation, groups), and its
  /// weight derivative that convolution's, with input and output swapped.
  LogicalResult convTranspose2d(ConvTranspose2dOp conv) {
    if (conv.getScale())
      return conv.emitError("cnn-derive-gradients: a conv_transpose2d with a folded "
                            "batch_norm has no derivative rule (fold only for inference)");
    ArrayRef<int64_t> pad = conv.getPadding();
    DenseI64ArrayAttr padding = b.getDenseI64ArrayAttr({pad[0], pad[1], pad[0], pad[1]});
    set(0, [&] {
      return b.create<Conv2dOp>(loc, grad, conv.getWeight(), Value(), conv.getStrideAttr(),
                                padding, conv.getDilationAttr(), conv.getGroupsAttr(),
                                ConvAlgorithmAttr());
    });
    set(1, [&] {
      return b.create<Conv2dGradWeightOp>(loc, conv.getInput(), grad, conv.getWeight(),
                                          conv.getStrideAttr(), padding, conv.getDilationAttr(),
                                          conv.getGroupsAttr());
    });
    set(2, [&] { return sum(grad, {0, 2, 3}); });
    return success();
  }

  /// The affine part of a normalisation (weight and bias, operands 1 and
  /// 2) from `xhat`, the input normalised without it; returns the
  /// derivative at the normalised value, grad * weight. `weightShape`
  /// broadcasts the weight against the input; `axes` are those the
  /// weight is shared along.
  Value normAffine(Value weight, Value xhat, ArrayRef<int64_t> weightShape,
                   ArrayRef<int64_t> axes) {
    set(1, [&] { return sum(b.create<MulOp>(loc, grad, xhat), axes); });
    set(2, [&] { return sum(grad, axes); });
    if (!weight)
      return grad;
    Value broadcast = b.create<ReshapeOp>(loc, weight, b.getDenseI64ArrayAttr(weightShape));
    return b.create<MulOp>(loc, grad, broadcast);
  }

  LogicalResult layerNorm(LayerNormOp norm) {
    auto type = cast<RankedTensorType>(norm.getInput().getType());
    int64_t kept = type.getRank() - norm.getDims();
    SmallVector<int64_t> axes, weightShape;
    for (int64_t a = 0; a < kept; ++a)
      axes.push_back(a);
    for (int64_t a = kept; a < type.getRank(); ++a)
      weightShape.push_back(type.getDimSize(a));
    Value xhat = b.create<LayerNormOp>(loc, norm.getInput(), Value(), Value(),
                                       norm.getDimsAttr(), norm.getEpsAttr());
    Value g = normAffine(norm.getWeight(), xhat, weightShape, axes);
    set(0, [&] {
      return b.create<LayerNormGradOp>(loc, g, norm.getInput(), norm.getDimsAttr(),
                                       norm.getEpsAttr());
    });
    return success();
  }

  /// group_norm, and instance_norm as group_norm with a group per channel.
  template <typename NormOp> LogicalResult groupNorm(NormOp norm) {
    auto type = cast<RankedTensorType>(norm.getInput().getType());
    int64_t groups = type.getDimSize(1);
    Value xhat;
    if constexpr (std::is_same_v<NormOp, GroupNormOp>) {
      groups = norm.getGroups();
      xhat = b.create<GroupNormOp>(loc, norm.getInput(), Value(), Value(), norm.getGroupsAttr(),
                                   norm.getEpsAttr());
    } else {
      xhat = b.create<InstanceNormOp>(loc, norm.getInput(), Value(), Value(), norm.getEpsAttr());
    }
    SmallVector<int64_t> axes{0}, weightShape{type.getDimSize(1)};
    for (int64_t a = 2; a < type.getRank(); ++a) {
      axes.push_back(a);
      weightShape.push_back(1);
    }
    Value g = normAffine(norm.getWeight(), xhat, weightShape, axes);
    set(0, [&] {
      return b.create<GroupNormGradOp>(loc, g, norm.getInput(), b.getI64IntegerAttr(groups),
                                       norm.getEpsAttr());
    });
    return success();
  }

  LogicalResult linear(LinearOp linear) {
    if (cast<RankedTensorType>(linear.getInput().getType()).getRank() != 2)
      return linear.emitError("cnn-derive-gradients: linear's derivative needs a 2-D input "
                              "[N, features]; flatten the input first");
    set(0, [&] {
      return b.create<MatmulOp>(loc, grad, linear.getWeight(), b.getBoolAttr(false));
    });
    set(1, [&] {
      return b.create<MatmulOp>(loc, grad, linear.getInput(), b.getBoolAttr(true));
    });
    set(2, [&] { return sum(grad, {0}); });
    return success();
  }

  /// batch_norm on batch statistics; the statistics themselves get no
  /// derivative: batch_norm_grad_input already differentiates through them.
  LogicalResult batchNorm(BatchNormTrainOp bn) {
    Value sums = b.create<BatchNormGradSumsOp>(loc, grad, bn.getInput(), bn.getStats(),
                                               bn.getEpsAttr());
    set(0, [&] {
      return b.create<BatchNormGradInputOp>(loc, grad, bn.getInput(), bn.getStats(), sums,
                                            bn.getWeight(), bn.getEpsAttr());
    });
    set(2, [&] { return b.create<TakeRowOp>(loc, sums, b.getI64IntegerAttr(1)); });
    set(3, [&] { return b.create<TakeRowOp>(loc, sums, b.getI64IntegerAttr(0)); });
    return success();
  }

  /// batch_norm on its running statistics (inference; a Grad-CAM map):
  /// a per-channel scale, weight / sqrt(running_var + eps).
  LogicalResult inferenceBatchNorm(BatchNormOp bn) {
    if (bn.getTraining())
      return bn.emitError("cnn-derive-gradients: a training batch_norm must become "
                          "batch_norm_train first");
    if (llvm::any_of(ArrayRef<bool>(wanted).drop_front(), [](bool w) { return w; }))
      return bn.emitError("cnn-derive-gradients: batch_norm's parameters have no derivative "
                          "rule in inference");
    set(0, [&] {
      auto type = cast<RankedTensorType>(bn.getInput().getType());
      Value scale = b.create<BatchNormScaleOp>(loc, bn.getRunningVar().getType(),
                                               bn.getRunningVar(), bn.getWeight(),
                                               bn.getEpsAttr());
      SmallVector<int64_t> shape{type.getDimSize(1)};
      for (int64_t a = 2; a < type.getRank(); ++a)
        shape.push_back(1);
      return b.create<MulOp>(loc, grad,
                             b.create<ReshapeOp>(loc, scale, b.getDenseI64ArrayAttr(shape)));
    });
    return success();
  }

  LogicalResult mean(MeanOp mean) {
    set(0, [&] {
      return b.create<MeanGradOp>(loc, grad, mean.getInput(), mean.getAxesAttr(),
                                  mean.getKeepdimAttr());
    });
    return success();
  }

  /// add, sub, mul, div: each side's derivative summed back to its shape.
  LogicalResult binary(Value lhsGrad, Value rhsGrad) {
    set(0, [&] { return sumTo(lhsGrad, op->getOperand(0)); });
    set(1, [&] { return sumTo(rhsGrad, op->getOperand(1)); });
    return success();
  }

  Value constant(double value) {
    return b.create<ConstantOp>(loc, RankedTensorType::get({}, b.getF32Type()),
                                b.getF64FloatAttr(value));
  }

  Value sum(Value v, ArrayRef<int64_t> axes) {
    return b.create<ReduceSumOp>(loc, v, b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false));
  }

  /// `v` reshaped to `like`'s shape (its run-time batch as -1).
  Value reshapeLike(Value v, Value like) {
    SmallVector<int64_t> target;
    for (int64_t d : cast<RankedTensorType>(like.getType()).getShape())
      target.push_back(ShapedType::isDynamic(d) ? -1 : d);
    return b.create<ReshapeOp>(loc, v, b.getDenseI64ArrayAttr(target));
  }

  /// The reverse of NumPy broadcasting: `v` (the result's shape) summed
  /// over the axes along which `like` was broadcast.
  Value sumTo(Value v, Value like) {
    auto from = cast<RankedTensorType>(v.getType());
    auto to = cast<RankedTensorType>(like.getType());
    if (from == to)
      return v;
    int64_t lead = from.getRank() - to.getRank();
    SmallVector<int64_t> axes;
    for (int64_t a = 0; a < from.getRank(); ++a)
      if (a < lead || (to.getDimSize(a - lead) == 1 && from.getDimSize(a) != 1))
        axes.push_back(a);
    Value summed = axes.empty() ? v : sum(v, axes);
    return summed.getType() == to ? summed : reshapeLike(summed, like);
  }

  OpBuilder &b;
  Location loc;
  Operation *op;
  Value grad;
  ArrayRef<bool> wanted;
  SmallVectorImpl<Value> &out;
};

} // namespace

LogicalResult deriveOperandGradients(OpBuilder &builder, Operation *op, Value grad,
                                     ArrayRef<bool> wanted, SmallVectorImpl<Value> &operandGrads) {
  return Rules(builder, op, grad, wanted, operandGrads).run();
}

LogicalResult propagateGradients(OpBuilder &builder, ArrayRef<Operation *> forward,
                                 const llvm::DenseSet<Value> &sources,
                                 llvm::DenseMap<Value, Value> &grads) {
  llvm::DenseSet<Value> needs = sources;
  for (Operation *op : forward)
    if (llvm::any_of(op->getOperands(), [&](Value v) { return needs.contains(v); }))
      needs.insert(op->getResult(0));
  for (Operation *op : llvm::reverse(forward)) {
    Value grad = grads.lookup(op->getResult(0));
    SmallVector<bool> wanted;
    for (Value operand : op->getOperands())
      wanted.push_back(needs.contains(operand));
    if (!grad || llvm::none_of(wanted, [](bool w) { return w; }))
      continue;
    SmallVector<Value> operandGrads;
    if (failed(deriveOperandGradients(builder, op, grad, wanted, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g)
        continue;
      Value &sum = grads[operand];
      sum = sum ? builder.create<AddOp>(op->getLoc(), sum, g).getResult() : g;
    }
  }
  return success();
}

} // namespace cnnopt
