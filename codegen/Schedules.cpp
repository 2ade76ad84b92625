//===- Schedules.cpp - How each kernel is computed ------------------------===//
//
// Default CPU schedules, one small function per op family. Every kernel's
// result is computed once (compute_root), spread over the cores along
// channels x batch so that batch 1 still uses every core, and vectorised
// along the innermost (width) axis with the target's natural float width.
// Tuned schedules (register tiles, Winograd) replace these per algorithm.
//===----------------------------------------------------------------------===//

#include "codegen/Schedules.h"

#include <algorithm>

namespace cnnopt::codegen {
namespace {

using namespace Halide;

/// Floats per vector register: 16 with AVX-512, 8 with AVX2/NEON pairs.
int vectorWidth(const Target &target) { return target.natural_vector_size<float>(); }

/// Parallel over the two outermost axes (channels x batch for NCHW) and
/// vectorised along the innermost one, for a pure definition or an update.
template <typename StageT>
void spreadAndVectorize(StageT stage, const std::vector<Var> &args, int width) {
  if (args.size() >= 3) {
    Var outer = args[args.size() - 1], inner = args[args.size() - 2];
    Var fused(outer.name() + "_" + inner.name());
    stage.fuse(inner, outer, fused).parallel(fused);
  } else if (args.size() == 2) {
    stage.parallel(args.back());
  }
  if (!args.empty())
    stage.vectorize(args.front(), width, TailStrategy::GuardWithIf);
}

/// Computes `f` once, before its consumers, in parallel and vectorised.
/// An update that reduces (conv taps, a norm's statistics, a linear layer's
/// inputs) runs its reduction outside a vectorised row of the innermost
/// axis, so the row of accumulators stays in registers/L1.
void scheduleStage(Func f, int width) {
  std::vector<Var> args = f.args();
  f.compute_root();
  spreadAndVectorize(f, args, width);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Stage update = f.update(u);
    std::vector<RVar> r = f.rvars(u);
    if (!r.empty() && !args.empty()) {
      std::vector<VarOrRVar> order{args[0]};
      order.insert(order.end(), r.begin(), r.end());
      for (size_t k = 1; k < args.size(); ++k)
        order.push_back(args[k]);
      update.reorder(order);
    }
    spreadAndVectorize(update, args, width);
  }
}

/// Direct convolution (conv2d and fused_conv2d) in NCHW: the result is
/// tiled into `channels` output channels x `pixels` pixels of one row; the
/// accumulator of a tile is computed inside it, so its channels x
/// pixels/width vectors stay in registers while the reduction over input
/// channels and taps streams the weights (broadcast) and one input row
/// segment per tap. 8 channels x 2 vectors = 16 accumulators, plus the
/// input vectors and a broadcast, fits the 32 zmm registers of AVX-512
/// (PERF_NOTES lesson 1); narrow rows use one vector.
void scheduleDirectConv(const Kernel &kernel, KernelFuncs &funcs, int width) {
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  const Shape &shape = funcs.result.shape;
  int outChannels = int(shape[1]), outWidth = int(shape[3]);
  // Constant tile sizes (tails shift inwards, recomputing a little) keep the
  // accumulator a fixed-size stack array that LLVM promotes to registers.
  int pixels = outWidth >= 2 * width ? 2 * width : std::min(outWidth, width);
  int channels = std::min(8, outChannels);
  // A row narrower than a vector (7 or 14 pixels deep in a network) is one
  // vector of exactly its width: LLVM pads it, with no per-lane guards.
  bool narrow = pixels < width;
  auto vectorizeRow = [&](auto stage, VarOrRVar x) {
    if (narrow)
      stage.vectorize(x);
    else
      stage.vectorize(x, width).unroll(x);
  };
  std::vector<Var> a = f.args(); // ox, oy, o, n
  Var ox = a[0], oy = a[1], o = a[2], n = a[3];
  Var xo("xo"), xi("xi"), co("co"), ci("ci"), rows("rows");
  f.compute_root()
      .split(ox, xo, xi, pixels)
      .split(o, co, ci, channels)
      .reorder(xi, ci, xo, co, oy, n)
      .fuse(co, oy, rows)
      .parallel(rows)
      .unroll(ci);
  vectorizeRow(f, xi);
  std::vector<Var> c = conv.args();
  conv.compute_at(f, xo).unroll(c[2]);
  vectorizeRow(conv, c[0]);
  std::vector<RVar> r = conv.rvars(0); // input channel, kernel row, kernel column
  Stage update = conv.update();
  update.reorder(c[0], c[2], r[2], r[1], r[0], c[1], c[3]).unroll(c[2]);
  vectorizeRow(update, c[0]);
  if (funcs.stages.count("padded"))
    scheduleStage(funcs.stages.at("padded"), width);
}

/// nn.Linear, y(o, ...) += x(k, ...) * w(o, k): both operands are
/// contiguous along k, so the reduction itself is vectorised (a vector
/// of partial sums per output, added up at the end), parallel over outputs.
void scheduleLinear(Func f, int width) {
  std::vector<Var> args = f.args(); // o, then the leading axes
  f.compute_root();
  spreadAndVectorize(f, args, width);
  std::vector<RVar> r = f.rvars(0);
  Stage update = f.update();
  update.atomic().vectorize(r[0], width).parallel(args[0], 16, TailStrategy::GuardWithIf);
}

} // namespace

bool isPointwise(const Kernel &kernel, const std::vector<TensorType> &values) {
  if (!kernel.pointwise)
    return false;
  // An operand broadcast along some axis of the result's rank is read many
  // times per element: not free to inline. Lower-rank operands are
  // per-channel parameters or scalar constants.
  const Shape &result = values[kernel.result].shape;
  for (int id : kernel.operands)
    if (id >= 0 && values[id].shape.size() == result.size() && values[id].shape != result)
      return false;
  return true;
}

bool readsOnce(const Kernel &consumer, size_t operand, const std::vector<TensorType> &values) {
  if (consumer.op == "conv2d" || consumer.op == "fused_conv2d") {
    const auto &pad = consumer.ints("padding");
    bool padded = std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    return operand == 0 && padded;
  }
  if (!isPointwise(consumer, values))
    return false;
  // Same-shape operand of a pointwise kernel (batch_norm's parameters are
  // per-channel, but they are parameters, never kernel results).
  return values[consumer.operands[operand]].shape == values[consumer.result].shape;
}

void scheduleKernel(const Kernel &kernel, KernelFuncs &funcs, const Target &target,
                    bool inlined) {
  int width = vectorWidth(target);
  if (kernel.op == "conv2d" || kernel.op == "fused_conv2d") {
    scheduleDirectConv(kernel, funcs, width);
    return;
  }
  if (kernel.op == "linear") {
    scheduleLinear(funcs.result.func, width);
    return;
  }
  for (auto &[role, stage] : funcs.stages)
    scheduleStage(stage, width);
  if (!inlined)
    scheduleStage(funcs.result.func, width);
}

} // namespace cnnopt::codegen
