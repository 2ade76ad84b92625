//===- Reduce.cpp - softmax and mean ---------------------------------------===//
//
// Reductions along axes: softmax/log-softmax (max subtracted first) and
// torch.mean over any axes, the run-time batch included.
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

KernelFuncs mean(Call &c) {
  const Tensor &x = c.op(0);
  const auto &axes = c.kernel.ints("axes");
  bool keepdim = c.kernel.b("keepdim");
  Region region;
  Expr count = 1; // over the run-time batch too when axis 0 is reduced
  for (int64_t a : axes) {
    region.push_back(Range(0, x.extent(int(a))));
    count = count * x.extent(int(a));
  }
  RDom r(region, "r");
  auto v = axisVars(int(c.shape.size()));
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
  Func f = c.resultFunc();
  f(halideArgs(v)) = sum(x.at(in)) / cast<float>(count);
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
