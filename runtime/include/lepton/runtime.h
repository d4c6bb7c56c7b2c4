/*===- lepton/runtime.h - load and run Lepton artifacts -------------------===*
 *
 * A thin C runtime over the artifact ABI (lepton/abi.h), in two libraries:
 * liblepton_runtime (shared and static) loads models, owns their workspace,
 * runs the thread pool and CUDA models (libc, libm, libdl and pthreads); its core,
 * liblepton_runtime_core.a, is what firmware links: lepton_run_desc and the
 * helpers marked below, with no heap, threads or dynamic loading. Firmware
 * may also skip both and call `<name>_run` with its own buffers.
 *
 *===----------------------------------------------------------------------===*/
#ifndef LEPTON_RUNTIME_H
#define LEPTON_RUNTIME_H

#include "lepton/abi.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lepton_status {
  LEPTON_OK = 0,
  LEPTON_ERROR_IO = 1,               /* the file cannot be opened or loaded */
  LEPTON_ERROR_INVALID_MODEL = 2,    /* no descriptor, or a foreign ABI */
  LEPTON_ERROR_INVALID_ARGUMENT = 3, /* wrong count, type, shape or a null */
  LEPTON_ERROR_OUT_OF_MEMORY = 4,
  LEPTON_ERROR_EXECUTION = 5,        /* the model's entry point failed */
  LEPTON_ERROR_DEVICE = 6            /* no usable GPU or driver for a CUDA model */
} lepton_status;

/* A caller-owned tensor: dense row-major data of `dtype` and `shape`. */
typedef struct lepton_tensor {
  void *data;
  int32_t dtype;
  int32_t rank;
  const int64_t *shape;
} lepton_tensor;

typedef struct lepton_model lepton_model;

/* Opens a shared library written by `leptonc -o model.so`. A CUDA model
 * (`--target=cuda`) is loaded onto GPU LEPTON_CUDA_DEVICE (default 0) through
 * the NVIDIA driver, which the runtime opens with dlopen (libcuda.so.1, or
 * the library LEPTON_CUDA_DRIVER names); its runs copy the caller's host
 * tensors to the GPU and back. */
lepton_status lepton_load(const char *path, lepton_model **model);
/* Wraps a descriptor linked into the program (from a `.o` artifact). */
lepton_status lepton_wrap(const lepton_model_desc *desc, lepton_model **model);
void lepton_unload(lepton_model *model);

const lepton_model_desc *lepton_descriptor(const lepton_model *model);
uint32_t lepton_num_inputs(const lepton_model *model);
uint32_t lepton_num_outputs(const lepton_model *model);
/* NULL when the index is out of range. */
const lepton_tensor_desc *lepton_input_info(const lepton_model *model, uint32_t index);
const lepton_tensor_desc *lepton_output_info(const lepton_model *model, uint32_t index);

/* Core: checks every tensor against the descriptor, then runs the model on
 * the caller's workspace of desc->workspace_bytes (aligned to
 * desc->workspace_align; the header's <NAME>_WORKSPACE_BYTES). */
lepton_status lepton_run_desc(const lepton_model_desc *desc, void *workspace,
                              const lepton_tensor *inputs, uint32_t num_inputs,
                              const lepton_tensor *outputs, uint32_t num_outputs);

/* Checks every tensor against the descriptor, then runs the model. The
 * workspace is allocated at load time and reused; one model must not run on
 * two threads at once. */
lepton_status lepton_run(lepton_model *model, const lepton_tensor *inputs,
                         uint32_t num_inputs, const lepton_tensor *outputs,
                         uint32_t num_outputs);

/* The per-operation timers of a model compiled with `leptonc --profile` and
 * loaded from a shared library; NULL otherwise. */
const lepton_profile *lepton_profile_of(const lepton_model *model);

/* Threads of the pool lepton_parallel_for runs kernels on: by default the
 * environment's LEPTON_NUM_THREADS, else one per online CPU. Setting it
 * (at most 256; 0 restores the default) restarts the pool on the next run. */
void lepton_set_num_threads(int threads);
int lepton_get_num_threads(void);

/* Core from here on. Bytes per element, 0 for an unknown dtype. */
size_t lepton_dtype_size(int32_t dtype);
/* Number of elements of a tensor description. */
int64_t lepton_num_elements(const lepton_tensor_desc *desc);
const char *lepton_status_string(lepton_status status);
/* A message describing the last error on this thread ("" if none). */
const char *lepton_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* LEPTON_RUNTIME_H */
