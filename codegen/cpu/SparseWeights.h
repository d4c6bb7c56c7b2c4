//===- SparseWeights.h - constant weights stored without their zeros -*- C++ -*-===//
//
// A pruned layer's weight matrix is half zeros or more; the CPU kernels of
// lepton-vectorize-contractions skip them by reading the matrix from
// compressed-row tables instead (see SparseWeights.cpp for the layout).
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_CPU_SPARSEWEIGHTS_H
#define LEPTON_CODEGEN_CPU_SPARSEWEIGHTS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <vector>

namespace lepton::cpu {

/// A rows x length matrix without its zeros, each row cut into `blocks`
/// blocks of `blockLength` columns: the nonzeros of row r's block j are
/// entries starts[r * blocks + j] .. starts[r * blocks + j + 1] - 1 of
/// `columns` and `values`, in column order; a column is counted from its
/// block's start (i8 for blocks up to 256, else i16). Rows with fewer
/// nonzeros in a block than the fullest are padded with zeros.
struct SparseRows {
  mlir::memref::GlobalOp starts, columns, values;
  int64_t blocks, blockLength;
};

/// The constant global `v` is a whole view of (through reshapes), if any.
mlir::memref::GlobalOp constantGlobalOf(mlir::Value v);

/// The f32 values of a constant global, if it has them (inline or as a
/// resource blob).
std::optional<std::vector<float>> floatValues(mlir::memref::GlobalOp global);

/// The tables of `weights`, rows of `length` (built beside it once, and
/// found again for a second kernel reading the same weights); none when they
/// would hold more than `maxEntries` entries, padding included.
std::optional<SparseRows> sparseRowsOf(mlir::memref::GlobalOp weights,
                                       llvm::ArrayRef<float> values, int64_t length,
                                       int64_t blockLength, int64_t maxEntries);

} // namespace lepton::cpu

#endif // LEPTON_CODEGEN_CPU_SPARSEWEIGHTS_H
