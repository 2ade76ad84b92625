//===- FoldBatchNorm.cpp - The cnn-fold-batch-norm pass -------------------===//
//
// conv -> batch_norm (inference) becomes conv with affine(scale, shift),
// scale and shift computed from the batch_norm's parameters by two small
// ops. See Passes.td for the exact conditions.
//===----------------------------------------------------------------------===//

#include "passes/FusedForms.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNFOLDBATCHNORMPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;
using namespace mlir::cnn;

struct FoldIntoProducer : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    Value input = bn.getInput();
    Operation *producer = input.getDefiningOp();
    if (bn.getTraining() || !producer || !input.hasOneUse())
      return failure();
    // Per-channel means axis 1 of the result: conv outputs, and linear
    // outputs of rank 2 (BatchNorm1d on [N, features]).
    bool rank2 = cast<RankedTensorType>(input.getType()).getRank() == 2;
    bool foldable = TypeSwitch<Operation *, bool>(producer)
                        .Case([](Conv2dOp) { return true; })
                        .Case([](ConvTranspose2dOp op) { return !op.getScale(); })
                        .Case([](FusedConv2dOp op) { return cnnopt::hasEmptyEpilogue(op); })
                        .Case([&](LinearOp) { return rank2; })
                        .Case([&](FusedLinearOp op) { return rank2 && cnnopt::hasEmptyEpilogue(op); })
                        .Default([](Operation *) { return false; });
    if (!foldable)
      return failure();

    // Parameters only: placed before the producer, which they must dominate.
    rewriter.setInsertionPoint(producer);
    Type perChannel = bn.getRunningVar().getType();
    Value scale = rewriter.create<BatchNormScaleOp>(bn.getLoc(), perChannel, bn.getRunningVar(),
                                                    bn.getWeight(), bn.getEpsAttr());
    Value shift = rewriter.create<BatchNormShiftOp>(bn.getLoc(), perChannel,
                                                    bn.getRunningMean(), scale, bn.getBias());
    if (auto conv = dyn_cast<Conv2dOp>(producer))
      producer = cnnopt::toFused(rewriter, conv);
    else if (auto linear = dyn_cast<LinearOp>(producer))
      producer = cnnopt::toFused(rewriter, linear);
    rewriter.modifyOpInPlace(producer, [&] {
      TypeSwitch<Operation *>(producer)
          .Case<FusedConv2dOp, FusedLinearOp, ConvTranspose2dOp>([&](auto op) {
            op.getScaleMutable().assign(scale);
            op.getShiftMutable().assign(shift);
          });
    });
    rewriter.replaceOp(bn, producer->getResult(0));
    return success();
  }
};

struct FoldBatchNormPass : cnn::impl::CnnFoldBatchNormPassBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoProducer>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
