//===- HLSDirectives.cpp - choose pipeline, unroll and partition ----------===//
#include "codegen/Passes.h"
#include "codegen/hls/LoopNests.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace lepton {
#define GEN_PASS_DEF_HLSDIRECTIVES
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton::hls;

namespace {

/// How many consecutive flat addresses the unrolled copies of `access` (an
/// affine load or store) touch (the loops in `unrolledTrips` take that many
/// values each), or INT64_MAX when its address is not linear in them.
template <typename AccessOp>
int64_t addressSpan(AccessOp load, const llvm::DenseMap<Value, int64_t> &unrolledTrips) {
  auto type = cast<MemRefType>(load.getMemRef().getType());
  llvm::SmallVector<int64_t> strides;
  int64_t offset;
  AffineMap map = load.getAffineMap();
  if (failed(getStridesAndOffset(type, strides, offset)) ||
      llvm::any_of(map.getResults(), [](AffineExpr e) { return !e.isPureAffine(); }))
    return INT64_MAX;
  MLIRContext *ctx = load.getContext();
  ValueRange operands = load.getMapOperands();
  // The flat address with operand `k` at one and the others at zero.
  auto flatAt = [&](int k) {
    llvm::SmallVector<AffineExpr> values;
    for (int i = 0; i < int(operands.size()); ++i)
      values.push_back(getAffineConstantExpr(i == k ? 1 : 0, ctx));
    ArrayRef<AffineExpr> dims(values), symbols = dims.drop_front(map.getNumDims());
    int64_t flat = 0;
    for (auto [expr, stride] : llvm::zip(map.getResults(), strides))
      flat += stride * cast<AffineConstantExpr>(
                           expr.replaceDimsAndSymbols(dims.take_front(map.getNumDims()), symbols))
                           .getValue();
    return flat;
  };
  int64_t base = flatAt(-1), span = 1;
  for (auto [k, operand] : llvm::enumerate(operands))
    if (int64_t trips = unrolledTrips.lookup(operand); trips > 1)
      span += (trips - 1) * std::abs(flatAt(k) - base);
  return span;
}

class HLSDirectivesPass : public lepton::impl::HLSDirectivesBase<HLSDirectivesPass> {
public:
  using HLSDirectivesBase::HLSDirectivesBase;

  void runOnOperation() override {
    if (io != "parallel" && io != "stream") {
      getOperation().emitError() << "io style '" << io << "' is not parallel or stream";
      return signalPassFailure();
    }
    if (reuseFactor < 1) {
      getOperation().emitError() << "the reuse factor must be at least 1";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(annotate(func)))
        return signalPassFailure();
  }

private:
  /// The depth of every FIFO of the stream style's dataflow (LoopNests.h):
  /// 2 for the first FIFO a process reads, which it reads while its producer
  /// writes; the whole buffer (at least 2) for any later one, so that a
  /// producer feeding several processes never waits for one that is still
  /// reading an earlier FIFO. Recorded per buffer, in channel order.
  void recordFifoDepths(func::FuncOp func) {
    DataflowGraph graph = dataflowGraph(func);
    std::vector<int64_t> depthOf(graph.channels.size(), 2);
    for (const DataflowProcess &process : graph.processes)
      for (size_t i = 1; i < process.inputs.size(); ++i)
        depthOf[process.inputs[i]] = std::max<int64_t>(
            2, cast<MemRefType>(graph.channels[process.inputs[i]].buffer.getType())
                   .getNumElements());
    llvm::MapVector<Value, llvm::SmallVector<int64_t>> depths;
    for (auto [c, channel] : llvm::enumerate(graph.channels))
      depths[channel.buffer].push_back(depthOf[c]);
    Builder b(func.getContext());
    for (auto &[buffer, list] : depths) {
      auto attr = b.getDenseI64ArrayAttr(list);
      if (auto arg = dyn_cast<BlockArgument>(buffer))
        func.setArgAttr(arg.getArgNumber(), kFifoDepths, attr);
      else
        buffer.getDefiningOp()->setAttr(kFifoDepths, attr);
    }
  }

