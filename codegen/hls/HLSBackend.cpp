//===- HLSBackend.cpp - linalg -> annotated affine loop nests -------------===//
#include "codegen/hls/HLSBackend.h"
#include "codegen/hls/LoopNests.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace lepton::hls {

// As on the CPU, without the workspace: an HLS design keeps its buffers on
// chip, each a local array the directives partition. Copies become loop
// nests like every other op.
std::string hlsPipeline(const HLSOptions &options) {
  return "lepton-prepare-entry-abi,empty-tensor-to-alloc-tensor,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "cse,buffer-results-to-out-params{hoist-static-allocs=true},canonicalize,cse,"
         "lepton-strided-copy-to-linalg{all-copies=true},"
         "func.func(convert-linalg-to-affine-loops),canonicalize,cse,"
         "lepton-hls-directives{io=" +
         options.io + " reuse-factor=" + std::to_string(options.reuseFactor) + "}";
}

bool isBitExact(func::FuncOp func) {
  bool exact = true;
  for (auto root : func.getBody().getOps<affine::AffineForOp>()) {
    FailureOr<LoopNest> nest = analyzeNest(root);
    bool reduces = failed(nest) || llvm::is_contained(nest->reduction, true);
    root->walk([&](Operation *op) {
      bool floating = llvm::any_of(op->getOperandTypes(), [](Type t) { return isa<FloatType>(t); }) ||
                      llvm::any_of(op->getResultTypes(), [](Type t) { return isa<FloatType>(t); });
      if (!floating || isa<affine::AffineLoadOp, affine::AffineStoreOp, arith::ConstantOp,
                           arith::SelectOp>(op))
        return;
      bool rounded = isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp, arith::NegFOp,
                         arith::MaximumFOp, arith::MinimumFOp, math::RoundEvenOp,
                         arith::FPToSIOp, arith::FPToUIOp, arith::SIToFPOp, arith::UIToFPOp,
                         arith::CmpFOp>(op);
      if (!rounded || reduces)
        exact = false;
    });
  }
  return exact;
}

} // namespace lepton::hls
