/* Runs the model once on static buffers and prints its first output: no
 * heap, no threads, no dynamic loading. The input is a fixed pattern, so
 * runs on different machines print the same numbers. */
#include "model.h"
#include "lepton/runtime.h"

#include <stdio.h>

static float input[MODEL_INPUT0_ELEMENTS];
static float output[MODEL_OUTPUT0_ELEMENTS];
/* The arena every intermediate tensor lives in (the size is a macro). */
static _Alignas(MODEL_WORKSPACE_ALIGN) unsigned char
    workspace[MODEL_WORKSPACE_BYTES ? MODEL_WORKSPACE_BYTES : 1];

int main(void) {
  for (int i = 0; i < MODEL_INPUT0_ELEMENTS; ++i)
    input[i] = (float)(i % 17) / 16.0f;
  const lepton_tensor_desc *in = &model_descriptor.inputs[0];
  const lepton_tensor_desc *out = &model_descriptor.outputs[0];
  lepton_tensor inputs[1] = {{input, in->dtype, in->rank, in->shape}};
  lepton_tensor outputs[1] = {{output, out->dtype, out->rank, out->shape}};
  /* Checks types and shapes against the descriptor, then runs model_run. */
  lepton_status status =
      lepton_run_desc(&model_descriptor, workspace, inputs, 1, outputs, 1);
  if (status != LEPTON_OK) {
    fprintf(stderr, "error: %s\n", lepton_last_error());
    return 1;
  }
  for (int i = 0; i < MODEL_OUTPUT0_ELEMENTS; ++i)
    printf("%s[%d] = %.9g\n", out->name, i, output[i]);
  return 0;
}
