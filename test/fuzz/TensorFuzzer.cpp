//===- TensorFuzzer.cpp - libFuzzer over the .pb tensor reader ------------===//
//
// lepton-run reads ONNX TensorProto files: every byte string must decode or
// be rejected with an error message.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/onnx/TensorIO.h"

#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path =
      "/dev/shm/lepton-fuzz-tensor-" + std::to_string(getpid()) + ".pb";
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  lepton::onnx::HostTensor tensor;
  std::string error;
  (void)lepton::onnx::readTensorFile(path, tensor, error);
  return 0;
}
