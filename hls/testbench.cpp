@BANNER@// The C simulation testbench: runs every golden input set through the design
// and compares its outputs with those of Lepton's CPU backend. Exit code 0
// when all match, 1 otherwise.
#include "@NAME@.h"
#include "@NAME@_tb_data.h"

#include <cmath>
#include <cstdio>
#include <cstring>

// 1: float outputs must match bit for bit (integer arithmetic between float
// boundaries); 0: within a tolerance of the largest reference magnitude.
#define LEPTON_EXACT @EXACT@
static const double kTolerance = @TOLERANCE@;

template <typename T>
static int compareReal(const char *name, int set, const T *got, const T *want, int n) {
  double largest = 0, worst = 0;
  int mismatches = 0;
  for (int i = 0; i < n; ++i) {
    largest = std::fmax(largest, std::fabs((double)want[i]));
    worst = std::fmax(worst, std::fabs((double)got[i] - (double)want[i]));
    if (LEPTON_EXACT && std::memcmp(&got[i], &want[i], sizeof(T)) != 0)
      ++mismatches;
  }
  bool ok = LEPTON_EXACT ? mismatches == 0 : worst <= kTolerance * (largest > 0 ? largest : 1);
  std::printf("set %d output %s: max |error| %.3g (largest |reference| %.3g)%s%s\n", set, name,
              worst, largest, LEPTON_EXACT ? ", bit-exact" : "", ok ? "" : "  MISMATCH");
  return ok ? 0 : 1;
}

// Integer and bool outputs: every element exactly, as a value of the port's
// width (the golden values are the CPU backend's, sign- or zero-extended).
template <typename T, typename R>
static int compareExact(const char *name, int set, const T *got, const R *want, int n) {
  int mismatches = 0;
  for (int i = 0; i < n; ++i)
    if (!(got[i] == T(want[i])))
      ++mismatches;
  std::printf("set %d output %s: %d of %d elements differ, bit-exact%s\n", set, name, mismatches,
              n, mismatches ? "  MISMATCH" : "");
  return mismatches ? 1 : 0;
}

int main() {
  int failures = 0;
  for (int s = 0; s < kSets; ++s) {
@DECLARE@@FEED@@CALL@@COMPARE@  }
  std::printf("%s: %d of %d sets match\n", failures ? "FAIL" : "PASS", kSets - failures, kSets);
  return failures ? 1 : 0;
}
