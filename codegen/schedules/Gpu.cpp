//===- Gpu.cpp - schedules for GPU targets (CUDA, OpenCL) ------------------===//
//
// Every stage of a GPU target is a kernel launch of its own (compute_root),
// its pure axes fused into one index and split into blocks of threads, so
// that any shape -- a 7 x 7 map, a [batch, features] matrix, a scalar loss --
// fills whole blocks and the threads of a warp touch neighbouring elements
// (the innermost axis is the contiguous one). What differs per family:
//   - convolutions give each thread a register tile of output channels for
//     one pixel: the input element a tap loads serves every channel of the
//     tile, the weights are the same for every thread of a block (uniform
//     loads); where a block's whole input window fits in shared memory
//     (first layers, narrow 1x1 convs) its pixels are a 2-D tile and the
//     block copies the window there first (neighbouring taps overlap);
//   - accumulators (linear, Winograd's GEMM, weight derivatives) live in a
//     thread's registers, computed where their one output is stored;
//   - long reductions to few outputs (norm statistics over a feature map, a
//     derivative's channel sums) deal their innermost axis to a warp's 32
//     lanes, each lane's partial sum a thread of its own (rfactor), then
//     add the lanes; short ones run one thread per output.
// Halide copies buffers between host and device as the stages need them
// and inserts the launches; the plan runner (cnnopt_model_api.h) frees the
// device copies.
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen::schedules {

using namespace Halide;

namespace {

/// Threads per block of a flat stage: four warps of 32 (CUDA), a work
/// group PoCL runs on one core.
constexpr int kThreads = 128;

/// Output channels per thread of a convolution: as many of 8, 4, 2 as
/// divide the channels (no guards in the register tile).
int channelsPerThread(int64_t channels) {
  for (int c : {8, 4, 2})
    if (channels % c == 0)
      return c;
  return 1;
}

/// Whether update `u` of `f` writes each element at the position of its
/// pure variables (a reduction into its own element), so that its threads
/// are those of the pure definition. A scatter (an argmax's gradient
/// written at a computed index) is not.
bool updatesInPlace(Func f, int u) {
  std::vector<Expr> at = f.update_args(u);
  std::vector<Var> args = f.args();
  if (at.size() != args.size())
    return false;
  for (size_t k = 0; k < at.size(); ++k) {
    const Internal::Variable *v = at[k].as<Internal::Variable>();
    if (!v || v->name != args[k].name())
      return false;
  }
  return true;
}

/// `args` of `stage` (innermost first) fused into one variable, named
/// `prefix` and the count of variables fused.
template <typename StageT>
Var fuseAll(StageT stage, const std::vector<Var> &args, const std::string &prefix) {
  Var fused = args[0];
  for (size_t k = 1; k < args.size(); ++k) {
    Var next(prefix + std::to_string(k));
    stage.fuse(fused, args[k], next);
    fused = next;
  }
  return fused;
}

/// `stage` over `args` (innermost first) as blocks of kThreads threads of
/// one fused index. Returns the thread variable. (The names are short:
/// Halide names a kernel after its block loop, whose name holds every
/// fused variable's.)
template <typename StageT> Var flatThreads(StageT stage, const std::vector<Var> &args) {
  std::vector<VarOrRVar> order(args.begin(), args.end());
  stage.reorder(order);
  Var fused = fuseAll(stage, args, "i");
  Var block("b"), thread("t");
  stage.gpu_tile(fused, block, thread, kThreads, TailStrategy::GuardWithIf);
  return thread;
}

/// The constant extents of update `u`'s reduction variables, innermost
/// first; empty if any is not constant (the run-time batch).
std::vector<int64_t> constantReduction(Func f, int u) {
  std::vector<int64_t> extents;
  for (const Internal::ReductionVariable &r : f.function().update(u).schedule().rvars()) {
    const int64_t *extent = Internal::as_const_int(r.extent);
    if (!extent)
      return {};
    extents.push_back(*extent);
  }
  return extents;
}

/// Lanes that share one output of a long reduction: a warp.
constexpr int kLanes = 32;
/// Reductions shorter than this stay on one thread per output.
constexpr int64_t kMinLaneReduction = 512;

/// Splits the in-place reduction `u` of `f` (over `args`) across lanes: its
/// innermost reduction variable is dealt to kLanes lanes (consecutive
/// elements to consecutive lanes: coalesced reads), each lane's partial
/// result in a stage of its own (rfactor) computed by a thread per lane and
/// output, and the update then adds the lanes' partials. Norm statistics
/// over a feature map, a loss over many elements: 32 times the threads of
/// one per output. False (nothing changed but a split) where the reduction
/// is short, of run-time length, or not one rfactor can split.
bool reduceAcrossLanes(Func f, int u, const std::vector<Var> &args) {
  std::vector<int64_t> extents = constantReduction(f, u);
  int64_t total = 1;
  for (int64_t e : extents)
    total *= e;
  if (extents.empty() || total < kMinLaneReduction || extents[0] < kLanes / 4)
    return false;
  int lanes = int(std::min<int64_t>(kLanes, extents[0]));
  RVar inner = f.rvars(u)[0], outer("ro"), lane("rl");
  Var laneVar("lane");
  Stage update = f.update(u);
  Func partial;
  try {
    update.split(inner, outer, lane, lanes, TailStrategy::GuardWithIf);
    partial = update.rfactor(lane, laneVar);
  } catch (const CompileError &) {
    return false; // not an associative update Halide recognises
  }
  std::vector<Var> partialArgs{laneVar};
  partialArgs.insert(partialArgs.end(), args.begin(), args.end());
  partial.compute_root().reorder_storage(partialArgs);
  flatThreads(partial, partialArgs);
  for (int pu = 0; pu < partial.num_update_definitions(); ++pu)
    flatThreads(partial.update(pu), partialArgs);
  if (args.empty())
    update.gpu_single_thread(); // a scalar: one thread adds the lanes
  else
    flatThreads(update, args);
  return true;
}

} // namespace

Var scheduleGpuStage(Func f) {
  if (!f.defined()) // a stage only some variants define (argmax of a max pool)
    return Var();
  f.compute_root();
  std::vector<Var> args = f.args();
  Var thread;
  if (args.empty())
    f.gpu_single_thread();
  else
    thread = flatThreads(f, args);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    if (!updatesInPlace(f, u))
      f.update(u).gpu_single_thread(); // a scatter
    else if (reduceAcrossLanes(f, u, args))
      continue;
    else if (args.empty())
      f.update(u).gpu_single_thread();
    else
      flatThreads(f.update(u), args);
  }
  return thread;
}

