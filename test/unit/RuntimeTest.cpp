//===- RuntimeTest.cpp - the C runtime's checks and errors ----------------===//
#include "lepton/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <vector>

namespace {

// A hand-written model: y[2x3] = x[2x3] + 1, using 24 workspace bytes.
int32_t addOne(const void *const *inputs, void *const *outputs, void *workspace, int64_t) {
  auto *x = static_cast<const float *>(inputs[0]);
  auto *y = static_cast<float *>(outputs[0]);
  auto *scratch = static_cast<float *>(workspace);
  for (int i = 0; i < 6; ++i) {
    scratch[i] = x[i] + 1;
    y[i] = scratch[i];
  }
  return 0;
}

int32_t failing(const void *const *, void *const *, void *, int64_t) { return 1; }

const int64_t kShape[] = {2, 3};
const lepton_tensor_desc kInput = {"x", LEPTON_FLOAT32, 2, kShape};
const lepton_tensor_desc kOutput = {"y", LEPTON_FLOAT32, 2, kShape};

lepton_model_desc descriptor(lepton_entry_fn run = addOne) {
  return {LEPTON_ABI_VERSION, LEPTON_TARGET_CPU, "add_one", 1, 1, &kInput, &kOutput,
          24, 64, run};
}

struct RuntimeTest : ::testing::Test {
  void SetUp() override { ASSERT_EQ(lepton_wrap(&desc, &model), LEPTON_OK); }
  void TearDown() override { lepton_unload(model); }

  lepton_model_desc desc = descriptor();
  lepton_model *model = nullptr;
  float x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {};
  lepton_tensor in = {x, LEPTON_FLOAT32, 2, kShape};
  lepton_tensor out = {y, LEPTON_FLOAT32, 2, kShape};
};

TEST_F(RuntimeTest, RunsAndDescribes) {
  EXPECT_EQ(lepton_num_inputs(model), 1u);
  EXPECT_EQ(lepton_num_outputs(model), 1u);
  EXPECT_STREQ(lepton_input_info(model, 0)->name, "x");
  EXPECT_EQ(lepton_input_info(model, 1), nullptr);
  EXPECT_EQ(lepton_num_elements(lepton_output_info(model, 0)), 6);
  ASSERT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_OK);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], x[i] + 1);
}

TEST_F(RuntimeTest, RejectsWrongCount) {
  EXPECT_EQ(lepton_run(model, &in, 0, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(lepton_last_error(), "got 0 inputs"), nullptr);
}

TEST_F(RuntimeTest, RejectsWrongElementType) {
  in.dtype = LEPTON_INT32;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(lepton_last_error(), "element type"), nullptr);
}

TEST_F(RuntimeTest, RejectsWrongShape) {
  const int64_t wrong[] = {3, 2};
  out.shape = wrong;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(
      std::strstr(lepton_last_error(), "output 0 ('y') has shape [3x2], the model expects [2x3]"),
      nullptr);
  in.rank = 1;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
}

