//===- SplitEmptyTensors.cpp - pad sources keep their own buffer ----------===//
//
// CSE merges identical tensor.empty ops, so the tensor a tensor.pad copies
// from can share its destination with later ops of the same type; one-shot
// bufferization then writes one of those in place over the pad's source
// once the copy has read it. On the CPU the copy does not exist: the
// depthwise and pooling kernels read the source itself (see
// lepton-vectorize-contractions), so the source must keep its bytes until
// they run. The other users of such an empty tensor get their own; every
// other in-place reuse stays, which keeps the workspace small.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace lepton {
#define GEN_PASS_DEF_SPLITEMPTYTENSORS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct SplitEmptyTensorsPass : lepton::impl::SplitEmptyTensorsBase<SplitEmptyTensorsPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation().walk([&](tensor::PadOp pad) {
      // The pad's source, through reshapes, back to the op that wrote it.
      Value v = pad.getSource();
      while (Operation *def = v.getDefiningOp()) {
        if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
          break;
        v = def->getOperand(0);
      }
      auto writer = v.getDefiningOp<DestinationStyleOpInterface>();
      if (!writer)
        return;
      OpOperand *init = writer.getTiedOpOperand(cast<OpResult>(v));
      auto empty = init ? init->get().getDefiningOp<tensor::EmptyOp>() : nullptr;
      if (!empty)
        return;
      for (OpOperand &use : llvm::make_early_inc_range(empty->getUses()))
        if (&use != init) {
          b.setInsertionPoint(use.getOwner());
          use.set(b.clone(*empty)->getResult(0));
        }
    });
  }
};

} // namespace
