//===- Conv.cpp - convolution schedules ------------------------------------===//
//
// Register-tiled schedules per conv algorithm (PERF_NOTES lesson 1).
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// Direct convolution (conv2d and fused_conv2d) in NCHW: the result is
/// tiled into `channels` output channels x `pixels` pixels of one row; the
/// accumulator of a tile is computed inside it, so its channels x
/// pixels/width vectors stay in registers while the reduction over input
/// channels and taps streams the weights (broadcast) and one input row
/// segment per tap. 8 channels x 2 vectors = 16 accumulators, plus the
/// input vectors and a broadcast, fits the 32 zmm registers of AVX-512
/// (PERF_NOTES lesson 1); AVX2's 16 ymm registers take 6 channels; narrow
/// rows use one vector.
/// gemm (1x1: one reduction variable) and depthwise (taps only, unrolled)
/// use the same tile.
void scheduleDirectConv(KernelFuncs &funcs, const Target &target, bool unrollTaps,
                        bool inputChannelsLast) {
  int width = vectorWidth(target);
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  const Shape &shape = funcs.result.shape;
  int outChannels = int(shape[1]), outWidth = int(shape[3]);
  // Constant tile sizes (tails shift inwards, recomputing a little) keep the
  // accumulator a fixed-size stack array that LLVM promotes to registers.
  int pixels = outWidth >= 2 * width ? 2 * width : std::min(outWidth, width);
  // Accumulators, the row's input vectors and one broadcast weight must
  // fit the vector registers: 8 channels x 2 vectors with AVX-512's 32,
  // 6 x 2 with AVX2's 16.
  int rowVectors = std::max(1, pixels / width);
  int channels = std::min({8, outChannels, (vectorRegisters(target) - rowVectors - 1) / rowVectors});
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
  // Innermost: the row vectors and channels of the tile, then the
  // reduction variables from the last (kernel column) to the first.
  std::vector<RVar> r = conv.rvars(0);
  std::vector<VarOrRVar> order{c[0], c[2]};
  order.insert(order.end(), r.rbegin(), r.rend());
  order.push_back(c[1]);
  order.push_back(c[3]);
  Stage update = conv.update();
  update.reorder(order).unroll(c[2]);
  if (unrollTaps)
    for (const RVar &tap : r)
      update.unroll(tap);
  vectorizeRow(update, c[0]);
  // Depthwise reads its padded input as row vectors: NCHW.
  schedulePadded(funcs, target, inputChannelsLast && !unrollTaps);
}

void schedulePadded(KernelFuncs &funcs, const Target &target, bool channelsLast) {
  auto found = funcs.stages.find("padded");
  if (found == funcs.stages.end())
    return;
  Func padded = found->second;
  if (!channelsLast) {
    scheduleStage(padded, target);
    return;
  }
  std::vector<Var> a = padded.args(); // x, y, c, n
  Var rows(padded.name() + "_rows");
  padded.compute_root()
      .reorder_storage(a[2], a[0], a[1], a[3])
      .reorder(a[2], a[0], a[1], a[3])
      .vectorize(a[2], vectorWidth(target), TailStrategy::GuardWithIf)
      .fuse(a[1], a[3], rows)
      .parallel(rows);
}

/// The tile that does the most multiply-adds per load for a row of `width`
/// pixels and `channelVectors` vectors of channels, within `registers`:
/// the accumulators, the weight vectors of a step and one broadcast input. A tile
/// that does not divide the row recomputes the overlap of the last one.
ChannelsLastTile chooseTile(int channelVectors, int width, int registers) {
  ChannelsLastTile best;
  double bestScore = 0;
  for (int v = 1; v <= std::min(4, channelVectors); ++v) {
    if (channelVectors % v != 0)
      continue;
    // One register spare: at exactly the limit LLVM's scheduler spills.
    for (int p = 1; p <= width && v * p + v + 1 <= registers - 1; ++p) {
      int tiles = (width + p - 1) / p;
      double perLoad = double(v * p) / double(v + p); // FMAs per vector loaded
      double used = double(width) / double(tiles * p);
      double score = perLoad * used;
      if (score > bestScore + 1e-9) {
        bestScore = score;
        best = {v, p};
      }
    }
  }
  return best;
}

