/* SimpleCNN with its weights inside the object: forward takes no parameter
 * array. Prints the same lines as examples/infer.c for the same images. */
#include MODEL_HEADER

#include <math.h>
#include <stdio.h>

int main(void) {
  static float x[3 * 3 * 32 * 32], logits[3 * 10];
  for (int k = 0; k < 3; ++k)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int i = 0; i < 32; ++i)
          x[((k * 3 + c) * 32 + y) * 32 + i] =
              (float)(sin(0.3 * (k + 1) * i + 0.2 * c) * cos(0.25 * y - 0.1 * k));
  if (SimpleCNN_forward(x, 3, logits) != CNNOPT_OK) {
    printf("error: %s\n", SimpleCNN_last_error());
    return 1;
  }
  for (int k = 0; k < 3; ++k) {
    int best = 0;
    for (int c = 1; c < 10; ++c)
      if (logits[k * 10 + c] > logits[k * 10 + best])
        best = c;
    printf("image %d: class %d (logit %.4f)\n", k, best, logits[k * 10 + best]);
  }
  return 0;
}
