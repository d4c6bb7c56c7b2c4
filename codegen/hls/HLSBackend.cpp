//===- HLSBackend.cpp - linalg -> annotated affine loop nests -------------===//
#include "codegen/hls/HLSBackend.h"
#include "codegen/hls/LoopNests.h"
#include "dialects/compress/CompressDialect.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

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
         "lepton-hls-narrow-accumulators,canonicalize,"
         "lepton-hls-directives{io=" +
         options.io + " reuse-factor=" + std::to_string(options.reuseFactor) + "}";
}

namespace {

/// The per-tensor quantized element type of `v`'s tensor type, or null.
quant::UniformQuantizedType perTensorType(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? dyn_cast<quant::UniformQuantizedType>(type.getElementType()) : nullptr;
}

/// The storage integers of quantized tensor type `type`, unsigned where it is.
RankedTensorType storageType(RankedTensorType type) {
  auto q = cast<quant::UniformQuantizedType>(type.getElementType());
  return type.clone(IntegerType::get(type.getContext(), q.getStorageTypeIntegralWidth(),
                                     q.isSigned() ? IntegerType::Signless
                                                  : IntegerType::Unsigned));
}

/// Quantized `v` as its storage integers.
Value toStorage(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  auto q = cast<quant::UniformQuantizedType>(type.getElementType());
  Value raw = b.create<quant::StorageCastOp>(loc, type.clone(q.getStorageType()), v);
  RankedTensorType storage = storageType(type);
  return storage == raw.getType() ? raw : b.create<tensor::BitcastOp>(loc, storage, raw);
}

void setPortAttrs(func::FuncOp func, std::optional<unsigned> arg, unsigned result,
                  quant::UniformQuantizedType q) {
  Builder b(func.getContext());
  NamedAttribute attrs[] = {b.getNamedAttr("lepton.scale", b.getF64FloatAttr(q.getScale())),
                            b.getNamedAttr("lepton.zero_point",
                                           b.getI64IntegerAttr(q.getZeroPoint()))};
  for (const NamedAttribute &attr : attrs) {
    if (arg)
      func.setArgAttr(*arg, attr.getName(), attr.getValue());
    else
      func.setResultAttr(result, attr.getName(), attr.getValue());
  }
}

} // namespace

bool QuantizedPorts::any() const {
  return llvm::any_of(inputs, [](Operation *op) { return op; }) ||
         llvm::any_of(outputs, [](Operation *op) { return op; });
}

/// The reshapes (row-major order kept) from `v` to its quantize: `v`'s only
/// user chain of Flatten, Reshape, Squeeze and Unsqueeze ops, then one
/// per-tensor compress.quantize (last in the result); empty when there is none.
SmallVector<Operation *> reshapesToQuantize(Value v) {
  SmallVector<Operation *> chain;
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (auto q = dyn_cast<compress::QuantizeOp>(user)) {
      if (!perTensorType(q.getOutput()))
        return {};
      chain.push_back(user);
      return chain;
    }
    if (!isa<nn::FlattenOp, nn::ReshapeOp, nn::SqueezeOp, nn::UnsqueezeOp>(user) ||
        user->getOperand(0) != v || user->getNumResults() != 1)
      return {};
    chain.push_back(user);
    v = user->getResult(0);
  }
  return {};
}

QuantizedPorts planQuantizedPorts(func::FuncOp func, bool quantized) {
  QuantizedPorts ports;
  for (BlockArgument arg : func.getArguments()) {
    SmallVector<Operation *> chain = quantized ? reshapesToQuantize(arg) : SmallVector<Operation *>();
    ports.inputs.push_back(chain.empty() ? nullptr : chain.back());
  }
  for (Value result : func.getBody().back().getTerminator()->getOperands()) {
    auto dq = result.getDefiningOp<compress::DequantizeOp>();
    ports.outputs.push_back(quantized && dq && perTensorType(dq.getInput()) ? dq.getOperation()
                                                                            : nullptr);
  }
  return ports;
}

