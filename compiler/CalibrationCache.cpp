//===- CalibrationCache.cpp - calibration results kept between compiles ---===//
#include "compiler/CalibrationCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace lepton {

namespace {

// Bump when the calibration or the file layout changes.
constexpr llvm::StringLiteral kMagic = "lepton-calibration-5";

/// Reads the little-endian file back; any mismatch gives none.
class Reader {
public:
  explicit Reader(llvm::StringRef data) : data(data) {}
  bool u64(uint64_t &v) { return raw(&v, sizeof v); }
  bool raw(void *out, size_t bytes) {
    if (data.size() < bytes)
      return false;
    std::memcpy(out, data.data(), bytes);
    data = data.drop_front(bytes);
    return true;
  }
  /// A count, then that many values of T (at most what the data can hold).
  template <typename T> bool array(std::vector<T> &values) {
    uint64_t n;
    if (!u64(n) || n > data.size() / sizeof(T))
      return false;
    values.resize(n);
    return raw(values.data(), n * sizeof(T));
  }
  bool done() const { return data.empty(); }

private:
  llvm::StringRef data;
};

} // namespace

std::string defaultCacheDirectory() {
  llvm::SmallString<128> dir;
  if (std::optional<std::string> xdg = llvm::sys::Process::GetEnv("XDG_CACHE_HOME"); xdg && !xdg->empty())
    dir = *xdg;
  else if (std::optional<std::string> home = llvm::sys::Process::GetEnv("HOME"); home && !home->empty())
    llvm::sys::path::append(dir, *home, ".cache");
  else
    return "";
  llvm::sys::path::append(dir, "lepton");
  return dir.str().str();
}

FileCalibrationCache::FileCalibrationCache(const std::string &directory,
                                           const std::string &modelPath,
                                           const std::vector<InputSet> &sets,
                                           const std::string &method) {
  auto model = llvm::MemoryBuffer::getFile(modelPath);
  if (directory.empty() || !model)
    return;
  llvm::SHA256 hash;
  auto add = [&](llvm::StringRef bytes) {
    uint64_t size = bytes.size();
    hash.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(&size), sizeof size));
    hash.update(bytes);
  };
  add(kMagic);
  add(method);
  add((*model)->getBuffer());
  for (const InputSet &set : sets)
    for (const onnx::HostTensor &t : set) {
      add(llvm::StringRef(reinterpret_cast<const char *>(&t.dtype), sizeof t.dtype));
      add(llvm::StringRef(reinterpret_cast<const char *>(t.shape.data()),
                          t.shape.size() * sizeof(int64_t)));
      add(llvm::StringRef(t.data.data(), t.data.size()));
    }
  std::array<uint8_t, 32> digest = hash.final();
  llvm::SmallString<128> file(directory);
  llvm::sys::path::append(file, "calibration", llvm::toHex(digest, /*LowerCase=*/true) + ".bin");
  path = file.str().str();
}

std::optional<compress::CalibrationResult> FileCalibrationCache::load() {
  if (path.empty())
    return std::nullopt;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::StringRef data = (*buffer)->getBuffer();
  if (!data.consume_front(kMagic))
    return std::nullopt;
  Reader in(data);
  compress::CalibrationResult result;
  uint64_t ranges, sets;
  if (!in.u64(ranges) || ranges > data.size() / 32)
    return std::nullopt;
  result.ranges.resize(ranges);
  result.observedRanges.resize(ranges);
  for (auto *list : {&result.ranges, &result.observedRanges})
    for (auto &[lo, hi] : *list)
      if (!in.raw(&lo, sizeof lo) || !in.raw(&hi, sizeof hi))
        return std::nullopt;
  if (!in.u64(sets) || sets > data.size())
    return std::nullopt;
  result.teacherOutputs.resize(sets);
  for (auto &outputs : result.teacherOutputs) {
    uint64_t count;
    if (!in.u64(count) || count > data.size())
      return std::nullopt;
    outputs.resize(count);
    for (std::vector<float> &values : outputs)
      if (!in.array(values))
        return std::nullopt;
  }
  uint64_t taps;
  if (!in.u64(taps) || taps > data.size())
    return std::nullopt;
  result.channelMeans.resize(taps);
  for (std::vector<double> &means : result.channelMeans)
    if (!in.array(means))
      return std::nullopt;
  if (!in.done())
    return std::nullopt;
  return result;
}

void FileCalibrationCache::store(const compress::CalibrationResult &result) {
  if (path.empty() || llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return;
  std::string bytes = kMagic.str();
  auto u64 = [&](uint64_t v) { bytes.append(reinterpret_cast<const char *>(&v), sizeof v); };
  auto array = [&](const auto &values) {
    u64(values.size());
    bytes.append(reinterpret_cast<const char *>(values.data()),
                 values.size() * sizeof(values[0]));
  };
  u64(result.ranges.size());
  for (const auto *list : {&result.ranges, &result.observedRanges})
    for (auto [lo, hi] : *list) {
      bytes.append(reinterpret_cast<const char *>(&lo), sizeof lo);
      bytes.append(reinterpret_cast<const char *>(&hi), sizeof hi);
    }
  u64(result.teacherOutputs.size());
  for (const auto &outputs : result.teacherOutputs) {
    u64(outputs.size());
    for (const std::vector<float> &values : outputs)
      array(values);
  }
  u64(result.channelMeans.size());
  for (const std::vector<double> &means : result.channelMeans)
    array(means);
  // Written beside and renamed: a concurrent compile never reads half a file.
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp) {
    llvm::consumeError(temp.takeError());
    return;
  }
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
  }
  if (llvm::Error e = temp->keep(path))
    llvm::consumeError(std::move(e));
}

} // namespace lepton
