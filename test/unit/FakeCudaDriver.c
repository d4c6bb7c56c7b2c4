/*===- FakeCudaDriver.c - a stand-in for libcuda.so.1 in tests ------------===*
 *
 * Tests without a GPU load CUDA models through this library
 * (LEPTON_CUDA_DRIVER=.../libfake-cuda-driver.so): it keeps "device" memory
 * on the host and, unless FAKE_CUDA_EMULATION is set (below), runs no
 * kernels, so outputs are meaningless; either way it checks
 * what the runtime asks of a driver: PTX that names its target and entries,
 * kernels that exist, launches with sane dimensions on memory it allocated,
 * balanced context pushes, every allocation freed at unload. Each call it
 * checks is logged to FAKE_CUDA_LOG, if set, and the PTX loaded is written to
 * FAKE_CUDA_PTX, if set (for ptxas). The GPU it reports is sm_80,
 * or FAKE_CUDA_ARCH (e.g. 90); FAKE_CUDA_DEVICES=0 makes cuInit report no GPU.
 *
 * With FAKE_CUDA_EMULATION naming the library `leptonc
 * --cuda-emulation-library` wrote beside the model (its kernels compiled for
 * the host, codegen/cuda/KernelEmulation.h), launches do run: each kernel is
 * called for every thread of the grid, one after another, so outputs can be
 * compared with the expected ones. The threads of a block of a kernel that
 * synchronizes (gpu.barrier) run as coroutines instead: each runs until its
 * next barrier, and a round of all of them passes it.
 *
 *===----------------------------------------------------------------------===*/
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

typedef int CUresult;
enum {
  OK = 0,
  INVALID_VALUE = 1,
  NOT_INITIALIZED = 3,
  NO_DEVICE = 100,
  INVALID_CONTEXT = 201,
  INVALID_PTX = 218,
  NOT_FOUND = 500,
  LAUNCH_OUT_OF_RESOURCES = 701,
};

typedef struct Function {
  char name[256];
  int params;
  void (*emulation)(void **params); /* the kernel compiled for the host */
  int cooperative;                   /* it synchronizes a block's threads */
  struct Function *next; /* the module's other functions */
} Function;

typedef struct {
  char *text;
  int arch;
  Function *functions; /* freed with the module, as a driver does */
} Module;

static int initialized, pushed, allocations;
static long long *emulation_ids; /* thread, block, block dims, grid dims */
static FILE *log_file;

/* A block's threads as coroutines, for kernels that synchronize. glibc's
 * swapcontext makes a system call (the signal mask) per switch, which made
 * emulating a model take minutes; on x86-64 a switch is six callee-saved
 * registers and the stack pointer (switch_stack below). */
typedef struct {
  char *stack;
  int done;
#if defined(__x86_64__)
  void *sp; /* where switch_stack left it */
#else
  ucontext_t context;
#endif
} Coroutine;
enum { COROUTINE_STACK = 256 * 1024 };
static Coroutine coroutines[1024], *running;
static Function *running_function;
static void **running_params;

static void run_coroutine(void);

#if defined(__x86_64__)
/* switch_stack(&from, to): saves the callee-saved registers on this stack,
 * its pointer in *from, and resumes the stack `to` the same way. */
void switch_stack(void **from, void *to);
__asm__(".text\n"
        ".type switch_stack,@function\n"
        "switch_stack:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size switch_stack, .-switch_stack\n");
static void *scheduler;

static void start_coroutine(Coroutine *c) {
  void **top = (void **)(c->stack + COROUTINE_STACK);
  *--top = NULL;                    /* run_coroutine's return address: never used */
  *--top = (void *)run_coroutine;   /* where switch_stack's ret goes */
  for (int i = 0; i < 6; ++i)
    *--top = NULL;                  /* the callee-saved registers */
  c->sp = top;
}
static void resume(Coroutine *c) { switch_stack(&scheduler, c->sp); }
static void yield(void) { switch_stack(&running->sp, scheduler); }
static void finish(void) {
  for (;;)
    yield(); /* never resumed: done */
}
#else
static ucontext_t scheduler;

static void start_coroutine(Coroutine *c) {
  getcontext(&c->context);
  c->context.uc_stack.ss_sp = c->stack;
  c->context.uc_stack.ss_size = COROUTINE_STACK;
  c->context.uc_link = &scheduler;
  makecontext(&c->context, run_coroutine, 0);
}
static void resume(Coroutine *c) { swapcontext(&scheduler, &c->context); }
static void yield(void) { swapcontext(&running->context, &scheduler); }
static void finish(void) {} /* returns to uc_link */
#endif

