//===- Canonicalize.cpp - The cnn-canonicalize pass -----------------------===//
//
// The rules live with the ops (folders and patterns in dialect/CnnOps.cpp,
// declared by `hasFolder`/`hasCanonicalizer` in CnnOps.td); this pass only
// collects them and runs MLIR's greedy rewriter.
//===----------------------------------------------------------------------===//

#include "dialect/CnnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNCANONICALIZEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;

struct CanonicalizePass : cnn::impl::CnnCanonicalizePassBase<CanonicalizePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    Dialect *cnnDialect = context->getLoadedDialect<cnn::CnnDialect>();
    for (RegisteredOperationName op : context->getRegisteredOperations())
      if (&op.getDialect() == cnnDialect)
        op.getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
