//===- ElaborateErrorsTest.cpp - Located elaboration errors ---------------===//
//
// Every rule of DSL.md that a program can break, with the exact message and
// the line:col of the token at fault.
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

using namespace cnnopt;
using namespace cnnopt::test;

namespace {

/// The first error of a model M(x: f32[N, 3, 32, 32]) whose body is `body`
/// (starting on line 2) and that returns h.
std::string modelError(const std::string &body,
                       const std::string &ret = "return h") {
  return firstError(inModel(body, ret));
}

TEST(ElaborateErrors, ExamplesFromTheReference) {
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, groups=2)"),
            "2:7: conv2d: input has 3 channels, not divisible by groups=2");
  EXPECT_EQ(modelError("  h = relu7(x)"),
            "2:7: unknown op 'relu7'; did you mean 'relu6'?");
  EXPECT_EQ(modelError("  y = relu(h)", "return y"),
            "2:12: 'h' used before it is defined");
  EXPECT_EQ(modelError("  a = conv2d(x, 64, 3, padding=1)\n"
                       "  b = conv2d(x, 32, 3, stride=4)\n"
                       "  h = concat([a, b], axis=1)"),
            "4:7: concat along axis 1: shapes [N,64,32,32] and [N,32,8,8] "
            "differ in axis 2");
  EXPECT_EQ(modelError("  a = conv2d(x, 4, 1, name=\"layer1.0\")\n"
                       "  h = conv2d(a, 4, 1, name=\"layer1.0\")"),
            "3:3: scope 'layer1.0' is used twice (first at 2:3)");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, strides=2)"),
            "2:23: conv2d: unknown keyword argument 'strides'; did you mean "
            "'stride'?");
}

TEST(ElaborateErrors, Arguments) {
  EXPECT_EQ(modelError("  h = conv2d(x, 4)"),
            "2:7: conv2d: missing argument 'kernel'");
  EXPECT_EQ(modelError("  h = relu(x, 1)"),
            "2:15: relu: too many arguments (takes at most 1)");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, kernel=3)"),
            "2:23: conv2d: argument 'kernel' given twice");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, bias=false, bias=true)"),
            "2:35: conv2d: argument 'bias' given twice");
  EXPECT_EQ(modelError("  h = conv2d(x, 4.0, 3)"),
            "2:17: conv2d: argument 'out' must be an int, got a float");
  EXPECT_EQ(modelError("  h = conv2d(3, 4, 3)"),
            "2:14: conv2d: argument 'x' must be an f32 tensor, got an int");
  EXPECT_EQ(modelError("  h = conv2d(x, x, 3)"),
            "2:17: conv2d: argument 'out' must be an int, got an f32 tensor");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, [3, 3, 3])"),
            "2:20: conv2d: argument 'kernel' must be an int or a pair [h, w], "
            "got 3 values");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, stride=0)"),
            "2:23: conv2d: stride must be positive, got 0");
  EXPECT_EQ(modelError("  h = conv2d(x, -4, 3)"),
            "2:17: conv2d: out must be positive, got -4");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, padding=-1)"),
            "2:23: conv2d: padding must not be negative, got -1");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, stride=2, padding=\"same\")"),
            "2:33: conv2d: padding=\"same\" needs stride 1, got 2");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 3, padding=\"full\")"),
            "2:23: conv2d: unknown padding \"full\"; expected an int, a pair "
            "[h, w], \"same\" or \"valid\"");
  EXPECT_EQ(modelError("  h = dropout(x, p=1.0)"),
            "2:18: dropout: p must be in [0, 1), got 1");
  EXPECT_EQ(modelError("  h = dropout(x, -0.5)"),
            "2:18: dropout: p must be in [0, 1), got -0.5");
  EXPECT_EQ(modelError("  h = gelu(x, approximate=\"fast\")"),
            "2:15: gelu: unknown approximate \"fast\"; expected \"none\" or "
            "\"tanh\"");
  EXPECT_EQ(modelError("  h = upsample2d(x, mode=\"cubic\")"),
            "2:21: upsample2d: unknown mode \"cubic\"; expected \"nearest\" or "
            "\"bilinear\"");
  EXPECT_EQ(modelError("  h = upsample2d(x, scale=1.5)"),
            "2:21: upsample2d: argument 'scale' must be an int, got a float");
  EXPECT_EQ(modelError("  h = relu(x, name=3)"),
            "2:15: relu: argument 'name' must be a string, got an int");
  EXPECT_EQ(modelError("  h = softmax(x, axis=4)"),
            "2:18: softmax: axis 4 is out of range for [N,3,32,32]");
  EXPECT_EQ(modelError("  h = reshape(x, [-1, -1])"),
            "2:18: reshape: shape [-1, -1] has more than one -1");
}

