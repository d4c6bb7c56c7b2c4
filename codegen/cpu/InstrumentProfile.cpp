//===- InstrumentProfile.cpp - per-operation timers (leptonc --profile) ---===//
#include "codegen/Passes.h"
#include "codegen/cpu/ParallelOutline.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace lepton {
#define GEN_PASS_DEF_INSTRUMENTPROFILE
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr const char *kClock = "clock_gettime";
constexpr int32_t kClockMonotonic = 1; // CLOCK_MONOTONIC on Linux

bool isTimed(Operation *op) {
  return !isPure(op) && !op->hasTrait<OpTrait::IsTerminator>() &&
         !isa<ViewLikeOpInterface, memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
              memref::GetGlobalOp>(op);
}

struct InstrumentProfilePass : lepton::impl::InstrumentProfileBase<InstrumentProfilePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<func::FuncOp, SmallVector<Operation *>>> work;
    int64_t slots = 0;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> ops;
      for (Operation &op : func.getBody().front())
        if (isTimed(&op))
          ops.push_back(&op);
      slots += ops.size();
      work.push_back({func, ops});
    }
    if (slots == 0)
      return;

    ImplicitLocOpBuilder b(module.getLoc(), module.getBody(), module.getBody()->begin());
    auto i64 = b.getI64Type();
    auto spec = MemRefType::get({2}, i64); // struct timespec {tv_sec; tv_nsec}
    auto clock = b.create<func::FuncOp>(kClock, b.getFunctionType({b.getI32Type(), spec},
                                                                  {b.getI32Type()}));
    clock.setPrivate();
    auto countersType = MemRefType::get({slots}, i64);
    auto zeros = DenseElementsAttr::get(RankedTensorType::get({slots}, i64), int64_t(0));
    b.create<memref::GlobalOp>("lepton_profile_ns", b.getStringAttr("private"), countersType,
                               zeros, /*constant=*/false, /*alignment=*/nullptr);

    int64_t slot = 0;
    for (auto &[func, ops] : work) {
      b.setInsertionPointToStart(&func.getBody().front());
      Value counters = b.create<memref::GetGlobalOp>(countersType, "lepton_profile_ns");
      Value ts = b.create<memref::AllocaOp>(spec);
      auto now = [&]() -> Value {
        b.create<func::CallOp>(clock,
                               ValueRange{b.create<arith::ConstantIntOp>(kClockMonotonic, 32), ts});
        Value sec = b.create<memref::LoadOp>(ts, ValueRange{b.create<arith::ConstantIndexOp>(0)});
        Value ns = b.create<memref::LoadOp>(ts, ValueRange{b.create<arith::ConstantIndexOp>(1)});
        return b.create<arith::AddIOp>(
            b.create<arith::MulIOp>(sec, b.create<arith::ConstantIntOp>(1000000000, 64)), ns);
      };
      SmallVector<Attribute> labels;
      for (Operation *op : ops) {
        b.setLoc(op->getLoc());
        b.setInsertionPoint(op);
        Value start = now();
        b.setInsertionPointAfter(op);
        Value elapsed = b.create<arith::SubIOp>(now(), start);
        Value index = b.create<arith::ConstantIndexOp>(slot++);
        Value total = b.create<memref::LoadOp>(counters, index);
        b.create<memref::StoreOp>(b.create<arith::AddIOp>(total, elapsed), counters, index);
        labels.push_back(b.getStrArrayAttr({lepton::nn::nodeNames(op->getLoc()), lepton::cpu::describe(op)}));
      }
      func->setAttr("lepton.profile", b.getArrayAttr(labels));
    }
  }
};

} // namespace
