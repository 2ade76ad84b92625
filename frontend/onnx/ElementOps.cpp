//===- ElementOps.cpp - Activations, arithmetic and softmax from ONNX -----===//
//
// Element-wise ops map one to one where the DSL has the op; ONNX's more
// general forms (HardSigmoid's alpha/beta, Clip's bounds) are rewritten with
// the DSL's ops so that the numbers stay PyTorch's. Arithmetic on constants
// folds; a constant operand of run-time arithmetic becomes a rank-0
// `constant` (scalars) or a buffer named after its ONNX value.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"
#include "frontend/onnx/Ops.h"

#include <cmath>

namespace cnnopt::onnx_import {

namespace {

/// Emits `op` on tensors a (and b) with the result shape the rules give.
int unary(Importer &im, const std::string &op, int x, AttrMap attrs = {}) {
  return im.emit(op, {x}, std::move(attrs), shapes::ShapeOr{im.shapeOf(x), ""});
}

int binary(Importer &im, const std::string &op, int a, int b) {
  return im.emit(op, {a, b}, {}, shapes::broadcast(im.shapeOf(a), im.shapeOf(b)));
}

int scalar(Importer &im, double value) {
  return im.emit("constant", {}, {{"value", value}}, shapes::ShapeOr{{}, ""});
}

bool bind(Importer &im, int y) {
  if (y < 0)
    return false;
  im.setOutput(0, y);
  return true;
}

/// The common shape of single-input, attribute-free activations.
template <const char *Op>
bool convertActivation(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, Op, x));
}

constexpr char kRelu[] = "relu", kTanh[] = "tanh",
               kHardswish[] = "hardswish", kErf[] = "erf", kSoftsign[] = "softsign",
               kNeg[] = "neg";

/// ONNX's Softplus is log(exp(x) + 1): torch.nn.Softplus with beta 1 (its
/// threshold 20 changes the result by less than exp(-20)).
bool convertSoftplus(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  return x >= 0 &&
         bind(im, unary(im, "softplus", x, {{"beta", 1.0}, {"threshold", 20.0}}));
}

/// Sigmoid, or the gate of a GLU (Split's second half).
bool convertSigmoid(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  const Slot *in = im.input(0, true);
  if (!in)
    return false;
  if (in->glu) {
    if (in->glu->half != 1 || in->glu->sigmoid)
      return im.fail("Split's halves are supported only as GLU's Split -> Sigmoid -> Mul");
    GluPart gate = *in->glu;
    gate.sigmoid = true;
    im.setOutput(0, gate);
    return true;
  }
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, "sigmoid", x));
}

bool convertElu(Importer &im) {
  if (!im.checkAttributes({"alpha"}))
    return false;
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, "elu", x, {{"alpha", im.attrFloat("alpha", 1.0f)}}));
}

/// PRelu's slope is one value or one per channel ([C], [C, 1, 1], ...):
/// prelu's weight [num], named after the ONNX slope.
bool convertPRelu(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  const Constant *slope = x >= 0 ? im.constantInput(1, "the slope") : nullptr;
  if (!slope)
    return false;
  Shape xs = im.shapeOf(x);
  int64_t num = slope->size();
  bool perChannel = xs.size() >= 2 && num == xs[1] && num > 1;
  if (perChannel) {
    // [C] on rank 2, [C, 1...] aligned with axis 1 otherwise; before opset
    // 7 a [C] slope always meant axis 1 (PRelu's legacy broadcast).
    size_t leading = slope->dims.size() + 1;
    perChannel = !slope->dims.empty() && slope->dims[0] == num &&
                 (leading == xs.size() || (xs.size() == 2 && slope->dims.size() == 1) ||
                  (im.opset() < 7 && slope->dims.size() == 1));
  }
  if (!slope->isFloat || !(num == 1 || perChannel))
    return im.fail("the slope must be one value or one per channel (axis 1) of " +
                   shapes::format(xs) + ", got shape " + shapes::format(slope->dims));
  int w = im.param(im.inputName(1), Constant::ofFloats(slope->f, {num}), "weight", true);
  return w >= 0 && bind(im, im.emit("prelu", {x, w}, {}, shapes::ShapeOr{xs, ""}));
}

