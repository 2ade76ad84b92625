//===- ElaborateTest.cpp - Elaboration of valid programs ------------------===//
//
// The SimpleCNN example of DSL.md, the scope (state_dict naming) rules,
// compile-time control flow and arithmetic, attribute normalisation and the
// node contract of Graph.h.
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

using namespace cnnopt;
using namespace cnnopt::test;

namespace {

using Strings = std::vector<std::string>;
using Ints = std::vector<int64_t>;

const char *kSimpleCnn = R"(
# SimpleCNN: three conv stages and a linear classifier.
block ConvBNReLU(x, out: int, k: int = 3, stride: int = 1) {
  conv = conv2d(x, out, kernel=k, stride=stride, padding=k / 2, bias=false)
  bn = batch_norm(conv)
  return relu(bn)
}

model SimpleCNN(x: f32[N, 3, 32, 32]) {
  s1 = ConvBNReLU(x, 32)
  p1 = max_pool2d(s1, 2)
  s2 = ConvBNReLU(p1, 64)
  p2 = max_pool2d(s2, 2)
  s3 = ConvBNReLU(p2, 128)
  g = flatten(adaptive_avg_pool2d(s3, 1))
  logits = linear(g, 10)
  return logits
}

train SimpleCNN(labels: i32[N]) {
  loss = cross_entropy(logits, labels)
  optimizer = sgd(momentum=0.9, weight_decay=5e-4)
}
)";

TEST(Elaborate, SimpleCnnParametersAndShapes) {
  Program p = compileOk(kSimpleCnn);
  ASSERT_EQ(p.models.size(), 1u);
  const ModelGraph &m = p.models[0];
  EXPECT_EQ(m.name, "SimpleCNN");
  EXPECT_FALSE(m.isTrain);
  Strings expected;
  const char *stages[] = {"s1", "s2", "s3"};
  const char *in[] = {"3", "32", "64"};
  const char *out[] = {"32", "64", "128"};
  for (int s = 0; s < 3; ++s) {
    std::string c = out[s];
    expected.push_back(std::string(stages[s]) + ".conv.weight [" + c + "," +
                       in[s] + ",3,3]");
    for (const char *r : {"weight", "bias", "running_mean", "running_var"})
      expected.push_back(std::string(stages[s]) + ".bn." + r + " [" + c + "]");
    expected.push_back(std::string(stages[s]) + ".bn.num_batches_tracked []");
  }
  expected.push_back("logits.weight [10,128]");
  expected.push_back("logits.bias [10]");
  EXPECT_EQ(paramList(m), expected);

  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].name, "x");
  EXPECT_EQ(m.inputs[0].batchName, "N");
  EXPECT_EQ(m.values[m.inputs[0].value].shape, (Shape{kDynamic, 3, 32, 32}));
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].name, "logits");
  EXPECT_EQ(outShape(m), "[N,10]");
  EXPECT_EQ(nodeOps(m),
            (Strings{"conv2d", "batch_norm", "relu", "max_pool2d", "conv2d",
                     "batch_norm", "relu", "max_pool2d", "conv2d",
                     "batch_norm", "relu", "adaptive_avg_pool2d", "flatten",
                     "linear"}));

  const GraphNode &conv = nodeOf(m, "conv2d", 2);
  EXPECT_EQ(conv.name, "s3.conv");
  EXPECT_EQ(conv.operands.size(), 2u); // x, weight (no bias)
  EXPECT_EQ(std::get<Ints>(conv.attrs.at("padding")), (Ints{1, 1, 1, 1}));
  EXPECT_EQ(std::get<Ints>(conv.attrs.at("stride")), (Ints{1, 1}));
  EXPECT_EQ(std::get<Ints>(conv.attrs.at("dilation")), (Ints{1, 1}));
  EXPECT_EQ(std::get<int64_t>(conv.attrs.at("groups")), 1);
  EXPECT_EQ(conv.loc.line, 4u);
  EXPECT_EQ(conv.loc.col, 10u);
  EXPECT_EQ(conv.loc.file, "t.cnn");
  EXPECT_EQ(m.values[conv.result].shape, (Shape{kDynamic, 128, 8, 8}));

  const GraphNode &pool = nodeOf(m, "max_pool2d");
  EXPECT_EQ(std::get<Ints>(pool.attrs.at("kernel")), (Ints{2, 2}));
  EXPECT_EQ(std::get<Ints>(pool.attrs.at("stride")), (Ints{2, 2}));
  EXPECT_EQ(std::get<Ints>(pool.attrs.at("padding")), (Ints{0, 0}));
  EXPECT_EQ(std::get<bool>(pool.attrs.at("ceil_mode")), false);
  EXPECT_EQ(pool.name, "p1");

  const GraphNode &bn = nodeOf(m, "batch_norm");
  ASSERT_EQ(bn.operands.size(), 5u); // x, weight, bias, mean, var
  EXPECT_DOUBLE_EQ(std::get<double>(bn.attrs.at("eps")), 1e-5);
  EXPECT_DOUBLE_EQ(std::get<double>(bn.attrs.at("momentum")), 0.1);
  EXPECT_TRUE(std::get<bool>(bn.attrs.at("affine")));
  const GraphParam &tracked = m.params[5];
  EXPECT_EQ(tracked.role, "num_batches_tracked");
  EXPECT_FALSE(tracked.trainable);
  EXPECT_EQ(m.values[tracked.value].dtype, DType::I64);
  for (int id : bn.operands)
    EXPECT_NE(id, tracked.value);
  EXPECT_FALSE(m.params[3].trainable); // running_mean
  EXPECT_TRUE(m.params[1].trainable);  // bn weight
}

