/*===- cuda.c - running CUDA artifacts through the driver API -------------===*
 *
 * A CUDA artifact (lepton/abi.h, lepton_cuda_image) is host code that
 * launches kernels of its PTX on device pointers. Here the runtime opens the
 * NVIDIA driver with dlopen when the first CUDA model loads (nothing links
 * against CUDA; LEPTON_CUDA_DRIVER names another library, for tests), picks
 * the PTX for the GPU present (the newest architecture not above it; the
 * driver JIT-compiles it), puts the weights into a device workspace, and for
 * each run copies inputs in, calls the entry point, which queues its
 * launches through lepton_cuda_launch, and copies outputs back.
 *
 * The driver API's types and constants are declared here: the toolkit's
 * cuda.h need not be installed where Lepton is built.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_NO_DEVICE = 100,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

/* The driver entry points used, under the names libcuda.so.1 exports (the
 * _v2 ones are what cuda.h's macros select). */
static struct {
  CUresult (*Init)(unsigned);
  CUresult (*DeviceGetCount)(int *);
  CUresult (*DeviceGet)(CUdevice *, int);
  CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*DeviceGetName)(char *, int, CUdevice);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*DevicePrimaryCtxRelease)(CUdevice);
  CUresult (*CtxPushCurrent)(CUcontext);
  CUresult (*CtxPopCurrent)(CUcontext *);
  CUresult (*CtxSynchronize)(void);
  CUresult (*ModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*ModuleUnload)(CUmodule);
  CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*MemAlloc)(CUdeviceptr *, size_t);
  CUresult (*MemFree)(CUdeviceptr);
  CUresult (*MemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*MemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, CUstream, void **, void **);
  CUresult (*GetErrorName)(CUresult, const char **);
  CUresult (*GetErrorString)(CUresult, const char **);
} cu;

static pthread_once_t driver_once = PTHREAD_ONCE_INIT;
static char driver_error[512]; /* empty once the driver is usable */

static void open_driver(void) {
  const char *path = getenv("LEPTON_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    snprintf(driver_error, sizeof driver_error,
             "cannot load the CUDA driver (%s): %s; a CUDA model needs the NVIDIA driver "
             "and a GPU",
             path, dlerror());
    return;
  }
  struct {
    void **slot;
    const char *name;
  } symbols[] = {
      {(void **)&cu.Init, "cuInit"},
      {(void **)&cu.DeviceGetCount, "cuDeviceGetCount"},
      {(void **)&cu.DeviceGet, "cuDeviceGet"},
      {(void **)&cu.DeviceGetAttribute, "cuDeviceGetAttribute"},
      {(void **)&cu.DeviceGetName, "cuDeviceGetName"},
      {(void **)&cu.DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&cu.DevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
      {(void **)&cu.CtxPushCurrent, "cuCtxPushCurrent_v2"},
      {(void **)&cu.CtxPopCurrent, "cuCtxPopCurrent_v2"},
      {(void **)&cu.CtxSynchronize, "cuCtxSynchronize"},
      {(void **)&cu.ModuleLoadDataEx, "cuModuleLoadDataEx"},
      {(void **)&cu.ModuleUnload, "cuModuleUnload"},
      {(void **)&cu.ModuleGetFunction, "cuModuleGetFunction"},
      {(void **)&cu.MemAlloc, "cuMemAlloc_v2"},
      {(void **)&cu.MemFree, "cuMemFree_v2"},
      {(void **)&cu.MemcpyHtoD, "cuMemcpyHtoD_v2"},
      {(void **)&cu.MemcpyDtoH, "cuMemcpyDtoH_v2"},
      {(void **)&cu.LaunchKernel, "cuLaunchKernel"},
      {(void **)&cu.GetErrorName, "cuGetErrorName"},
      {(void **)&cu.GetErrorString, "cuGetErrorString"},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i)
    if (!(*symbols[i].slot = dlsym(library, symbols[i].name))) {
      snprintf(driver_error, sizeof driver_error,
               "the CUDA driver %s has no %s (a driver older than CUDA 11?)", path,
               symbols[i].name);
      return; /* the library stays open: its symbols may be in use elsewhere */
    }
  CUresult r = cu.Init(0);
  if (r == CUDA_ERROR_NO_DEVICE)
    snprintf(driver_error, sizeof driver_error, "no CUDA GPU found (%s loaded)", path);
  else if (r != CUDA_SUCCESS)
    snprintf(driver_error, sizeof driver_error, "cuInit failed with CUDA error %d", r);
}

