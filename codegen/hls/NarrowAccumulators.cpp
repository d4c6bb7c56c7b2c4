//===- NarrowAccumulators.cpp - integer buffers at the width they need ----===//
//
// A quantized layer sums 8-bit products in int32, as the integer contract
// fixes; K products of 8 by 8 bits need about 16 + log2 K bits. On an FPGA
// every bit is logic, so each integer buffer gets the width its values can
// reach. Upstream's integer range analysis follows SSA values but not values
// through memory, and accumulations are read-modify-writes of memory here,
// hence this pass (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/hls/LoopNests.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/APSInt.h"

namespace lepton {
#define GEN_PASS_DEF_HLSNARROWACCUMULATORS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// A closed interval of integers, in 128 bits so that sums and products of
/// 64-bit bounds are exact.
struct Interval {
  __int128 lo, hi;
  static Interval of(int64_t lo, int64_t hi) { return {lo, hi}; }
  Interval hull(Interval o) const { return {std::min(lo, o.lo), std::max(hi, o.hi)}; }
  Interval operator+(Interval o) const { return {lo + o.lo, hi + o.hi}; }
  Interval operator-(Interval o) const { return {lo - o.hi, hi - o.lo}; }
  Interval operator*(Interval o) const {
    __int128 c[] = {lo * o.lo, lo * o.hi, hi * o.lo, hi * o.hi};
    return {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
  }
  bool within(unsigned bits) const {
    __int128 max = (__int128(1) << (bits - 1)) - 1;
    return lo >= -max - 1 && hi <= max;
  }
  /// The fewest bits of a signed integer that hold every value.
  unsigned bits() const {
    unsigned b = 1;
    while (!within(b))
      ++b;
    return b;
  }
};

Interval signedRange(unsigned bits) {
  __int128 max = (__int128(1) << (bits - 1)) - 1;
  return {-max - 1, max};
}

class Narrower {
public:
  explicit Narrower(ModuleOp module) : module(module) {}

  /// The values `v` (an integer) can take; its type's whole range where
  /// nothing narrower is known.
  Interval range(Value v) {
    unsigned width = v.getType().getIntOrFloatBitWidth();
    Interval full = signedRange(width);
    auto fits = [&](Interval i) { return i.within(width) ? i : full; };
    Operation *def = v.getDefiningOp();
    if (!def)
      return full;
    if (auto c = dyn_cast<arith::ConstantIntOp>(def))
      return Interval::of(c.value(), c.value());
    if (auto ext = dyn_cast<arith::ExtSIOp>(def))
      return range(ext.getIn());
    if (auto ext = dyn_cast<arith::ExtUIOp>(def)) {
      unsigned bits = ext.getIn().getType().getIntOrFloatBitWidth();
      return {0, (__int128(1) << bits) - 1};
    }
    if (auto add = dyn_cast<arith::AddIOp>(def))
      return fits(range(add.getLhs()) + range(add.getRhs()));
    if (auto sub = dyn_cast<arith::SubIOp>(def))
      return fits(range(sub.getLhs()) - range(sub.getRhs()));
    if (auto mul = dyn_cast<arith::MulIOp>(def))
      return fits(range(mul.getLhs()) * range(mul.getRhs()));
    if (auto select = dyn_cast<arith::SelectOp>(def))
      return range(select.getTrueValue()).hull(range(select.getFalseValue()));
    if (auto max = dyn_cast<arith::MaxSIOp>(def)) {
      Interval a = range(max.getLhs()), b = range(max.getRhs());
      return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
    }
    if (auto min = dyn_cast<arith::MinSIOp>(def)) {
      Interval a = range(min.getLhs()), b = range(min.getRhs());
      return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
    }
    if (auto load = dyn_cast<affine::AffineLoadOp>(def))
      if (std::optional<Interval> values = constantValues(load.getMemRef()))
        return *values;
    return full;
  }

  /// Narrows every top-level integer buffer of `func` it can bound.
  void run(func::FuncOp func) {
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front()))
      if (isa<memref::AllocOp, memref::AllocaOp>(op))
        narrow(func, op.getResult(0));
  }

private:
  /// The least and greatest element of the constant global `memref` is
  /// read from, as signed integers.
  std::optional<Interval> constantValues(Value memref) {
    auto get = lepton::hls::rootBuffer(memref).getDefiningOp<memref::GetGlobalOp>();
    auto global = get ? module.lookupSymbol<memref::GlobalOp>(get.getNameAttr()) : nullptr;
    if (!global || !global.getConstant() || !global.getType().getElementType().isInteger())
      return std::nullopt;
    std::optional<Interval> values;
    bool ok = lepton::hls::forEachElementBits(
        global.getInitialValueAttr(), global.getType().getNumElements(),
        [&](const llvm::APInt &bits) {
          int64_t v = bits.getSExtValue();
          values = values ? values->hull(Interval::of(v, v)) : Interval::of(v, v);
        });
    return ok ? values : std::nullopt;
  }

