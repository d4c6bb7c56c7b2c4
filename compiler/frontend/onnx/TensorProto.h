//===- TensorProto.h - TensorProto decoding (frontend-internal) -----------===//
//
// Exposes protobuf types: include only from compiler/frontend/onnx sources.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H
#define LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H

#include "compiler/frontend/onnx/TensorIO.h"
#include <onnx/onnx_pb.h>

namespace lepton::onnx {

/// Decodes any storage form of a TensorProto (raw_data, typed fields, or
/// external data resolved against `baseDir`) into packed bytes.
bool decodeTensor(const ::onnx::TensorProto &proto, const std::string &baseDir,
                  HostTensor &out, std::string &error);

} // namespace lepton::onnx

#endif // LEPTON_COMPILER_FRONTEND_ONNX_TENSORPROTO_H
