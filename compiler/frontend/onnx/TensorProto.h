//===- TensorProto.h - TensorProto decoding (frontend-internal) -----------===//
//
// Exposes protobuf types: include only from compiler/frontend/onnx sources.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H
#define LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H

#include "compiler/frontend/onnx/TensorIO.h"
#include <onnx/onnx_pb.h>

#include <memory>

namespace lepton::onnx {

/// Decodes any storage form of a TensorProto (raw_data, typed fields, or
/// external data resolved against `baseDir`) into packed bytes.
bool decodeTensor(const ::onnx::TensorProto &proto, const std::string &baseDir,
                  HostTensor &out, std::string &error);

/// Tensor bytes and what keeps them alive (a string taken from a proto, a
/// file mapping, a buffer); they last as long as `owner`.
struct TensorBytes {
  const char *data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

/// decodeTensor for weights, which must not be copied: raw_data is moved out
/// of `proto` and external data is mapped read-only where it is aligned.
/// `out` gets the name, type and shape; its data stays empty.
bool takeTensorBytes(::onnx::TensorProto &proto, const std::string &baseDir,
                     HostTensor &out, TensorBytes &bytes, std::string &error);

} // namespace lepton::onnx

#endif // LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H
