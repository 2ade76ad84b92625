/*===- main.c - Run the model cnnopt_add_model compiled ---------------------===*
 *
 * Lists the model's parameters (the generated header's table), sets each
 * to a value that makes the output easy to check by hand, saves them with
 * the runtime library and loads them back, and runs a batch of two images:
 *
 *   conv weights 0.1, biases 0.1; fc weights 0.1 * (output + 1), biases 0
 *   image 0 all ones:  conv 9 * 0.1 + 0.1 = 1, so outputs 0.2, 0.4, 0.6
 *   image 1 all -1:    conv -0.8, ReLU 0, so outputs 0, 0, 0
 *===----------------------------------------------------------------------===*/

#include "tiny_model.h"
#include "cnnopt_runtime.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  static float params[TinyNet_PARAM_FLOATS], loaded[TinyNet_PARAM_FLOATS];
  float x[2 * 16], y[2 * 3];
  char error[1024];
  const char *path = argc > 1 ? argv[1] : "tiny_weights.safetensors";
  for (int i = 0; i < TinyNet_PARAM_COUNT; ++i) {
    const cnnopt_param_info *p = &TinyNet_params[i];
    int64_t n = p->size;
    printf("param %s %lld\n", p->name, (long long)n);
    for (int64_t k = 0; k < n; ++k) {
      float v = 0.1f;
      if (strcmp(p->name, "fc.weight") == 0)
        v = 0.1f * (float)(k / 2 + 1); /* row k/2 of the [3, 2] weight */
      else if (strcmp(p->name, "fc.bias") == 0)
        v = 0.0f;
      params[p->offset + k] = v;
    }
  }
  if (cnnopt_save_safetensors(path, TinyNet_params, TinyNet_PARAM_COUNT, params, error,
                              sizeof(error)) ||
      cnnopt_load_safetensors(path, TinyNet_params, TinyNet_PARAM_COUNT, loaded, error,
                              sizeof(error))) {
    fprintf(stderr, "tiny_main: %s\n", error);
    return 1;
  }
  for (int k = 0; k < 16; ++k) {
    x[k] = 1.0f;
    x[16 + k] = -1.0f;
  }
  if (TinyNet_forward(x, 2, loaded, y) != CNNOPT_OK) {
    fprintf(stderr, "tiny_main: %s\n", TinyNet_last_error());
    return 1;
  }
  for (int b = 0; b < 2; ++b)
    printf("image %d: %.4f %.4f %.4f\n", b, y[3 * b], y[3 * b + 1], y[3 * b + 2]);
  return 0;
}
