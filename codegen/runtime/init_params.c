/*===- init_params.c - PyTorch's default parameter initialisers -----------===*
 *
 * The exported form of cnnopt_api_init_params (cnnopt_model_api.h), which
 * generated model headers carry as <model>_init_params.
 *===----------------------------------------------------------------------===*/

#include "cnnopt_runtime.h"

void cnnopt_init_params(const cnnopt_param_info *table, int count, float *params,
                        uint64_t seed) {
  cnnopt_api_init_params(table, count, params, seed);
}
