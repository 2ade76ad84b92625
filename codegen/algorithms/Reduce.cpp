//===- Reduce.cpp - softmax and mean ---------------------------------------===//
//
// Reductions along axes: softmax/log-softmax (max subtracted first),
// torch.mean and torch.sum over any axes, the run-time batch included.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <algorithm>

namespace cnnopt::codegen::algorithms {

/// Softmax or log-softmax along `axis`, with the max subtracted first.
KernelFuncs softmax(Call &c, bool log) {
  const Tensor &x = c.op(0);
  int axis = int(c.kernel.i("axis"));
  auto v = axisVars(x.rank());
  std::vector<Var> others;
  for (int a = 0; a < x.rank(); ++a)
    if (a != axis)
      others.push_back(v[a]);
  RDom r(0, x.extent(axis), "r"); // the run-time batch when axis is 0
  std::vector<Expr> along = asExprs(v);
  along[axis] = r;
  Func top = c.stage("max"), total = c.stage("sum");
  top(halideArgs(others)) = negInf();
  top(halideArgs(others)) = max(top(halideArgs(others)), x.at(along));
  total(halideArgs(others)) = f32(0);
  total(halideArgs(others)) += exp(x.at(along) - top(halideArgs(others)));
  Expr shifted = x.at(asExprs(v)) - top(halideArgs(others));
  Func f = c.resultFunc();
  f(halideArgs(v)) = log ? shifted - Halide::log(total(halideArgs(others)))
                         : exp(shifted) / total(halideArgs(others));
  return c.done(f);
}

/// softmax_grad: from the forward output y along `axis`, y (grad -
/// sum(grad y)) for softmax, grad - exp(y) sum(grad) for log_softmax.
KernelFuncs softmaxGrad(Call &c) {
  const Tensor &grad = c.op(0), &y = c.op(1);
  int axis = int(c.kernel.i("axis"));
  bool log = c.kernel.b("log");
  auto v = axisVars(y.rank());
  std::vector<Var> others;
  for (int a = 0; a < y.rank(); ++a)
    if (a != axis)
      others.push_back(v[a]);
  RDom r(0, y.extent(axis), "r");
  std::vector<Expr> along = asExprs(v);
  along[axis] = r;
  Func total = c.stage("sum");
  total(halideArgs(others)) = f32(0);
  total(halideArgs(others)) += log ? grad.at(along) : grad.at(along) * y.at(along);
  Expr g = grad.at(asExprs(v)), out = y.at(asExprs(v));
  Func f = c.resultFunc();
  f(halideArgs(v)) = log ? g - exp(out) * total(halideArgs(others))
                         : out * (g - total(halideArgs(others)));
  return c.done(f);
}

namespace {

/// The sum of operand 0 over the kernel's `axes` (the run-time batch too
/// when axis 0 is one) at the result's position, and how many it adds.
std::pair<Expr, Expr> sumOverAxes(Call &c, const std::vector<Var> &v) {
  const Tensor &x = c.op(0);
  const auto &axes = c.kernel.ints("axes");
  bool keepdim = c.kernel.b("keepdim");
  Region region;
  Expr count = 1;
  for (int64_t a : axes) {
    region.push_back(Range(0, x.extent(int(a))));
    count = count * x.extent(int(a));
  }
  RDom r(region, "r");
  std::vector<Expr> in;
  size_t out = 0, reduced = 0;
  for (int a = 0; a < x.rank(); ++a) {
    if (std::find(axes.begin(), axes.end(), a) != axes.end()) {
      in.push_back(r[int(reduced++)]);
      out += keepdim;
    } else {
      in.push_back(v[out++]);
    }
  }
  return {sum(x.at(in)), count};
}

} // namespace

KernelFuncs mean(Call &c) {
  auto v = axisVars(int(c.shape.size()));
  auto [total, count] = sumOverAxes(c, v);
  Func f = c.resultFunc();
  f(halideArgs(v)) = total / cast<float>(count);
  return c.done(f);
}

/// mean_grad: the result's grad over the count of each mean, at every
/// element the mean read.
KernelFuncs meanGrad(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1);
  const auto &axes = c.kernel.ints("axes");
  bool keepdim = c.kernel.b("keepdim");
  auto v = axisVars(x.rank());
  std::vector<Expr> at;
  Expr count = 1;
  for (int a = 0; a < x.rank(); ++a) {
    bool reduced = std::find(axes.begin(), axes.end(), a) != axes.end();
    if (reduced)
      count = count * x.extent(a);
    if (!reduced)
      at.push_back(v[a]);
    else if (keepdim)
      at.push_back(0);
  }
  Func f = c.resultFunc();
  f(halideArgs(v)) = grad.at(at) / cast<float>(count);
  return c.done(f);
}

KernelFuncs reduceSum(Call &c) {
  const Tensor &x = c.op(0);
  const auto &axes = c.kernel.ints("axes");
  if (x.rank() >= 3 && !c.kernel.b("keepdim") && int(axes.size()) == x.rank() - 1 &&
      std::find(axes.begin(), axes.end(), 1) == axes.end()) {
    // Per channel (a conv bias's derivative): per image first, in parallel.
    Func sums = channelSums(c, "sum", x, 1, [&](const std::vector<Expr> &at) {
      return std::vector<Expr>{x.at(at)};
    });
    Var ch("ch");
    Func f = c.resultFunc();
    f(ch) = sums(ch);
    return c.done(f);
  }
  auto v = axisVars(int(c.shape.size()));
  Func f = c.resultFunc();
  f(halideArgs(v)) = sumOverAxes(c, v).first;
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
