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
///
/// A zero-size input or output carries no data, so it becomes a tensor<0xT>
/// at the boundary: MLIR's bare-pointer calling convention rejects shapes
/// like 3x0x5, whose strides do not look contiguous.
void prepareEntryABI(func::FuncOp func) {
  auto flatEmpty = [](Type t) -> Type {
    auto type = cast<RankedTensorType>(t);
    if (!type.hasStaticShape() || type.getNumElements() != 0 || type.getRank() == 1)
      return nullptr;
    return RankedTensorType::get({0}, type.getElementType());
  };
  OpBuilder entry = OpBuilder::atBlockBegin(&func.getBody().front());
  for (BlockArgument arg : func.getArguments())
    if (Type flat = flatEmpty(arg.getType())) {
      auto type = cast<RankedTensorType>(arg.getType());
      arg.replaceAllUsesWith(
          entry.create<tensor::EmptyOp>(func.getLoc(), type.getShape(), type.getElementType()));
      arg.setType(flat);
    }
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.setArgAttr(i, "bufferization.writable", BoolAttr::get(func.getContext(), false));
  func.walk([&](func::ReturnOp ret) {
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands())
      if (Type flat = flatEmpty(operand.get().getType()))
        operand.set(b.create<tensor::EmptyOp>(ret.getLoc(), cast<RankedTensorType>(flat).getShape(),
                                              cast<RankedTensorType>(flat).getElementType()));
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
    func.setType(FunctionType::get(func.getContext(), func.getBody().getArgumentTypes(),
                                   ret.getOperandTypes()));
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
