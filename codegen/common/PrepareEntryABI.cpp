//===- PrepareEntryABI.cpp - function boundary rules of the artifact ABI ===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace lepton {
#define GEN_PASS_DEF_PREPAREENTRYABI
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Fixes what the artifact ABI needs of the lowered function: inputs are
/// read-only caller buffers, and every output gets a buffer of its own (a
/// result that is an input, a constant or another result is copied), so that
/// each output can later become its caller-owned out-parameter.
void prepareEntryABI(func::FuncOp func) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.setArgAttr(i, "bufferization.writable", BoolAttr::get(func.getContext(), false));
  func.walk([](func::ReturnOp ret) {
    OpBuilder b(ret);
    llvm::SmallPtrSet<Value, 4> seen;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      bool owned = v.getDefiningOp() && !matchPattern(v, m_Constant());
      if (owned && seen.insert(v).second)
        continue;
      auto type = cast<RankedTensorType>(v.getType());
      Value init = b.create<tensor::EmptyOp>(ret.getLoc(), type.getShape(),
                                             type.getElementType());
      operand.set(b.create<linalg::CopyOp>(ret.getLoc(), v, init).getResult(0));
    }
  });
}

struct PrepareEntryABIPass : lepton::impl::PrepareEntryABIBase<PrepareEntryABIPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        prepareEntryABI(func);
  }
};

} // namespace