/// Ops without a DSL name, written with the DSL's: Sqrt is pow(x, 0.5)
/// (torch exports LayerNorm before opset 17 with it), Abs is relu(x) +
/// relu(-x) (exact: one term is zero; torch writes Softsign with it), and
/// Reciprocal is 1 / x.
bool convertSqrt(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, "pow", x, {{"exponent", 0.5}}));
}

bool convertAbs(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  int pos = x >= 0 ? unary(im, "relu", x) : -1;
  int neg = pos >= 0 ? unary(im, "neg", x) : -1;
  neg = neg >= 0 ? unary(im, "relu", neg) : -1;
  return neg >= 0 && bind(im, binary(im, "add", pos, neg));
}

bool convertReciprocal(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  int x = im.tensorInput(0);
  int one = x >= 0 ? scalar(im, 1.0) : -1;
  return one >= 0 && bind(im, binary(im, "div", one, x));
}

/// Pow with a constant scalar exponent (torch.pow(x, 2.0)); constants fold.
bool convertPow(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  const Slot *a = im.input(0), *b = a ? im.input(1) : nullptr;
  if (!b)
    return false;
  if (a->constant && b->constant)
    return foldArithmetic(im, "Pow", *a->constant, *b->constant);
  const Constant *e = im.constantInput(1, "the exponent");
  if (!e)
    return false;
  if (e->size() != 1)
    return im.fail("the exponent must be one value, got shape " + shapes::format(e->dims));
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, "pow", x, {{"exponent", e->at(0)}}));
}

bool convertLeakyRelu(Importer &im) {
  if (!im.checkAttributes({"alpha"}))
    return false;
  int x = im.tensorInput(0);
  return x >= 0 && bind(im, unary(im, "leaky_relu", x, {{"slope", im.attrFloat("alpha", 0.01f)}}));
}

