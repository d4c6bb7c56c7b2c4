//===- NNShapes.h - ONNX shape arithmetic shared by inference and lowering ===//
//
// One implementation of the ONNX shape rules (broadcasting, conv/pool window
// geometry, reshape targets, constant reading), used both by result-type
// inference in the dialect and by the lowering to linalg, so they cannot
// disagree.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_DIALECTS_NN_NNSHAPES_H
#define LEPTON_DIALECTS_NN_NNSHAPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace lepton::nn {

/// Numpy multidirectional broadcast of two shapes (kDynamic propagates).
/// Returns std::nullopt when the shapes are incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Sliding-window geometry of Conv and the pools over the spatial dims.
struct WindowGeometry {
  llvm::SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;
  llvm::SmallVector<int64_t> outShape; // spatial output dims
};

/// Resolves kernel/strides/dilations/pads/auto_pad/ceil_mode to explicit
/// numbers. `spatialIn` may hold dynamic dims, which give dynamic outputs.
/// On failure returns std::nullopt and sets `error`.
std::optional<WindowGeometry>
computeWindow(llvm::ArrayRef<int64_t> spatialIn, llvm::ArrayRef<int64_t> kernel,
              std::optional<llvm::ArrayRef<int64_t>> strides,
              std::optional<llvm::ArrayRef<int64_t>> dilations,
              std::optional<llvm::ArrayRef<int64_t>> pads, llvm::StringRef autoPad,
              bool ceilMode, std::string &error);

/// ConvTranspose geometry: outShape, and padBegin/padEnd, which may be
/// negative when output_shape asks for more than the natural size.
std::optional<WindowGeometry> computeTransposedWindow(
    llvm::ArrayRef<int64_t> spatialIn, llvm::ArrayRef<int64_t> kernel,
    std::optional<llvm::ArrayRef<int64_t>> strides,
    std::optional<llvm::ArrayRef<int64_t>> dilations,
    std::optional<llvm::ArrayRef<int64_t>> pads,
    std::optional<llvm::ArrayRef<int64_t>> outputPadding,
    std::optional<llvm::ArrayRef<int64_t>> outputShape, llvm::StringRef autoPad,
    std::string &error);

/// MaxUnpool's default output shape: each spatial dim of `input` (N, C,
/// spatial...) becomes (in - 1) * stride + kernel - pad_begin - pad_end.
llvm::SmallVector<int64_t>
unpooledShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
              std::optional<llvm::ArrayRef<int64_t>> strides,
              std::optional<llvm::ArrayRef<int64_t>> pads);

/// The integer contents of a constant tensor value (nn.constant with a dense
/// or dense_resource integer attribute), or std::nullopt if not constant.
std::optional<llvm::SmallVector<int64_t>> getConstantIntValues(mlir::Value v);

/// An Einsum equation as loops: each input and output dim names a loop;
/// loops absent from the output are summed over. Ellipsis dims come first
/// (numpy-broadcast, right-aligned), then the letters in order of appearance.
struct EinsumSpec {
  llvm::SmallVector<int64_t> loopSizes;
  llvm::SmallVector<llvm::SmallVector<int64_t>> inputs;
  llvm::SmallVector<int64_t> output;
};
std::optional<EinsumSpec> parseEinsum(llvm::StringRef equation,
                                      llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
                                      std::string &error);

/// True for an operand that is neither absent (none) nor a constant: a value
/// only known at run time.
bool isRuntimeValue(mlir::Value v);

/// The element count of `v`'s type when it is static.
std::optional<int64_t> staticNumElements(mlir::Value v);

/// The ONNX Reshape target shape for `input` (resolving 0 and -1).
std::optional<llvm::SmallVector<int64_t>>
resolveReshape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> target,
               bool allowZero, std::string &error);

/// The dims a Reduce* op reduces (sorted, unique), given its `axes` operand
/// (none or a constant); std::nullopt with `error` set if they are unknown
/// or out of range. An empty result with `noopWithEmptyAxes` means identity.
std::optional<llvm::SmallVector<int64_t>> reductionDims(mlir::Value axes, int64_t rank,
                                                        bool noopWithEmptyAxes,
                                                        std::string &error);

/// The MLIR element type of an ONNX TensorProto data type code (signless
/// for signed integers, unsigned for uintN, i1 for bool), or null when
/// Lepton has none (string, complex, undefined).
mlir::Type onnxElementType(mlir::MLIRContext *context, int64_t code);

/// Same element types and compatible shapes (a dynamic dim matches any).
bool areCompatibleTensorTypes(mlir::TypeRange a, mlir::TypeRange b);

/// One dim of an ONNX Slice, clamped: element i of the result is input
/// element start + i * step.
struct SliceDim {
  int64_t start, step, size;
};

/// Resolves Slice's constant starts/ends/axes/steps against a static shape;
/// one entry per input dim (untouched dims are [0, dim) step 1).
std::optional<llvm::SmallVector<SliceDim>>
resolveSlice(llvm::ArrayRef<int64_t> shape, mlir::Value starts, mlir::Value ends,
             mlir::Value axes, mlir::Value steps, std::string &error);

/// Normalises an ONNX axis in [-rank, rank) to [0, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace lepton::nn

#endif // LEPTON_DIALECTS_NN_NNSHAPES_H
