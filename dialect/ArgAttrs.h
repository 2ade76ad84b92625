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
/// A model output (function result); the value is its name per DSL.md.
inline constexpr const char *kOutputAttr = "cnn.output";

} // namespace cnnopt

#endif // CNNOPT_DIALECT_ARGATTRS_H
