//===- HalideTarget.cpp - Halide targets for code generation --------------===//
//
// Thin wrappers over Halide::Target, compiled with exceptions and RTTI.
//===----------------------------------------------------------------------===//

#include "codegen/HalideTarget.h"

#include "codegen/HostTarget.h"

namespace cnnopt::codegen {

std::string hostTargetString() { return hostTarget().to_string(); }

bool isValidTarget(const std::string &target) {
  return target == "host" || Halide::Target::validate_target_string(target);
}

int floatVectorWidth(const std::string &target) {
  return targetNamed(target).natural_vector_size<float>();
}

bool isGpuTarget(const std::string &target) { return targetNamed(target).has_gpu_feature(); }

} // namespace cnnopt::codegen
