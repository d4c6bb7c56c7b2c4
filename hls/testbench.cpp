@BANNER@// The C simulation testbench: runs every golden input set through the design
// and compares its outputs with those of Lepton's CPU backend. Exit code 0
// when all match, 1 otherwise.
#include "@NAME@.h"
#include "@NAME@_tb_data.h"

#include <cmath>
#include <cstdio>
#include <cstring>

// 1: the outputs must match bit for bit (integer arithmetic between float
// boundaries); 0: within a tolerance of the largest reference magnitude.
#define LEPTON_EXACT @EXACT@
static const double kTolerance = @TOLERANCE@;

static int compare(const char *name, int set, const float *got, const float *want, int n) {
  double largest = 0, worst = 0;
  int mismatches = 0;
  for (int i = 0; i < n; ++i) {
    largest = std::fmax(largest, std::fabs((double)want[i]));
    worst = std::fmax(worst, std::fabs((double)got[i] - (double)want[i]));
    if (LEPTON_EXACT && std::memcmp(&got[i], &want[i], sizeof(float)) != 0)
      ++mismatches;
  }
  bool ok = LEPTON_EXACT ? mismatches == 0 : worst <= kTolerance * (largest > 0 ? largest : 1);
  std::printf("set %d output %s: max |error| %.3g (largest |reference| %.3g)%s%s\n", set, name,
              worst, largest, LEPTON_EXACT ? ", bit-exact" : "", ok ? "" : "  MISMATCH");
  return ok ? 0 : 1;
}

int main() {
  int failures = 0;
  for (int s = 0; s < kSets; ++s) {
@DECLARE@@FEED@@CALL@@COMPARE@  }
  std::printf("%s: %d of %d sets match\n", failures ? "FAIL" : "PASS", kSets - failures, kSets);
  return failures ? 1 : 0;
}
