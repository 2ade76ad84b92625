/*===- cnnopt_model_api.h - Support code of every generated model header --===*
 *
 * `cnnopt model.cnn -o model.o` writes model.h; this file is pasted into it
 * verbatim (and used by the runtime library), so a program needs nothing but
 * model.o and model.h. Everything is `static inline`: C99, libc only.
 *
 * It holds the ABI structs of Halide's buffers (the layout of Halide 14's
 * HalideRuntime.h, used when that header is not included), the parameter
 * and tensor tables, PyTorch's default initialisers, and the checks that
 * turn a wrong buffer shape into an error code and a readable message.
 *===----------------------------------------------------------------------===*/

#ifndef CNNOPT_MODEL_API_H
#define CNNOPT_MODEL_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef HALIDE_HALIDERUNTIME_H
/* The ABI of halide_buffer_t (Halide 14, HalideRuntime.h). */
struct halide_device_interface_t;
struct halide_type_t {
  uint8_t code; /* 0 int, 1 uint, 2 float */
  uint8_t bits;
  uint16_t lanes;
};
typedef struct halide_dimension_t {
  int32_t min, extent, stride;
  uint32_t flags;
} halide_dimension_t;
typedef struct halide_buffer_t {
  uint64_t device;
  const struct halide_device_interface_t *device_interface;
  uint8_t *host;
  uint64_t flags;
  struct halide_type_t type;
  int32_t dimensions;
  halide_dimension_t *dim;
  void *padding;
} halide_buffer_t;
#endif

/* The largest tensor rank. */
#define CNNOPT_MAX_RANK 5

#ifndef CNNOPT_PARAM_INFO_DEFINED
#define CNNOPT_PARAM_INFO_DEFINED
/* One tensor of the flat parameter array. */
typedef struct cnnopt_param_info {
  const char *name;               /* state_dict key, e.g. "layer1.0.bn1.running_var" */
  int rank;                       /* 0..5 (num_batches_tracked has rank 0) */
  int64_t shape[CNNOPT_MAX_RANK]; /* the first `rank` entries are used */
  int64_t offset;                 /* first float of this tensor in the flat array */
  int64_t size;                   /* element count (1 for rank 0) */
  int init;                       /* CNNOPT_INIT_*: PyTorch's default initialiser */
  float bound;                    /* for CNNOPT_INIT_UNIFORM: U(-bound, bound) */
} cnnopt_param_info;

/* Initialisers of cnnopt_param_info::init, as torch.nn's reset_parameters. */
#define CNNOPT_INIT_ZERO 0    /* norm biases, running_mean, num_batches_tracked */
#define CNNOPT_INIT_ONE 1     /* norm weights, running_var */
#define CNNOPT_INIT_UNIFORM 2 /* conv/linear weight and bias: bound = 1/sqrt(fan_in) */
#endif

/* A model input or output; shape[0] == -1 is the run-time batch. */
typedef struct cnnopt_tensor_info {
  const char *name;
  int rank;
  int64_t shape[CNNOPT_MAX_RANK];
  int is_int; /* int32 (class labels) instead of float32 */
} cnnopt_tensor_info;

/* Return codes of the generated entry points. */
enum {
  CNNOPT_OK = 0,
  CNNOPT_ERROR_SHAPE = 1,  /* a buffer's shape or type does not fit the model */
  CNNOPT_ERROR_RUNTIME = 2 /* the compiled pipeline failed (Halide's code) */
};

/* splitmix64: a small, well-mixed generator, so a seed means the same
 * parameters on every machine. */
static inline uint64_t cnnopt_api_next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Fills `params` with each tensor's default initialiser. */
static inline void cnnopt_api_init_params(const cnnopt_param_info *table, int count, float *params,
                                   uint64_t seed) {
  uint64_t state = seed;
  int i;
  int64_t k;
  for (i = 0; i < count; ++i) {
    float *p = params + table[i].offset;
    for (k = 0; k < table[i].size; ++k) {
      if (table[i].init == CNNOPT_INIT_ONE) {
        p[k] = 1.0f;
      } else if (table[i].init == CNNOPT_INIT_UNIFORM) {
        double unit = (double)(cnnopt_api_next_random(&state) >> 11) *
                      (1.0 / 9007199254740992.0);
        p[k] = (float)((2.0 * unit - 1.0) * table[i].bound);
      } else {
        p[k] = 0.0f;
      }
    }
  }
}

