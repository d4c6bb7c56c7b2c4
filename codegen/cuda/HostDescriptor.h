//===- HostDescriptor.h - a memref's descriptor in host code -----*- C++ -*-===//
#ifndef LEPTON_CODEGEN_CUDA_HOSTDESCRIPTOR_H
#define LEPTON_CODEGEN_CUDA_HOSTDESCRIPTOR_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace lepton::cuda {

/// The LLVM struct MLIR's memref lowering makes of `memref` (allocated and
/// aligned pointer, offset, sizes, strides), through a cast that the host
/// pipeline's reconcile-unrealized-casts resolves. Host code that hands
/// device addresses to the runtime reads them here rather than through
/// memref.extract_aligned_pointer_as_index: MLIR 19's
/// expand-strided-metadata folds that op through a memref.view to the
/// view's source, dropping the byte shift, which would hand every workspace
/// buffer over as the workspace's start.
inline mlir::Value hostDescriptor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref) {
  mlir::MLIRContext *ctx = b.getContext();
  auto type = llvm::cast<mlir::MemRefType>(memref.getType());
  auto ptr = mlir::LLVM::LLVMPointerType::get(ctx);
  llvm::SmallVector<mlir::Type> fields = {ptr, ptr, b.getI64Type()};
  if (type.getRank())
    fields.append(2, mlir::LLVM::LLVMArrayType::get(b.getI64Type(), type.getRank()));
  return b
      .create<mlir::UnrealizedConversionCastOp>(
          loc, mlir::LLVM::LLVMStructType::getLiteral(ctx, fields), memref)
      .getResult(0);
}

} // namespace lepton::cuda

#endif // LEPTON_CODEGEN_CUDA_HOSTDESCRIPTOR_H
