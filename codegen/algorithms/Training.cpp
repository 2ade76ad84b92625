//===- Training.cpp - batch_norm on batch statistics, losses, optimizers ---===//
//
// The forward-only ops of a training step: batch_norm's batch statistics
// and running averages, the two losses and their derivatives, and
// torch.optim's updates (SGD with momentum and Nesterov, Adam, AdamW), each
// in PyTorch 1.13's order of operations.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

namespace cnnopt::codegen::algorithms {

namespace {

/// The 1/sqrt(var + eps) of batch statistics `stats` at channel `ch`.
Expr invStd(const Tensor &stats, Expr ch, double eps) {
  return 1.0f / sqrt(stats.at({1, ch}) + f32(eps));
}

/// The elements per channel of `x`: every axis but 1.
Expr channelCount(const Tensor &x) {
  Expr count = x.extent(0);
  for (int a = 2; a < x.rank(); ++a)
    count = count * int(x.shape[a]);
  return count;
}

} // namespace

Func channelSums(Call &c, const std::string &name, const Tensor &x, int values,
                 const std::function<std::vector<Expr>(const std::vector<Expr> &)> &value) {
  Var ch("ch"), image("image");
  Region pixels;
  for (int a = 2; a < x.rank(); ++a)
    pixels.push_back(Range(0, int(x.shape[a])));
  auto tuple = [&](const std::vector<Expr> &v) { return values == 1 ? Tuple(v[0]) : Tuple(v); };
  Func partial = c.stage(name + "_partial");
  if (pixels.empty()) {
    partial(ch, image) = tuple(value({image, ch}));
  } else {
    RDom r(pixels, "r");
    std::vector<Expr> at{image, ch};
    for (int a = 0; a < r.dimensions(); ++a)
      at.push_back(r[a]);
    partial(ch, image) = tuple(std::vector<Expr>(values, f32(0)));
    std::vector<Expr> add = value(at), updated;
    for (int k = 0; k < values; ++k)
      updated.push_back((values == 1 ? Expr(partial(ch, image)) : partial(ch, image)[k]) + add[k]);
    partial(ch, image) = tuple(updated);
  }
  RDom images(0, x.extent(0), "images");
  Func total = c.stage(name);
  total(ch) = tuple(std::vector<Expr>(values, f32(0)));
  std::vector<Expr> updated;
  for (int k = 0; k < values; ++k)
    updated.push_back(values == 1 ? Expr(total(ch)) + partial(ch, images)
                                  : total(ch)[k] + partial(ch, images)[k]);
  total(ch) = tuple(updated);
  return total;
}

/// [mean, biased var, unbiased var] per channel, two passes as PyTorch.
KernelFuncs batchNormStats(Call &c) {
  const Tensor &x = c.op(0);
  Expr m = cast<float>(channelCount(x));
  Var ch("ch"), row("row");
  Func sum = channelSums(c, "sum", x, 1, [&](const std::vector<Expr> &at) {
    return std::vector<Expr>{x.at(at)};
  });
  Func squares = channelSums(c, "squares", x, 1, [&](const std::vector<Expr> &at) {
    Expr d = x.at(at) - sum(at[1]) / m;
    return std::vector<Expr>{d * d};
  });
  Func f = c.resultFunc();
  f(ch, row) = select(row == 0, sum(ch) / m, row == 1, squares(ch) / m, squares(ch) / (m - 1.0f));
  return c.done(f);
}

KernelFuncs batchNormTrain(Call &c) {
  const Tensor &x = c.op(0), &stats = c.op(1);
  const Tensor *weight = c.optional(2), *bias = c.optional(3);
  auto v = axisVars(x.rank());
  Expr ch = v[1];
  Expr y = (x.at(asExprs(v)) - stats.at({0, ch})) * invStd(stats, ch, c.kernel.f("eps"));
  if (weight)
    y = y * weight->at({ch}) + bias->at({ch});
  Func f = c.resultFunc();
  f(halideArgs(v)) = y;
  return c.done(f);
}

KernelFuncs runningAverage(Call &c) {
  Var ch("ch");
  float momentum = float(c.kernel.f("momentum"));
  Func f = c.resultFunc();
  f(ch) = (1.0f - momentum) * c.op(0).at({ch}) +
          momentum * c.op(1).at({Expr(int(c.kernel.i("row"))), ch});
  return c.done(f);
}

KernelFuncs increment(Call &c) {
  Func f = c.resultFunc();
  f() = c.op(0).at({}) + 1.0f;
  return c.done(f);
}

/// [sum(grad), sum(grad * xhat)] per channel.
KernelFuncs batchNormGradSums(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1), &stats = c.op(2);
  Var ch("ch"), row("row");
  double eps = c.kernel.f("eps");
  Func sums = channelSums(c, "sums", x, 2, [&](const std::vector<Expr> &at) {
    Expr g = grad.at(at);
    Expr xhat = (x.at(at) - stats.at({0, at[1]})) * invStd(stats, at[1], eps);
    return std::vector<Expr>{g, g * xhat};
  });
  Func f = c.resultFunc();
  f(ch, row) = select(row == 0, sums(ch)[0], sums(ch)[1]);
  return c.done(f);
}

