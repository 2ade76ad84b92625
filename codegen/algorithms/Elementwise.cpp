//===- Elementwise.cpp - activations and arithmetic ------------------------===//
//
// Pointwise ops: the activation formulas (one per Activation case, shared
// with the fused epilogues), NumPy-broadcasting arithmetic, constants,
// prelu, pow, and glu (two reads of its input per element).
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <cmath>

namespace cnnopt::codegen::algorithms {

/// Elementwise op on operand 0.
Definition elementwise(std::function<Expr(Expr, const Kernel &)> fn) {
  return [fn](Call &c) {
    auto v = axisVars(c.op(0).rank());
    Func f = c.resultFunc();
    f(halideArgs(v)) = fn(c.op(0).at(asExprs(v)), c.kernel);
    return c.done(f);
  };
}


namespace {

Expr sigmoidOf(Expr x) { return 1.0f / (1.0f + exp(-x)); }
Expr relu6Of(Expr x) { return clamp(x, 0.0f, 6.0f); }

} // namespace

Expr activate(const Kernel &kernel, Expr x) {
  const std::string &act = kernel.activation;
  if (act == "relu")
    return max(x, 0.0f);
  if (act == "relu6")
    return relu6Of(x);
  if (act == "sigmoid")
    return sigmoidOf(x);
  if (act == "tanh")
    return tanh(x);
  if (act == "silu")
    return x * sigmoidOf(x);
  if (act == "hardswish")
    return x * relu6Of(x + 3.0f) / 6.0f;
  if (act == "hardsigmoid")
    return relu6Of(x + 3.0f) / 6.0f;
  const std::vector<double> &p = kernel.activationParams;
  if (act == "leaky_relu")
    return select(x >= 0.0f, x, x * f32(p.at(0)));
  if (act == "elu") // PyTorch's: alpha * (exp(x) - 1) from x <= 0
    return select(x > 0.0f, x, f32(p.at(0)) * (exp(x) - 1.0f));
  if (act == "softplus") { // linear above the threshold, as PyTorch
    Expr bx = x * f32(p.at(0));
    return select(bx > f32(p.at(1)), x, log(1.0f + exp(bx)) / f32(p.at(0)));
  }
  if (act == "softsign")
    return x / (1.0f + abs(x));
  if (act == "erf")
    return erf(x);
  if (act == "gelu")
    return 0.5f * x * (1.0f + erf(x * f32(M_SQRT1_2)));
  if (act == "gelu_tanh") {
    Expr inner = f32(std::sqrt(2.0 / M_PI)) * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanh(inner));
  }
  return x; // "none"
}

Expr epilogue(const Call &c, Expr acc, Expr channel, const std::vector<Expr> &at) {
  Expr y = acc;
  if (const Tensor *scale = c.optional(3))
    y = y * scale->at({channel}) + c.op(4).at({channel});
  if (const Tensor *residual = c.optional(5))
    y = y + residual->at(at);
  return activate(c.kernel, y);
}

