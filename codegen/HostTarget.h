//===- HostTarget.h - The Halide target of this machine ----------*- C++ -*-===//
//
// Halide::get_host_target() corrected where Halide 14 claims more than the
// CPU has; every "host" in code generation goes through here.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_HOSTTARGET_H
#define CNNOPT_CODEGEN_HOSTTARGET_H

#include "Halide.h"

#include <string>

namespace cnnopt::codegen {

/// The target of this machine's CPU, for objects that run here.
Halide::Target hostTarget();

/// The target a --target name means: "host" is hostTarget(), anything else
/// a Halide target string (valid: isValidTarget()).
Halide::Target targetNamed(const std::string &name);

/// The target of JIT-compiled code: HL_JIT_TARGET where it is set (Halide's
/// own convention), else hostTarget().
Halide::Target jitTarget();

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_HOSTTARGET_H
