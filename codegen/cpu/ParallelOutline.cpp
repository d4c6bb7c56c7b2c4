//===- ParallelOutline.cpp - run a range of tasks on the thread pool ------===//
#include "codegen/cpu/ParallelOutline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace lepton::cpu {

std::string describe(Operation *op) {
  if (auto kind = op->getAttrOfType<StringAttr>(kKindAttr))
    return kind.str();
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return op->getName().getStringRef().str();
  return (generic.getNumReductionLoops() ? "reduction " : "elementwise ") +
         formatSizes(generic.getStaticLoopRanges());
}

std::string formatSizes(ArrayRef<int64_t> sizes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(sizes, os, "x");
  return text;
}

bool isContiguous(Value v) {
  auto memref = dyn_cast<MemRefType>(v.getType());
  return memref && memref.hasStaticShape() && memref.getLayout().isIdentity();
}

bool canCapture(Value v) {
  return isa<MemRefType>(v.getType()) ? isContiguous(v) : v.getType().isIntOrIndexOrFloat();
}

func::CallOp outlineParallel(OpBuilder &b, Location loc, StringRef name, int64_t tasks,
                             ValueRange captured,
                             function_ref<void(OpBuilder &, Value, Value, ValueRange)> emitBody) {
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  SmallVector<Type> types = {b.getIndexType(), b.getIndexType()};
  llvm::append_range(types, captured.getTypes());
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto body = b.create<func::FuncOp>(loc, (name + "_body").str(), b.getFunctionType(types, {}));
    body.setPrivate();
    b.setInsertionPointToStart(body.addEntryBlock());
    emitBody(b, body.getArgument(0), body.getArgument(1), body.getArguments().drop_front(2));
    b.create<func::ReturnOp>(loc);
  }
  func::FuncOp parallel;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    parallel = b.create<func::FuncOp>(loc, (name + "_parallel").str(),
                                      b.getFunctionType(ArrayRef(types).drop_front(), {}));
    parallel.setPrivate();
  }
  SmallVector<Value> args = {b.create<arith::ConstantIndexOp>(loc, tasks)};
  llvm::append_range(args, captured);
  return b.create<func::CallOp>(loc, parallel, args);
}

} // namespace lepton::cpu
