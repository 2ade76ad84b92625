/*===- api_errors.c - The generated C API's checks and messages -----------===*
 *
 * Calls SimpleCNN_forward / SimpleCNN_forward_buffers with every kind of bad
 * argument and prints each return code and SimpleCNN_last_error(), for
 * FileCheck (test/examples/api-errors.test). None of them may abort: errors
 * inside the compiled pipeline reach the error handler that the entry points
 * install per call, and come back as codes. The suite runs this program as
 * built, under AddressSanitizer and UndefinedBehaviorSanitizer, and under
 * valgrind (linked with an AVX2 object, as valgrind knows no AVX-512).
 *===----------------------------------------------------------------------===*/

#include "simple_cnn.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void report(const char *what, int code) {
  const char *message = SimpleCNN_last_error();
  printf("%s: code %d: %s\n", what, code, *message ? message : "(no message)");
}

/* A dense buffer of `rank` dims given outermost first. */
static void make(halide_buffer_t *b, halide_dimension_t *d, void *data, int rank,
                 const int *shape, int is_int) {
  char ignored[256];
  cnnopt_tensor_info info = {"t", rank, {0, 0, 0, 0, 0}, is_int};
  for (int a = 0; a < rank; ++a)
    info.shape[a] = shape[a];
  cnnopt_api_wrap(b, d, &info, 0, data, ignored, sizeof(ignored));
}

static float *params, *x, *logits;
static halide_buffer_t bx, bp, bl;
static halide_dimension_t dx[5], dp[1], dl[5];
static const int good_x[] = {2, 3, 32, 32}, good_logits[] = {2, 10};

/* Fresh, valid buffers for a batch of 2. */
static void reset(void) {
  make(&bx, dx, x, 4, good_x, 0);
  make(&bl, dl, logits, 2, good_logits, 0);
  cnnopt_api_wrap_params(&bp, dp, params, SimpleCNN_PARAM_FLOATS);
}

static int run_buffers(void) { return SimpleCNN_forward_buffers(&bx, &bp, &bl); }

/* Two threads at once, one call failing inside the pipeline and one
 * succeeding: each sees its own code and message. */
struct thread_call {
  int dirty, code, rounds;
  char message[512];
};

static void *thread_main(void *arg) {
  struct thread_call *call = (struct thread_call *)arg;
  halide_buffer_t in, p, out;
  halide_dimension_t din[5], dpar[1], dout[5];
  float *tx = calloc(2 * 3 * 32 * 32, sizeof(float)), *tl = calloc(2 * 10, sizeof(float));
  make(&in, din, tx, 4, good_x, 0);
  make(&out, dout, tl, 2, good_logits, 0);
  cnnopt_api_wrap_params(&p, dpar, params, SimpleCNN_PARAM_FLOATS);
  if (call->dirty)
    in.flags |= 2; /* halide_buffer_flag_device_dirty */
  for (int k = 0; k < call->rounds; ++k) {
    call->code = SimpleCNN_forward_buffers(&in, &p, &out);
    snprintf(call->message, sizeof(call->message), "%s", SimpleCNN_last_error());
  }
  free(tx);
  free(tl);
  return NULL;
}

/* `api-errors memory`: the pipeline's own allocations fail. Run only in the
 * plain build: it allocates about 2 GB, and an address-space limit does not
 * mix with a sanitizer's shadow memory or valgrind. */
static int memory_errors(void) {
  /* 4096 samples: the first conv's output would take 2^29 bytes, more than
   * the quarter of Halide's 2^31-byte buffer limit that the runner allows
   * a tensor between stages (room for the stages' scratch). */
  int batch = 4096;
  float *big = calloc((size_t)batch * 3 * 32 * 32, sizeof(float));
  float *out = calloc((size_t)batch * 10, sizeof(float));
  if (!big || !out)
    return 1;
  report("allocation too large", SimpleCNN_forward(big, batch, params, out));
  free(big);
  free(out);

  /* Out of memory: an address-space limit far below what batch 2048
   * needs (its first conv output alone is 256 MB). */
  batch = 2048;
  big = calloc((size_t)batch * 3 * 32 * 32, sizeof(float));
  out = calloc((size_t)batch * 10, sizeof(float));
  if (!big || !out)
    return 1;
  report("warm-up", SimpleCNN_forward(big, 2, params, out));
  struct rlimit limit;
  getrlimit(RLIMIT_AS, &limit);
  FILE *status = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!status || fscanf(status, "%lu", &pages) != 1)
    return 1;
  fclose(status);
  limit.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (128u << 20);
  setrlimit(RLIMIT_AS, &limit);
  report("out of memory", SimpleCNN_forward(big, batch, params, out));
  free(big);
  free(out);
  return 0;
}