TEST(Elaborate, SimpleCnnTrainDeclaration) {
  Program p = compileOk(kSimpleCnn);
  ASSERT_EQ(p.trains.size(), 1u);
  const ModelGraph &t = p.trains[0];
  EXPECT_TRUE(t.isTrain);
  EXPECT_EQ(t.name, "SimpleCNN");
  ASSERT_EQ(t.inputs.size(), 2u);
  EXPECT_EQ(t.inputs[1].name, "labels");
  EXPECT_EQ(t.values[t.inputs[1].value].dtype, DType::I32);
  EXPECT_EQ(t.params.size(), p.models[0].params.size());
  EXPECT_EQ(t.nodes.size(), p.models[0].nodes.size() + 1);
  EXPECT_EQ(t.nodes.back().op, "cross_entropy");
  EXPECT_DOUBLE_EQ(std::get<double>(t.nodes.back().attrs.at("label_smoothing")),
                   0.0);
  ASSERT_EQ(t.outputs.size(), 1u);
  EXPECT_EQ(t.outputs[0].name, "loss");
  EXPECT_EQ(outShape(t), "[]");
  ASSERT_TRUE(t.optimizer.has_value());
  EXPECT_EQ(t.optimizer->kind, "sgd");
  EXPECT_DOUBLE_EQ(std::get<double>(t.optimizer->attrs.at("momentum")), 0.9);
  EXPECT_DOUBLE_EQ(std::get<double>(t.optimizer->attrs.at("weight_decay")),
                   5e-4);
  EXPECT_FALSE(std::get<bool>(t.optimizer->attrs.at("nesterov")));
  EXPECT_EQ(t.loc.line, 20u);
}

