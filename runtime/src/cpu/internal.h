/*===- internal.h - shared by the runtime's sources -----------------------===*/
#ifndef LEPTON_RUNTIME_INTERNAL_H
#define LEPTON_RUNTIME_INTERNAL_H

#include "lepton/runtime.h"

/* Records a printf-style message for lepton_last_error and returns status. */
lepton_status lepton_fail(lepton_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Empties lepton_last_error after a successful call. */
void lepton_clear_error(void);

/* LEPTON_OK when `desc` is a descriptor of this ABI version with an entry. */
lepton_status lepton_check_descriptor(const lepton_model_desc *desc);

/* Checks the tensors against the descriptor and gathers their data pointers
 * (arrays of desc->num_inputs and num_outputs) and the batch. */
lepton_status lepton_bind_tensors(const lepton_model_desc *desc, const lepton_tensor *inputs,
                                  uint32_t num_inputs, const lepton_tensor *outputs,
                                  uint32_t num_outputs, const void **in_ptrs, void **out_ptrs,
                                  int64_t *batch);

/* A CUDA model's device state (runtime/src/cuda/cuda.c). */
typedef struct lepton_cuda_model lepton_cuda_model;
lepton_status lepton_cuda_open(const lepton_model_desc *desc, lepton_cuda_model **model);
void lepton_cuda_close(lepton_cuda_model *model);
/* Runs on tensors already checked by lepton_bind_tensors. */
lepton_status lepton_cuda_run(lepton_cuda_model *model, const lepton_tensor *inputs,
                              const lepton_tensor *outputs, int64_t batch);

#endif /* LEPTON_RUNTIME_INTERNAL_H */
