/* Runs the pool build through the runtime's loader API (lepton_wrap, its
 * own workspace) and the single-threaded build on a static workspace
 * (lepton_run_desc); both must give the same bytes. */
#include "mlp_pool.h"
#include "mlp_single.h"
#include "lepton/runtime.h"

#include <stdio.h>
#include <string.h>

static float input[MLP_POOL_INPUT0_ELEMENTS];
static float pooled[MLP_POOL_OUTPUT0_ELEMENTS], single[MLP_SINGLE_OUTPUT0_ELEMENTS];
static _Alignas(MLP_SINGLE_WORKSPACE_ALIGN) unsigned char workspace[MLP_SINGLE_WORKSPACE_BYTES];

static lepton_tensor tensor(void *data, const lepton_tensor_desc *desc) {
  lepton_tensor t = {data, desc->dtype, desc->rank, desc->shape};
  return t;
}

int main(void) {
  for (int i = 0; i < MLP_POOL_INPUT0_ELEMENTS; ++i)
    input[i] = (float)(i % 17) / 16.0f;
  lepton_model *model;
  lepton_tensor in = tensor(input, &mlp_pool_descriptor.inputs[0]);
  lepton_tensor out = tensor(pooled, &mlp_pool_descriptor.outputs[0]);
  if (lepton_wrap(&mlp_pool_descriptor, &model) != LEPTON_OK ||
      lepton_run(model, &in, 1, &out, 1) != LEPTON_OK) {
    fprintf(stderr, "error: pool: %s\n", lepton_last_error());
    return 1;
  }
  lepton_unload(model);
  out = tensor(single, &mlp_single_descriptor.outputs[0]);
  if (lepton_run_desc(&mlp_single_descriptor, workspace, &in, 1, &out, 1) != LEPTON_OK) {
    fprintf(stderr, "error: single: %s\n", lepton_last_error());
    return 1;
  }
  if (memcmp(pooled, single, sizeof pooled) != 0) {
    fprintf(stderr, "error: the pool and single-threaded builds differ\n");
    return 1;
  }
  printf("same outputs; first %.9g\n", pooled[0]);
  return 0;
}