/* Records "<what>: <driver's name and description of r>" as the last error. */
static lepton_status cuda_fail(lepton_status status, CUresult r, const char *what) {
  const char *name = NULL, *text = NULL;
  if (cu.GetErrorName)
    cu.GetErrorName(r, &name);
  if (cu.GetErrorString)
    cu.GetErrorString(r, &text);
  return lepton_fail(status, "%s: %s (%s)", what, name ? name : "unknown CUDA error",
                     text ? text : "no description");
}

struct lepton_cuda_model {
  const lepton_model_desc *desc;
  CUdevice device;
  CUcontext context;
  CUmodule module;
  CUfunction *kernels;
  CUdeviceptr workspace;
  /* Device buffers of the inputs, then the outputs, grown as batches grow. */
  CUdeviceptr *buffers;
  size_t *capacity;
  /* The first failed launch (or, at kernel -1, host read or write of a
   * tensor) of the run in progress. */
  CUresult launch_error;
  int32_t failed_kernel;
};

/* The model whose entry point is running on this thread: its launches go
 * to that model's GPU and module. */
static _Thread_local lepton_cuda_model *running;

/* The PTX to load: the newest architecture at or below the GPU's. */
static const lepton_cuda_ptx *pick_ptx(const lepton_cuda_image *image, int capability) {
  const lepton_cuda_ptx *best = NULL;
  for (uint32_t i = 0; i < image->num_ptx; ++i) {
    int version = atoi(image->ptx[i].arch + 3); /* "sm_NN" */
    if (version <= capability)
      best = &image->ptx[i];
  }
  return best;
}

static void release(lepton_cuda_model *m) {
  uint32_t buffers = m->desc->num_inputs + m->desc->num_outputs;
  for (uint32_t i = 0; m->buffers && i < buffers; ++i)
    if (m->buffers[i])
      cu.MemFree(m->buffers[i]);
  if (m->workspace)
    cu.MemFree(m->workspace);
  if (m->module)
    cu.ModuleUnload(m->module);
  free(m->buffers);
  free(m->capacity);
  free(m->kernels);
}

static lepton_status open_on_device(lepton_cuda_model *m) {
  const lepton_model_desc *desc = m->desc;
  const lepton_cuda_image *image = desc->cuda;
  int major = 0, minor = 0;
  char name[128] = "";
  CUresult r;
  if ((r = cu.DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                 m->device)) ||
      (r = cu.DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                 m->device)) ||
      (r = cu.DeviceGetName(name, sizeof name, m->device)))
    return cuda_fail(LEPTON_ERROR_DEVICE, r, "querying the GPU");
  const lepton_cuda_ptx *ptx = pick_ptx(image, major * 10 + minor);
  if (!ptx && image->num_kernels) {
    char archs[256] = "";
    for (uint32_t i = 0; i < image->num_ptx; ++i)
      snprintf(archs + strlen(archs), sizeof archs - strlen(archs), "%s%s", i ? ", " : "",
               image->ptx[i].arch);
    return lepton_fail(LEPTON_ERROR_DEVICE,
                       "model '%s' has PTX for %s; the GPU (%s) is sm_%d%d: compile it with "
                       "--gpu-arch=sm_%d%d",
                       desc->name, archs, name, major, minor, major, minor);
  }
  /* A model whose outputs are empty has no kernels, and no PTX. */
  char log[4096] = "";
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(uintptr_t)sizeof log};
  if (ptx && (r = cu.ModuleLoadDataEx(&m->module, ptx->text, 2, options, values))) {
    cuda_fail(LEPTON_ERROR_DEVICE, r, "loading the PTX");
    char what[512];
    snprintf(what, sizeof what, "%s", lepton_last_error());
    return lepton_fail(LEPTON_ERROR_DEVICE, "%s for %s on %s: %s", what, ptx->arch, name, log);
  }
  m->kernels = calloc(image->num_kernels ? image->num_kernels : 1, sizeof *m->kernels);
  uint32_t buffers = desc->num_inputs + desc->num_outputs;
  m->buffers = calloc(buffers ? buffers : 1, sizeof *m->buffers);
  m->capacity = calloc(buffers ? buffers : 1, sizeof *m->capacity);
  if (!m->kernels || !m->buffers || !m->capacity)
    return lepton_fail(LEPTON_ERROR_OUT_OF_MEMORY, "cannot allocate the model");
  for (uint32_t i = 0; i < image->num_kernels; ++i)
    if ((r = cu.ModuleGetFunction(&m->kernels[i], m->module, image->kernels[i]))) {
      char what[256];
      snprintf(what, sizeof what, "kernel '%s' of the PTX", image->kernels[i]);
      return cuda_fail(LEPTON_ERROR_INVALID_MODEL, r, what);
    }
  if (desc->workspace_bytes && (r = cu.MemAlloc(&m->workspace, desc->workspace_bytes)))
    return cuda_fail(LEPTON_ERROR_OUT_OF_MEMORY, r, "allocating the device workspace");
  for (uint32_t i = 0; i < image->num_weights; ++i) {
    const lepton_cuda_weight *w = &image->weights[i];
    if (w->offset + w->bytes > desc->workspace_bytes)
      return lepton_fail(LEPTON_ERROR_INVALID_MODEL, "weight %u lies outside the workspace", i);
    if (w->bytes && (r = cu.MemcpyHtoD(m->workspace + w->offset, w->data, w->bytes)))
      return cuda_fail(LEPTON_ERROR_DEVICE, r, "copying the weights to the GPU");
  }
  return LEPTON_OK;
}