namespace {

/// A depthwise conv's tile: one vector of channels x up to 8 pixels. Each
/// multiply-add loads its own input vector whatever the tile, so more
/// channel vectors buy nothing; pixels amortise the weight vector of a tap
/// (1 + 1/pixels loads per multiply-add). A count of pixels that divides
/// the row is preferred, so that no tile recomputes another's pixels.
ChannelsLastTile chooseDepthwiseTile(int width) {
  constexpr int kMaxPixels = 8, kMinPixels = 4;
  for (int p = std::min(kMaxPixels, width); p >= kMinPixels; --p)
    if (width % p == 0)
      return {1, p};
  return {1, std::min(kMaxPixels, width)};
}

/// Weights beyond this (bytes) make a layer "deep": it runs one channel
/// tile at a time over the whole image, its reduction in chunks of input
/// channels (reductionChunk()). Below it, a row's channel tiles in turn
/// read the weights from L2 or L3 once per row, which costs less than the
/// deep layer's passes over its accumulators and input up to a few times
/// L2 (1 MB per core here). ResNet-50, fastest of 20 runs, the threshold
/// at 256 KB -> 2.5 MB, 1 / 2 threads batch 1: 1x1 512->256 at 28x28 (512
/// KB) 2.96 -> 2.27 / 1.41 -> 1.17 ms; 1x1 s2 512->1024 (2 MB) 2.97 ->
/// 2.48 / 1.37 -> 1.26; 3x3 s2 256->256 (2.4 MB) 3.13 -> 2.82 / 1.60 ->
/// 1.44; batch 8, 2 threads: 16.9 -> 11.8, 15.9 -> 12.1, 17.2 -> 14.5.
/// At 10 MB, layer4's 3x3 s2 (9.4 MB) and 1x1 s2 (8 MB) slowed down (1
/// thread 3.8 -> 4.3, 2.9 -> 3.5-3.9 ms).
constexpr int64_t kDeepWeightBytes = 2560 << 10;

/// The input channels per chunk of a deep layer's reduction: 32 keeps the
/// tile's slice of the weights in L1 (PERF_NOTES lesson 3). Where a
/// pixel's input channels span 4 KB or more (1024 channels and up), each
/// pixel's chunk is a run of only two cache lines 4 KB apart from the next
/// pixel's, which the prefetcher does not follow: up to 128 channels then,
/// as long as the weights' slice stays within 16 KB (measured, 1x1 convs:
/// 2048->512 at 7x7 1.51 -> 1.38 ms, 1024->256 at 14x14 1.32 -> 1.13 ms;
/// 512->2048 at 7x7 slower with 128, 1.20 -> 1.38 ms).
int reductionChunk(int64_t inChannels, int64_t taps, int tileChannels) {
  constexpr int64_t kChunkWeightBytes = 16 << 10, kPageBytes = 4 << 10;
  int chunk = 32;
  if (4 * inChannels < kPageBytes)
    return chunk;
  while (chunk < 128 && 2 * chunk * taps * tileChannels * 4 <= kChunkWeightBytes)
    chunk *= 2;
  return chunk;
}

/// The constant extents of the reduction of `f`'s first update, in its
/// RDom's order (Func::rvars() names the variables without their bounds).
std::vector<int64_t> reductionExtents(Func f) {
  std::vector<int64_t> extents;
  for (const Internal::ReductionVariable &r : f.function().update(0).schedule().rvars())
    if (const int64_t *extent = Internal::as_const_int(r.extent))
      extents.push_back(*extent);
  return extents;
}


} // namespace

int channelsLastTileChannels(int channels, int rowWidth, const Target &target) {
  int width = vectorWidth(target);
  if (channels % width != 0)
    return 0;
  return chooseTile(channels / width, rowWidth, vectorRegisters(target)).vectors * width;
}

