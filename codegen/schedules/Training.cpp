//===- Training.cpp - schedules of the training step's own kernels ---------===//
//
// conv2d's weight derivative is a matrix product per kernel tap, dW[o, i]
// += dy[p, o] * x[p, i] over every pixel p of the batch: a register tile of
// output channels times vectors of input channels (the channels-last
// input's contiguous axis), accumulated over the pixels, as the forward
// conv's tile (PERF_NOTES lesson 8: no naive loops in backward kernels).
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

namespace cnnopt::codegen::schedules {

using namespace Halide;

void scheduleConvGradWeight(KernelFuncs &funcs, Func stored, const Target &target) {
  int width = vectorWidth(target);
  Func acc = funcs.stages.at("acc");
  const Shape &shape = funcs.result.shape; // O, I, KH, KW
  int out = int(shape[0]), in = int(shape[1]);
  Func result = stored.defined() ? stored : funcs.result.func;
  Var o = result.args().back(); // axis 0 in either layout
  std::vector<Var> a = acc.args(); // i, kx, ky, o
  std::vector<RVar> r = acc.rvars(0); // ox, oy, n
  if (in % width != 0 && out % width == 0) {
    // Too few input channels for a vector (a first layer, 3 channels):
    // vectors of output channels (the derivative's contiguous axis) times
    // every input channel and kernel column, the input broadcast.
    Var ot("ot"), oi("oi");
    result.compute_root().split(o, ot, oi, width).parallel(ot);
    acc.compute_at(result, ot).reorder_storage(a[3], a[0], a[1], a[2]).vectorize(a[3]);
    acc.update()
        .reorder({a[3], a[0], a[1], r[0], r[1], r[2], a[2]})
        .vectorize(a[3])
        .unroll(a[0])
        .unroll(a[1]);
    return;
  }
  if (in % width != 0) {
    scheduleStage(acc, target);
    result.compute_root().parallel(o);
    return;
  }
  // 2 vectors of input channels x 4 output channels: 8 accumulators, 2
  // loads and 4 broadcasts per pixel.
  int vectors = in % (2 * width) == 0 ? 2 : 1;
  int outTile = out % 4 == 0 ? 4 : out % 2 == 0 ? 2 : 1;
  Var ot("ot"), oi("oi"), ib("ib"), iv("iv"), il("il");
  result.compute_root().split(o, ot, oi, outTile).parallel(ot);
  acc.compute_at(result, ot).vectorize(a[0], width);
  acc.update()
      .split(a[0], ib, iv, vectors * width)
      .split(iv, iv, il, width)
      .reorder({il, iv, a[3], r[0], r[1], r[2], a[1], a[2], ib})
      .vectorize(il)
      .unroll(iv)
      .unroll(a[3]);
}

} // namespace cnnopt::codegen::schedules
