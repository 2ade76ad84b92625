//===- Linear.cpp - nn.Linear schedules ------------------------------------===//
//
// A reduction vectorised along the contiguous input features.
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

#include <algorithm>

namespace cnnopt::codegen::schedules {

using namespace Halide;

/// nn.Linear, acc(o, ...) += x(k, ...) * w(k, o) with the weights laid out
/// output features innermost (algorithms/Conv.cpp): a tile of up to four
/// vectors of outputs stays in registers while the reduction streams the
/// weights and broadcasts x; each tile runs over every leading index (the
/// batch) while its slice of the weights is in cache, the tiles in
/// parallel. The result (the epilogue of fused_linear) is a pass of its
/// own unless its consumer inlines it.
void scheduleLinear(KernelFuncs &funcs, const Target &target, bool inlined) {
  int width = vectorWidth(target);
  Func acc = funcs.stages.at("acc");
  int outFeatures = int(funcs.result.shape.back());
  // Whole vectors where there are enough outputs (the last tile shifts
  // inwards); fewer outputs than a vector are one short vector.
  int vectors = std::min(4, outFeatures / width);
  int tile = vectors > 0 ? vectors * width : outFeatures;
  int lanes = vectors > 0 ? width : outFeatures;

  Func tiles = acc.in(); // what the accumulator's consumers read, by tile
  std::vector<Var> args = tiles.args(); // o, then the leading axes
  Var oo("oo"), oi("oi");
  tiles.compute_root().split(args[0], oo, oi, tile).vectorize(oi, lanes).unroll(oi);
  std::vector<VarOrRVar> order{oi};
  order.insert(order.end(), args.begin() + 1, args.end());
  order.push_back(oo);
  tiles.reorder(order).parallel(oo);

  std::vector<Var> a = acc.args();
  Var ov("ov"), ol("ol");
  acc.compute_at(tiles, args.size() > 1 ? args[1] : oo)
      .split(a[0], ov, ol, lanes)
      .vectorize(ol)
      .unroll(ov);
  std::vector<RVar> r = acc.rvars(0);
  std::vector<VarOrRVar> updateOrder{ol, ov, r[0]};
  updateOrder.insert(updateOrder.end(), a.begin() + 1, a.end());
  acc.update().split(a[0], ov, ol, lanes).reorder(updateOrder).vectorize(ol).unroll(ov);
  if (!inlined)
    scheduleStage(funcs.result.func, target);
}

} // namespace cnnopt::codegen::schedules
