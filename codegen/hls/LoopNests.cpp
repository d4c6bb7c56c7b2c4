//===- LoopNests.cpp - the HLS target's view of its loop nests ------------===//
#include "codegen/hls/LoopNests.h"
#include "dialects/hls/HLSDialect.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

using namespace mlir;

namespace lepton::hls {

std::string nodeName(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

Value rootBuffer(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    memref = view.getViewSource();
  }
  return memref;
}

std::optional<MemoryAccess> memoryAccess(Operation *op) {
  if (auto load = dyn_cast<affine::AffineLoadOp>(op))
    return MemoryAccess{load.getMemRef(), false};
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return MemoryAccess{load.getMemRef(), false};
  if (auto store = dyn_cast<affine::AffineStoreOp>(op))
    return MemoryAccess{store.getMemRef(), true};
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return MemoryAccess{store.getMemRef(), true};
  return std::nullopt;
}

int64_t executions(Operation *op) {
  int64_t count = 1;
  for (Operation *parent = op->getParentOp(); parent; parent = parent->getParentOp()) {
    if (auto loop = dyn_cast<affine::AffineForOp>(parent))
      count *= affine::getConstantTripCount(loop).value_or(1);
    else if (auto loop = dyn_cast<scf::ForOp>(parent))
      count *= constantTripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())
                   .value_or(1);
  }
  return count;
}

int64_t multiplications(Operation *op) {
  int64_t count = 0;
  op->walk([&](Operation *inner) {
    if (isa<arith::MulIOp, arith::MulSIExtendedOp, arith::MulFOp>(inner))
      count += executions(inner);
  });
  return count;
}

namespace {

/// The values an index operand is computed from (through affine.apply and
/// index arithmetic), to find which loops a store's address depends on.
void collectRoots(Value value, llvm::SmallPtrSetImpl<Value> &roots) {
  if (!roots.insert(value).second)
    return;
  if (Operation *def = value.getDefiningOp())
    for (Value operand : def->getOperands())
      collectRoots(operand, roots);
}

} // namespace

std::optional<int64_t> updatesPerElement(affine::AffineStoreOp store) {
  llvm::SmallPtrSet<Value, 16> used;
  for (Value operand : store.getMapOperands())
    collectRoots(operand, used);
  int64_t updates = 1;
  for (Operation *parent = store->getParentOp(); !isa<func::FuncOp>(parent);
       parent = parent->getParentOp()) {
    auto loop = dyn_cast<affine::AffineForOp>(parent);
    if (!loop)
      return std::nullopt; // an scf loop or branch: not counted here
    if (used.contains(loop.getInductionVar()))
      continue;
    std::optional<uint64_t> trips = affine::getConstantTripCount(loop);
    if (!trips)
      return std::nullopt;
    updates *= int64_t(*trips);
  }
  return updates;
}

FailureOr<LoopNest> analyzeNest(affine::AffineForOp root) {
  LoopNest nest;
  nest.root = root;
  affine::getPerfectlyNestedLoops(nest.loops, root);
  llvm::SmallPtrSet<Value, 16> stored;
  root->walk([&](Operation *op) {
    if (auto store = dyn_cast<affine::AffineStoreOp>(op))
      for (Value operand : store.getMapOperands())
        collectRoots(operand, stored);
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      for (Value operand : store.getIndices())
        collectRoots(operand, stored);
  });
  for (affine::AffineForOp loop : nest.loops) {
    std::optional<uint64_t> trips = affine::getConstantTripCount(loop);
    if (!trips)
      return loop.emitError("unsupported on the HLS target: a loop without a constant trip "
                            "count (HLS designs have static shapes)");
    nest.trips.push_back(*trips);
    nest.reduction.push_back(!stored.contains(loop.getInductionVar()));
  }
  return nest;
}

bool forEachElementBits(Attribute initialValue, int64_t count,
                        llvm::function_ref<void(const llvm::APInt &)> fn) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(initialValue)) {
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = dense.isSplat() ? 0 : i;
      if (auto real = dyn_cast<FloatType>(dense.getElementType()))
        fn(dense.getValues<llvm::APFloat>()[at].bitcastToAPInt());
      else
        fn(dense.getValues<llvm::APInt>()[at]);
    }
    return true;
  }
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(initialValue);
  if (!resource || !resource.getRawHandle().getBlob())
    return false;
  llvm::ArrayRef<char> bytes = resource.getRawHandle().getBlob()->getData();
  unsigned bits = resource.getType().getElementType().getIntOrFloatBitWidth();
  unsigned size = (bits + 7) / 8;
  if (bits % 8 != 0 || int64_t(bytes.size()) != count * size)
    return false;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i * size, size); // little-endian hosts
    fn(llvm::APInt(bits, word));
  }
  return true;
}

bool isStep(Operation *op) {
  return op->getNumRegions() > 0 || isa<affine::AffineStoreOp, memref::StoreOp>(op);
}

