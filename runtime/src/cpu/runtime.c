/*===- runtime.c - loading artifacts and owning their workspace -----------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* aligned_alloc */
#endif
#include "internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lepton_model {
  const lepton_model_desc *desc;
  void *library; /* dlopen handle, NULL for wrapped descriptors */
  void *workspace;           /* CPU models */
  lepton_cuda_model *cuda;   /* CUDA models: device memory, module, kernels */
};

lepton_status lepton_wrap(const lepton_model_desc *desc, lepton_model **model) {
  if (!model)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT, "model is NULL");
  *model = NULL;
  lepton_status valid = lepton_check_descriptor(desc);
  if (valid != LEPTON_OK)
    return valid;
  lepton_model *m = calloc(1, sizeof *m);
  if (!m)
    return lepton_fail(LEPTON_ERROR_OUT_OF_MEMORY, "cannot allocate the model");
  m->desc = desc;
  if (desc->target == LEPTON_TARGET_CUDA) {
    lepton_status opened = lepton_cuda_open(desc, &m->cuda);
    if (opened != LEPTON_OK)
      free(m);
    else
      *model = m;
    return opened;
  }
  if (desc->workspace_bytes) {
    size_t align = desc->workspace_align ? desc->workspace_align : 64;
    size_t bytes = (desc->workspace_bytes + align - 1) / align * align;
    m->workspace = aligned_alloc(align, bytes);
    if (!m->workspace) {
      free(m);
      return lepton_fail(LEPTON_ERROR_OUT_OF_MEMORY, "cannot allocate %llu workspace bytes",
                         (unsigned long long)desc->workspace_bytes);
    }
  }
  *model = m;
  return LEPTON_OK;
}

lepton_status lepton_load(const char *path, lepton_model **model) {
  if (!path || !model)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT, "path or model is NULL");
  *model = NULL;
  /* dlopen searches the library path for a bare file name; a model path
   * means that file, so name it relative to the working directory. */
  char relative[4096];
  if (!strchr(path, '/') && strlen(path) + 3 <= sizeof relative) {
    snprintf(relative, sizeof relative, "./%s", path);
    path = relative;
  }
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return lepton_fail(LEPTON_ERROR_IO, "%s", dlerror());
  const lepton_model_desc *desc = dlsym(library, LEPTON_DESCRIPTOR_SYMBOL);
  if (!desc) {
    dlclose(library);
    return lepton_fail(LEPTON_ERROR_INVALID_MODEL, "%s: no %s symbol (not a Lepton model)", path,
                       LEPTON_DESCRIPTOR_SYMBOL);
  }
  lepton_status status = lepton_wrap(desc, model);
  if (status != LEPTON_OK) {
    dlclose(library);
    return status;
  }
  (*model)->library = library;
  return LEPTON_OK;
}

void lepton_unload(lepton_model *model) {
  if (!model)
    return;
  free(model->workspace);
  lepton_cuda_close(model->cuda);
  if (model->library)
    dlclose(model->library);
  free(model);
}

const lepton_profile *lepton_profile_of(const lepton_model *model) {
  return model && model->library ? dlsym(model->library, LEPTON_PROFILE_SYMBOL) : NULL;
}

const lepton_model_desc *lepton_descriptor(const lepton_model *model) {
  return model ? model->desc : NULL;
}
uint32_t lepton_num_inputs(const lepton_model *model) {
  return model ? model->desc->num_inputs : 0;
}
uint32_t lepton_num_outputs(const lepton_model *model) {
  return model ? model->desc->num_outputs : 0;
}
const lepton_tensor_desc *lepton_input_info(const lepton_model *model, uint32_t i) {
  return model && i < model->desc->num_inputs ? &model->desc->inputs[i] : NULL;
}
const lepton_tensor_desc *lepton_output_info(const lepton_model *model, uint32_t i) {
  return model && i < model->desc->num_outputs ? &model->desc->outputs[i] : NULL;
}

lepton_status lepton_run(lepton_model *model, const lepton_tensor *inputs,
                         uint32_t num_inputs, const lepton_tensor *outputs,
                         uint32_t num_outputs) {
  if (!model)
    return lepton_fail(LEPTON_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (!model->cuda)
    return lepton_run_desc(model->desc, model->workspace, inputs, num_inputs, outputs,
                           num_outputs);
  const lepton_model_desc *desc = model->desc;
  const void *in_ptrs[desc->num_inputs ? desc->num_inputs : 1];
  void *out_ptrs[desc->num_outputs ? desc->num_outputs : 1];
  int64_t batch;
  lepton_status status = lepton_bind_tensors(desc, inputs, num_inputs, outputs, num_outputs,
                                             in_ptrs, out_ptrs, &batch);
  if (status == LEPTON_OK)
    status = lepton_cuda_run(model->cuda, inputs, outputs, batch);
  if (status == LEPTON_OK)
    lepton_clear_error();
  return status;
}
