/*===- api_errors.c - The generated C API's checks and messages -----------===*
 *
 * Calls SimpleCNN_forward / SimpleCNN_forward_buffers with bad arguments and
 * prints each return code and SimpleCNN_last_error(), for FileCheck.
 *===----------------------------------------------------------------------===*/

#include "simple_cnn.h"

#include <stdio.h>
#include <stdlib.h>

static void report(const char *what, int code) {
  printf("%s: code %d: %s%s%s\n", what, code, code ? "" : "'", SimpleCNN_last_error(),
         code ? "" : "'");
}

/* A dense float buffer of `rank` dims given outermost first. */
static void make(halide_buffer_t *b, halide_dimension_t *d, void *data, int rank,
                 const int *shape, int is_int) {
  cnnopt_tensor_info info = {"t", rank, {0, 0, 0, 0, 0}, is_int};
  for (int a = 0; a < rank; ++a)
    info.shape[a] = shape[a];
  cnnopt_api_wrap(b, d, &info, 0, data);
}

int main(void) {
  float *params = calloc(SimpleCNN_PARAM_FLOATS, sizeof(float));
  float *x = calloc(2 * 3 * 32 * 32, sizeof(float));
  float *logits = calloc(3 * 10, sizeof(float));
  SimpleCNN_init_params(params, 1);

  report("batch 0", SimpleCNN_forward(x, 0, params, logits));
  report("null input", SimpleCNN_forward(NULL, 2, params, logits));

  halide_buffer_t bx, bp, bl;
  halide_dimension_t dx[5], dp[1], dl[5];
  int xs[] = {2, 3, 30, 32}, ls[] = {2, 10}, ls3[] = {3, 10}, good[] = {2, 3, 32, 32};
  cnnopt_api_wrap_params(&bp, dp, params, SimpleCNN_PARAM_FLOATS);
  make(&bx, dx, x, 4, xs, 0);
  make(&bl, dl, logits, 2, ls, 0);
  report("wrong input shape", SimpleCNN_forward_buffers(&bx, &bp, &bl));
  make(&bx, dx, x, 4, good, 0);
  make(&bl, dl, logits, 2, ls3, 0);
  report("wrong output batch", SimpleCNN_forward_buffers(&bx, &bp, &bl));
  make(&bx, dx, x, 4, good, 1);
  make(&bl, dl, logits, 2, ls, 0);
  report("int input", SimpleCNN_forward_buffers(&bx, &bp, &bl));
  make(&bx, dx, x, 4, good, 0);
  cnnopt_api_wrap_params(&bp, dp, params, 10);
  report("short params", SimpleCNN_forward_buffers(&bx, &bp, &bl));
  report("good call", SimpleCNN_forward(x, 2, params, logits));
  free(params);
  free(x);
  free(logits);
  return 0;
}
