//===- Algorithms.h - What each kernel computes, as Halide Funcs -*- C++ -*-===//
//
// THE ALGORITHM half of the Halide side: one definition per cnn op with
// PyTorch's exact semantics (padding, ceil_mode, count_include_pad, adaptive
// windows, align_corners=false, ...). Nothing here schedules; Schedules.cpp
// does, by op and target.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_ALGORITHMS_H
#define CNNOPT_CODEGEN_ALGORITHMS_H

#include "codegen/KernelSpec.h"
#include "codegen/Prepacker.h"
#include "codegen/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace cnnopt::codegen {

/// The Funcs of one kernel: its result and the intermediate stages the
/// schedule has to place, by role: "padded" (a zero-padded input), "conv"
/// (a convolution's accumulator), "mean"/"var" (a norm's statistics),
/// "affine" (batch_norm's per-channel scale and shift), "max"/"sum" (softmax),
/// "packed_<role>" (parameter-only data computed once per call: Winograd
/// weights, ...).
struct KernelFuncs {
  Tensor result;
  std::map<std::string, Halide::Func> stages;
  /// Funcs the kernel reads (its own or a producer's), by role, for a
  /// schedule that stages their tiles near its loops (a GPU block's shared
  /// memory): the "input" of a dense convolution or of a linear layer.
  std::map<std::string, Halide::Func> reads;
};

/// The algorithm of a conv2d/fused_conv2d kernel ("direct" when unset).
std::string convAlgorithm(const Kernel &kernel);

/// Defines `kernel` on its operand tensors (nullptr for an absent optional
/// operand). `resultShape` is the kernel's inferred shape (kDynamic batch).
/// With `packer`, parameter-only computations inside the kernel (folded
/// weights, Winograd-transformed weights) are prepacked: computed once.
/// A dense conv packs its weights' output channels in blocks of
/// `weightBlock` (0: one block), so that the slice a register tile reads
/// (Schedules.h weightBlock()) is contiguous.
KernelFuncs defineKernel(const Kernel &kernel,
                         const std::vector<const Tensor *> &operands,
                         const Shape &resultShape, Prepacker *packer = nullptr,
                         int weightBlock = 0);

/// A 1x1 stride-1 conv2d/fused_conv2d over flat pixels: `operands` (the
/// input and residual) and the result, of `resultShape` [pixels, channels],
/// are channels-last tensors as matrices (ExecutionPlan.h, flatPixels).
KernelFuncs defineFlatPixelsGemm(const Kernel &kernel,
                                 const std::vector<const Tensor *> &operands,
                                 const Shape &resultShape, Prepacker *packer, int weightBlock);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_ALGORITHMS_H