TEST_F(RuntimeTest, RejectsNulls) {
  in.data = nullptr;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(lepton_run(model, nullptr, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(lepton_run(nullptr, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
}

// The firmware path: the same checks on a caller-owned workspace, which
// must be present and aligned as the descriptor says.
TEST_F(RuntimeTest, RunsOnTheCallersWorkspace) {
  alignas(64) unsigned char workspace[64 + 24];
  ASSERT_EQ(lepton_run_desc(&desc, workspace, &in, 1, &out, 1), LEPTON_OK);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], x[i] + 1);
  EXPECT_EQ(lepton_run_desc(&desc, nullptr, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(lepton_run_desc(&desc, workspace + 4, &in, 1, &out, 1),
            LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(lepton_last_error(), "aligned to 64 bytes"), nullptr);
  in.dtype = LEPTON_INT32;
  EXPECT_EQ(lepton_run_desc(&desc, workspace, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  lepton_model_desc foreign = desc;
  foreign.abi_version = 99;
  EXPECT_EQ(lepton_run_desc(&foreign, workspace, &in, 1, &out, 1), LEPTON_ERROR_INVALID_MODEL);
}

TEST(Runtime, ReportsEntryPointFailure) {
  lepton_model_desc desc = descriptor(failing);
  lepton_model *model;
  ASSERT_EQ(lepton_wrap(&desc, &model), LEPTON_OK);
  float x[6] = {}, y[6] = {};
  lepton_tensor in = {x, LEPTON_FLOAT32, 2, kShape}, out = {y, LEPTON_FLOAT32, 2, kShape};
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_EXECUTION);
  lepton_unload(model);
}

TEST(Runtime, RejectsForeignDescriptors) {
  lepton_model_desc desc = descriptor();
  desc.abi_version = 99;
  lepton_model *model = reinterpret_cast<lepton_model *>(1);
  EXPECT_EQ(lepton_wrap(&desc, &model), LEPTON_ERROR_INVALID_MODEL);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(lepton_wrap(nullptr, &model), LEPTON_ERROR_INVALID_MODEL);
}

// A model for every batch size: [-1x2] in and out; the entry sees the batch.
int64_t seenBatch = 0;
int32_t recordBatch(const void *const *, void *const *, void *, int64_t batch) {
  seenBatch = batch;
  return 0;
}

TEST(Runtime, PassesTheBatchOfDynamicLeadingDims) {
  static const int64_t anyBatch[] = {-1, 2};
  static const lepton_tensor_desc x = {"x", LEPTON_FLOAT32, 2, anyBatch};
  static const lepton_tensor_desc y = {"y", LEPTON_FLOAT32, 2, anyBatch};
  lepton_model_desc desc = {LEPTON_ABI_VERSION, LEPTON_TARGET_CPU, "any_batch", 1, 1, &x, &y,
                            0, 64, recordBatch};
  lepton_model *model;
  ASSERT_EQ(lepton_wrap(&desc, &model), LEPTON_OK);
  float data[10] = {};
  const int64_t three[] = {3, 2}, four[] = {4, 2};
  lepton_tensor in = {data, LEPTON_FLOAT32, 2, three}, out = {data, LEPTON_FLOAT32, 2, three};
  ASSERT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_OK);
  EXPECT_EQ(seenBatch, 3);
  out.shape = four; // the output's batch must be the input's
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(lepton_last_error(), "has batch 4"), nullptr);
  lepton_unload(model);
}

TEST(Runtime, LoadFailuresAreErrors) {
  lepton_model *model;
  EXPECT_EQ(lepton_load("/nonexistent/model.so", &model), LEPTON_ERROR_IO);
  EXPECT_NE(std::strlen(lepton_last_error()), 0u);
  // A shared library without a descriptor: libm, found where the process
  // loaded it from (a bare file name means a file in the working directory).
  Dl_info libm;
  ASSERT_NE(dladdr(reinterpret_cast<void *>(static_cast<double (*)(double)>(&std::cos)), &libm), 0);
  EXPECT_EQ(lepton_load(libm.dli_fname, &model), LEPTON_ERROR_INVALID_MODEL);
  EXPECT_EQ(lepton_load("libm.so.6", &model), LEPTON_ERROR_IO);
  EXPECT_EQ(lepton_load(nullptr, &model), LEPTON_ERROR_INVALID_ARGUMENT);
}

TEST(Runtime, DtypeSizes) {
  EXPECT_EQ(lepton_dtype_size(LEPTON_FLOAT32), 4u);
  EXPECT_EQ(lepton_dtype_size(LEPTON_BOOL), 1u);
  EXPECT_EQ(lepton_dtype_size(LEPTON_FLOAT64), 8u);
  EXPECT_EQ(lepton_dtype_size(8 /* string */), 0u);
  EXPECT_STREQ(lepton_status_string(LEPTON_OK), "ok");
}

} // namespace

namespace {
struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(int64_t n) : hits(n) {}
};
void countRange(void *ctx, int64_t begin, int64_t end) {
  auto *c = static_cast<Coverage *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    c->hits[i]++;
}
struct Nested {
  Coverage inner{100};
};
void nestedRange(void *ctx, int64_t begin, int64_t end) {
  // A kernel that itself calls the pool runs its inner loop serially.
  for (int64_t i = begin; i < end; ++i)
    lepton_parallel_for(100, countRange, &static_cast<Nested *>(ctx)->inner);
}
} // namespace

TEST(Runtime, ParallelForCoversEveryTaskOnce) {
  for (int threads : {1, 2, 3, 8}) {
    lepton_set_num_threads(threads);
    EXPECT_EQ(lepton_get_num_threads(), threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      Coverage c(n);
      for (int repeat = 0; repeat < 3; ++repeat)
        lepton_parallel_for(n, countRange, &c);
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(c.hits[i].load(), 3) << "task " << i << " of " << n << ", " << threads
                                       << " threads";
    }
    Nested nested;
    lepton_parallel_for(4, nestedRange, &nested);
    for (auto &h : nested.inner.hits)
      EXPECT_EQ(h.load(), 4);
  }
  lepton_set_num_threads(0);
  EXPECT_GE(lepton_get_num_threads(), 1);
}

// CUDA models over the fake driver (test/unit/FakeCudaDriver.c), whose
// "device memory" is host memory: a hand-written entry point can compute on
// it, which shows what the runtime copied where. y = x + w, with w a weight
// the runtime places at its workspace offset, then one launch of `add`.
namespace {
const char kFakePtx[] = ".version 8.0\n.target sm_80\n.address_size 64\n"
                        ".visible .entry add(.param .u64 add_param_0, .param .u32 add_param_1)\n"
                        "{\n\tret;\n}\n";
const lepton_cuda_ptx kPtx[] = {{"sm_80", kFakePtx}};
const char *const kKernels[] = {"add"};
const float kWeight[6] = {10, 20, 30, 40, 50, 60};
const lepton_cuda_weight kWeights[] = {{kWeight, 256, sizeof kWeight}};
const lepton_cuda_image kImage = {1, kPtx, 1, kKernels, 1, kWeights};
int32_t launchKernel = 0;

int32_t addOnDevice(const void *const *inputs, void *const *outputs, void *workspace, int64_t) {
  auto *x = static_cast<const float *>(inputs[0]);
  auto *y = static_cast<float *>(outputs[0]);
  auto *w = reinterpret_cast<const float *>(static_cast<char *>(workspace) + 256);
  for (int i = 0; i < 6; ++i)
    y[i] = x[i] + w[i];
  // What host code does with a value it needs: read x[5], write it to y[0].
  float value = 0;
  lepton_cuda_read(&value, &x[5], sizeof value);
  lepton_cuda_write(&y[0], &value, sizeof value);
  int64_t args[2] = {reinterpret_cast<int64_t>(y), 6};
  lepton_cuda_launch(launchKernel, 1, 1, 1, 32, 1, 1, 0, args, 2);
  return 0;
}

lepton_model_desc cudaDescriptor() {
  lepton_model_desc desc = {LEPTON_ABI_VERSION, LEPTON_TARGET_CUDA, "add_on_gpu", 1, 1,
                            &kInput, &kOutput, 512, 256, addOnDevice, &kImage};
  return desc;
}
} // namespace

TEST(Runtime, RunsCudaModelsThroughTheDriver) {
  setenv("LEPTON_CUDA_DRIVER", LEPTON_FAKE_CUDA_DRIVER, 1);
  lepton_model_desc desc = cudaDescriptor();
  lepton_model *model;
  ASSERT_EQ(lepton_wrap(&desc, &model), LEPTON_OK) << lepton_last_error();
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  lepton_tensor in = {x, LEPTON_FLOAT32, 2, kShape}, out = {y, LEPTON_FLOAT32, 2, kShape};
  launchKernel = 0;
  ASSERT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_OK) << lepton_last_error();
  EXPECT_EQ(y[0], x[5]);
  for (int i = 1; i < 6; ++i)
    EXPECT_EQ(y[i], x[i] + kWeight[i]);
  // A bad launch fails the run, naming the kernel; the model stays usable.
  launchKernel = 7;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_ERROR_EXECUTION);
  EXPECT_NE(std::strstr(lepton_last_error(), "launching kernel 7 of 1: CUDA_ERROR_INVALID_VALUE"),
            nullptr)
      << lepton_last_error();
  launchKernel = 0;
  EXPECT_EQ(lepton_run(model, &in, 1, &out, 1), LEPTON_OK);
  // The core (firmware) has no driver: it refuses GPU models.
  char workspace[512];
  EXPECT_EQ(lepton_run_desc(&desc, workspace, &in, 1, &out, 1), LEPTON_ERROR_INVALID_MODEL);
  EXPECT_NE(std::strstr(lepton_last_error(), "runs on a GPU"), nullptr);
  lepton_unload(model);
}

TEST(Runtime, RejectsCudaModelsWithoutTheirImage) {
  lepton_model_desc desc = cudaDescriptor();
  desc.cuda = nullptr;
  lepton_model *model;
  EXPECT_EQ(lepton_wrap(&desc, &model), LEPTON_ERROR_INVALID_MODEL);
  desc = cudaDescriptor();
  desc.target = 9;
  EXPECT_EQ(lepton_wrap(&desc, &model), LEPTON_ERROR_INVALID_MODEL);
  EXPECT_NE(std::strstr(lepton_last_error(), "unknown target 9"), nullptr);
}
