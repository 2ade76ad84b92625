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

namespace {

/// An average pool's divisor at output cell (oy, ox) of input `x`: the
/// window clipped to the padded input (count_include_pad) or to the input.
Expr avgPoolDivisor(const Kernel &k, const Tensor &x, Expr oy, Expr ox) {
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"), &pad = k.ints("padding");
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Expr y0 = oy * int(stride[0]) - int(pad[0]), x0 = ox * int(stride[1]) - int(pad[1]);
  Expr y1 = min(y0 + int(kernel[0]), h + int(pad[0]));
  Expr x1 = min(x0 + int(kernel[1]), w + int(pad[1]));
  if (k.b("count_include_pad"))
    return cast<float>((y1 - y0) * (x1 - x0));
  return cast<float>((min(y1, h) - max(y0, 0)) * (min(x1, w) - max(x0, 0)));
}

/// The output cell along one axis whose window holds input `i` at tap
/// `tap`, if any: (i + pad - tap * dilation) / stride when that divides
/// and lands in [0, cells).
struct WindowCell {
  Expr cell, valid;
};
WindowCell cellOf(Expr i, Expr tap, int64_t stride, int64_t pad, int64_t dilation,
                  int64_t cells) {
  Expr offset = i + int(pad) - tap * int(dilation);
  Expr cell = offset / int(stride);
  Expr valid = offset >= 0 && offset % int(stride) == 0 && cell < int(cells);
  return {clamp(cell, 0, int(cells) - 1), valid};
}

} // namespace

KernelFuncs avgPool2d(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &x = c.op(0);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding");
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = oy * int(stride[0]) - int(pad[0]), x0 = ox * int(stride[1]) - int(pad[1]);
  RDom r(0, int(kernel[0]), 0, int(kernel[1]), "r");
  Func f = c.resultFunc();
  f(ox, oy, ch, n) =
      sum(paddedAt(x, n, ch, y0 + r.x, x0 + r.y, f32(0))) / avgPoolDivisor(k, x, oy, ox);
  return c.done(f);
}

/// max_pool2d_grad: each window's grad goes to its first maximum (the taps
/// scanned row by row, as PyTorch), gathered at each input pixel from the
/// windows that hold it.
KernelFuncs maxPool2dGrad(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &grad = c.op(0), &x = c.op(1);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"),
             &pad = k.ints("padding"), &dilation = k.ints("dilation");
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  RDom taps(0, int(kernel[1]), 0, int(kernel[0]), "taps"); // kx innermost
  Expr iy = oy * int(stride[0]) - int(pad[0]) + taps.y * int(dilation[0]);
  Expr ix = ox * int(stride[1]) - int(pad[1]) + taps.x * int(dilation[1]);
  Func best = c.stage("argmax");
  best(ox, oy, ch, n) = argmax(taps, paddedAt(x, n, ch, iy, ix, negInf()));
  RDom r(0, int(kernel[1]), 0, int(kernel[0]), "r");
  WindowCell cy = cellOf(oy, r.y, stride[0], pad[0], dilation[0], grad.shape[2]);
  WindowCell cx = cellOf(ox, r.x, stride[1], pad[1], dilation[1], grad.shape[3]);
  Tuple chosen = best(cx.cell, cy.cell, ch, n);
  Expr hit = cy.valid && cx.valid && chosen[0] == r.x && chosen[1] == r.y;
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = sum(select(hit, grad.at({n, ch, cy.cell, cx.cell}), 0.0f));
  return c.done(f);
}

/// avg_pool2d_grad: each window's grad divided by its divisor, gathered at
/// each input pixel from the windows that hold it.
KernelFuncs avgPool2dGrad(Call &c) {
  const Kernel &k = c.kernel;
  const Tensor &grad = c.op(0), &x = c.op(1);
  const auto &kernel = k.ints("kernel"), &stride = k.ints("stride"), &pad = k.ints("padding");
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  RDom r(0, int(kernel[1]), 0, int(kernel[0]), "r");
  WindowCell cy = cellOf(oy, r.y, stride[0], pad[0], 1, grad.shape[2]);
  WindowCell cx = cellOf(ox, r.x, stride[1], pad[1], 1, grad.shape[3]);
  Expr share = grad.at({n, ch, cy.cell, cx.cell}) / avgPoolDivisor(k, x, cy.cell, cx.cell);
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = sum(select(cy.valid && cx.valid, share, 0.0f));
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

/// Cell i of adaptive pooling from `in` to `out` covers [start, end).
Expr adaptiveStart(Expr i, int in, int out) { return (i * in) / out; }
Expr adaptiveEnd(Expr i, int in, int out) { return ((i + 1) * in + out - 1) / out; }

} // namespace

