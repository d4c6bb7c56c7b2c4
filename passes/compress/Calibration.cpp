//===- Calibration.cpp - activation ranges from calibration runs ----------===//
#include "passes/compress/Calibration.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lepton::compress {

std::optional<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<CalibrationMethod>>(name)
      .Case("minmax", CalibrationMethod::MinMax)
      .Case("percentile", CalibrationMethod::Percentile)
      .Case("entropy", CalibrationMethod::Entropy)
      .Case("mse", CalibrationMethod::MSE)
      .Default(std::nullopt);
}

void TensorStatistics::observeRange(llvm::ArrayRef<float> values) {
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
  }
  seen = true;
}

void TensorStatistics::observeHistogram(llvm::ArrayRef<float> values) {
  if (bins.empty())
    bins.assign(kBins, 0);
  double width = (hi - lo) / kBins;
  if (width <= 0)
    return;
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    int bin = int((double(v) - lo) / width);
    bins[std::clamp(bin, 0, kBins - 1)] += 1;
  }
}

double TensorStatistics::centre(int i) const {
  return lo + (i + 0.5) * (hi - lo) / kBins;
}

template <typename Cost>
std::pair<double, double> TensorStatistics::bestClipping(Cost cost) const {
  double best = std::numeric_limits<double>::infinity(), bestFactor = 1;
  for (int step = 0; step < 100; ++step) {
    double factor = 1.0 - step * 0.0095; // 1 down to 0.06
    double c = cost(lo * factor, hi * factor);
    if (c < best) {
      best = c;
      bestFactor = factor;
    }
  }
  return {lo * bestFactor, hi * bestFactor};
}

std::pair<double, double> TensorStatistics::choose(CalibrationMethod method, int levels) const {
  double total = 0;
  for (double count : bins)
    total += count;
  if (method == CalibrationMethod::MinMax || hi <= lo || total == 0)
    return {lo, hi};

  if (method == CalibrationMethod::Percentile) {
    // 99.99% of the values inside; the range still contains 0.
    double tail = total * 1e-4, below = 0, above = 0;
    int first = 0, last = kBins - 1;
    while (first < last && below + bins[first] <= tail)
      below += bins[first++];
    while (last > first && above + bins[last] <= tail)
      above += bins[last--];
    double width = (hi - lo) / kBins;
    return {std::min(0.0, lo + first * width), std::max(0.0, lo + (last + 1) * width)};
  }

  if (method == CalibrationMethod::MSE) {
    // Expected squared error of rounding and clipping, bin centres standing
    // for their values.
    return bestClipping([&](double a, double b) {
      double scale = (b - a) / (levels - 1);
      double zero = std::round(-a / scale);
      double error = 0;
      for (int i = 0; i < kBins; ++i) {
        if (!bins[i])
          continue;
        double x = centre(i);
        double q = std::clamp(std::round(x / scale) + zero, 0.0, double(levels - 1));
        double d = x - (q - zero) * scale;
        error += bins[i] * d * d;
      }
      return error;
    });
  }

  // Entropy (TensorRT's calibration, here for asymmetric ranges): the KL
  // divergence between P, the histogram clipped to the range with the
  // outliers folded into its edge bins, and Q, the clipped histogram without
  // them quantized to `levels` steps, each step's mass spread evenly over
  // its non-empty bins. Clipping costs through the folded mass Q lacks; a
  // range narrower than `levels` bins is not considered.
  return bestClipping([&](double a, double b) {
    double width = (hi - lo) / kBins;
    int first = std::clamp(int((a - lo) / width), 0, kBins - 1);
    int last = std::clamp(int(std::ceil((b - lo) / width)) - 1, first, kBins - 1);
    int n = last - first + 1;
    if (n < levels && n < kBins)
      return std::numeric_limits<double>::infinity();
    std::vector<double> clipped(bins.begin() + first, bins.begin() + last + 1);
    std::vector<double> p = clipped;
    for (int i = 0; i < first; ++i)
      p.front() += bins[i];
    for (int i = last + 1; i < kBins; ++i)
      p.back() += bins[i];
    std::vector<double> q(n, 0);
    for (int g = 0; g < levels; ++g) {
      int begin = g * n / levels, end = (g + 1) * n / levels;
      double mass = 0;
      int nonEmpty = 0;
      for (int i = begin; i < end; ++i) {
        mass += clipped[i];
        nonEmpty += clipped[i] > 0;
      }
      for (int i = begin; i < end; ++i)
        q[i] = clipped[i] > 0 ? mass / nonEmpty : 0;
    }
    double kl = 0;
    for (int i = 0; i < n; ++i)
      if (p[i] > 0)
        kl += p[i] / total * std::log(p[i] / std::max(q[i], 1e-6));
    return kl;
  });
}

} // namespace lepton::compress
