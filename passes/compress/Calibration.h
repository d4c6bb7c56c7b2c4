//===- Calibration.h - activation ranges from calibration runs ---*- C++ -*-===//
//
// Statistics of each tapped tensor over the calibration inputs and the range
// each method chooses for 8-bit asymmetric quantization.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_PASSES_COMPRESS_CALIBRATION_H
#define LEPTON_PASSES_COMPRESS_CALIBRATION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <utility>
#include <vector>

namespace lepton::compress {

enum class CalibrationMethod { MinMax, Percentile, Entropy, MSE };

/// "minmax", "percentile", "entropy" or "mse".
std::optional<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name);

/// One tensor's values over the calibration sets, in two passes: the range
/// first, then a histogram over that range.
class TensorStatistics {
public:
  static constexpr int kBins = 2048;

  void observeRange(llvm::ArrayRef<float> values);
  void observeHistogram(llvm::ArrayRef<float> values);

  /// The real range [lo, hi] (containing 0) to quantize to `levels` steps.
  std::pair<double, double> choose(CalibrationMethod method, int levels = 256) const;

  double min() const { return lo; }
  double max() const { return hi; }

private:
  /// The range [a*L, a*H] for the clipping factor a in (0, 1] that
  /// minimizes `cost` (lower is better) over a grid.
  template <typename Cost>
  std::pair<double, double> bestClipping(Cost cost) const;
  /// The centre of bin `i`.
  double centre(int i) const;

  double lo = 0, hi = 0; // always containing 0
  bool seen = false;
  std::vector<double> bins;
};

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_CALIBRATION_H
