//===- DeviceWeights.cpp - the weights' place in the device workspace -----===//
#include "codegen/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace lepton {
#define GEN_PASS_DEF_DEVICEWEIGHTS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct DeviceWeightsPass : lepton::impl::DeviceWeightsBase<DeviceWeightsPass> {
  using DeviceWeightsBase::DeviceWeightsBase;

  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      auto planned = func->getAttrOfType<IntegerAttr>("lepton.workspace_bytes");
      if (!planned)
        continue;
      if (failed(place(func, planned.getInt(), symbols)))
        return signalPassFailure();
    }
  }

  LogicalResult place(func::FuncOp func, int64_t end, SymbolTable &symbols) {
    std::optional<unsigned> workspaceIndex;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, "lepton.workspace"))
        workspaceIndex = i;
    if (!workspaceIndex)
      return func.emitError("no workspace argument (run lepton-plan-workspace first)");
    Value workspace = func.getArgument(*workspaceIndex);

    llvm::MapVector<memref::GlobalOp, int64_t> offsets;
    SmallVector<memref::GetGlobalOp> reads;
    WalkResult walk = func.walk([&](memref::GetGlobalOp get) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      MemRefType type = global ? global.getType() : MemRefType();
      if (!global || !global.getConstant() || !type.hasStaticShape() ||
          !type.getLayout().isIdentity() || !type.getElementType().isIntOrFloat()) {
        get.emitError("unsupported on the CUDA target: a global that is not a constant "
                      "tensor of numbers");
        return WalkResult::interrupt();
      }
      if (!offsets.contains(global)) {
        int64_t bits = type.getElementType().getIntOrFloatBitWidth();
        int64_t offset = llvm::alignTo(end, alignment);
        offsets[global] = offset;
        end = offset + type.getNumElements() * ((bits + 7) / 8);
      }
      reads.push_back(get);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (offsets.empty())
      return success();

    Builder b(func.getContext());
    int64_t total = llvm::alignTo(end, alignment);
    workspace.setType(MemRefType::get({total}, b.getI8Type()));
    func.setType(FunctionType::get(func.getContext(), func.getBody().getArgumentTypes(),
                                   func.getResultTypes()));
    func->setAttr("lepton.workspace_bytes", b.getI64IntegerAttr(total));
    for (auto [global, offset] : offsets)
      global->setAttr("lepton.workspace_offset", b.getI64IntegerAttr(offset));
    for (memref::GetGlobalOp get : reads) {
      OpBuilder at(get);
      int64_t offset = offsets.lookup(symbols.lookup<memref::GlobalOp>(get.getName()));
      Value start = at.create<arith::ConstantIndexOp>(get.getLoc(), offset);
      get.replaceAllUsesWith(at.create<memref::ViewOp>(get.getLoc(), get.getType(), workspace,
                                                       start, ValueRange{})
                                 .getResult());
      get.erase();
    }
    return success();
  }
};

} // namespace
