//===- HostTarget.cpp - The Halide target of this machine ------------------===//
//
// Halide 14 takes a CPU with AVX-512 VNNI and BF16 for a Sapphire Rapids,
// whose feature set also holds AVX-VNNI (the VEX-encoded dot products). AMD
// Zen 4 has the first two and not the last: code for the claimed target
// dies there with SIGILL on the first `{vex} vpdpwssd` LLVM picks (integer
// index arithmetic is enough). The feature is dropped unless CPUID reports
// AVX-VNNI; the target then stays AVX-512 Cannon Lake.
//===----------------------------------------------------------------------===//

#include "codegen/HostTarget.h"

#include <cpuid.h>
#include <cstdlib>

namespace cnnopt::codegen {
namespace {

bool cpuHasAvxVnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  // CPUID leaf 7, sub-leaf 1: EAX bit 4 is AVX-VNNI.
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
    return false;
  return (eax >> 4) & 1;
}

} // namespace

Halide::Target hostTarget() {
  Halide::Target target = Halide::get_host_target();
  if (target.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpuHasAvxVnni())
    target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
  return target;
}

Halide::Target targetNamed(const std::string &name) {
  return name == "host" ? hostTarget() : Halide::Target(name);
}

Halide::Target jitTarget() {
  const char *fromEnvironment = std::getenv("HL_JIT_TARGET");
  return fromEnvironment && *fromEnvironment ? Halide::get_jit_target_from_environment()
                                             : hostTarget();
}

} // namespace cnnopt::codegen
