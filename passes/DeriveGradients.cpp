//===- DeriveGradients.cpp - The cnn-derive-gradients pass ----------------===//
//
// Builds `<model>_train_step` from a train declaration's function (Passes.td
// says what it takes and returns) in four steps: the forward pass copied
// with batch_norm on batch statistics, the reverse sweep (one rule per op,
// GradientRules.cpp; derivatives of a value read twice add up), the
// optimizer's update of every parameter that got a derivative, and the
// results. Parameters off every path to the loss keep their value and
// their optimizer state, as torch.optim skips parameters without `grad`.
//===----------------------------------------------------------------------===//

#include "dialect/ArgAttrs.h"
#include "dialect/CnnOps.h"
#include "passes/GradientRules.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CNNDERIVEGRADIENTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::cnn

namespace {

using namespace mlir;
using namespace mlir::cnn;
using namespace cnnopt;

/// The optimizer of a train declaration (`cnn.optimizer`), with
/// torch.optim's defaults for what it leaves out.
struct Optimizer {
  std::string kind = "sgd";
  double momentum = 0, weightDecay = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool nesterov = false;

  explicit Optimizer(DictionaryAttr attrs) {
    if (!attrs)
      return;
    auto number = [&](StringRef key, double fallback) {
      auto value = attrs.getAs<FloatAttr>(key);
      return value ? value.getValueAsDouble() : fallback;
    };
    if (auto k = attrs.getAs<StringAttr>("kind"))
      kind = k.str();
    momentum = number("momentum", 0.0);
    weightDecay = number("weight_decay", kind == "adamw" ? 0.01 : 0.0);
    beta1 = number("beta1", 0.9);
    beta2 = number("beta2", 0.999);
    eps = number("eps", 1e-8);
    if (auto n = attrs.getAs<BoolAttr>("nesterov"))
      nesterov = n.getValue();
  }

  /// The state each parameter keeps, by name suffix.
  SmallVector<StringRef, 2> stateNames() const {
    if (kind == "adam" || kind == "adamw")
      return {"exp_avg", "exp_avg_sq"};
    if (momentum != 0.0)
      return {"momentum_buffer"};
    return {};
  }
};

/// One argument of the training step being built.
struct StepArg {
  Type type;
  DictionaryAttr attrs;
};

class TrainStepBuilder {
public:
  TrainStepBuilder(func::FuncOp train, StringRef model, bool inputGradients)
      : train(train), model(model.str()), b(train.getContext()),
        optimizer(train->getAttrOfType<DictionaryAttr>("cnn.optimizer")),
        inputGradients(inputGradients) {}

  LogicalResult build() {
    if (failed(checkOptimizer()))
      return failure();
    findTrainable();
    createFunction();
    if (failed(copyForward()) || failed(reverseSweep()))
      return failure();
    updateParameters();
    if (inputGradients)
      returnGradients();
    finish();
    return success();
  }

private:
  LogicalResult checkOptimizer() {
    if (optimizer.kind != "sgd" && optimizer.kind != "adam" && optimizer.kind != "adamw")
      return train.emitError() << "cnn-derive-gradients: unknown optimizer '" << optimizer.kind
                               << "'";
    if (optimizer.nesterov && optimizer.momentum == 0.0)
      return train.emitError("cnn-derive-gradients: nesterov needs a momentum");
    return success();
  }

  StringAttr argName(unsigned k, const char *attr) {
    return train.getArgAttrOfType<StringAttr>(k, attr);
  }

  /// The trainable parameters the loss depends on: those that get a
  /// derivative, and optimizer state.
  void findTrainable() {
    llvm::DenseSet<Value> reached;
    for (BlockArgument arg : train.getArguments())
      if (argName(arg.getArgNumber(), kParamAttr))
        reached.insert(arg);
    Block &body = train.getBody().front();
    llvm::DenseSet<Value> feedsLoss;
    feedsLoss.insert(body.getTerminator()->getOperand(0));
    for (Operation &op : llvm::reverse(body.without_terminator()))
      if (feedsLoss.contains(op.getResult(0)))
        for (Value operand : op.getOperands())
          feedsLoss.insert(operand);
    for (BlockArgument arg : train.getArguments())
      if (reached.contains(arg) && feedsLoss.contains(arg))
        trainable.push_back(arg.getArgNumber());
  }