void scheduleGpuAccumulator(Func acc, Func consumer, Var thread) {
  acc.compute_at(consumer, thread);
}

namespace {

/// A convolution's accumulators `conv` in the registers of `f`'s thread
/// `thread`: one pixel x the tile's output channels (unrolled), every tap's
/// input load shared by the channels.
void accumulateInThread(Func conv, Func f, Var thread) {
  std::vector<Var> c = conv.args(); // ox, oy, o, n
  conv.compute_at(f, thread).unroll(c[2]);
  std::vector<VarOrRVar> order{c[2]};
  for (const RVar &r : conv.rvars(0))
    order.push_back(r);
  order.insert(order.end(), {c[0], c[1], c[3]});
  conv.update().reorder(order).unroll(c[2]);
}

/// Floats of a block's input window in shared memory: 32 KiB, so that a
/// multiprocessor holds a few blocks.
constexpr int64_t kWindowFloats = 8192;

/// A dense convolution's pixel tile per block whose input window fits in
/// shared memory, if there is one of at least 64 threads (or the whole map).
struct WindowTile {
  int x = 0, y = 0; ///< pixels (threads) per block; 0: no tile fits
};

/// The largest of 16 x 8 and 8 x 8 pixels (or the whole map where it is
/// smaller) whose input window -- the tile's pixels at the stride plus the
/// taps' reach -- over every input channel fits in kWindowFloats.
WindowTile chooseWindowTile(const Kernel &kernel, const Shape &shape,
                            const std::vector<int64_t> &extents) {
  const auto &stride = kernel.ints("stride");
  std::vector<int64_t> reach{0, 0}; // a 1x1 conv has no tap variables
  if (extents.size() == 3)
    for (int k = 0; k < 2; ++k)
      reach[k] = (extents[1 + k] - 1) * kernel.ints("dilation")[k];
  for (int64_t wide : {16, 8}) {
    WindowTile t;
    t.x = int(std::min(shape[3], wide));
    t.y = int(std::min(shape[2], kThreads / wide));
    int64_t windowPixels = (t.y * stride[0] + reach[0]) * (t.x * stride[1] + reach[1]);
    if (windowPixels * extents[0] <= kWindowFloats)
      return t;
  }
  return {};
}

/// A dense convolution (direct or 1x1, groups 1) whose blocks' input
/// windows fit in shared memory (the first layers, 1x1 convs of up to 128
/// channels): a block of tile.x x tile.y threads copies the window its
/// pixels read (neighbouring threads' taps overlap, up to 9-fold for 3x3)
/// into shared memory, then each thread accumulates one pixel x `channels`
/// output channels in registers from there.
/// Deeper layers keep the flat schedule: chunking their reduction would
/// need the block's accumulators kept in registers across the chunks,
/// which Halide 14 does only for warp lanes (gpu_lanes), CUDA-only and
/// without the warp barrier Volta and later need between a lane's store
/// to shared memory and another lane's load.
void scheduleGpuConvWindow(KernelFuncs &funcs, const WindowTile &tile) {
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  int channels = channelsPerThread(funcs.result.shape[1]);
  std::vector<Var> a = f.args(); // ox, oy, o, n
  Var xo("xo"), yo("yo"), xi("xi"), yi("yi"), co("co"), ci("ci"), tasks("tasks");
  // Tiles inside the map (the last ones shifted inwards, recomputing a few
  // pixels): a window never reaches past the edges of the map it reads.
  f.compute_root()
      .split(a[2], co, ci, channels)
      .tile(a[0], a[1], xo, yo, xi, yi, tile.x, tile.y, TailStrategy::ShiftInwards)
      .reorder(ci, xi, yi, xo, yo, co, a[3])
      .fuse(co, a[3], tasks)
      .gpu_blocks(xo, yo, tasks)
      .gpu_threads(xi, yi)
      .unroll(ci);
  accumulateInThread(conv, f, xi);

  // The window: one flat index over the block's threads, as many rounds as
  // it takes.
  Func window = funcs.reads.at("input").in(conv);
  Var fused = fuseAll(window, window.args(), "w"), rounds("rounds"), tx("tx"), ty("ty"), t("t");
  window.compute_at(f, xo)
      .split(fused, rounds, t, tile.x * tile.y, TailStrategy::GuardWithIf)
      .split(t, ty, tx, tile.x)
      .gpu_threads(tx, ty);
  auto padded = funcs.stages.find("padded");
  if (padded != funcs.stages.end())
    scheduleGpuStage(padded->second);
}

/// A linear layer whose input rows fit in shared memory: a block of
/// kThreads output features of one row (the other axes), which it first
/// copies into shared memory; each thread then accumulates its feature in
/// registers, reading the row from there (one broadcast per element) and
/// its weights coalesced (output feature innermost).
void scheduleGpuLinearRows(KernelFuncs &funcs) {
  for (auto &[role, stage] : funcs.stages)
    if (role != "acc")
      scheduleGpuStage(stage);
  Func f = funcs.result.func, acc = funcs.stages.at("acc");
  std::vector<Var> a = f.args(); // the output feature, then the rows' axes
  Var oo("oo"), oi("oi");
  Var row = a.size() > 1 ? fuseAll(f, std::vector<Var>(a.begin() + 1, a.end()), "r") : Var();
  f.compute_root().split(a[0], oo, oi, kThreads, TailStrategy::GuardWithIf).gpu_threads(oi);
  if (a.size() > 1)
    f.gpu_blocks(oo, row);
  else
    f.gpu_blocks(oo);
  acc.compute_at(f, oi);
  Func input = funcs.reads.at("input").in(acc);
  Var fused = fuseAll(input, input.args(), "w"), rounds("rounds"), t("t");
  input.compute_at(f, oo)
      .split(fused, rounds, t, kThreads, TailStrategy::GuardWithIf)
      .gpu_threads(t);
}

} // namespace