bool convertHardSigmoid(Importer &im) {
  if (!im.checkAttributes({"alpha", "beta"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  double alpha = im.attrFloat("alpha", 0.2f), beta = im.attrFloat("beta", 0.5f);
  // PyTorch's hardsigmoid is clamp(x/6 + 1/2, 0, 1): ONNX's alpha = 1/6,
  // beta = 1/2 (to float precision). Other slopes scale the input first:
  // clamp(alpha*x + beta) = hardsigmoid(6*alpha*x + 6*(beta - 1/2)).
  if (std::abs(alpha - 1.0 / 6.0) > 1e-7 || beta != 0.5) {
    int scale = scalar(im, 6.0 * alpha), shift = scalar(im, 6.0 * (beta - 0.5));
    x = scale >= 0 && shift >= 0 ? binary(im, "mul", x, scale) : -1;
    x = x >= 0 ? binary(im, "add", x, shift) : -1;
    if (x < 0)
      return false;
  }
  return bind(im, unary(im, "hardsigmoid", x));
}

bool convertClip(Importer &im) {
  if (!im.checkAttributes({"min", "max"}))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  double lo = -INFINITY, hi = INFINITY;
  if (im.opset() < 11) {
    lo = im.attrFloat("min", -INFINITY);
    hi = im.attrFloat("max", INFINITY);
  } else {
    for (size_t k : {size_t(1), size_t(2)}) {
      if (!im.hasInput(k))
        continue;
      const Constant *c = im.constantInput(k, k == 1 ? "min" : "max");
      if (!c)
        return false;
      if (c->size() != 1)
        return im.fail("min and max must be scalars");
      (k == 1 ? lo : hi) = c->at(0);
    }
  }
  // ReLU and ReLU6 exactly; other bounds as relu(x - lo) + lo and
  // hi - relu(hi - y), which PyTorch's clamp matches to rounding.
  if (lo == 0 && hi == 6)
    return bind(im, unary(im, "relu6", x));
  if (lo == 0)
    x = unary(im, "relu", x);
  else if (std::isfinite(lo)) {
    int c = scalar(im, lo);
    x = c >= 0 ? binary(im, "sub", x, c) : -1;
    x = x >= 0 ? unary(im, "relu", x) : -1;
    x = x >= 0 ? binary(im, "add", x, c) : -1;
  }
  if (x >= 0 && std::isfinite(hi)) {
    int c = scalar(im, hi);
    x = c >= 0 ? binary(im, "sub", c, x) : -1;
    x = x >= 0 ? unary(im, "relu", x) : -1;
    x = x >= 0 ? binary(im, "sub", c, x) : -1;
  }
  return bind(im, x);
}

/// ONNX before opset 7 broadcasts B only with broadcast=1, aligned at `axis`.
bool legacyBroadcast(Importer &im, int a, int &b) {
  if (im.opset() >= 7 || !im.attrInt("broadcast", 0))
    return true;
  const Shape &as = im.shapeOf(a), &bs = im.shapeOf(b);
  int64_t axis = im.attrInt("axis", int64_t(as.size()) - int64_t(bs.size()));
  if (axis < 0 || axis + bs.size() > as.size())
    return im.fail("broadcast axis " + std::to_string(axis) + " does not fit " +
                   shapes::format(bs) + " into " + shapes::format(as));
  Shape target = bs;
  target.resize(as.size() - size_t(axis), 1);
  b = reshapeTensor(im, b, target);
  return b >= 0;
}

/// The operands of the current binary node as a run-time tensor and a float
/// constant (either order), with the constant's ONNX name; false when they
/// are not that.
struct TensorAndConstant {
  int tensor = -1;
  const Constant *constant = nullptr;
  std::string constantName;
};
bool tensorAndConstant(Importer &im, TensorAndConstant &out) {
  const Slot *a = im.input(0, true), *b = a ? im.input(1, true) : nullptr;
  if (!b)
    return false;
  bool first = a->tensor >= 0;
  const Slot *tensor = first ? a : b, *other = first ? b : a;
  if (tensor->tensor < 0 || !other->constant || !other->constant->isFloat)
    return false;
  out = {tensor->tensor, &*other->constant, im.inputName(first ? 1 : 0)};
  return true;
}

/// The affine step of torch's GroupNorm and (before opset 17) LayerNorm
/// exports, after groupNormFromReshape (ShapeOps.cpp) or foldLayerNorm
/// rebuilt the norm: Mul by a constant of the parameters' shape gives the
/// norm its weight (and a zero bias), Add of one then replaces that bias.
/// Returns true with the output bound, or false: `matched` says whether it
/// was the pattern (then false is an error).
bool foldNormAffine(Importer &im, const std::string &type, bool &matched) {
  matched = false;
  TensorAndConstant ops;
  if ((type != "Mul" && type != "Add") || !tensorAndConstant(im, ops))
    return false;
  int v = ops.tensor;
  const GraphNode *norm = im.lastNodeComputing(v);
  if (!norm || (norm->op != "group_norm" && norm->op != "layer_norm") || !im.usedOnlyHere(v))
    return false;
  bool affine = std::get<bool>(norm->attrs.at("affine"));
  Shape xs = im.shapeOf(v), paramShape, written;
  if (norm->op == "group_norm") { // [C], written [C, 1, 1]
    paramShape = {xs[1]};
    written = paramShape;
    written.resize(xs.size() - 1, 1);
  } else { // the normalised axes, as written
    paramShape.assign(xs.end() - std::get<int64_t>(norm->attrs.at("dims")), xs.end());
    written = paramShape;
  }
  const Constant &c = *ops.constant;
  if (c.dims != written || affine != (type == "Add"))
    return false;
  const std::string &name = ops.constantName;
  matched = true;
  if (type == "Add") { // the zero bias Mul gave it becomes this constant
    GraphParam *bias = im.paramAt(norm->operands[2]);
    im.replaceParam(*bias, name, c.f);
    im.setOutput(0, v);
    return true;
  }
  std::string op = norm->op;
  int x = norm->operands[0];
  AttrMap attrs = norm->attrs;
  attrs["affine"] = true;
  im.dropLastNode();
  int w = im.param(name, Constant::ofFloats(c.f, paramShape), "weight", true);
  int bias = w >= 0 ? im.param(name + "_bias",
                               Constant::ofFloats(std::vector<float>(c.f.size()), paramShape),
                               "bias", true)
                    : -1;
  return bind(im, bias >= 0 ? im.emit(op, {x, w, bias}, attrs, shapes::ShapeOr{xs, ""}) : -1);
}

/// torch.onnx.export before opset 17 writes LayerNorm as ReduceMean, Sub,
/// Pow 2, ReduceMean, Add eps, Sqrt, Div (then Mul and Add with its weight
/// and bias, foldNormAffine). At the Div, the nodes those became (the last
/// seven, eps's constant among them) are replaced by one layer_norm.
bool foldLayerNorm(Importer &im, const std::string &type, bool &matched) {
  matched = false;
  const Slot *a = im.input(0, true), *b = a ? im.input(1, true) : nullptr;
  if (!b || type != "Div" || a->tensor < 0 || b->tensor < 0)
    return false;
  auto is = [](const GraphNode *n, const char *op) { return n && n->op == op; };
  auto exponent = [](const GraphNode *n) { return std::get<double>(n->attrs.at("exponent")); };
  const GraphNode *root = im.lastNodeComputing(b->tensor, 0);
  if (!is(root, "pow") || exponent(root) != 0.5)
    return false;
  const GraphNode *plus = im.lastNodeComputing(root->operands[0], 1);
  if (!is(plus, "add"))
    return false;
  const GraphNode *eps = im.lastNodeComputing(plus->operands[1], 2);
  const GraphNode *var = im.lastNodeComputing(plus->operands[0], 3);
  if (!is(eps, "constant") || !is(var, "mean"))
    return false;
  const GraphNode *square = im.lastNodeComputing(var->operands[0], 4);
  if (!is(square, "pow") || exponent(square) != 2.0 || square->operands[0] != a->tensor)
    return false;
  const GraphNode *diff = im.lastNodeComputing(a->tensor, 5);
  if (!is(diff, "sub"))
    return false;
  const GraphNode *mean = im.lastNodeComputing(diff->operands[1], 6);
  int x = diff->operands[0];
  if (!is(mean, "mean") || mean->operands[0] != x)
    return false;
  // Both means over the same last axes, kept; every intermediate used only
  // inside the pattern.
  Shape xs = im.shapeOf(x);
  auto axes = std::get<std::vector<int64_t>>(mean->attrs.at("axes"));
  int64_t dims = int64_t(axes.size()), rank = int64_t(xs.size());
  for (int64_t k = 0; k < dims; ++k)
    if (axes[size_t(k)] != rank - dims + k)
      return false;
  if (axes != std::get<std::vector<int64_t>>(var->attrs.at("axes")) ||
      !std::get<bool>(mean->attrs.at("keepdim")) || !std::get<bool>(var->attrs.at("keepdim")) ||
      dims >= rank || !im.unusedLater(mean->result) || !im.unusedLater(a->tensor) ||
      !im.unusedLater(square->result) || !im.unusedLater(var->result) ||
      !im.unusedLater(plus->result) || !im.usedOnlyHere(b->tensor))
    return false;
  // (written as a float constant: 1e-5f back to 1e-5)
  double epsilon = shortestDecimal(float(std::get<double>(eps->attrs.at("value"))));
  matched = true;
  for (int k = 0; k < 7; ++k)
    im.dropLastNode();
  return bind(im, im.emit("layer_norm", {x}, {{"dims", dims}, {"eps", epsilon}, {"affine", false}},
                          shapes::layerNorm(xs, dims)));
}

/// torch exports nn.Linear on inputs of rank 3+ as MatMul then Add of the
/// bias: the Add becomes the linear's bias (a parameter, as in nn.Linear).
bool foldLinearBias(Importer &im, const std::string &type, bool &matched) {
  matched = false;
  TensorAndConstant ops;
  if (type != "Add" || !tensorAndConstant(im, ops))
    return false;
  int v = ops.tensor;
  const GraphNode *linear = im.lastNodeComputing(v);
  if (!linear || linear->op != "linear" || linear->operands.size() != 2 || !im.usedOnlyHere(v))
    return false;
  Shape ys = im.shapeOf(v);
  if (ops.constant->dims != Shape{ys.back()})
    return false;
  matched = true;
  std::vector<int> operands = linear->operands;
  im.dropLastNode();
  int bias = im.param(ops.constantName, *ops.constant, "bias", true);
  if (bias < 0)
    return false;
  operands.push_back(bias);
  return bind(im, im.emit("linear", operands, {}, shapes::ShapeOr{ys, ""}));
}

bool convertArithmetic(Importer &im) {
  if (!im.checkAttributes({"broadcast", "axis", "consumed_inputs"}))
    return false;
  const std::string &type = im.node().op_type();
  bool matched = false;
  bool folded = foldNormAffine(im, type, matched);
  if (!matched)
    folded = foldLinearBias(im, type, matched);
  if (!matched)
    folded = foldLayerNorm(im, type, matched);
  if (matched)
    return folded;
  bool mul = type == "Mul";
  const Slot *a = im.input(0, mul), *b = a ? im.input(1, mul) : nullptr;
  if (!b)
    return false;
  if (a->glu || b->glu) {
    // GLU: the first half times the sigmoid of the second, either order.
    const GluPart *value = a->glu && !a->glu->sigmoid ? &*a->glu : b->glu && !b->glu->sigmoid ? &*b->glu : nullptr;
    const GluPart *gate = a->glu && a->glu->sigmoid ? &*a->glu : b->glu && b->glu->sigmoid ? &*b->glu : nullptr;
    if (!value || !gate || value->half != 0 || value->source != gate->source ||
        value->axis != gate->axis)
      return im.fail("Split's halves are supported only as GLU's Split -> Sigmoid -> Mul");
    Shape xs = im.shapeOf(value->source);
    return bind(im, im.emit("glu", {value->source}, {{"axis", value->axis}},
                            shapes::glu(xs, value->axis)));
  }
  if (a->constant && b->constant)
    return foldArithmetic(im, type, *a->constant, *b->constant);
  int x = im.tensorInput(0), y = x >= 0 ? im.tensorInput(1) : -1;
  if (y < 0 || !legacyBroadcast(im, x, y))
    return false;
  static const std::map<std::string, std::string> ops{
      {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"}};
  return bind(im, binary(im, ops.at(type), x, y));
}

bool convertSoftmax(Importer &im) {
  if (!im.checkAttributes({"axis"}))
    return false;
  const char *op = im.node().op_type() == "Softmax" ? "softmax" : "log_softmax";
  const Slot *in = im.input(0, true);
  if (!in || in->glu)
    return in && im.fail("Split's halves are supported only as GLU's Split -> Sigmoid -> Mul");
  if (in->permuted) {
    // Over the transposed tensor's last axis: that is axis perm[last] of
    // the tensor itself, and the result stays transposed.
    const Permuted &p = *in->permuted;
    int64_t rank = int64_t(p.perm.size());
    std::optional<int64_t> axis =
        shapes::normalizeAxis(im.attrInt("axis", im.opset() < 13 ? 1 : -1), rank);
    if (!axis || *axis != rank - 1)
      return im.fail("a softmax of a transposed tensor must run over its last axis");
    int y = unary(im, op, p.tensor, {{"axis", p.perm.back()}});
    if (y < 0)
      return false;
    im.setOutput(0, Permuted{y, p.perm});
    return true;
  }
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  Shape xs = im.shapeOf(x);
  int64_t rank = int64_t(xs.size());
  std::optional<int64_t> axis =
      shapes::normalizeAxis(im.attrInt("axis", im.opset() < 13 ? 1 : -1), rank);
  if (!axis)
    return im.fail("axis " + std::to_string(im.attrInt("axis", 0)) +
                   " is out of range for " + shapes::format(xs));
  if (im.opset() >= 13 || *axis == rank - 1)
    return bind(im, unary(im, op, x, {{"axis", *axis}}));
  // Before opset 13 the input is seen as [prod(dims before axis), the rest]
  // and normalised over the whole rest.
  if (*axis == 0)
    return im.fail("axis 0 (over the whole batch) is not supported");
  int64_t rest = 1;
  for (int64_t k = *axis; k < rank; ++k)
    rest *= xs[k];
  Shape flat(xs.begin(), xs.begin() + *axis);
  flat.push_back(rest);
  int y = reshapeTensor(im, x, flat);
  y = y >= 0 ? unary(im, op, y, {{"axis", int64_t(flat.size() - 1)}}) : -1;
  return bind(im, y >= 0 ? reshapeTensor(im, y, xs) : -1);
}

bool convertDropout(Importer &im) {
  if (!im.checkAttributes({"ratio", "is_test", "seed", "consumed_inputs"}))
    return false;
  if (im.hasInput(2)) {
    const Constant *training = im.constantInput(2, "training_mode");
    if (!training)
      return false;
    if (training->size() && training->at(0) != 0)
      return im.fail("training_mode=true is not supported (inference only)");
  }
  if (!im.onlyOutputs(1))
    return false;
  int x = im.tensorInput(0);
  if (x < 0)
    return false;
  im.setOutput(0, x); // identity in inference
  return true;
}

bool convertIdentity(Importer &im) {
  if (!im.checkAttributes({}))
    return false;
  const Slot *in = im.input(0);
  if (!in)
    return false;
  if (in->constant)
    im.setOutput(0, *in->constant);
  else
    im.setOutput(0, in->tensor);
  return true;
}

} // namespace

void addElementConverters(std::map<std::string, Converter> &table) {
  table["Relu"] = convertActivation<kRelu>;
  table["Sigmoid"] = convertSigmoid;
  table["Elu"] = convertElu;
  table["Softplus"] = convertSoftplus;
  table["PRelu"] = convertPRelu;
  table["Pow"] = convertPow;
  table["Sqrt"] = convertSqrt;
  table["Abs"] = convertAbs;
  table["Reciprocal"] = convertReciprocal;
  table["Tanh"] = convertActivation<kTanh>;
  table["HardSwish"] = convertActivation<kHardswish>;
  table["Erf"] = convertActivation<kErf>;
  table["Softsign"] = convertActivation<kSoftsign>;
  table["Neg"] = convertActivation<kNeg>;
  table["LeakyRelu"] = convertLeakyRelu;
  table["HardSigmoid"] = convertHardSigmoid;
  table["Clip"] = convertClip;
  for (const char *op : {"Add", "Sub", "Mul", "Div"})
    table[op] = convertArithmetic;
  table["Softmax"] = convertSoftmax;
  table["LogSoftmax"] = convertSoftmax;
  table["Dropout"] = convertDropout;
  table["Identity"] = convertIdentity;
}

} // namespace cnnopt::onnx_import
