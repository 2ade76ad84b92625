//===- Ops.h - Helpers the converter families share (internal) --*- C++ -*-===//

#ifndef CNNOPT_FRONTEND_ONNX_OPS_H
#define CNNOPT_FRONTEND_ONNX_OPS_H

#include "frontend/onnx/Importer.h"

namespace cnnopt::onnx_import {

/// Binds the current node's output to the constant a op b (Add, Sub, Mul,
/// Div, Pow) with broadcasting; an error if the batch symbol takes part.
bool foldArithmetic(Importer &im, const std::string &op, const Constant &a, const Constant &b);
/// Binds the output to `c` with new dims (same values).
bool foldReshape(Importer &im, const Constant &c, Shape dims);
/// Binds the output to the concatenation of constants along `axis`.
bool foldConcat(Importer &im, const std::vector<const Constant *> &parts, int64_t axis);

/// Reshapes tensor `x` to `target` (kDynamic at position 0 keeps the
/// run-time batch); returns the new value id or -1 (error recorded).
int reshapeTensor(Importer &im, int x, const Shape &target);

/// Reads an op's `pads` for 2-D windows in ONNX order [top, left, bottom,
/// right] with `auto_pad` resolved against the input size; false on error.
bool windowPadding(Importer &im, const Shape &x, const std::vector<int64_t> &kernel,
                   const std::vector<int64_t> &strides, const std::vector<int64_t> &dilations,
                   std::vector<int64_t> &pads);

} // namespace cnnopt::onnx_import

#endif // CNNOPT_FRONTEND_ONNX_OPS_H
