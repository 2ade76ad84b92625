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
#include <stdlib.h>
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

/* A type code as halide_type_t holds it: an enum in Halide's own header
 * (the JIT runner includes it), a byte in the ABI copy above. */
#ifdef HALIDE_HALIDERUNTIME_H
#define CNNOPT_TYPE_CODE(code) ((halide_type_code_t)(code))
#else
#define CNNOPT_TYPE_CODE(code) (code)
#endif

/* halide_buffer_t's flags (halide_buffer_flag_*): which copy of a GPU
 * object's buffer is newer, the host's or the device's. */
#define CNNOPT_HOST_DIRTY 1
#define CNNOPT_DEVICE_DIRTY 2

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
  float bound;                    /* CNNOPT_INIT_UNIFORM: U(-bound, bound); CNNOPT_INIT_CONSTANT: the value */
} cnnopt_param_info;

/* Initialisers of cnnopt_param_info::init, as torch.nn's reset_parameters. */
#define CNNOPT_INIT_ZERO 0    /* norm biases, running_mean, num_batches_tracked */
#define CNNOPT_INIT_ONE 1     /* norm weights, running_var */
#define CNNOPT_INIT_UNIFORM 2 /* conv/linear weight and bias: bound = 1/sqrt(fan_in) */
#define CNNOPT_INIT_CONSTANT 3 /* every element `bound` (prelu's weight: 0.25) */
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
  CNNOPT_ERROR_SHAPE = 1,   /* an argument's shape, type or layout does not fit the model */
  CNNOPT_ERROR_RUNTIME = 2, /* the compiled pipeline failed (Halide's code) */
  CNNOPT_ERROR_MEMORY = 3,  /* the pipeline ran out of memory or needed too large a buffer */
  CNNOPT_ERROR_DEVICE = 4   /* a GPU object's device failed: none found, out of device memory,
                               a copy or a kernel launch failed */
};

/* The most elements one tensor may hold: Halide buffers index with 32-bit
 * integers. */
