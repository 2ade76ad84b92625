/* Runs tiny.onnx (make_tiny_onnx.py: examples/cmake's TinyNet with the
 * weights its main.c sets) on the same two images: 0.2 0.4 0.6 and 0 0 0. */
#include "tiny_onnx.h"

#include <stdio.h>

int main(void) {
  float x[2 * 16], y[2 * 3];
  for (int k = 0; k < 16; ++k) {
    x[k] = 1.0f;
    x[16 + k] = -1.0f;
  }
  if (tiny_forward(x, 2, y) != CNNOPT_OK) {
    fprintf(stderr, "tiny_onnx_main: %s\n", tiny_last_error());
    return 1;
  }
  for (int b = 0; b < 2; ++b)
    printf("image %d: %.4f %.4f %.4f\n", b, y[3 * b], y[3 * b + 1], y[3 * b + 2]);
  return 0;
}
