//===- SelectConvAlgorithm.cpp - The cnn-select-conv-algorithm pass -------===//
//
// Reads each conv's shape facts, asks passes/ConvCostModel.cpp, and writes
// the `algorithm` attribute; `algorithm=` options override per model or per
// layer (see Passes.td).
//===----------------------------------------------------------------------===//

#include "dialect/CnnOps.h"
#include "passes/ConvCostModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>
#include <set>

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNSELECTCONVALGORITHMPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;
using namespace mlir::cnn;

template <typename ConvOp> cnnopt::ConvShape shapeOf(ConvOp conv) {
  auto input = cast<RankedTensorType>(conv.getInput().getType()).getShape();
  auto weight = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
  auto result = cast<RankedTensorType>(conv.getType()).getShape();
  cnnopt::ConvShape s;
  s.inChannels = input[1];
  s.outChannels = weight[0];
  s.groups = conv.getGroups();
  s.kernelH = weight[2];
  s.kernelW = weight[3];
  s.strideH = conv.getStride()[0];
  s.strideW = conv.getStride()[1];
  s.dilationH = conv.getDilation()[0];
  s.dilationW = conv.getDilation()[1];
  s.outH = result[2];
  s.outW = result[3];
  s.padded = llvm::any_of(conv.getPadding(), [](int64_t p) { return p != 0; });
  return s;
}

std::string describe(const cnnopt::ConvShape &s) {
  return std::to_string(s.kernelH) + "x" + std::to_string(s.kernelW) + " kernel, stride " +
         std::to_string(s.strideH) + "x" + std::to_string(s.strideW) + ", dilation " +
         std::to_string(s.dilationH) + "x" + std::to_string(s.dilationW) + ", groups " +
         std::to_string(s.groups) + ", " + std::to_string(s.inChannels) + " input channels" +
         (s.padded ? ", padded" : "");
}

std::string scopeOf(Operation *op) {
  if (auto named = dyn_cast<NameLoc>(op->getLoc()))
    return named.getName().str();
  return "";
}

struct SelectConvAlgorithmPass
    : cnn::impl::CnnSelectConvAlgorithmPassBase<SelectConvAlgorithmPass> {
  using CnnSelectConvAlgorithmPassBase::CnnSelectConvAlgorithmPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string everywhere = "auto";
    std::map<std::string, std::string> byScope;
    for (const std::string &spec : algorithms) {
      StringRef scope, name = spec;
      if (size_t eq = StringRef(spec).rfind('='); eq != StringRef::npos) {
        scope = StringRef(spec).take_front(eq);
        name = StringRef(spec).drop_front(eq + 1);
      }
      if (name != "auto" && !llvm::is_contained(cnnopt::convAlgorithmNames(), name.str())) {
        module.emitError() << "unknown conv algorithm '" << name
                           << "' (expected auto, direct, gemm, depthwise, "
                              "winograd_2x2_3x3 or winograd_4x4_3x3)";
        return signalPassFailure();
      }
      if (scope.empty())
        everywhere = name.str();
      else
        byScope[scope.str()] = name.str();
    }

    cnnopt::CostContext context;
    context.vectorWidth = vectorWidth;
    std::set<std::string> found;
    WalkResult walk = module.walk([&](Operation *op) {
      cnnopt::ConvShape shape;
      if (auto conv = dyn_cast<Conv2dOp>(op))
        shape = shapeOf(conv);
      else if (auto fused = dyn_cast<FusedConv2dOp>(op))
        shape = shapeOf(fused);
      else
        return WalkResult::advance();
      std::string chosen = cnnopt::cheapestAlgorithm(shape, context);
      auto forced = byScope.find(scopeOf(op));
      if (forced != byScope.end()) {
        found.insert(forced->first);
        if (forced->second != "auto") {
          if (std::optional<std::string> why = cnnopt::whyIllegal(forced->second, shape)) {
            op->emitError() << "conv '" << forced->first << "' cannot use " << forced->second
                            << ": " << *why << " (it has a " << describe(shape) << ")";
            return WalkResult::interrupt();
          }
          chosen = forced->second;
        }
      } else if (everywhere != "auto" && !cnnopt::whyIllegal(everywhere, shape)) {
        chosen = everywhere;
      }
      op->setAttr("algorithm",
                  ConvAlgorithmAttr::get(op->getContext(), *symbolizeConvAlgorithm(chosen)));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (const auto &[scope, name] : byScope)
      if (!found.count(scope)) {
        module.emitError() << "no conv is named '" << scope << "' (conv algorithm override '"
                           << scope << "=" << name << "')";
        return signalPassFailure();
      }
  }
};

} // namespace
