/* Measures the FP32 FMA peak of one core: 12 independent accumulator chains
 * of fused multiply-adds on the widest vectors the compiler targets
 * (-march=native), long enough that latency hides behind throughput. */
#include <stdio.h>
#include <time.h>

#define LANES 16 /* floats per chain element; the compiler maps these to vectors */
#define CHAINS 12

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

int main(void) {
  vec acc[CHAINS], a, b;
  for (int i = 0; i < LANES; ++i) {
    a[i] = 1.0f + 1e-7f * i;
    b[i] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = a * (float)c;
  const long iterations = 200000000L / LANES;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] = acc[c] * a + b; /* contracted to one FMA */
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  float sink = 0;
  for (int c = 0; c < CHAINS; ++c)
    for (int i = 0; i < LANES; ++i)
      sink += acc[c][i];
  double flops = 2.0 * LANES * CHAINS * (double)iterations;
  printf("%.1f\n", flops / seconds / 1e9);
  return sink == 12345.0f; /* keeps the loop alive */
}