/// Direct, 1x1 (gemm) and depthwise convolutions stored channels-last
/// (PERF_NOTES lessons 1-3, 5): a tile of `vectors` vectors of output
/// channels x `pixels` pixels of a row keeps its accumulators in registers;
/// each reduction step loads the weight vectors of the tile (output
/// channels innermost, algorithms/Conv.cpp) and broadcasts one input
/// element per pixel (dense) or loads one input vector per pixel and tap
/// (depthwise, taps unrolled). Layers whose weights fit in L2 run row by
/// row, the channel tiles of a row in turn; deep layers with large weights
/// run one channel tile at a time over the whole image (and batch), so that
/// its slice of the weights stays in cache. Depthwise layers run four
/// strips of rows per image in parallel, every channel tile of a pixel
/// tile in turn, reading their padding inline.
void scheduleChannelsLastConv(const Kernel &kernel, KernelFuncs &funcs, Func stored,
                              const Target &target, bool inputChannelsLast) {
  bool depthwise = convAlgorithm(kernel) == "depthwise";
  int width = vectorWidth(target);
  Func conv = funcs.stages.at("conv");
  const Shape &shape = funcs.result.shape; // N, C, H, W
  int channels = int(shape[1]), rowWidth = int(shape[3]);
  ChannelsLastTile tile = depthwise ? chooseDepthwiseTile(rowWidth)
                                    : chooseTile(channels / width, rowWidth, vectorRegisters(target));
  int tileChannels = tile.vectors * width; // = channelsLastTileChannels(): the weights' block
  std::vector<RVar> r = conv.rvars(0); // (ci, ky, kx), (ci), or (ky, kx)
  std::vector<int64_t> extents = reductionExtents(conv);
  int64_t macsPerOutput = 1;
  for (int64_t extent : extents)
    macsPerOutput *= extent;
  int64_t weightBytes = 4 * int64_t(channels) * macsPerOutput;
  int64_t inChannels = depthwise ? 0 : extents.at(0);
  bool deep = !depthwise && weightBytes > kDeepWeightBytes &&
              inChannels >= 64; // at least two chunks
  int64_t taps = depthwise ? 1 : macsPerOutput / inChannels; // kernel positions
  int chunkChannels = reductionChunk(inChannels, taps, tileChannels);

  // The stored Func: the channels-last wrapper (c, x, y, n), or the NCHW
  // result itself (x, y, c, n; a dense conv storing NCHW), whose vectors of
  // channels are then stored to rows one lane at a time (a tile's stores
  // are few next to its reduction's multiply-adds).
  std::vector<Var> a = stored.args();
  bool storedChannelsLast = !stored.function().same_as(funcs.result.func.function());
  Var c = a[storedChannelsLast ? 0 : 2], x = a[storedChannelsLast ? 1 : 0],
      y = a[storedChannelsLast ? 2 : 1], n = a[3];
  Var co("co"), ci("ci"), cv("cv"), cl("cl"), xo("xo"), xi("xi"), tasks("tasks");
  Var strip("strip"), row("row");
  stored.compute_root()
      .split(x, xo, xi, tile.pixels)
      .split(c, co, ci, tileChannels)
      .split(ci, cv, cl, width);
  // A deep layer's loop over channel tiles and images: with the channel
  // tiles outermost each image's input is read once per tile, with the
  // images outermost all the weights once per image; the order that reads
  // less (batch 8 at 28 x 28 reads its input 16 times over otherwise).
  int64_t inputBytes = 4 * inChannels * rowWidth * shape[2];
  bool imagesOutermost = deep && (channels / tileChannels) * inputBytes > weightBytes;
  if (deep && imagesOutermost)
    stored.reorder(cl, xi, cv, xo, y, co, n).fuse(co, n, tasks).parallel(tasks);
  else if (deep)
    stored.reorder(cl, xi, cv, xo, y, n, co).parallel(co);
  else if (depthwise)
    // The channel tiles of a pixel tile in turn: the tile's input rows
    // (every channel) stay in L1 for all of them. With the pixel tiles of
    // a channel tile in turn, every input line came from L2 once per
    // channel tile it holds.
    stored.split(y, strip, row, std::max(1, (int(shape[2]) + 3) / 4))
        .reorder(cl, xi, cv, co, xo, row, strip, n)
        .fuse(strip, n, tasks)
        .parallel(tasks);
  else
    stored.reorder(cl, xi, cv, xo, co, y, n).fuse(co, y, tasks).fuse(tasks, n, tasks).parallel(tasks);
  stored.vectorize(cl).unroll(xi).unroll(cv);

  std::vector<Var> k = conv.args(); // ox, oy, o, n
  Var ov("ov"), ol("ol"), tx("tx"), px("px");
  // A tile's accumulators live in registers (a shallow layer's: computed
  // per tile; a deep layer's: per image and channel tile, so that a chunk
  // of its input channels is reduced over every pixel tile while that
  // chunk of the weights stays in L1, PERF_NOTES lesson 3).
  conv.compute_at(stored, depthwise ? co : !deep ? xo : imagesOutermost ? tasks : n)
      .reorder_storage(k[2], k[0], k[1], k[3]) // channels innermost: whole vectors
      .split(k[2], ov, ol, width)
      .reorder(ol, ov, k[0], k[1], k[3])
      .vectorize(ol)
      .unroll(ov);
  if (!deep)
    conv.unroll(k[0]);
  // Innermost: the tile (each pixel's broadcast input meets every weight
  // vector of the step), then the reduction in the weights' memory order:
  // input channel, kernel column, kernel row (depthwise: the taps).
  std::vector<VarOrRVar> order{ol, ov, deep ? VarOrRVar(px) : VarOrRVar(k[0])};
  RVar chunk("chunk"), inChunk("in_chunk");
  std::vector<RVar> reduction = r;
  if (deep)
    reduction[0] = inChunk;
  if (r.size() == 3)
    order.insert(order.end(), {reduction[0], reduction[2], reduction[1]});
  else
    order.insert(order.end(), reduction.begin(), reduction.end());
  if (deep)
    order.insert(order.end(), {tx, k[1], chunk, k[3]});
  else
    order.insert(order.end(), {k[1], k[3]});
  Stage update = conv.update();
  update.split(k[2], ov, ol, width);
  if (deep)
    update.split(k[0], tx, px, tile.pixels, TailStrategy::GuardWithIf)
        .split(r[0], chunk, inChunk, chunkChannels, TailStrategy::GuardWithIf)
        .unroll(px);
  else
    update.unroll(k[0]);
  update.reorder(order).vectorize(ol).unroll(ov);
  if (depthwise)
    for (const RVar &tap : r)
      update.unroll(tap);
  // A depthwise conv reads its padding inline: every tap loads a vector
  // of channels, and Halide splits the tile loops into borders and a
  // select-free interior (the likely-tagged value of paddedAt()). A padded
  // copy, even a ring of rows kept in L2, cost more than the selects it
  // saves (MobileNetV2's depthwise stages 1.7 -> 1.3 ms, EfficientNet-B0's
  // 5.3 -> 3.6 ms, sums of the fastest runs, 1 thread).
  if (!depthwise)
    schedulePadded(funcs, target, inputChannelsLast);
}