  /// Arguments: the train function's inputs, lr, step and seed, its
  /// parameters and buffers, then the optimizer state.
  void createFunction() {
    SmallVector<StepArg> args;
    auto named = [&](const char *key, StringRef value) {
      return b.getDictionaryAttr(b.getNamedAttr(key, b.getStringAttr(value)));
    };
    for (BlockArgument arg : train.getArguments())
      if (argName(arg.getArgNumber(), kInputAttr))
        args.push_back({arg.getType(), train.getArgAttrDict(arg.getArgNumber())});
    Type f32 = RankedTensorType::get({}, b.getF32Type());
    Type i32 = RankedTensorType::get({}, b.getI32Type());
    lrIndex = args.size();
    args.push_back({f32, named(kInputAttr, "lr")});
    args.push_back({i32, named(kInputAttr, "step")});
    args.push_back({i32, named(kInputAttr, "seed")});
    for (BlockArgument arg : train.getArguments())
      if (!argName(arg.getArgNumber(), kInputAttr))
        args.push_back({arg.getType(), train.getArgAttrDict(arg.getArgNumber())});
    for (unsigned k : trainable) {
      StringRef param = argName(k, kParamAttr).getValue();
      for (StringRef state : optimizer.stateNames()) {
        std::string name = (param + "." + state).str();
        args.push_back({train.getArgument(k).getType(),
                        b.getDictionaryAttr({b.getNamedAttr(kInputAttr, b.getStringAttr(name)),
                                             b.getNamedAttr(kOptStateAttr, b.getStringAttr(param))})});
        stateNames.push_back(name);
      }
    }
    SmallVector<Type> types;
    SmallVector<Attribute> attrs;
    for (const StepArg &arg : args) {
      types.push_back(arg.type);
      attrs.push_back(arg.attrs ? arg.attrs : b.getDictionaryAttr({}));
    }
    b.setInsertionPointAfter(train);
    step = b.create<func::FuncOp>(train.getLoc(), model + "_train_step",
                                  b.getFunctionType(types, {}));
    step.setAllArgAttrs(attrs);
    Block *entry = step.addEntryBlock();
    b.setInsertionPointToStart(entry);

    // Map the train function's arguments onto the step's.
    unsigned next = 0;
    for (BlockArgument arg : train.getArguments())
      if (argName(arg.getArgNumber(), kInputAttr))
        mapping.map(arg, entry->getArgument(next++));
    next += 3;
    for (BlockArgument arg : train.getArguments())
      if (!argName(arg.getArgNumber(), kInputAttr)) {
        mapping.map(arg, entry->getArgument(next));
        StringAttr name = argName(arg.getArgNumber(), kParamAttr);
        if (!name)
          name = argName(arg.getArgNumber(), kBufferAttr);
        argumentByName[name.getValue()] = entry->getArgument(next++);
      }
    for (const std::string &name : stateNames)
      argumentByName[name] = entry->getArgument(next++);
  }

  Value lr() { return step.getArgument(lrIndex); }
  Value stepCount() { return step.getArgument(lrIndex + 1); }
  Value seed() { return step.getArgument(lrIndex + 2); }

  /// Records `value` as the new value of the argument `name`.
  void updates(Value argument, Value value) {
    for (auto &[name, arg] : argumentByName)
      if (arg == argument) {
        newValues.push_back({name.str(), value});
        return;
      }
  }

  /// The forward pass in training mode.
  LogicalResult copyForward() {
    for (Operation &op : train.getBody().front().without_terminator()) {
      if (auto bn = dyn_cast<BatchNormOp>(op); bn && bn.getTraining()) {
        trainingBatchNorm(bn);
        continue;
      }
      if (isa<DropoutOp, DropBlockOp, StochasticDepthOp>(op) && op.hasAttr("training")) {
        trainingRegularizer(op);
        continue;
      }
      forward.push_back(b.clone(op, mapping));
    }
    loss = mapping.lookup(train.getBody().front().getTerminator()->getOperand(0));
    return success();
  }

