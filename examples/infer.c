/*===- infer.c - Classify a batch of images with a compiled SimpleCNN -----===*
 *
 *   cnnopt models/simple_cnn.cnn -o simple_cnn.o
 *   cc infer.c simple_cnn.o -lcnnopt_runtime -lpthread -ldl -lm -o infer
 *   ./infer [weights.safetensors] [batch]
 *
 * Loads the weights by state_dict name (or, without a file, PyTorch's
 * default initialisers), makes `batch` (default 4) deterministic 32x32 RGB
 * test images, runs the model once and prints the top-1 class per image.
 * Image k, channel c, pixel (y, x) = sin(0.3*(k+1)*x + 0.2*c) * cos(0.25*y - 0.1*k),
 * so other programs (the test compares with PyTorch) can make the same batch.
 *===----------------------------------------------------------------------===*/

#include "simple_cnn.h"
#include "cnnopt_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void make_images(float *x, int batch) {
  for (int k = 0; k < batch; ++k)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int i = 0; i < 32; ++i)
          x[((k * 3 + c) * 32 + y) * 32 + i] =
              (float)(sin(0.3 * (k + 1) * i + 0.2 * c) * cos(0.25 * y - 0.1 * k));
}

int main(int argc, char **argv) {
  const char *weights = argc > 1 ? argv[1] : NULL;
  int batch = argc > 2 ? atoi(argv[2]) : 4;
  if (batch < 1) {
    fprintf(stderr, "infer: batch must be at least 1\n");
    return 1;
  }
  float *params = malloc(sizeof(float) * SimpleCNN_PARAM_FLOATS);
  float *images = malloc(sizeof(float) * (size_t)batch * 3 * 32 * 32);
  float *logits = malloc(sizeof(float) * (size_t)batch * 10);
  if (!params || !images || !logits) {
    fprintf(stderr, "infer: out of memory\n");
    return 1;
  }

  if (weights) {
    char error[4096];
    if (cnnopt_load_safetensors(weights, SimpleCNN_params, SimpleCNN_PARAM_COUNT, params,
                                error, sizeof(error)) != 0) {
      fprintf(stderr, "infer: %s\n", error);
      return 1;
    }
  } else {
    SimpleCNN_init_params(params, 42);
  }

  make_images(images, batch);
  if (SimpleCNN_forward(images, batch, params, logits) != CNNOPT_OK) {
    fprintf(stderr, "infer: %s\n", SimpleCNN_last_error());
    return 1;
  }
  for (int k = 0; k < batch; ++k) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (logits[k * 10 + c] > logits[k * 10 + best])
        best = c;
    printf("image %d: class %d (logit %.4f)\n", k, best, logits[k * 10 + best]);
  }
  free(params);
  free(images);
  free(logits);
  return 0;
}