namespace {

/// A Winograd stage over (k, i, j, channel, n) -- the tile, the point
/// (i, j) of the t x t tile, a channel, the image -- stored with the tiles
/// innermost: computed once, a vector of tiles at a time with the tile
/// points unrolled, in parallel over channels x batch. Returns the loop
/// over vectors of tiles.
Var scheduleTileStage(Func f, Var k, Var i, Var j, Var channel, Var n, int width) {
  Var outer(f.name() + "_ko"), inner(f.name() + "_ki"), planes(f.name() + "_planes");
  f.compute_root()
      .reorder_storage(k, i, j, channel, n)
      .split(k, outer, inner, width)
      .reorder(inner, j, i, outer, channel, n)
      .vectorize(inner)
      .unroll(i)
      .unroll(j)
      .fuse(channel, n, planes)
      .parallel(planes);
  return outer;
}

/// A Winograd transform stage over (channel, k, i, j, n) on a small map,
/// computed per chunk of images (`chunk`, a loop of `stored`): a vector of
/// channels of one tile at a time with the tile points (i, j) unrolled, in
/// parallel over the chunk's tiles. Returns the loop over vectors of
/// channels.
Var scheduleChannelsTransform(Func f, Func stored, Var chunk, int width, TailStrategy tail) {
  std::vector<Var> a = f.args();
  Var outer(f.name() + "_co"), inner(f.name() + "_ci"), tiles(f.name() + "_tiles");
  f.compute_at(stored, chunk)
      .split(a[0], outer, inner, width, tail)
      .reorder(inner, a[2], a[3], outer, a[1], a[4])
      .vectorize(inner)
      .unroll(a[2])
      .unroll(a[3])
      .fuse(a[1], a[4], tiles)
      .parallel(tiles);
  return outer;
}

} // namespace

