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
        .Case([&](LinearOp linear) { return this->linear(linear); })
        .Case([&](BatchNormTrainOp bn) { return batchNorm(bn); })
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
        .Case([&](ConstantOp) { return success(); })
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
    Activation kind = act.getActivationKind();
    FloatAttr slope;
    if (kind == Activation::leaky_relu)
      slope = b.getF64FloatAttr(act.getNegativeSlope());
    set(0, [&] {
      return b.create<ActivationGradOp>(loc, grad, op->getOperand(0),
                                        ActivationAttr::get(b.getContext(), kind), slope);
    });
    return success();
  }

  LogicalResult conv2d(Conv2dOp conv) {
    set(0, [&] {
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

  LogicalResult mean(MeanOp mean) {
    auto inType = cast<RankedTensorType>(mean.getInput().getType());
    SmallVector<int64_t> keptShape(inType.getShape());
    int64_t count = 1;
    for (int64_t axis : mean.getAxes()) {
      if (inType.isDynamicDim(axis))
        return mean.emitError("cnn-derive-gradients: the derivative of a mean over the "
                              "batch axis is not defined for a run-time batch");
      count *= inType.getDimSize(axis);
      keptShape[axis] = 1;
    }
    set(0, [&] {
      SmallVector<int64_t> target;
      for (int64_t d : keptShape)
        target.push_back(ShapedType::isDynamic(d) ? -1 : d);
      Value kept = b.create<ReshapeOp>(loc, grad, b.getDenseI64ArrayAttr(target));
      Value scale = constant(1.0 / double(count));
      return b.create<ExpandOp>(loc, b.create<MulOp>(loc, kept, scale), mean.getInput());
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

} // namespace cnnopt
