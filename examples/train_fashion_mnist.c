/*===- train_fashion_mnist.c - Train SimpleCNN on Fashion-MNIST ------------===*
 *
 *   cnnopt models/simple_cnn.cnn --input-shape x=1,28,28 --train -o fmnist.o
 *   cc -Ibuild/examples train_fashion_mnist.c fmnist.o -lcnnopt_runtime \
 *      -lpthread -ldl -lm -o train_fashion_mnist
 *   ./train_fashion_mnist [--epochs 5] [--batch 128] [--lr 0.1] [--seed 1]
 *                         [--train-images N] [--test-images N]
 *                         [--save trained.safetensors] [--save-initial init.safetensors]
 *                         [--data /usr/share/datasets/fashion-mnist]
 *
 * Trains the seed document's SimpleCNN (models/simple_cnn.cnn, its input
 * made 1x28x28) on Debian's dataset-fashion-mnist with the model's train
 * declaration (SGD, momentum 0.9, Nesterov, weight decay 5e-4) and a
 * one-cycle learning-rate schedule to --lr (PyTorch's OneCycleLR with
 * cosine annealing, pct_start 0.3, div_factor 25, final_div_factor 1e4,
 * momentum not cycled), printing per epoch the mean training loss, the test
 * accuracy and the images per second of training. The schedule lives here:
 * the learning rate is an argument of each step.
 *
 * Everything a PyTorch run needs to repeat it exactly is fixed: pixels
 * scaled to [0, 1] and normalised with Fashion-MNIST's mean 0.2860 and
 * standard deviation 0.3530; the initial weights (--save-initial writes
 * them); the order of the training images, a Fisher-Yates shuffle per
 * epoch driven by splitmix64 seeded with seed * 1000 + epoch
 * (test/examples/fashion_mnist_torch.py does the same). With --save, the
 * saved file is loaded back and the first test images are classified.
 *===----------------------------------------------------------------------===*/

#include "simple_cnn_fmnist.h"
#include "cnnopt_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIDE 28
#define PIXELS (SIDE * SIDE)
#define CLASSES 10

typedef struct dataset {
  float *images; /* n x 1 x 28 x 28, normalised */
  int32_t *labels;
  int n;
} dataset;

/* Reads a gzipped idx file through gzip (the package ships them gzipped). */
static unsigned char *read_idx(const char *path, int expected_dims, int *count) {
  char command[1024];
  unsigned char header[16];
  int dims = expected_dims, k;
  size_t items, size = 1;
  unsigned char *data;
  FILE *f;
  snprintf(command, sizeof(command), "gzip -dc '%s'", path);
  f = popen(command, "r");
  if (!f || fread(header, 1, 4 + 4 * (size_t)dims, f) != 4 + 4 * (size_t)dims ||
      header[2] != 0x08 || header[3] != dims) {
    fprintf(stderr, "train_fashion_mnist: %s is not an idx file of %d dimensions\n", path, dims);
    if (f)
      pclose(f);
    return NULL;
  }
  items = ((size_t)header[4] << 24) | ((size_t)header[5] << 16) | ((size_t)header[6] << 8) |
          header[7];
  for (k = 1; k < dims; ++k)
    size *= ((size_t)header[4 + 4 * k + 2] << 8) | header[4 + 4 * k + 3];
  data = malloc(items * size);
  if (!data || fread(data, 1, items * size, f) != items * size) {
    fprintf(stderr, "train_fashion_mnist: %s is truncated\n", path);
    free(data);
    pclose(f);
    return NULL;
  }
  pclose(f);
  *count = (int)items;
  return data;
}

