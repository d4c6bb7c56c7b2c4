//===- CalibrationCache.h - calibration results kept between compiles -*- C++ -*-===//
//
// Running the teacher over the calibration data is the expensive part of
// --quantize. Its result (the chosen ranges and the teacher's outputs) is
// kept in a file named by a SHA-256 of the model file, every calibration
// input (type, shape, bytes) and the method, so recompiling the same model
// with the same data skips it.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_CALIBRATIONCACHE_H
#define LEPTON_COMPILER_CALIBRATIONCACHE_H

#include "compiler/Evaluator.h"
#include "passes/compress/Compress.h"

#include <string>

namespace lepton {

/// $XDG_CACHE_HOME/lepton, else $HOME/.cache/lepton; empty when neither is
/// set.
std::string defaultCacheDirectory();

class FileCalibrationCache : public compress::CalibrationCache {
public:
  FileCalibrationCache(const std::string &directory, const std::string &modelPath,
                       const std::vector<InputSet> &sets, const std::string &method);

  std::optional<compress::CalibrationResult> load() override;
  /// Best effort: a cache that cannot be written is skipped silently.
  void store(const compress::CalibrationResult &result) override;

private:
  std::string path; // empty: the model could not be read, no caching
};

} // namespace lepton

#endif // LEPTON_COMPILER_CALIBRATIONCACHE_H
