/*===- lepton/abi.h - the contract between generated code and callers -----===*
 *
 * Every artifact Lepton writes exports one `lepton_model_desc` (named
 * `<name>_descriptor`; shared libraries also export it as
 * LEPTON_DESCRIPTOR_SYMBOL) and one entry point `<name>_run`. The caller owns
 * all memory: input and output buffers (dense, row-major) and one workspace
 * arena of `workspace_bytes`, aligned to `workspace_align`.
 *
 *===----------------------------------------------------------------------===*/
#ifndef LEPTON_ABI_H
#define LEPTON_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEPTON_ABI_VERSION 3u
#define LEPTON_DESCRIPTOR_SYMBOL "lepton_model_descriptor"

/* Element types use the ONNX TensorProto.DataType codes. */
typedef enum lepton_dtype {
  LEPTON_FLOAT32 = 1,
  LEPTON_UINT8 = 2,
  LEPTON_INT8 = 3,
  LEPTON_UINT16 = 4,
  LEPTON_INT16 = 5,
  LEPTON_INT32 = 6,
  LEPTON_INT64 = 7,
  LEPTON_BOOL = 9,
  LEPTON_FLOAT16 = 10,
  LEPTON_FLOAT64 = 11,
  LEPTON_UINT32 = 12,
  LEPTON_UINT64 = 13,
  LEPTON_BFLOAT16 = 16
} lepton_dtype;

typedef enum lepton_target { LEPTON_TARGET_CPU = 1, LEPTON_TARGET_CUDA = 2 } lepton_target;

typedef struct lepton_tensor_desc {
  const char *name;     /* the ONNX value name */
  int32_t dtype;        /* lepton_dtype */
  int32_t rank;
  const int64_t *shape; /* rank entries; -1 marks a dynamic dim */
} lepton_tensor_desc;

/* Returns 0 on success. `inputs` and `outputs` hold one pointer per tensor in
 * descriptor order. `batch` is the size of the leading dim of every tensor
 * whose descriptor shape starts with -1 (a model compiled once for every batch
 * size runs its per-entry code that many times); models without such tensors
 * ignore it. The workspace size does not depend on the batch. */
typedef int32_t (*lepton_entry_fn)(const void *const *inputs,
                                   void *const *outputs, void *workspace,
                                   int64_t batch);

/* What a CUDA artifact (`leptonc --target=cuda -o model.so`) carries beside
 * its host code. Its entry point takes *device* pointers (inputs, outputs and
 * a workspace of workspace_bytes in GPU memory) and launches the kernels of
 * the loaded PTX through lepton_cuda_launch, on the legacy default stream,
 * without waiting for them. The workspace holds the weights too: before the
 * first run, each weight's bytes go to its offset in the workspace (the
 * runtime does this at load). */
typedef struct lepton_cuda_ptx {
  const char *arch; /* "sm_80": the PTX runs on this and newer GPUs */
  const char *text; /* NUL-terminated PTX of every kernel */
} lepton_cuda_ptx;

typedef struct lepton_cuda_weight {
  const void *data; /* host copy */
  uint64_t offset;  /* its place in the device workspace */
  uint64_t bytes;
} lepton_cuda_weight;

typedef struct lepton_cuda_image {
  uint32_t num_ptx;
  const lepton_cuda_ptx *ptx;  /* oldest architecture first */
  uint32_t num_kernels;
  const char *const *kernels;  /* PTX entry names; launches name them by index */
  uint32_t num_weights;
  const lepton_cuda_weight *weights;
} lepton_cuda_image;

/* Called by a CUDA artifact's entry point for each kernel launch: `args`
 * holds num_args 8-byte slots, one per kernel parameter (pointers, sizes,
 * smaller scalars zero-extended). The Lepton runtime provides it; it launches
 * on the GPU of the model being run and records the first failure, after
 * which the run's remaining launches are skipped. */
void lepton_cuda_launch(int32_t kernel, int64_t grid_x, int64_t grid_y, int64_t grid_z,
                        int64_t block_x, int64_t block_y, int64_t block_z,
                        int32_t shared_bytes, int64_t *args, int32_t num_args);

/* Called by a CUDA artifact's entry point where its host code needs a value
 * of a tensor (a Slice's start, a loop bound) or sets one: copy `bytes`
 * between device and host memory once the launches before are done. */
void lepton_cuda_read(void *host, const void *device, int64_t bytes);
void lepton_cuda_write(void *device, const void *host, int64_t bytes);

typedef struct lepton_model_desc {
  uint32_t abi_version; /* LEPTON_ABI_VERSION */
  uint32_t target;      /* lepton_target */
  const char *name;
  uint32_t num_inputs;
  uint32_t num_outputs;
  const lepton_tensor_desc *inputs;
  const lepton_tensor_desc *outputs;
  uint64_t workspace_bytes;
  uint64_t workspace_align;
  lepton_entry_fn run;
  const lepton_cuda_image *cuda; /* LEPTON_TARGET_CUDA only, else NULL */
} lepton_model_desc;

/* Multi-threaded artifacts (the default; `leptonc --threads=single` writes
 * none) call this to run fn(ctx, begin, end) over disjoint ranges covering
 * [0, n), in parallel, returning when all are done. The Lepton runtime
 * provides it (a thread pool); a program without the runtime may define it,
 * e.g. as a plain `fn(ctx, 0, n)`. */
typedef void (*lepton_task_fn)(void *ctx, int64_t begin, int64_t end);
void lepton_parallel_for(int64_t n, lepton_task_fn fn, void *ctx);

/* Artifacts compiled with `leptonc --profile` also define `<name>_profile`
 * (a shared library exports it as LEPTON_PROFILE_SYMBOL too): the
 * nanoseconds spent in each lowered operation of the model, summed over every
 * run since load; callers may reset them. Operations of one ONNX node (a
 * convolution's window copy and its matmul, say) have entries of their own. */
#define LEPTON_PROFILE_SYMBOL "lepton_model_profile"

typedef struct lepton_profile {
  uint32_t count;
  const char *const *nodes; /* ONNX node names of each operation ("a + b" when fused) */
  const char *const *kinds; /* what each operation is */
  int64_t *nanoseconds;
} lepton_profile;

#ifdef __cplusplus
}
#endif

#endif /* LEPTON_ABI_H */