  LogicalResult annotate(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    bool parallel = io == "parallel";
    Builder b(ctx);
    // Buffers read inside an unrolled region, with the number of banks they
    // need there (0: completely partitioned).
    llvm::MapVector<Value, int64_t> banks;
    auto wantBanks = [&](Value buffer, int64_t count) {
      if (count <= 1 && !parallel)
        return;
      auto type = cast<MemRefType>(buffer.getType());
      int64_t elements = type.getNumElements();
      if (count >= elements || parallel)
        count = 0;
      auto [it, inserted] = banks.insert({buffer, count});
      if (!inserted && it->second != 0)
        it->second = count == 0 ? 0 : std::max(it->second, count);
    };
    for (auto root : llvm::to_vector(func.getBody().getOps<affine::AffineForOp>())) {
      FailureOr<LoopNest> nest = analyzeNest(root);
      if (failed(nest))
        return failure();
      std::string layer = nodeName(root.getLoc());
      root->setAttr(kLayer, b.getStringAttr(layer.empty() ? "(model)" : layer));
      int64_t multiplies = multiplications(root);
      if (parallel) {
        root->walk([&](affine::AffineForOp loop) { loop->setAttr(kUnroll, b.getUnitAttr()); });
        if (multiplies > 0)
          root->setAttr(kAllocation, b.getI64IntegerAttr(llvm::divideCeil(multiplies, reuseFactor)));
        continue;
      }
      // Stream: unroll the innermost loops up to ceil(K / R) iterations and
      // pipeline the loop above them.
      int64_t reductionSize = 1;
      for (auto [trips, isReduction] : llvm::zip(nest->trips, nest->reduction))
        if (isReduction)
          reductionSize *= trips;
      int64_t unrolled = llvm::divideCeil(reductionSize, reuseFactor);
      size_t pipelined = nest->loops.size() - 1;
      int64_t inner = 1;
      while (pipelined > 0 && inner * nest->trips[pipelined] <= unrolled)
        inner *= nest->trips[pipelined--];
      affine::AffineForOp pipelineLoop = nest->loops[pipelined];
      pipelineLoop->setAttr(kPipeline, b.getI64IntegerAttr(1));
      // Where the next loop out does not fit whole, part of it may: the
      // largest factor of its trip count that does.
      int64_t factor = 1;
      for (int64_t d = 2; d <= nest->trips[pipelined] && inner * d <= unrolled; ++d)
        if (nest->trips[pipelined] % d == 0)
          factor = d;
      if (factor > 1 && factor < nest->trips[pipelined]) {
        pipelineLoop->setAttr(kUnroll, b.getI64IntegerAttr(factor));
        inner *= factor;
      }
      pipelineLoop.getBody()->walk(
          [&](affine::AffineForOp loop) { loop->setAttr(kUnroll, b.getUnitAttr()); });
      // One pipelined iteration runs the unrolled multiplies in parallel.
      int64_t steps = 1;
      for (size_t i = 0; i <= pipelined; ++i)
        steps *= nest->trips[i];
      steps /= factor;
      if (multiplies > 0)
        root->setAttr(kAllocation, b.getI64IntegerAttr(llvm::divideCeil(multiplies, steps)));
      if (inner > 1) {
        // Unrolled iterations each read an element: a cyclic partition with
        // at least as many banks as the addresses they read span gives each
        // its own bank.
        llvm::DenseMap<Value, int64_t> unrolledTrips;
        unrolledTrips[pipelineLoop.getInductionVar()] = factor;
        pipelineLoop.getBody()->walk([&](affine::AffineForOp loop) {
          unrolledTrips[loop.getInductionVar()] =
              affine::getConstantTripCount(loop).value_or(1);
        });
        pipelineLoop.getBody()->walk([&](Operation *op) {
          if (auto load = dyn_cast<affine::AffineLoadOp>(op))
            wantBanks(rootBuffer(load.getMemRef()), addressSpan(load, unrolledTrips));
          else if (auto store = dyn_cast<affine::AffineStoreOp>(op))
            wantBanks(rootBuffer(store.getMemRef()), addressSpan(store, unrolledTrips));
        });
      }
    }
    if (parallel) {
      func->setAttr(kPipeline, b.getI64IntegerAttr(reuseFactor));
      func.walk([&](Operation *op) {
        if (isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(op))
          wantBanks(op->getResult(0), 0);
      });
      for (BlockArgument arg : func.getArguments())
        wantBanks(arg, 0);
    } else {
      func->setAttr(kDataflow, b.getUnitAttr());
      recordFifoDepths(func);
    }
    auto module = func->getParentOfType<ModuleOp>();
    for (auto [buffer, count] : banks) {
      Attribute partition =
          count == 0 ? Attribute(b.getStringAttr("complete")) : b.getI64IntegerAttr(count);
      if (auto arg = dyn_cast<BlockArgument>(buffer))
        func.setArgAttr(arg.getArgNumber(), kPartition, partition);
      else if (auto get = buffer.getDefiningOp<memref::GetGlobalOp>())
        module.lookupSymbol<memref::GlobalOp>(get.getNameAttr())->setAttr(kPartition, partition);
      else
        buffer.getDefiningOp()->setAttr(kPartition, partition);
    }
    return success();
  }
};

} // namespace
