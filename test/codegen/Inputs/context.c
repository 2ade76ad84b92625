/* The context API against plain forward: the same outputs, bit for bit (the
 * same pack and stage functions run); the context keeps its own copy of the
 * parameters; the thread count changes nothing but speed; the context's
 * memory between stages, kept across calls, is placed again when the batch
 * changes; a null context and null parameters are errors, not crashes. */
#include MODEL_HEADER

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 3, IN = 3 * 32 * 32, OUT = 10 };

static int same(const float *a, const float *b, int n) { return memcmp(a, b, n * sizeof(float)) == 0; }

int main(void) {
  static float x[BATCH * IN], plain[BATCH * OUT], viaContext[BATCH * OUT], oneThread[BATCH * OUT];
  static float plainOne[OUT], one[OUT], again[BATCH * OUT];
  float *params = malloc(SimpleCNN_PARAM_FLOATS * sizeof(float));
  SimpleCNN_context *ctx;
  int k;
  for (k = 0; k < BATCH * IN; ++k)
    x[k] = (float)sin(0.01 * k);
  SimpleCNN_init_params(params, 7);
  if (SimpleCNN_forward(x, BATCH, params, plain) != CNNOPT_OK ||
      SimpleCNN_forward(x, 1, params, plainOne) != CNNOPT_OK)
    return printf("forward: %s\n", SimpleCNN_last_error()), 1;
  ctx = SimpleCNN_context_create(params);
  if (!ctx)
    return printf("create: %s\n", SimpleCNN_last_error()), 1;
  SimpleCNN_init_params(params, 8); /* the context copied the first ones */
  if (SimpleCNN_context_forward(ctx, x, BATCH, viaContext) != CNNOPT_OK)
    return printf("context forward: %s\n", SimpleCNN_last_error()), 1;
  printf("context equals forward: %d\n", same(plain, viaContext, BATCH * OUT));
  printf("previous threads: %d\n", SimpleCNN_set_num_threads(1));
  if (SimpleCNN_context_forward(ctx, x, BATCH, oneThread) != CNNOPT_OK)
    return printf("one thread: %s\n", SimpleCNN_last_error()), 1;
  SimpleCNN_set_num_threads(0);
  printf("one thread equals forward: %d\n", same(plain, oneThread, BATCH * OUT));
  if (SimpleCNN_context_forward(ctx, x, 1, one) != CNNOPT_OK ||
      SimpleCNN_context_forward(ctx, x, BATCH, again) != CNNOPT_OK)
    return printf("batch change: %s\n", SimpleCNN_last_error()), 1;
  printf("batch 1 then 3 equal forward: %d\n",
         same(plainOne, one, OUT) && same(plain, again, BATCH * OUT));
  printf("null context: code %d: %s\n", SimpleCNN_context_forward(NULL, x, BATCH, oneThread),
         SimpleCNN_last_error());
  printf("null params: %s: %s\n", SimpleCNN_context_create(NULL) ? "created" : "NULL",
         SimpleCNN_last_error());
  printf("wrong batch: code %d: %s\n", SimpleCNN_context_forward(ctx, x, 0, oneThread),
         SimpleCNN_last_error());
  SimpleCNN_context_destroy(ctx);
  SimpleCNN_context_destroy(NULL);
  free(params);
  return 0;
}