  /// batch_norm in training: normalise with the batch's statistics, and
  /// update the running ones as PyTorch does (the variance unbiased).
  void trainingBatchNorm(BatchNormOp bn) {
    Location loc = bn.getLoc();
    Value input = mapping.lookup(bn.getInput());
    Value stats = b.create<BatchNormStatsOp>(loc, input);
    Value weight = bn.getWeight() ? mapping.lookup(bn.getWeight()) : Value();
    Value bias = bn.getBias() ? mapping.lookup(bn.getBias()) : Value();
    auto normalised = b.create<BatchNormTrainOp>(loc, input, stats, weight, bias, bn.getEpsAttr());
    forward.push_back(stats.getDefiningOp());
    forward.push_back(normalised);
    mapping.map(bn.getResult(), normalised.getResult());
    Value mean = mapping.lookup(bn.getRunningMean()), var = mapping.lookup(bn.getRunningVar());
    updates(mean, b.create<RunningAverageOp>(loc, mean, stats, b.getI64IntegerAttr(0),
                                             bn.getMomentumAttr()));
    updates(var, b.create<RunningAverageOp>(loc, var, stats, b.getI64IntegerAttr(2),
                                            bn.getMomentumAttr()));
    // num_batches_tracked follows the running statistics in the state_dict.
    auto counter = argumentByName.find(counterName(bn));
    if (counter != argumentByName.end())
      updates(counter->second, b.create<IncrementOp>(loc, counter->second));
  }

  /// A regulariser in training: its input times a random mask, whose
  /// derivative is then mul's. The salt (the op's position) gives each
  /// regulariser draws of its own.
  void trainingRegularizer(Operation &op) {
    Location loc = op.getLoc();
    Value input = mapping.lookup(op.getOperand(0));
    auto p = op.getAttrOfType<FloatAttr>("p");
    auto blockSize = op.getAttrOfType<IntegerAttr>("block_size");
    StringRef kind = isa<DropoutOp>(op)       ? "dropout"
                     : isa<DropBlockOp>(op) ? "dropblock"
                                            : "stochastic_depth";
    Value mask = b.create<RandomMaskOp>(loc, input, seed(), stepCount(), b.getStringAttr(kind), p,
                                        b.getI64IntegerAttr(blockSize ? blockSize.getInt() : 0),
                                        b.getI64IntegerAttr(nextSalt++));
    auto masked = b.create<MulOp>(loc, input, mask);
    forward.push_back(mask.getDefiningOp());
    forward.push_back(masked);
    mapping.map(op.getResult(0), masked.getResult());
  }

  /// "<scope>.num_batches_tracked" for the scope of `bn`'s running_mean.
  std::string counterName(BatchNormOp bn) {
    auto arg = dyn_cast<BlockArgument>(bn.getRunningMean());
    StringAttr mean = arg ? argName(arg.getArgNumber(), kBufferAttr) : StringAttr();
    if (!mean)
      return "";
    StringRef scope = mean.getValue();
    scope.consume_back("running_mean");
    return (scope + "num_batches_tracked").str();
  }

  /// The derivative of the loss with respect to every value on a path
  /// from a trainable parameter, last op first.
  LogicalResult reverseSweep() {
    llvm::DenseSet<Value> sources;
    for (unsigned k : trainable)
      sources.insert(mapping.lookup(train.getArgument(k)));
    if (inputGradients)
      for (BlockArgument arg : train.getArguments())
        if (argName(arg.getArgNumber(), kInputAttr) &&
            cast<RankedTensorType>(arg.getType()).getElementType().isF32())
          sources.insert(mapping.lookup(arg));
    grads[loss] = b.create<ConstantOp>(train.getLoc(), loss.getType(), b.getF64FloatAttr(1.0));
    return propagateGradients(b, forward, sources, grads);
  }

