//===- lepton-run.cpp - run a compiled model on .pb tensors ---------------===//
//
// Loads a shared library written by leptonc through the C runtime, reads
// inputs in the ONNX backend-test layout (DIR/input_N.pb), runs the model,
// prints or writes the outputs and compares them with expected ones.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/onnx/TensorIO.h"
#include "lepton/runtime.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <map>
#include <string>
#include <vector>

using lepton::onnx::HostTensor;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

float halfToFloat(uint16_t h, bool bfloat) {
  uint32_t bits;
  if (bfloat) {
    bits = uint32_t(h) << 16;
  } else {
    uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
    if (exp == 0 && man == 0)
      bits = sign << 31;
    else if (exp == 0) { // subnormal
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 1024));
      bits = (sign << 31) | uint32_t(127 - 15 - e) << 23 | (man & 1023) << 13;
    } else if (exp == 31)
      bits = (sign << 31) | 0xff << 23 | man << 13;
    else
      bits = (sign << 31) | (exp - 15 + 127) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Element `i` as a double (integers exactly up to 2^53).
double element(const HostTensor &t, int64_t i) {
  const char *p = t.data.data() + i * lepton::onnx::dtypeSize(t.dtype);
  auto get = [p](auto v) { std::memcpy(&v, p, sizeof v); return static_cast<double>(v); };
  switch (t.dtype) {
  case LEPTON_FLOAT32: return get(float());
  case LEPTON_FLOAT64: return get(double());
  case LEPTON_FLOAT16: return halfToFloat(static_cast<uint16_t>(get(uint16_t())), false);
  case LEPTON_BFLOAT16: return halfToFloat(static_cast<uint16_t>(get(uint16_t())), true);
  case LEPTON_INT8: return get(int8_t());
  case LEPTON_UINT8: case LEPTON_BOOL: return get(uint8_t());
  case LEPTON_INT16: return get(int16_t());
  case LEPTON_UINT16: return get(uint16_t());
  case LEPTON_INT32: return get(int32_t());
  case LEPTON_UINT32: return get(uint32_t());
  case LEPTON_INT64: return get(int64_t());
  case LEPTON_UINT64: return get(uint64_t());
  }
  return NAN;
}

bool isFloat(int32_t dtype) {
  return dtype == LEPTON_FLOAT32 || dtype == LEPTON_FLOAT64 ||
         dtype == LEPTON_FLOAT16 || dtype == LEPTON_BFLOAT16;
}

/// numpy.allclose semantics for floats (NaN equals NaN), exact for integers.
bool compare(const HostTensor &got, const HostTensor &want, double rtol,
             double atol) {
  if (got.dtype != want.dtype || got.shape != want.shape) {
    std::printf("  %s: MISMATCH got %s %s, expected %s %s\n", want.name.c_str(),
                lepton::onnx::dtypeName(got.dtype), shapeString(got.shape).c_str(),
                lepton::onnx::dtypeName(want.dtype), shapeString(want.shape).c_str());
    return false;
  }
  bool exact = !isFloat(want.dtype);
  double maxAbs = 0, maxRef = 0;
  int64_t bad = 0, firstBad = -1;
  for (int64_t i = 0, n = want.numElements(); i < n; ++i) {
    double a = element(got, i), b = element(want, i);
    bool ok;
    if (std::isnan(a) || std::isnan(b))
      ok = std::isnan(a) && std::isnan(b);
    else if (std::isinf(a) || std::isinf(b))
      ok = a == b;
    else {
      double diff = std::fabs(a - b);
      maxAbs = std::max(maxAbs, diff);
      maxRef = std::max(maxRef, std::fabs(b));
      ok = exact ? a == b : diff <= atol + rtol * std::fabs(b);
    }
    if (!ok && bad++ == 0)
      firstBad = i;
  }
  double maxRel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  std::printf("  %s: max_abs_error=%.3g max_rel_error=%.3g %s\n", want.name.c_str(),
              maxAbs, maxRel, bad ? "FAIL" : "ok");
  if (bad)
    std::printf("    %lld of %lld elements outside tolerance; first at %lld: got %.9g, "
                "expected %.9g\n",
                (long long)bad, (long long)want.numElements(), (long long)firstBad,
                element(got, firstBad), element(want, firstBad));
  return bad == 0;
}