static void run_coroutine(void) {
  running_function->emulation(running_params);
  running->done = 1;
  finish();
}

static void emulation_barrier(void) { yield(); }

static void run_block_cooperatively(Function *f, void **params, long long *ids) {
  unsigned bx = ids[6], by = ids[7], count = bx * by * ids[8];
  running_function = f;
  running_params = params;
  for (unsigned i = 0; i < count; ++i) {
    Coroutine *c = &coroutines[i];
    if (!c->stack && !(c->stack = malloc(COROUTINE_STACK)))
      abort();
    c->done = 0;
    start_coroutine(c);
  }
  for (unsigned pending = count; pending;) {
    pending = 0;
    for (unsigned i = 0; i < count; ++i) {
      if (coroutines[i].done)
        continue;
      ids[0] = i % bx;
      ids[1] = i / bx % by;
      ids[2] = i / (bx * by);
      running = &coroutines[i];
      resume(running);
      pending += !coroutines[i].done;
    }
  }
}

static void note(const char *format, ...) {
  if (!log_file) {
    const char *path = getenv("FAKE_CUDA_LOG");
    if (!path || !(log_file = fopen(path, "a")))
      return;
  }
  va_list args;
  va_start(args, format);
  vfprintf(log_file, format, args);
  va_end(args);
  fputc('\n', log_file);
  fflush(log_file);
}

static int arch(void) {
  const char *value = getenv("FAKE_CUDA_ARCH");
  return value && *value ? atoi(value) : 80;
}

CUresult cuInit(unsigned flags) {
  const char *devices = getenv("FAKE_CUDA_DEVICES");
  if (flags != 0)
    return INVALID_VALUE;
  if (devices && atoi(devices) == 0)
    return NO_DEVICE;
  initialized = 1;
  return OK;
}

CUresult cuDeviceGetCount(int *count) {
  if (!initialized)
    return NOT_INITIALIZED;
  *count = 1;
  return OK;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  if (!initialized || ordinal != 0)
    return INVALID_VALUE;
  *device = 0;
  return OK;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  if (device != 0)
    return INVALID_VALUE;
  if (attribute == 75) /* compute capability major */
    *value = arch() / 10;
  else if (attribute == 76)
    *value = arch() % 10;
  else
    return INVALID_VALUE;
  return OK;
}

CUresult cuDeviceGetName(char *name, int length, int device) {
  snprintf(name, length, "Fake GPU %d", device);
  return OK;
}

static int context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) {
  *ctx = &context;
  return device == 0 ? OK : INVALID_VALUE;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  note("release context, pushes outstanding: %d", pushed);
  return device == 0 ? OK : INVALID_VALUE;
}
CUresult cuCtxPushCurrent_v2(void *ctx) {
  ++pushed;
  return ctx == &context ? OK : INVALID_CONTEXT;
}
CUresult cuCtxPopCurrent_v2(void **ctx) {
  if (pushed == 0)
    return INVALID_CONTEXT;
  --pushed;
  *ctx = &context;
  return OK;
}
CUresult cuCtxSynchronize(void) { return pushed ? OK : INVALID_CONTEXT; }

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned options, int *keys,
                            void **values) {
  const char *text = image, *target = strstr(text, ".target sm_");
  char *log = NULL;
  size_t log_size = 0;
  for (unsigned i = 0; i < options; ++i) {
    if (keys[i] == 5)
      log = values[i];
    else if (keys[i] == 6)
      log_size = (size_t)values[i];
  }
  if (!pushed)
    return INVALID_CONTEXT;
  if (!strstr(text, ".version") || !target || !strstr(text, ".entry")) {
    if (log && log_size)
      snprintf(log, log_size, "not PTX");
    return INVALID_PTX;
  }
  int version = atoi(target + strlen(".target sm_"));
  if (version > arch()) {
    if (log && log_size)
      snprintf(log, log_size, "PTX for sm_%d cannot run on sm_%d", version, arch());
    return INVALID_PTX;
  }
  const char *copy = getenv("FAKE_CUDA_PTX");
  FILE *out = copy && *copy ? fopen(copy, "w") : NULL;
  if (out) {
    fputs(text, out);
    fclose(out);
  }
  Module *m = calloc(1, sizeof *m);
  m->text = strdup(text);
  m->arch = version;
  *module = m;
  note("load PTX for sm_%d on sm_%d", version, arch());
  return OK;
}