static int load(const char *dir, const char *prefix, int limit, dataset *out) {
  char path[1024];
  int n_images, n_labels, i;
  unsigned char *pixels, *labels;
  snprintf(path, sizeof(path), "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  pixels = read_idx(path, 3, &n_images);
  snprintf(path, sizeof(path), "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  labels = pixels ? read_idx(path, 1, &n_labels) : NULL;
  if (!pixels || !labels || n_images != n_labels) {
    free(pixels);
    free(labels);
    return 0;
  }
  out->n = limit > 0 && limit < n_images ? limit : n_images;
  out->images = malloc(sizeof(float) * (size_t)out->n * PIXELS);
  out->labels = malloc(sizeof(int32_t) * (size_t)out->n);
  if (!out->images || !out->labels)
    return 0;
  for (i = 0; i < out->n * PIXELS; ++i)
    out->images[i] = ((float)pixels[i] / 255.0f - 0.2860f) / 0.3530f;
  for (i = 0; i < out->n; ++i)
    out->labels[i] = labels[i];
  free(pixels);
  free(labels);
  return 1;
}

/* splitmix64, as cnnopt_api_next_random. */
static uint64_t next_random(uint64_t *state) { return cnnopt_api_next_random(state); }

/* The order of the training images in `epoch`: Fisher-Yates from the end. */
static void shuffle(int *order, int n, uint64_t seed) {
  uint64_t state = seed;
  int i;
  for (i = 0; i < n; ++i)
    order[i] = i;
  for (i = n - 1; i > 0; --i) {
    int j = (int)(next_random(&state) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/* torch.optim.lr_scheduler.OneCycleLR (cos, pct_start 0.3, div 25, final
 * div 1e4) at step `k` (0-based) of `total`. */
static float one_cycle(int k, int total, float max_lr) {
  double initial = max_lr / 25.0, final = initial / 1e4;
  double warm_end = 0.3 * total - 1, end = total - 1, start, to, from, pct;
  if (k <= warm_end) {
    start = 0, from = initial, to = max_lr, end = warm_end;
  } else {
    start = warm_end, from = max_lr, to = final;
  }
  pct = (k - start) / (end - start);
  return (float)(to + (from - to) / 2.0 * (cos(M_PI * pct) + 1.0));
}

/* Test accuracy with the current parameters (BatchNorm's running statistics). */
static double accuracy(const float *params, const dataset *test, int batch) {
  SimpleCNN_context *ctx = SimpleCNN_context_create(params);
  float *logits = malloc(sizeof(float) * (size_t)batch * CLASSES);
  int correct = 0, i, k, c;
  if (!ctx || !logits) {
    fprintf(stderr, "train_fashion_mnist: %s\n", SimpleCNN_last_error());
    exit(1);
  }
  for (i = 0; i < test->n; i += batch) {
    int b = test->n - i < batch ? test->n - i : batch;
    if (SimpleCNN_context_forward(ctx, test->images + (size_t)i * PIXELS, b, logits) !=
        CNNOPT_OK) {
      fprintf(stderr, "train_fashion_mnist: %s\n", SimpleCNN_last_error());
      exit(1);
    }
    for (k = 0; k < b; ++k) {
      int best = 0;
      for (c = 1; c < CLASSES; ++c)
        if (logits[k * CLASSES + c] > logits[k * CLASSES + best])
          best = c;
      correct += best == test->labels[i + k];
    }
  }
  free(logits);
  SimpleCNN_context_destroy(ctx);
  return 100.0 * correct / test->n;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int save(const char *path, const float *params) {
  char error[512];
  if (cnnopt_save_safetensors(path, SimpleCNN_params, SimpleCNN_PARAM_COUNT, params, error,
                              sizeof(error))) {
    fprintf(stderr, "train_fashion_mnist: %s\n", error);
    return 0;
  }
  return 1;
}

/* Inference with the saved weights: loaded back by name into a fresh
 * array, the first test images classified. */
static int predict(const char *path, const dataset *test) {
  static const char *const names[CLASSES] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                             "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                             "Ankle boot"};
  float *params = malloc(sizeof(float) * SimpleCNN_PARAM_FLOATS), logits[8 * CLASSES];
  char error[512];
  int n = test->n < 8 ? test->n : 8, k, c;
  if (!params || cnnopt_load_safetensors(path, SimpleCNN_params, SimpleCNN_PARAM_COUNT, params,
                                         error, sizeof(error))) {
    fprintf(stderr, "train_fashion_mnist: %s\n", params ? error : "out of memory");
    return 1;
  }
  if (SimpleCNN_forward(test->images, n, params, logits) != CNNOPT_OK) {
    fprintf(stderr, "train_fashion_mnist: %s\n", SimpleCNN_last_error());
    return 1;
  }
  printf("%s, the first %d test images:\n", path, n);
  for (k = 0; k < n; ++k) {
    int best = 0;
    for (c = 1; c < CLASSES; ++c)
      if (logits[k * CLASSES + c] > logits[k * CLASSES + best])
        best = c;
    printf("  image %d: %-11s (true: %s)\n", k, names[best], names[test->labels[k]]);
  }
  free(params);
  return 0;
}

int main(int argc, char **argv) {
  int epochs = 5, batch = 128, seed = 1, train_limit = 0, test_limit = 0, i;
  float max_lr = 0.1f;
  const char *data_dir = "/usr/share/datasets/fashion-mnist", *out = NULL, *initial = NULL;
  for (i = 1; i + 1 < argc; i += 2) {
    const char *flag = argv[i], *value = argv[i + 1];
    if (!strcmp(flag, "--epochs"))
      epochs = atoi(value);
    else if (!strcmp(flag, "--batch"))
      batch = atoi(value);
    else if (!strcmp(flag, "--lr"))
      max_lr = (float)atof(value);
    else if (!strcmp(flag, "--seed"))
      seed = atoi(value);
    else if (!strcmp(flag, "--train-images"))
      train_limit = atoi(value);
    else if (!strcmp(flag, "--test-images"))
      test_limit = atoi(value);
    else if (!strcmp(flag, "--save"))
      out = value;
    else if (!strcmp(flag, "--save-initial"))
      initial = value;
    else if (!strcmp(flag, "--data"))
      data_dir = value;
    else
      break;
  }
  if (i < argc || epochs < 1 || batch < 1) {
    fprintf(stderr, "usage: %s [--epochs N] [--batch B] [--lr LR] [--seed S] [--train-images N] "
                    "[--test-images N] [--save FILE] [--save-initial FILE] [--data DIR]\n",
            argv[0]);
    return 2;
  }
  dataset train = {0}, test = {0};
  if (!load(data_dir, "train", train_limit, &train) || !load(data_dir, "t10k", test_limit, &test)) {
    fprintf(stderr, "train_fashion_mnist: cannot read Fashion-MNIST from %s (apt-get install "
                    "dataset-fashion-mnist)\n", data_dir);
    return 1;
  }
  float *params = malloc(sizeof(float) * SimpleCNN_PARAM_FLOATS);
  float *opt_state = malloc(sizeof(float) * (SimpleCNN_OPT_STATE_FLOATS + 1));
  float *x = malloc(sizeof(float) * (size_t)batch * PIXELS);
  int32_t *labels = malloc(sizeof(int32_t) * (size_t)batch);
  int *order = malloc(sizeof(int) * (size_t)train.n);
  if (!params || !opt_state || !x || !labels || !order)
    return 1;
  SimpleCNN_init_params(params, (uint64_t)seed);
  SimpleCNN_init_opt_state(opt_state);
  if (initial && !save(initial, params))
    return 1;
  int steps_per_epoch = (train.n + batch - 1) / batch, step = 0;
  printf("SimpleCNN on Fashion-MNIST: %d training and %d test images, batch %d, %d epochs, "
         "one-cycle lr to %g\n", train.n, test.n, batch, epochs, max_lr);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double loss_sum = 0, start = seconds();
    shuffle(order, train.n, (uint64_t)seed * 1000 + (uint64_t)epoch);
    for (int first = 0; first < train.n; first += batch) {
      int b = train.n - first < batch ? train.n - first : batch;
      for (int k = 0; k < b; ++k) {
        memcpy(x + (size_t)k * PIXELS, train.images + (size_t)order[first + k] * PIXELS,
               sizeof(float) * PIXELS);
        labels[k] = train.labels[order[first + k]];
      }
      float loss;
      float lr = one_cycle(step, steps_per_epoch * epochs, max_lr);
      if (SimpleCNN_train_step(x, labels, b, params, opt_state, lr, step + 1, seed, &loss) !=
          CNNOPT_OK) {
        fprintf(stderr, "train_fashion_mnist: %s\n", SimpleCNN_last_error());
        return 1;
      }
      loss_sum += loss * b;
      ++step;
    }
    double elapsed = seconds() - start;
    printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.0f images/s\n", epoch + 1,
           loss_sum / train.n, accuracy(params, &test, 500), train.n / elapsed);
    fflush(stdout);
  }
  int status = out && !save(out, params) ? 1 : out ? predict(out, &test) : 0;
  SimpleCNN_train_release();
  free(params);
  free(opt_state);
  free(x);
  free(labels);
  free(order);
  free(train.images);
  free(train.labels);
  free(test.images);
  free(test.labels);
  return status;
}
