//===- HostTargetTest.cpp - The host target claims only what the CPU has --===//
//
// Halide 14 took AMD Zen 4 (AVX-512 VNNI and BF16, no AVX-VNNI) for a
// Sapphire Rapids, and JIT code died with SIGILL on a VEX `vpdpwssd`.
// Each AVX-512 generation hostTarget() claims must be backed by CPUID.
//===----------------------------------------------------------------------===//

#include "codegen/HostTarget.h"

#include <cpuid.h>
#include <gtest/gtest.h>

namespace {

using Halide::Target;

/// CPUID leaf 7, sub-leaf `subLeaf`, register `reg` (0 eax .. 3 edx), bit `bit`.
bool leaf7Bit(unsigned subLeaf, int reg, int bit) {
  unsigned r[4] = {0, 0, 0, 0};
  if (!__get_cpuid_count(7, subLeaf, &r[0], &r[1], &r[2], &r[3]))
    return false;
  return (r[reg] >> bit) & 1;
}

constexpr int kEax = 0, kEbx = 1, kEcx = 2;

TEST(HostTarget, AvxVnniOnlyWhereTheCpuHasIt) {
  Target host = cnnopt::codegen::hostTarget();
  if (host.has_feature(Target::AVX512_SapphireRapids)) {
    EXPECT_TRUE(leaf7Bit(1, kEax, 4)) << "AVX-VNNI claimed: " << host.to_string();
    EXPECT_TRUE(leaf7Bit(1, kEax, 5)) << "AVX512-BF16 claimed: " << host.to_string();
  }
}

TEST(HostTarget, Avx512GenerationsBackedByCpuid) {
  Target host = cnnopt::codegen::hostTarget();
  if (host.has_feature(Target::AVX512_Skylake)) {
    EXPECT_TRUE(leaf7Bit(0, kEbx, 16)); // AVX512F
    EXPECT_TRUE(leaf7Bit(0, kEbx, 30)); // AVX512BW
    EXPECT_TRUE(leaf7Bit(0, kEbx, 31)); // AVX512VL
  }
  if (host.has_feature(Target::AVX512_Cannonlake)) {
    EXPECT_TRUE(leaf7Bit(0, kEbx, 21)); // AVX512IFMA
    EXPECT_TRUE(leaf7Bit(0, kEcx, 1));  // AVX512VBMI
  }
}

TEST(HostTarget, JitTargetFollowsHostWithoutEnvironment) {
  if (getenv("HL_JIT_TARGET"))
    GTEST_SKIP() << "HL_JIT_TARGET is set";
  EXPECT_EQ(cnnopt::codegen::jitTarget(), cnnopt::codegen::hostTarget());
}

} // namespace