TEST(ElaborateErrors, ShapeRules) {
  EXPECT_EQ(modelError("  h = x + conv2d(x, 4, 3)"),
            "2:9: add: shapes [N,3,32,32] and [N,4,30,30] cannot be broadcast "
            "together");
  EXPECT_EQ(modelError("  h = linear(mean(x, axes=[1, 2, 3]), 10)"),
            "2:7: linear: input must have rank 2 or more, got [N]");
  EXPECT_EQ(modelError("  h = max_pool2d(x, 64)"),
            "2:7: max_pool2d: window [64, 64] is larger than the padded input "
            "[32, 32] of input [N,3,32,32]");
  EXPECT_EQ(modelError("  h = reshape(x, [2, -1])"),
            "2:7: reshape: input [N,3,32,32] has a run-time batch, so the -1 "
            "must be in position 0 of [2,-1]");
  EXPECT_EQ(modelError("  h = conv2d(flatten(x), 4, 3)"),
            "2:7: conv2d: input must have rank 4, got [N,3072]");
}

TEST(ElaborateErrors, Names) {
  EXPECT_EQ(modelError("  h = x + N"),
            "2:11: 'N' is the batch size, known only at run time; it cannot "
            "be used in expressions");
  EXPECT_EQ(modelError("  h = conv2d(x, shape(x, 0), 3)"),
            "2:26: shape: axis 0 of [N,3,32,32] is the batch, known only at "
            "run time");
  EXPECT_EQ(modelError("  if true {\n    a = relu(x)\n  }\n  h = a"),
            "5:7: 'a' is not bound in every branch of the if at 2:3");
  EXPECT_EQ(modelError("  if false {\n    a = relu(x)\n  } else {\n"
                       "    b = relu(x)\n  }\n  h = b"),
            "7:7: 'b' is not bound in every branch of the if at 2:3");
  EXPECT_EQ(firstError("block B(y) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = B(x)\n  return h\n}"),
            "2:10: 'x' used before it is defined");
  EXPECT_EQ(modelError("  h = conv2d(x, 4, 1, name=\"l{j}\")"),
            "2:23: conv2d: name \"l{j}\": 'j' used before it is defined");
  EXPECT_EQ(modelError("  s = \"a\"\n  h = conv2d(x, 4, 1, name=\"l{s}\")"),
            "3:23: conv2d: name \"l{s}\": '{s}' must name an int, got a "
            "string");
}