#define CNNOPT_MAX_ELEMENTS 2147483647LL

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
      } else if (table[i].init == CNNOPT_INIT_CONSTANT) {
        p[k] = table[i].bound;
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

/* "[N, 3, 32, 32]" into `out`; with `symbolic`, a negative extent is the
 * run-time batch N (a model's shape), otherwise it is printed as it is (a
 * caller's buffer). */
static inline void cnnopt_api_format_shape(char *out, size_t size, int rank, const int64_t *shape,
                                           int symbolic) {
  size_t used = 0;
  int a;
  used += (size_t)snprintf(out, size, "[");
  for (a = 0; a < rank && used < size; ++a) {
    if (symbolic && shape[a] < 0)
      used += (size_t)snprintf(out + used, size - used, "%sN", a ? ", " : "");
    else
      used += (size_t)snprintf(out + used, size - used, "%s%lld", a ? ", " : "",
                               (long long)shape[a]);
  }
  if (used < size)
    snprintf(out + used, size - used, "]");
}

/* "float32", "int32", "float32x4": a Halide element type as a caller reads it. */
static inline void cnnopt_api_format_type(char *out, size_t size, struct halide_type_t type) {
  static const char *const codes[] = {"int", "uint", "float", "handle", "bfloat"};
  const char *code = type.code < 5 ? codes[type.code] : "unknown";
  if (type.lanes == 1)
    snprintf(out, size, "%s%d", code, type.bits);
  else
    snprintf(out, size, "%s%dx%d", code, type.bits, type.lanes);
}

/* Describes a dense row-major tensor of `info`'s shape (batch `batch`) at
 * `data` as a Halide buffer; Halide lists the innermost dimension first.
 * Refuses (CNNOPT_ERROR_SHAPE with a message) a batch that makes the tensor
 * larger than a Halide buffer can address. */
static inline int cnnopt_api_wrap(halide_buffer_t *buffer, halide_dimension_t *dims,
                                  const cnnopt_tensor_info *info, int batch, const void *data,
                                  char *message, size_t size) {
  int64_t stride = 1;
  int a;
  memset(buffer, 0, sizeof(*buffer));
  buffer->host = (uint8_t *)(uintptr_t)data; /* Halide reads inputs only */
  buffer->type.code = CNNOPT_TYPE_CODE(info->is_int ? 0 : 2);
  buffer->type.bits = 32;
  buffer->type.lanes = 1;
  buffer->dimensions = info->rank;
  buffer->dim = dims;
  for (a = info->rank - 1; a >= 0; --a) {
    halide_dimension_t *d = &dims[info->rank - 1 - a];
    int64_t extent = info->shape[a] < 0 ? batch : info->shape[a];
    d->min = 0;
    d->extent = (int32_t)extent;
    d->stride = (int32_t)stride;
    d->flags = 0;
    if (extent > 0 && stride > CNNOPT_MAX_ELEMENTS / extent) {
      int64_t sample = 1;
      int k;
      for (k = 1; k < info->rank; ++k)
        sample *= info->shape[k];
      snprintf(message, size,
               "batch %d is too large: '%s' would hold %lld elements, more than the %lld a "
               "Halide buffer addresses",
               batch, info->name, (long long)batch * (long long)sample,
               (long long)CNNOPT_MAX_ELEMENTS);
      return CNNOPT_ERROR_SHAPE;
    }
    stride *= extent;
  }
  return CNNOPT_OK;
}

/* The flat parameter array of `floats` elements as a Halide buffer. */
static inline void cnnopt_api_wrap_params(halide_buffer_t *buffer, halide_dimension_t *dim,
                                          const float *params, int64_t floats) {
  memset(buffer, 0, sizeof(*buffer));
  buffer->host = (uint8_t *)(uintptr_t)params;
  buffer->type.code = CNNOPT_TYPE_CODE(2);
  buffer->type.bits = 32;
  buffer->type.lanes = 1;
  buffer->dimensions = 1;
  buffer->dim = dim;
  dim->min = 0;
  dim->extent = (int32_t)(floats > 0 ? floats : 1);
  dim->stride = 1;
  dim->flags = 0;
}

/* What every buffer argument needs before its shape is looked at: to exist,
 * to have host memory (Halide would take a NULL host as a bounds query and
 * return without computing; the model answers none), one scalar element
 * type, and a readable dimension array. */
static inline int cnnopt_api_check_buffer(const halide_buffer_t *buffer, const char *name,
                                          int is_int, char *message, size_t size) {
  char got[32];
  if (!buffer) {
    snprintf(message, size, "'%s' is a null buffer", name);
    return CNNOPT_ERROR_SHAPE;
  }
  if (!buffer->host) {
    snprintf(message, size,
             "'%s' has no host memory (host is NULL); the model does not answer Halide "
             "bounds queries",
             name);
    return CNNOPT_ERROR_SHAPE;
  }
  if (buffer->type.bits != 32 || buffer->type.code != (is_int ? 0 : 2) ||
      buffer->type.lanes != 1) {
    cnnopt_api_format_type(got, sizeof(got), buffer->type);
    snprintf(message, size, "'%s' must hold %s, not %s", name, is_int ? "int32" : "float32",
             got);
    return CNNOPT_ERROR_SHAPE;
  }
  if (buffer->flags & 2) { /* halide_buffer_flag_device_dirty */
    snprintf(message, size,
             "'%s' is dirty on a device (halide_buffer_flag_device_dirty): this model runs on "
             "the host; copy the buffer back first",
             name);
    return CNNOPT_ERROR_RUNTIME;
  }
  if (buffer->dimensions < 0 || buffer->dimensions > CNNOPT_MAX_RANK ||
      (buffer->dimensions > 0 && !buffer->dim)) {
    snprintf(message, size, "'%s' has %d dimensions%s; the model's tensors have at most %d",
             name, buffer->dimensions, buffer->dim ? "" : " and no dimension array",
             CNNOPT_MAX_RANK);
    return CNNOPT_ERROR_SHAPE;
  }
  return CNNOPT_OK;
}

/* Checks that a buffer of the right shape is laid out as the compiled code
 * reads it: dense, row-major, every dimension starting at 0. Dimensions are
 * counted outermost first, as in PyTorch. */
static inline int cnnopt_api_check_layout(const halide_buffer_t *buffer, const char *name,
                                          char *message, size_t size) {
  int64_t stride = 1;
  int a;
  for (a = 0; a < buffer->dimensions; ++a) {
    const halide_dimension_t *d = &buffer->dim[a];
    int outer = buffer->dimensions - 1 - a;
    if (d->min != 0) {
      snprintf(message, size,
               "'%s' dimension %d starts at %d; the model's tensors start at 0 (dim.min)",
               name, outer, d->min);
      return CNNOPT_ERROR_SHAPE;
    }
    if (d->stride != stride) {
      snprintf(message, size,
               "'%s' is not dense and row-major: dimension %d has stride %d, the model "
               "needs %lld",
               name, outer, d->stride, (long long)stride);
      return CNNOPT_ERROR_SHAPE;
    }
    if (d->extent > 0 && stride > CNNOPT_MAX_ELEMENTS / d->extent) {
      snprintf(message, size, "'%s' holds more than the %lld elements a Halide buffer addresses",
               name, (long long)CNNOPT_MAX_ELEMENTS);
      return CNNOPT_ERROR_SHAPE;
    }
    stride *= d->extent;
  }
  return CNNOPT_OK;
}

/* Checks a caller's Halide buffer against `info` (any batch >= 1 when the
 * model's is dynamic, the same batch as `*batch` once one is seen). Writes
 * a message naming the tensor into `message` and returns CNNOPT_ERROR_SHAPE
 * on a mismatch. */
static inline int cnnopt_api_check(const halide_buffer_t *buffer, const cnnopt_tensor_info *info,
                                   int *batch, char *message, size_t size) {
  char want[96], got[96];
  int64_t shape[CNNOPT_MAX_RANK] = {0, 0, 0, 0, 0};
  int a, fits, batched = info->rank > 0 && info->shape[0] < 0;
  int code = cnnopt_api_check_buffer(buffer, info->name, info->is_int, message, size);
  if (code)
    return code;
  for (a = 0; a < buffer->dimensions; ++a)
    shape[a] = buffer->dim[buffer->dimensions - 1 - a].extent;
  cnnopt_api_format_shape(want, sizeof(want), info->rank, info->shape, 1);
  cnnopt_api_format_shape(got, sizeof(got), buffer->dimensions, shape, 0);
  fits = buffer->dimensions == info->rank;
  if (fits && batched && shape[0] < 1) {
    snprintf(message, size, "'%s' has shape %s: its batch (dimension 0) is %lld, it must be "
             "at least 1", info->name, got, (long long)shape[0]);
    return CNNOPT_ERROR_SHAPE;
  }
  for (a = 0; fits && a < info->rank; ++a)
    fits = info->shape[a] >= 0 ? shape[a] == info->shape[a] : *batch < 0 || shape[a] == *batch;
  if (!fits) {
    snprintf(message, size, "'%s' has shape %s, the model expects %s%s", info->name, got,
             want, *batch >= 0 && batched ? " with the batch of the other tensors" : "");
    return CNNOPT_ERROR_SHAPE;
  }
  if (cnnopt_api_check_layout(buffer, info->name, message, size))
    return CNNOPT_ERROR_SHAPE;
  if (batched)
    *batch = (int)shape[0];
  return CNNOPT_OK;
}

/* Checks the flat parameter array: a dense 1-D float32 buffer of at least
 * `floats` elements. */
static inline int cnnopt_api_check_params(const halide_buffer_t *buffer, int64_t floats,
                                          char *message, size_t size) {
  int code = cnnopt_api_check_buffer(buffer, "params", 0, message, size);
  if (code)
    return code;
  if (buffer->dimensions != 1 || buffer->dim[0].extent < floats) {
    snprintf(message, size, "'params' must be a 1-D float32 buffer of %lld elements",
             (long long)floats);
    return CNNOPT_ERROR_SHAPE;
  }
  return cnnopt_api_check_layout(buffer, "params", message, size);
}

/*===- Errors inside the compiled pipeline --------------------------------===*
 *
 * Halide's default error handler prints the message and calls abort(). The
 * entry points instead pass each call's own context as Halide's user
 * context and install a handler that records the message there and
 * returns, so the pipeline returns its error code: nothing is shared
 * between threads or models but the (stateless) handler itself. Halide code
 * that is not cnnopt's reaches the handler without a cnnopt context; its
 * messages go to stderr, and its pipelines return their error codes.
 *===----------------------------------------------------------------------===*/

#ifndef HALIDE_HALIDERUNTIME_H
#ifdef __cplusplus
extern "C" {
#endif
typedef void (*halide_error_handler_t)(void *, const char *);
extern halide_error_handler_t halide_set_error_handler(halide_error_handler_t handler);
extern int halide_set_num_threads(int n);
/* Referenced by GPU objects' plans only (cnnopt_plan::copy_to_host). */
extern int halide_copy_to_host(void *user_context, struct halide_buffer_t *buf);
extern int halide_device_free(void *user_context, struct halide_buffer_t *buf);
#ifdef __cplusplus
}
#endif
#endif

/* Each thread's own last-error message. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define CNNOPT_THREAD_LOCAL thread_local
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CNNOPT_THREAD_LOCAL _Thread_local
#elif defined(__GNUC__)
#define CNNOPT_THREAD_LOCAL __thread
#else
#define CNNOPT_THREAD_LOCAL
#endif

#define CNNOPT_CALL_MAGIC 0x636e6e6f70742121ull /* "cnnopt!!" */

/* The user context of one pipeline call. */
typedef struct cnnopt_call {
  uint64_t magic; /* CNNOPT_CALL_MAGIC */
  char message[400];
  int device; /* a GPU object's call (cnnopt_api_begin_device_call) */
} cnnopt_call;

static inline void cnnopt_api_halide_error(void *user_context, const char *message) {
  cnnopt_call *call = (cnnopt_call *)user_context;
  size_t n;
  if (!call || call->magic != CNNOPT_CALL_MAGIC) {
    fprintf(stderr, "Error: %s\n", message);
    return;
  }
  if (call->message[0])
    return; /* the first message names the cause; later ones follow from it */
  snprintf(call->message, sizeof(call->message), "%s", message);
  n = strlen(call->message);
  while (n > 0 && call->message[n - 1] == '\n')
    call->message[--n] = 0;
}

/* Prepares `call` and installs the handler, before a pipeline call. */
static inline void *cnnopt_api_begin_call(cnnopt_call *call) {
  call->magic = CNNOPT_CALL_MAGIC;
  call->message[0] = 0;
  call->device = 0;
  halide_set_error_handler(cnnopt_api_halide_error);
  return call;
}

/* cnnopt_api_begin_call for a GPU object's pipelines. */
static inline void *cnnopt_api_begin_device_call(cnnopt_call *call) {
  cnnopt_api_begin_call(call);
  call->device = 1;
  return call;
}

/* The entry point's return code and message for a pipeline's status. */
static inline int cnnopt_api_end_call(int status, const cnnopt_call *call, char *message,
                                      size_t size) {
  if (status == 0) {
    message[0] = 0;
    return CNNOPT_OK;
  }
  snprintf(message, size, "the compiled pipeline failed (Halide error %d): %s", status,
           call->message[0] ? call->message : "no message");
  /* halide_error_code_buffer_allocation_too_large, _buffer_extents_too_large
   * (OpenCL's CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY in a GPU object),
   * and, on the CPU, _out_of_memory. */
  if (status == -5 || status == -6 || (status == -11 && !call->device))
    return CNNOPT_ERROR_MEMORY;
  /* A GPU object's other failures come from its device runtime, which
   * returns its own codes (CUDA's CUresult, OpenCL's CL_*): no driver, no
   * device, out of device memory, a kernel that does not build or launch. */
  if (call->device)
    return CNNOPT_ERROR_DEVICE;
  return CNNOPT_ERROR_RUNTIME;
}

/*===- Running a compiled model: its execution plan -----------------------===*
 *
 * A model compiles into one function per stored tensor (a stage) and one
 * per piece of packed data (codegen/ExecutionPlan.h). The plan lists them;
 * these functions run it: the stored tensors between stages are allocated
 * here, each freed after the last stage that reads it.
 *===----------------------------------------------------------------------===*/

/* A compiled function's argv entry point (Halide's `<name>_argv`):
 * args[0] points at the user context, then one halide_buffer_t * per
 * buffer argument, the output last. */
typedef int (*cnnopt_argv_fn)(void **args);

/* One stage: the slot it writes and the slots it reads
 * (plan->reads[first_read .. first_read + n_reads)); with flat_pixels, it
 * takes its 4-D (channels-last [N, H, W, C]) tensors as [N*H*W, C]
 * matrices (a 1x1 conv over the pixels of every image at once). */
typedef struct cnnopt_plan_step {
  cnnopt_argv_fn run;
  int result;
  int first_read;
  int n_reads;
  int flat_pixels;
} cnnopt_plan_step;

/* One piece of the packed array. */
typedef struct cnnopt_plan_piece {
  int64_t offset;
  cnnopt_tensor_info shape;
} cnnopt_plan_piece;

/* One pack function: it fills pieces [first_piece, first_piece + n_pieces). */
typedef struct cnnopt_plan_pack {
  cnnopt_argv_fn run;
  int first_piece;
  int n_pieces;
} cnnopt_plan_pack;

/* Where an output comes from: written by a stage into the caller's buffer,
 * or copied from another slot, from the parameters or from packed data. */
enum { CNNOPT_FROM_STAGE = 0, CNNOPT_FROM_SLOT = 1, CNNOPT_FROM_PARAMS = 2,
       CNNOPT_FROM_PACKED = 3 };
typedef struct cnnopt_plan_output {
  int source;
  int slot;
  int64_t offset;
} cnnopt_plan_output;

typedef struct cnnopt_plan {
  int n_slots;                     /* stored tensors: the inputs first */
  const cnnopt_tensor_info *slots; /* their shapes (-1: the batch) */
  const int *last_reader;          /* the step after which a slot's memory can go, -1 never */
  int n_steps;
  const cnnopt_plan_step *steps;
  const int *reads;
  int n_packs;
  const cnnopt_plan_pack *packs;
  const cnnopt_plan_piece *pieces;
  int n_inputs, n_outputs;
  const cnnopt_plan_output *outputs;
  int with_arrays; /* the stages take the parameter and packed arrays */
  /* Called before (finished 0) and after (finished 1) each step, with the
   * buffer the step writes, if set: cnnopt-run --profile times the stages
   * with it (on a GPU, after waiting for the step's device work). */
  void (*on_step)(void *user, int step, int finished, halide_buffer_t *result);
  void *on_step_user;
  /* A GPU object's halide_copy_to_host and halide_device_free (NULL for
   * CPU code): the stages leave their results on the device, and these
   * bring the outputs back and free the copies a call made. */
  int (*copy_to_host)(void *user_context, halide_buffer_t *buffer);
  int (*device_free)(void *user_context, halide_buffer_t *buffer);
} cnnopt_plan;

/* Before a GPU plan reads `b`: a buffer with no device copy yet holds its
 * data on the host (Halide copies host-dirty buffers to the device). */
static inline void cnnopt_api_mark_host(const cnnopt_plan *plan, halide_buffer_t *b) {
  if (plan->device_free && b && !b->device)
    b->flags |= CNNOPT_HOST_DIRTY;
}

/* Frees `b`'s device copy, if it has one (0, or a Halide error code). */
static inline int cnnopt_api_device_release(const cnnopt_plan *plan, void *user_context,
                                            halide_buffer_t *b) {
  return plan->device_free && b && b->device ? plan->device_free(user_context, b) : 0;
}

/* Brings `b`'s data back to the host if its device copy is newer. */
static inline int cnnopt_api_to_host(const cnnopt_plan *plan, void *user_context,
                                     halide_buffer_t *b) {
  return plan->copy_to_host && b && b->device ? plan->copy_to_host(user_context, b) : 0;
}

/* A context's parameter and packed arrays as the stages read them, kept
 * across calls so that a GPU object's device copies of them stay
 * resident; cnnopt_api_arrays_release frees those. */
typedef struct cnnopt_arrays {
  halide_buffer_t params, packed;
  halide_dimension_t params_dim, packed_dim;
} cnnopt_arrays;

static inline void cnnopt_api_arrays_release(const cnnopt_plan *plan, cnnopt_arrays *arrays) {
  if (!arrays)
    return;
  cnnopt_api_device_release(plan, NULL, &arrays->params);
  cnnopt_api_device_release(plan, NULL, &arrays->packed);
}

#define CNNOPT_HALIDE_OUT_OF_MEMORY (-11)        /* halide_error_code_out_of_memory */
#define CNNOPT_HALIDE_ALLOCATION_TOO_LARGE (-5)  /* halide_error_code_buffer_allocation_too_large */

/* `b`, a dense channels-last 4-D buffer (dims C, W, H, N innermost
 * first), as the 2-D [N*H*W, C] matrix over the same memory; other ranks
 * unchanged. */
static inline halide_buffer_t *cnnopt_api_flat_pixels(halide_buffer_t *b, halide_buffer_t *view,
                                                      halide_dimension_t dims[2]) {
  if (!b || b->dimensions != 4)
    return b;
  *view = *b;
  view->dimensions = 2;
  view->dim = dims;
  dims[0] = b->dim[0];
  dims[1] = b->dim[1];
  dims[1].min = 0;
  dims[1].extent = b->dim[1].extent * b->dim[2].extent * b->dim[3].extent;
  return view;
}

/* The elements of a dense buffer made by cnnopt_api_wrap. */
static inline int64_t cnnopt_api_elements(const halide_buffer_t *b) {
  int64_t n = 1;
  int d;
  for (d = 0; d < b->dimensions; ++d)
    n *= b->dim[d].extent;
  return n;
}

/* The most pieces one pack function fills (ExecutionPlan.h). */
#define CNNOPT_MAX_PIECES 32

/* Fills the packed array (plan->packs) from the parameters. */
static inline int cnnopt_api_run_packs(const cnnopt_plan *plan, void *user_context,
                                       halide_buffer_t *params, float *packed, char *message,
                                       size_t size) {
  halide_buffer_t pieces[CNNOPT_MAX_PIECES];
  halide_dimension_t dims[CNNOPT_MAX_PIECES][CNNOPT_MAX_RANK];
  void *args[CNNOPT_MAX_PIECES + 2];
  int f, k, status;
  for (f = 0; f < plan->n_packs; ++f) {
    const cnnopt_plan_pack *pack = &plan->packs[f];
    args[0] = &user_context;
    args[1] = params;
    for (k = 0; k < pack->n_pieces && k < CNNOPT_MAX_PIECES; ++k) {
      const cnnopt_plan_piece *piece = &plan->pieces[pack->first_piece + k];
      if (cnnopt_api_wrap(&pieces[k], dims[k], &piece->shape, 1, packed + piece->offset,
                          message, size))
        return CNNOPT_HALIDE_OUT_OF_MEMORY;
      args[2 + k] = &pieces[k];
    }
    status = pack->run(args);
    if (status)
      return status;
  }
  return 0;
}

/* Memory for the tensors between stages: one block, each tensor at an
 * offset where nothing else alive at the same time lies. A context keeps
 * its arena across calls, so a call neither allocates nor touches fresh
 * pages (first-touch page faults cost more than some stages); the offsets
 * are planned again only when the batch changes. */
typedef struct cnnopt_arena {
  void *block;
  size_t bytes;   /* the block's usable size */
  int batch;      /* the batch `offsets` were planned for (0: none) */
  int n_slots;
  size_t *offsets; /* per slot, from the block's 64-byte aligned start */
} cnnopt_arena;

static inline void cnnopt_arena_release(cnnopt_arena *arena) {
  free(arena->block);
  free(arena->offsets);
  memset(arena, 0, sizeof(*arena));
}

/* Places every tensor between stages (bytes[k] > 0) in the arena: the
 * lowest 64-byte aligned offset clear of the tensors alive while its stage
 * runs (those a later stage still reads, or kept to the end). Returns the
 * bytes the block needs, or 0 when the offsets table cannot be allocated. */
static inline size_t cnnopt_api_plan_arena(const cnnopt_plan *plan, const size_t *bytes,
                                           cnnopt_arena *arena) {
  int n = plan->n_slots > 0 ? plan->n_slots : 1, s, k, j, n_live = 0;
  int *live = (int *)malloc((size_t)n * sizeof(int));
  size_t total = 0;
  if (arena->n_slots != n || !arena->offsets) {
    free(arena->offsets);
    arena->offsets = (size_t *)calloc((size_t)n, sizeof(size_t));
    arena->n_slots = n;
  }
  if (!live || !arena->offsets) {
    free(live);
    return 0;
  }
  for (s = 0; s < plan->n_steps; ++s) {
    int r = plan->steps[s].result;
    size_t offset = 0;
    int moved = 1;
    /* Tensors whose last reader ran before this stage are free again. */
    for (j = 0, k = 0; k < n_live; ++k)
      if (plan->last_reader[live[k]] < 0 || plan->last_reader[live[k]] >= s)
        live[j++] = live[k];
    n_live = j;
    if (!bytes[r])
      continue;
    while (moved) {
      moved = 0;
      for (k = 0; k < n_live; ++k) {
        size_t at = arena->offsets[live[k]], end = at + bytes[live[k]];
        if (offset < end && at < offset + bytes[r]) {
          offset = (end + 63) & ~(size_t)63;
          moved = 1;
        }
      }
    }
    arena->offsets[r] = offset;
    live[n_live++] = r;
    if (offset + bytes[r] > total)
      total = offset + bytes[r];
  }
  free(live);
  return total > 0 ? total : 64;
}

/* Runs every stage: `inputs` and `outputs` in the model's order, already
 * checked; `params` and `packed` when plan->with_arrays; the tensors
 * between stages in `arena` (a context's; NULL: one for this call only).
 * With a GPU plan, inputs and outputs that arrive without a device copy
 * are host arrays: the outputs come back to the host and every device copy
 * this call made of them is freed; buffers that arrive on the device stay
 * there (the outputs device-dirty), for callers that chain models. The
 * device copies of `params` and `packed` are the caller's to free. The
 * tensors between stages leave the device after their last reader.
 * Returns 0 or the failing stage's Halide error code (message from
 * Halide's handler), or, with `message`, CNNOPT_HALIDE_OUT_OF_MEMORY when
 * the tensors between stages cannot be allocated and
 * CNNOPT_HALIDE_ALLOCATION_TOO_LARGE when one would exceed a quarter of
 * Halide's 2^31-byte limit. */
static inline int cnnopt_api_run_plan(const cnnopt_plan *plan, void *user_context, int batch,
                                      halide_buffer_t *const *inputs, halide_buffer_t *params,
                                      halide_buffer_t *packed, halide_buffer_t *const *outputs,
                                      cnnopt_arena *arena, char *message, size_t size) {
  int n = plan->n_slots > 0 ? plan->n_slots : 1, most_reads = 0;
  int k, s, status = 0, largest = -1;
  cnnopt_arena call_arena;
  halide_buffer_t *own = (halide_buffer_t *)calloc((size_t)n, sizeof(halide_buffer_t));
  halide_dimension_t *dims =
      (halide_dimension_t *)calloc((size_t)n * CNNOPT_MAX_RANK, sizeof(halide_dimension_t));
  halide_buffer_t **slot = (halide_buffer_t **)calloc((size_t)n, sizeof(halide_buffer_t *));
  size_t *bytes = (size_t *)calloc((size_t)n, sizeof(size_t));
  size_t needed = 0;
  uint8_t *base;
  void **args;
  halide_buffer_t *views = NULL; /* a flat_pixels step's matrices */
  halide_dimension_t(*view_dims)[2] = NULL;
  /* Per input, then output: it arrived without a device copy. */
  char *host_only = (char *)calloc((size_t)(plan->n_inputs + plan->n_outputs + 1), 1);
  memset(&call_arena, 0, sizeof(call_arena));
  if (!arena)
    arena = &call_arena;
  for (s = 0; s < plan->n_steps; ++s)
    if (plan->steps[s].n_reads > most_reads)
      most_reads = plan->steps[s].n_reads;
  args = (void **)calloc((size_t)most_reads + 4, sizeof(void *));
  views = (halide_buffer_t *)calloc((size_t)most_reads + 1, sizeof(halide_buffer_t));
  view_dims = (halide_dimension_t(*)[2])calloc((size_t)most_reads + 1, sizeof(*view_dims));
  if (!own || !dims || !slot || !bytes || !args || !views || !view_dims || !host_only) {
    snprintf(message, size, "out of memory for the model's tensor table");
    status = CNNOPT_HALIDE_OUT_OF_MEMORY;
    goto done;
  }
  for (k = 0; k < plan->n_inputs; ++k) {
    slot[k] = inputs[k];
    host_only[k] = inputs[k] && !inputs[k]->device;
    cnnopt_api_mark_host(plan, inputs[k]);
  }
  for (k = 0; k < plan->n_outputs; ++k) {
    host_only[plan->n_inputs + k] = !outputs[k]->device;
    if (plan->outputs[k].source == CNNOPT_FROM_STAGE)
      slot[plan->outputs[k].slot] = outputs[k];
  }
  cnnopt_api_mark_host(plan, params);
  cnnopt_api_mark_host(plan, packed);
  /* The tensors between stages: their sizes, then their places. */
  for (s = 0; s < plan->n_steps; ++s) {
    int r = plan->steps[s].result;
    if (slot[r])
      continue;
    if (cnnopt_api_wrap(&own[r], &dims[r * CNNOPT_MAX_RANK], &plan->slots[r], batch, NULL,
                        message, size)) {
      status = CNNOPT_HALIDE_OUT_OF_MEMORY;
      goto done;
    }
    bytes[r] = (size_t)cnnopt_api_elements(&own[r]) * 4;
    if (bytes[r] > (size_t)CNNOPT_MAX_ELEMENTS / 4) {
      /* A quarter of Halide's limit (its buffers stay under 2^31 bytes):
       * a stage's scratch, whose own checks are compiled out, can be up to
       * 4x the tensors it reads and writes. */
      snprintf(message, size,
               "'%s' would take %zu bytes; with its stages' scratch (up to 4x) that exceeds "
               "Halide's limit of %lld bytes per buffer: use a smaller batch",
               plan->slots[r].name, bytes[r], (long long)CNNOPT_MAX_ELEMENTS);
      status = CNNOPT_HALIDE_ALLOCATION_TOO_LARGE;
      goto done;
    }
    if (largest < 0 || bytes[r] > bytes[largest])
      largest = r;
  }
  if (arena->batch != batch || !arena->block) {
    needed = cnnopt_api_plan_arena(plan, bytes, arena);
    if (!needed) {
      snprintf(message, size, "out of memory for the model's tensor table");
      status = CNNOPT_HALIDE_OUT_OF_MEMORY;
      goto done;
    }
    if (needed > arena->bytes) {
      free(arena->block);
      arena->block = malloc(needed + 64);
      arena->bytes = arena->block ? needed : 0;
    }
    arena->batch = arena->block ? batch : 0;
    if (!arena->block) {
      snprintf(message, size, "out of memory for the tensors between stages (%zu bytes; the "
               "largest, '%s', %zu bytes)", needed, largest >= 0 ? plan->slots[largest].name : "",
               largest >= 0 ? bytes[largest] : (size_t)0);
      status = CNNOPT_HALIDE_OUT_OF_MEMORY;
      goto done;
    }
  }
  base = (uint8_t *)(((uintptr_t)arena->block + 63) & ~(uintptr_t)63);
  for (k = 0; k < plan->n_slots; ++k)
    if (bytes[k]) {
      own[k].host = base + arena->offsets[k];
      slot[k] = &own[k];
    }
  for (s = 0; s < plan->n_steps && !status; ++s) {
    const cnnopt_plan_step *step = &plan->steps[s];
    int a = 0;
    args[a++] = &user_context;
    for (k = 0; k < step->n_reads; ++k) {
      halide_buffer_t *b = slot[plan->reads[step->first_read + k]];
      args[a++] = step->flat_pixels ? cnnopt_api_flat_pixels(b, &views[k], view_dims[k]) : b;
    }
    if (plan->with_arrays) {
      args[a++] = params;
      args[a++] = packed;
    }
    args[a++] = step->flat_pixels ? cnnopt_api_flat_pixels(slot[step->result], &views[k],
                                                           view_dims[k])
                                  : slot[step->result];
    if (plan->on_step)
      plan->on_step(plan->on_step_user, s, 0, slot[step->result]);
    status = step->run(args);
    if (plan->on_step)
      plan->on_step(plan->on_step_user, s, 1, slot[step->result]);
    for (k = plan->n_inputs; k < plan->n_slots && plan->device_free; ++k)
      if (slot[k] == &own[k] && plan->last_reader[k] == s)
        cnnopt_api_device_release(plan, user_context, &own[k]);
  }
  for (k = 0; k < plan->n_outputs && !status; ++k) {
    const cnnopt_plan_output *out = &plan->outputs[k];
    size_t out_bytes = (size_t)cnnopt_api_elements(outputs[k]) * 4;
    if (out->source != CNNOPT_FROM_STAGE && outputs[k]->device)
      outputs[k]->flags = CNNOPT_HOST_DIRTY; /* written below, on the host */
    if (out->source == CNNOPT_FROM_SLOT &&
        !(status = cnnopt_api_to_host(plan, user_context, slot[out->slot])))
      memcpy(outputs[k]->host, slot[out->slot]->host, out_bytes);
    else if (out->source == CNNOPT_FROM_PARAMS)
      memcpy(outputs[k]->host, (const float *)params->host + out->offset, out_bytes);
    else if (out->source == CNNOPT_FROM_PACKED)
      memcpy(outputs[k]->host, (const float *)packed->host + out->offset, out_bytes);
  }
  for (k = 0; k < plan->n_outputs && plan->device_free; ++k)
    if (host_only[plan->n_inputs + k]) {
      if (!status)
        status = cnnopt_api_to_host(plan, user_context, outputs[k]);
      cnnopt_api_device_release(plan, user_context, outputs[k]);
    }
  for (k = 0; k < plan->n_inputs && plan->device_free; ++k)
    if (host_only[k])
      cnnopt_api_device_release(plan, user_context, inputs[k]);
  for (k = 0; k < plan->n_slots && plan->device_free; ++k)
    cnnopt_api_device_release(plan, user_context, &own[k]);
done:
  cnnopt_arena_release(&call_arena);
  free(host_only);
  free(own);
  free(dims);
  free(slot);
  free(bytes);
  free(args);
  free(views);
  free(view_dims);
  return status;
}

/*===- A training step (cnnopt --train) ------------------------------------===*
 *
 * A model's training step compiles like its forward pass: stages and pack
 * functions run by a plan. Its inputs are the caller's data (the model's
 * inputs and the train declaration's: labels, targets), the learning
 * rate, the step count, the seed and the optimizer state; its outputs the
 * loss and the new value of every parameter, buffer and state tensor it
 * changes. Those land in scratch memory first and are copied over the
 * caller's arrays once the whole step has run: every stage reads the old
 * values.
 *===----------------------------------------------------------------------===*/

/* Where each input of a training step comes from. */
enum { CNNOPT_TRAIN_DATA = 0, CNNOPT_TRAIN_LR = 1, CNNOPT_TRAIN_STEP = 2, CNNOPT_TRAIN_SEED = 3,
       CNNOPT_TRAIN_STATE = 4 };
typedef struct cnnopt_train_input {
  int source;     /* CNNOPT_TRAIN_* */
  int64_t offset; /* CNNOPT_TRAIN_STATE: first float in the optimizer state */
  int classes;    /* > 0: class labels, each in [0, classes) */
} cnnopt_train_input;

/* Where each output after the loss goes: the parameters or the optimizer
 * state, at `offset`. */
typedef struct cnnopt_train_output {
  int to_state;
  int64_t offset;
} cnnopt_train_output;

typedef struct cnnopt_train_info {
  const cnnopt_plan *plan;
  int n_inputs;
  const cnnopt_tensor_info *inputs;
  const cnnopt_train_input *sources;
  int n_outputs; /* the loss first */
  const cnnopt_tensor_info *outputs;
  const cnnopt_train_output *destinations; /* n_outputs entries; [0] unused */
  int64_t param_floats, packed_floats, state_floats;
} cnnopt_train_info;

/* Checks a training step's arguments before it runs: `data` (the
 * CNNOPT_TRAIN_DATA inputs in order), the batch, the arrays, the step
 * count, and every class label. */
static inline int cnnopt_api_train_check(const cnnopt_train_info *info, const void *const *data,
                                         int batch, const float *params,
                                         const float *opt_state, int step, const float *loss,
                                         char *message, size_t size) {
  int k, d = 0, i;
  halide_buffer_t probe;
  halide_dimension_t dims[CNNOPT_MAX_RANK];
  if (batch < 1) {
    snprintf(message, size, "batch must be at least 1, got %d", batch);
    return CNNOPT_ERROR_SHAPE;
  }
  if (step < 1) {
    snprintf(message, size, "step counts from 1 (the first step), got %d", step);
    return CNNOPT_ERROR_SHAPE;
  }
  if (!params || !loss || (info->state_floats > 0 && !opt_state)) {
    snprintf(message, size, "'%s' is a null pointer",
             !params ? "params" : !loss ? "loss" : "opt_state");
    return CNNOPT_ERROR_SHAPE;
  }
  for (k = 0; k < info->n_inputs; ++k) {
    const cnnopt_tensor_info *in = &info->inputs[k];
    const void *p;
    int code;
    if (info->sources[k].source != CNNOPT_TRAIN_DATA)
      continue;
    p = data[d++];
    if (!p) {
      snprintf(message, size, "'%s' is a null pointer", in->name);
      return CNNOPT_ERROR_SHAPE;
    }
    if ((code = cnnopt_api_wrap(&probe, dims, in, batch, p, message, size)) != CNNOPT_OK)
      return code;
    if (info->sources[k].classes > 0) {
      const int32_t *labels = (const int32_t *)p;
      int64_t n = cnnopt_api_elements(&probe);
      for (i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= info->sources[k].classes) {
          snprintf(message, size, "'%s': label %d at index %d is outside [0, %d)", in->name,
                   (int)labels[i], i, info->sources[k].classes);
          return CNNOPT_ERROR_SHAPE;
        }
    }
  }
  return CNNOPT_OK;
}

/* Memory a thread's training steps keep between calls: the tensors between
 * stages (planned again when the batch changes), the packed parameters and
 * the new values. Fresh memory on every step would cost its page faults
 * every step (more than some stages). */
typedef struct cnnopt_train_cache {
  cnnopt_arena arena;
  float *packed, *scratch;
  int64_t scratch_floats;
} cnnopt_train_cache;

static inline void cnnopt_train_cache_release(cnnopt_train_cache *cache) {
  cnnopt_arena_release(&cache->arena);
  free(cache->packed);
  free(cache->scratch);
  memset(cache, 0, sizeof(*cache));
}

/* Runs one checked training step: packs the parameters, runs the plan,
 * then copies the new values over `params` and `opt_state`. `cache` keeps
 * the step's memory for the next call. Returns 0 or a Halide error code
 * (CNNOPT_HALIDE_OUT_OF_MEMORY when scratch memory cannot be had), with
 * `message`. */
static inline int cnnopt_api_train_step(const cnnopt_train_info *info, cnnopt_train_cache *cache,
                                        void *user_context, const void *const *data, int batch,
                                        float *params, float *opt_state, float lr, int step,
                                        int32_t seed, float *loss, char *message, size_t size) {
  int n_in = info->n_inputs, n_out = info->n_outputs, k, d = 0, status = 0;
  int32_t step_value = step, seed_value = seed;
  int64_t updates = 0, at;
  halide_buffer_t *in = (halide_buffer_t *)calloc((size_t)n_in + 1, sizeof(halide_buffer_t));
  halide_buffer_t *out = (halide_buffer_t *)calloc((size_t)n_out + 1, sizeof(halide_buffer_t));
  halide_buffer_t **in_ptrs = (halide_buffer_t **)calloc((size_t)n_in + 1, sizeof(void *));
  halide_buffer_t **out_ptrs = (halide_buffer_t **)calloc((size_t)n_out + 1, sizeof(void *));
  halide_dimension_t *dims = (halide_dimension_t *)calloc(
      (size_t)(n_in + n_out + 2) * CNNOPT_MAX_RANK, sizeof(halide_dimension_t));
  halide_buffer_t params_buffer, packed_buffer;
  halide_dimension_t params_dim, packed_dim;
  float *packed = NULL, *scratch = NULL;
  for (k = 1; k < n_out; ++k) {
    cnnopt_api_wrap(&out[k], &dims[(size_t)(n_in + k) * CNNOPT_MAX_RANK], &info->outputs[k], batch,
                    NULL, message, size);
    updates += cnnopt_api_elements(&out[k]);
  }
  if (!cache->packed)
    cache->packed = (float *)malloc(
        (size_t)(info->packed_floats > 0 ? info->packed_floats : 1) * sizeof(float));
  if (cache->scratch_floats < updates || !cache->scratch) {
    free(cache->scratch);
    cache->scratch = (float *)malloc((size_t)(updates > 0 ? updates : 1) * sizeof(float));
    cache->scratch_floats = cache->scratch ? updates : 0;
  }
  packed = cache->packed;
  scratch = cache->scratch;
  if (!in || !out || !in_ptrs || !out_ptrs || !dims || !packed || !scratch) {
    snprintf(message, size, "out of memory for a training step's scratch (%lld floats)",
             (long long)(updates + info->packed_floats));
    status = CNNOPT_HALIDE_OUT_OF_MEMORY;
    goto done;
  }
  for (k = 0; k < n_in; ++k) {
    const cnnopt_train_input *src = &info->sources[k];
    const void *p = src->source == CNNOPT_TRAIN_DATA    ? data[d++]
                    : src->source == CNNOPT_TRAIN_LR    ? (const void *)&lr
                    : src->source == CNNOPT_TRAIN_STEP  ? (const void *)&step_value
                    : src->source == CNNOPT_TRAIN_SEED  ? (const void *)&seed_value
                                                        : (const void *)(opt_state + src->offset);
    cnnopt_api_wrap(&in[k], &dims[(size_t)k * CNNOPT_MAX_RANK], &info->inputs[k], batch, p,
                    message, size);
    in_ptrs[k] = &in[k];
  }
  cnnopt_api_wrap(&out[0], &dims[(size_t)n_in * CNNOPT_MAX_RANK], &info->outputs[0], batch, loss,
                  message, size);
  out_ptrs[0] = &out[0];
  for (k = 1, at = 0; k < n_out; ++k) {
    out[k].host = (uint8_t *)(scratch + at);
    at += cnnopt_api_elements(&out[k]);
    out_ptrs[k] = &out[k];
  }
  cnnopt_api_wrap_params(&params_buffer, &params_dim, params, info->param_floats);
  cnnopt_api_wrap_params(&packed_buffer, &packed_dim, packed,
                         info->packed_floats > 0 ? info->packed_floats : 1);
  status = cnnopt_api_run_packs(info->plan, user_context, &params_buffer, packed, message, size);
  if (!status)
    status = cnnopt_api_run_plan(info->plan, user_context, batch, in_ptrs, &params_buffer,
                                 &packed_buffer, out_ptrs, &cache->arena, message, size);
  /* The parameters change on the host after every step. */
  cnnopt_api_device_release(info->plan, user_context, &params_buffer);
  cnnopt_api_device_release(info->plan, user_context, &packed_buffer);
  for (k = 1, at = 0; k < n_out && !status; ++k) {
    int64_t n = cnnopt_api_elements(&out[k]);
    float *to = (info->destinations[k].to_state ? opt_state : params) + info->destinations[k].offset;
    memcpy(to, scratch + at, (size_t)n * sizeof(float));
    at += n;
  }
done:
  free(in);
  free(out);
  free(in_ptrs);
  free(out_ptrs);
  free(dims);
  return status;
}

#endif /* CNNOPT_MODEL_API_H */