  /// torch.optim's update of each parameter that got a derivative.
  void updateParameters() {
    for (unsigned k : trainable) {
      Value param = mapping.lookup(train.getArgument(k));
      Value grad = grads.lookup(param);
      if (!grad)
        continue;
      Location loc = train.getArgument(k).getLoc();
      StringRef name = argName(k, kParamAttr).getValue();
      auto state = [&](StringRef suffix) {
        return argumentByName.lookup((name + "." + suffix).str());
      };
      FloatAttr wd = b.getF64FloatAttr(optimizer.weightDecay);
      if (optimizer.kind == "sgd") {
        FloatAttr momentum = b.getF64FloatAttr(optimizer.momentum);
        Value buffer;
        if (optimizer.momentum != 0.0) {
          Value old = state("momentum_buffer");
          buffer = b.create<SgdMomentumOp>(loc, old, grad, param, stepCount(), momentum, wd);
          updates(old, buffer);
        }
        UnitAttr nesterov = optimizer.nesterov ? b.getUnitAttr() : UnitAttr();
        updates(param, b.create<SgdStepOp>(loc, param, grad, lr(), buffer, momentum, wd, nesterov));
        continue;
      }
      // Adam couples the decay into the gradient, AdamW decays the weights.
      bool decoupled = optimizer.kind == "adamw";
      FloatAttr coupled = b.getF64FloatAttr(decoupled ? 0.0 : optimizer.weightDecay);
      Value m = state("exp_avg"), v = state("exp_avg_sq");
      Value newM = b.create<AdamMomentOp>(loc, m, grad, param, b.getF64FloatAttr(optimizer.beta1),
                                          b.getI64IntegerAttr(1), coupled);
      Value newV = b.create<AdamMomentOp>(loc, v, grad, param, b.getF64FloatAttr(optimizer.beta2),
                                          b.getI64IntegerAttr(2), coupled);
      updates(m, newM);
      updates(v, newV);
      updates(param, b.create<AdamStepOp>(
                         loc, param, newM, newV, lr(), stepCount(),
                         b.getF64FloatAttr(optimizer.beta1), b.getF64FloatAttr(optimizer.beta2),
                         b.getF64FloatAttr(optimizer.eps),
                         b.getF64FloatAttr(decoupled ? optimizer.weightDecay : 0.0)));
    }
  }

  /// With input-gradients: `<name>.grad` of every f32 input and trainable
  /// parameter that has a derivative.
  void returnGradients() {
    for (BlockArgument arg : train.getArguments()) {
      StringAttr name = argName(arg.getArgNumber(), kInputAttr);
      if (!name)
        name = argName(arg.getArgNumber(), kParamAttr);
      Value grad = grads.lookup(mapping.lookup(arg));
      if (name && grad)
        gradients.push_back({(name.getValue() + ".grad").str(), grad});
    }
  }

  /// Returns the loss, then every new value, each named after what it replaces.
  void finish() {
    SmallVector<Value> results{loss};
    SmallVector<Attribute> attrs{
        b.getDictionaryAttr(b.getNamedAttr(kOutputAttr, b.getStringAttr("loss")))};
    for (const auto &[name, value] : newValues) {
      results.push_back(value);
      attrs.push_back(b.getDictionaryAttr({b.getNamedAttr(kOutputAttr, b.getStringAttr(name)),
                                           b.getNamedAttr(kUpdatesAttr, b.getStringAttr(name))}));
    }
    for (const auto &[name, value] : gradients) {
      results.push_back(value);
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(kOutputAttr, b.getStringAttr(name))));
    }
    b.create<func::ReturnOp>(train.getLoc(), results);
    SmallVector<Type> types;
    for (Value v : results)
      types.push_back(v.getType());
    step.setFunctionType(b.getFunctionType(step.getArgumentTypes(), types));
    step.setAllResultAttrs(attrs);
    step->setAttr("cnn.train_step_of", b.getStringAttr(model));
  }

  func::FuncOp train;
  std::string model;
  OpBuilder b;
  Optimizer optimizer;
  SmallVector<unsigned> trainable; ///< train-function argument numbers
  SmallVector<std::string> stateNames;
  func::FuncOp step;
  unsigned lrIndex = 0;
  IRMapping mapping; ///< train function -> step
  llvm::StringMap<Value> argumentByName;
  SmallVector<Operation *> forward; ///< the step's forward ops, in order
  Value loss;
  llvm::DenseMap<Value, Value> grads;
  SmallVector<std::pair<std::string, Value>> newValues;
  bool inputGradients;
  SmallVector<std::pair<std::string, Value>> gradients;
  int64_t nextSalt = 0;
};

struct CnnDeriveGradientsPass
    : mlir::cnn::impl::CnnDeriveGradientsPassBase<CnnDeriveGradientsPass> {
  using CnnDeriveGradientsPassBase::CnnDeriveGradientsPassBase;
  void runOnOperation() override {
    SmallVector<func::FuncOp> trains;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr("cnn.train_of"))
        trains.push_back(func);
    for (func::FuncOp train : trains) {
      StringRef model = train->getAttrOfType<StringAttr>("cnn.train_of").getValue();
      if (failed(TrainStepBuilder(train, model, inputGradients).build()))
        return signalPassFailure();
    }
  }
};

} // namespace