/// Winograd on wide maps (algorithms/Winograd.cpp), stored NCHW: each
/// stage vectorised along the tile index k, the tiles stored innermost;
/// the GEMM keeps one vector of tiles x 8 output channels of accumulators
/// in registers while it streams the input channels (the transformed
/// weights broadcast, the transformed input contiguous along k).
void scheduleWinogradTiles(KernelFuncs &funcs, const Target &target) {
  int width = vectorWidth(target);
  Func input = funcs.stages.at("input_tile"), v = funcs.stages.at("transformed");
  Func acc = funcs.stages.at("gemm_acc"), gemm = funcs.stages.at("gemm");
  Func outputTile = funcs.stages.at("output_tile"), f = funcs.result.func;

  // V(ci, k, a, b, n): per vector of tiles, the row pass then the column pass.
  std::vector<Var> va = v.args();
  Var tiles = scheduleTileStage(v, va[1], va[2], va[3], va[0], va[4], width);
  std::vector<Var> ia = input.args(); // ci, k, j, a, n
  input.compute_at(v, tiles)
      .reorder_storage(ia[1], ia[2], ia[3], ia[0], ia[4])
      .vectorize(ia[1], width)
      .unroll(ia[2])
      .unroll(ia[3]);

  // M(o, k, a, b, n): blocks of one vector of tiles x 8 channels.
  int outChannels = int(funcs.result.shape[1]);
  int channels = std::min(8, outChannels);
  std::vector<Var> ga = gemm.args(); // o, k, a, b, n
  Var gko("gko"), gki("gki"), oo("oo"), oi("oi"), blocks("blocks");
  gemm.compute_root()
      .reorder_storage(ga[1], ga[2], ga[3], ga[0], ga[4])
      .split(ga[1], gko, gki, width)
      .split(ga[0], oo, oi, channels)
      .reorder(gki, oi, gko, ga[2], ga[3], oo, ga[4])
      .vectorize(gki)
      .unroll(oi)
      .fuse(ga[2], ga[3], blocks)
      .fuse(blocks, oo, blocks)
      .parallel(blocks);
  std::vector<Var> aa = acc.args(); // o, k, a, b, n
  acc.compute_at(gemm, gko)
      .reorder_storage(aa[1], aa[0], aa[2], aa[3], aa[4])
      .reorder(aa[1], aa[0], aa[2], aa[3], aa[4])
      .vectorize(aa[1])
      .unroll(aa[0]);
  std::vector<RVar> r = acc.rvars(0);
  acc.update()
      .reorder(aa[1], aa[0], r[0], aa[2], aa[3], aa[4])
      .vectorize(aa[1])
      .unroll(aa[0]);

  // Y per tile (the rows pass inlined), then the epilogue per output pixel.
  std::vector<Var> ta = outputTile.args(); // o, k, q, p, n
  scheduleTileStage(outputTile, ta[1], ta[2], ta[3], ta[0], ta[4], width);
  // One image at a time: a whole batch's transformed tiles (14 MB at batch
  // 8 for 64 channels at 56 x 56) would not stay in cache between the
  // stages; each stage is still parallel within the image.
  std::vector<Var> out = f.args(); // ox, oy, o, n
  f.compute_root()
      .reorder(out[0], out[1], out[2], out[3])
      .parallel(out[2])
      .vectorize(out[0], width, TailStrategy::GuardWithIf);
  for (Func stage : {v, gemm, outputTile})
    stage.compute_at(f, out[3]);
}

/// Images per chunk of a small-map Winograd conv: as many as keep the
/// chunk's transformed input and GEMM result (`imageBytes` per image)
/// within about kChunkBytes, so that each block of transformed weights is
/// loaded once per chunk, not once per image, while the chunk's tiles stay
/// in the outer caches (ResNet-50's 256 channels at 14x14, batch 8, 2
/// threads: 4.9-5.9 ms per conv with chunks of up to 16 MB, 5.8-8.0 with
/// 4 MB; its 512 channels at 7x7: 7.1 ms, 12.4 one image at a time). The
/// chunks divide the run-time `batch` evenly; the last may overlap the
/// one before (recomputing a few images), never reading past the batch.
Expr imagesPerChunk(Expr batch, int64_t imageBytes) {
  constexpr int64_t kChunkBytes = 16 << 20;
  int most = int(std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(imageBytes, 1)));
  Expr chunks = (batch + most - 1) / most;
  return max(1, (batch + chunks - 1) / chunks);
}

