//===- DynamicBatch.cpp - proof that batch entries stay apart ------------===//
#include "compiler/DynamicBatch.h"

#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace lepton::nn;

namespace lepton {
namespace {

int64_t rankOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t ? t.getRank() : -1;
}

/// Whether `axis` (an attribute value, maybe negative) names dim 0 of `rank`.
bool isLeading(int64_t axis, int64_t rank) {
  auto normalized = normalizeAxis(axis, rank);
  return !normalized || *normalized == 0;
}

/// Constant axes that leave dim 0 alone; run-time axes might not.
bool axesSkipLeading(Value axes, int64_t rank) {
  if (isa<NoneType>(axes.getType()))
    return false;
  auto values = getConstantIntValues(axes);
  return values && llvm::none_of(*values, [&](int64_t a) { return isLeading(a, rank); });
}

/// The per-op rule: given which operands carry the batch, does `op` compute
/// each batch entry from that entry alone (with the batch staying dim 0)?
bool isPerEntry(Operation *op, ArrayRef<bool> batched) {
  int64_t rank = op->getNumResults() ? rankOf(op->getResult(0)) : -1;
  auto only = [&](ArrayRef<unsigned> allowed) {
    for (auto [i, b] : llvm::enumerate(batched))
      if (b && !llvm::is_contained(allowed, i))
        return false;
    return true;
  };
  // Broadcasting elementwise ops: a batched operand spans the result's rank;
  // the others broadcast along dim 0 (lower rank or a leading 1).
  auto broadcasting = [&] {
    for (auto [i, v] : llvm::enumerate(op->getOperands())) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t)
        continue;
      if (batched[i] ? t.getRank() != rank
                     : t.getRank() == rank && rank > 0 && t.getDimSize(0) != 1)
        return false;
    }
    return true;
  };
  if (op->hasTrait<OpTrait::SameOperandsAndResultType>())
    return true;
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, BitShiftOp, PReluOp, AndOp, OrOp, XorOp,
            EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp, MaxOp, MinOp, SumOp,
            MeanOp, WhereOp, ClipOp, CastOp, CastLikeOp, IsNaNOp, IsInfOp, DropoutOp, IdentityOp,
            LeakyReluOp, EluOp, CeluOp, SeluOp, HardSigmoidOp, HardSwishOp, ThresholdedReluOp,
            ShrinkOp, SoftplusOp, SoftsignOp, MishOp, QuantizeLinearOp, DequantizeLinearOp>(
          [&](Operation *) { return broadcasting(); })
      // Per-sample layouts: X is [N, C, ...], the parameters are shared.
      .Case<ConvOp, ConvTransposeOp, ConvIntegerOp, QLinearConvOp, AveragePoolOp, LpPoolOp,
            GlobalAveragePoolOp, GlobalMaxPoolOp, GlobalLpPoolOp, LRNOp, InstanceNormalizationOp,
            DepthToSpaceOp, SpaceToDepthOp, ResizeOp>([&](Operation *) { return only({0}); })
      .Case([&](BatchNormalizationOp o) { return o.getTrainingMode() == 0 && only({0}); })
      // Indices are flat over the whole batch, so one entry's would be off.
      .Case([&](MaxPoolOp o) { return !o.getIndicesOutput() && only({0}); })
      .Case([&](GridSampleOp) {
        return only({0, 1});
      })
      .Case<SoftmaxOp, LogSoftmaxOp, HardmaxOp, ArgMaxOp, ArgMinOp, LpNormalizationOp, TopKOp,
            DFTOp>([&](Operation *o) {
        return only({0}) &&
               !isLeading(o->getAttrOfType<IntegerAttr>("axis").getInt(), rankOf(o->getOperand(0)));
      })
      .Case([&](LayerNormalizationOp o) {
        return only({0}) && !isLeading(o.getAxis(), rankOf(o.getX()));
      })
      .Case([&](MeanVarianceNormalizationOp o) {
        auto axes = o.getAxes().value_or(ArrayRef<int64_t>{0});
        return only({0}) && llvm::none_of(axes, [&](int64_t a) { return isLeading(a, rank); });
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceLogSumOp, ReduceLogSumExpOp, ReduceSumSquareOp>([&](Operation *o) {
        return only({0}) && axesSkipLeading(o->getOperand(1), rankOf(o->getOperand(0)));
      })
      .Case([&](CumSumOp o) { return only({0}) && axesSkipLeading(o.getAxis(), rank); })
      .Case([&](SqueezeOp o) {
        return only({0}) && axesSkipLeading(o.getAxes(), rankOf(o.getData()));
      })
      .Case([&](UnsqueezeOp o) { return only({0}) && axesSkipLeading(o.getAxes(), rank); })
      .Case([&](SliceOp o) {
        Value axes = o.getAxes();
        if (isa<NoneType>(axes.getType())) // default axes 0..n-1
          return false;
        return only({0}) && axesSkipLeading(axes, rank);
      })
      .Case([&](PadOp o) {
        auto pads = getConstantIntValues(o.getPads());
        return only({0}) && pads && (*pads)[0] == 0 && (*pads)[rank] == 0;
      })
      .Case([&](TileOp o) {
        auto repeats = getConstantIntValues(o.getRepeats());
        return only({0}) && repeats && (*repeats)[0] == 1;
      })
      .Case([&](ConcatOp o) {
        return llvm::all_of(batched, [](bool b) { return b; }) && !isLeading(o.getAxis(), rank);
      })
      .Case([&](SplitOp o) { return only({0}) && !isLeading(o.getAxis(), rankOf(o.getInput())); })
      .Case([&](FlattenOp o) { return only({0}) && o.getAxis() >= 1; })
      .Case([&](TransposeOp o) { return only({0}) && o.getPerm() && (*o.getPerm())[0] == 0; })
      // The result keeps the batch as dim 0 (checked from the two imports).
      .Case<ReshapeOp, ExpandOp>([&](Operation *) { return only({0}); })
      .Case([&](GatherOp o) {
        if (batched[0])
          return only({0}) && !isLeading(o.getAxis(), rankOf(o.getData()));
        return isLeading(o.getAxis(), rankOf(o.getData())) && rankOf(o.getIndices()) >= 1;
      })
      .Case([&](OneHotOp o) { return only({0}) && !isLeading(o.getAxis(), rank); })
      .Case([&](TriluOp) { return only({0}) && rank >= 3; })
      .Case<MatMulOp, MatMulIntegerOp, QLinearMatMulOp>([&](Operation *o) {
        unsigned a = 0, b = isa<QLinearMatMulOp>(o) ? 3 : 1;
        int64_t ra = rankOf(o->getOperand(a)), rb = rankOf(o->getOperand(b));
        bool ab = batched[a], bb = batched[b];
        if (!only({a, b}))
          return false;
        if (ab && bb)
          return ra == rb && ra >= 3;
        return ab ? ra >= 2 && ra >= rb : rb >= 3 && rb >= ra;
      })
      .Case([&](GemmOp o) {
        auto c = dyn_cast<RankedTensorType>(o.getC().getType());
        return only({0}) && o.getTransA() == 0 &&
               (!c || c.getRank() < 2 || c.getDimSize(0) == 1);
      })
      .Case<RNNOp, GRUOp, LSTMOp>([&](Operation *o) {
        // Batch-first layout: X, sequence_lens and the initial states lead with it.
        bool batchFirst = o->getAttrOfType<IntegerAttr>("layout").getInt() == 1;
        return batchFirst && only({0, 4, 5, 6});
      })
      .Default([](Operation *) { return false; });
}

/// How a result relates to the batch: the same at both batch sizes, or
/// leading with the batch (1 vs 2).
enum class Relation { Same, Batched, Other };

Relation relate(Type one, Type two) {
  if (one == two)
    return Relation::Same;
  auto a = dyn_cast<RankedTensorType>(one), b = dyn_cast<RankedTensorType>(two);
  if (!a || !b || a.getRank() == 0 || a.getRank() != b.getRank() ||
      a.getElementType() != b.getElementType() || a.getDimSize(0) != 1 || b.getDimSize(0) != 2 ||
      a.getShape().drop_front() != b.getShape().drop_front())
    return Relation::Other;
  return Relation::Batched;
}

/// Whether two nn.constant ops hold the same values (each import names its
/// resource blobs apart, so the attributes differ even then).
bool sameConstant(ConstantOp a, ConstantOp b) {
  ElementsAttr x = a.getValue(), y = b.getValue();
  if (x == y)
    return true;
  if (x.getType() != y.getType())
    return false;
  auto bytes = [](ElementsAttr e) -> std::optional<ArrayRef<char>> {
    if (auto dense = dyn_cast<DenseElementsAttr>(e))
      return dense.getRawData();
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(e))
      if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
        return blob->getData();
    return std::nullopt;
  };
  auto bx = bytes(x), by = bytes(y);
  return bx && by && *bx == *by;
}

} // namespace