DataflowGraph dataflowGraph(func::FuncOp func) {
  DataflowGraph graph;
  // Processes: runs of top-level steps of one layer.
  for (Operation &step : func.getBody().front()) {
    if (!isStep(&step))
      continue;
    auto layer = step.getAttrOfType<StringAttr>(kLayer);
    std::string name = layer ? layer.str() : nodeName(step.getLoc());
    if (name.empty())
      name = "(model)";
    if (graph.processes.empty() || graph.processes.back().layer != name)
      graph.processes.push_back({name, {}, {}, {}, {}, {}, {}, {}, nullptr});
    graph.processes.back().steps.push_back(&step);
  }
  // Input ports are the arguments nothing writes.
  llvm::SmallPtrSet<Value, 4> storedTo;
  func.walk([&](Operation *op) {
    if (std::optional<MemoryAccess> access = memoryAccess(op); access && access->store)
      storedTo.insert(rootBuffer(access->memref));
  });
  auto isInputPort = [&](Value v) { return isa<BlockArgument>(v) && !storedTo.contains(v); };
  // Readers of each input port, to find those with several.
  llvm::MapVector<Value, llvm::SmallVector<int>> portReaders;
  std::vector<llvm::SmallVector<std::pair<Value, bool>>> touched(graph.processes.size());
  Block &body = func.getBody().front();
  for (size_t p = 0; p < graph.processes.size(); ++p) {
    DataflowProcess &process = graph.processes[p];
    // The top-level scalars the steps use, and those they use in turn.
    llvm::SetVector<Operation *> scalars;
    auto use = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && def->getBlock() == &body && !isStep(def) &&
          !isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp, ViewLikeOpInterface>(def))
        scalars.insert(def);
    };
    for (Operation *step : process.steps)
      step->walk([&](Operation *op) {
        for (Value operand : op->getOperands())
          use(operand);
      });
    for (size_t i = 0; i < scalars.size(); ++i)
      for (Value operand : scalars[i]->getOperands())
        use(operand);
    process.ops.assign(scalars.begin(), scalars.end());
    process.ops.append(process.steps.begin(), process.steps.end());
    llvm::sort(process.ops, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    llvm::SmallPtrSet<Value, 8> seen;
    llvm::SmallPtrSet<Value, 8> written;
    auto visit = [&](Operation *op) {
        std::optional<MemoryAccess> access = memoryAccess(op);
        if (!access)
          return;
        Value buffer = rootBuffer(access->memref);
        // Constants, and buffers a step allocates for itself, stay out.
        Operation *def = buffer.getDefiningOp();
        if (def && (isa<memref::GetGlobalOp>(def) || def->getBlock() != &body))
          return;
        if (access->store)
          written.insert(buffer);
        if (seen.insert(buffer).second)
          process.buffers.push_back(buffer);
    };
    for (Operation *op : process.ops)
      op->walk(visit);
    for (Value buffer : process.buffers) {
      touched[p].push_back({buffer, written.contains(buffer)});
      if (isInputPort(buffer))
        portReaders[buffer].push_back(int(p));
    }
  }
  // An input port read by several processes gets a reader process of its
  // own, before the others, feeding each of them a FIFO.
  std::vector<DataflowProcess> readers;
  llvm::DenseMap<Value, int> readerOf;
  for (auto &[port, readersOfPort] : portReaders)
    if (readersOfPort.size() > 1) {
      readerOf[port] = int(readers.size());
      readers.push_back({"(read port)", {}, {}, {port}, {}, {}, {}, {}, port});
    }
  int shift = int(readers.size());
  graph.processes.insert(graph.processes.begin(), readers.begin(), readers.end());
  touched.insert(touched.begin(), readers.size(), {});
  // Versions: the process that made each buffer's current one.
  llvm::DenseMap<Value, int> maker;
  for (auto &[port, reader] : readerOf)
    maker[port] = reader;
  for (int p = shift; p < int(graph.processes.size()); ++p) {
    DataflowProcess &process = graph.processes[p];
    for (auto [buffer, writes] : touched[p]) {
      auto made = maker.find(buffer);
      if (made != maker.end() && made->second != p) {
        graph.channels.push_back({buffer, made->second, p, 0});
        process.inputs.push_back(graph.channels.size() - 1);
        graph.processes[made->second].outputs.push_back(graph.channels.size() - 1);
      } else if (made == maker.end() && isInputPort(buffer)) {
        process.inputPorts.push_back(buffer);
      }
      if (writes)
        maker[buffer] = p;
    }
  }
  for (BlockArgument arg : func.getArguments())
    if (!isInputPort(arg))
      if (auto made = maker.find(arg); made != maker.end())
        graph.processes[made->second].outputPorts.push_back(arg);
  // Depths, as lepton-hls-directives chose them: the k-th FIFO of a buffer
  // has the k-th of its hls.fifo_depths.
  llvm::DenseMap<Value, unsigned> carried;
  for (DataflowChannel &channel : graph.channels) {
    DenseI64ArrayAttr depths;
    if (auto arg = dyn_cast<BlockArgument>(channel.buffer))
      depths = func.getArgAttrOfType<DenseI64ArrayAttr>(arg.getArgNumber(), kFifoDepths);
    else
      depths = channel.buffer.getDefiningOp()->getAttrOfType<DenseI64ArrayAttr>(kFifoDepths);
    unsigned k = carried[channel.buffer]++;
    channel.depth = depths && k < depths.size() ? depths[k] : 0;
  }
  return graph;
}

} // namespace lepton::hls