/// Winograd on small maps (algorithms/Winograd.cpp), a chunk of images at
/// a time (imagesPerChunk()), each stage in parallel within the chunk and
/// vectorised along the channels: the input transform per tile and vector
/// of input channels; the GEMM of each tile point (a, b) in register tiles
/// of `tile.vectors` vectors of output channels x `tile.pixels` tiles (the
/// channels-last conv's tile, an image's tiles in the role of a row's
/// pixels; their count rounded up to whole register tiles), which
/// broadcast one transformed input element per tile and load the tile's
/// weight vectors at each input channel, every image of the chunk in turn
/// while that block of weights is in cache; the output transform per tile
/// and vector of output channels; then the epilogue per output pixel,
/// stored channels-last (`stored` is the channels-last wrapper) or NCHW.
void scheduleWinogradChannels(KernelFuncs &funcs, Func stored, const Target &target, int tiles,
                              int tileSize) {
  int width = vectorWidth(target);
  Func input = funcs.stages.at("input_tile"), v = funcs.stages.at("transformed");
  Func acc = funcs.stages.at("gemm_acc"), gemm = funcs.stages.at("gemm");
  Func outputRows = funcs.stages.at("output_rows"), outputTile = funcs.stages.at("output_tile");
  int outChannels = int(funcs.result.shape[1]);
  int inChannels = int(reductionExtents(acc).at(0));
  // Channel counts that are not whole vectors (small test layers) guard
  // their last vector instead of computing past the tensors' ends.
  bool outVectors = outChannels % width == 0, inVectors = inChannels % width == 0;
  TailStrategy outTail = outVectors ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  TailStrategy inTail = inVectors ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  ChannelsLastTile tile = outVectors
                              ? chooseTile(outChannels / width, tiles, vectorRegisters(target))
                              : ChannelsLastTile{1, std::min(tiles, 4)};
  // Bytes of an image's transformed input and GEMM result.
  int64_t imageBytes = 4 * int64_t(tiles) * tileSize * tileSize * (inChannels + outChannels);

  std::vector<Var> s = stored.args();
  bool storedChannelsLast = !stored.function().same_as(funcs.result.func.function());
  Var n = s[3], chunk("chunk"), image("image");
  stored.compute_root().split(n, chunk, image, imagesPerChunk(funcs.result.extent(0), imageBytes));
  if (storedChannelsLast) // (c, x, y, n): the channels are whole vectors
    stored.vectorize(s[0], width).parallel(s[2]);
  else // (x, y, c, n)
    stored.parallel(s[2]).vectorize(s[0], width, TailStrategy::GuardWithIf);

  // V(ci, k, a, b, n): per tile and vector of input channels, the row pass
  // then the column pass.
  Var vo = scheduleChannelsTransform(v, stored, chunk, width, inTail);
  std::vector<Var> ia = input.args(); // ci, k, j, a, n
  input.compute_at(v, vo).vectorize(ia[0], width, inTail).unroll(ia[2]).unroll(ia[3]);

  // M(o, k, a, b, n): register tiles over (output channels, tiles), in
  // parallel over the tile points and blocks of output channels, the
  // chunk's images innermost of each task.
  std::vector<Var> ga = gemm.args(); // o, k, a, b, n
  Var go("go"), gi("gi"), gv("gv"), gl("gl"), kto("kto"), kti("kti"), tasks("tasks");
  int tileChannels = tile.vectors * width;
  gemm.compute_at(stored, chunk)
      .split(ga[0], go, gi, tileChannels, outTail)
      .split(gi, gv, gl, width)
      .split(ga[1], kto, kti, tile.pixels, TailStrategy::RoundUp)
      .reorder(gl, gv, kti, kto, ga[4], go, ga[2], ga[3])
      .vectorize(gl)
      .unroll(kti)
      .fuse(go, ga[2], tasks)
      .fuse(tasks, ga[3], tasks)
      .parallel(tasks);
  std::vector<Var> aa = acc.args(); // o, k, a, b, n
  std::vector<RVar> r = acc.rvars(0);
  Var av("av"), al("al");
  acc.compute_at(gemm, kto)
      .split(aa[0], av, al, width, outTail)
      .reorder(al, av, aa[1])
      .vectorize(al)
      .unroll(aa[1]);
  Stage update = acc.update();
  update.split(aa[0], av, al, width, outTail)
      .reorder(al, av, aa[1], r[0])
      .vectorize(al)
      .unroll(aa[1]);
  if (outVectors) {
    gemm.unroll(gv);
    acc.unroll(av);
    update.unroll(av);
  }

  // Y per tile and vector of output channels, the rows pass computed
  // inside it; the epilogue per output pixel (the stored Func).
  Var to = scheduleChannelsTransform(outputTile, stored, chunk, width, outTail);
  std::vector<Var> ra = outputRows.args(); // o, k, q, b, n
  outputRows.compute_at(outputTile, to).vectorize(ra[0], width, outTail).unroll(ra[2]).unroll(ra[3]);
}

