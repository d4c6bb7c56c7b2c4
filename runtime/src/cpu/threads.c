/*===- threads.c - the thread pool generated code runs its kernels on -----===*
 *
 * lepton_parallel_for splits [0, n) into one contiguous range per thread
 * (kernels hand it equal-cost tiles). The calling thread runs the first
 * range; workers wait for the next job by spinning briefly, then on a
 * condition variable, so back-to-back kernels do not pay a wake-up each.
 * One job runs at a time: a call made while another is in flight (a second
 * model on another thread) runs serially instead of waiting.
 *
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "lepton/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { kMaxThreads = 256, kSpins = 20000 };

static struct {
  pthread_mutex_t busy; /* held by the thread that owns the pool's job */
  pthread_mutex_t lock; /* guards the condition variables' predicates */
  pthread_cond_t wake;
  int requested;        /* lepton_set_num_threads; 0: the default */
  int threads;          /* workers + 1 while the pool runs, else 0 */
  pthread_t workers[kMaxThreads];
  atomic_ulong generation; /* bumped once per job */
  atomic_int pending;      /* workers still running the current job */
  atomic_int stop;
  lepton_task_fn fn;
  void *ctx;
  int64_t n;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

/* Tells the core a thread is spinning, so it yields the pipeline to others. */
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int default_threads(void) {
  const char *env = getenv("LEPTON_NUM_THREADS");
  long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : (int)n;
}

static void run_range(int index, int count) {
  int64_t begin = pool.n * index / count, end = pool.n * (index + 1) / count;
  if (begin < end)
    pool.fn(pool.ctx, begin, end);
}

static void *worker(void *arg) {
  int index = (int)(intptr_t)arg;
  unsigned long seen = 0;
  for (;;) {
    unsigned long now;
    for (int spin = 0; (now = atomic_load(&pool.generation)) == seen && spin < kSpins; ++spin)
      cpu_relax();
    if (now == seen) {
      pthread_mutex_lock(&pool.lock);
      while ((now = atomic_load(&pool.generation)) == seen && !atomic_load(&pool.stop))
        pthread_cond_wait(&pool.wake, &pool.lock);
      pthread_mutex_unlock(&pool.lock);
    }
    if (atomic_load(&pool.stop))
      return NULL;
    seen = now;
    run_range(index, pool.threads);
    atomic_fetch_sub(&pool.pending, 1);
  }
}

static void stop_pool(void) {
  if (pool.threads <= 1)
    return;
  pthread_mutex_lock(&pool.lock);
  atomic_store(&pool.stop, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  for (int i = 1; i < pool.threads; ++i)
    pthread_join(pool.workers[i], NULL);
  atomic_store(&pool.stop, 0);
  pool.threads = 0;
}

/* Starts `count` - 1 workers; returns how many threads the pool has. */
static int start_pool(int count) {
  pool.threads = count;
  for (int i = 1; i < count; ++i)
    if (pthread_create(&pool.workers[i], NULL, worker, (void *)(intptr_t)i) != 0) {
      pool.threads = i; /* run with the workers that started */
      break;
    }
  return pool.threads;
}

void lepton_set_num_threads(int threads) {
  pthread_mutex_lock(&pool.busy);
  pool.requested = threads < 1 ? 0 : threads > kMaxThreads ? kMaxThreads : threads;
  stop_pool();
  pthread_mutex_unlock(&pool.busy);
}

int lepton_get_num_threads(void) {
  return pool.requested ? pool.requested : default_threads();
}

void lepton_parallel_for(int64_t n, lepton_task_fn fn, void *ctx) {
  if (n <= 0)
    return;
  if (n == 1 || pthread_mutex_trylock(&pool.busy) != 0) {
    fn(ctx, 0, n);
    return;
  }
  int threads = pool.threads ? pool.threads : start_pool(lepton_get_num_threads());
  if (threads <= 1) {
    pthread_mutex_unlock(&pool.busy);
    fn(ctx, 0, n);
    return;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n = n;
  atomic_store(&pool.pending, threads - 1);
  pthread_mutex_lock(&pool.lock);
  atomic_fetch_add(&pool.generation, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  run_range(0, threads);
  while (atomic_load(&pool.pending) > 0)
    cpu_relax();
  pthread_mutex_unlock(&pool.busy);
}