lepton_status lepton_cuda_open(const lepton_model_desc *desc, lepton_cuda_model **out) {
  *out = NULL;
  pthread_once(&driver_once, open_driver);
  if (driver_error[0])
    return lepton_fail(LEPTON_ERROR_DEVICE, "%s", driver_error);
  int index = 0, count = 0;
  const char *chosen = getenv("LEPTON_CUDA_DEVICE");
  if (chosen && *chosen)
    index = atoi(chosen);
  CUresult r = cu.DeviceGetCount(&count);
  if (r)
    return cuda_fail(LEPTON_ERROR_DEVICE, r, "counting the GPUs");
  if (index < 0 || index >= count)
    return lepton_fail(LEPTON_ERROR_DEVICE, "LEPTON_CUDA_DEVICE=%d, but there are %d GPUs",
                       index, count);
  lepton_cuda_model *m = calloc(1, sizeof *m);
  if (!m)
    return lepton_fail(LEPTON_ERROR_OUT_OF_MEMORY, "cannot allocate the model");
  m->desc = desc;
  if ((r = cu.DeviceGet(&m->device, index)) ||
      (r = cu.DevicePrimaryCtxRetain(&m->context, m->device))) {
    free(m);
    return cuda_fail(LEPTON_ERROR_DEVICE, r, "opening the GPU");
  }
  cu.CtxPushCurrent(m->context);
  lepton_status status = open_on_device(m);
  if (status != LEPTON_OK)
    release(m);
  CUcontext popped;
  cu.CtxPopCurrent(&popped);
  if (status != LEPTON_OK) {
    cu.DevicePrimaryCtxRelease(m->device);
    free(m);
    return status;
  }
  *out = m;
  return LEPTON_OK;
}

void lepton_cuda_close(lepton_cuda_model *m) {
  if (!m)
    return;
  cu.CtxPushCurrent(m->context);
  release(m);
  CUcontext popped;
  cu.CtxPopCurrent(&popped);
  cu.DevicePrimaryCtxRelease(m->device);
  free(m);
}

static size_t tensor_bytes(const lepton_tensor *t) {
  size_t bytes = lepton_dtype_size(t->dtype);
  for (int32_t d = 0; d < t->rank; ++d)
    bytes *= (size_t)t->shape[d];
  return bytes;
}

