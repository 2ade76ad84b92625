//===- ArgAttrs.h - Names of cnn function argument attributes ---*- C++ -*-===//
//
// A model function's arguments are its inputs, then its parameters and
// buffers; these attributes name each one for tools and the generated C API.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_DIALECT_ARGATTRS_H
#define CNNOPT_DIALECT_ARGATTRS_H

namespace cnnopt {

/// A model input; the value is its `.cnn` name (`x`).
inline constexpr const char *kInputAttr = "cnn.input";
/// A trainable parameter; the value is its state_dict key.
inline constexpr const char *kParamAttr = "cnn.param";
/// A buffer (running statistics); the value is its state_dict key.
inline constexpr const char *kBufferAttr = "cnn.buffer";
/// PyTorch's default initialiser of a parameter or buffer: "ones",
/// "uniform" or "constant" (absent: zeros), set by the front end from the
/// owning op.
inline constexpr const char *kInitAttr = "cnn.init";
/// The bound b of a "uniform" initialiser, U(-b, b), or the value of a
/// "constant" one (an f64).
inline constexpr const char *kInitBoundAttr = "cnn.init_bound";
/// A model output (function result); the value is its name per DSL.md.
inline constexpr const char *kOutputAttr = "cnn.output";
/// A training step's optimizer state tensor (also a `cnn.input`, named
/// `<param>.momentum_buffer`, `.exp_avg` or `.exp_avg_sq`); the value is
/// the state_dict key of the parameter it belongs to.
inline constexpr const char *kOptStateAttr = "cnn.opt_state";
/// On a training step's result: the argument (parameter, buffer or
/// optimizer state, by name) whose new value it is.
inline constexpr const char *kUpdatesAttr = "cnn.updates";

} // namespace cnnopt

#endif // CNNOPT_DIALECT_ARGATTRS_H
