/* The C API of a GPU object (models/simple_cnn.cnn compiled for
 * host-opencl with its training step), run through PoCL: host arrays in
 * and out, a context whose parameters stay on the device, buffers that live
 * on the device (chaining without copies), a training step, and the error
 * code when no device exists. gpu-api.test checks what it prints.
 *
 *   gpu-api            every check on the device
 *   gpu-api no-device  the calls, with no OpenCL device (OCL_ICD_VENDORS
 *                      pointing at an empty folder) */

#include <HalideRuntime.h>
#include <HalideRuntimeOpenCL.h>

#include "simple_cnn.h"

#include <math.h>

#define BATCH 3
#define IN (BATCH * 3 * 32 * 32)
#define OUT (BATCH * 10)

static float max_diff(const float *a, const float *b, int n) {
  float worst = 0;
  int i;
  for (i = 0; i < n; ++i)
    if (fabsf(a[i] - b[i]) > worst)
      worst = fabsf(a[i] - b[i]);
  return worst;
}

/* A dense host buffer over `data` of `rank` sizes (innermost first). */
static void wrap(halide_buffer_t *b, halide_dimension_t *dims, float *data, int rank,
                 const int *sizes) {
  int d, stride = 1;
  memset(b, 0, sizeof(*b));
  b->host = (uint8_t *)data;
  b->type.code = halide_type_float;
  b->type.bits = 32;
  b->type.lanes = 1;
  b->dimensions = rank;
  b->dim = dims;
  for (d = 0; d < rank; ++d) {
    dims[d].min = 0;
    dims[d].extent = sizes[d];
    dims[d].stride = stride;
    dims[d].flags = 0;
    stride *= sizes[d];
  }
}

int main(int argc, char **argv) {
  static float params[SimpleCNN_PARAM_FLOATS], x[IN], y[OUT], y_ctx[OUT], y_dev[OUT];
  static float opt_state[SimpleCNN_OPT_STATE_FLOATS > 0 ? SimpleCNN_OPT_STATE_FLOATS : 1];
  static float before[SimpleCNN_PARAM_FLOATS];
  int32_t labels[BATCH] = {1, 4, 7};
  int i, code;
  float loss = 0;
  SimpleCNN_context *ctx;
  SimpleCNN_init_params(params, 1);
  for (i = 0; i < IN; ++i)
    x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;

  if (argc > 1 && strcmp(argv[1], "no-device") == 0) {
    code = SimpleCNN_forward(x, BATCH, params, y);
    printf("forward without a device: code %d: %s\n", code, SimpleCNN_last_error());
    ctx = SimpleCNN_context_create(params); /* packing runs on the host */
    code = ctx ? SimpleCNN_context_forward(ctx, x, BATCH, y) : -1;
    printf("context forward without a device: code %d: %s\n", code, SimpleCNN_last_error());
    SimpleCNN_context_destroy(ctx);
    code = SimpleCNN_train_step(x, labels, BATCH, params, opt_state, 0.01f, 1, 0, &loss);
    printf("train step without a device: code %d: %s\n", code, SimpleCNN_last_error());
    SimpleCNN_train_release();
    return 0;
  }

  code = SimpleCNN_forward(x, BATCH, params, y);
  printf("forward: code %d\n", code);

  ctx = SimpleCNN_context_create(params);
  code = SimpleCNN_context_forward(ctx, x, BATCH, y_ctx);
  printf("context forward: code %d, max diff %s\n", code,
         max_diff(y, y_ctx, OUT) < 1e-5f ? "< 1e-5" : "LARGE");
  printf("params resident on the device: %s\n",
         ctx->arrays->params.device && ctx->arrays->packed.device ? "yes" : "no");
  memset(y_ctx, 0, sizeof(y_ctx));
  code = SimpleCNN_context_forward(ctx, x, BATCH, y_ctx);
  printf("second context forward: code %d, max diff %s\n", code,
         max_diff(y, y_ctx, OUT) < 1e-5f ? "< 1e-5" : "LARGE");

  {
    /* The input already on the device (its host copy then scribbled
     * over: the device's is the one to read), the output allocated there. */
    halide_buffer_t xb, yb;
    halide_dimension_t xd[4], yd[2];
    int xs[4] = {32, 32, 3, BATCH}, ys[2] = {10, BATCH};
    const struct halide_device_interface_t *cl = halide_opencl_device_interface();
    wrap(&xb, xd, x, 4, xs);
    wrap(&yb, yd, y_dev, 2, ys);
    xb.flags = 1; /* host dirty: the copy below sends it */
    code = halide_copy_to_device(NULL, &xb, cl);
    code |= halide_device_malloc(NULL, &yb, cl);
    printf("device buffers: code %d\n", code);
    for (i = 0; i < IN; ++i)
      x[i] = 1000.0f;
    code = SimpleCNN_context_forward_buffers(ctx, &xb, &yb);
    printf("forward on device buffers: code %d, output device-dirty %s, host untouched %s\n",
           code, (yb.flags & 2) ? "yes" : "no", y_dev[0] == 0.0f ? "yes" : "no");
    code = halide_copy_to_host(NULL, &yb);
    printf("copied back: code %d, max diff %s\n", code,
           max_diff(y, y_dev, OUT) < 1e-5f ? "< 1e-5" : "LARGE");
    halide_device_free(NULL, &xb);
    halide_device_free(NULL, &yb);
    for (i = 0; i < IN; ++i)
      x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  }
  SimpleCNN_context_destroy(ctx);

  SimpleCNN_init_opt_state(opt_state);
  memcpy(before, params, sizeof(before));
  code = SimpleCNN_train_step(x, labels, BATCH, params, opt_state, 0.01f, 1, 0, &loss);
  printf("train step: code %d, loss finite %s, params changed %s\n", code,
         isfinite(loss) ? "yes" : "no", max_diff(before, params, SimpleCNN_PARAM_FLOATS) > 0 ? "yes" : "no");
  SimpleCNN_train_release();
  return 0;
}
