/*===- core.c - checked runs on caller-owned memory -----------------------===*
 *
 * The part of the runtime firmware links (liblepton_runtime_core.a): tensor
 * checks against the descriptor and a run on the caller's workspace. No heap,
 * no threads, no dynamic loading; libc's formatting only.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[512];

lepton_status lepton_fail(lepton_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

const char *lepton_last_error(void) { return last_error; }

void lepton_clear_error(void) { last_error[0] = '\0'; }

const char *lepton_status_string(lepton_status status) {
  switch (status) {
  case LEPTON_OK: return "ok";
  case LEPTON_ERROR_IO: return "cannot load";
  case LEPTON_ERROR_INVALID_MODEL: return "invalid model";
  case LEPTON_ERROR_INVALID_ARGUMENT: return "invalid argument";
  case LEPTON_ERROR_OUT_OF_MEMORY: return "out of memory";
  case LEPTON_ERROR_EXECUTION: return "execution failed";
  case LEPTON_ERROR_DEVICE: return "device unavailable";
  }
  return "unknown status";
}

size_t lepton_dtype_size(int32_t dtype) {
  switch (dtype) {
  case LEPTON_UINT8: case LEPTON_INT8: case LEPTON_BOOL: return 1;
  case LEPTON_UINT16: case LEPTON_INT16: case LEPTON_FLOAT16: case LEPTON_BFLOAT16: return 2;
  case LEPTON_FLOAT32: case LEPTON_INT32: case LEPTON_UINT32: return 4;
  case LEPTON_INT64: case LEPTON_UINT64: case LEPTON_FLOAT64: return 8;
  default: return 0;
  }
}

int64_t lepton_num_elements(const lepton_tensor_desc *desc) {
  int64_t n = 1;
  for (int32_t i = 0; i < desc->rank; ++i)
    n *= desc->shape[i];
  return n;
}

static lepton_status check_tensor(const char *role, uint32_t index,
                                  const lepton_tensor_desc *want,
                                  const lepton_tensor *got) {
  if (!got->data && lepton_num_elements(want) != 0)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT, "%s %u ('%s') has no data", role, index,
                       want->name);
  if (got->dtype != want->dtype)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT,
                       "%s %u ('%s') has element type %d, the model expects %d", role, index,
                       want->name, got->dtype, want->dtype);
  int same = got->rank == want->rank && (got->rank == 0 || got->shape);
  for (int32_t d = 0; same && d < want->rank; ++d)
    same = want->shape[d] < 0 ? got->shape[d] >= 0 : got->shape[d] == want->shape[d];
  if (!same) {
    char expected[256] = "", actual[256] = "";
    for (int32_t d = 0; d < want->rank; ++d)
      snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
               d ? "x%lld" : "%lld", (long long)want->shape[d]);
    for (int32_t d = 0; got->shape && d < got->rank; ++d)
      snprintf(actual + strlen(actual), sizeof actual - strlen(actual),
               d ? "x%lld" : "%lld", (long long)got->shape[d]);
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT,
                       "%s %u ('%s') has shape [%s], the model expects [%s]", role, index,
                       want->name, actual, expected);
  }
  return LEPTON_OK;
}

lepton_status lepton_check_descriptor(const lepton_model_desc *desc) {
  if (!desc || desc->abi_version != LEPTON_ABI_VERSION || !desc->run)
    return lepton_fail(LEPTON_ERROR_INVALID_MODEL, "descriptor ABI version %u, runtime expects %u",
                       desc ? desc->abi_version : 0u, LEPTON_ABI_VERSION);
  if (desc->target != LEPTON_TARGET_CPU && (desc->target != LEPTON_TARGET_CUDA || !desc->cuda))
    return lepton_fail(LEPTON_ERROR_INVALID_MODEL, "model '%s' has unknown target %u",
                       desc->name, desc->target);
  return LEPTON_OK;
}

lepton_status lepton_bind_tensors(const lepton_model_desc *desc, const lepton_tensor *inputs,
                                  uint32_t num_inputs, const lepton_tensor *outputs,
                                  uint32_t num_outputs, const void **in_ptrs, void **out_ptrs,
                                  int64_t *batch_out) {
  if (num_inputs != desc->num_inputs || num_outputs != desc->num_outputs)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT,
                       "got %u inputs and %u outputs, the model has %u and %u", num_inputs,
                       num_outputs, desc->num_inputs, desc->num_outputs);
  if ((num_inputs && !inputs) || (num_outputs && !outputs))
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT, "tensor array is NULL");
  /* Every dynamic leading dim is the batch: they must agree. */
  int64_t batch = -1;
  for (uint32_t i = 0; i < num_inputs + num_outputs; ++i) {
    int input = i < num_inputs;
    uint32_t k = input ? i : i - num_inputs;
    const lepton_tensor_desc *want = input ? &desc->inputs[k] : &desc->outputs[k];
    const lepton_tensor *got = input ? &inputs[k] : &outputs[k];
    lepton_status s = check_tensor(input ? "input" : "output", k, want, got);
    if (s != LEPTON_OK)
      return s;
    if (want->rank > 0 && want->shape[0] < 0) {
      if (batch >= 0 && got->shape[0] != batch)
        return lepton_fail(
            LEPTON_ERROR_INVALID_ARGUMENT, "%s %u ('%s') has batch %lld, an earlier tensor %lld",
            input ? "input" : "output", k, want->name, (long long)got->shape[0], (long long)batch);
      batch = got->shape[0];
    }
    if (input)
      in_ptrs[k] = got->data;
    else
      out_ptrs[k] = got->data;
  }
  *batch_out = batch < 0 ? 1 : batch;
  return LEPTON_OK;
}

lepton_status lepton_run_desc(const lepton_model_desc *desc, void *workspace,
                              const lepton_tensor *inputs, uint32_t num_inputs,
                              const lepton_tensor *outputs, uint32_t num_outputs) {
  lepton_status valid = lepton_check_descriptor(desc);
  if (valid != LEPTON_OK)
    return valid;
  if (desc->target != LEPTON_TARGET_CPU)
    return lepton_fail(LEPTON_ERROR_INVALID_MODEL,
                       "model '%s' runs on a GPU: load it with lepton_load or lepton_wrap",
                       desc->name);
  if (desc->workspace_bytes &&
      (!workspace || (uintptr_t)workspace % (desc->workspace_align ? desc->workspace_align : 1)))
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT,
                       "the workspace is NULL or not aligned to %llu bytes",
                       (unsigned long long)desc->workspace_align);
  const void *in_ptrs[desc->num_inputs ? desc->num_inputs : 1];
  void *out_ptrs[desc->num_outputs ? desc->num_outputs : 1];
  int64_t batch;
  lepton_status bound = lepton_bind_tensors(desc, inputs, num_inputs, outputs, num_outputs,
                                            in_ptrs, out_ptrs, &batch);
  if (bound != LEPTON_OK)
    return bound;
  if (desc->run(in_ptrs, out_ptrs, workspace, batch) != 0)
    return lepton_fail(LEPTON_ERROR_EXECUTION, "the model's entry point failed");
  lepton_clear_error();
  return LEPTON_OK;
}
