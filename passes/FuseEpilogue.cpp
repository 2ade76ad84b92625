//===- FuseEpilogue.cpp - The cnn-fuse-epilogue pass ----------------------===//
//
// conv2d/linear -> fused forms, then residual adds and activations move
// into the fused op's epilogue. See Passes.td for the exact conditions.
//===----------------------------------------------------------------------===//

#include "passes/FusedForms.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNFUSEEPILOGUEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;
using namespace mlir::cnn;

/// conv2d and linear into their fused forms, epilogue empty.
template <typename OpTy> struct ToFusedForm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    cnnopt::toFused(rewriter, op);
    return success();
  }
};

/// The fused op defining `value`, if it is used only once and its epilogue
/// can still take `what` (a residual needs neither residual nor activation;
/// an activation needs none yet).
Operation *fusableProducer(Value value, bool residual) {
  Operation *op = value.getDefiningOp();
  if (!op || !value.hasOneUse())
    return nullptr;
  auto open = [&](auto fused) {
    return fused.getActivation() == Activation::none && (!residual || !fused.getResidual());
  };
  if (auto conv = dyn_cast<FusedConv2dOp>(op))
    return open(conv) ? op : nullptr;
  if (auto linear = dyn_cast<FusedLinearOp>(op))
    return open(linear) ? op : nullptr;
  return nullptr;
}

/// add(y, r) -> y with residual(r).
struct FuseResidualAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (auto [candidate, other] : {std::pair(add.getLhs(), add.getRhs()),
                                    std::pair(add.getRhs(), add.getLhs())}) {
      Operation *fused = fusableProducer(candidate, /*residual=*/true);
      if (!fused || other.getType() != add.getType() || candidate.getType() != add.getType())
        continue;
      // The residual may be computed after the producer: compute the fused
      // op where the add was, which all its operands dominate.
      rewriter.moveOpBefore(fused, add);
      rewriter.modifyOpInPlace(fused, [&] {
        TypeSwitch<Operation *>(fused).Case<FusedConv2dOp, FusedLinearOp>(
            [&](auto op) { op.getResidualMutable().assign(other); });
      });
      rewriter.replaceOp(add, fused->getResult(0));
      return success();
    }
    return failure();
  }
};

/// activation(y) -> y with that activation.
struct FuseActivation : OpInterfaceRewritePattern<ActivationOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(ActivationOpInterface activation,
                                PatternRewriter &rewriter) const override {
    Operation *fused = fusableProducer(activation->getOperand(0), /*residual=*/false);
    if (!fused)
      return failure();
    Activation kind = activation.getActivationKind();
    SmallVector<double> values = activation.getActivationParams();
    DenseF64ArrayAttr params = values.empty() ? DenseF64ArrayAttr()
                                              : rewriter.getDenseF64ArrayAttr(values);
    rewriter.modifyOpInPlace(fused, [&] {
      TypeSwitch<Operation *>(fused).Case<FusedConv2dOp, FusedLinearOp>([&](auto op) {
        op.setActivation(kind);
        op.setActivationParamsAttr(params);
      });
    });
    rewriter.replaceOp(activation, fused->getResult(0));
    return success();
  }
};

struct FuseEpiloguePass : cnn::impl::CnnFuseEpiloguePassBase<FuseEpiloguePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<ToFusedForm<Conv2dOp>, ToFusedForm<LinearOp>, FuseResidualAdd>(context);
    patterns.add<FuseActivation>(context);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