  /// Loads and stores of `buffer`, through views; false when something else
  /// uses it (or a view of it).
  bool accesses(Value buffer, SmallVectorImpl<Value> &views,
                SmallVectorImpl<affine::AffineLoadOp> &loads,
                SmallVectorImpl<affine::AffineStoreOp> &stores) {
    views.push_back(buffer);
    for (size_t i = 0; i < views.size(); ++i)
      for (Operation *user : views[i].getUsers()) {
        if (auto load = dyn_cast<affine::AffineLoadOp>(user))
          loads.push_back(load);
        else if (auto store = dyn_cast<affine::AffineStoreOp>(user);
                 store && store.getValueToStore() != views[i])
          stores.push_back(store);
        else if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::SubViewOp>(user))
          views.push_back(user->getResult(0));
        else if (!isa<memref::DeallocOp>(user))
          return false;
      }
    return true;
  }

  /// The load of the element `store` writes, when `store` adds to it:
  /// store (load + p) at the same address.
  static affine::AffineLoadOp accumulated(affine::AffineStoreOp store, Value &increment) {
    auto add = store.getValueToStore().getDefiningOp<arith::AddIOp>();
    if (!add || !add->hasOneUse())
      return nullptr;
    for (auto [self, other] : {std::pair(add.getLhs(), add.getRhs()),
                               std::pair(add.getRhs(), add.getLhs())}) {
      auto load = self.getDefiningOp<affine::AffineLoadOp>();
      if (load && load.getMemRef() == store.getMemRef() &&
          load.getAffineMap() == store.getAffineMap() &&
          load.getMapOperands() == store.getMapOperands() && self.hasOneUse()) {
        increment = other;
        return load;
      }
    }
    return nullptr;
  }

  void narrow(func::FuncOp func, Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    auto element = dyn_cast<IntegerType>(type.getElementType());
    if (!element || element.getWidth() < 2)
      return;
    SmallVector<Value> views;
    SmallVector<affine::AffineLoadOp> loads;
    SmallVector<affine::AffineStoreOp> stores;
    if (!accesses(buffer, views, loads, stores) || stores.empty())
      return;
    // The stores in program order, one per top-level step: a plain store
    // sets (part of) the values, an accumulating one adds its increment to
    // every element as many times as its reduction loops run. (A value read
    // from the buffer itself counts as its type's whole range.)
    Block &body = func.getBody().front();
    auto step = [&](Operation *op) { return body.findAncestorOpInBlock(*op); };
    llvm::sort(stores, [&](affine::AffineStoreOp a, affine::AffineStoreOp b) {
      return step(a)->isBeforeInBlock(step(b));
    });
    for (size_t i = 1; i < stores.size(); ++i)
      if (step(stores[i]) == step(stores[i - 1]))
        return;
    std::optional<Interval> values;
    for (affine::AffineStoreOp store : stores) {
      Value increment;
      if (accumulated(store, increment)) {
        std::optional<int64_t> updates = lepton::hls::updatesPerElement(store);
        if (!values || !updates)
          return;
        Interval each = range(increment);
        values = *values + Interval{std::min<__int128>(0, each.lo * *updates),
                                    std::max<__int128>(0, each.hi * *updates)};
      } else {
        Interval stored = range(store.getValueToStore());
        values = values ? values->hull(stored) : stored;
      }
    }
    unsigned width = values->bits();
    if (width >= element.getWidth())
      return;
    retype(func, views, loads, stores, IntegerType::get(buffer.getContext(), width));
  }

  /// The buffer and its views hold `narrow` integers: loads sign-extend
  /// them, stores truncate (exact: every stored value fits), and an
  /// accumulation adds in the narrow type.
  void retype(func::FuncOp, ArrayRef<Value> views, ArrayRef<affine::AffineLoadOp> loads,
              ArrayRef<affine::AffineStoreOp> stores, IntegerType narrow) {
    for (Value view : views)
      view.setType(cast<MemRefType>(view.getType()).clone(narrow));
    OpBuilder b(narrow.getContext());
    for (affine::AffineStoreOp store : stores) {
      Value increment;
      if (affine::AffineLoadOp load = accumulated(store, increment)) {
        // (load + p) mod 2^W from the narrow load and p mod 2^W: exact,
        // since the sum fits.
        load.getResult().setType(narrow);
        b.setInsertionPoint(store);
        Value sum = b.create<arith::AddIOp>(
            store.getLoc(), load.getResult(),
            b.create<arith::TruncIOp>(store.getLoc(), narrow, increment));
        Operation *wide = store.getValueToStore().getDefiningOp();
        store.getValueMutable().assign(sum);
        if (wide->use_empty())
          wide->erase();
        continue;
      }
      b.setInsertionPoint(store);
      store.getValueMutable().assign(
          b.create<arith::TruncIOp>(store.getLoc(), narrow, store.getValueToStore()));
    }
    for (affine::AffineLoadOp load : loads) {
      if (load.getResult().getType() == narrow)
        continue; // an accumulation's, done above
      Type wide = load.getResult().getType();
      load.getResult().setType(narrow);
      b.setInsertionPointAfter(load);
      auto ext = b.create<arith::ExtSIOp>(load.getLoc(), wide, load.getResult());
      load.getResult().replaceAllUsesExcept(ext, ext);
    }
  }

  ModuleOp module;
};

struct HLSNarrowAccumulatorsPass
    : lepton::impl::HLSNarrowAccumulatorsBase<HLSNarrowAccumulatorsPass> {
  void runOnOperation() override {
    Narrower narrower(getOperation());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        narrower.run(func);
  }
};

} // namespace