ChannelsLastTile flatPixelsTile(int channels, const Target &target) {
  // Pixels without end: the tile that loads least per multiply-add.
  constexpr int kManyPixels = 1 << 12;
  return chooseTile(channels / vectorWidth(target), kManyPixels, vectorRegisters(target));
}

/// A 1x1 conv over flat pixels (algorithms/Conv.cpp flatPixelsGemmConv2d):
/// register tiles of flatPixelsTile() run over the pixels of every image
/// in turn, so that a narrow map (7 x 7: 49 pixels, 8 tiles of 6 and one
/// of 1) fills them as well as a wide one, and a batch amortises its tail.
/// The pixels go in blocks of about kBlockPixels, in parallel over blocks
/// x tiles of output channels; a block's accumulators (kBlockPixels x the
/// tile's channels) take the reduction in chunks of input channels, each
/// chunk's weights (128 x the tile's channels: 8 KB with AVX2) kept in L1
/// over the block's tiles (PERF_NOTES lesson 3). Measured against the
/// row tiles (2 x 4 at 7 x 7, AVX2, 1 thread): 2048->512 at 7 x 7
/// 2.15 -> 1.2-1.5 ms (oneDNN 1.15 ms).
void scheduleFlatPixelsConv(KernelFuncs &funcs, const Target &target, int64_t imagePixels) {
  constexpr int64_t kBlockPixels = 48, kChunkChannels = 128;
  int width = vectorWidth(target);
  Func f = funcs.result.func, conv = funcs.stages.at("conv");
  ChannelsLastTile tile = flatPixelsTile(int(funcs.result.shape[1]), target);
  int tileChannels = tile.vectors * width;
  // Blocks of whole register tiles that share an image's pixels evenly.
  int64_t blocks = (imagePixels + kBlockPixels - 1) / kBlockPixels;
  int64_t block = (imagePixels + blocks - 1) / blocks;
  block = (block + tile.pixels - 1) / tile.pixels * tile.pixels;
  int64_t inChannels = reductionExtents(conv).at(0);
  int chunkChannels = int(std::min(inChannels, kChunkChannels));

  std::vector<Var> a = f.args(); // o, p
  Var oo("oo"), oi("oi"), ov("ov"), ol("ol"), pb("pb"), pt("pt"), tasks("tasks");
  f.compute_root()
      .split(a[1], pb, pt, int(block), TailStrategy::GuardWithIf)
      .split(a[0], oo, oi, tileChannels)
      .split(oi, ov, ol, width)
      .reorder(ol, ov, pt, oo, pb)
      .vectorize(ol)
      .unroll(ov)
      .fuse(oo, pb, tasks)
      .parallel(tasks);
  std::vector<Var> k = conv.args(); // o, p
  conv.compute_at(f, tasks).split(k[0], ov, ol, width).reorder(ol, ov, k[1]).vectorize(ol).unroll(ov);
  std::vector<RVar> r = conv.rvars(0);
  Var tx("tx"), px("px");
  RVar chunk("chunk"), inChunk("in_chunk");
  conv.update()
      .split(k[0], ov, ol, width)
      .split(k[1], tx, px, tile.pixels, TailStrategy::RoundUp)
      .split(r[0], chunk, inChunk, chunkChannels, TailStrategy::GuardWithIf)
      .reorder(ol, ov, px, inChunk, tx, chunk)
      .vectorize(ol)
      .unroll(ov)
      .unroll(px);
}

} // namespace cnnopt::codegen::schedules
