/*===- train_api.c - The generated training API, from C ------------------===*
 *
 *   train-api INITIAL.safetensors TRAINED.safetensors
 *
 * Against SimpleCNN made 1x28x28 and compiled with --train
 * (simple_cnn_fmnist.h): first the error codes and messages of
 * SimpleCNN_train_step on bad arguments (the arrays stay unchanged), then
 * three steps on a deterministic batch of 4 images, printing each loss and
 * writing the initial and trained state_dicts (check_train_api.py repeats
 * the steps in PyTorch).
 *===----------------------------------------------------------------------===*/

#include "simple_cnn_fmnist.h"
#include "cnnopt_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 4
#define PIXELS (28 * 28)

static int failures = 0;

static void expect(int got, int want, const char *contains, const char *what) {
  const char *message = SimpleCNN_last_error();
  if (got != want || !strstr(message, contains)) {
    printf("FAIL %s: returned %d (want %d), message '%s' (want '%s')\n", what, got, want,
           message, contains);
    ++failures;
  } else {
    printf("ok   %s: %s\n", what, message);
  }
}

int main(int argc, char **argv) {
  static float x[BATCH * PIXELS];
  int32_t labels[BATCH] = {3, 7, 0, 9}, bad[BATCH] = {3, 10, 0, 9};
  float *params = malloc(sizeof(float) * SimpleCNN_PARAM_FLOATS);
  float *before = malloc(sizeof(float) * SimpleCNN_PARAM_FLOATS);
  float *opt_state = malloc(sizeof(float) * (SimpleCNN_OPT_STATE_FLOATS + 1));
  float loss = 0;
  char error[512];
  if (argc != 3 || !params || !before || !opt_state)
    return 2;
  for (int i = 0; i < BATCH * PIXELS; ++i)
    x[i] = (float)sin(0.37 * i) * (float)cos(0.011 * i);
  SimpleCNN_init_params(params, 3);
  SimpleCNN_init_opt_state(opt_state);
  memcpy(before, params, sizeof(float) * SimpleCNN_PARAM_FLOATS);

  expect(SimpleCNN_train_step(x, bad, BATCH, params, opt_state, 0.05f, 1, 0, &loss),
         CNNOPT_ERROR_SHAPE, "'labels': label 10 at index 1 is outside [0, 10)", "label range");
  expect(SimpleCNN_train_step(x, labels, 0, params, opt_state, 0.05f, 1, 0, &loss),
         CNNOPT_ERROR_SHAPE, "batch must be at least 1, got 0", "batch 0");
  expect(SimpleCNN_train_step(x, labels, BATCH, params, opt_state, 0.05f, 0, 0, &loss),
         CNNOPT_ERROR_SHAPE, "step counts from 1", "step 0");
  expect(SimpleCNN_train_step(NULL, labels, BATCH, params, opt_state, 0.05f, 1, 0, &loss),
         CNNOPT_ERROR_SHAPE, "'x' is a null pointer", "null input");
  expect(SimpleCNN_train_step(x, labels, BATCH, params, NULL, 0.05f, 1, 0, &loss),
         CNNOPT_ERROR_SHAPE, "'opt_state' is a null pointer", "null optimizer state");
  if (memcmp(before, params, sizeof(float) * SimpleCNN_PARAM_FLOATS)) {
    printf("FAIL: a refused step changed the parameters\n");
    ++failures;
  }

  if (cnnopt_save_safetensors(argv[1], SimpleCNN_params, SimpleCNN_PARAM_COUNT, params, error,
                              sizeof(error)))
    return printf("FAIL: %s\n", error), 1;
  for (int step = 1; step <= 3; ++step) {
    if (SimpleCNN_train_step(x, labels, BATCH, params, opt_state, 0.05f, step, 0, &loss) !=
        CNNOPT_OK)
      return printf("FAIL step %d: %s\n", step, SimpleCNN_last_error()), 1;
    printf("step %d loss %.7f\n", step, loss);
  }
  if (cnnopt_save_safetensors(argv[2], SimpleCNN_params, SimpleCNN_PARAM_COUNT, params, error,
                              sizeof(error)))
    return printf("FAIL: %s\n", error), 1;
  SimpleCNN_train_release();
  free(params);
  free(before);
  free(opt_state);
  return failures ? 1 : 0;
}