TEST(ElaborateErrors, Blocks) {
  EXPECT_EQ(firstError("block A(x) {\n  y = B(x)\n  return y\n}\n"
                       "block B(x) {\n  y = A(x)\n  return y\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "6:7: recursive block call: A -> B -> A");
  EXPECT_EQ(firstError("block A(x) {\n  y = A(x)\n  return y\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "2:7: recursive block call: A -> A");
  EXPECT_EQ(firstError("block A(x) {\n  y = relu(x)\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "3:1: block 'A' has no return");
  EXPECT_EQ(firstError("block A(x, c: int) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x, 1.5)\n  return h\n}"),
            "5:12: A: argument 'c' must be an int, got a float");
  EXPECT_EQ(firstError("block A(x, c: int) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "5:7: A: missing argument 'c'");
  EXPECT_EQ(firstError("block A(x, c: int = 1.5) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "1:21: A: default of 'c' must be an int, got a float");
  EXPECT_EQ(firstError("block A(x) {\n  return x, x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = A(x)\n  return h\n}"),
            "5:7: 'A' returns 2 values; assign them to as many names");
  EXPECT_EQ(firstError("block A(x) {\n  return x, x\n}\n"
                       "model M(x: f32[N, 3]) {\n  a, b, c = A(x)\n  return a\n}"),
            "5:13: 'A' returns 2 values, not 3");
  EXPECT_EQ(firstError("block relu(x) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  return x\n}"),
            "1:7: block 'relu' has the name of a built-in op");
  EXPECT_EQ(firstError("block A(x) {\n  return x\n}\nblock A(x) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  return x\n}"),
            "4:7: block 'A' is defined twice (first at 1:7)");
  EXPECT_EQ(firstError("model M(x: f32[N, 3]) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  return x\n}"),
            "4:7: model 'M' is defined twice (first at 1:7)");
  EXPECT_EQ(firstError("block B(x, name: str) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  return x\n}"),
            "1:12: parameter 'name' is reserved for scope names");
  EXPECT_EQ(firstError("block Blk(x) {\n  return x\n}\n"
                       "model M(x: f32[N, 3]) {\n  h = Blok(x)\n  return h\n}"),
            "5:7: unknown op 'Blok'; did you mean 'Blk'?");
}

TEST(ElaborateErrors, Values) {
  EXPECT_EQ(modelError("  a = 1 / 0\n  h = x"), "2:9: division by zero");
  EXPECT_EQ(modelError("  a = 5 % 0\n  h = x"), "2:9: modulo by zero");
  EXPECT_EQ(modelError("  a = 9223372036854775807 + 1\n  h = x"),
            "2:27: integer overflow");
  EXPECT_EQ(modelError("  a = \"s\" + 1\n  h = x"),
            "2:11: '+' needs numbers, got a string and an int");
  EXPECT_EQ(modelError("  a = \"s\" < \"t\"\n  h = x"),
            "2:11: cannot compare a string with a string using '<'");
  EXPECT_EQ(modelError("  if 1 {\n    h = x\n  }"),
            "2:6: if condition must be a bool, got an int");
  EXPECT_EQ(modelError("  for i in 0..2.5 {\n    h = x\n  }"),
            "2:15: loop bounds must be ints, got a float");
  EXPECT_EQ(modelError("  a = 1 and true\n  h = x"),
            "2:9: 'and' needs bools, got an int");
  EXPECT_EQ(modelError("  a = [1, x]\n  h = x"),
            "2:11: a list holds only ints or only tensors, got an f32 tensor");
  EXPECT_EQ(modelError("  h = x", "return 3"),
            "3:10: a model output must be a tensor, got an int");
  EXPECT_EQ(modelError("  h = x", "return h + \"a\""),
            "3:12: '+' needs tensors or numbers, got an f32 tensor and a string");
  EXPECT_EQ(modelError("  a, b = 1\n  h = x"),
            "2:10: cannot assign one value to 2 names");
  EXPECT_EQ(modelError("  h = int(1e300 * 1e300)"),
            "2:11: int: cannot convert inf to an int");
}

TEST(ElaborateErrors, Inputs) {
  EXPECT_EQ(firstError("model M(x: f32[N, C]) {\n  return x\n}"),
            "1:19: dimension 1 of 'x' must be an integer; only dimension 0 may "
            "name the batch");
  EXPECT_EQ(firstError("model M(x: f32[N, 0]) {\n  return x\n}"),
            "1:19: dimension 1 of 'x' must be positive, got 0");
  EXPECT_EQ(firstError("model M(x: f32[N, 3], x: f32[N, 3]) {\n  return x\n}"),
            "1:23: input 'x' is declared twice");
  EXPECT_EQ(firstError("model M(y: i32[N]) {\n  h = relu(y)\n  return h\n}"),
            "2:12: relu: argument 'x' must be an f32 tensor, got an i32 tensor");
  FrontendOptions options;
  options.inputShapeOverrides["z"] = {3, 8, 8};
  EXPECT_EQ(firstError("model M(x: f32[N, 3]) {\n  return x\n}", options),
            "1:1: input shape override names no model input 'z'");
}

TEST(ElaborateErrors, TrainDeclarations) {
  const std::string model =
      "model M(x: f32[N, 4]) {\n  y = linear(x, 2)\n  return y\n}\n";
  EXPECT_EQ(firstError(model + "train Mm(l: i32[N]) {\n  loss = 1\n}"),
            "5:7: train declaration names unknown model 'Mm'; did you mean "
            "'M'?");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  optimizer = sgd()\n}"),
            "7:1: train declaration must bind 'loss'");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = y\n  optimizer = sgd()\n}"),
            "6:3: 'loss' must be a scalar f32 tensor, got [N,2]");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n}"),
            "7:1: train declaration must bind 'optimizer' (sgd, adam or adamw)");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n"
                               "  optimizer = 0.1\n}"),
            "7:3: 'optimizer' must be sgd(...), adam(...) or adamw(...), got "
            "a float");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n"
                               "  optimizer = adam(lr=0.1)\n}"),
            "7:20: adam: unknown keyword argument 'lr'");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n"
                               "  optimizer = sgd(momentm=0.9)\n}"),
            "7:19: sgd: unknown keyword argument 'momentm'; did you mean "
            "'momentum'?");
  // Model inputs are not in scope in a train declaration, only outputs.
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(x, l)\n"
                               "  optimizer = sgd()\n}"),
            "6:24: 'x' used before it is defined");
  EXPECT_EQ(firstError(model + "train M(l: f32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n"
                               "  optimizer = sgd()\n}"),
            "6:27: cross_entropy: argument 'labels' must be an i32 tensor, got "
            "an f32 tensor");
  EXPECT_EQ(firstError(model + "train M(x: i32[N]) {\n  loss = 1\n}"),
            "5:9: input 'x' is already a name of model 'M'");
  EXPECT_EQ(firstError(model + "train M(l: i32[N]) {\n"
                               "  loss = cross_entropy(y, l)\n"
                               "  optimizer = sgd()\n}\n"
                               "train M(l: i32[N]) {\n  loss = 1\n}"),
            "9:7: model 'M' already has a train declaration (at 5:7)");
  EXPECT_EQ(firstError("model M(x: f32[N, 4]) {\n"
                       "  h = mse_loss(x, x)\n  return h\n}"),
            "2:7: 'mse_loss' is allowed only in a train declaration");
  EXPECT_EQ(firstError("model M(x: f32[N, 4]) {\n"
                       "  o = sgd()\n  return x\n}"),
            "2:7: 'sgd' is allowed only in a train declaration");
}