/// weight * rstd * (grad - sum(grad)/M - xhat * sum(grad * xhat)/M).
KernelFuncs batchNormGradInput(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1), &stats = c.op(2), &sums = c.op(3);
  const Tensor *weight = c.optional(4);
  Expr m = cast<float>(channelCount(x));
  auto v = axisVars(x.rank());
  Expr ch = v[1];
  Expr rstd = invStd(stats, ch, c.kernel.f("eps"));
  Expr xhat = (x.at(asExprs(v)) - stats.at({0, ch})) * rstd;
  Expr dx = (grad.at(asExprs(v)) - sums.at({0, ch}) / m - xhat * sums.at({1, ch}) / m) * rstd;
  Func f = c.resultFunc();
  f(halideArgs(v)) = weight ? dx * weight->at({ch}) : dx;
  return c.done(f);
}

KernelFuncs takeRow(Call &c) {
  auto v = axisVars(int(c.shape.size()));
  std::vector<Expr> idx{Expr(int(c.kernel.i("index")))};
  for (const Var &var : v)
    idx.push_back(var);
  Func f = c.resultFunc();
  f(halideArgs(v)) = c.op(0).at(idx);
  return c.done(f);
}

KernelFuncs oneHot(Call &c) {
  Var k("k"), n("n");
  Func f = c.resultFunc();
  f(k, n) = select(c.op(0).at({n}) == k, 1.0f, 0.0f);
  return c.done(f);
}

namespace {

/// Per sample of [N, C] logits: the row's max and log-sum-exp.
Func logSumExp(Call &c, const Tensor &logits) {
  Var n("n");
  RDom r(0, int(logits.shape[1]), "r");
  Func top = c.stage("max"), lse = c.stage("lse");
  top(n) = maximum(logits.at({n, r}));
  lse(n) = top(n) + log(sum(exp(logits.at({n, r}) - top(n))));
  return lse;
}

/// A label as an index: clamped, so that no read leaves the row (the
/// entry points check the labels before the step runs).
Expr labelAt(const Tensor &labels, Expr n, int classes) {
  return clamp(labels.at({n}), 0, classes - 1);
}

} // namespace

/// Mean over the batch of -sum_c q_c log softmax(x)_c, with q the one-hot
/// label smoothed: (1 - s) onehot + s / C.
KernelFuncs crossEntropy(Call &c) {
  const Tensor &logits = c.op(0), &labels = c.op(1);
  int classes = int(logits.shape[1]);
  float s = float(c.kernel.f("label_smoothing"));
  Func lse = logSumExp(c, logits);
  Var n("n");
  RDom k(0, classes, "k");
  Func perSample = c.stage("per_sample");
  Expr picked = logits.at({n, labelAt(labels, n, classes)});
  Expr loss = lse(n) - (1.0f - s) * picked;
  if (s != 0.0f)
    loss = loss - (s / float(classes)) * sum(logits.at({n, k}));
  perSample(n) = loss;
  RDom b(0, logits.extent(0), "b");
  Func f = c.resultFunc();
  f() = sum(perSample(b)) / cast<float>(logits.extent(0));
  return c.done(f);
}

KernelFuncs crossEntropyGrad(Call &c) {
  const Tensor &logits = c.op(0), &labels = c.op(1), &grad = c.op(2);
  int classes = int(logits.shape[1]);
  float s = float(c.kernel.f("label_smoothing"));
  Func lse = logSumExp(c, logits);
  Var k("k"), n("n");
  Expr softmax = exp(logits.at({n, k}) - lse(n));
  Expr target = select(k == labelAt(labels, n, classes), 1.0f - s, 0.0f) + s / float(classes);
  Func f = c.resultFunc();
  f(k, n) = grad.at({}) * (softmax - target) / cast<float>(logits.extent(0));
  return c.done(f);
}