CUresult cuModuleUnload(void *module) {
  Module *m = module;
  while (m->functions) {
    Function *next = m->functions->next;
    free(m->functions);
    m->functions = next;
  }
  free(m->text);
  free(m);
  note("unload");
  return OK;
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  Module *m = module;
  char entry[300];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  const char *at = strstr(m->text, entry);
  if (!at)
    return NOT_FOUND;
  Function *f = calloc(1, sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  const char *end = strchr(at, ')');
  for (const char *p = strstr(at, ".param"); p && p < end; p = strstr(p + 1, ".param"))
    ++f->params;
  const char *emulation = getenv("FAKE_CUDA_EMULATION");
  if (emulation && *emulation) {
    static void *library;
    if (!library && !(library = dlopen(emulation, RTLD_NOW | RTLD_LOCAL))) {
      note("cannot load %s: %s", emulation, dlerror());
      free(f);
      return NOT_FOUND;
    }
    char symbol[300];
    snprintf(symbol, sizeof symbol, "%s_emu", name);
    emulation_ids = dlsym(library, "lepton_emu_ids");
    if (!emulation_ids || !(f->emulation = (void (*)(void **))dlsym(library, symbol))) {
      free(f);
      return NOT_FOUND;
    }
    snprintf(symbol, sizeof symbol, "%s_emu_cooperative", name);
    f->cooperative = dlsym(library, symbol) != NULL;
    void (**hook)(void) = dlsym(library, "lepton_emu_barrier_hook");
    if (hook)
      *hook = emulation_barrier;
  }
  f->next = m->functions;
  m->functions = f;
  *function = f;
  return OK;
}

CUresult cuMemAlloc_v2(unsigned long long *pointer, size_t bytes) {
  if (!pushed || bytes == 0)
    return INVALID_VALUE;
  void *p = calloc(1, bytes);
  if (!p)
    return INVALID_VALUE;
  ++allocations;
  *pointer = (unsigned long long)(size_t)p;
  return OK;
}

CUresult cuMemFree_v2(unsigned long long pointer) {
  free((void *)(size_t)pointer);
  if (--allocations == 0)
    note("all device memory freed");
  return OK;
}

CUresult cuMemcpyHtoD_v2(unsigned long long to, const void *from, size_t bytes) {
  memcpy((void *)(size_t)to, from, bytes);
  return pushed ? OK : INVALID_CONTEXT;
}

CUresult cuMemcpyDtoH_v2(void *to, unsigned long long from, size_t bytes) {
  memcpy(to, (const void *)(size_t)from, bytes);
  return pushed ? OK : INVALID_CONTEXT;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream, void **params,
                        void **extra) {
  Function *f = function;
  if (!pushed)
    return INVALID_CONTEXT;
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 || bz > 64 ||
      (unsigned long long)bx * by * bz > 1024 || stream || extra || (f->params && !params))
    return INVALID_VALUE;
  if (shared > 48 * 1024)
    return LAUNCH_OUT_OF_RESOURCES;
  unsigned long long checksum = 0; /* reads every parameter the kernel takes */
  for (int i = 0; i < f->params; ++i)
    checksum += *(const unsigned long long *)params[i];
  note("launch %s grid %ux%ux%u block %ux%ux%u params %d", f->name, gx, gy, gz, bx, by, bz,
       f->params);
  if (f->emulation) {
    unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
    long long *ids = emulation_ids;
    for (int d = 0; d < 3; ++d) {
      ids[6 + d] = block[d];
      ids[9 + d] = grid[d];
    }
    for (ids[5] = 0; ids[5] < gz; ++ids[5])
      for (ids[4] = 0; ids[4] < gy; ++ids[4])
        for (ids[3] = 0; ids[3] < gx; ++ids[3]) {
          if (f->cooperative) {
            run_block_cooperatively(f, params, ids);
            continue;
          }
          for (ids[2] = 0; ids[2] < bz; ++ids[2])
            for (ids[1] = 0; ids[1] < by; ++ids[1])
              for (ids[0] = 0; ids[0] < bx; ++ids[0])
                f->emulation(params);
        }
  }
  (void)checksum;
  return OK;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
  case NO_DEVICE: *name = "CUDA_ERROR_NO_DEVICE"; break;
  case INVALID_PTX: *name = "CUDA_ERROR_INVALID_PTX"; break;
  case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
  default: *name = NULL; return INVALID_VALUE;
  }
  return OK;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  const char *name;
  if (cuGetErrorName(error, &name) != OK)
    return INVALID_VALUE;
  *text = "reported by the fake driver";
  return OK;
}
