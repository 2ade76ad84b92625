/* A C program for any one-input, one-output model compiled by cnnopt:
 *   run_model WEIGHTS.safetensors IN.f32 BATCH OUT.f32
 * reads BATCH samples of raw float32 input, loads the weights by
 * state_dict name, runs MODEL_forward and writes the raw float32 output.
 * Built with -DMODEL=<name> -DMODEL_HEADER="<file>.h"; with
 * -DEMBEDDED_WEIGHTS for an object compiled with --weights (WEIGHTS is then
 * ignored). */
#include MODEL_HEADER
#include "cnnopt_runtime.h"

#include <stdio.h>
#include <stdlib.h>

#define CAT(a, b) a##b
#define NAME(model, suffix) CAT(model, suffix)

/* Elements of one sample of a tensor (the batch dimension left out). */
static size_t sample_size(const cnnopt_tensor_info *t) {
  size_t n = 1;
  for (int a = 1; a < t->rank; ++a)
    n *= (size_t)t->shape[a];
  return n;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: run_model WEIGHTS IN BATCH OUT\n");
    return 2;
  }
  int batch = atoi(argv[3]);
  size_t in = sample_size(&NAME(MODEL, _inputs)[0]) * (size_t)batch;
  size_t out = sample_size(&NAME(MODEL, _outputs)[0]) * (size_t)batch;
  float *params = malloc(sizeof(float) * NAME(MODEL, _PARAM_FLOATS));
  float *x = malloc(sizeof(float) * in), *y = malloc(sizeof(float) * out);
  char error[8192];
#ifndef EMBEDDED_WEIGHTS
  if (cnnopt_load_safetensors(argv[1], NAME(MODEL, _params), NAME(MODEL, _PARAM_COUNT), params,
                              error, sizeof(error)) != 0) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
#else
  (void)error; /* the object holds its weights (cnnopt --weights) */
#endif
  FILE *f = fopen(argv[2], "rb");
  if (!f || fread(x, sizeof(float), in, f) != in) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 1;
  }
  fclose(f);
#ifndef EMBEDDED_WEIGHTS
  int status = NAME(MODEL, _forward)(x, batch, params, y);
#else
  int status = NAME(MODEL, _forward)(x, batch, y);
#endif
  if (status != CNNOPT_OK) {
    fprintf(stderr, "%s\n", NAME(MODEL, _last_error)());
    return 1;
  }
  f = fopen(argv[4], "wb");
  if (!f || fwrite(y, sizeof(float), out, f) != out) {
    fprintf(stderr, "cannot write %s\n", argv[4]);
    return 1;
  }
  fclose(f);
  free(params);
  free(x);
  free(y);
  return 0;
}
