//===- GradCam.cpp - The cnn-grad-cam pass ---------------------------------===//
//
// Builds `<model>_grad_cam` (Passes.td): the forward pass copied, a reverse
// sweep from one-hot class scores back to the chosen layer's output, and
// the map ReLU(sum_c mean_hw(dScore/dA_c) * A_c) of the seed document.
//===----------------------------------------------------------------------===//

#include "dialect/ArgAttrs.h"
#include "dialect/CnnOps.h"
#include "passes/GradientRules.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNGRADCAMPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;
using namespace mlir::cnn;

bool isModel(func::FuncOp f) {
  return !f->hasAttr("cnn.train_of") && !f->hasAttr("cnn.train_step_of") &&
         !f->hasAttr("cnn.grad_cam_of");
}

struct CnnGradCamPass : mlir::cnn::impl::CnnGradCamPassBase<CnnGradCamPass> {
  using CnnGradCamPassBase::CnnGradCamPassBase;

  void runOnOperation() override {
    SmallVector<func::FuncOp> models;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (isModel(f) && (this->model.empty() || f.getSymName() == this->model))
        models.push_back(f);
    if (models.size() != 1) {
      getOperation().emitError() << "cnn-grad-cam: "
                                 << (models.empty() ? "no model '" + this->model + "'"
                                                    : std::string("several models; name one"));
      return signalPassFailure();
    }
    func::FuncOp model = models.front();
    if (failed(build(model)))
      signalPassFailure();
  }

  LogicalResult build(func::FuncOp model) {
    auto logitsType = model.getNumResults() ? dyn_cast<RankedTensorType>(model.getResultTypes()[0])
                                            : RankedTensorType();
    if (!logitsType || logitsType.getRank() != 2)
      return model.emitError("cnn-grad-cam: the model's first output must be [N, classes]");
    OpBuilder b(model.getContext());
    Type classType = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
    SmallVector<Type> types;
    SmallVector<Attribute> attrs;
    unsigned inputs = 0;
    for (BlockArgument arg : model.getArguments())
      if (model.getArgAttr(arg.getArgNumber(), cnnopt::kInputAttr))
        ++inputs;
    for (unsigned k = 0; k < model.getNumArguments(); ++k) {
      if (k == inputs) {
        types.push_back(classType);
        attrs.push_back(b.getDictionaryAttr(
            b.getNamedAttr(cnnopt::kInputAttr, b.getStringAttr("class"))));
      }
      types.push_back(model.getArgumentTypes()[k]);
      attrs.push_back(model.getArgAttrDict(k) ? model.getArgAttrDict(k) : b.getDictionaryAttr({}));
    }
    b.setInsertionPointAfter(model);
    auto cam = b.create<func::FuncOp>(model.getLoc(), (model.getSymName() + "_grad_cam").str(),
                                      b.getFunctionType(types, {}));
    cam.setAllArgAttrs(attrs);
    Block *entry = cam.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (unsigned k = 0, next = 0; k < model.getNumArguments(); ++k, ++next) {
      if (k == inputs)
        ++next; // class
      mapping.map(model.getArgument(k), entry->getArgument(next));
    }
    Value classes = entry->getArgument(inputs);

    // The forward pass, and the layer.
    SmallVector<Operation *> forward;
    Value layer;
    for (Operation &op : model.getBody().front().without_terminator()) {
      Operation *copy = b.clone(op, mapping);
      forward.push_back(copy);
      auto named = dyn_cast<NameLoc>(op.getLoc());
      auto type = dyn_cast<RankedTensorType>(copy->getResult(0).getType());
      if (named && named.getName() == scope && type && type.getRank() == 4)
        layer = copy->getResult(0);
    }
    if (!layer)
      return model.emitError() << "cnn-grad-cam: no layer named '" << scope
                               << "' with a 4-D output in model " << model.getSymName();
    Value logits = mapping.lookup(model.getBody().front().getTerminator()->getOperand(0));

    // d score / d logits is one-hot; sweep back to the layer only.
    llvm::DenseMap<Value, Value> grads;
    Location loc = cam.getLoc();
    grads[logits] = b.create<OneHotOp>(loc, classes, b.getI64IntegerAttr(logitsType.getDimSize(1)));
    if (failed(cnnopt::propagateGradients(b, forward, {layer}, grads)))
      return failure();
    Value dLayer = grads.lookup(layer);
    if (!dLayer)
      return model.emitError() << "cnn-grad-cam: the class scores do not depend on '" << scope
                               << "'";
    // weights = mean over the map; heatmap = relu(sum_c weights * A).
    Value weights = b.create<MeanOp>(loc, dLayer, b.getDenseI64ArrayAttr({2, 3}),
                                     b.getBoolAttr(true));
    Value weighted = b.create<MulOp>(loc, layer, weights);
    Value summed = b.create<ReduceSumOp>(loc, weighted, b.getDenseI64ArrayAttr({1}),
                                         b.getBoolAttr(true));
    Value heatmap = b.create<ReluOp>(loc, summed);
    b.create<func::ReturnOp>(loc, heatmap);
    cam.setFunctionType(b.getFunctionType(types, {heatmap.getType()}));
    cam.setResultAttr(0, cnnopt::kOutputAttr, b.getStringAttr("heatmap"));
    cam->setAttr("cnn.grad_cam_of", b.getStringAttr(model.getSymName()));
    return success();
  }
};

} // namespace