LogicalResult checkBatchParallel(func::FuncOp one, func::FuncOp two) {
  auto opsOf = [](func::FuncOp f) {
    return llvm::to_vector(llvm::map_range(f.getBody().front(), [](Operation &op) { return &op; }));
  };
  SmallVector<Operation *> ops1 = opsOf(one), ops2 = opsOf(two);
  auto fail = [&](Operation *at, const Twine &why) {
    return at->emitError() << "unsupported dynamic batch: " << why
                           << "; pin the batch with --shape NAME:DIMS";
  };
  if (ops1.size() != ops2.size())
    return fail(one, "the graph changes with the batch size");
  DenseSet<Value> batched;
  for (auto [i, arg] : llvm::enumerate(one.getArguments()))
    if (one.getArgAttr(i, "lepton.batch"))
      batched.insert(arg);
  for (auto [a, b] : llvm::zip(ops1, ops2)) {
    if (a->getName() != b->getName() || a->getNumResults() != b->getNumResults())
      return fail(a, "the graph changes with the batch size");
    if (isa<func::ReturnOp>(a))
      break;
    // A constant that differs is a shape computed from the batch: fine as the
    // target of a Reshape/Expand/ConstantOfShape, whose result then carries the
    // batch; anywhere else the batch size would be used as a value.
    if (isa<ConstantOp>(a) && !sameConstant(cast<ConstantOp>(a), cast<ConstantOp>(b))) {
      for (OpOperand &use : a->getResult(0).getUses()) {
        Operation *user = use.getOwner();
        bool shapeOperand = (isa<ReshapeOp, ExpandOp>(user) && use.getOperandNumber() == 1) ||
                            (isa<ConstantOfShapeOp>(user) && use.getOperandNumber() == 0);
        if (!shapeOperand)
          return fail(user, Twine("'") + user->getName().getStringRef() +
                                "' uses the batch size as a value");
      }
      continue;
    }
    if (!isa<ConstantOp>(a) && a->getAttrDictionary() != b->getAttrDictionary())
      return fail(a, "attributes change with the batch size");
    SmallVector<bool> operands =
        llvm::map_to_vector(a->getOperands(), [&](Value v) { return batched.contains(v); });
    bool anyBatched = llvm::is_contained(operands, true);
    SmallVector<Relation> results;
    for (auto [r1, r2] : llvm::zip(a->getResults(), b->getResults()))
      results.push_back(relate(r1.getType(), r2.getType()));
    if (llvm::is_contained(results, Relation::Other))
      return fail(a, "a result shape depends on the batch beyond its leading dim");
    bool allBatched = llvm::all_of(results, [](Relation r) { return r == Relation::Batched; });
    bool anyResultBatched = llvm::is_contained(results, Relation::Batched);
    if (anyBatched ? !allBatched || !isPerEntry(a, operands)
                   : anyResultBatched && !isa<ConstantOfShapeOp, ExpandOp>(a))
      return fail(a, Twine("'") + a->getName().getStringRef() + "' combines entries of the batch");
    if (anyBatched || anyResultBatched)
      for (Value r : a->getResults())
        batched.insert(r);
  }
  Operation *ret = one.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands()))
    if (batched.contains(v))
      one.setResultAttr(i, "lepton.batch", UnitAttr::get(one.getContext()));
  return success();
}

} // namespace lepton