int main(int argc, char **argv) {
  params = calloc(SimpleCNN_PARAM_FLOATS, sizeof(float));
  x = calloc(2 * 3 * 32 * 32, sizeof(float));
  logits = calloc(3 * 10, sizeof(float));
  double *params64 = calloc(SimpleCNN_PARAM_FLOATS, sizeof(double));
  SimpleCNN_init_params(params, 1);
  if (argc > 1 && strcmp(argv[1], "memory") == 0)
    return memory_errors();

  /* SimpleCNN_forward: plain pointers and a batch. */
  report("batch 0", SimpleCNN_forward(x, 0, params, logits));
  report("batch -5", SimpleCNN_forward(x, -5, params, logits));
  report("batch 1<<20", SimpleCNN_forward(x, 1 << 20, params, logits));
  report("batch INT_MAX", SimpleCNN_forward(x, INT_MAX, params, logits));
  report("null input", SimpleCNN_forward(NULL, 2, params, logits));
  report("null params", SimpleCNN_forward(x, 2, NULL, logits));
  report("null output", SimpleCNN_forward(x, 2, params, NULL));
  report("good call", SimpleCNN_forward(x, 2, params, logits));

  /* SimpleCNN_forward_buffers: shapes. */
  int short_x[] = {2, 3, 30, 32}, logits3[] = {3, 10};
  reset();
  make(&bx, dx, x, 4, short_x, 0);
  report("wrong input shape", run_buffers());
  reset();
  make(&bl, dl, logits, 2, logits3, 0);
  report("wrong output batch", run_buffers());
  reset();
  dx[3].extent = -2;
  report("negative batch", run_buffers());
  reset();
  bx.dimensions = 3;
  report("wrong rank", run_buffers());
  reset();
  bx.dimensions = 9;
  report("too many dimensions", run_buffers());
  reset();
  bx.dim = NULL;
  report("no dimension array", run_buffers());
  reset();
  report("null buffer", SimpleCNN_forward_buffers(NULL, &bp, &bl));

  /* Types. */
  reset();
  bx.type.code = 0;
  report("int input", run_buffers());
  reset();
  bx.type.lanes = 4;
  report("lanes 4", run_buffers());
  reset();
  bp.type.bits = 64;
  bp.host = (uint8_t *)params64;
  report("float64 params", run_buffers());

  /* Layout. */
  reset();
  dx[0].stride = 2; /* every other float of each row */
  report("strided input", run_buffers());
  reset();
  dx[3].stride = 4 * 32 * 32; /* a gap between samples */
  report("strided batch", run_buffers());
  reset();
  dx[1].min = 1;
  report("nonzero min", run_buffers());
  reset();
  dp[0].stride = 2;
  report("strided params", run_buffers());
  reset();
  cnnopt_api_wrap_params(&bp, dp, params, 10);
  report("short params", run_buffers());
  reset();
  bp.dimensions = 2;
  report("2-D params", run_buffers());

  /* Host memory: Halide would take a NULL host as a bounds query. */
  reset();
  bx.host = NULL;
  report("null host", run_buffers());
  reset();
  bl.host = NULL;
  report("null output host", run_buffers());

  /* Errors inside the pipeline come back through the handler. */
  reset();
  bx.flags |= 2; /* halide_buffer_flag_device_dirty, no device support */
  report("device-dirty input", run_buffers());
  reset();
  report("good buffers", run_buffers());

  /* Threads: messages and codes are per thread and per call. */
  {
    struct thread_call calls[2] = {{1, -1, 4, ""}, {0, -1, 4, ""}};
    pthread_t threads[2];
    for (int t = 0; t < 2; ++t)
      pthread_create(&threads[t], NULL, thread_main, &calls[t]);
    for (int t = 0; t < 2; ++t)
      pthread_join(threads[t], NULL);
    for (int t = 0; t < 2; ++t)
      printf("thread %d: code %d: %s\n", t, calls[t].code,
             *calls[t].message ? calls[t].message : "(no message)");
    report("main thread after threads", CNNOPT_OK);
  }

  free(params);
  free(params64);
  free(x);
  free(logits);
  return 0;
}