TEST(ElaborateErrors, HugeLoopsStop) {
  std::string err = modelError("  h = x\n  for i in 0..1000000000000 {\n  }");
  EXPECT_EQ(err, "3:3: elaboration runs more than 5000000 statements (is a "
                 "loop too long?)");
}

TEST(ElaborateErrors, DeepBlockChainsStop) {
  // 300 blocks, each calling the next: deeper than the block-call limit.
  std::string src;
  for (int i = 0; i < 300; ++i)
    src += "block B" + std::to_string(i) + "(x) {\n  y = B" +
           std::to_string(i + 1) + "(x)\n  return y\n}\n";
  src += "block B300(x) {\n  return x\n}\n";
  src += "model M(x: f32[N, 3]) {\n  h = B0(x)\n  return h\n}\n";
  EXPECT_NE(firstError(src).find("block calls nested deeper than 256 levels"),
            std::string::npos);
}

} // namespace

namespace {

FrontendOptions smallBounds(uint64_t steps, size_t nodes) {
  FrontendOptions options;
  options.maxSteps = steps;
  options.maxNodes = nodes;
  return options;
}

} // namespace

// The compile-time work bounds count the whole file: several models (and
// train declarations, which copy their model) cannot multiply them, and
// every expression node is a step, not only statements.
TEST(ElaborateErrors, WorkBoundsCountTheWholeFile) {
  std::string model = "model M%(x: f32[N, 3, 8, 8]) {\n"
                      "  for i in 0..6 {\n"
                      "    x = relu(x)\n"
                      "  }\n"
                      "  return x\n"
                      "}\n";
  auto numbered = [&](char k) {
    std::string m = model;
    m.replace(m.find('%'), 1, 1, k);
    return m;
  };
  // Each model alone has 6 ops; three together pass 16.
  EXPECT_EQ(firstError(numbered('A'), smallBounds(1000, 16)), "no error");
  EXPECT_EQ(firstError(numbered('A') + numbered('B') + numbered('C'), smallBounds(1000, 16)),
            "15:9: the models of this file have more than 16 ops together (is a loop too "
            "long?)");
  EXPECT_EQ(firstError(numbered('A') + numbered('B'), smallBounds(1000, 5)),
            "3:9: model has more than 5 ops (is a loop too long?)");
  // One statement whose expression has many nodes runs many steps.
  std::string sum = "1";
  for (int k = 0; k < 60; ++k)
    sum += " + 1";
  std::string loop = "model M(x: f32[N, 3, 8, 8]) {\n"
                     "  for i in 0..10 {\n"
                     "    n = " + sum + "\n"
                     "  }\n"
                     "  return x\n"
                     "}\n";
  EXPECT_EQ(firstError(loop, smallBounds(2000, 100)), "no error");
  EXPECT_EQ(firstError(loop, smallBounds(300, 100)),
            "3:51: elaboration runs more than 300 statements (is a loop too long?)");
}