static lepton_status run_on_device(lepton_cuda_model *m, const lepton_tensor *inputs,
                                   const lepton_tensor *outputs, int64_t batch) {
  const lepton_model_desc *desc = m->desc;
  uint32_t num_inputs = desc->num_inputs, num_outputs = desc->num_outputs;
  const void *in_ptrs[num_inputs ? num_inputs : 1];
  void *out_ptrs[num_outputs ? num_outputs : 1];
  CUresult r;
  for (uint32_t i = 0; i < num_inputs + num_outputs; ++i) {
    const lepton_tensor *t = i < num_inputs ? &inputs[i] : &outputs[i - num_inputs];
    size_t bytes = tensor_bytes(t);
    if (bytes > m->capacity[i]) {
      if (m->buffers[i])
        cu.MemFree(m->buffers[i]);
      m->buffers[i] = 0;
      m->capacity[i] = 0;
      if ((r = cu.MemAlloc(&m->buffers[i], bytes)))
        return cuda_fail(LEPTON_ERROR_OUT_OF_MEMORY, r, "allocating a tensor on the GPU");
      m->capacity[i] = bytes;
    }
    if (i < num_inputs) {
      in_ptrs[i] = (const void *)(uintptr_t)m->buffers[i];
      if (bytes && (r = cu.MemcpyHtoD(m->buffers[i], t->data, bytes)))
        return cuda_fail(LEPTON_ERROR_EXECUTION, r, "copying an input to the GPU");
    } else {
      out_ptrs[i - num_inputs] = (void *)(uintptr_t)m->buffers[i];
    }
  }
  m->launch_error = CUDA_SUCCESS;
  running = m;
  int32_t failed = desc->run(in_ptrs, out_ptrs, (void *)(uintptr_t)m->workspace, batch);
  running = NULL;
  if (m->launch_error) {
    char what[256];
    if (m->failed_kernel == -1)
      snprintf(what, sizeof what, "copying a tensor element the host code needs");
    else if (m->failed_kernel >= 0 && (uint32_t)m->failed_kernel < desc->cuda->num_kernels)
      snprintf(what, sizeof what, "launching kernel '%s'",
               desc->cuda->kernels[m->failed_kernel]);
    else
      snprintf(what, sizeof what, "launching kernel %d of %u", m->failed_kernel,
               desc->cuda->num_kernels);
    return cuda_fail(LEPTON_ERROR_EXECUTION, m->launch_error, what);
  }
  if (failed)
    return lepton_fail(LEPTON_ERROR_EXECUTION, "the model's entry point failed");
  if ((r = cu.CtxSynchronize()))
    return cuda_fail(LEPTON_ERROR_EXECUTION, r, "running the kernels");
  for (uint32_t i = 0; i < num_outputs; ++i) {
    size_t bytes = tensor_bytes(&outputs[i]);
    if (bytes && (r = cu.MemcpyDtoH(outputs[i].data, m->buffers[num_inputs + i], bytes)))
      return cuda_fail(LEPTON_ERROR_EXECUTION, r, "copying an output from the GPU");
  }
  return LEPTON_OK;
}

lepton_status lepton_cuda_run(lepton_cuda_model *m, const lepton_tensor *inputs,
                              const lepton_tensor *outputs, int64_t batch) {
  cu.CtxPushCurrent(m->context);
  lepton_status status = run_on_device(m, inputs, outputs, batch);
  CUcontext popped;
  cu.CtxPopCurrent(&popped);
  return status;
}

void lepton_cuda_launch(int32_t kernel, int64_t grid_x, int64_t grid_y, int64_t grid_z,
                        int64_t block_x, int64_t block_y, int64_t block_z,
                        int32_t shared_bytes, int64_t *args, int32_t num_args) {
  lepton_cuda_model *m = running;
  if (!m || m->launch_error)
    return;
  m->failed_kernel = kernel;
  if (kernel < 0 || (uint32_t)kernel >= m->desc->cuda->num_kernels) {
    m->launch_error = CUDA_ERROR_INVALID_VALUE;
    return;
  }
  int64_t dims[] = {grid_x, grid_y, grid_z, block_x, block_y, block_z};
  for (int i = 0; i < 6; ++i) {
    if (dims[i] == 0)
      return; /* an empty grid: nothing to compute */
    if (dims[i] < 0 || dims[i] > UINT32_MAX) {
      m->launch_error = CUDA_ERROR_INVALID_VALUE;
      return;
    }
  }
  void *params[num_args > 0 ? num_args : 1];
  for (int32_t i = 0; i < num_args; ++i)
    params[i] = &args[i];
  CUresult r = cu.LaunchKernel(m->kernels[kernel], (unsigned)grid_x, (unsigned)grid_y,
                               (unsigned)grid_z, (unsigned)block_x, (unsigned)block_y,
                               (unsigned)block_z, (unsigned)shared_bytes, NULL, params, NULL);
  if (r)
    m->launch_error = r;
}

void lepton_cuda_read(void *host, const void *device, int64_t bytes) {
  lepton_cuda_model *m = running;
  CUresult r = m && !m->launch_error
                   ? cu.MemcpyDtoH(host, (CUdeviceptr)(uintptr_t)device, (size_t)bytes)
                   : CUDA_ERROR_INVALID_VALUE;
  if (r == CUDA_SUCCESS)
    return;
  memset(host, 0, (size_t)bytes); /* the run fails; the host code goes on harmlessly */
  if (m && !m->launch_error) {
    m->launch_error = r;
    m->failed_kernel = -1;
  }
}

void lepton_cuda_write(void *device, const void *host, int64_t bytes) {
  lepton_cuda_model *m = running;
  if (!m || m->launch_error)
    return;
  CUresult r = cu.MemcpyHtoD((CUdeviceptr)(uintptr_t)device, host, (size_t)bytes);
  if (r) {
    m->launch_error = r;
    m->failed_kernel = -1;
  }
}