void printTensor(const HostTensor &t, int64_t limit) {
  std::printf("%s: %s %s =", t.name.c_str(), lepton::onnx::dtypeName(t.dtype),
              shapeString(t.shape).c_str());
  int64_t n = t.numElements();
  for (int64_t i = 0; i < n && i < limit; ++i)
    std::printf(" %.6g", element(t, i));
  std::printf("%s\n", n > limit ? " ..." : "");
}

/// Prints where the time of `runs` runs went, per ONNX node, slowest first.
void printProfile(const lepton_profile &profile, unsigned runs) {
  struct Node {
    std::string name;
    int64_t ns = 0;
    std::vector<std::pair<std::string, int64_t>> operations;
  };
  std::vector<Node> nodes;
  std::map<std::string, size_t> index;
  int64_t total = 0;
  for (uint32_t i = 0; i < profile.count; ++i) {
    auto [it, added] = index.try_emplace(profile.nodes[i], nodes.size());
    if (added)
      nodes.push_back({profile.nodes[i]});
    nodes[it->second].ns += profile.nanoseconds[i];
    nodes[it->second].operations.push_back({profile.kinds[i], profile.nanoseconds[i]});
    total += profile.nanoseconds[i];
  }
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const Node &a, const Node &b) { return a.ns > b.ns; });
  auto ms = [&](int64_t ns) { return ns / 1e6 / runs; };
  std::printf("profile: %u operations of %zu ONNX nodes, %.3f ms per run in all\n",
              profile.count, nodes.size(), ms(total));
  std::printf("%10s %6s %6s  %s\n", "ms/run", "%", "cum%", "node: operations with their ms/run");
  int64_t cumulative = 0;
  for (const Node &n : nodes) {
    cumulative += n.ns;
    std::string kinds;
    for (const auto &[kind, ns] : n.operations) {
      char time[32];
      std::snprintf(time, sizeof time, " %.3f", ms(ns));
      kinds += (kinds.empty() ? "" : ", ") + kind + time;
    }
    std::printf("%10.3f %6.1f %6.1f  %s: %s\n", ms(n.ns),
                100.0 * n.ns / std::max<int64_t>(total, 1),
                100.0 * cumulative / std::max<int64_t>(total, 1), n.name.c_str(), kinds.c_str());
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, inputDir, expectDir, outputDir;
  double rtol = 1e-3, atol = 1e-5;
  int64_t printLimit = 10;
  unsigned repeat = 1;
  bool profile = false;
  int threads = 0;
  std::string device;

  CLI::App app{"lepton-run: run a model compiled by leptonc on ONNX .pb tensors.\n"};
  app.footer("Example:\n"
             "  lepton-run mlp.so --inputs test_data_set_0 --expect test_data_set_0\n\n"
             "Inputs are DIR/input_N.pb and expected outputs DIR/output_N.pb, one\n"
             "TensorProto each, in the model's input/output order (the ONNX\n"
             "backend-test layout). Exit code 0 when the run succeeded and every\n"
             "output is within tolerance, 1 otherwise, 2 for a bad command line.");
  app.add_option("model", modelPath, "shared library written by leptonc")->required();
  app.add_option("--inputs", inputDir, "directory holding input_N.pb")->required();
  app.add_option("--expect", expectDir,
                 "directory holding expected output_N.pb to compare with");
  app.add_option("--outputs", outputDir, "directory to write output_N.pb into");
  app.add_option("--rtol", rtol, "relative tolerance of --expect")->default_val(1e-3);
  app.add_option("--atol", atol, "absolute tolerance of --expect")->default_val(1e-5);
  app.add_option("--print", printLimit, "elements printed per output (0: none)")
      ->default_val(10);
  app.add_option("--repeat", repeat,
                 "time this many runs (after one warm-up run) and print their median, p90 "
                 "and mean")
      ->default_val(1)
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads,
                 "threads of the runtime's pool for multi-threaded models (default: "
                 "LEPTON_NUM_THREADS, else one per CPU)")
      ->check(CLI::Range(1, 256));
  app.add_option("--device", device,
                 "where the model must run: cpu, or cuda (a model compiled with leptonc "
                 "--target=cuda, on GPU LEPTON_CUDA_DEVICE, default 0); default: where it "
                 "was compiled for")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--profile", profile,
               "print the time per ONNX node over the --repeat runs (the model must be "
               "compiled with leptonc --profile)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (threads > 0)
    lepton_set_num_threads(threads);
  lepton_model *model = nullptr;
  if (lepton_load(modelPath.c_str(), &model) != LEPTON_OK)
    return fail(lepton_last_error());
  struct Unload {
    lepton_model *m;
    ~Unload() { lepton_unload(m); }
  } unload{model};
  const char *compiledFor =
      lepton_descriptor(model)->target == LEPTON_TARGET_CUDA ? "cuda" : "cpu";
  if (!device.empty() && device != compiledFor)
    return fail(modelPath + " was compiled for " + compiledFor + ", not " + device +
                " (leptonc --target=" + device + ")");

  std::vector<HostTensor> inputs(lepton_num_inputs(model));
  std::vector<lepton_tensor> inputViews;
  std::string error;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string path = inputDir + "/input_" + std::to_string(i) + ".pb";
    if (!lepton::onnx::readTensorFile(path, inputs[i], error))
      return fail(error);
    // numpy has no bfloat16, so bfloat16 data is often saved as its uint16
    // bit patterns (the ONNX test data does): take those bits as bfloat16.
    if (inputs[i].dtype == LEPTON_UINT16 && lepton_input_info(model, i) &&
        lepton_input_info(model, i)->dtype == LEPTON_BFLOAT16)
      inputs[i].dtype = LEPTON_BFLOAT16;
    inputViews.push_back({inputs[i].data.data(), inputs[i].dtype,
                          static_cast<int32_t>(inputs[i].shape.size()),
                          inputs[i].shape.data()});
  }
  // The batch of a model compiled for every batch size: the leading dim of
  // the inputs whose descriptor shape starts with -1.
  int64_t batch = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const lepton_tensor_desc *info = lepton_input_info(model, i);
    if (info->rank > 0 && info->shape[0] < 0 && !inputs[i].shape.empty())
      batch = inputs[i].shape[0];
  }
  std::vector<HostTensor> outputs(lepton_num_outputs(model));
  std::vector<lepton_tensor> outputViews;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const lepton_tensor_desc *info = lepton_output_info(model, i);
    HostTensor &t = outputs[i];
    t.name = info->name;
    t.dtype = info->dtype;
    t.shape.assign(info->shape, info->shape + info->rank);
    int64_t elements = 1;
    for (int64_t &d : t.shape) {
      if (d < 0)
        d = batch;
      elements *= d;
    }
    t.data.assign(elements * lepton_dtype_size(info->dtype), 0);
    outputViews.push_back({t.data.data(), t.dtype, info->rank, t.shape.data()});
  }

  auto runOnce = [&]() -> double {
    auto start = std::chrono::steady_clock::now();
    if (lepton_run(model, inputViews.data(), inputViews.size(), outputViews.data(),
                   outputViews.size()) != LEPTON_OK)
      return -1;
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  const lepton_profile *timers = profile ? lepton_profile_of(model) : nullptr;
  if (profile && !timers)
    return fail(modelPath + ": no per-operation timers; compile the model with leptonc --profile");
  if (repeat > 1 && runOnce() < 0) // warm-up: caches, page faults, lazy binding
    return fail(modelPath + ": " + lepton_last_error());
  if (timers)
    std::fill(timers->nanoseconds, timers->nanoseconds + timers->count, 0);
  std::vector<double> times;
  for (unsigned r = 0; r < repeat; ++r) {
    times.push_back(runOnce());
    if (times.back() < 0)
      return fail(modelPath + ": " + lepton_last_error());
  }
  if (repeat > 1) {
    double mean = std::accumulate(times.begin(), times.end(), 0.0) / times.size();
    std::sort(times.begin(), times.end());
    auto at = [&](double q) { return times[std::min(times.size() - 1, size_t(q * times.size()))]; };
    std::printf("time: median %.3f ms, p90 %.3f ms, mean %.3f ms over %u runs\n", at(0.5),
                at(0.9), mean, repeat);
  }
  if (timers)
    printProfile(*timers, repeat);

  if (printLimit > 0)
    for (const HostTensor &t : outputs)
      printTensor(t, printLimit);
  if (!outputDir.empty())
    for (size_t i = 0; i < outputs.size(); ++i)
      if (!lepton::onnx::writeTensorFile(outputDir + "/output_" + std::to_string(i) + ".pb",
                                         outputs[i], error))
        return fail(error);
  if (expectDir.empty())
    return 0;
  std::printf("compare with %s (rtol=%g, atol=%g):\n", expectDir.c_str(), rtol, atol);
  bool ok = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    HostTensor want;
    std::string path = expectDir + "/output_" + std::to_string(i) + ".pb";
    if (!lepton::onnx::readTensorFile(path, want, error))
      return fail(error);
    want.name = outputs[i].name;
    ok &= compare(outputs[i], want, rtol, atol);
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
