/*===- init_params.c - PyTorch's default parameter initialisers -----------===*
 *
 * The values torch.nn layers start from: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * for conv and linear weights and biases (kaiming_uniform with a=sqrt(5)),
 * ones and zeros for norms and running statistics. Uniform draws come from
 * splitmix64 so that a seed means the same parameters everywhere.
 *===----------------------------------------------------------------------===*/

#include "cnnopt_runtime.h"

/* splitmix64: a small, well-mixed 64-bit generator. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A float uniform in [-bound, bound). */
static float uniform(uint64_t *state, float bound) {
  double unit = (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0);
  return (float)((2.0 * unit - 1.0) * bound);
}

void cnnopt_init_params(const cnnopt_param_info *table, int count, float *params,
                        uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < count; ++i) {
    float *p = params + table[i].offset;
    for (int64_t k = 0; k < table[i].size; ++k) {
      switch (table[i].init) {
      case CNNOPT_INIT_ONE:
        p[k] = 1.0f;
        break;
      case CNNOPT_INIT_UNIFORM:
        p[k] = uniform(&state, table[i].bound);
        break;
      default:
        p[k] = 0.0f;
        break;
      }
    }
  }
}
