//===- TargetFacts.h - What schedules need to know of a target --*- C++ -*-===//
//
// Every schedule asks the target the same few questions; they are answered
// here, once, so that CPU, GPU, Winograd and backward schedules agree.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_SCHEDULES_TARGETFACTS_H
#define CNNOPT_CODEGEN_SCHEDULES_TARGETFACTS_H

#include "Halide.h"

namespace cnnopt::codegen::schedules {

/// Floats per vector register: 16 with AVX-512, 8 with AVX2, 4 with NEON.
inline int vectorWidth(const Halide::Target &target) {
  return target.natural_vector_size<float>();
}

/// Vector registers the register allocator can use for a tile: 32 zmm with
/// AVX-512, 16 ymm with AVX2, 32 with AArch64 NEON.
inline int vectorRegisters(const Halide::Target &target) {
  if (target.arch == Halide::Target::X86)
    return target.has_feature(Halide::Target::AVX512) ? 32 : 16;
  return 32;
}

/// Whether kernels run on a GPU (CUDA, OpenCL, Metal, ...).
inline bool isGpu(const Halide::Target &target) { return target.has_gpu_feature(); }

} // namespace cnnopt::codegen::schedules

#endif // CNNOPT_CODEGEN_SCHEDULES_TARGETFACTS_H