std::pair<std::vector<Value>, std::vector<Value>>
quantizedPortValues(func::FuncOp func, const QuantizedPorts &ports) {
  std::pair<std::vector<Value>, std::vector<Value>> values;
  OpBuilder b(func.getContext());
  for (Operation *quantize : ports.inputs) {
    if (!quantize) {
      values.first.push_back(nullptr);
      continue;
    }
    b.setInsertionPointAfter(quantize);
    values.first.push_back(toStorage(b, quantize->getLoc(), quantize->getResult(0)));
  }
  Operation *ret = func.getBody().back().getTerminator();
  for (auto [dq, result] : llvm::zip(ports.outputs, ret->getOperands())) {
    if (!dq) {
      values.second.push_back(result);
      continue;
    }
    b.setInsertionPoint(ret);
    values.second.push_back(toStorage(b, dq->getLoc(), dq->getOperand(0)));
  }
  return values;
}

void eraseQuantizedPortValues(llvm::ArrayRef<Value> values) {
  for (Value v : values)
    for (Operation *dead = v ? v.getDefiningOp() : nullptr;
         dead && dead->use_empty() && isa<quant::StorageCastOp, tensor::BitcastOp>(dead);) {
      Operation *source = dead->getOperand(0).getDefiningOp();
      dead->erase();
      dead = source;
    }
}

void applyQuantizedPorts(func::FuncOp func, const QuantizedPorts &ports) {
  Block &entry = func.getBody().front();
  OpBuilder b(func.getContext());
  for (auto [i, quantize] : llvm::enumerate(ports.inputs)) {
    if (!quantize)
      continue;
    // The argument becomes the integers; its quantize, their reading as
    // the quantized type.
    BlockArgument arg = entry.getArgument(i);
    SmallVector<Operation *> chain = reshapesToQuantize(arg);
    chain.pop_back(); // the quantize
    auto type = cast<RankedTensorType>(quantize->getResult(0).getType());
    Type storage = cast<quant::QuantizedType>(type.getElementType()).getStorageType();
    arg.setType(storageType(cast<RankedTensorType>(arg.getType()).clone(type.getElementType())));
    b.setInsertionPointToStart(&entry);
    Value raw = arg;
    auto signless = cast<RankedTensorType>(arg.getType()).clone(storage);
    if (arg.getType() != signless)
      raw = b.create<tensor::BitcastOp>(quantize->getLoc(), signless, arg);
    // The reshapes, on the integers.
    for (Operation *reshape : chain) {
      IRMapping mapping;
      mapping.map(reshape->getOperand(0), raw);
      Operation *copy = b.clone(*reshape, mapping);
      copy->getResult(0).setType(
          cast<RankedTensorType>(reshape->getResult(0).getType()).clone(storage));
      raw = copy->getResult(0);
    }
    quantize->getResult(0).replaceAllUsesWith(
        b.create<quant::StorageCastOp>(quantize->getLoc(), type, raw).getResult());
    quantize->erase();
    for (Operation *reshape : llvm::reverse(chain))
      reshape->erase();
    setPortAttrs(func, unsigned(i), 0, cast<quant::UniformQuantizedType>(type.getElementType()));
  }
  Operation *ret = func.getBody().back().getTerminator();
  b.setInsertionPoint(ret);
  for (auto [i, dq] : llvm::enumerate(ports.outputs)) {
    if (!dq)
      continue;
    ret->setOperand(i, toStorage(b, dq->getLoc(), dq->getOperand(0)));
    setPortAttrs(func, std::nullopt, unsigned(i), perTensorType(dq->getOperand(0)));
    if (dq->use_empty())
      dq->erase();
  }
  func.setType(FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                                 ret->getOperandTypes()));
}

bool isBitExact(func::FuncOp func) {
  bool exact = true;
  for (Operation &step : func.getBody().front()) {
    if (!isStep(&step))
      continue;
    // Any step but a nest without reductions may sum floats in its own order.
    auto root = dyn_cast<affine::AffineForOp>(step);
    FailureOr<LoopNest> nest = root ? analyzeNest(root) : FailureOr<LoopNest>(failure());
    bool reduces = failed(nest) || llvm::is_contained(nest->reduction, true);
    step.walk([&](Operation *op) {
      bool floating = llvm::any_of(op->getOperandTypes(), [](Type t) { return isa<FloatType>(t); }) ||
                      llvm::any_of(op->getResultTypes(), [](Type t) { return isa<FloatType>(t); });
      if (!floating || isa<affine::AffineLoadOp, affine::AffineStoreOp, memref::LoadOp,
                           memref::StoreOp, arith::ConstantOp, arith::SelectOp>(op))
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
