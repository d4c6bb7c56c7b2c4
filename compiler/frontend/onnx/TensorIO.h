//===- TensorIO.h - ONNX TensorProto files without protobuf in the API ----===//
//
// Reads and writes single-tensor `.pb` files (the ONNX backend-test layout).
// The only protobuf-aware code outside the importer; nothing here throws.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_FRONTEND_ONNX_TENSORIO_H
#define LEPTON_COMPILER_FRONTEND_ONNX_TENSORIO_H

#include <cstdint>
#include <string>
#include <vector>

namespace lepton::onnx {

/// A host tensor: ONNX TensorProto data type code, shape and packed
/// little-endian element bytes (bool as one byte per element).
struct HostTensor {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<char> data;

  int64_t numElements() const;
};

/// Bytes per element of an ONNX data type, or 0 when Lepton cannot hold it
/// (strings, complex numbers, undefined).
size_t dtypeSize(int32_t dtype);

/// The ONNX name of a data type ("float", "int64", ...).
const char *dtypeName(int32_t dtype);

bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);
bool writeTensorFile(const std::string &path, const HostTensor &tensor,
                     std::string &error);

} // namespace lepton::onnx

#endif // LEPTON_COMPILER_FRONTEND_ONNX_TENSORIO_H
