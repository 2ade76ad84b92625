//===- Prepacker.h - Parameter-only data, computed once ---------*- C++ -*-===//
//
// What depends on the parameters only (a folded batch_norm's scale and
// shift, conv weights with that scale folded in, Winograd-transformed
// weights) is computed once, into one flat "packed" float array, instead of
// on every forward call: at compile time when the weights are embedded
// (`cnnopt --weights`), otherwise by the model's pack entry point
// (`M_context_create`; plain `M_forward` packs on each call).
//
// Lowering defines the model twice. In the first pass pack() records each
// definition under a key and hands back a tensor computing it inline, so
// later definitions can build on it; each recorded definition becomes a
// pack function of its own (Lowering.h). In the second pass (after
// readFrom()) pack() hands back, by key, a slice of the packed array as the
// current pipeline reads it. Like the parameters, the packed data is one
// array of static size, which keeps every bounds expression a number.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_PREPACKER_H
#define CNNOPT_CODEGEN_PREPACKER_H

#include "codegen/Tensor.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace cnnopt::codegen {

class Prepacker {
public:
  /// Packed data of static `shape` computed by `definition` (a Func of
  /// parameter-only tensors), known by `key` (unique in the model).
  Tensor pack(const std::string &key, Halide::Func definition, const Shape &shape);

  /// Ends the first pass: from now on pack() reads `packed` (a Func over
  /// the flat index; set again for each pipeline that reads it).
  void readFrom(Halide::Func packed);

  /// Ends the first pass with the packed data computed (embedded weights):
  /// pack() hands back each slice as a constant Buffer of its own, so that
  /// a pipeline embeds only the data it reads (Halide 14 cannot pass one
  /// embedded Buffer to several extern stages).
  void readFrom(Halide::Buffer<float> packed);

  /// The keys of the packed slices `result` reads, directly or not.
  static std::vector<std::string> keysReadBy(Halide::Func result);

  /// Keeps only the entries of `keys` (the others, such as a batch norm's
  /// scale once it is folded into the weights, are only read by other
  /// definitions), renumbering the offsets; the second pass then starts
  /// again.
  void keepOnly(const std::set<std::string> &keys);

  /// The packed array's length in floats (0 when nothing is packed).
  int64_t floats() const { return total; }

  /// One recorded definition: its key, its Func (over the parameters), its
  /// shape and where it goes in the packed array.
  struct Entry {
    std::string key;
    Halide::Func definition;
    Shape shape;
    int64_t offset = 0;
  };
  const std::vector<Entry> &recorded() const { return entries; }

private:
  bool secondPass = false;
  std::vector<Entry> entries;
  std::map<std::string, size_t> byKey;
  std::map<std::string, Halide::Func> unread; ///< dropped by keepOnly()
  int64_t total = 0;
  Halide::Func source;
  Halide::Buffer<float> constants;
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_PREPACKER_H