void scheduleGpuConv(const Kernel &kernel, KernelFuncs &funcs) {
  if (funcs.reads.count("input")) {
    WindowTile tile = chooseWindowTile(kernel, funcs.result.shape,
                                       constantReduction(funcs.stages.at("conv"), 0));
    if (tile.x) {
      scheduleGpuConvWindow(funcs, tile);
      return;
    }
  }
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  std::vector<Var> a = f.args(); // ox, oy, o, n
  int tile = channelsPerThread(funcs.result.shape[1]);
  Var pixel("pixel"), co("co"), ci("ci"), tasks("tasks"), block("block"), thread("thread");
  f.compute_root()
      .split(a[2], co, ci, tile)
      .fuse(a[0], a[1], pixel)
      .reorder(ci, pixel, co, a[3])
      .fuse(co, a[3], tasks)
      .split(pixel, block, thread, kThreads, TailStrategy::GuardWithIf)
      .gpu_threads(thread)
      .gpu_blocks(block, tasks)
      .unroll(ci);
  accumulateInThread(conv, f, thread);
  for (const char *role : {"padded", "dilated"}) {
    auto found = funcs.stages.find(role);
    if (found != funcs.stages.end())
      scheduleGpuStage(found->second);
  }
}

void scheduleGpuWinograd(KernelFuncs &funcs) {
  // The row passes of the transforms are computed inside the column
  // passes (inlined); the GEMM's accumulator per thread.
  Func gemm = funcs.stages.at("gemm");
  Var thread = scheduleGpuStage(gemm);
  scheduleGpuAccumulator(funcs.stages.at("gemm_acc"), gemm, thread);
  scheduleGpuStage(funcs.stages.at("transformed"));
  scheduleGpuStage(funcs.stages.at("output_tile"));
  scheduleGpuStage(funcs.result.func);
}

void scheduleGpuLinear(KernelFuncs &funcs, bool inlined) {
  int64_t inFeatures = constantReduction(funcs.stages.at("acc"), 0).at(0);
  if (!inlined && inFeatures <= kWindowFloats)
    scheduleGpuLinearRows(funcs);
  else
    scheduleGpuGeneric(funcs, inlined);
}

void scheduleGpuGeneric(KernelFuncs &funcs, bool inlined) {
  auto acc = funcs.stages.find("acc");
  bool accumulatorInResult = acc != funcs.stages.end() && !inlined;
  for (auto &[role, stage] : funcs.stages)
    if (!(accumulatorInResult && role == "acc"))
      scheduleGpuStage(stage);
  if (inlined)
    return;
  Var thread = scheduleGpuStage(funcs.result.func);
  if (accumulatorInResult) {
    if (funcs.result.func.args().empty())
      acc->second.compute_at(funcs.result.func, Var::outermost());
    else
      scheduleGpuAccumulator(acc->second, funcs.result.func, thread);
  }
}

} // namespace cnnopt::codegen::schedules
