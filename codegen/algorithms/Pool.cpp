//===- Pool.cpp - pooling and resampling -----------------------------------===//
//
// Max, average (ceil_mode, count_include_pad) and adaptive pooling, and
// nearest/bilinear upsampling, with PyTorch's window arithmetic.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

namespace cnnopt::codegen::algorithms {

KernelFuncs maxPool2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding"), &dilation = k.ints("dilation");
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  RDom r(0, int(kernel[0]), 0, int(kernel[1]), "r");
  Expr iy = oy * int(stride[0]) - int(pad[0]) + r.x * int(dilation[0]);
  Expr ix = ox * int(stride[1]) - int(pad[1]) + r.y * int(dilation[1]);
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = maximum(paddedAt(x, n, ch, iy, ix, negInf()));
  return c.done(f);
}

/// nn.AvgPool2d: the divisor is the window clipped to the padded input
/// (count_include_pad) or to the input itself.
KernelFuncs avgPool2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding");
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = oy * int(stride[0]) - int(pad[0]), x0 = ox * int(stride[1]) - int(pad[1]);
  Expr y1 = min(y0 + int(kernel[0]), h + int(pad[0]));
  Expr x1 = min(x0 + int(kernel[1]), w + int(pad[1]));
  Expr divisor = (y1 - y0) * (x1 - x0);
  if (!k.b("count_include_pad"))
    divisor = (min(y1, h) - max(y0, 0)) * (min(x1, w) - max(x0, 0));
  RDom r(0, int(kernel[0]), 0, int(kernel[1]), "r");
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = sum(paddedAt(x, n, ch, y0 + r.x, x0 + r.y, f32(0))) / cast<float>(divisor);
  return c.done(f);
}

namespace {

/// Widest window of adaptive pooling from `in` to `out` cells.
int adaptiveWindow(int in, int out) {
  int widest = 0;
  for (int i = 0; i < out; ++i)
    widest = std::max(widest, ((i + 1) * in + out - 1) / out - (i * in) / out);
  return widest;
}

} // namespace

/// Adaptive pooling: cell i covers [floor(i*in/out), ceil((i+1)*in/out)).
KernelFuncs adaptivePool2d(Call &c, bool average) {
  const Tensor &x = c.op(0);
  const auto &size = c.kernel.ints("size");
  int h = int(x.shape[2]), w = int(x.shape[3]), oh = int(size[0]), ow = int(size[1]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
  Expr x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
  RDom r(0, adaptiveWindow(h, oh), 0, adaptiveWindow(w, ow), "r");
  Expr inside = y0 + r.x < y1 && x0 + r.y < x1;
  Expr value = x.at({n, ch, min(y0 + r.x, h - 1), min(x0 + r.y, w - 1)});
  Func f = c.resultFunc();
  if (average)
    f(ox, oy, ch, n) = sum(select(inside, value, 0.0f)) / cast<float>((y1 - y0) * (x1 - x0));
  else
    f(ox, oy, ch, n) = maximum(select(inside, value, negInf()));
  return c.done(f);
}

/// nn.Upsample(scale_factor=s): nearest, or bilinear with
/// align_corners=false (source = (dst + 0.5) / s - 0.5, clamped at 0).
KernelFuncs upsample2d(Call &c) {
  const Tensor &x = c.op(0);
  int scale = int(c.kernel.i("scale"));
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Func f = c.resultFunc();
  if (c.kernel.s("mode") == "nearest") {
    f(ox, oy, ch, n) = x.at({n, ch, oy / scale, ox / scale});
    return c.done(f);
  }
  auto source = [&](Expr dst) {
    return max((cast<float>(dst) + 0.5f) / f32(scale) - 0.5f, 0.0f);
  };
  Expr sy = source(oy), sx = source(ox);
  Expr y0 = cast<int>(sy), x0 = cast<int>(sx);
  Expr y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1);
  Expr ly = sy - cast<float>(y0), lx = sx - cast<float>(x0);
  auto at = [&](Expr y, Expr xx) { return x.at({n, ch, y, xx}); };
  f(ox, oy, ch, n) = (1.0f - ly) * ((1.0f - lx) * at(y0, x0) + lx * at(y0, x1)) +
                     ly * ((1.0f - lx) * at(y1, x0) + lx * at(y1, x1));
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
