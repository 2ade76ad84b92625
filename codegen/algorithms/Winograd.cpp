//===- Winograd.cpp - 3x3 convolutions by Winograd's minimal filtering ----===//
//
// F(m x m, 3x3) (Lavin & Gray, 2016) with m = 2 or 4 and tiles of
// t = m + 2 input pixels: per tile and channel
//
//   V = B^T d B        input transform            ("input_tile", "transformed")
//   U = G g G^T        weight transform, once     (prepacked)
//   M = sum_ci U . V   one GEMM per (a, b) of the t x t tile   ("gemm_acc", "gemm")
//   Y = A^T M A        output transform           ("output_rows", "output_tile"),
//                      + bias, then the epilogue
//
// Each transform is separable: a row pass then a column pass, written as
// `mux` over the transformed index with one explicit constant-coefficient
// sum per entry, which the schedule unrolls into straight-line code. The
// Funcs list the channel first; the schedule stores them channels
// innermost (vectorised along the channels, small maps) or tiles innermost
// (vectorised along the tiles, wide maps). Output positions past the last
// full tile read zero padding and are never stored.
//===----------------------------------------------------------------------===//

#include "codegen/algorithms/Definitions.h"

#include <array>
#include <functional>

namespace cnnopt::codegen::algorithms {
namespace {

using Matrix = std::vector<std::vector<double>>;

struct Transforms {
  Matrix bt, g, at; // B^T (t x t), G (t x 3), A^T (m x t)
};

const Transforms &transformsFor(int m) {
  static const Transforms f2{
      {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
      {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
      {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const Transforms f4{
      {{4, 0, -5, 0, 1, 0},
       {0, -4, -4, 1, 1, 0},
       {0, 4, -4, -1, 1, 0},
       {0, -2, -1, 2, 1, 0},
       {0, 2, -1, -2, 1, 0},
       {0, 4, 0, -5, 0, 1}},
      {{1.0 / 4, 0, 0},
       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
       {1.0 / 24, 1.0 / 12, 1.0 / 6},
       {1.0 / 24, -1.0 / 12, 1.0 / 6},
       {0, 0, 1}},
      {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  return m == 2 ? f2 : f4;
}

/// row-th entry of `matrix` times the vector `element(0..)`, as one Expr per
/// row (zero coefficients dropped), selected by `index`.
Expr applyRow(const Matrix &matrix, Expr index, const std::function<Expr(int)> &element) {
  std::vector<Expr> rows;
  for (const std::vector<double> &row : matrix) {
    Expr sum;
    for (size_t k = 0; k < row.size(); ++k) {
      if (row[k] == 0)
        continue;
      Expr term = row[k] == 1 ? element(int(k)) : f32(row[k]) * element(int(k));
      sum = sum.defined() ? sum + term : term;
    }
    rows.push_back(sum.defined() ? sum : f32(0));
  }
  return mux(index, rows);
}

} // namespace

KernelFuncs winogradConv2d(Call &c, int m) {
  const Kernel &k = c.kernel;
  const Transforms &tf = transformsFor(m);
  Accumulands acc_ = accumulands(c);
  const Tensor &x = c.op(0), &w = acc_.weight;
  const auto &pad = k.ints("padding");
  int inChannels = int(w.shape[1]), outChannels = int(w.shape[0]);

  // U = G g G^T per (output, input) channel pair, [O, I, a, b], prepacked
  // with the output channels innermost (the GEMM's vector axis) and in
  // blocks of c.weightBlock of them, so that a register tile's slice of
  // one (a, b) is contiguous (outputChannelsInnermost()).
  Var o("o"), ci("ci"), a("a"), b("b"), j("j");
  Func weightRows(c.resultFunc("_weight_rows").name());
  weightRows(o, ci, j, a) = applyRow(tf.g, a, [&](int i) { return w.definedAt({o, ci, i, j}); });
  int t = m + 2;
  Tensor transformed;
  transformed.func = Func(c.resultFunc("_weight_transformed").name());
  transformed.func(b, a, ci, o) =
      applyRow(tf.g, b, [&](int jj) { return weightRows(o, ci, jj, a); });
  transformed.shape = {outChannels, inChannels, t, t};
  transformed.parameterOnly = w.parameterOnly;
  OutputChannelsInnermost u = outputChannelsInnermost(c, transformed, {2, 3, 1, 0}, c.weightBlock);

  // Tiles are numbered row-major, k = tile_y * tilesX + tile_x; the GEMM
  // runs over the tiles of an image (a register tile holds several) and
  // may round their count up: tiles past the map read zero padding and are
  // never stored.
  const Shape &out = c.shape;
  int tilesX = int((out[3] + m - 1) / m);
  // V(ci, k, a, b, n) = (B^T d B)[a][b] for the tile whose top-left input
  // pixel is (tile_y * m - top, tile_x * m - left): input channels
  // innermost, so that the GEMM broadcasts one tile's channels in turn.
  Var kt("k"), n("n");
  Expr tileX = kt % tilesX, tileY = kt / tilesX;
  Func inputRows = c.stage("input_tile");
  inputRows(ci, kt, j, a, n) = applyRow(tf.bt, a, [&](int i) {
    return paddedAt(x, n, ci, tileY * m + i - int(pad[0]), tileX * m + j - int(pad[1]),
                    f32(0));
  });
  Func v = c.stage("transformed");
  v(ci, kt, a, b, n) = applyRow(tf.bt, b, [&](int jj) { return inputRows(ci, kt, jj, a, n); });

  // M(o, k, a, b, n) = sum over input channels of V . U: per (a, b) a GEMM
  // of tiles x input channels by input x output channels, accumulated in a
  // stage of its own ("gemm_acc") that the schedule keeps in registers.
  RDom r(0, inChannels, "r");
  Func acc = c.stage("gemm_acc");
  acc(o, kt, a, b, n) = f32(0);
  acc(o, kt, a, b, n) += v(r, kt, a, b, n) * u.at({a, b, r}, o);
  Func gemm = c.stage("gemm");
  gemm(o, kt, a, b, n) = acc(o, kt, a, b, n);

  // Y = A^T M A per tile ("output_rows", then "output_tile" with p and q
  // its pixel), then bias and the epilogue at each output pixel.
  Var p("p"), q("q");
  Func outputRows = c.stage("output_rows");
  outputRows(o, kt, q, b, n) = applyRow(tf.at, q, [&](int aa) { return gemm(o, kt, aa, b, n); });
  Func outputTile = c.stage("output_tile");
  outputTile(o, kt, q, p, n) =
      applyRow(tf.at, p, [&](int bb) { return outputRows(o, kt, q, bb, n); });
  Var ox("ox"), oy("oy");
  Expr y = outputTile(o, (oy / m) * tilesX + ox / m, oy % m, ox % m, n);
  if (acc_.bias)
    y = y + acc_.bias->at({o});
  Func f = c.resultFunc();
  f(ox, oy, o, n) = epilogue(c, acc_, y, o, {n, o, oy, ox});
  return c.done(f);
}

} // namespace cnnopt::codegen::algorithms