namespace {

/// Every element of `t` through one RDom (the batch outermost).
std::pair<RDom, std::vector<Expr>> allElements(const Tensor &t) {
  Region region;
  for (int a = t.rank() - 1; a >= 0; --a)
    region.push_back(Range(0, t.extent(a)));
  RDom r(region, "r");
  std::vector<Expr> idx;
  for (int a = 0; a < t.rank(); ++a)
    idx.push_back(r[t.rank() - 1 - a]);
  return {r, idx};
}

Expr elementCount(const Tensor &t) {
  Expr n = 1;
  for (int a = 0; a < t.rank(); ++a)
    n = n * t.extent(a);
  return cast<float>(n);
}

} // namespace

KernelFuncs mseLoss(Call &c) {
  const Tensor &a = c.op(0), &b = c.op(1);
  auto [r, idx] = allElements(a);
  Expr d = a.at(idx) - b.at(idx);
  Func f = c.resultFunc();
  f() = sum(d * d) / elementCount(a);
  return c.done(f);
}

KernelFuncs mseLossGrad(Call &c) {
  const Tensor &a = c.op(0), &b = c.op(1);
  auto v = axisVars(a.rank());
  Func f = c.resultFunc();
  f(halideArgs(v)) = 2.0f * (a.at(asExprs(v)) - b.at(asExprs(v))) * c.op(2).at({}) /
                     elementCount(a);
  return c.done(f);
}

// ----- optimizers -------------------------------------------------------------

namespace {

/// The gradient with (coupled) weight decay: grad + wd * param.
Expr decayed(Expr grad, Expr param, double wd) {
  return wd != 0.0 ? grad + f32(wd) * param : grad;
}

/// A same-shape update of operand 0 from `formula` at each position.
KernelFuncs update(Call &c, const std::function<Expr(const std::vector<Expr> &)> &formula) {
  auto v = axisVars(c.op(0).rank());
  Func f = c.resultFunc();
  f(halideArgs(v)) = formula(asExprs(v));
  return c.done(f);
}

} // namespace

/// torch.optim.SGD's momentum_buffer: d at step 1, momentum * buf + d after.
KernelFuncs sgdMomentum(Call &c) {
  return update(c, [&](const std::vector<Expr> &at) {
    Expr d = decayed(c.op(1).at(at), c.op(2).at(at), c.kernel.f("weight_decay"));
    Expr first = c.op(3).at({}) <= 1;
    return select(first, d, f32(c.kernel.f("momentum")) * c.op(0).at(at) + d);
  });
}

KernelFuncs sgdStep(Call &c) {
  return update(c, [&](const std::vector<Expr> &at) {
    Expr param = c.op(0).at(at);
    Expr d = decayed(c.op(1).at(at), param, c.kernel.f("weight_decay"));
    if (const Tensor *buffer = c.optional(3)) {
      Expr buf = buffer->at(at);
      d = c.kernel.has("nesterov") ? d + f32(c.kernel.f("momentum")) * buf : buf;
    }
    return param - c.op(2).at({}) * d;
  });
}

KernelFuncs adamMoment(Call &c) {
  return update(c, [&](const std::vector<Expr> &at) {
    Expr g = decayed(c.op(1).at(at), c.op(2).at(at), c.kernel.f("weight_decay"));
    float beta = float(c.kernel.f("beta"));
    Expr term = c.kernel.i("order") == 1 ? g : g * g;
    return c.op(0).at(at) * beta + (1.0f - beta) * term;
  });
}

/// Adam's step from the new moments; AdamW first decays the parameter.
KernelFuncs adamStep(Call &c) {
  return update(c, [&](const std::vector<Expr> &at) {
    Expr lr = c.op(3).at({});
    Expr step = cast<float>(c.op(4).at({}));
    Expr param = c.op(0).at(at);
    double decay = c.kernel.f("decoupled_weight_decay");
    if (decay != 0.0)
      param = param * (1.0f - lr * f32(decay));
    Expr bias1 = 1.0f - pow(f32(c.kernel.f("beta1")), step);
    Expr bias2 = 1.0f - pow(f32(c.kernel.f("beta2")), step);
    Expr denom = sqrt(c.op(2).at(at)) / sqrt(bias2) + f32(c.kernel.f("eps"));
    return param - (lr / bias1) * (c.op(1).at(at) / denom);
  });
}

} // namespace cnnopt::codegen::algorithms