TEST(Elaborate, OptimizerDefaults) {
  Program p = compileOk(std::string(R"(
model M(x: f32[N, 4]) {
  y = linear(x, 2)
  return y
}
train M(t: f32[N, 2]) {
  loss = mse_loss(y, t)
  optimizer = adamw(weight_decay=0.01)
}
)"));
  ASSERT_EQ(p.trains.size(), 1u);
  const OptimizerSpec &o = *p.trains[0].optimizer;
  EXPECT_EQ(o.kind, "adamw");
  EXPECT_DOUBLE_EQ(std::get<double>(o.attrs.at("beta1")), 0.9);
  EXPECT_DOUBLE_EQ(std::get<double>(o.attrs.at("beta2")), 0.999);
  EXPECT_DOUBLE_EQ(std::get<double>(o.attrs.at("eps")), 1e-8);
  EXPECT_DOUBLE_EQ(std::get<double>(o.attrs.at("weight_decay")), 0.01);
}

//===----------------------------------------------------------------------===//
// Scopes
//===----------------------------------------------------------------------===//

TEST(Elaborate, AutomaticDuplicatesGetSuffixes) {
  Program p = compileOk(inModel(R"(
  h = conv2d(x, 4, 3, bias=false)
  h = relu(h)
  h = conv2d(h, 4, 3, bias=false)
  a = conv2d(h, 4, 3, bias=false, name="h_2")
  h = conv2d(a, 4, 3, bias=false)
)"));
  EXPECT_EQ(paramNames(p.models[0]),
            (Strings{"h.weight", "h_1.weight", "h_2.weight", "h_3.weight"}));
  // Parameter-free calls use no name; their node is named after the variable.
  EXPECT_EQ(nodeOf(p.models[0], "relu").name, "h");
}

TEST(Elaborate, ExplicitNamesWithSubstitution) {
  Program p = compileOk(R"(
block Unit(x, c: int) {
  conv1 = conv2d(x, c, 1)
  return x + conv1
}
model M(x: f32[N, 4, 8, 8]) {
  h = x
  for l in 1..3 {
    for i in 0..2 {
      h = Unit(h, 4, name="layer{l}.{i}")
    }
  }
  return h
}
)");
  EXPECT_EQ(paramNames(p.models[0]),
            (Strings{"layer1.0.conv1.weight", "layer1.0.conv1.bias",
                     "layer1.1.conv1.weight", "layer1.1.conv1.bias",
                     "layer2.0.conv1.weight", "layer2.0.conv1.bias",
                     "layer2.1.conv1.weight", "layer2.1.conv1.bias"}));
}

TEST(Elaborate, NestedCallsTakeTheirOwnName) {
  Program p = compileOk(R"(
block Head(g) {
  return linear(g, 10)
}
block Norms(x) {
  norm1 = batch_norm(x, affine=false)
  return x
}
model M(x: f32[N, 8, 4, 4]) {
  h = relu(conv2d(x, 8, 3, padding=1) + x)
  f = Norms(h)
  f = Norms(f)
  out = Head(flatten(h))
  return out
}
)");
  EXPECT_EQ(paramNames(p.models[0]),
            (Strings{"conv2d.weight", "conv2d.bias", "f.norm1.running_mean",
                     "f.norm1.running_var", "f.norm1.num_batches_tracked",
                     "f_1.norm1.running_mean", "f_1.norm1.running_var",
                     "f_1.norm1.num_batches_tracked", "out.linear.weight",
                     "out.linear.bias"}));
  const ModelGraph &m = p.models[0];
  EXPECT_EQ(nodeOf(m, "add").name, "add");
  EXPECT_EQ(nodeOf(m, "relu").name, "h");
  EXPECT_EQ(nodeOf(m, "batch_norm", 1).name, "f_1.norm1");
}

TEST(Elaborate, ParameterFreeBlocksTakeNoScope) {
  Program p = compileOk(R"(
block Act(x) {
  return relu(x)
}
model M(x: f32[N, 4]) {
  h = Act(x)
  h = linear(h, 4)
  return h
}
)");
  EXPECT_EQ(paramNames(p.models[0]), (Strings{"h.weight", "h.bias"}));
}

TEST(Elaborate, SeveralReturnValuesScopeOnTheFirstTarget) {
  Program p = compileOk(R"(
block Two(x, c: int) {
  a = conv2d(x, c, 1)
  return a, relu(a)
}
model M(x: f32[N, 3, 8, 8]) {
  p, q = Two(x, 4)
  return p, q
}
)");
  const ModelGraph &m = p.models[0];
  EXPECT_EQ(paramNames(m), (Strings{"p.a.weight", "p.a.bias"}));
  ASSERT_EQ(m.outputs.size(), 2u);
  EXPECT_EQ(m.outputs[0].name, "p");
  EXPECT_EQ(m.outputs[1].name, "q");
}

TEST(Elaborate, OutputNames) {
  Program p = compileOk(inModel("  a = relu(x)\n  out1 = tanh(x)", "return a, relu(x), a, out1"));
  const ModelGraph &m = p.models[0];
  ASSERT_EQ(m.outputs.size(), 4u);
  EXPECT_EQ(m.outputs[0].name, "a");
  EXPECT_EQ(m.outputs[1].name, "out1");
  EXPECT_EQ(m.outputs[2].name, "out2"); // `a` already used
  EXPECT_EQ(m.outputs[3].name, "out3"); // `out1` already used
}

//===----------------------------------------------------------------------===//
// Control flow and compile-time values
//===----------------------------------------------------------------------===//

TEST(Elaborate, ForAndIf) {
  Program p = compileOk(inModel(R"(
  h = x
  n = 0
  for i in 0..3 {
    if i % 2 == 0 {
      h = relu(h)
    } else {
      h = sigmoid(h)
    }
    n = n + 1
  }
  for i in 5..2 {
    h = tanh(h)
  }
  if n == 3 and rank(h) == 4 and not false {
    h = silu(h)
  }
)"));
  EXPECT_EQ(nodeOps(p.models[0]),
            (Strings{"relu", "sigmoid", "relu", "silu"}));
}

TEST(Elaborate, NameBoundInEveryBranchIsVisible) {
  Program p = compileOk(inModel(R"(
  if channels(x) == 3 {
    h = relu(x)
  }
  else {
    h = tanh(x)
  }
)"));
  EXPECT_EQ(nodeOps(p.models[0]), (Strings{"relu"}));
}

TEST(Elaborate, ShapeQueriesAndArithmetic) {
  Program p = compileOk(R"(
block Check(x, v: int, expect: int) {
  c = conv2d(x, 1, 1, bias=v == expect)
  return c
}
model M(x: f32[N, 3, 32, 24]) {
  h = x
  h = Check(h, shape(x, 2), 32)
  h = Check(h, shape(x, -1), 24)
  h = Check(h, channels(x), 3)
  h = Check(h, rank(x), 4)
  h = Check(h, 7 / 2, 3)
  h = Check(h, -7 / 2, -4)
  h = Check(h, -7 % 3, 2)
  h = Check(h, 7 % -3, -2)
  h = Check(h, int(-2.7), -2)
  h = Check(h, int(float(5) / 2), 2)
  h = Check(h, min(3, 9) + max(3, 9), 12)
  h = Check(h, int(max(2, 2.5) * 2), 5)
  h = Check(h, 2 + 3 * 4 - 1, 13)
  return h
}
)");
  // Every Check has a bias (all comparisons held).
  EXPECT_EQ(p.models[0].params.size(), 26u);
}

TEST(Elaborate, MakeDivisible) {
  // torchvision's _make_divisible(v, 8) written with the builtins.
  Program p = compileOk(R"(
block Div(x, v: float, d: int = 8) {
  nv = max(d, int(v + d / 2) / d * d)
  if nv < 0.9 * v {
    nv = nv + d
  }
  c = conv2d(x, nv, 1)
  return c
}
model M(x: f32[N, 3, 4, 4]) {
  a = Div(x, 32 * 0.75)
  b = Div(x, 16 * 0.25)
  c = Div(x, 100.0)
  return a, b, c
}
)");
  const ModelGraph &m = p.models[0];
  EXPECT_EQ(outShape(m, 0), "[N,24,4,4]");
  EXPECT_EQ(outShape(m, 1), "[N,8,4,4]");
  EXPECT_EQ(outShape(m, 2), "[N,104,4,4]");
}

TEST(Elaborate, StringComparisonsAndKinds) {
  Program p = compileOk(R"(
block Act(x, kind: str = "relu", flag: bool = true, sizes: ints = [1, 2]) {
  if kind == "relu" and flag and sizes == [1, 2] {
    y = relu(x)
  } else {
    y = hardswish(x)
  }
  return y
}
model M(x: f32[N, 3]) {
  a = Act(x)
  b = Act(a, "hs")
  c = Act(b, kind="relu", flag=false)
  return c
}
)");
  EXPECT_EQ(nodeOps(p.models[0]), (Strings{"relu", "hardswish", "hardswish"}));
}

TEST(Elaborate, BlockDefaultsSeeEarlierParameters) {
  Program p = compileOk(R"(
block B(x, c: int, mid: int = c * 2) {
  h = conv2d(x, mid, 1)
  return h
}
model M(x: f32[N, 3, 4, 4]) {
  h = B(x, 5)
  return h
}
)");
  EXPECT_EQ(outShape(p.models[0]), "[N,10,4,4]");
}

//===----------------------------------------------------------------------===//
// Tensor arithmetic and attributes
//===----------------------------------------------------------------------===//

TEST(Elaborate, TensorArithmeticBroadcastsAndScalars) {
  Program p = compileOk(R"(
model M(x: f32[N, 8, 4, 4]) {
  s = mean(x, keepdim=true)
  y = x * sigmoid(s)
  z = y * 0.5 + 1
  w = -z
  v = 2 - w
  u = div(v, x)
  return u
}
)");
  const ModelGraph &m = p.models[0];
  EXPECT_EQ(nodeOps(m), (Strings{"mean", "sigmoid", "mul", "constant", "mul",
                                 "constant", "add", "neg", "constant", "sub",
                                 "div"}));
  EXPECT_EQ(m.values[nodeOf(m, "mean").result].shape,
            (Shape{kDynamic, 8, 1, 1}));
  const GraphNode &half = nodeOf(m, "constant");
  EXPECT_DOUBLE_EQ(std::get<double>(half.attrs.at("value")), 0.5);
  EXPECT_TRUE(m.values[half.result].shape.empty());
  const GraphNode &sub = nodeOf(m, "sub");
  EXPECT_EQ(sub.operands[0], nodeOf(m, "constant", 2).result);
  EXPECT_EQ(nodeOf(m, "mul").name, "y");
  EXPECT_EQ(nodeOf(m, "neg").name, "w");
  EXPECT_EQ(outShape(m), "[N,8,4,4]");
}

TEST(Elaborate, OpAttributesAreNormalised) {
  Program p = compileOk(R"(
model M(x: f32[N, 4, 16, 16]) {
  a = conv2d(x, 8, [3, 2], padding="same", dilation=2, groups=2)
  b = conv2d(x, 8, 3, stride=[2, 1], padding="valid")
  c = conv_transpose2d(x, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
  d = avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)
  e = concat([x, x], axis=-3)
  f = mean(x, axes=[-1, 1])
  g = softmax(flatten(x, -3))
  h = layer_norm(x, dims=3)
  i = upsample2d(x, scale=3, mode="bilinear")
  j = reshape(x, shape=[-1, 64, 16])
  k = concat(inputs=[x, a], axis=1)
  l = group_norm(x, 2, affine=false)
  m = instance_norm(x)
  n = instance_norm(x, affine=true)
  o = gelu(x, approximate="tanh")
  q = leaky_relu(x, 0.2)
  r = dropblock(dropout(x, p=0.1), block_size=3)
  s = stochastic_depth(x)
  t = adaptive_max_pool2d(x, [2, 3])
  return a
}
)");
  const ModelGraph &m = p.models[0];
  auto ints = [&](const std::string &op, const char *attr, size_t nth = 0) {
    return std::get<Ints>(nodeOf(m, op, nth).attrs.at(attr));
  };
  auto shapeOf = [&](const std::string &op, size_t nth = 0) {
    return shapes::format(m.values[nodeOf(m, op, nth).result].shape);
  };
  // "same" with dilation 2: kernel 3 pads 4 (2, 2); kernel 2 pads 2 (1, 1).
  EXPECT_EQ(ints("conv2d", "padding"), (Ints{2, 1, 2, 1}));
  EXPECT_EQ(shapeOf("conv2d"), "[N,8,16,16]");
  EXPECT_EQ(m.values[m.params[0].value].shape, (Shape{8, 2, 3, 2}));
  EXPECT_EQ(ints("conv2d", "padding", 1), (Ints{0, 0, 0, 0}));
  EXPECT_EQ(ints("conv2d", "stride", 1), (Ints{2, 1}));
  EXPECT_EQ(shapeOf("conv2d", 1), "[N,8,7,14]");
  EXPECT_EQ(ints("conv_transpose2d", "padding"), (Ints{1, 1}));
  EXPECT_EQ(ints("conv_transpose2d", "output_padding"), (Ints{1, 1}));
  EXPECT_EQ(shapeOf("conv_transpose2d"), "[N,6,32,32]");
  EXPECT_EQ(paramList(m)[4], "c.weight [4,3,3,3]");
  EXPECT_EQ(ints("avg_pool2d", "stride"), (Ints{2, 2}));
  EXPECT_TRUE(std::get<bool>(nodeOf(m, "avg_pool2d").attrs.at("ceil_mode")));
  EXPECT_FALSE(
      std::get<bool>(nodeOf(m, "avg_pool2d").attrs.at("count_include_pad")));
  EXPECT_EQ(std::get<int64_t>(nodeOf(m, "concat").attrs.at("axis")), 1);
  EXPECT_EQ(shapeOf("concat"), "[N,8,16,16]");
  EXPECT_EQ(ints("mean", "axes"), (Ints{1, 3}));
  EXPECT_EQ(shapeOf("mean"), "[N,16]");
  EXPECT_EQ(std::get<int64_t>(nodeOf(m, "flatten").attrs.at("start")), 1);
  EXPECT_EQ(std::get<int64_t>(nodeOf(m, "softmax").attrs.at("axis")), 1);
  EXPECT_EQ(std::get<int64_t>(nodeOf(m, "layer_norm").attrs.at("dims")), 3);
  EXPECT_EQ(std::get<std::string>(nodeOf(m, "upsample2d").attrs.at("mode")),
            "bilinear");
  EXPECT_EQ(shapeOf("upsample2d"), "[N,4,48,48]");
  EXPECT_EQ(ints("reshape", "shape"), (Ints{-1, 64, 16}));
  EXPECT_EQ(shapeOf("concat", 1), "[N,12,16,16]");
  EXPECT_EQ(nodeOf(m, "group_norm").operands.size(), 1u);
  EXPECT_EQ(nodeOf(m, "instance_norm").operands.size(), 1u);
  EXPECT_EQ(nodeOf(m, "instance_norm", 1).operands.size(), 3u);
  EXPECT_EQ(std::get<std::string>(nodeOf(m, "gelu").attrs.at("approximate")),
            "tanh");
  EXPECT_DOUBLE_EQ(std::get<double>(nodeOf(m, "leaky_relu").attrs.at("slope")),
                   0.2);
  EXPECT_EQ(std::get<int64_t>(nodeOf(m, "dropblock").attrs.at("block_size")),
            3);
  EXPECT_DOUBLE_EQ(std::get<double>(nodeOf(m, "dropout").attrs.at("p")), 0.1);
  EXPECT_DOUBLE_EQ(
      std::get<double>(nodeOf(m, "stochastic_depth").attrs.at("p")), 0.2);
  EXPECT_EQ(ints("adaptive_max_pool2d", "size"), (Ints{2, 3}));
  // layer_norm over [C, H, W]; group_norm without affine owns nothing;
  // instance_norm is affine only when asked.
  Strings names = paramList(m);
  EXPECT_NE(std::find(names.begin(), names.end(), "h.weight [4,16,16]"),
            names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "l.weight [4]"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "n.bias [4]"), names.end());
}

TEST(Elaborate, SeveralModelsAndInputShapeOverrides) {
  FrontendOptions options;
  options.inputShapeOverrides["x"] = {3, 64, 64};
  Program p = compileOk(R"(
model A(x: f32[N, 3, 32, 32]) {
  y = conv2d(x, 4, 3)
  return y
}
model B(x: f32[2, 3, 8, 8], y: i32[2]) {
  return x, y
}
)",
                        options);
  ASSERT_EQ(p.models.size(), 2u);
  EXPECT_EQ(outShape(p.models[0]), "[N,4,62,62]");
  EXPECT_EQ(outShape(p.models[1]), "[2,3,64,64]");
  EXPECT_EQ(p.models[1].inputs[0].batchName, "");
  EXPECT_EQ(p.models[1].values[p.models[1].inputs[1].value].dtype, DType::I32);
}

TEST(Elaborate, VariablesMayBeRebound) {
  Program p = compileOk(inModel("  h = relu(x)\n  h = relu(h)\n  h = 3\n"
                                "  h = tanh(x)"));
  EXPECT_EQ(nodeOps(p.models[0]), (Strings{"relu", "relu", "tanh"}));
}

} // namespace
