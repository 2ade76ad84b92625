//===- Norm.cpp - normalisations -------------------------------------------===//
//
// BatchNorm in inference, LayerNorm, GroupNorm and InstanceNorm with
// PyTorch's two-pass biased statistics.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <utility>

namespace cnnopt::codegen::algorithms {

/// Inference batch norm: per channel (axis 1), x * scale + shift with
/// scale = weight / sqrt(running_var + eps), shift = bias - mean * scale.
KernelFuncs batchNorm(Call &c) {
  const Tensor &x = c.op(0);
  const Tensor *weight = c.optional(1), *bias = c.optional(2);
  const Tensor &mean = c.op(3), &var = c.op(4);
  Var ch("ch");
  // (scale, shift) per channel, one stage: a model has dozens of these.
  Func affine = c.stage("affine");
  Expr invStd = 1.0f / sqrt(var.at({ch}) + f32(c.kernel.f("eps")));
  Expr scale = weight ? weight->at({ch}) * invStd : invStd;
  affine(ch) = Tuple(scale, (bias ? bias->at({ch}) : f32(0)) - mean.at({ch}) * scale);
  auto v = axisVars(x.rank());
  Func f = c.resultFunc();
  f(halideArgs(v)) = x.at(asExprs(v)) * affine(v[1])[0] + affine(v[1])[1];
  return c.done(f);
}

/// A folded batch_norm's per-channel scale: weight / sqrt(running_var + eps).
KernelFuncs batchNormScale(Call &c) {
  Var ch("ch");
  Expr invStd = 1.0f / sqrt(c.op(0).at({ch}) + f32(c.kernel.f("eps")));
  Func f = c.resultFunc();
  f(ch) = c.optional(1) ? c.op(1).at({ch}) * invStd : invStd;
  return c.done(f);
}

/// A folded batch_norm's per-channel shift: bias - running_mean * scale.
KernelFuncs batchNormShift(Call &c) {
  Var ch("ch");
  Func f = c.resultFunc();
  Expr shifted = -c.op(0).at({ch}) * c.op(1).at({ch});
  f(ch) = c.optional(2) ? c.op(2).at({ch}) + shifted : shifted;
  return c.done(f);
}

namespace {

/// Mean and biased variance of `value(r)` over the RDom `r`, one per point of
/// `args`; two passes, as PyTorch computes them.
std::pair<Func, Func> meanVar(Call &c, const std::vector<Var> &args, RDom r,
                              const std::function<Expr(RDom)> &value, int count) {
  Func mean = c.stage("mean"), var = c.stage("var");
  mean(args) = f32(0);
  mean(args) += value(r);
  mean(args) = mean(args) / f32(count);
  var(args) = f32(0);
  Expr d = value(r) - mean(args);
  var(args) += d * d;
  var(args) = var(args) / f32(count);
  return {mean, var};
}

/// Applies (x - mean) / sqrt(var + eps) and the optional affine.
Expr normalize(Expr x, Expr mean, Expr var, double eps, Expr weight, Expr bias) {
  Expr y = (x - mean) / sqrt(var + f32(eps));
  if (weight.defined())
    y = y * weight + bias;
  return y;
}

} // namespace

/// nn.LayerNorm over the last `dims` axes.
KernelFuncs layerNorm(Call &c) {
  const Tensor &x = c.op(0);
  int rank = x.rank(), dims = int(c.kernel.i("dims"));
  int kept = rank - dims;
  Region region;
  int count = 1;
  for (int a = kept; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  RDom r(region, "r");
  auto v = axisVars(rank);
  std::vector<Var> keptVars(v.begin(), v.begin() + kept);
  auto value = [&](RDom rd) {
    std::vector<Expr> idx(v.begin(), v.begin() + kept);
    for (int a = 0; a < dims; ++a)
      idx.push_back(rd[a]);
    return x.at(idx);
  };
  auto [mean, var] = meanVar(c, halideArgs(keptVars), r, value, count);
  std::vector<Expr> normIdx(v.begin() + kept, v.end());
  const Tensor *w = c.optional(1), *b = c.optional(2);
  Func f = c.resultFunc();
  f(halideArgs(v)) = normalize(x.at(asExprs(v)), mean(halideArgs(keptVars)),
                               var(halideArgs(keptVars)), c.kernel.f("eps"),
                               w ? w->at(normIdx) : Expr(), b ? b->at(normIdx) : Expr());
  return c.done(f);
}

/// nn.GroupNorm (and nn.InstanceNorm2d, one channel per group): statistics
/// per (sample, group) over the group's channels and all positions.
KernelFuncs groupedNorm(Call &c, int groups) {
  const Tensor &x = c.op(0);
  int rank = x.rank();
  int channels = int(x.shape[1]), perGroup = channels / groups;
  Region region{Range(0, perGroup)};
  int count = perGroup;
  for (int a = 2; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  RDom r(region, "r");
  Var g("g"), n("n");
  auto value = [&](RDom rd) {
    std::vector<Expr> idx{n, g * perGroup + rd[0]};
    for (int a = 2; a < rank; ++a)
      idx.push_back(rd[a - 1]);
    return x.at(idx);
  };
  auto [mean, var] = meanVar(c, {g, n}, r, value, count);
  auto v = axisVars(rank);
  Expr group = v[1] / perGroup;
  const Tensor *w = c.optional(1), *b = c.optional(2);
  Func f = c.resultFunc();
  f(halideArgs(v)) = normalize(x.at(asExprs(v)), mean(group, v[0]), var(group, v[0]),
                               c.kernel.f("eps"), w ? w->at({v[1]}) : Expr(),
                               b ? b->at({v[1]}) : Expr());
  return c.done(f);
}

namespace {

/// The derivative at x of a normalisation over groups: with g the grad at
/// the normalised value and M the group's size,
///   dx = rstd * (g - sum(g) / M - xhat * sum(g * xhat) / M).
/// `args` index the groups, `at(rd)` places the RDom `r` in the tensor,
/// `group` is the result position's group.
KernelFuncs normGrad(Call &c, const std::vector<Var> &args, RDom r,
                     const std::function<std::vector<Expr>(RDom)> &at, int count,
                     const std::vector<Expr> &group) {
  const Tensor &grad = c.op(0), &x = c.op(1);
  auto [mean, var] = meanVar(c, args, r, [&](RDom rd) { return x.at(at(rd)); }, count);
  float eps = float(c.kernel.f("eps"));
  Func sums = c.stage("grad_sums");
  Expr xhatR = (x.at(at(r)) - mean(args)) / sqrt(var(args) + eps);
  sums(args) = Tuple(f32(0), f32(0));
  sums(args) = Tuple(sums(args)[0] + grad.at(at(r)), sums(args)[1] + grad.at(at(r)) * xhatR);
  auto v = axisVars(x.rank());
  Expr rstd = 1.0f / sqrt(var(group) + eps);
  Expr xhat = (x.at(asExprs(v)) - mean(group)) * rstd;
  Func f = c.resultFunc();
  f(halideArgs(v)) = rstd * (grad.at(asExprs(v)) - sums(group)[0] / f32(count) -
                             xhat * sums(group)[1] / f32(count));
  return c.done(f);
}

} // namespace

KernelFuncs layerNormGrad(Call &c) {
  const Tensor &x = c.op(1);
  int rank = x.rank(), dims = int(c.kernel.i("dims")), kept = rank - dims;
  Region region;
  int count = 1;
  for (int a = kept; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  auto keptVars = axisVars(kept);
  auto at = [&](RDom rd) {
    std::vector<Expr> idx(keptVars.begin(), keptVars.end());
    for (int a = 0; a < dims; ++a)
      idx.push_back(rd[a]);
    return idx;
  };
  auto v = axisVars(rank);
  std::vector<Expr> group(v.begin(), v.begin() + kept);
  return normGrad(c, halideArgs(keptVars), RDom(region, "r"), at, count,
                  std::vector<Expr>(group.rbegin(), group.rend()));
}

KernelFuncs groupNormGrad(Call &c) {
  const Tensor &x = c.op(1);
  int rank = x.rank(), groups = int(c.kernel.i("groups"));
  int perGroup = int(x.shape[1]) / groups;
  Region region{Range(0, perGroup)};
  int count = perGroup;
  for (int a = 2; a < rank; ++a) {
    region.push_back(Range(0, int(x.shape[a])));
    count *= int(x.shape[a]);
  }
  Var g("g"), n("n");
  auto at = [&](RDom rd) {
    std::vector<Expr> idx{n, g * perGroup + rd[0]};
    for (int a = 2; a < rank; ++a)
      idx.push_back(rd[a - 1]);
    return idx;
  };
  auto v = axisVars(rank);
  return normGrad(c, {g, n}, RDom(region, "r"), at, count, {v[1] / perGroup, v[0]});
}

} // namespace cnnopt::codegen::algorithms