namespace {

/// d act(x) / dx, PyTorch's at the kinks (relu and relu6 pass nothing at
/// 0 and 6, hardswish and hardsigmoid take the inner piece at -3 and 3).
Expr activationSlope(const std::string &act, Expr x, const std::vector<double> &p) {
  if (act == "relu")
    return select(x > 0.0f, 1.0f, 0.0f);
  if (act == "relu6")
    return select(x > 0.0f && x < 6.0f, 1.0f, 0.0f);
  if (act == "leaky_relu")
    return select(x > 0.0f, 1.0f, f32(p.at(0)));
  if (act == "elu")
    return select(x > 0.0f, 1.0f, f32(p.at(0)) * exp(x));
  if (act == "softplus") // sigmoid(beta x), 1 above the threshold
    return select(x * f32(p.at(0)) > f32(p.at(1)), 1.0f, sigmoidOf(x * f32(p.at(0))));
  if (act == "sigmoid") {
    Expr s = sigmoidOf(x);
    return s * (1.0f - s);
  }
  if (act == "tanh") {
    Expr t = tanh(x);
    return 1.0f - t * t;
  }
  if (act == "silu") {
    Expr s = sigmoidOf(x);
    return s * (1.0f + x * (1.0f - s));
  }
  if (act == "hardswish")
    return select(x < -3.0f, 0.0f, x <= 3.0f, x / 3.0f + 0.5f, 1.0f);
  if (act == "hardsigmoid")
    return select(x > -3.0f && x < 3.0f, 1.0f / 6.0f, 0.0f);
  if (act == "softsign") {
    Expr d = 1.0f + abs(x);
    return 1.0f / (d * d);
  }
  if (act == "erf")
    return f32(2.0 / std::sqrt(M_PI)) * exp(-x * x);
  if (act == "gelu") {
    Expr cdf = 0.5f * (1.0f + erf(x * f32(M_SQRT1_2)));
    Expr pdf = exp(-0.5f * x * x) * f32(1.0 / std::sqrt(2.0 * M_PI));
    return cdf + x * pdf;
  }
  if (act == "gelu_tanh") {
    const float beta = float(std::sqrt(2.0 / M_PI)), kappa = 0.044715f;
    Expr t = tanh(beta * (x + kappa * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * beta * (1.0f + 3.0f * kappa * x * x);
  }
  return f32(1); // "none"
}

} // namespace

/// activation_grad: grad * act'(input).
KernelFuncs activationGrad(Call &c) {
  auto v = axisVars(c.op(0).rank());
  Expr x = c.op(1).at(asExprs(v));
  Func f = c.resultFunc();
  f(halideArgs(v)) = c.op(0).at(asExprs(v)) *
                     activationSlope(c.kernel.s("activation"), x, c.kernel.activationParams);
  return c.done(f);
}

/// prelu: x where x > 0, else weight * x, the weight per channel (axis
/// 1) or one for all.
KernelFuncs prelu(Call &c) {
  auto v = axisVars(c.op(0).rank());
  Expr x = c.op(0).at(asExprs(v));
  Expr w = c.op(1).shape[0] == 1 ? c.op(1).at({Expr(0)}) : c.op(1).at({Expr(v[1])});
  Func f = c.resultFunc();
  f(halideArgs(v)) = select(x > 0.0f, x, w * x);
  return c.done(f);
}

/// pow with a constant exponent, as torch.pow: PyTorch's special cases
/// (x * x for 2, x * x * x for 3, sqrt for 0.5, reciprocals for -1 and
/// -2), powf otherwise. The sign of a negative base is handled here
/// rather than left to each target's pow: an odd integer exponent keeps
/// it, an even one drops it, a non-integer exponent gives NaN.
KernelFuncs power(Call &c) {
  double e = c.kernel.f("exponent");
  return elementwise([e](Expr x, const Kernel &) -> Expr {
    if (e == 1)
      return x;
    if (e == 2)
      return x * x;
    if (e == 3)
      return x * x * x;
    if (e == 0.5)
      return sqrt(x);
    if (e == -1)
      return 1.0f / x;
    if (e == -2)
      return 1.0f / (x * x);
    if (e == 0)
      return f32(1); // PyTorch's pow(x, 0) is 1, NaN and 0 included
    Expr magnitude = Halide::pow(abs(x), f32(e));
    if (e == std::floor(e) && std::abs(e) < 16777216.0) {
      bool odd = std::fmod(std::abs(e), 2.0) == 1.0;
      return odd ? select(x < 0.0f, -magnitude, magnitude) : magnitude;
    }
    // A negative base has no real non-integer power: NaN, as powf's.
    return select(x < 0.0f, f32(NAN), magnitude);
  })(c);
}

/// glu: the first half along `axis` times the sigmoid of the second.
KernelFuncs glu(Call &c) {
  auto v = axisVars(c.op(0).rank());
  int axis = int(c.kernel.i("axis"));
  std::vector<Expr> first = asExprs(v), second = asExprs(v);
  second[axis] = second[axis] + int(c.shape[axis]);
  Func f = c.resultFunc();
  f(halideArgs(v)) = c.op(0).at(first) * sigmoidOf(c.op(0).at(second));
  return c.done(f);
}

/// An activation op.
KernelFuncs activation(Call &c) {
  return elementwise([](Expr x, const Kernel &k) { return activate(k, x); })(c);
}


/// add/sub/mul/div with NumPy broadcasting.
Definition broadcasting(std::function<Expr(Expr, Expr)> fn) {
  return [fn](Call &c) {
    auto v = axisVars(int(c.shape.size()));
    auto read = [&](const Tensor &t) {
      std::vector<Expr> idx;
      size_t lead = c.shape.size() - t.shape.size();
      for (size_t a = 0; a < t.shape.size(); ++a)
        idx.push_back(t.shape[a] == 1 && c.shape[lead + a] != 1 ? Expr(0)
                                                                : Expr(v[lead + a]));
      return t.at(idx);
    };
    Func f = c.resultFunc();
    f(halideArgs(v)) = fn(read(c.op(0)), read(c.op(1)));
    return c.done(f);
  };
}

KernelFuncs constant(Call &c) {
  Func f = c.resultFunc();
  f() = f32(c.kernel.f("value"));
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