/// Adaptive pooling: cell i covers [floor(i*in/out), ceil((i+1)*in/out)).
KernelFuncs adaptivePool2d(Call &c, bool average) {
  const Tensor &x = c.op(0);
  const auto &size = c.kernel.ints("size");
  int h = int(x.shape[2]), w = int(x.shape[3]), oh = int(size[0]), ow = int(size[1]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Expr y0 = adaptiveStart(oy, h, oh), y1 = adaptiveEnd(oy, h, oh);
  Expr x0 = adaptiveStart(ox, w, ow), x1 = adaptiveEnd(ox, w, ow);
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

/// adaptive_pool2d_grad: each cell's grad spread over its window
/// (average) or sent to the window's first maximum, gathered at each input
/// pixel from the cells whose windows hold it (windows may overlap).
KernelFuncs adaptivePool2dGrad(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1);
  bool average = c.kernel.b("average");
  int h = int(x.shape[2]), w = int(x.shape[3]);
  int oh = int(grad.shape[2]), ow = int(grad.shape[3]);
  Var ox("ox"), oy("oy"), ch("ch"), n("n");
  Func best = c.stage("argmax");
  if (!average) {
    RDom taps(0, adaptiveWindow(w, ow), 0, adaptiveWindow(h, oh), "taps");
    Expr y0 = adaptiveStart(oy, h, oh), x0 = adaptiveStart(ox, w, ow);
    Expr inside = y0 + taps.y < adaptiveEnd(oy, h, oh) && x0 + taps.x < adaptiveEnd(ox, w, ow);
    Expr value = x.at({n, ch, min(y0 + taps.y, h - 1), min(x0 + taps.x, w - 1)});
    best(ox, oy, ch, n) = argmax(taps, select(inside, value, negInf()));
  }
  RDom cells(0, ow, 0, oh, "cells");
  Expr y0 = adaptiveStart(cells.y, h, oh), y1 = adaptiveEnd(cells.y, h, oh);
  Expr x0 = adaptiveStart(cells.x, w, ow), x1 = adaptiveEnd(cells.x, w, ow);
  Expr inside = oy >= y0 && oy < y1 && ox >= x0 && ox < x1;
  Expr g = grad.at({n, ch, cells.y, cells.x});
  Expr share;
  if (average) {
    share = g / cast<float>((y1 - y0) * (x1 - x0));
  } else {
    Tuple chosen = best(cells.x, cells.y, ch, n);
    share = select(x0 + chosen[0] == ox && y0 + chosen[1] == oy, g, 0.0f);
  }
  Func f = c.resultFunc();
  f(ox, oy, ch, n) = sum(select(inside, share, 0.0f));
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

/// upsample2d_grad: nearest sums each pixel's scale x scale block of
/// grads; bilinear sums the grads of the outputs within a pixel's reach
/// (rows and columns [(i - 1) s, (i + 2) s)) times the weight each gave it.
KernelFuncs upsample2dGrad(Call &c) {
  const Tensor &grad = c.op(0), &x = c.op(1);
  int scale = int(c.kernel.i("scale"));
  int h = int(x.shape[2]), w = int(x.shape[3]);
  Var ix("ix"), iy("iy"), ch("ch"), n("n");
  Func f = c.resultFunc();
  if (c.kernel.s("mode") == "nearest") {
    RDom r(0, scale, 0, scale, "r");
    f(ix, iy, ch, n) = sum(grad.at({n, ch, iy * scale + r.y, ix * scale + r.x}));
    return c.done(f);
  }
  // The weight output o gives input i along an axis of `in` pixels.
  auto weight = [&](Expr o, Expr i, int in) {
    Expr src = max((cast<float>(o) + 0.5f) / f32(scale) - 0.5f, 0.0f);
    Expr i0 = cast<int>(src), i1 = min(i0 + 1, in - 1);
    Expr l = src - cast<float>(i0);
    return select(i0 == i, 1.0f - l, 0.0f) + select(i1 == i, l, 0.0f);
  };
  RDom r(0, 3 * scale, 0, 3 * scale, "r");
  Expr oy = (iy - 1) * scale + r.y, ox = (ix - 1) * scale + r.x;
  Expr inside = oy >= 0 && oy < h * scale && ox >= 0 && ox < w * scale;
  Expr g = grad.at({n, ch, clamp(oy, 0, h * scale - 1), clamp(ox, 0, w * scale - 1)});
  f(ix, iy, ch, n) = sum(select(inside, g * weight(oy, iy, h) * weight(ox, ix, w), 0.0f));
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
