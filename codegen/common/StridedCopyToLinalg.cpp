//===- StridedCopyToLinalg.cpp - keep strided copies out of the runtime ---===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace lepton {
#define GEN_PASS_DEF_STRIDEDCOPYTOLINALG
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

bool isContiguous(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return type.getLayout().isIdentity();
}

struct StridedCopyToLinalgPass
    : lepton::impl::StridedCopyToLinalgBase<StridedCopyToLinalgPass> {
  using StridedCopyToLinalgBase::StridedCopyToLinalgBase;

  void runOnOperation() override {
    getOperation().walk([&](memref::CopyOp copy) {
      if (!allCopies && isContiguous(copy.getSource()) && isContiguous(copy.getTarget()))
        return;
      OpBuilder b(copy);
      b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
