//===- SparseWeights.cpp - constant weights stored without their zeros ----===//
//
// Compressed sparse rows, as upstream's sparse_tensor dialect would store
// the matrix, but built here at compile time from the constant and read by
// lepton-vectorize-contractions' own kernel: the sparsifier would convert
// the dense constant into its storage at run time, on every call, and its
// loops keep C in memory instead of registers.
//
// Each row's entries are cut into blocks of the reduction so that a kernel
// can walk every row over one block of B's rows while that block is in the
// level-1 cache, then the next; `starts` gives where each (row, block)
// begins, so the kernel needs no search.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/SparseWeights.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <cstring>
#include <numeric>

using namespace mlir;

namespace lepton::cpu {

memref::GlobalOp constantGlobalOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(view))
      return {};
    v = view.getViewSource();
  }
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto global =
      SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  return global && global.getConstant() && global.getInitialValue() ? global
                                                                     : memref::GlobalOp();
}

std::optional<std::vector<float>> floatValues(memref::GlobalOp global) {
  if (!global.getType().getElementType().isF32())
    return std::nullopt;
  Attribute init = *global.getInitialValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(init);
  if (!resource || !resource.getRawHandle().getBlob())
    return std::nullopt;
  ArrayRef<char> bytes = resource.getRawHandle().getBlob()->getData();
  if (bytes.size() != global.getType().getNumElements() * sizeof(float))
    return std::nullopt;
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

namespace {

template <typename T>
memref::GlobalOp tableGlobal(OpBuilder &b, Location loc, StringRef name, Type element,
                             ArrayRef<T> data) {
  auto type = MemRefType::get({static_cast<int64_t>(data.size())}, element);
  auto value = DenseResourceElementsAttr::get(
      RankedTensorType::get(type.getShape(), element), name,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(data));
  return b.create<memref::GlobalOp>(loc, name, b.getStringAttr("private"), type, value,
                                    /*constant=*/true, b.getI64IntegerAttr(64));
}

} // namespace

std::optional<SparseRows> sparseRowsOf(memref::GlobalOp weights, ArrayRef<float> values,
                                       int64_t length, int64_t blockLength,
                                       int64_t maxEntries) {
  int64_t rows = static_cast<int64_t>(values.size()) / length;
  int64_t blocks = (length + blockLength - 1) / blockLength;
  std::string base = (weights.getSymName() + "_sparse").str();
  SymbolTable symbols(weights->getParentOp());
  auto starts = symbols.lookup<memref::GlobalOp>(base + "_starts");
  if (starts)
    return SparseRows{starts, symbols.lookup<memref::GlobalOp>(base + "_columns"),
                      symbols.lookup<memref::GlobalOp>(base + "_values"), blocks, blockLength};

  // Every row gets as many entries in a block as the fullest row has there
  // (zeros at the block's first column pad the others), so that the kernel's
  // loops run the same count for every row and their exits are predicted:
  // with a varying count per row a mispredicted exit per block cost more
  // than the zeros saved. Magnitude and N:M pruning leave each block of 128
  // the same count per row already.
  std::vector<int64_t> counts(blocks, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < blocks; ++j) {
      int64_t count = 0;
      for (int64_t k = j * blockLength; k < std::min(length, (j + 1) * blockLength); ++k)
        count += values[r * length + k] != 0.0f;
      counts[j] = std::max(counts[j], count);
    }
  if (rows * std::accumulate(counts.begin(), counts.end(), int64_t{0}) > maxEntries)
    return std::nullopt;
  std::vector<int32_t> startsData{0};
  std::vector<int32_t> columns;
  std::vector<float> nonzeros;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < blocks; ++j) {
      int64_t first = j * blockLength, end = static_cast<int64_t>(columns.size()) + counts[j];
      for (int64_t k = first; k < std::min(length, first + blockLength); ++k)
        if (float w = values[r * length + k]; w != 0.0f) {
          columns.push_back(static_cast<int32_t>(k - first));
          nonzeros.push_back(w);
        }
      while (static_cast<int64_t>(columns.size()) < end) {
        columns.push_back(0);
        nonzeros.push_back(0.0f);
      }
      startsData.push_back(static_cast<int32_t>(columns.size()));
    }
  // One entry past the last, never read, so that no table is empty.
  columns.push_back(0);
  nonzeros.push_back(0.0f);
  OpBuilder b(weights);
  Location loc = weights.getLoc();
  starts = tableGlobal<int32_t>(b, loc, base + "_starts", b.getI32Type(), startsData);
  memref::GlobalOp columnTable;
  if (blockLength <= 256) {
    std::vector<uint8_t> narrow(columns.begin(), columns.end());
    columnTable = tableGlobal<uint8_t>(b, loc, base + "_columns", b.getI8Type(), narrow);
  } else {
    std::vector<int16_t> narrow(columns.begin(), columns.end());
    columnTable = tableGlobal<int16_t>(b, loc, base + "_columns", b.getI16Type(), narrow);
  }
  auto valueTable = tableGlobal<float>(b, loc, base + "_values", b.getF32Type(), nonzeros);
  return SparseRows{starts, columnTable, valueTable, blocks, blockLength};
}

} // namespace lepton::cpu
