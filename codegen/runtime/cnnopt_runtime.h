/*===- cnnopt_runtime.h - Parameter loading for compiled models ---*- C -*-===//
 *
 * The small C runtime that ships beside a compiled `model.o`/`model.h`. A
 * model's parameters live in one flat `float` array laid out by a parameter
 * table (state_dict name, shape, offset); these functions fill that array
 * from a `.safetensors` checkpoint and write it back, with PyTorch's
 * `load_state_dict(strict=True)` checking. Plain C99 with no dependency but
 * libc, so it links into C and C++ programs alike.
 *===----------------------------------------------------------------------===*/

#ifndef CNNOPT_RUNTIME_H
#define CNNOPT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cnnopt_param_info, the CNNOPT_INIT_* initialisers and the Halide buffer
 * structs: the same definitions every generated model header carries. */
#include "cnnopt_model_api.h"

/// Fills `params` from the `.safetensors` file at `path`, matching tensors to
/// `table` by name, as PyTorch 1.13's `load_state_dict(strict=True)` does
/// with a plain dict: a BatchNorm's num_batches_tracked may be left out
/// (it is then 0) and a 0-D tensor may come as 1-D (its first element is
/// taken; PyTorch 0.3's checkpoints). F32 tensors are
/// copied; F64, F16, BF16, I64 and I32 are converted to float. Returns 0 on
/// success. Otherwise returns nonzero, leaves `params` unspecified, and writes
/// into `err` (capacity `errlen`, always NUL-terminated when errlen > 0) one
/// message with every problem: missing keys, unexpected keys and size
/// mismatches together, or the single reason a malformed file was refused.
int cnnopt_load_safetensors(const char *path, const cnnopt_param_info *table, int count,
                            float *params, char *err, size_t errlen);

/// Writes `params` to `path` as a `.safetensors` file: every tensor as F32,
/// except names ending in "num_batches_tracked", which are written as I64.
/// The file is written to a temporary name beside `path` and renamed over it,
/// so readers never see a partial file. Returns 0 on success, nonzero with a
/// message in `err` otherwise.
int cnnopt_save_safetensors(const char *path, const cnnopt_param_info *table, int count,
                            const float *params, char *err, size_t errlen);

/// Fills `params` with each tensor's default initialiser. Uniform values come
/// from a fixed generator seeded with `seed` (the same seed gives the same
/// parameters on every machine; the values differ from torch's generator).
void cnnopt_init_params(const cnnopt_param_info *table, int count, float *params,
                        uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* CNNOPT_RUNTIME_H */