/* "[N, 3, 32, 32]" into `out`. */
static inline void cnnopt_api_format_shape(char *out, size_t size, int rank, const int64_t *shape) {
  size_t used = 0;
  int a;
  used += (size_t)snprintf(out, size, "[");
  for (a = 0; a < rank && used < size; ++a) {
    if (shape[a] < 0)
      used += (size_t)snprintf(out + used, size - used, "%sN", a ? ", " : "");
    else
      used += (size_t)snprintf(out + used, size - used, "%s%lld", a ? ", " : "",
                               (long long)shape[a]);
  }
  if (used < size)
    snprintf(out + used, size - used, "]");
}

/* Describes a dense row-major tensor of `info`'s shape (batch `batch`) at
 * `data` as a Halide buffer; Halide lists the innermost dimension first. */
static inline void cnnopt_api_wrap(halide_buffer_t *buffer, halide_dimension_t *dims,
                            const cnnopt_tensor_info *info, int batch, const void *data) {
  int32_t stride = 1;
  int a;
  memset(buffer, 0, sizeof(*buffer));
  buffer->host = (uint8_t *)(uintptr_t)data; /* Halide reads inputs only */
  buffer->type.code = info->is_int ? 0 : 2;
  buffer->type.bits = 32;
  buffer->type.lanes = 1;
  buffer->dimensions = info->rank;
  buffer->dim = dims;
  for (a = info->rank - 1; a >= 0; --a) {
    halide_dimension_t *d = &dims[info->rank - 1 - a];
    d->min = 0;
    d->extent = (int32_t)(info->shape[a] < 0 ? batch : info->shape[a]);
    d->stride = stride;
    d->flags = 0;
    stride *= d->extent;
  }
}

/* The flat parameter array of `floats` elements as a Halide buffer. */
static inline void cnnopt_api_wrap_params(halide_buffer_t *buffer, halide_dimension_t *dim,
                                   const float *params, int64_t floats) {
  memset(buffer, 0, sizeof(*buffer));
  buffer->host = (uint8_t *)(uintptr_t)params;
  buffer->type.code = 2;
  buffer->type.bits = 32;
  buffer->type.lanes = 1;
  buffer->dimensions = 1;
  buffer->dim = dim;
  dim->min = 0;
  dim->extent = (int32_t)(floats > 0 ? floats : 1);
  dim->stride = 1;
  dim->flags = 0;
}

/* Checks a caller's Halide buffer against `info` (any batch >= 1 when the
 * model's is dynamic, the same batch as `*batch` once one is seen). Writes
 * a message naming the tensor into `message` and returns CNNOPT_ERROR_SHAPE
 * on a mismatch. */
static inline int cnnopt_api_check(const halide_buffer_t *buffer, const cnnopt_tensor_info *info,
                            int *batch, char *message, size_t size) {
  char want[96], got[96];
  int64_t shape[CNNOPT_MAX_RANK] = {0, 0, 0, 0, 0};
  int a, fits = buffer && buffer->dimensions == info->rank;
  if (!buffer) {
    snprintf(message, size, "'%s' is a null buffer", info->name);
    return CNNOPT_ERROR_SHAPE;
  }
  if (buffer->type.bits != 32 || buffer->type.code != (info->is_int ? 0 : 2)) {
    snprintf(message, size, "'%s' must hold %s", info->name,
             info->is_int ? "int32" : "float32");
    return CNNOPT_ERROR_SHAPE;
  }
  for (a = 0; fits && a < info->rank; ++a) {
    int32_t extent = buffer->dim[info->rank - 1 - a].extent;
    shape[a] = extent;
    if (info->shape[a] >= 0)
      fits = extent == info->shape[a];
    else
      fits = extent >= 1 && (*batch < 0 || extent == *batch);
  }
  if (!fits) {
    for (a = 0; a < buffer->dimensions && a < CNNOPT_MAX_RANK; ++a)
      shape[a] = buffer->dim[buffer->dimensions - 1 - a].extent;
    cnnopt_api_format_shape(want, sizeof(want), info->rank, info->shape);
    cnnopt_api_format_shape(got, sizeof(got),
                            buffer->dimensions < CNNOPT_MAX_RANK ? buffer->dimensions
                                                                 : CNNOPT_MAX_RANK,
                            shape);
    snprintf(message, size, "'%s' has shape %s, the model expects %s%s", info->name, got,
             want, *batch >= 0 && info->rank > 0 && info->shape[0] < 0
                       ? " with the batch of the other tensors"
                       : "");
    return CNNOPT_ERROR_SHAPE;
  }
  if (info->rank > 0 && info->shape[0] < 0)
    *batch = (int)shape[0];
  return CNNOPT_OK;
}

#endif /* CNNOPT_MODEL_API_H */
