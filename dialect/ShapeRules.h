//===- ShapeRules.h - PyTorch's shape rules for every cnn op ----*- C++ -*-===//
//
// One place for the output-shape rules of every op (PyTorch's formulas),
// shared by the front end (which reports errors at the `.cnn` token at fault)
// and by the dialect's result-type inference and verifiers. Plain C++: no
// MLIR, so the front end's language half stays light.
//
// Every rule takes the operand shapes (kDynamic for the run-time batch) and
// the op's normalised attributes, and returns the result shape or an error
// message in lower case that names the shapes involved, without the op name
// (callers prefix it: "conv2d: input has 3 channels, not divisible by
// groups=2").
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_SHAPERULES_H
#define CNNOPT_DIALECT_SHAPERULES_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cnnopt {

/// Marks the run-time batch dimension in a Shape.
constexpr int64_t kDynamic = -1;

using Shape = std::vector<int64_t>;

namespace shapes {

/// A result shape or the reason there is none.
struct ShapeOr {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
  static ShapeOr fail(std::string message) { return {{}, std::move(message)}; }
};

struct Hw {
  int64_t h = 0, w = 0;
};
struct Pad4 {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
};

/// The largest dimension, kernel, stride, padding or scale the rules accept.
/// It keeps every intermediate sum and product of two sizes inside int64_t.
constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;
/// The largest element count of one tensor (per sample when the batch is
/// dynamic): 2^40 floats, far beyond any model, small enough not to wrap.
constexpr int64_t kMaxElements = int64_t(1) << 40;

/// Checks that every dimension is kDynamic or in [1, kMaxDim] and that the
/// element count stays within kMaxElements.
ShapeOr checkSize(const Shape &shape);

/// "[N,64,16,16]" (the dynamic batch printed as `batch`).
std::string format(const Shape &shape, std::string_view batch = "N");

/// Maps a possibly negative axis into [0, rank), or nothing if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// `padding="same"`: dilation*(kernel-1) in total, the odd one right/bottom.
Pad4 samePadding(Hw kernel, Hw dilation);

/// Conv/pool window count along one axis (PyTorch's rule incl. ceil_mode).
int64_t windowCount(int64_t in, int64_t kernel, int64_t stride, int64_t padBefore,
                    int64_t padAfter, int64_t dilation, bool ceilMode);

// ----- ops with parameters --------------------------------------------------

/// weight [out, in/groups, kh, kw]
Shape conv2dWeight(int64_t inChannels, int64_t out, Hw kernel, int64_t groups);
ShapeOr conv2d(const Shape &x, const Shape &weight, Hw stride, Pad4 padding,
               Hw dilation, int64_t groups);

/// weight [in, out/groups, kh, kw]
Shape convTranspose2dWeight(int64_t inChannels, int64_t out, Hw kernel,
                            int64_t groups);
ShapeOr convTranspose2d(const Shape &x, const Shape &weight, Hw stride,
                        Hw padding, Hw outputPadding, Hw dilation,
                        int64_t groups);

/// weight [out, in]; x is [N, in] (or [..., in]).
ShapeOr linear(const Shape &x, const Shape &weight);

/// Checks on the input of batch_norm / group_norm / instance_norm (rank,
/// groups dividing C); the result has x's shape. Their parameters are [C].
ShapeOr batchNorm(const Shape &x);
ShapeOr groupNorm(const Shape &x, int64_t groups);
ShapeOr instanceNorm(const Shape &x);
/// Normalises the last `dims` axes; the result has x's shape, the
/// parameters x's last `dims` dimensions.
ShapeOr layerNorm(const Shape &x, int64_t dims);

// ----- parameter-free ops ---------------------------------------------------

ShapeOr maxPool2d(const Shape &x, Hw kernel, Hw stride, Hw padding,
                  Hw dilation, bool ceilMode);
ShapeOr avgPool2d(const Shape &x, Hw kernel, Hw stride, Hw padding,
                  bool ceilMode);
ShapeOr adaptivePool2d(const Shape &x, Hw size);
ShapeOr upsample2d(const Shape &x, int64_t scale);
/// `pads` [left, right, top, bottom] on the last two axes, as F.pad; a
/// negative pad crops. `mode` is "constant" (rank 2 or more), "reflect"
/// (each pad less than its axis) or "replicate" (both rank 3 or 4).
ShapeOr pad2d(const Shape &x, const std::vector<int64_t> &pads, std::string_view mode);
/// [N, C*r*r, H, W] -> [N, C, H*r, W*r], and back for pixel_unshuffle.
ShapeOr pixelShuffle(const Shape &x, int64_t factor);
ShapeOr pixelUnshuffle(const Shape &x, int64_t factor);
/// glu halves `axis` (which must have an even, static size).
ShapeOr glu(const Shape &x, int64_t axis);
ShapeOr flatten(const Shape &x, int64_t start);
/// `target` as written (one -1 allowed; with a dynamic batch it must be at 0).
ShapeOr reshape(const Shape &x, const Shape &target);
ShapeOr concat(const std::vector<Shape> &inputs, int64_t axis);
ShapeOr mean(const Shape &x, const std::vector<int64_t> &axes, bool keepdim);
/// NumPy broadcasting of two shapes.
ShapeOr broadcast(const Shape &a, const Shape &b);
/// softmax / log_softmax: axis must exist; shape unchanged.
ShapeOr softmax(const Shape &x, int64_t axis);
ShapeOr crossEntropy(const Shape &logits, const Shape &labels);
ShapeOr mseLoss(const Shape &a, const Shape &b);

} // namespace shapes
} // namespace cnnopt

#endif // CNNOPT_DIALECT_SHAPERULES_H
