//===- NNToLinalg.cpp - nn -> linalg on tensors ---------------------------===//
//
// The lowering shared by every target. Each nn op has one lowering function
// that builds linalg/tensor/arith ops on tensors. Convolutions and pools are
// expressed as linalg.generic over N spatial dims (groups become an explicit
// loop dim by reshaping channels), so one pattern covers 1-D/2-D/3-D,
// grouped, depthwise and dilated cases; later target passes specialise them.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/common/LinalgLowering.h"
#include "dialects/compress/CompressDialect.h"
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

namespace lepton {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton;
using namespace lepton::nn;

using namespace lepton::lowering;

namespace {

/// `value` with the (signless) element type of `type`: unsigned constants
/// keep their bits.
TypedAttr signlessValue(Attribute value, RankedTensorType type) {
  if (auto typed = cast<TypedAttr>(value); typed.getType() == type)
    return typed;
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return dense.bitcast(type.getElementType());
  return DenseResourceElementsAttr::get(type,
                                        cast<DenseResourceElementsAttr>(value).getRawHandle());
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpT>
FailureOr<Value> lowerBinary(OpT op, Lowering &l,
                             Value (Lowering::*fn)(Value, Value)) {
  return l.elementwise(resultType(op), {op.getLhs(), op.getRhs()},
                       [&](ValueRange a) { return (l.*fn)(a[0], a[1]); });
}

Value softplus(Lowering &l, Value x) {
  Value e = l.b.create<math::ExpOp>(l.loc, x);
  return l.b.create<math::LogOp>(l.loc, l.add(e, l.constant(x.getType(), 1)));
}

/// An ONNX activation by name, as the recurrent layers' `activations`
/// attribute spells it and the activation ops share; alpha and beta default
/// as in the ONNX operator documentation.
FailureOr<Value> namedActivation(Lowering &l, StringRef name, std::optional<double> alpha,
                                     std::optional<double> beta, Value x) {
  OpBuilder &b = l.b;
  Type t = x.getType();
  auto c = [&](double v) { return l.constant(t, v); };
  auto lt = [&](Value p, Value q) {
    return b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OLT, p, q);
  };
  auto sigmoid = [&](Value v) {
    return l.div(c(1),
                 l.add(c(1), b.create<math::ExpOp>(l.loc, b.create<arith::NegFOp>(l.loc, v))));
  };
  if (name == "Tanh")
    return b.create<math::TanhOp>(l.loc, x).getResult();
  if (name == "Sigmoid")
    return sigmoid(x);
  if (name == "Relu")
    return l.max(x, c(0));
  if (name == "Affine")
    return l.add(l.mul(c(alpha.value_or(1.0)), x), c(beta.value_or(0.0)));
  if (name == "LeakyRelu")
    return b.create<arith::SelectOp>(l.loc, lt(x, c(0)), l.mul(c(alpha.value_or(0.01)), x), x)
        .getResult();
  if (name == "ThresholdedRelu")
    return b.create<arith::SelectOp>(l.loc, lt(c(alpha.value_or(1.0)), x), x, c(0)).getResult();
  if (name == "ScaledTanh")
    return l.mul(c(alpha.value_or(1.0)),
                 b.create<math::TanhOp>(l.loc, l.mul(c(beta.value_or(1.0)), x)));
  if (name == "HardSigmoid")
    return l.max(c(0), l.min(c(1), l.add(l.mul(c(alpha.value_or(0.2)), x),
                                          c(beta.value_or(0.5)))));
  if (name == "Elu")
    return b.create<arith::SelectOp>(
               l.loc, lt(x, c(0)),
               l.mul(c(alpha.value_or(1.0)), l.sub(b.create<math::ExpOp>(l.loc, x), c(1))), x)
        .getResult();
  if (name == "Softsign")
    return l.div(x, l.add(c(1), b.create<math::AbsFOp>(l.loc, x)));
  if (name == "Softplus")
    return softplus(l, x);
  return failure();
}

FailureOr<Value> lowerRelu(ReluOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) {
    return l.max(a[0], l.constant(et, 0));
  });
}

FailureOr<Value> lowerLeakyRelu(LeakyReluOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  double alpha = op.getAlpha().convertToDouble();
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) {
    return *namedActivation(l, "LeakyRelu", alpha, {}, a[0]);
  });
}

FailureOr<Value> lowerSigmoid(SigmoidOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) {
    return *namedActivation(l, "Sigmoid", {}, {}, a[0]);
  });
}

FailureOr<Value> lowerTanh(TanhOp op, Lowering &l) {
  if (!isa<FloatType>(resultType(op).getElementType()))
    return unsupported(op, "integer input");
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) -> Value {
    return l.b.create<math::TanhOp>(l.loc, a[0]);
  });
}

/// A float-only elementwise op from a scalar body.
template <typename OpT>
FailureOr<Value> lowerFloatUnary(OpT op, Lowering &l, function_ref<Value(Value)> body) {
  if (!isa<FloatType>(resultType(op).getElementType()))
    return unsupported(op, "non-float input");
  return l.elementwise(resultType(op), op->getOperand(0),
                       [&](ValueRange a) { return body(a[0]); });
}

/// Float ops that are one math/arith op.
template <typename MathOp, typename OpT>
FailureOr<Value> lowerMath(OpT op, Lowering &l) {
  return lowerFloatUnary(op, l, [&](Value x) -> Value {
    return l.b.create<MathOp>(l.loc, x);
  });
}

FailureOr<Value> lowerAbs(AbsOp op, Lowering &l) {
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) -> Value {
    if (isa<FloatType>(a[0].getType()))
      return l.b.create<math::AbsFOp>(l.loc, a[0]);
    return l.isUnsigned ? a[0] : l.b.create<math::AbsIOp>(l.loc, a[0]).getResult();
  });
}

FailureOr<Value> lowerNeg(NegOp op, Lowering &l) {
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) -> Value {
    if (isa<FloatType>(a[0].getType()))
      return l.b.create<arith::NegFOp>(l.loc, a[0]);
    return l.sub(l.constant(a[0].getType(), 0), a[0]);
  });
}

FailureOr<Value> lowerSign(SignOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) -> Value {
    Value zero = l.constant(et, 0);
    Value pos = l.compare(a[0], zero, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt);
    Value neg = l.compare(a[0], zero, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt);
    Value v = l.b.create<arith::SelectOp>(l.loc, pos, l.constant(et, 1), zero);
    return l.b.create<arith::SelectOp>(l.loc, neg, l.constant(et, -1), v);
  });
}

FailureOr<Value> lowerReciprocal(ReciprocalOp op, Lowering &l) {
  return lowerFloatUnary(op, l, [&](Value x) {
    return l.div(l.constant(x.getType(), 1), x);
  });
}

FailureOr<Value> lowerActivation(Operation *op, Lowering &l) {
  auto attr = [&](StringRef name) {
    return op->getAttrOfType<FloatAttr>(name).getValueAsDouble();
  };
  auto body = [&](Value x) -> Value {
    Type t = x.getType();
    auto c = [&](double v) { return l.constant(t, v); };
    auto select = [&](Value cond, Value a, Value b) -> Value {
      return l.b.create<arith::SelectOp>(l.loc, cond, a, b);
    };
    auto lt = [&](Value a, Value b) {
      return l.b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OLT, a, b);
    };
    auto expm1 = [&](Value v) { return l.sub(l.b.create<math::ExpOp>(l.loc, v), c(1)); };
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case([&](EluOp) { return *namedActivation(l, "Elu", attr("alpha"), {}, x); })
        .Case([&](CeluOp) {
          double alpha = attr("alpha");
          Value neg = l.mul(c(alpha), expm1(l.div(x, c(alpha))));
          return l.add(l.max(x, c(0)), l.min(neg, c(0)));
        })
        .Case([&](SeluOp) {
          Value neg = l.mul(c(attr("alpha")), expm1(x));
          return l.mul(c(attr("gamma")), select(lt(c(0), x), x, neg));
        })
        .Case([&](HardSigmoidOp) {
          return *namedActivation(l, "HardSigmoid", attr("alpha"), attr("beta"), x);
        })
        .Case([&](HardSwishOp) {
          Value v = l.add(l.mul(c(1.0 / 6), x), c(0.5));
          return l.mul(x, l.max(c(0), l.min(c(1), v)));
        })
        .Case([&](ThresholdedReluOp) {
          return *namedActivation(l, "ThresholdedRelu", attr("alpha"), {}, x);
        })
        .Case([&](ShrinkOp) {
          Value lambd = c(attr("lambd")), bias = c(attr("bias"));
          Value shifted = select(lt(x, l.sub(c(0), lambd)), l.add(x, bias), c(0));
          return select(lt(lambd, x), l.sub(x, bias), shifted);
        })
        .Case([&](SoftplusOp) { return softplus(l, x); })
        .Case([&](SoftsignOp) { return *namedActivation(l, "Softsign", {}, {}, x); })
        .Case([&](GeluOp gelu) -> Value {
          if (gelu.getApproximate() == "tanh") {
            // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
            Value inner = l.mul(c(std::sqrt(2.0 / M_PI)),
                                l.add(x, l.mul(c(0.044715), l.mul(x, l.mul(x, x)))));
            return l.mul(l.mul(c(0.5), x), l.add(c(1), l.b.create<math::TanhOp>(l.loc, inner)));
          }
          // 0.5 x (1 + erf(x / sqrt(2)))
          Value erf = l.b.create<math::ErfOp>(l.loc, l.mul(x, c(M_SQRT1_2)));
          return l.mul(l.mul(c(0.5), x), l.add(c(1), erf));
        })
        .Case([&](MishOp) {
          return l.mul(x, l.b.create<math::TanhOp>(l.loc, softplus(l, x)));
        });
  };
  if (!isa<FloatType>(resultType(op).getElementType()))
    return unsupported(op, "non-float input");
  return l.elementwise(resultType(op), op->getOperand(0),
                       [&](ValueRange a) { return body(a[0]); });
}

FailureOr<Value> lowerLogical(Operation *op, Lowering &l) {
  if (!resultType(op).getElementType().isInteger(1))
    return unsupported(op, "non-bool input");
  return l.elementwise(resultType(op), op->getOperands(), [&](ValueRange a) -> Value {
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case([&](NotOp) {
          return l.b.create<arith::XOrIOp>(l.loc, a[0], l.constant(a[0].getType(), 1));
        })
        .Case([&](AndOp) { return l.b.create<arith::AndIOp>(l.loc, a[0], a[1]); })
        .Case([&](OrOp) { return l.b.create<arith::OrIOp>(l.loc, a[0], a[1]); })
        .Case([&](XorOp) { return l.b.create<arith::XOrIOp>(l.loc, a[0], a[1]); });
  });
}

FailureOr<Value> lowerComparison(Operation *op, Lowering &l, arith::CmpFPredicate f,
                                 arith::CmpIPredicate i) {
  if (cast<RankedTensorType>(op->getOperand(0).getType()).getElementType().isInteger(1) &&
      i != arith::CmpIPredicate::eq)
    return unsupported(op, "ordering of bool tensors");
  return l.elementwise(resultType(op), op->getOperands(), [&](ValueRange a) {
    return l.compare(a[0], a[1], f, i);
  });
}

/// x^n for integers by binary exponentiation over the bits of n (exact,
/// wrapping like the integer multiply it is).
Value integerPower(Lowering &l, Value x, Value n) {
  Type t = x.getType();
  unsigned bits = t.getIntOrFloatBitWidth();
  auto loop = l.b.create<scf::ForOp>(
      l.loc, l.b.create<arith::ConstantIndexOp>(l.loc, 0),
      l.b.create<arith::ConstantIndexOp>(l.loc, bits), l.b.create<arith::ConstantIndexOp>(l.loc, 1),
      ValueRange{l.constant(t, 1), x, n},
      [&](OpBuilder &b, Location loc, Value, ValueRange acc) {
        Value odd = b.create<arith::TruncIOp>(loc, b.getI1Type(), acc[2]);
        Value result = b.create<arith::SelectOp>(loc, odd, l.mul(acc[0], acc[1]), acc[0]);
        Value rest = b.create<arith::ShRUIOp>(loc, acc[2], l.constant(t, 1));
        b.create<scf::YieldOp>(loc, ValueRange{result, l.mul(acc[1], acc[1]), rest});
      });
  return loop.getResult(0);
}

FailureOr<Value> lowerPow(PowOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  Type exponent = cast<RankedTensorType>(op.getRhs().getType()).getElementType();
  if (et.isInteger(1))
    return unsupported(op, "bool base");
  return l.elementwise(resultType(op), {op.getLhs(), op.getRhs()}, [&](ValueRange a) -> Value {
    if (isa<IntegerType>(et) && isa<IntegerType>(exponent))
      return integerPower(l, a[0], l.convert(a[1], et));
    // A float exponent of an integer base is evaluated in double precision.
    Type ft = isa<FloatType>(et) ? et : l.b.getF64Type();
    Value base = l.convert(a[0], ft);
    Value e = l.convert(a[1], ft);
    return l.convert(l.b.create<math::PowFOp>(l.loc, base, e), et);
  });
}

FailureOr<Value> lowerBitShift(BitShiftOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  if (!isa<IntegerType>(et) || et.isInteger(1))
    return unsupported(op, "non-integer input");
  bool left = op.getDirection() == "LEFT";
  return l.elementwise(resultType(op), {op.getLhs(), op.getRhs()}, [&](ValueRange a) -> Value {
    Value shifted = left ? l.b.create<arith::ShLIOp>(l.loc, a[0], a[1]).getResult()
                         : l.b.create<arith::ShRUIOp>(l.loc, a[0], a[1]).getResult();
    Value tooFar = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::uge, a[1],
                                             l.constant(et, et.getIntOrFloatBitWidth()));
    return l.b.create<arith::SelectOp>(l.loc, tooFar, l.constant(et, 0), shifted);
  });
}

FailureOr<Value> lowerPRelu(PReluOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  return l.elementwise(resultType(op), {op.getLhs(), op.getRhs()}, [&](ValueRange a) -> Value {
    Value negative = l.b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OLT, a[0],
                                               l.constant(et, 0));
    return l.b.create<arith::SelectOp>(l.loc, negative, l.mul(a[0], a[1]), a[0]);
  });
}

FailureOr<Value> lowerMod(ModOp op, Lowering &l) {
  Type et = resultType(op).getElementType();
  bool fmod = op.getFmod() != 0;
  if (isa<FloatType>(et) && !fmod)
    return unsupported(op, "float Mod needs fmod=1");
  return l.elementwise(resultType(op), {op.getLhs(), op.getRhs()}, [&](ValueRange a) -> Value {
    if (isa<FloatType>(et))
      return l.b.create<arith::RemFOp>(l.loc, a[0], a[1]);
    if (l.isUnsigned)
      return l.b.create<arith::RemUIOp>(l.loc, a[0], a[1]);
    Value r = l.b.create<arith::RemSIOp>(l.loc, a[0], a[1]);
    if (fmod)
      return r;
    // Python-style: a non-zero remainder takes the divisor's sign.
    Value zero = l.constant(et, 0);
    Value nonzero = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::ne, r, zero);
    Value rNeg = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, r, zero);
    Value bNeg = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, a[1], zero);
    Value differ = l.b.create<arith::XOrIOp>(l.loc, rNeg, bNeg);
    Value fix = l.b.create<arith::AndIOp>(l.loc, nonzero, differ);
    return l.b.create<arith::SelectOp>(l.loc, fix, l.add(r, a[1]), r);
  });
}

/// Max, Min, Sum and Mean over any number of broadcast inputs.
FailureOr<Value> lowerVariadic(Operation *op, Lowering &l, Value (Lowering::*combine)(Value, Value),
                               bool mean) {
  Type et = resultType(op).getElementType();
  if (mean && !isa<FloatType>(et))
    return unsupported(op, "integer Mean");
  return l.elementwise(resultType(op), op->getOperands(), [&](ValueRange a) {
    Value v = a[0];
    for (Value x : a.drop_front())
      v = (l.*combine)(v, x);
    return mean ? l.div(v, l.constant(et, a.size())) : v;
  });
}

FailureOr<Value> lowerWhere(WhereOp op, Lowering &l) {
  return l.elementwise(resultType(op), op->getOperands(), [&](ValueRange a) -> Value {
    return l.b.create<arith::SelectOp>(l.loc, a[0], a[1], a[2]);
  });
}

/// Every Reduce* op over constant `dims`: an optional elementwise prologue,
/// one reduction, an optional epilogue; the reduced dims are kept as size 1.
Value reduceOver(Operation *op, Lowering &l, ArrayRef<int64_t> dims) {
  if (dims.empty())
    return op->getOperand(0);
  Value data = op->getOperand(0);
  auto dataType = cast<RankedTensorType>(data.getType());
  Type et = dataType.getElementType();
  bool isFloat = isa<FloatType>(et);
  auto map = [&](Value v, function_ref<Value(Value)> fn) {
    return l.elementwise(cast<RankedTensorType>(v.getType()), v,
                         [&](ValueRange a) { return fn(a[0]); });
  };
  auto sum = [&](Value v) { return l.sumKeepDims(v, dims); };
  auto square = [&](Value x) { return l.mul(x, x); };

  return llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](ReduceSumOp) { return sum(data); })
          .Case([&](ReduceMeanOp) { return l.meanKeepDims(data, dims); })
          .Case([&](ReduceMaxOp) { return l.maxKeepDims(data, dims); })
          .Case([&](ReduceMinOp) {
            return l.reduceKeepDims(data, dims, l.highest(et),
                                    [&](Value acc, Value x) { return l.min(acc, x); });
          })
          .Case([&](ReduceProdOp) {
            return l.reduceKeepDims(data, dims, l.constant(et, 1),
                                    [&](Value acc, Value x) { return l.mul(acc, x); });
          })
          .Case([&](ReduceL1Op) {
            return sum(map(data, [&](Value x) -> Value {
              return isFloat ? l.b.create<math::AbsFOp>(l.loc, x).getResult()
                             : l.b.create<math::AbsIOp>(l.loc, x).getResult();
            }));
          })
          .Case([&](ReduceL2Op) {
            return map(sum(map(data, square)),
                       [&](Value x) -> Value { return l.b.create<math::SqrtOp>(l.loc, x); });
          })
          .Case([&](ReduceSumSquareOp) { return sum(map(data, square)); })
          .Case([&](ReduceLogSumOp) {
            return map(sum(data),
                       [&](Value x) -> Value { return l.b.create<math::LogOp>(l.loc, x); });
          })
          .Case([&](ReduceLogSumExpOp) {
            // log(sum(exp(x - m))) + m with m the maximum, which cannot overflow.
            Value maxes = l.maxKeepDims(data, dims);
            Value exps = l.elementwise(dataType, {data, maxes}, [&](ValueRange a) -> Value {
              return l.b.create<math::ExpOp>(l.loc, l.sub(a[0], a[1]));
            });
            return l.elementwise(cast<RankedTensorType>(maxes.getType()), {sum(exps), maxes},
                                 [&](ValueRange a) -> Value {
                                   return l.add(l.b.create<math::LogOp>(l.loc, a[0]), a[1]);
                                 });
          });
}

/// Axes known only at run time, with a static result shape: every set of
/// axes that gives that shape is a case of an scf.index_switch on the bit
/// mask of the run-time axes (one case needs no switch).
FailureOr<Value> lowerReduceAtRunTimeAxes(Operation *op, Lowering &l) {
  auto type = resultType(op);
  Value axes = op->getOperand(1);
  auto dataType = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t rank = dataType.getRank(), count = *staticNumElements(axes);
  bool keepDims = op->getAttrOfType<IntegerAttr>("keepdims").getInt() != 0;
  SmallVector<SmallVector<int64_t>> candidates;
  for (int64_t mask = 0; mask < (int64_t(1) << rank) && rank < 16; ++mask) {
    if (llvm::popcount(uint64_t(mask)) != count)
      continue;
    SmallVector<int64_t> dims, shape;
    for (int64_t d = 0; d < rank; ++d) {
      bool reduced = mask >> d & 1;
      if (reduced)
        dims.push_back(d);
      if (!reduced || keepDims)
        shape.push_back(reduced ? 1 : dataType.getDimSize(d));
    }
    if (ArrayRef<int64_t>(shape) == type.getShape())
      candidates.push_back(dims);
  }
  if (candidates.empty())
    return unsupported(op, "no set of reduction axes gives the result shape");
  auto caseOf = [&](size_t i) { return l.reshape(reduceOver(op, l, candidates[i]), type); };
  if (candidates.size() == 1)
    return caseOf(0);
  OpBuilder &b = l.b;
  Value mask = l.constant(b.getI64Type(), 0);
  for (int64_t i = 0; i < count; ++i) {
    Value axis = l.wrapIndex(l.element(axes, i), rank);
    mask = b.create<arith::OrIOp>(
        l.loc, mask,
        b.create<arith::ShLIOp>(l.loc, l.constant(b.getI64Type(), 1),
                                b.create<arith::IndexCastOp>(l.loc, b.getI64Type(), axis)));
  }
  SmallVector<int64_t> keys;
  for (ArrayRef<int64_t> dims : candidates) {
    keys.push_back(0);
    for (int64_t d : dims)
      keys.back() |= int64_t(1) << d;
  }
  return l.indexSwitch(b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), mask), keys,
                       type, caseOf);
}

FailureOr<Value> lowerReduce(Operation *op, Lowering &l) {
  Type et = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  bool floatOnly = isa<ReduceMeanOp, ReduceL2Op, ReduceLogSumOp, ReduceLogSumExpOp>(op);
  if ((floatOnly && !isa<FloatType>(et)) || et.isInteger(1))
    return unsupported(op, "element type");
  if (isRuntimeValue(op->getOperand(1)) && staticNumElements(op->getOperand(1)) != 0)
    return lowerReduceAtRunTimeAxes(op, l);
  std::string error;
  auto dims = reductionDims(op->getOperand(1),
                            cast<RankedTensorType>(op->getOperand(0).getType()).getRank(),
                            op->getAttrOfType<IntegerAttr>("noop_with_empty_axes").getInt(),
                            error);
  if (!dims)
    return unsupported(op, error);
  return l.reshape(reduceOver(op, l, *dims), resultType(op));
}

/// Indices of the extreme element along `axis` (the axis kept with size 1),
/// one reduction carrying (best value, its index). A strict comparison keeps
/// the first extreme, a non-strict one the last.
Value argReduce(Lowering &l, Value data, int64_t axis, bool isMax, bool last) {
  auto dataType = cast<RankedTensorType>(data.getType());
  Type et = dataType.getElementType();
  OpBuilder &b = l.b;
  int64_t rank = dataType.getRank();
  SmallVector<int64_t> keptShape(dataType.getShape());
  keptShape[axis] = 1;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    outExprs.push_back(d == axis ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(d));
    iters.push_back(d == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
  }
  auto outMap = AffineMap::get(rank, 0, outExprs, b.getContext());
  auto valueType = RankedTensorType::get(keptShape, et);
  auto indexType = RankedTensorType::get(keptShape, b.getI64Type());
  Value values = l.filled(valueType, isMax ? l.lowest(et) : l.highest(et));
  Value indices = l.filled(indexType, l.constant(b.getI64Type(), 0));
  auto fp = isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                  : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
  auto ip = isMax ? (last ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sgt)
                  : (last ? arith::CmpIPredicate::sle : arith::CmpIPredicate::slt);
  auto generic = b.create<linalg::GenericOp>(
      l.loc, TypeRange{valueType, indexType}, ValueRange{data}, ValueRange{values, indices},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank), outMap, outMap}, iters,
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value index = l.loopIndexI64(axis);
        Value better = l.compare(a[0], a[1], fp, ip);
        nb.create<linalg::YieldOp>(
            l.loc, ValueRange{nb.create<arith::SelectOp>(l.loc, better, a[0], a[1]),
                              nb.create<arith::SelectOp>(l.loc, better, index, a[2])});
      });
  return generic.getResult(1);
}

template <typename ArgOp>
FailureOr<Value> lowerArg(ArgOp op, Lowering &l, bool isMax) {
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  if (dataType.getElementType().isInteger(1))
    return unsupported(op, "bool input");
  int64_t axis = *normalizeAxis(op.getAxis(), dataType.getRank());
  return l.reshape(argReduce(l, op.getData(), axis, isMax, op.getSelectLastIndex() != 0),
                   resultType(op));
}

FailureOr<Value> lowerHardmax(HardmaxOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  auto axis = normalizeAxis(op.getAxis(), type.getRank());
  if (!axis)
    return unsupported(op, "axis out of range");
  // Normalise over one dim: the 2-D view [outer, inner] for coerce_2d.
  Value x = op.getInput();
  int64_t dim = *axis;
  if (op.getCoerce_2d()) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < type.getRank(); ++d)
      (d < *axis ? outer : inner) *= type.getDimSize(d);
    x = l.reshape(x, RankedTensorType::get({outer, inner}, et));
    dim = 1;
  }
  auto viewType = cast<RankedTensorType>(x.getType());
  Value best = argReduce(l, x, dim, /*isMax=*/true, /*last=*/false);
  Value onehot = l.elementwise(viewType, best, [&](ValueRange a) -> Value {
    Value index = l.loopIndexI64(dim);
    Value hit = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::eq, index, a[0]);
    return l.b.create<arith::SelectOp>(l.loc, hit, l.constant(et, 1), l.constant(et, 0));
  });
  return l.reshape(onehot, type);
}

FailureOr<Value> lowerTrilu(TriluOp op, Lowering &l) {
  auto type = resultType(op);
  if (type.getRank() < 2)
    return unsupported(op, "rank below 2");
  Type i64 = l.b.getI64Type();
  Value k = isa<NoneType>(op.getK().getType()) ? l.constant(i64, 0) : l.scalar(op.getK());
  int64_t rank = type.getRank();
  bool upper = op.getUpper() != 0;
  return l.elementwise(type, op.getInput(), [&](ValueRange a) -> Value {
    Value diagonal = l.sub(l.loopIndexI64(rank - 1), l.loopIndexI64(rank - 2)); // j - i
    Value keep = l.b.create<arith::CmpIOp>(
        l.loc, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diagonal, k);
    return l.b.create<arith::SelectOp>(l.loc, keep, a[0], l.constant(a[0].getType(), 0));
  });
}

FailureOr<Value> lowerGather(GatherOp op, Lowering &l) {
  auto type = resultType(op);
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t axis = *normalizeAxis(op.getAxis(), dataType.getRank());
  int64_t r = indicesType.getRank();
  OpBuilder &b = l.b;
  // Output dims: data[:axis], indices..., data[axis+1:]; the indices operand
  // is read through its slice of the output dims, data through tensor.extract.
  SmallVector<AffineExpr> indexExprs;
  for (int64_t d = 0; d < r; ++d)
    indexExprs.push_back(b.getAffineDimExpr(axis + d));
  SmallVector<AffineMap> maps = {
      AffineMap::get(type.getRank(), 0, indexExprs, b.getContext()),
      b.getMultiDimIdentityMap(type.getRank())};
  SmallVector<utils::IteratorType> iters(type.getRank(), utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          l.loc, type, op.getIndices(), l.empty(type), maps, iters,
          [&](OpBuilder &nb, Location, ValueRange a) {
            Value i = l.wrapIndex(a[0], dataType.getDimSize(axis));
            SmallVector<Value> coords;
            for (int64_t d = 0; d < dataType.getRank(); ++d) {
              if (d < axis)
                coords.push_back(nb.create<linalg::IndexOp>(l.loc, d));
              else if (d == axis)
                coords.push_back(i);
              else
                coords.push_back(nb.create<linalg::IndexOp>(l.loc, d - 1 + r));
            }
            nb.create<linalg::YieldOp>(
                l.loc, nb.create<tensor::ExtractOp>(l.loc, op.getData(), coords).getResult());
          })
      .getResult(0);
}

FailureOr<Value> lowerGatherElements(GatherElementsOp op, Lowering &l) {
  auto type = resultType(op);
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  int64_t axis = *normalizeAxis(op.getAxis(), dataType.getRank());
  return l.elementwise(type, op.getIndices(), [&](ValueRange a) -> Value {
    SmallVector<Value> coords;
    for (int64_t d = 0; d < type.getRank(); ++d)
      coords.push_back(d == axis ? l.wrapIndex(a[0], dataType.getDimSize(axis))
                                 : l.b.create<linalg::IndexOp>(l.loc, d).getResult());
    return l.b.create<tensor::ExtractOp>(l.loc, op.getData(), coords);
  });
}

/// GatherND: output dims are indices[:-1] (the first batch_dims shared with
/// data) then data[batch_dims + k:]; each output element reads its k
/// coordinates from the indices tensor.
FailureOr<Value> lowerGatherND(GatherNDOp op, Lowering &l) {
  auto type = resultType(op);
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t batch = op.getBatchDims(), q = indicesType.getRank();
  int64_t k = indicesType.getDimSize(q - 1);
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    auto index = [&](int64_t d) -> Value { return l.b.create<linalg::IndexOp>(l.loc, d); };
    SmallVector<Value> coords, at;
    for (int64_t d = 0; d < q - 1; ++d)
      at.push_back(index(d));
    for (int64_t d = 0; d < batch; ++d)
      coords.push_back(index(d));
    for (int64_t j = 0; j < k; ++j) {
      at.push_back(l.b.create<arith::ConstantIndexOp>(l.loc, j));
      Value raw = l.b.create<tensor::ExtractOp>(l.loc, op.getIndices(), at);
      at.pop_back();
      coords.push_back(l.wrapIndex(raw, dataType.getDimSize(batch + j)));
    }
    for (int64_t d = q - 1; d < type.getRank(); ++d)
      coords.push_back(index(d));
    return l.b.create<tensor::ExtractOp>(l.loc, op.getData(), coords);
  });
}

/// Combines an existing element with a scattered update.
Value scatterCombine(Lowering &l, StringRef reduction, Value old, Value update) {
  if (reduction == "add")
    return l.add(old, update);
  if (reduction == "mul")
    return l.mul(old, update);
  if (reduction == "max")
    return l.max(old, update);
  if (reduction == "min")
    return l.min(old, update);
  return update;
}

/// Scatters run in index order over a copy of data, so later duplicates win
/// (as in the ONNX reference) and reductions accumulate.
FailureOr<Value> lowerScatterElements(ScatterElementsOp op, Lowering &l) {
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
  int64_t axis = *normalizeAxis(op.getAxis(), dataType.getRank());
  StringRef reduction = op.getReduction();
  return l.loopNest(indicesType.getShape(), op.getData(), [&](ValueRange ivs, Value acc) -> Value {
    Value raw = l.b.create<tensor::ExtractOp>(l.loc, op.getIndices(), ivs);
    Value update = l.b.create<tensor::ExtractOp>(l.loc, op.getUpdates(), ivs);
    SmallVector<Value> coords(ivs);
    coords[axis] = l.wrapIndex(raw, dataType.getDimSize(axis));
    Value old = l.b.create<tensor::ExtractOp>(l.loc, acc, coords);
    return l.b.create<tensor::InsertOp>(l.loc, scatterCombine(l, reduction, old, update), acc,
                                        coords);
  });
}

FailureOr<Value> lowerScatterND(ScatterNDOp op, Lowering &l) {
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
  auto updatesType = cast<RankedTensorType>(op.getUpdates().getType());
  int64_t q = indicesType.getRank(), k = indicesType.getDimSize(q - 1);
  StringRef reduction = op.getReduction();
  return l.loopNest(updatesType.getShape(), op.getData(), [&](ValueRange ivs, Value acc) -> Value {
    SmallVector<Value> at(ivs.take_front(q - 1)), coords;
    for (int64_t j = 0; j < k; ++j) {
      at.push_back(l.b.create<arith::ConstantIndexOp>(l.loc, j));
      Value raw = l.b.create<tensor::ExtractOp>(l.loc, op.getIndices(), at);
      at.pop_back();
      coords.push_back(l.wrapIndex(raw, dataType.getDimSize(j)));
    }
    llvm::append_range(coords, ivs.drop_front(q - 1));
    Value update = l.b.create<tensor::ExtractOp>(l.loc, op.getUpdates(), ivs);
    Value old = l.b.create<tensor::ExtractOp>(l.loc, acc, coords);
    return l.b.create<tensor::InsertOp>(l.loc, scatterCombine(l, reduction, old, update), acc,
                                        coords);
  });
}

FailureOr<Value> lowerCast(Operation *op, Lowering &l) {
  auto type = resultType(op);
  Type to = type.getElementType();
  Type from = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  // Widening bfloat16 is exact; narrowing to it rounds differently between
  // producers (the ONNX 1.12 test data truncates, ONNX Runtime rounds to
  // nearest even), so it is not claimed yet.
  if (to.isBF16() && !from.isBF16())
    return unsupported(op, "casts to bfloat16");
  if (from.isBF16() && !isa<FloatType>(to))
    return unsupported(op, "casts from bfloat16 to integers");
  return l.elementwise(type, op->getOperand(0),
                       [&](ValueRange a) { return l.convert(a[0], to); });
}

FailureOr<Value> lowerIsNaN(IsNaNOp op, Lowering &l) {
  return l.elementwise(resultType(op), op.getX(), [&](ValueRange a) -> Value {
    return l.b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::UNO, a[0], a[0]);
  });
}

FailureOr<Value> lowerIsInf(IsInfOp op, Lowering &l) {
  Type et = cast<RankedTensorType>(op.getX().getType()).getElementType();
  return l.elementwise(resultType(op), op.getX(), [&](ValueRange a) -> Value {
    Value falseValue = l.constant(l.b.getI1Type(), 0);
    auto equals = [&](Value inf) -> Value {
      return l.b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OEQ, a[0], inf);
    };
    Value pos = op.getDetectPositive() ? equals(l.highest(et)) : falseValue;
    Value neg = op.getDetectNegative() ? equals(l.lowest(et)) : falseValue;
    return l.b.create<arith::OrIOp>(l.loc, pos, neg);
  });
}

/// Dims that Softmax/LogSoftmax normalise over.
std::optional<SmallVector<int64_t>> softmaxDims(int64_t axisValue, bool coerce2d,
                                                int64_t rank) {
  auto axis = normalizeAxis(axisValue, rank);
  if (!axis)
    return std::nullopt;
  if (coerce2d)
    return llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  return SmallVector<int64_t>{*axis};
}

/// LayerNormalization: Y, and the Mean and InvStdDev it normalises with,
/// computed in the stash type.
FailureOr<SmallVector<Value>> lowerLayerNorm(LayerNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  auto statType = cast<RankedTensorType>(op.getMean().getType());
  Type st = statType.getElementType();
  auto dims = llvm::to_vector(llvm::seq<int64_t>(*normalizeAxis(op.getAxis(), type.getRank()),
                                                 type.getRank()));
  auto wideType = RankedTensorType::get(type.getShape(), st);
  Value x = l.elementwise(wideType, op.getX(), [&](ValueRange a) { return l.convert(a[0], st); });
  Value mean = l.meanKeepDims(x, dims);
  Value centered =
      l.elementwise(wideType, {x, mean}, [&](ValueRange a) { return l.sub(a[0], a[1]); });
  Value variance = l.meanKeepDims(
      l.elementwise(wideType, centered, [&](ValueRange a) { return l.mul(a[0], a[0]); }), dims);
  double eps = op.getEpsilon().convertToDouble();
  Value invStdDev = l.elementwise(statType, variance, [&](ValueRange a) {
    Value root = l.b.create<math::SqrtOp>(l.loc, l.add(a[0], l.constant(st, eps)));
    return l.div(l.constant(st, 1), root);
  });
  SmallVector<Value> inputs = {centered, invStdDev, op.getScale()};
  bool hasBias = !isa<NoneType>(op.getB().getType());
  if (hasBias)
    inputs.push_back(op.getB());
  Value y = l.elementwise(type, inputs, [&](ValueRange a) -> Value {
    Value v = l.mul(l.mul(a[0], a[1]), l.convert(a[2], st));
    return l.convert(hasBias ? l.add(v, l.convert(a[3], st)) : v, et);
  });
  return SmallVector<Value>{y, mean, invStdDev};
}

FailureOr<Value> lowerClip(ClipOp op, Lowering &l) {
  Value lo = isa<NoneType>(op.getMin().getType()) ? Value() : l.scalar(op.getMin());
  Value hi = isa<NoneType>(op.getMax().getType()) ? Value() : l.scalar(op.getMax());
  return l.elementwise(resultType(op), op.getInput(), [&](ValueRange a) {
    Value v = a[0];
    if (lo)
      v = l.max(v, lo);
    if (hi)
      v = l.min(v, hi);
    return v;
  });
}

/// Softmax or LogSoftmax of `x` over `dims`, shifted by the maximum so exp
/// cannot overflow: exp(x - m) / sum(exp(x - m)), or x - m - log(sum(exp(x - m))).
Value softmaxOf(Lowering &l, Value x, ArrayRef<int64_t> dims, bool log) {
  auto type = cast<RankedTensorType>(x.getType());
  Value maxes = l.maxKeepDims(x, dims);
  Value shifted = l.elementwise(type, {x, maxes}, [&](ValueRange a) { return l.sub(a[0], a[1]); });
  Value exps = l.elementwise(type, shifted, [&](ValueRange a) -> Value {
    return l.b.create<math::ExpOp>(l.loc, a[0]);
  });
  Value sums = l.sumKeepDims(exps, dims);
  if (!log)
    return l.elementwise(type, {exps, sums}, [&](ValueRange a) { return l.div(a[0], a[1]); });
  return l.elementwise(type, {shifted, sums}, [&](ValueRange a) -> Value {
    return l.sub(a[0], l.b.create<math::LogOp>(l.loc, a[1]));
  });
}

template <typename OpT>
FailureOr<Value> lowerSoftmaxFamily(OpT op, Lowering &l, bool log) {
  auto type = resultType(op);
  if (!isa<FloatType>(type.getElementType()))
    return unsupported(op, "integer input");
  auto dims = softmaxDims(op.getAxis(), op.getCoerce_2d(), type.getRank());
  if (!dims)
    return unsupported(op, "axis out of range");
  return softmaxOf(l, op.getInput(), *dims, log);
}

/// NegativeLogLikelihoodLoss of log-probabilities `input` [N, C, d...]:
/// per element -input[n, t, d...] * weight[t] (0 where t is ignore_index),
/// then summed, or divided by the summed weights for "mean".
Value nllLoss(Lowering &l, Value input, Value target, Value weight,
              std::optional<int64_t> ignoreIndex, StringRef reduction,
              RankedTensorType lossType) {
  auto inType = cast<RankedTensorType>(input.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  Type et = inType.getElementType();
  bool hasWeight = !isa<NoneType>(weight.getType());
  auto perElement = RankedTensorType::get(targetType.getShape(), et);
  SmallVector<AffineMap> maps(3, l.b.getMultiDimIdentityMap(targetType.getRank()));
  SmallVector<utils::IteratorType> iters(targetType.getRank(), utils::IteratorType::parallel);
  auto generic = l.b.create<linalg::GenericOp>(
      l.loc, TypeRange{perElement, perElement}, ValueRange{target},
      ValueRange{l.empty(perElement), l.empty(perElement)}, maps, iters,
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value c = l.wrapIndex(a[0], inType.getDimSize(1));
        SmallVector<Value> coords = {nb.create<linalg::IndexOp>(l.loc, 0), c};
        for (int64_t d = 1; d < targetType.getRank(); ++d)
          coords.push_back(nb.create<linalg::IndexOp>(l.loc, d));
        Value x = nb.create<tensor::ExtractOp>(l.loc, input, coords);
        Value w = hasWeight ? nb.create<tensor::ExtractOp>(l.loc, weight, c).getResult()
                            : l.constant(et, 1);
        if (ignoreIndex) {
          Value ignored = nb.create<arith::CmpIOp>(
              l.loc, arith::CmpIPredicate::eq, a[0], l.constant(a[0].getType(), *ignoreIndex));
          w = nb.create<arith::SelectOp>(l.loc, ignored, l.constant(et, 0), w);
        }
        Value loss = l.mul(nb.create<arith::NegFOp>(l.loc, x), w);
        nb.create<linalg::YieldOp>(l.loc, ValueRange{loss, w});
      });
  Value losses = generic.getResult(0);
  if (reduction == "none")
    return losses;
  auto all = llvm::to_vector(llvm::seq<int64_t>(0, targetType.getRank()));
  Value total = l.reshape(l.sumKeepDims(losses, all), lossType);
  if (reduction == "sum")
    return total;
  Value weights = l.reshape(l.sumKeepDims(generic.getResult(1), all), lossType);
  return l.elementwise(lossType, {total, weights}, [&](ValueRange a) { return l.div(a[0], a[1]); });
}

FailureOr<Value> lowerNLLLoss(NegativeLogLikelihoodLossOp op, Lowering &l) {
  if (!isa<FloatType>(resultType(op).getElementType()))
    return unsupported(op, "integer input");
  return nllLoss(l, op.getInput(), op.getTarget(), op.getWeight(), op.getIgnoreIndex(),
                 op.getReduction(), resultType(op));
}

FailureOr<SmallVector<Value>> lowerSoftmaxCrossEntropy(SoftmaxCrossEntropyLossOp op,
                                                       Lowering &l) {
  if (!isa<FloatType>(resultType(op).getElementType()))
    return unsupported(op, "integer input");
  Value logProb = softmaxOf(l, op.getScores(), {1}, /*log=*/true);
  Value loss = nllLoss(l, logProb, op.getLabels(), op.getWeights(), op.getIgnoreIndex(),
                       op.getReduction(), resultType(op));
  return SmallVector<Value>{loss, logProb};
}

FailureOr<Value> lowerInstanceNorm(InstanceNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  if (!isa<FloatType>(et) || type.getRank() < 3)
    return unsupported(op, "needs a float input of rank >= 3");
  auto spatial = llvm::to_vector(llvm::seq<int64_t>(2, type.getRank()));
  Value mean = l.meanKeepDims(op.getInput(), spatial);
  Value centered = l.elementwise(type, {op.getInput(), mean},
                                 [&](ValueRange a) { return l.sub(a[0], a[1]); });
  Value variance = l.meanKeepDims(
      l.elementwise(type, centered, [&](ValueRange a) { return l.mul(a[0], a[0]); }), spatial);
  SmallVector<int64_t> paramShape(type.getRank() - 1, 1);
  paramShape[0] = type.getDimSize(1);
  auto paramType = RankedTensorType::get(paramShape, et);
  double eps = op.getEpsilon().convertToDouble();
  return l.elementwise(type,
                       {centered, variance, l.reshape(op.getScale(), paramType),
                        l.reshape(op.getB(), paramType)},
                       [&](ValueRange a) -> Value {
                         Value root =
                             l.b.create<math::SqrtOp>(l.loc, l.add(a[1], l.constant(et, eps)));
                         return l.add(l.mul(l.div(a[0], root), a[2]), a[3]);
                       });
}

/// LRN: x / (bias + alpha / size * sum of squares over the channel window)^beta,
/// the window [c - (size-1)/2, c + ceil((size-1)/2)] read from zero-padded squares.
FailureOr<Value> lowerLRN(LRNOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  if (!isa<FloatType>(et) || type.getRank() < 3)
    return unsupported(op, "needs a float input of rank >= 3");
  int64_t size = op.getSize(), before = (size - 1) / 2, after = size - 1 - before;
  OpBuilder &b = l.b;
  Value squares = l.elementwise(type, op.getX(), [&](ValueRange a) { return l.mul(a[0], a[0]); });
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)), hi(rank, b.getIndexAttr(0));
  lo[1] = b.getIndexAttr(before);
  hi[1] = b.getIndexAttr(after);
  SmallVector<int64_t> paddedShape(type.getShape());
  paddedShape[1] += size - 1;
  Value padded = b.create<tensor::PadOp>(l.loc, RankedTensorType::get(paddedShape, et), squares,
                                         lo, hi, l.constant(et, 0));
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> in, out;
  for (int64_t i = 0; i < rank; ++i) {
    in.push_back(i == 1 ? d(1) + d(rank) : d(i));
    out.push_back(d(i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, in, b.getContext()),
                                 AffineMap::get(rank + 1, 0, {d(rank)}, b.getContext()),
                                 AffineMap::get(rank + 1, 0, out, b.getContext())};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value window = b.create<tensor::EmptyOp>(l.loc, ArrayRef<int64_t>{size}, et);
  Value sums = b.create<linalg::GenericOp>(
                    l.loc, type, ValueRange{padded, window}, l.filled(type, l.constant(et, 0)),
                    maps, iters,
                    [&](OpBuilder &nb, Location, ValueRange a) {
                      nb.create<linalg::YieldOp>(l.loc, l.add(a[2], a[0]));
                    })
                   .getResult(0);
  double alpha = op.getAlpha().convertToDouble() / size;
  double beta = op.getBeta().convertToDouble(), bias = op.getBias().convertToDouble();
  return l.elementwise(type, {op.getX(), sums}, [&](ValueRange a) -> Value {
    Value base = l.add(l.constant(et, bias), l.mul(l.constant(et, alpha), a[1]));
    return l.div(a[0], l.b.create<math::PowFOp>(l.loc, base, l.constant(et, beta)));
  });
}

/// CumSum along a static axis: a reduction over the axis position j that
/// adds x[.., j, ..] where j precedes (or, exclusive, strictly precedes) i.
Value cumSumAlong(Lowering &l, Value x, int64_t axis, bool exclusive, bool reverse) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  OpBuilder &b = l.b;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> in, out;
  for (int64_t i = 0; i < rank; ++i) {
    in.push_back(i == axis ? d(rank) : d(i));
    out.push_back(d(i));
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Type et = type.getElementType();
  auto pred = reverse ? (exclusive ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
                      : (exclusive ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule);
  return b
      .create<linalg::GenericOp>(
          l.loc, type, x, l.filled(type, l.constant(et, 0)),
          SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, in, b.getContext()),
                                 AffineMap::get(rank + 1, 0, out, b.getContext())},
          iters,
          [&](OpBuilder &nb, Location, ValueRange a) {
            Value taken = nb.create<arith::CmpIOp>(l.loc, pred,
                                                   nb.create<linalg::IndexOp>(l.loc, rank),
                                                   nb.create<linalg::IndexOp>(l.loc, axis));
            Value v = nb.create<arith::SelectOp>(l.loc, taken, a[0], l.constant(et, 0));
            nb.create<linalg::YieldOp>(l.loc, l.add(a[1], v));
          })
      .getResult(0);
}

/// A run-time axis picks one of the rank specialised loop nests.
FailureOr<Value> lowerCumSum(CumSumOp op, Lowering &l) {
  auto type = resultType(op);
  if (type.getElementType().isInteger(1))
    return unsupported(op, "bool input");
  int64_t rank = type.getRank();
  bool exclusive = op.getExclusive() != 0, reverse = op.getReverse() != 0;
  if (auto axis = getConstantIntValues(op.getAxis())) {
    auto normalized = axis->size() == 1 ? normalizeAxis((*axis)[0], rank) : std::nullopt;
    if (!normalized)
      return unsupported(op, "axis out of range");
    return cumSumAlong(l, op.getX(), *normalized, exclusive, reverse);
  }
  // wrapIndex keeps the axis in range, so the default (axis 0) is never wrong.
  return l.indexSwitch(l.wrapIndex(l.scalar(op.getAxis()), rank),
                       llvm::to_vector(llvm::seq<int64_t>(0, rank)), type, [&](size_t a) {
                         return cumSumAlong(l, op.getX(), a, exclusive, reverse);
                       });
}

FailureOr<Value> lowerEyeLike(EyeLikeOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  int64_t k = op.getK();
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    Value i = l.b.create<linalg::IndexOp>(l.loc, 0), j = l.b.create<linalg::IndexOp>(l.loc, 1);
    Value diagonal = l.b.create<arith::CmpIOp>(
        l.loc, arith::CmpIPredicate::eq, j,
        l.b.create<arith::AddIOp>(l.loc, i, l.b.create<arith::ConstantIndexOp>(l.loc, k)));
    return l.b.create<arith::SelectOp>(l.loc, diagonal, l.constant(et, 1), l.constant(et, 0));
  });
}

/// Inference normalizes with the given statistics; training mode with the
/// batch's (biased variance, over every dim but the channel) and also returns
/// the running statistics moved by `momentum` towards them.
FailureOr<SmallVector<Value>> lowerBatchNorm(BatchNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  int64_t rank = type.getRank(), channels = type.getDimSize(1);
  if (!isa<FloatType>(et) || rank < 2)
    return unsupported(op, "needs a float input of rank >= 2");
  // Per-channel parameters broadcast along dim 1: view them as [C, 1, ...].
  SmallVector<int64_t> paramShape(rank - 1, 1);
  paramShape[0] = channels;
  auto paramType = RankedTensorType::get(paramShape, et);
  SmallVector<Value> params;
  for (Value p : {op.getScale(), op.getB(), op.getInputMean(), op.getInputVar()}) {
    auto pt = cast<RankedTensorType>(p.getType());
    if (pt.getRank() != 1 || pt.getDimSize(0) != channels)
      return unsupported(op, "parameters must be vectors of the channel count");
    params.push_back(l.reshape(p, paramType));
  }
  Value mean = params[2], var = params[3];
  SmallVector<Value> results;
  bool training = op.getTrainingMode() != 0;
  if (training) {
    SmallVector<int64_t> dims = {0};
    for (int64_t d = 2; d < rank; ++d)
      dims.push_back(d);
    Value batchMean = l.meanKeepDims(op.getX(), dims);
    mean = l.reshape(batchMean, paramType);
    var = l.reshape(l.varianceKeepDims(op.getX(), batchMean, dims), paramType);
  }
  double eps = op.getEpsilon().convertToDouble();
  results.push_back(l.elementwise(type, {op.getX(), params[0], params[1], mean, var},
                                  [&](ValueRange a) -> Value {
    Value denom = l.b.create<math::SqrtOp>(l.loc, l.add(a[4], l.constant(et, eps)));
    return l.add(l.mul(l.div(l.sub(a[0], a[3]), denom), a[1]), a[2]);
  }));
  if (training) {
    double momentum = op.getMomentum().convertToDouble();
    auto vecType = RankedTensorType::get({channels}, et);
    for (auto [running, batch] : {std::pair{op.getInputMean(), mean}, {op.getInputVar(), var}})
      results.push_back(l.elementwise(vecType, {running, l.reshape(batch, vecType)},
                                      [&](ValueRange a) {
                                        return l.add(l.mul(a[0], l.constant(et, momentum)),
                                                     l.mul(a[1], l.constant(et, 1 - momentum)));
                                      }));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// The accumulator of a grouped convolution Y [N, G, M/G, o...]: zeros, or
/// the bias [M] broadcast along the channels.
Value groupedConvInit(Lowering &l, Value bias, RankedTensorType ysType) {
  Type et = ysType.getElementType();
  if (!bias || isa<NoneType>(bias.getType()))
    return l.filled(ysType, l.constant(et, 0));
  SmallVector<int64_t> shape(ysType.getRank(), 1);
  shape[1] = ysType.getDimSize(1);
  shape[2] = ysType.getDimSize(2);
  return l.elementwise(ysType, l.reshape(bias, RankedTensorType::get(shape, et)),
                       [](ValueRange a) { return a[0]; });
}

} // namespace

namespace lepton::lowering {

/// Conv of `xv` and `wv` plus `bias` (none, or one per filter) into
/// `outType`, with the attributes of `op` (Conv, ConvInteger, QLinearConv,
/// compress.conv).
template <typename OpT>
FailureOr<Value> convOf(OpT op, Lowering &l, Value xv, Value wv, Value bias,
                        RankedTensorType outType, ProductOperands operands) {
  auto xType = cast<RankedTensorType>(xv.getType());
  auto wType = cast<RankedTensorType>(wv.getType());
  Type et = outType.getElementType();
  int64_t n = xType.getRank() - 2;
  std::string error;
  auto g = computeWindow(xType.getShape().drop_front(2), wType.getShape().drop_front(2),
                         op.getStrides(), op.getDilations(), op.getPads(),
                         op.getAutoPad(), false, error);
  if (!g)
    return unsupported(op, error);
  OpBuilder &b = l.b;
  int64_t groups = op.getGroup();
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t filters = wType.getDimSize(0);
  int64_t cg = channels / groups, mg = filters / groups;

  Type xt = xType.getElementType(), wt = wType.getElementType();
  Value x = l.padSpatial(xv, g->padBegin, g->padEnd, l.constant(xt, operands.padValue));
  auto padded = cast<RankedTensorType>(x.getType());
  // Make the group an explicit dim: X [N, G, Cg, ...], W [G, Mg, Cg, k...],
  // Y [N, G, Mg, o...]; every indexing map then stays a projection.
  SmallVector<int64_t> xs = {batch, groups, cg}, ws = {groups, mg, cg},
                       ys = {batch, groups, mg};
  llvm::append_range(xs, padded.getShape().drop_front(2));
  llvm::append_range(ws, wType.getShape().drop_front(2));
  llvm::append_range(ys, outType.getShape().drop_front(2));
  Value xg = l.reshape(x, RankedTensorType::get(xs, xt));
  Value wg = l.reshape(wv, RankedTensorType::get(ws, wt));
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  auto par = utils::IteratorType::parallel, red = utils::IteratorType::reduction;
  // acc + x * w, the generic's inputs in either order.
  auto mac = [&](bool inputFirst) {
    return [&, inputFirst](OpBuilder &nb, Location, ValueRange a) {
      Value x = widen(l, a[inputFirst ? 0 : 1], et, operands.lhsUnsigned);
      Value w = widen(l, a[inputFirst ? 1 : 0], et, operands.rhsUnsigned);
      nb.create<linalg::YieldOp>(l.loc, l.add(a[2], l.mul(x, w)));
    };
  };

  if (cg == 1) {
    // Depthwise: one input channel per filter leaves no reduction worth a
    // matmul; direct loops over n, g, m, o_1..o_n | c, k_1..k_n.
    auto ysType = RankedTensorType::get(ys, et);
    Value init = groupedConvInit(l, bias, ysType);
    int64_t loops = 3 + 2 * n + 1;
    int64_t cDim = 3 + n, kDim0 = 4 + n;
    SmallVector<AffineExpr> xe = {d(0), d(1), d(cDim)}, we = {d(1), d(2), d(cDim)},
                            ye = {d(0), d(1), d(2)};
    for (int64_t i = 0; i < n; ++i) {
      xe.push_back(d(3 + i) * g->strides[i] + d(kDim0 + i) * g->dilations[i]);
      we.push_back(d(kDim0 + i));
      ye.push_back(d(3 + i));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, b.getContext()),
                                   AffineMap::get(loops, 0, we, b.getContext()),
                                   AffineMap::get(loops, 0, ye, b.getContext())};
    SmallVector<utils::IteratorType> iters(3 + n, par);
    iters.append(1 + n, red);
    Value y = b.create<linalg::GenericOp>(l.loc, ysType, ValueRange{xg, wg}, init, maps,
                                          iters, mac(true))
                  .getResult(0);
    return l.reshape(y, outType);
  }

  // Otherwise a matmul per group over the window (im2col, as MLAS does):
  // cols [N, G, Cg, k..., o...] holds every output position's window, so
  // Y [N, G, Mg, P] = W [G, Mg, Cg*k...] x cols [N, G, Cg*k..., P] with P the
  // output positions, which the CPU backend's contraction kernels handle.
  int64_t window = cg, positions = 1;
  for (int64_t i = 0; i < n; ++i) {
    window *= g->kernel[i];
    positions *= g->outShape[i];
  }
  bool pointwise = llvm::all_of(g->kernel, [](int64_t k) { return k == 1; }) &&
                   llvm::all_of(g->strides, [](int64_t s) { return s == 1; });
  auto colsType = RankedTensorType::get({batch, groups, window, positions}, xt);
  Value cols;
  if (pointwise) {
    cols = l.reshape(xg, colsType);
  } else {
    SmallVector<int64_t> shape = {batch, groups, cg};
    llvm::append_range(shape, g->kernel);
    llvm::append_range(shape, g->outShape);
    auto windowsType = RankedTensorType::get(shape, xt);
    // Loops: n, g, c, k_1..k_n, o_1..o_n.
    int64_t loops = 3 + 2 * n;
    SmallVector<AffineExpr> xe = {d(0), d(1), d(2)};
    for (int64_t i = 0; i < n; ++i)
      xe.push_back(d(3 + n + i) * g->strides[i] + d(3 + i) * g->dilations[i]);
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, b.getContext()),
                                   b.getMultiDimIdentityMap(loops)};
    Value windows =
        b.create<linalg::GenericOp>(l.loc, windowsType, ValueRange{xg}, l.empty(windowsType),
                                    maps, SmallVector<utils::IteratorType>(loops, par),
                                    [&](OpBuilder &nb, Location, ValueRange a) {
                                      nb.create<linalg::YieldOp>(l.loc, a[0]);
                                    })
            .getResult(0);
    cols = l.reshape(windows, colsType);
  }
  Value wm = l.reshape(wg, RankedTensorType::get({groups, mg, window}, wt));
  auto ysType = RankedTensorType::get({batch, groups, mg, positions}, et);
  // Loops: n, g, m, p | k.
  SmallVector<AffineMap> maps = {AffineMap::get(5, 0, {d(1), d(2), d(4)}, b.getContext()),
                                 AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)}, b.getContext()),
                                 AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, b.getContext())};
  Value y = b.create<linalg::GenericOp>(l.loc, ysType, ValueRange{wm, cols},
                                        groupedConvInit(l, bias, ysType), maps,
                                        ArrayRef<utils::IteratorType>{par, par, par, par, red},
                                        mac(false))
                .getResult(0);
  return l.reshape(y, outType);
}

template FailureOr<Value> convOf(compress::ConvOp, Lowering &, Value, Value, Value,
                                 RankedTensorType, ProductOperands);

} // namespace lepton::lowering

namespace {

/// ConvTranspose as a stride-1 convolution with the flipped kernel over the
/// input spread out by the strides: x[i] lands at buffer position
/// i * s + d * (K - 1), and y[o] = sum_k buf[o + pb + k * d] * w[K - 1 - k].
/// The buffer is zero elsewhere and long enough for every read; negative
/// padding (an explicit output_shape larger than natural) shifts x further in.
FailureOr<Value> lowerConvTranspose(ConvTransposeOp op, Lowering &l) {
  auto outType = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  auto wType = cast<RankedTensorType>(op.getW().getType());
  Type et = outType.getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  int64_t n = xType.getRank() - 2;
  std::string error;
  auto g = computeTransposedWindow(xType.getShape().drop_front(2),
                                   wType.getShape().drop_front(2), op.getStrides(),
                                   op.getDilations(), op.getPads(), op.getOutputPadding(),
                                   op.getOutputShape(), op.getAutoPad(), error);
  if (!g)
    return unsupported(op, error);
  OpBuilder &b = l.b;
  int64_t groups = op.getGroup(), batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t mg = wType.getDimSize(1), cg = channels / groups;

  SmallVector<int64_t> bufShape = {batch, channels};
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)), sizes, strides(2, b.getIndexAttr(1));
  sizes.push_back(b.getIndexAttr(batch));
  sizes.push_back(b.getIndexAttr(channels));
  SmallVector<int64_t> readOffset;
  for (int64_t i = 0; i < n; ++i) {
    int64_t in = xType.getDimSize(i + 2), s = g->strides[i], d = g->dilations[i];
    int64_t lead = std::max<int64_t>(0, -g->padBegin[i]);
    int64_t start = d * (g->kernel[i] - 1) + lead;
    readOffset.push_back(g->padBegin[i] + lead);
    int64_t lastRead = g->outShape[i] - 1 + readOffset[i] + d * (g->kernel[i] - 1);
    bufShape.push_back(std::max((in - 1) * s + 1 + start, lastRead + 1));
    offsets.push_back(b.getIndexAttr(start));
    sizes.push_back(b.getIndexAttr(in));
    strides.push_back(b.getIndexAttr(s));
  }
  Value buf = l.filled(RankedTensorType::get(bufShape, et), l.constant(et, 0));
  buf = b.create<tensor::InsertSliceOp>(l.loc, op.getX(), buf, offsets, sizes, strides);

  // Groups as an explicit dim: buf [N, G, Cg, L...], W [G, Cg, Mg, K...],
  // Y [N, G, Mg, o...].
  SmallVector<int64_t> xs = {batch, groups, cg}, ws = {groups, cg, mg}, ys = {batch, groups, mg};
  llvm::append_range(xs, ArrayRef(bufShape).drop_front(2));
  llvm::append_range(ws, wType.getShape().drop_front(2));
  llvm::append_range(ys, outType.getShape().drop_front(2));
  auto ysType = RankedTensorType::get(ys, et);
  Value xg = l.reshape(buf, RankedTensorType::get(xs, et));
  Value wg = l.reshape(op.getW(), RankedTensorType::get(ws, et));
  Value init = groupedConvInit(l, op.getB(), ysType);
  // Loops: n, g, m, o_1..o_n | c, k_1..k_n.
  int64_t loops = 3 + 2 * n + 1, cDim = 3 + n, kDim0 = 4 + n;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe = {d(0), d(1), d(cDim)}, we = {d(1), d(cDim), d(2)},
                          ye = {d(0), d(1), d(2)};
  for (int64_t i = 0; i < n; ++i) {
    xe.push_back(d(3 + i) + readOffset[i] + d(kDim0 + i) * g->dilations[i]);
    we.push_back(b.getAffineConstantExpr(g->kernel[i] - 1) - d(kDim0 + i));
    ye.push_back(d(3 + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, b.getContext()),
                                 AffineMap::get(loops, 0, we, b.getContext()),
                                 AffineMap::get(loops, 0, ye, b.getContext())};
  SmallVector<utils::IteratorType> iters(3 + n, utils::IteratorType::parallel);
  iters.append(1 + n, utils::IteratorType::reduction);
  // The kernel extent enters the loop nest through an (unread) operand, as
  // the flipped W map does not determine it.
  SmallVector<int64_t> window(g->kernel);
  Value kernel = b.create<tensor::EmptyOp>(l.loc, window, et);
  SmallVector<AffineExpr> ke;
  for (int64_t i = 0; i < n; ++i)
    ke.push_back(d(kDim0 + i));
  maps.insert(maps.begin() + 2, AffineMap::get(loops, 0, ke, b.getContext()));
  Value y = b.create<linalg::GenericOp>(
                 l.loc, ysType, ValueRange{xg, wg, kernel}, init, maps, iters,
                 [&](OpBuilder &nb, Location, ValueRange a) {
                   nb.create<linalg::YieldOp>(l.loc, l.add(a[3], l.mul(a[0], a[1])));
                 })
                .getResult(0);
  return l.reshape(y, outType);
}

/// Max, average and sum (LpPool) pooling share the window loop; they differ
/// in padding value, combiner and the final division. `source` replaces X as
/// the pooled tensor (LpPool pools |X|^p).
enum class PoolKind { Max, Average, Sum };

template <typename PoolOp>
FailureOr<Value> lowerWindowPool(PoolOp op, Lowering &l, PoolKind kind,
                                 std::optional<ArrayRef<int64_t>> dilations,
                                 bool countIncludePad, Value *indices = nullptr,
                                 Value source = nullptr) {
  bool isMax = kind == PoolKind::Max;
  Value input = source ? source : op.getX();
  auto outType = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  Type et = outType.getElementType();
  if (!isa<FloatType>(et) && !(isMax && et.isSignlessInteger()))
    return unsupported(op, "element type");
  int64_t n = xType.getRank() - 2;
  std::string error;
  auto g = computeWindow(xType.getShape().drop_front(2), op.getKernelShape(),
                         op.getStrides(), dilations, op.getPads(), op.getAutoPad(),
                         op.getCeilMode() != 0, error);
  if (!g)
    return unsupported(op, error);
  OpBuilder &b = l.b;
  // ceil_mode can place the last window past the end padding: extend it.
  SmallVector<int64_t> extraEnd(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t reach = (g->outShape[i] - 1) * g->strides[i] +
                    (g->kernel[i] - 1) * g->dilations[i] + 1;
    extraEnd[i] = std::max<int64_t>(
        0, reach - (xType.getDimSize(i + 2) + g->padBegin[i] + g->padEnd[i]));
  }
  SmallVector<int64_t> high(n);
  for (int64_t i = 0; i < n; ++i)
    high[i] = g->padEnd[i] + extraEnd[i];
  Value x = l.padSpatial(input, g->padBegin, high,
                         isMax ? l.lowest(et) : l.constant(et, 0));

  int64_t loops = 2 + 2 * n;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe = {d(0), d(1)}, ke, ye = {d(0), d(1)};
  for (int64_t i = 0; i < n; ++i) {
    xe.push_back(d(2 + i) * g->strides[i] + d(2 + n + i) * g->dilations[i]);
    ke.push_back(d(2 + n + i));
    ye.push_back(d(2 + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, b.getContext()),
                                 AffineMap::get(loops, 0, ke, b.getContext()),
                                 AffineMap::get(loops, 0, ye, b.getContext())};
  SmallVector<utils::IteratorType> iters(2 + n, utils::IteratorType::parallel);
  iters.append(n, utils::IteratorType::reduction);
  // The window shape enters the loop nest through an (unread) operand.
  Value window = b.create<tensor::EmptyOp>(l.loc, g->kernel, et);
  Value init = l.filled(outType, isMax ? l.lowest(et) : l.constant(et, 0));
  if (indices) {
    // MaxPool's Indices: the first maximum's flat position in X (row-major,
    // or column-major over the spatial dims for storage_order 1).
    auto indexType = outType.clone(b.getI64Type());
    bool columnMajor = op->template getAttrOfType<IntegerAttr>("storage_order").getInt() != 0;
    auto pooled = b.create<linalg::GenericOp>(
        l.loc, TypeRange{outType, indexType}, ValueRange{x, window},
        ValueRange{init, l.filled(indexType, l.constant(b.getI64Type(), 0))}, 
        SmallVector<AffineMap>{maps[0], maps[1], maps[2], maps[2]}, iters,
        [&](OpBuilder &nb, Location, ValueRange a) {
          Type i64 = nb.getI64Type();
          Value flat = nb.create<arith::AddIOp>(
              l.loc, l.mul(l.loopIndexI64(0), l.constant(i64, xType.getDimSize(1))),
              l.loopIndexI64(1));
          SmallVector<Value> position;
          for (int64_t i = 0; i < n; ++i)
            position.push_back(l.sub(
                l.add(l.mul(l.loopIndexI64(2 + i), l.constant(i64, g->strides[i])),
                      l.mul(l.loopIndexI64(2 + n + i), l.constant(i64, g->dilations[i]))),
                l.constant(i64, g->padBegin[i])));
          for (int64_t k = 0; k < n; ++k) {
            int64_t i = columnMajor ? n - 1 - k : k;
            flat = l.add(l.mul(flat, l.constant(i64, xType.getDimSize(2 + i))), position[i]);
          }
          Value better = l.compare(a[0], a[2], arith::CmpFPredicate::OGT,
                                   arith::CmpIPredicate::sgt);
          nb.create<linalg::YieldOp>(
              l.loc, ValueRange{nb.create<arith::SelectOp>(l.loc, better, a[0], a[2]),
                                nb.create<arith::SelectOp>(l.loc, better, flat, a[3])});
        });
    *indices = pooled.getResult(1);
    return pooled.getResult(0);
  }
  Value pooled =
      b.create<linalg::GenericOp>(
           l.loc, outType, ValueRange{x, window}, init, maps, iters,
           [&](OpBuilder &nb, Location, ValueRange a) {
             nb.create<linalg::YieldOp>(l.loc, isMax ? l.max(a[2], a[0])
                                                     : l.add(a[2], a[0]));
           })
          .getResult(0);
  if (kind != PoolKind::Average)
    return pooled;

  // Divisors per output position, known at compile time: the number of window
  // taps inside the input (or inside the explicit padding when counted).
  SmallVector<int64_t> outSpatial(outType.getShape().drop_front(2));
  int64_t positions = 1;
  for (int64_t s : outSpatial)
    positions *= s;
  SmallVector<float> counts(positions);
  SmallVector<int64_t> idx(n, 0);
  for (int64_t p = 0; p < positions; ++p) {
    int64_t rem = p, count = 1;
    for (int64_t i = n - 1; i >= 0; --i) {
      idx[i] = rem % outSpatial[i];
      rem /= outSpatial[i];
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t lo = countIncludePad ? -g->padBegin[i] : 0;
      int64_t hi = xType.getDimSize(i + 2) + (countIncludePad ? g->padEnd[i] : 0);
      int64_t taps = 0;
      for (int64_t k = 0; k < g->kernel[i]; ++k) {
        int64_t pos = idx[i] * g->strides[i] - g->padBegin[i] + k * g->dilations[i];
        taps += pos >= lo && pos < hi;
      }
      count *= taps;
    }
    counts[p] = static_cast<float>(count);
  }
  SmallVector<int64_t> countShape = {1, 1};
  countShape.append(outSpatial);
  auto countType = RankedTensorType::get(countShape, b.getF32Type());
  Value divisors = b.create<arith::ConstantOp>(
      l.loc, DenseElementsAttr::get(countType, ArrayRef<float>(counts)));
  return l.elementwise(outType, {pooled, divisors}, [&](ValueRange a) -> Value {
    Value c = a[1];
    if (et != c.getType())
      c = cast<FloatType>(et).getWidth() > 32
              ? l.b.create<arith::ExtFOp>(l.loc, et, c).getResult()
              : l.b.create<arith::TruncFOp>(l.loc, et, c).getResult();
    return l.div(a[0], c);
  });
}

/// |x|^p (x^2 for p = 2).
Value absPower(Lowering &l, Value x, int64_t p) {
  if (p == 2)
    return l.mul(x, x);
  Value a = l.b.create<math::AbsFOp>(l.loc, x);
  return p == 1 ? a : l.b.create<math::PowFOp>(l.loc, a, l.constant(x.getType(), p)).getResult();
}

/// v^(1/p) (sqrt for p = 2).
Value root(Lowering &l, Value v, int64_t p) {
  if (p == 2)
    return l.b.create<math::SqrtOp>(l.loc, v);
  return p == 1 ? v
                : l.b.create<math::PowFOp>(l.loc, v, l.constant(v.getType(), 1.0 / p)).getResult();
}

/// LpPool and GlobalLpPool: window sums of |x|^p, then the p-th root.
template <typename OpT>
FailureOr<Value> lowerLpPool(OpT op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  if (!isa<FloatType>(type.getElementType()))
    return unsupported(op, "integer input");
  int64_t p = op.getP();
  Value powers =
      l.elementwise(xType, op.getX(), [&](ValueRange a) { return absPower(l, a[0], p); });
  Value sums;
  if constexpr (std::is_same_v<OpT, LpPoolOp>) {
    auto pooled = lowerWindowPool(op, l, PoolKind::Sum, op.getDilations(), false, nullptr, powers);
    if (failed(pooled))
      return failure();
    sums = *pooled;
  } else {
    sums = l.sumKeepDims(powers, llvm::to_vector(llvm::seq<int64_t>(2, xType.getRank())));
  }
  return l.elementwise(type, sums, [&](ValueRange a) { return root(l, a[0], p); });
}

FailureOr<Value> lowerLpNormalization(LpNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t axis = *normalizeAxis(op.getAxis(), type.getRank()), p = op.getP();
  Value powers =
      l.elementwise(type, op.getInput(), [&](ValueRange a) { return absPower(l, a[0], p); });
  Value norms = l.sumKeepDims(powers, {axis});
  return l.elementwise(type, {op.getInput(), norms},
                       [&](ValueRange a) { return l.div(a[0], root(l, a[1], p)); });
}

FailureOr<Value> lowerGlobalAveragePool(GlobalAveragePoolOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  Type et = type.getElementType();
  if (!isa<FloatType>(et))
    return unsupported(op, "integer input");
  return l.meanKeepDims(op.getX(), llvm::to_vector(llvm::seq<int64_t>(2, xType.getRank())));
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

FailureOr<Value> lowerGemm(GemmOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  OpBuilder &b = l.b;
  double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
  bool hasC = !isa<NoneType>(op.getC().getType()) && beta != 0;
  if (!isa<FloatType>(et) && (alpha != 1 || (hasC && beta != 1)))
    return unsupported(op, "integer Gemm with alpha or beta other than 1");
  // With alpha == 1 the accumulator starts from beta * C, as ONNX Runtime does.
  Value init;
  if (hasC && alpha == 1)
    init = l.elementwise(type, op.getC(), [&](ValueRange a) {
      return beta == 1 ? a[0] : l.mul(a[0], l.constant(et, beta));
    });
  else
    init = l.filled(type, l.constant(et, 0));
  auto i = b.getAffineDimExpr(0), j = b.getAffineDimExpr(1), k = b.getAffineDimExpr(2);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, op.getTransA() ? ArrayRef<AffineExpr>{k, i} : ArrayRef<AffineExpr>{i, k},
                     b.getContext()),
      AffineMap::get(3, 0, {k, j}, b.getContext()),
      AffineMap::get(3, 0, {i, j}, b.getContext())};
  SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                            utils::IteratorType::parallel,
                                            utils::IteratorType::reduction};
  // B is read along rows, as the matmul kernels want: a transposed B
  // (usually weights, then transposed at compile time) is made so.
  Value bv = op.getTransB() ? l.transpose(op.getB(), {1, 0}) : op.getB();
  Value product = b.create<linalg::GenericOp>(
                       l.loc, type, ValueRange{op.getA(), bv}, init, maps, iters,
                       [&](OpBuilder &nb, Location, ValueRange a) {
                         nb.create<linalg::YieldOp>(l.loc, l.add(a[2], l.mul(a[0], a[1])));
                       })
                      .getResult(0);
  if (alpha == 1)
    return product;
  SmallVector<Value> inputs = {product};
  if (hasC)
    inputs.push_back(op.getC());
  return l.elementwise(type, inputs, [&](ValueRange a) {
    Value v = l.mul(a[0], l.constant(et, alpha));
    return hasC ? l.add(v, l.mul(a[1], l.constant(et, beta))) : v;
  });
}

} // namespace

namespace lepton::lowering {

/// numpy matmul of `a` and `b` into `type` (MatMul, and the integer
/// products of the quantized ops).
Value matMulOf(Lowering &l, Value a, Value bv, RankedTensorType type,
               ProductOperands operands) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bv.getType());
  Type et = type.getElementType();
  OpBuilder &b = l.b;
  bool aVec = aType.getRank() == 1, bVec = bType.getRank() == 1;
  int64_t batchRank = type.getRank() - (aVec ? 0 : 1) - (bVec ? 0 : 1);
  // Loops: batch..., [i], [j], k.
  int64_t iDim = batchRank, jDim = batchRank + (aVec ? 0 : 1);
  int64_t kDim = jDim + (bVec ? 0 : 1), loops = kDim + 1;
  auto d = [&](int64_t x) { return b.getAffineDimExpr(x); };
  auto batchExprs = [&](RankedTensorType t, int64_t matrixDims) {
    SmallVector<AffineExpr> exprs;
    int64_t r = t.getRank() - matrixDims;
    for (int64_t j = 0; j < r; ++j) {
      int64_t i = j + batchRank - r;
      exprs.push_back(t.getDimSize(j) == 1 && type.getDimSize(i) != 1
                          ? b.getAffineConstantExpr(0)
                          : d(i));
    }
    return exprs;
  };
  SmallVector<AffineExpr> ae = aVec ? SmallVector<AffineExpr>{} : batchExprs(aType, 2);
  if (!aVec)
    ae.push_back(d(iDim));
  ae.push_back(d(kDim));
  SmallVector<AffineExpr> be = bVec ? SmallVector<AffineExpr>{} : batchExprs(bType, 2);
  be.push_back(d(kDim));
  if (!bVec)
    be.push_back(d(jDim));
  SmallVector<AffineExpr> ye;
  for (int64_t x = 0; x < kDim; ++x)
    ye.push_back(d(x));
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, ae, b.getContext()),
                                 AffineMap::get(loops, 0, be, b.getContext()),
                                 AffineMap::get(loops, 0, ye, b.getContext())};
  SmallVector<utils::IteratorType> iters(kDim, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  return b.create<linalg::GenericOp>(
              l.loc, type, ValueRange{a, bv},
              l.filled(type, l.constant(et, 0)), maps, iters,
              [&](OpBuilder &nb, Location, ValueRange a) {
                Value lhs = widen(l, a[0], et, operands.lhsUnsigned);
                Value rhs = widen(l, a[1], et, operands.rhsUnsigned);
                nb.create<linalg::YieldOp>(l.loc, l.add(a[2], l.mul(lhs, rhs)));
              })
      .getResult(0);
}

} // namespace lepton::lowering

namespace {

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

FailureOr<Value> lowerTranspose(TransposeOp op, Lowering &l) {
  auto type = resultType(op);
  SmallVector<int64_t> perm;
  if (auto p = op.getPerm())
    perm.assign(p->begin(), p->end());
  else
    for (int64_t i = type.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  return l.transpose(op.getData(), perm);
}

FailureOr<Value> lowerConcat(ConcatOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t axis = *normalizeAxis(op.getAxis(), type.getRank());
  Value result = l.empty(type);
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    auto inType = cast<RankedTensorType>(in.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), l.b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), l.b.getIndexAttr(1));
    offsets[axis] = l.b.getIndexAttr(offset);
    for (int64_t s : inType.getShape())
      sizes.push_back(l.b.getIndexAttr(s));
    result = l.b.create<tensor::InsertSliceOp>(l.loc, in, result, offsets, sizes, strides);
    offset += inType.getDimSize(axis);
  }
  return result;
}

FailureOr<SmallVector<Value>> lowerSplit(SplitOp op, Lowering &l) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t axis = *normalizeAxis(op.getAxis(), inType.getRank()), offset = 0;
  SmallVector<Value> parts;
  for (Value result : op.getResults()) {
    auto type = cast<RankedTensorType>(result.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), l.b.getIndexAttr(0)), sizes;
    SmallVector<OpFoldResult> strides(type.getRank(), l.b.getIndexAttr(1));
    offsets[axis] = l.b.getIndexAttr(offset);
    for (int64_t s : type.getShape())
      sizes.push_back(l.b.getIndexAttr(s));
    parts.push_back(l.b.create<tensor::ExtractSliceOp>(l.loc, type, op.getInput(), offsets,
                                                       sizes, strides));
    offset += type.getDimSize(axis);
  }
  // Sizes known at run time only took the result shapes; they must tile the axis.
  if (offset != inType.getDimSize(axis))
    return unsupported(op, "the output sizes do not add up to the split axis");
  return parts;
}

/// Result element i of each dim d reads data at start[d] + i * step[d]
/// (index values), clamped into the data so any run-time value stays in bounds.
Value gatherStrided(Lowering &l, Value data, RankedTensorType type, ArrayRef<Value> start,
                    ArrayRef<Value> step) {
  auto dataType = cast<RankedTensorType>(data.getType());
  SmallVector<AffineMap> maps = {l.b.getMultiDimIdentityMap(type.getRank())};
  SmallVector<utils::IteratorType> iters(type.getRank(), utils::IteratorType::parallel);
  return l.b
      .create<linalg::GenericOp>(
          l.loc, type, ValueRange{}, l.empty(type), maps, iters,
          [&](OpBuilder &nb, Location, ValueRange) {
            SmallVector<Value> coords;
            for (int64_t d = 0; d < type.getRank(); ++d) {
              Value index = nb.create<linalg::IndexOp>(l.loc, d);
              Value at = nb.create<arith::AddIOp>(
                  l.loc, start[d], nb.create<arith::MulIOp>(l.loc, index, step[d]));
              coords.push_back(l.clampIndex(at, dataType.getDimSize(d)));
            }
            nb.create<linalg::YieldOp>(
                l.loc, nb.create<tensor::ExtractOp>(l.loc, data, coords).getResult());
          })
      .getResult(0);
}

/// Starts, ends, axes or steps known only at run time, with a static result
/// shape: start and step of every dim are computed at run time the way ONNX
/// clamps them (the ends only decide the size, which the result type fixes).
FailureOr<Value> lowerSliceAtRunTime(SliceOp op, Lowering &l) {
  auto type = resultType(op);
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  OpBuilder &b = l.b;
  int64_t rank = type.getRank();
  auto count = staticNumElements(op.getStarts());
  if (!count)
    return unsupported(op, "starts of unknown count");
  auto c = [&](int64_t v) { return l.index(v); };
  auto asIndex = [&](Value v) -> Value {
    return b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), v);
  };
  auto select = [&](Value cond, Value x, Value y) -> Value {
    return b.create<arith::SelectOp>(l.loc, cond, x, y);
  };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
    return b.create<arith::CmpIOp>(l.loc, p, x, y);
  };
  SmallVector<Value> start(rank, c(0)), step(rank, c(1));
  for (int64_t i = 0; i < *count; ++i) {
    Value axis = isa<NoneType>(op.getAxes().getType())
                     ? c(i)
                     : l.wrapIndex(l.element(op.getAxes(), i), rank);
    Value stride = isa<NoneType>(op.getSteps().getType()) ? c(1)
                                                          : asIndex(l.element(op.getSteps(), i));
    Value dim = c(0);
    for (int64_t d = 0; d < rank; ++d)
      dim = select(cmp(arith::CmpIPredicate::eq, axis, c(d)), c(dataType.getDimSize(d)), dim);
    Value first = asIndex(l.element(op.getStarts(), i));
    first = select(cmp(arith::CmpIPredicate::slt, first, c(0)),
                   b.create<arith::AddIOp>(l.loc, first, dim), first);
    Value backwards = cmp(arith::CmpIPredicate::slt, stride, c(0));
    Value last = select(backwards, b.create<arith::SubIOp>(l.loc, dim, c(1)), dim);
    first = b.create<arith::MinSIOp>(l.loc, b.create<arith::MaxSIOp>(l.loc, first, c(0)), last);
    for (int64_t d = 0; d < rank; ++d) {
      Value here = cmp(arith::CmpIPredicate::eq, axis, c(d));
      start[d] = select(here, first, start[d]);
      step[d] = select(here, stride, step[d]);
    }
  }
  return gatherStrided(l, op.getData(), type, start, step);
}

/// Positive steps are a strided view; negative ones a gather.
FailureOr<Value> lowerSlice(SliceOp op, Lowering &l) {
  if (llvm::any_of(ValueRange{op.getStarts(), op.getEnds(), op.getAxes(), op.getSteps()},
                   isRuntimeValue))
    return lowerSliceAtRunTime(op, l);
  auto type = resultType(op);
  auto dataType = cast<RankedTensorType>(op.getData().getType());
  std::string error;
  auto dims = resolveSlice(dataType.getShape(), op.getStarts(), op.getEnds(), op.getAxes(),
                           op.getSteps(), error);
  if (!dims)
    return unsupported(op, error);
  OpBuilder &b = l.b;
  if (llvm::all_of(*dims, [](const SliceDim &d) { return d.step > 0; })) {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (const SliceDim &d : *dims) {
      offsets.push_back(b.getIndexAttr(d.start));
      sizes.push_back(b.getIndexAttr(d.size));
      strides.push_back(b.getIndexAttr(d.step));
    }
    return b.create<tensor::ExtractSliceOp>(l.loc, type, op.getData(), offsets, sizes, strides)
        .getResult();
  }
  SmallVector<Value> start, step;
  for (const SliceDim &d : *dims) {
    start.push_back(b.create<arith::ConstantIndexOp>(l.loc, d.start));
    step.push_back(b.create<arith::ConstantIndexOp>(l.loc, d.step));
  }
  return gatherStrided(l, op.getData(), type, start, step);
}

/// TopK without sorting: each element's rank along the axis (how many
/// elements precede it: better, or equal at a lower index) is a reduction
/// over the axis; output slot k then selects the element of rank k.
FailureOr<SmallVector<Value>> lowerTopK(TopKOp op, Lowering &l) {
  auto xType = cast<RankedTensorType>(op.getX().getType());
  auto valuesType = cast<RankedTensorType>(op.getValues().getType());
  auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
  Type et = xType.getElementType(), i64 = l.b.getI64Type();
  if (et.isInteger(1))
    return unsupported(op, "bool input");
  OpBuilder &b = l.b;
  int64_t rank = xType.getRank(), axis = *normalizeAxis(op.getAxis(), rank);
  // A K known at run time only took the result shape.
  if (valuesType.getDimSize(axis) > xType.getDimSize(axis))
    return unsupported(op, "K is larger than the axis");
  bool largest = op.getLargest() != 0;
  // Loops: the dims of X, then the axis position of the element compared with.
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> self, other;
  for (int64_t i = 0; i < rank; ++i) {
    self.push_back(d(i));
    other.push_back(i == axis ? d(rank) : d(i));
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  auto ranksType = RankedTensorType::get(xType.getShape(), i64);
  Value ranks =
      b.create<linalg::GenericOp>(
           l.loc, ranksType, ValueRange{op.getX(), op.getX()},
           l.filled(ranksType, l.constant(i64, 0)),
           SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, self, b.getContext()),
                                  AffineMap::get(rank + 1, 0, other, b.getContext()),
                                  AffineMap::get(rank + 1, 0, self, b.getContext())},
           iters,
           [&](OpBuilder &nb, Location, ValueRange a) {
             Value better = largest ? l.compare(a[1], a[0], arith::CmpFPredicate::OGT,
                                                arith::CmpIPredicate::sgt)
                                    : l.compare(a[1], a[0], arith::CmpFPredicate::OLT,
                                                arith::CmpIPredicate::slt);
             Value equal = l.compare(a[1], a[0], arith::CmpFPredicate::OEQ,
                                     arith::CmpIPredicate::eq);
             Value earlier = nb.create<arith::CmpIOp>(
                 l.loc, arith::CmpIPredicate::ult, nb.create<linalg::IndexOp>(l.loc, rank),
                 nb.create<linalg::IndexOp>(l.loc, axis));
             Value precedes = nb.create<arith::OrIOp>(
                 l.loc, better, nb.create<arith::AndIOp>(l.loc, equal, earlier));
             nb.create<linalg::YieldOp>(
                 l.loc, l.add(a[2], nb.create<arith::ExtUIOp>(l.loc, i64, precedes)));
           })
          .getResult(0);
  // Loops: the dims of the outputs (slot k on the axis), then the element.
  SmallVector<AffineExpr> out;
  for (int64_t i = 0; i < rank; ++i)
    out.push_back(d(i));
  auto outMap = AffineMap::get(rank + 1, 0, out, b.getContext());
  auto inMap = AffineMap::get(rank + 1, 0, other, b.getContext());
  auto select = b.create<linalg::GenericOp>(
      l.loc, TypeRange{valuesType, indicesType}, ValueRange{op.getX(), ranks},
      ValueRange{l.filled(valuesType, l.constant(et, 0)),
                 l.filled(indicesType, l.constant(i64, 0))},
      SmallVector<AffineMap>{inMap, inMap, outMap, outMap}, iters,
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value hit = nb.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::eq, a[1],
                                             l.loopIndexI64(axis));
        Value index = l.loopIndexI64(rank);
        nb.create<linalg::YieldOp>(
            l.loc, ValueRange{nb.create<arith::SelectOp>(l.loc, hit, a[0], a[2]),
                              nb.create<arith::SelectOp>(l.loc, hit, index, a[3])});
      });
  return SmallVector<Value>(select.getResults());
}

FailureOr<Value> lowerRange(RangeOp op, Lowering &l) {
  auto type = resultType(op);
  Value start = l.scalar(op.getStart()), delta = l.scalar(op.getDelta());
  Type et = type.getElementType();
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    return l.add(start, l.mul(l.convert(l.loopIndexI64(0), et), delta));
  });
}

/// Every output element reads the input at its position less the leading
/// pad (index values, maybe known only at run time), then: "constant" uses
/// the pad value outside the input, "edge" clamps, "reflect" mirrors.
FailureOr<Value> lowerPadByReading(PadOp op, Lowering &l, ArrayRef<Value> low) {
  auto type = resultType(op);
  auto inType = cast<RankedTensorType>(op.getData().getType());
  int64_t rank = type.getRank();
  StringRef mode = op.getMode();
  Value value = mode != "constant" || isa<NoneType>(op.getConstantValue().getType())
                    ? l.constant(type.getElementType(), 0)
                    : l.scalar(op.getConstantValue());
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    OpBuilder &b = l.b;
    auto c = [&](int64_t v) { return l.index(v); };
    auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
      return b.create<arith::CmpIOp>(l.loc, p, x, y);
    };
    SmallVector<Value> coords;
    Value inside = b.create<arith::ConstantIntOp>(l.loc, 1, 1);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t n = inType.getDimSize(d);
      Value p = b.create<arith::SubIOp>(l.loc, b.create<linalg::IndexOp>(l.loc, d), low[d]);
      if (mode == "constant") {
        inside = b.create<arith::AndIOp>(
            l.loc, inside,
            b.create<arith::AndIOp>(l.loc, cmp(arith::CmpIPredicate::sge, p, c(0)),
                                    cmp(arith::CmpIPredicate::slt, p, c(n))));
      } else if (mode == "reflect") {
        // -p before the start, 2(n-1) - p past the end.
        Value before = cmp(arith::CmpIPredicate::slt, p, c(0));
        p = b.create<arith::SelectOp>(l.loc, before, b.create<arith::SubIOp>(l.loc, c(0), p), p);
        Value after = cmp(arith::CmpIPredicate::sgt, p, c(n - 1));
        p = b.create<arith::SelectOp>(l.loc, after,
                                      b.create<arith::SubIOp>(l.loc, c(2 * (n - 1)), p), p);
      }
      coords.push_back(l.clampIndex(p, n));
    }
    Value read = b.create<tensor::ExtractOp>(l.loc, op.getData(), coords);
    return b.create<arith::SelectOp>(l.loc, inside, read, value);
  });
}

FailureOr<Value> lowerPad(PadOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t rank = type.getRank();
  auto pads = getConstantIntValues(op.getPads());
  if (!pads || op.getMode() != "constant" ||
      llvm::any_of(*pads, [](int64_t p) { return p < 0; })) {
    auto inType = cast<RankedTensorType>(op.getData().getType());
    SmallVector<Value> low;
    for (int64_t d = 0; d < rank; ++d) {
      if (pads && op.getMode() == "reflect" &&
          ((*pads)[d] >= inType.getDimSize(d) || (*pads)[d + rank] >= inType.getDimSize(d)))
        return unsupported(op, "reflect pads as large as the dim");
      low.push_back(pads ? l.b.create<arith::ConstantIndexOp>(l.loc, (*pads)[d]).getResult()
                         : l.b.create<arith::IndexCastOp>(l.loc, l.b.getIndexType(),
                                                         l.element(op.getPads(), d))
                               .getResult());
    }
    return lowerPadByReading(op, l, low);
  }
  Type et = type.getElementType();
  Value value = isa<NoneType>(op.getConstantValue().getType())
                    ? l.constant(et, 0)
                    : l.scalar(op.getConstantValue());
  SmallVector<OpFoldResult> low, high;
  for (int64_t d = 0; d < rank; ++d) {
    low.push_back(l.b.getIndexAttr((*pads)[d]));
    high.push_back(l.b.getIndexAttr((*pads)[d + rank]));
  }
  return l.b.create<tensor::PadOp>(l.loc, type, op.getData(), low, high, value).getResult();
}

/// DepthToSpace and SpaceToDepth: a 6-D view, a transpose, a 4-D view.
FailureOr<Value> lowerBlockRearrange(Operation *op, Lowering &l,
                                     ArrayRef<int64_t> viewShape, ArrayRef<int64_t> perm) {
  auto type = resultType(op);
  Type et = type.getElementType();
  Value view = l.reshape(op->getOperand(0), RankedTensorType::get(viewShape, et));
  SmallVector<int64_t> permuted;
  for (int64_t p : perm)
    permuted.push_back(viewShape[p]);
  Value moved = l.b.create<linalg::TransposeOp>(
                       l.loc, view, l.empty(RankedTensorType::get(permuted, et)), perm)
                    .getResult()[0];
  return l.reshape(moved, type);
}

FailureOr<Value> lowerDepthToSpace(DepthToSpaceOp op, Lowering &l) {
  auto x = cast<RankedTensorType>(op.getInput().getType());
  int64_t b = op.getBlocksize(), n = x.getDimSize(0), c = x.getDimSize(1),
          h = x.getDimSize(2), w = x.getDimSize(3);
  if (op.getMode() == "DCR")
    return lowerBlockRearrange(op, l, {n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2});
  return lowerBlockRearrange(op, l, {n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3});
}

FailureOr<Value> lowerSpaceToDepth(SpaceToDepthOp op, Lowering &l) {
  auto x = cast<RankedTensorType>(op.getInput().getType());
  int64_t b = op.getBlocksize(), n = x.getDimSize(0), c = x.getDimSize(1),
          h = x.getDimSize(2), w = x.getDimSize(3);
  return lowerBlockRearrange(op, l, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4});
}

/// Tile reads input[i mod dim] for every output index: one generic whose
/// input map uses `mod`, the output map giving the loop ranges.
FailureOr<Value> lowerTile(TileOp op, Lowering &l) {
  auto type = resultType(op);
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  OpBuilder &b = l.b;
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    exprs.push_back(b.getAffineDimExpr(d) % inType.getDimSize(d));
  SmallVector<AffineMap> maps = {AffineMap::get(type.getRank(), 0, exprs, b.getContext()),
                                 b.getMultiDimIdentityMap(type.getRank())};
  SmallVector<utils::IteratorType> iters(type.getRank(), utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(l.loc, type, op.getInput(), l.empty(type), maps, iters,
                                 [&](OpBuilder &nb, Location, ValueRange a) {
                                   nb.create<linalg::YieldOp>(l.loc, a[0]);
                                 })
      .getResult(0);
}

FailureOr<Value> lowerConstantOfShape(ConstantOfShapeOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  auto value = op.getValueAttr();
  if (!value)
    return l.filled(type, l.constant(et, 0));
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return unsupported(op, "value");
  dense = cast<DenseElementsAttr>(
      signlessValue(dense, RankedTensorType::get(dense.getType().getShape(), et)));
  return l.filled(type, l.b.create<arith::ConstantOp>(
                            l.loc, cast<TypedAttr>(dense.getSplatValue<Attribute>())));
}

FailureOr<Value> lowerConstant(ConstantOp op, Lowering &l) {
  return l.b.create<arith::ConstantOp>(l.loc, signlessValue(op.getValue(), resultType(op)))
      .getResult();
}

//===----------------------------------------------------------------------===//
// Quantization (ONNX rules: round half to even, saturate)
//===----------------------------------------------------------------------===//

} // namespace

namespace lepton::lowering {

/// A quantization parameter given per index of `axis` (1-D) reshaped to
/// broadcast against a tensor of `rank`; one value stays as it is.
Value alongAxis(Lowering &l, Value param, int64_t rank, int64_t axis) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getNumElements() == 1)
    return param;
  SmallVector<int64_t> shape(rank, 1);
  shape[*normalizeAxis(axis, rank)] = type.getNumElements();
  return l.reshape(param, RankedTensorType::get(shape, type.getElementType()));
}

} // namespace lepton::lowering

namespace {

/// An integer scalar as a float, zero-extended when `isUnsigned`.
Value intToFloat(Lowering &l, Value v, Type to, bool isUnsigned) {
  return isUnsigned ? l.b.create<arith::UIToFPOp>(l.loc, to, v).getResult()
                    : l.b.create<arith::SIToFPOp>(l.loc, to, v).getResult();
}

/// `x` - `zeroPoint` (none: 0) as i32, each widened by its own signedness.
Value minusZeroPoint(Lowering &l, Value x, bool xUnsigned, Value zeroPoint, bool zpUnsigned,
                     int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  auto i32 = l.b.getI32Type();
  auto widen = [&](Value v, bool isUnsigned) -> Value {
    if (v.getType() == i32)
      return v;
    return isUnsigned ? l.b.create<arith::ExtUIOp>(l.loc, i32, v).getResult()
                      : l.b.create<arith::ExtSIOp>(l.loc, i32, v).getResult();
  };
  SmallVector<Value> inputs = {x};
  if (!isa<NoneType>(zeroPoint.getType()))
    inputs.push_back(alongAxis(l, zeroPoint, type.getRank(), axis));
  return l.elementwise(RankedTensorType::get(type.getShape(), i32), inputs,
                       [&](ValueRange a) -> Value {
                         Value v = widen(a[0], xUnsigned);
                         return a.size() == 1 ? v
                                              : l.sub(v, widen(a[1], zpUnsigned));
                       });
}

} // namespace

namespace lepton::lowering {

/// round_half_even(v) + zeroPoint (a float), saturated to the integer type `to`.
Value saturateRound(Lowering &l, Value v, Value zeroPoint, Type to, bool toUnsigned) {
  Type ft = v.getType();
  unsigned bits = to.getIntOrFloatBitWidth();
  double lo = toUnsigned ? 0 : -std::ldexp(1.0, bits - 1);
  double hi = toUnsigned ? std::ldexp(1.0, bits) - 1 : std::ldexp(1.0, bits - 1) - 1;
  Value r = l.add(l.b.create<math::RoundEvenOp>(l.loc, v), zeroPoint);
  r = l.b.create<arith::MinimumFOp>(
      l.loc, l.b.create<arith::MaximumFOp>(l.loc, r, l.constant(ft, lo)), l.constant(ft, hi));
  return toUnsigned ? l.b.create<arith::FPToUIOp>(l.loc, to, r).getResult()
                    : l.b.create<arith::FPToSIOp>(l.loc, to, r).getResult();
}

} // namespace lepton::lowering

namespace {

FailureOr<Value> lowerQuantizeLinear(QuantizeLinearOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t rank = type.getRank();
  Type ft = cast<RankedTensorType>(op.getYScale().getType()).getElementType();
  bool hasZeroPoint = !isa<NoneType>(op.getYZeroPoint().getType());
  SmallVector<Value> inputs = {op.getX(), alongAxis(l, op.getYScale(), rank, op.getAxis())};
  if (hasZeroPoint)
    inputs.push_back(alongAxis(l, op.getYZeroPoint(), rank, op.getAxis()));
  bool xUnsigned = l.unsignedOperands[0], yUnsigned = l.unsignedResults[0];
  return l.elementwise(type, inputs, [&](ValueRange a) -> Value {
    Value x =
        isa<FloatType>(a[0].getType()) ? l.convert(a[0], ft) : intToFloat(l, a[0], ft, xUnsigned);
    Value zp = hasZeroPoint ? intToFloat(l, a[2], ft, yUnsigned) : l.constant(ft, 0);
    return saturateRound(l, l.div(x, a[1]), zp, type.getElementType(), yUnsigned);
  });
}

FailureOr<Value> lowerDequantizeLinear(DequantizeLinearOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t rank = type.getRank();
  Value centered = minusZeroPoint(l, op.getX(), l.unsignedOperands[0], op.getXZeroPoint(),
                                  l.unsignedOperands[2], op.getAxis());
  return l.elementwise(type, {centered, alongAxis(l, op.getXScale(), rank, op.getAxis())},
                       [&](ValueRange a) -> Value {
                         return l.mul(intToFloat(l, a[0], type.getElementType(), false), a[1]);
                       });
}

/// Scale and zero point from the range of x extended to include 0, then
/// x quantized with them (uint8).
FailureOr<SmallVector<Value>> lowerDynamicQuantizeLinear(DynamicQuantizeLinearOp op,
                                                         Lowering &l) {
  auto xType = cast<RankedTensorType>(op.getX().getType());
  Type ft = xType.getElementType(), u8 = l.b.getI8Type();
  OpBuilder &b = l.b;
  auto all = llvm::to_vector(llvm::seq<int64_t>(0, xType.getRank()));
  auto scalarOf = [&](Value reduced) {
    return l.scalar(l.reshape(reduced, RankedTensorType::get({}, ft)));
  };
  Value zero = l.constant(ft, 0);
  Value lo = b.create<arith::MinimumFOp>(
      l.loc, zero,
      scalarOf(l.reduceKeepDims(op.getX(), all, l.highest(ft),
                                [&](Value acc, Value x) { return l.min(acc, x); })));
  Value hi = b.create<arith::MaximumFOp>(l.loc, zero, scalarOf(l.maxKeepDims(op.getX(), all)));
  Value scale = l.div(l.sub(hi, lo), l.constant(ft, 255));
  // An all-zero input has scale 0; divide by 1 instead (every value maps to 0).
  Value divisor = b.create<arith::SelectOp>(
      l.loc, b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OEQ, scale, zero),
      l.constant(ft, 1), scale);
  Value zeroPoint = saturateRound(l, l.div(l.sub(zero, lo), divisor), zero, u8, true);
  Value zpFloat = intToFloat(l, zeroPoint, ft, true);
  Value y = l.elementwise(cast<RankedTensorType>(op.getY().getType()), op.getX(),
                          [&](ValueRange a) {
                            return saturateRound(l, l.div(a[0], divisor), zpFloat, u8, true);
                          });
  auto scalarTensor = [&](Value v) -> Value {
    return b.create<tensor::FromElementsOp>(l.loc, RankedTensorType::get({}, v.getType()), v);
  };
  return SmallVector<Value>{y, scalarTensor(scale), scalarTensor(zeroPoint)};
}

FailureOr<Value> lowerMatMulInteger(MatMulIntegerOp op, Lowering &l) {
  int64_t aRank = cast<RankedTensorType>(op.getA().getType()).getRank();
  int64_t bRank = cast<RankedTensorType>(op.getB().getType()).getRank();
  // a_zero_point may be per row of A, b_zero_point per column of B.
  Value a = minusZeroPoint(l, op.getA(), l.unsignedOperands[0], op.getAZeroPoint(),
                           l.unsignedOperands[2], std::max<int64_t>(aRank - 2, 0));
  Value b = minusZeroPoint(l, op.getB(), l.unsignedOperands[1], op.getBZeroPoint(),
                           l.unsignedOperands[3], bRank - 1);
  return matMulOf(l, a, b, resultType(op));
}

FailureOr<Value> lowerConvInteger(ConvIntegerOp op, Lowering &l) {
  Value x = minusZeroPoint(l, op.getX(), l.unsignedOperands[0], op.getXZeroPoint(),
                           l.unsignedOperands[2], 1);
  // w_zero_point may be per output channel.
  Value w = minusZeroPoint(l, op.getW(), l.unsignedOperands[1], op.getWZeroPoint(),
                           l.unsignedOperands[3], 0);
  return convOf(op, l, x, w, l.b.create<NoneOp>(l.loc), resultType(op));
}

/// The int32 accumulator `acc` requantized: acc * (in_scale * w_scale /
/// y_scale), rounded, plus y_zero_point, saturated. `wScale` is one value or
/// one per index of `axis` of the result.
Value requantize(Lowering &l, Value acc, Value inScale, Value wScale, int64_t axis,
                 Value yScale, Value yZeroPoint, RankedTensorType type, bool yUnsigned) {
  Type ft = cast<RankedTensorType>(inScale.getType()).getElementType();
  int64_t rank = type.getRank();
  return l.elementwise(
      type, {acc, inScale, alongAxis(l, wScale, rank, axis), yScale, yZeroPoint},
      [&](ValueRange a) -> Value {
        Value multiplier = l.div(l.mul(a[1], a[2]), a[3]);
        return saturateRound(l, l.mul(intToFloat(l, a[0], ft, false), multiplier),
                             intToFloat(l, a[4], ft, yUnsigned), type.getElementType(),
                             yUnsigned);
      });
}

FailureOr<Value> lowerQLinearMatMul(QLinearMatMulOp op, Lowering &l) {
  auto type = resultType(op);
  auto u = l.unsignedOperands;
  int64_t aRank = cast<RankedTensorType>(op.getA().getType()).getRank();
  int64_t bRank = cast<RankedTensorType>(op.getB().getType()).getRank();
  Value a = minusZeroPoint(l, op.getA(), u[0], op.getAZeroPoint(), u[2],
                           std::max<int64_t>(aRank - 2, 0));
  Value b = minusZeroPoint(l, op.getB(), u[3], op.getBZeroPoint(), u[5], bRank - 1);
  Value acc = matMulOf(l, a, b, RankedTensorType::get(type.getShape(), l.b.getI32Type()));
  return requantize(l, acc, op.getAScale(), op.getBScale(), type.getRank() - 1, op.getYScale(),
                    op.getYZeroPoint(), type, l.unsignedResults[0]);
}

FailureOr<Value> lowerQLinearConv(QLinearConvOp op, Lowering &l) {
  auto type = resultType(op);
  auto u = l.unsignedOperands;
  Value x = minusZeroPoint(l, op.getX(), u[0], op.getXZeroPoint(), u[2], 1);
  Value w = minusZeroPoint(l, op.getW(), u[3], op.getWZeroPoint(), u[5], 0);
  auto acc = convOf(op, l, x, w, op.getB(),
                    RankedTensorType::get(type.getShape(), l.b.getI32Type()));
  if (failed(acc))
    return failure();
  return requantize(l, *acc, op.getXScale(), op.getWScale(), 1, op.getYScale(),
                    op.getYZeroPoint(), type, l.unsignedResults[0]);
}

/// (X - mean) / (sqrt(E[X^2] - mean^2) + 1e-9) over `axes` (default N, H, W),
/// the ONNX function body.
FailureOr<Value> lowerMeanVarianceNormalization(MeanVarianceNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t rank = type.getRank();
  SmallVector<int64_t> dims = {0, 2, 3};
  if (auto axes = op.getAxes())
    dims = llvm::map_to_vector(*axes, [&](int64_t a) { return *normalizeAxis(a, rank); });
  Value x = op.getX();
  Value mean = l.meanKeepDims(x, dims);
  Value meanOfSquares =
      l.meanKeepDims(l.elementwise(type, x, [&](ValueRange a) { return l.mul(a[0], a[0]); }), dims);
  Type et = type.getElementType();
  return l.elementwise(type, {x, mean, meanOfSquares}, [&](ValueRange a) -> Value {
    Value variance = l.sub(a[2], l.mul(a[1], a[1]));
    Value stddev = l.b.create<math::SqrtOp>(l.loc, variance);
    return l.div(l.sub(a[0], a[1]), l.add(stddev, l.constant(et, 1e-9)));
  });
}

/// Normalization over each group of C / num_groups channels (and the spatial
/// dims), viewing X as [N, G, C/G * spatial]; scale and bias are per group.
FailureOr<Value> lowerGroupNormalization(GroupNormalizationOp op, Lowering &l) {
  auto type = resultType(op);
  Type et = type.getElementType();
  int64_t n = type.getDimSize(0), groups = op.getNumGroups();
  auto grouped = RankedTensorType::get({n, groups, type.getNumElements() / (n * groups)}, et);
  Value x = l.reshape(op.getX(), grouped);
  Value mean = l.meanKeepDims(x, {2});
  Value variance = l.varianceKeepDims(x, mean, {2});
  auto perGroup = RankedTensorType::get({groups, 1}, et);
  double eps = op.getEpsilon().convertToDouble();
  Value y = l.elementwise(grouped,
                          {x, mean, variance, l.reshape(op.getScale(), perGroup),
                           l.reshape(op.getBias(), perGroup)},
                          [&](ValueRange a) -> Value {
                            Value denom = l.b.create<math::SqrtOp>(
                                l.loc, l.add(a[2], l.constant(et, eps)));
                            return l.add(l.mul(l.div(l.sub(a[0], a[1]), denom), a[3]), a[4]);
                          });
  return l.reshape(y, type);
}

/// Element (b, t) of `x` reads (b, len[b] - 1 - t) while t < len[b]; no
/// `lens` reverses every sequence whole.
Value reverseSequences(Lowering &l, Value x, Value lens, int64_t batch, int64_t time) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t steps = type.getDimSize(time);
  OpBuilder &b = l.b;
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    SmallVector<Value> coords;
    for (int64_t d = 0; d < type.getRank(); ++d)
      coords.push_back(b.create<linalg::IndexOp>(l.loc, d));
    Value length = lens ? b.create<arith::IndexCastOp>(
                              l.loc, b.getIndexType(),
                              b.create<tensor::ExtractOp>(l.loc, lens, ValueRange{coords[batch]}))
                              .getResult()
                        : b.create<arith::ConstantIndexOp>(l.loc, steps).getResult();
    Value t = coords[time];
    Value reversed = b.create<arith::SubIOp>(
        l.loc, b.create<arith::SubIOp>(l.loc, length, b.create<arith::ConstantIndexOp>(l.loc, 1)),
        t);
    Value inside = b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, t, length);
    coords[time] = l.clampIndex(b.create<arith::SelectOp>(l.loc, inside, reversed, t), steps);
    return b.create<tensor::ExtractOp>(l.loc, x, coords);
  });
}

FailureOr<Value> lowerReverseSequence(ReverseSequenceOp op, Lowering &l) {
  return reverseSequences(l, op.getInput(), op.getSequenceLens(), op.getBatchAxis(),
                          op.getTimeAxis());
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//


/// RNN (1 gate), GRU (3: z, r, h) and LSTM (4: i, o, f, c) as an scf.for
/// over the time steps of each direction carrying the state tensors and the
/// direction's Y. The input projection X W^T + biases of every step is one
/// matmul before the loop; each step adds H R^T. A reverse direction runs
/// forward over the sequences reversed within their lengths, and its Y is
/// reversed back. Steps past a batch entry's sequence length keep the state
/// and write zeros to Y.
FailureOr<SmallVector<Value>> lowerRecurrent(Operation *op, Lowering &l, int64_t gates) {
  OpBuilder &b = l.b;
  bool isGRU = gates == 3, isLSTM = gates == 4;
  auto operand = [&](unsigned i) -> Value {
    if (i >= op->getNumOperands() || isa<NoneType>(op->getOperand(i).getType()))
      return nullptr;
    return op->getOperand(i);
  };
  Value X = op->getOperand(0), W = op->getOperand(1), R = op->getOperand(2);
  Value bias = operand(3), lens = operand(4), h0 = operand(5);
  Value c0 = isLSTM ? operand(6) : nullptr, peep = isLSTM ? operand(7) : nullptr;
  auto strAttr = [&](StringRef n) { return op->getAttrOfType<StringAttr>(n).getValue(); };
  auto intAttr = [&](StringRef n) {
    auto a = op->getAttrOfType<IntegerAttr>(n);
    return a ? a.getInt() : 0;
  };
  bool batchFirst = intAttr("layout") != 0;
  bool linearBeforeReset = isGRU && intAttr("linear_before_reset") != 0;
  bool inputForget = isLSTM && intAttr("input_forget") != 0;
  StringRef direction = strAttr("direction");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  auto rType = cast<RankedTensorType>(R.getType());
  int64_t hidden = rType.getDimSize(2);
  Type et = rType.getElementType();
  std::optional<double> clip;
  if (auto a = op->getAttrOfType<FloatAttr>("clip"))
    clip = a.getValueAsDouble();

  // Activations per direction, each with its alpha and beta when it takes them.
  SmallVector<StringRef> names;
  if (auto list = op->getAttrOfType<ArrayAttr>("activations"))
    for (Attribute a : list)
      names.push_back(cast<StringAttr>(a).getValue());
  int64_t perDirection = gates == 1 ? 1 : gates == 3 ? 2 : 3;
  static const StringRef kDefaults[] = {"Sigmoid", "Tanh", "Tanh"}; // RNN: Tanh only
  if (names.empty())
    for (int64_t d = 0; d < dirs; ++d)
      llvm::append_range(
          names, ArrayRef(kDefaults).drop_front(gates == 1 ? 1 : 0).take_front(perDirection));
  if ((int64_t)names.size() != perDirection * dirs)
    return unsupported(op, "expects " + Twine(perDirection * dirs) + " activations");
  SmallVector<std::optional<double>> alphas, betas;
  {
    auto alphaList = op->getAttrOfType<DenseF32ArrayAttr>("activation_alpha");
    auto betaList = op->getAttrOfType<DenseF32ArrayAttr>("activation_beta");
    size_t ai = 0, bi = 0;
    for (StringRef n : names) {
      bool takesAlpha = llvm::is_contained({"Affine", "LeakyRelu", "ThresholdedRelu",
                                            "ScaledTanh", "HardSigmoid", "Elu"},
                                           n);
      bool takesBeta = llvm::is_contained({"Affine", "ScaledTanh", "HardSigmoid"}, n);
      alphas.push_back(takesAlpha && alphaList && ai < alphaList.size()
                           ? std::optional<double>(alphaList[ai++])
                           : std::nullopt);
      betas.push_back(takesBeta && betaList && bi < betaList.size()
                          ? std::optional<double>(betaList[bi++])
                          : std::nullopt);
    }
  }

  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  // A static slice of `v` of `sizes` at `offsets`, dropping the dims not in `keep`.
  auto slice = [&](Value v, ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
                   ArrayRef<int64_t> resultShape) -> Value {
    SmallVector<OpFoldResult> sz, strides(sizes.size(), idx(1));
    for (int64_t x : sizes)
      sz.push_back(idx(x));
    return b.create<tensor::ExtractSliceOp>(
        l.loc, RankedTensorType::get(resultShape, et), v, offsets, sz, strides);
  };

  if (batchFirst)
    X = l.transpose(X, {1, 0, 2});
  auto xType = cast<RankedTensorType>(X.getType());
  int64_t steps = xType.getDimSize(0), batch = xType.getDimSize(1), input = xType.getDimSize(2);
  auto stateType = RankedTensorType::get({batch, hidden}, et);
  auto seqType = RankedTensorType::get({steps, batch, hidden}, et);
  if (batchFirst && h0)
    h0 = l.transpose(h0, {1, 0, 2});
  if (batchFirst && c0)
    c0 = l.transpose(c0, {1, 0, 2});
  auto clipped = [&](Value v) {
    return clip ? l.max(l.constant(et, -*clip), l.min(l.constant(et, *clip), v)) : v;
  };
  bool ok = true;
  auto activate = [&](int64_t which, Value v) -> Value {
    auto r = namedActivation(l, names[which], alphas[which], betas[which], clipped(v));
    if (failed(r)) {
      ok = false;
      return v;
    }
    return *r;
  };

  SmallVector<Value> ys, hs, cs;
  for (int64_t dir = 0; dir < dirs; ++dir) {
    bool reverse = direction == "reverse" || dir == 1;
    int64_t first = dir * perDirection; // this direction's activations
    Value w = slice(W, {idx(dir), idx(0), idx(0)}, {1, gates * hidden, input},
                    {gates * hidden, input});
    Value r = slice(R, {idx(dir), idx(0), idx(0)}, {1, gates * hidden, hidden},
                    {gates * hidden, hidden});
    Value wT = l.transpose(w, {1, 0}), rT = l.transpose(r, {1, 0});
    // Biases folded into the input projection: Wb + Rb, except GRU's
    // recurrent h bias under linear_before_reset, which stays inside r * (...).
    auto gateType = RankedTensorType::get({gates * hidden}, et);
    Value xBias = l.filled(gateType, l.constant(et, 0)), hBias;
    if (bias) {
      Value wb = slice(bias, {idx(dir), idx(0)}, {1, gates * hidden}, {gates * hidden});
      Value rb = slice(bias, {idx(dir), idx(gates * hidden)}, {1, gates * hidden},
                       {gates * hidden});
      if (linearBeforeReset) {
        hBias = slice(bias, {idx(dir), idx(5 * hidden)}, {1, hidden}, {hidden});
        Value zeroH = l.filled(RankedTensorType::get({hidden}, et), l.constant(et, 0));
        rb = b.create<tensor::InsertSliceOp>(
            l.loc, zeroH, rb, ArrayRef<OpFoldResult>{idx(2 * hidden)},
            ArrayRef<OpFoldResult>{idx(hidden)}, ArrayRef<OpFoldResult>{idx(1)});
      }
      xBias = l.elementwise(gateType, {wb, rb}, [&](ValueRange a) { return l.add(a[0], a[1]); });
    }
    Value xs = reverse ? reverseSequences(l, X, lens, 1, 0) : X;
    auto projType = RankedTensorType::get({steps * batch, gates * hidden}, et);
    Value proj = matMulOf(l, l.reshape(xs, RankedTensorType::get({steps * batch, input}, et)), wT,
                          projType);
    proj = l.elementwise(projType, {proj, xBias}, [&](ValueRange a) { return l.add(a[0], a[1]); });
    proj = l.reshape(proj, RankedTensorType::get({steps, batch, gates * hidden}, et));

    Value zero = l.constant(et, 0);
    Value hInit = h0 ? slice(h0, {idx(dir), idx(0), idx(0)}, {1, batch, hidden}, {batch, hidden})
                     : l.filled(stateType, zero);
    Value cInit = c0 ? slice(c0, {idx(dir), idx(0), idx(0)}, {1, batch, hidden}, {batch, hidden})
                     : l.filled(stateType, zero);
    Value lensColumn =
        lens ? l.reshape(lens, RankedTensorType::get({batch, 1}, b.getI32Type())) : nullptr;
    SmallVector<Value> peepholes;
    if (peep)
      for (int64_t k = 0; k < 3; ++k) // i, o, f
        peepholes.push_back(slice(peep, {idx(dir), idx(k * hidden)}, {1, hidden}, {hidden}));

    SmallVector<Value> inits = {hInit, cInit, l.filled(seqType, zero)};
    auto loop = b.create<scf::ForOp>(l.loc, b.create<arith::ConstantIndexOp>(l.loc, 0),
                                     b.create<arith::ConstantIndexOp>(l.loc, steps),
                                     b.create<arith::ConstantIndexOp>(l.loc, 1), inits);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value t = loop.getInductionVar();
      Value H = loop.getRegionIterArgs()[0], C = loop.getRegionIterArgs()[1];
      Value Y = loop.getRegionIterArgs()[2];
      Value xw = slice(proj, {t, idx(0), idx(0)}, {1, batch, gates * hidden},
                       {batch, gates * hidden});
      auto gateOf = [&](Value v, int64_t k) {
        return slice(v, {idx(0), idx(k * hidden)}, {batch, hidden}, {batch, hidden});
      };
      auto map = [&](ValueRange in, function_ref<Value(ValueRange)> fn) {
        return l.elementwise(stateType, in, fn);
      };
      auto gateSumType = RankedTensorType::get({batch, gates * hidden}, et);
      Value hr = matMulOf(l, H, rT, gateSumType);
      Value hNew, cNew = C;
      if (gates == 1) {
        hNew = map({gateOf(xw, 0), gateOf(hr, 0)},
                   [&](ValueRange a) { return activate(first, l.add(a[0], a[1])); });
      } else if (isGRU) {
        Value z = map({gateOf(xw, 0), gateOf(hr, 0)},
                      [&](ValueRange a) { return activate(first, l.add(a[0], a[1])); });
        Value rg = map({gateOf(xw, 1), gateOf(hr, 1)},
                       [&](ValueRange a) { return activate(first, l.add(a[0], a[1])); });
        Value candidate;
        if (linearBeforeReset) {
          SmallVector<Value> in = {gateOf(xw, 2), gateOf(hr, 2), rg};
          if (hBias)
            in.push_back(hBias);
          candidate = map(in, [&](ValueRange a) {
            Value rec = a.size() > 3 ? l.add(a[1], a[3]) : a[1];
            return activate(first + 1, l.add(a[0], l.mul(a[2], rec)));
          });
        } else {
          Value rh = map({rg, H}, [&](ValueRange a) { return l.mul(a[0], a[1]); });
          Value rT2 = slice(rT, {idx(0), idx(2 * hidden)}, {hidden, hidden}, {hidden, hidden});
          Value rec = matMulOf(l, rh, rT2, stateType);
          candidate = map({gateOf(xw, 2), rec},
                          [&](ValueRange a) { return activate(first + 1, l.add(a[0], a[1])); });
        }
        hNew = map({z, candidate, H}, [&](ValueRange a) {
          return l.add(l.mul(l.sub(l.constant(et, 1), a[0]), a[1]), l.mul(a[0], a[2]));
        });
      } else { // LSTM
        auto withPeephole = [&](Value pre, Value rec, int64_t k, Value state) {
          SmallVector<Value> in = {pre, rec};
          if (peep)
            in.append({peepholes[k], state});
          return map(in, [&](ValueRange a) {
            Value v = l.add(a[0], a[1]);
            if (a.size() > 2)
              v = l.add(v, l.mul(a[2], a[3]));
            return activate(first, v);
          });
        };
        Value i = withPeephole(gateOf(xw, 0), gateOf(hr, 0), 0, C);
        Value f = inputForget ? map(i, [&](ValueRange a) { return l.sub(l.constant(et, 1), a[0]); })
                              : withPeephole(gateOf(xw, 2), gateOf(hr, 2), 2, C);
        Value g = map({gateOf(xw, 3), gateOf(hr, 3)},
                      [&](ValueRange a) { return activate(first + 1, l.add(a[0], a[1])); });
        cNew = map({f, C, i, g}, [&](ValueRange a) {
          return l.add(l.mul(a[0], a[1]), l.mul(a[2], a[3]));
        });
        Value o = withPeephole(gateOf(xw, 1), gateOf(hr, 1), 1, cNew);
        hNew = map({o, cNew},
                   [&](ValueRange a) { return l.mul(a[0], activate(first + 2, a[1])); });
      }
      Value yStep = hNew;
      if (lensColumn) {
        Value step = b.create<arith::IndexCastOp>(l.loc, b.getI32Type(), t);
        auto keep = [&](Value fresh, Value old) {
          return map({fresh, old, lensColumn}, [&](ValueRange a) -> Value {
            Value valid = b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, step, a[2]);
            return b.create<arith::SelectOp>(l.loc, valid, a[0], a[1]);
          });
        };
        yStep = keep(hNew, l.filled(stateType, zero));
        hNew = keep(hNew, H);
        cNew = keep(cNew, C);
      }
      Value yNext = b.create<tensor::InsertSliceOp>(
          l.loc, yStep, Y, ArrayRef<OpFoldResult>{t, idx(0), idx(0)},
          ArrayRef<OpFoldResult>{idx(1), idx(batch), idx(hidden)},
          ArrayRef<OpFoldResult>{idx(1), idx(1), idx(1)});
      // The new state goes into the carried buffers (every read of the old
      // state is above), so one-shot bufferization keeps them in place.
      auto into = [&](Value v, Value carried) {
        return v == carried ? v : b.create<linalg::CopyOp>(l.loc, v, carried).getResult(0);
      };
      b.create<scf::YieldOp>(l.loc, ValueRange{into(hNew, H), into(cNew, C), yNext});
    }
    Value y = loop.getResult(2);
    ys.push_back(reverse ? reverseSequences(l, y, lens, 1, 0) : y);
    hs.push_back(loop.getResult(0));
    cs.push_back(loop.getResult(1));
  }
  if (!ok)
    return unsupported(op, "unknown activation");

  // Y [steps, dirs, batch, hidden] and the final states [dirs, batch, hidden].
  auto stack = [&](ArrayRef<Value> parts, ArrayRef<int64_t> shape, int64_t axis) {
    Value out = l.empty(RankedTensorType::get(shape, et));
    for (auto [d, part] : llvm::enumerate(parts)) {
      SmallVector<OpFoldResult> offsets(shape.size(), idx(0)), sizes, strides(shape.size(), idx(1));
      offsets[axis] = idx(d);
      for (auto [i, s] : llvm::enumerate(shape))
        sizes.push_back(idx((int64_t)i == axis ? 1 : s));
      out = b.create<tensor::InsertSliceOp>(l.loc, part, out, offsets, sizes, strides);
    }
    return out;
  };
  Value y = stack(ys, {steps, dirs, batch, hidden}, 1);
  Value yh = stack(hs, {dirs, batch, hidden}, 0);
  Value yc = stack(cs, {dirs, batch, hidden}, 0);
  if (batchFirst) {
    y = l.transpose(y, {2, 0, 1, 3});
    yh = l.transpose(yh, {1, 0, 2});
    yc = l.transpose(yc, {1, 0, 2});
  }
  SmallVector<Value> results = {y, yh};
  if (isLSTM)
    results.push_back(yc);
  return results;
}

//===----------------------------------------------------------------------===//
// Resampling
//===----------------------------------------------------------------------===//

/// Keys' cubic convolution weights (coefficient `a`) of the taps at -1, 0,
/// 1, 2 from a point `r` in [0, 1) past tap 0 (f64).
SmallVector<Value> cubicWeights(Lowering &l, Value r, double a) {
  auto c = [&](double v) { return l.constant(r.getType(), v); };
  auto near = [&](Value s) { // |s| <= 1
    return l.add(l.mul(l.mul(l.sub(l.mul(c(a + 2), s), c(a + 3)), s), s), c(1));
  };
  auto far = [&](Value s) { // 1 < |s| < 2
    return l.sub(l.mul(l.add(l.mul(l.sub(l.mul(c(a), s), c(5 * a)), s), c(8 * a)), s),
                 c(4 * a));
  };
  Value q = l.sub(c(1), r);
  return {far(l.add(r, c(1))), near(r), near(q), far(l.add(q, c(1)))};
}

/// The taps of one resized dim for one output position: input indices
/// (clamped, i.e. edge-padded) and their f64 weights.
struct ResizeTaps {
  SmallVector<Value> indices, weights;
  Value outside; // i1: beyond the input under tf_crop_and_resize
};

/// Resize as one generic over the output. Every resized dim maps the output
/// index back to a real input coordinate (f64, as the ONNX reference does),
/// then contributes 1 (nearest), 2 (linear) or 4 (cubic) taps; the value is
/// the weighted sum over every combination of taps, which is the separable
/// interpolation of the reference. Dims kept at scale 1 read straight through.
FailureOr<Value> lowerResize(ResizeOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  int64_t rank = type.getRank();
  OpBuilder &b = l.b;
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  StringRef mode = op.getMode(), coord = op.getCoordinateTransformationMode(),
            nearest = op.getNearestMode();
  bool crop = coord == "tf_crop_and_resize", exclude = op.getExcludeOutside() != 0;
  double a = op.getCubicCoeffA().convertToDouble();
  auto given = [](Value v) { return !isa<NoneType>(v.getType()) && staticNumElements(v) != 0; };
  bool bySizes = given(op.getSizes());
  ElementsAttr constantScales;
  if (!bySizes)
    matchPattern(op.getScales(), m_Constant(&constantScales));
  // The scale of each dim: out/in for sizes, else the (maybe run-time) scales.
  SmallVector<Value> scales;
  SmallVector<bool> resized;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = xType.getDimSize(d), out = type.getDimSize(d);
    std::optional<double> known;
    if (bySizes)
      known = double(out) / double(in);
    else if (constantScales)
      known = constantScales.getValues<APFloat>()[d].convertToFloat();
    scales.push_back(known ? l.constant(f64, *known)
                           : l.convert(l.element(op.getScales(), d), f64));
    resized.push_back(crop || in != out || !known || *known != 1.0);
  }
  SmallVector<Value> roiStart(rank), roiEnd(rank);
  if (crop)
    for (int64_t d = 0; d < rank; ++d) {
      roiStart[d] = l.convert(l.element(op.getRoi(), d), f64);
      roiEnd[d] = l.convert(l.element(op.getRoi(), d + rank), f64);
    }
  int64_t combinations = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (resized[d])
      combinations *= mode == "cubic" ? 4 : mode == "linear" ? 2 : 1;
  if (combinations > 256)
    return unsupported(op, "more than 256 interpolation taps per output element");

  auto c = [&](double v) { return l.constant(f64, v); };
  auto cmp = [&](arith::CmpFPredicate p, Value x, Value y) -> Value {
    return b.create<arith::CmpFOp>(l.loc, p, x, y);
  };
  auto taps = [&](int64_t d) -> ResizeTaps {
    ResizeTaps t;
    int64_t in = xType.getDimSize(d);
    Value x = b.create<arith::SIToFPOp>(l.loc, f64, l.loopIndexI64(d));
    Value scale = scales[d];
    Value width = l.mul(scale, c(in)); // the reference's (real) output length
    Value half = c(0.5), source;
    if (coord == "half_pixel")
      source = l.sub(l.div(l.add(x, half), scale), half);
    else if (coord == "pytorch_half_pixel")
      source = b.create<arith::SelectOp>(l.loc, cmp(arith::CmpFPredicate::OGT, width, c(1)),
                                         l.sub(l.div(l.add(x, half), scale), half), c(0));
    else if (coord == "tf_half_pixel_for_nn")
      source = l.div(l.add(x, half), scale);
    else if (coord == "asymmetric")
      source = l.div(x, scale);
    else if (coord == "align_corners")
      source = b.create<arith::SelectOp>(l.loc, cmp(arith::CmpFPredicate::OEQ, width, c(1)), c(0),
                                         l.div(l.mul(x, c(in - 1)), l.sub(width, c(1))));
    else { // tf_crop_and_resize
      Value span = l.mul(l.sub(roiEnd[d], roiStart[d]), c(in - 1));
      source = l.add(b.create<arith::SelectOp>(l.loc, cmp(arith::CmpFPredicate::OEQ, width, c(1)),
                                               l.div(span, c(2)),
                                               l.div(l.mul(x, span), l.sub(width, c(1)))),
                     l.mul(roiStart[d], c(in - 1)));
      t.outside = b.create<arith::OrIOp>(l.loc, cmp(arith::CmpFPredicate::OLT, source, c(0)),
                                         cmp(arith::CmpFPredicate::OGT, source, c(in - 1)));
    }
    Value floor = b.create<math::FloorOp>(l.loc, source);
    Value r = l.sub(source, floor);
    Value base = b.create<arith::FPToSIOp>(l.loc, i64, floor);
    auto tap = [&](Value offset) {
      return b.create<arith::AddIOp>(l.loc, base, offset).getResult();
    };
    auto offset = [&](int64_t k) { return l.constant(i64, k); };
    if (mode == "nearest") {
      Value up = nearest == "round_prefer_floor" ? cmp(arith::CmpFPredicate::OGT, r, half)
                 : nearest == "round_prefer_ceil" ? cmp(arith::CmpFPredicate::OGE, r, half)
                 : nearest == "ceil"              ? cmp(arith::CmpFPredicate::OGT, r, c(0))
                                                  : b.create<arith::ConstantIntOp>(l.loc, 0, 1);
      t.indices.push_back(tap(b.create<arith::ExtUIOp>(l.loc, i64, up)));
      t.weights.push_back(c(1));
    } else if (mode == "linear") {
      t.indices = {tap(offset(0)), tap(offset(1))};
      t.weights = {l.sub(c(1), r), r};
    } else {
      t.indices = {tap(offset(-1)), tap(offset(0)), tap(offset(1)), tap(offset(2))};
      t.weights = cubicWeights(l, r, a);
    }
    if (exclude) {
      Value sum = c(0);
      for (auto [i, w] : llvm::enumerate(t.weights)) {
        Value inside = b.create<arith::AndIOp>(
            l.loc,
            b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::sge, t.indices[i],
                                    offset(0)),
            b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, t.indices[i],
                                    offset(in)));
        w = b.create<arith::SelectOp>(l.loc, inside, w, c(0));
        sum = l.add(sum, w);
      }
      for (Value &w : t.weights)
        w = l.div(w, sum);
    }
    for (Value &index : t.indices)
      index = l.clampIndex(b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), index), in);
    return t;
  };

  Type et = type.getElementType();
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    SmallVector<ResizeTaps> perDim;
    Value outside = b.create<arith::ConstantIntOp>(l.loc, 0, 1);
    for (int64_t d = 0; d < rank; ++d) {
      if (resized[d]) {
        perDim.push_back(taps(d));
        if (perDim.back().outside)
          outside = b.create<arith::OrIOp>(l.loc, outside, perDim.back().outside);
      } else {
        perDim.push_back({{b.create<linalg::IndexOp>(l.loc, d)}, {c(1)}, nullptr});
      }
    }
    if (mode == "nearest" && !crop) {
      SmallVector<Value> coords;
      for (ResizeTaps &t : perDim)
        coords.push_back(t.indices[0]);
      return b.create<tensor::ExtractOp>(l.loc, op.getX(), coords);
    }
    // Sum over every combination of taps (an odometer over the dims).
    Value sum = c(0);
    SmallVector<size_t> which(rank, 0);
    while (true) {
      SmallVector<Value> coords;
      Value weight = c(1);
      for (int64_t d = 0; d < rank; ++d) {
        coords.push_back(perDim[d].indices[which[d]]);
        if (perDim[d].indices.size() > 1)
          weight = l.mul(weight, perDim[d].weights[which[d]]);
      }
      Value v = l.convert(b.create<tensor::ExtractOp>(l.loc, op.getX(), coords), f64);
      sum = l.add(sum, l.mul(weight, v));
      int64_t d = rank - 1;
      while (d >= 0 && ++which[d] == perDim[d].indices.size())
        which[d--] = 0;
      if (d < 0)
        break;
    }
    Value result = l.convert(sum, et);
    if (crop)
      result = b.create<arith::SelectOp>(
          l.loc, outside, l.constant(et, op.getExtrapolationValue().convertToDouble()), result);
    return result;
  });
}

/// GridSample as PyTorch's grid_sample, which defines it: each output point
/// unnormalizes its grid (x, y) to input coordinates, applies the padding
/// mode to the coordinate (border clamps, reflection mirrors; bicubic applies
/// it to each tap instead), and interpolates; taps outside the input read 0.
FailureOr<Value> lowerGridSample(GridSampleOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  OpBuilder &b = l.b;
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  bool align = op.getAlignCorners() != 0;
  StringRef mode = op.getMode(), padding = op.getPaddingMode();
  auto c = [&](double v) { return l.constant(f64, v); };
  auto cmp = [&](arith::CmpFPredicate p, Value x, Value y) -> Value {
    return b.create<arith::CmpFOp>(l.loc, p, x, y);
  };
  auto clamp = [&](Value x, double lo, double hi) { return l.min(l.max(x, c(lo)), c(hi)); };
  // Mirrors x into [low, high] (PyTorch's reflect_coordinates).
  auto reflect = [&](Value x, double low, double high) -> Value {
    if (low == high)
      return c(0);
    double span = high - low;
    Value in = b.create<math::AbsFOp>(l.loc, l.sub(x, c(low)));
    Value flips = b.create<math::FloorOp>(l.loc, l.div(in, c(span)));
    Value extra = b.create<arith::RemFOp>(l.loc, in, c(span));
    Value even = cmp(arith::CmpFPredicate::OEQ, b.create<arith::RemFOp>(l.loc, flips, c(2)), c(0));
    return b.create<arith::SelectOp>(l.loc, even, l.add(extra, c(low)),
                                     l.sub(c(span + low), extra));
  };
  auto pad = [&](Value x, int64_t size) -> Value {
    if (padding == "border")
      return clamp(x, 0, size - 1);
    if (padding == "reflection")
      return clamp(align ? reflect(x, 0, size - 1) : reflect(x, -0.5, size - 0.5), 0, size - 1);
    return x;
  };
  // Per axis (y over H, then x over W): tap indices, weights and validity.
  struct Axis {
    SmallVector<Value> indices, weights, valid;
  };
  auto axis = [&](Value g, int64_t size) {
    Axis t;
    Value x = align ? l.mul(l.div(l.add(g, c(1)), c(2)), c(size - 1))
                    : l.div(l.sub(l.mul(l.add(g, c(1)), c(size)), c(1)), c(2));
    auto addTap = [&](Value position, Value weight) {
      Value index = b.create<arith::FPToSIOp>(l.loc, i64, position);
      t.indices.push_back(index);
      t.weights.push_back(weight);
      t.valid.push_back(b.create<arith::AndIOp>(
          l.loc, cmp(arith::CmpFPredicate::OGE, position, c(0)),
          cmp(arith::CmpFPredicate::OLE, position, c(size - 1))));
    };
    if (mode == "bicubic") {
      Value floor = b.create<math::FloorOp>(l.loc, x);
      SmallVector<Value> weights = cubicWeights(l, l.sub(x, floor), -0.75);
      for (int64_t k = 0; k < 4; ++k)
        addTap(pad(l.add(floor, c(k - 1)), size), weights[k]);
      return t;
    }
    x = pad(x, size);
    if (mode == "nearest") {
      addTap(b.create<math::RoundEvenOp>(l.loc, x), c(1));
      return t;
    }
    Value floor = b.create<math::FloorOp>(l.loc, x);
    Value r = l.sub(x, floor);
    addTap(floor, l.sub(c(1), r));
    addTap(l.add(floor, c(1)), r);
    return t;
  };
  int64_t height = xType.getDimSize(2), width = xType.getDimSize(3);
  Type et = type.getElementType();
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    Value n = b.create<linalg::IndexOp>(l.loc, 0), ch = b.create<linalg::IndexOp>(l.loc, 1);
    Value ho = b.create<linalg::IndexOp>(l.loc, 2), wo = b.create<linalg::IndexOp>(l.loc, 3);
    auto gridAt = [&](int64_t k) {
      return l.convert(b.create<tensor::ExtractOp>(
                           l.loc, op.getGrid(),
                           ValueRange{n, ho, wo, b.create<arith::ConstantIndexOp>(l.loc, k)}),
                       f64);
    };
    Axis xs = axis(gridAt(0), width), ys = axis(gridAt(1), height);
    Value sum = c(0);
    for (size_t i = 0; i < ys.indices.size(); ++i)
      for (size_t j = 0; j < xs.indices.size(); ++j) {
        Value valid = b.create<arith::AndIOp>(l.loc, ys.valid[i], xs.valid[j]);
        auto at = [&](Value index, int64_t size) {
          return l.clampIndex(b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), index), size);
        };
        Value v = l.convert(b.create<tensor::ExtractOp>(
                                l.loc, op.getX(),
                                ValueRange{n, ch, at(ys.indices[i], height),
                                           at(xs.indices[j], width)}),
                            f64);
        v = b.create<arith::SelectOp>(l.loc, valid, v, c(0));
        sum = l.add(sum, l.mul(l.mul(ys.weights[i], xs.weights[j]), v));
      }
    return l.convert(sum, et);
  });
}

/// DFT as a direct sum: output k along the axis is the sum over the n input
/// samples of x[n] e^(-+2 pi i k n / N) (f64 accumulation; the inverse
/// divides by N). A dft_length beyond the input zero-pads, below it truncates.
FailureOr<Value> lowerDFT(DFTOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getInput().getType());
  OpBuilder &b = l.b;
  int64_t rank = type.getRank(), axis = *normalizeAxis(op.getAxis(), rank - 1);
  int64_t length = xType.getDimSize(axis);
  if (!isa<NoneType>(op.getDftLength().getType())) {
    auto given = getConstantIntValues(op.getDftLength());
    if (!given)
      return unsupported(op, "dft_length computed at run time");
    length = (*given)[0];
  }
  int64_t samples = std::min(length, xType.getDimSize(axis));
  bool complexInput = xType.getDimSize(rank - 1) == 2, inverse = op.getInverse() != 0;
  Type f64 = b.getF64Type(), et = type.getElementType();
  double sign = inverse ? 1.0 : -1.0;
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    SmallVector<Value> coords;
    for (int64_t d = 0; d < rank; ++d)
      coords.push_back(b.create<linalg::IndexOp>(l.loc, d));
    Value k = l.loopIndexI64(axis);
    Value imaginaryPart = b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::eq, coords.back(),
                                                  b.create<arith::ConstantIndexOp>(l.loc, 1));
    auto loop = b.create<scf::ForOp>(l.loc, b.create<arith::ConstantIndexOp>(l.loc, 0),
                                     b.create<arith::ConstantIndexOp>(l.loc, samples),
                                     b.create<arith::ConstantIndexOp>(l.loc, 1),
                                     ValueRange{l.constant(f64, 0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value n = loop.getInductionVar();
      SmallVector<Value> at = coords;
      at[axis] = n;
      at.back() = b.create<arith::ConstantIndexOp>(l.loc, 0);
      Value re = l.convert(b.create<tensor::ExtractOp>(l.loc, op.getInput(), at), f64);
      Value im = l.constant(f64, 0);
      if (complexInput) {
        at.back() = b.create<arith::ConstantIndexOp>(l.loc, 1);
        im = l.convert(b.create<tensor::ExtractOp>(l.loc, op.getInput(), at), f64);
      }
      // k * n mod N keeps the angle small, so cos and sin stay accurate.
      Value kn = b.create<arith::RemUIOp>(
          l.loc,
          b.create<arith::MulIOp>(l.loc, b.create<arith::IndexCastOp>(l.loc, b.getI64Type(), n), k),
          l.constant(b.getI64Type(), length));
      Value theta = l.mul(b.create<arith::SIToFPOp>(l.loc, f64, kn),
                          l.constant(f64, sign * 2 * M_PI / length));
      Value cos = b.create<math::CosOp>(l.loc, theta), sin = b.create<math::SinOp>(l.loc, theta);
      // (re + i im)(cos + i sin)
      Value real = l.sub(l.mul(re, cos), l.mul(im, sin));
      Value imag = l.add(l.mul(re, sin), l.mul(im, cos));
      Value term = b.create<arith::SelectOp>(l.loc, imaginaryPart, imag, real);
      b.create<scf::YieldOp>(l.loc, l.add(loop.getRegionIterArgs()[0], term));
    }
    Value sum = loop.getResult(0);
    if (inverse)
      sum = l.div(sum, l.constant(f64, length));
    return l.convert(sum, et);
  });
}

/// One optimizer step, elementwise per updated tensor, as the ONNX
/// operator documentation writes it (R and T are scalars).
FailureOr<SmallVector<Value>> lowerOptimizer(Operation *op, Lowering &l, int64_t groups) {
  ValueRange tensors = op->getOperands().drop_front(2);
  int64_t n = tensors.size() / groups;
  Value rate = l.scalar(op->getOperand(0));
  Value step = l.scalar(op->getOperand(1));
  auto attr = [&](StringRef name) {
    return op->getAttrOfType<FloatAttr>(name).getValueAsDouble();
  };
  SmallVector<Value> results(op->getNumResults());
  for (int64_t i = 0; i < n; ++i) {
    auto type = cast<RankedTensorType>(tensors[i].getType());
    Type et = type.getElementType();
    auto c = [&](double v) { return l.constant(et, v); };
    Value r = l.convert(rate, et);
    Value t = l.b.create<arith::SIToFPOp>(l.loc, et, step);
    Value positive = l.b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::sgt, step,
                                               l.constant(step.getType(), 0));
    SmallVector<Value> inputs;
    for (int64_t g = 0; g < groups; ++g)
      inputs.push_back(tensors[g * n + i]);
    // One generic per result (each recomputes the shared terms; they fuse).
    auto result = [&](function_ref<Value(ValueRange)> fn) {
      return l.elementwise(type, inputs, fn);
    };
    auto regularized = [&](ValueRange a) {
      return l.add(l.mul(c(attr("norm_coefficient")), a[0]), a[1]);
    };
    auto sqrt = [&](Value v) { return l.b.create<math::SqrtOp>(l.loc, v).getResult(); };
    if (isa<AdagradOp>(op)) {
      auto hNew = [&](ValueRange a) {
        Value g = regularized(a);
        return l.add(a[2], l.mul(g, g));
      };
      results[i] = result([&](ValueRange a) {
        Value rAdjusted = l.div(r, l.add(c(1), l.mul(t, c(attr("decay_factor")))));
        Value scaled = l.add(sqrt(hNew(a)), c(attr("epsilon")));
        return l.sub(a[0], l.div(l.mul(rAdjusted, regularized(a)), scaled));
      });
      results[n + i] = result(hNew);
    } else if (auto momentum = dyn_cast<MomentumOp>(op)) {
      auto vNew = [&](ValueRange a) {
        Value beta = l.b.create<arith::SelectOp>(l.loc, positive, c(attr("beta")), c(1));
        return l.add(l.mul(c(attr("alpha")), a[2]), l.mul(beta, regularized(a)));
      };
      bool nesterov = momentum.getMode() == "nesterov";
      results[i] = result([&](ValueRange a) {
        Value v = vNew(a);
        Value direction = nesterov ? l.add(regularized(a), l.mul(c(attr("alpha")), v)) : v;
        return l.sub(a[0], l.mul(r, direction));
      });
      results[n + i] = result(vNew);
    } else { // Adam
      double alpha = attr("alpha"), beta = attr("beta");
      auto vNew = [&](ValueRange a) {
        return l.add(l.mul(c(alpha), a[2]), l.mul(c(1 - alpha), regularized(a)));
      };
      auto hNew = [&](ValueRange a) {
        Value g = regularized(a);
        return l.add(l.mul(c(beta), a[3]), l.mul(c(1 - beta), l.mul(g, g)));
      };
      // The bias correction in f64: 1 - beta^T is tiny for early steps.
      Type f64 = l.b.getF64Type();
      auto pow = [&](double base) {
        return l.b.create<math::PowFOp>(l.loc, l.constant(f64, base),
                                        l.b.create<arith::SIToFPOp>(l.loc, f64, step))
            .getResult();
      };
      auto one = l.constant(f64, 1);
      Value corrected = l.convert(
          l.div(l.mul(l.convert(rate, f64), sqrt(l.sub(one, pow(beta)))), l.sub(one, pow(alpha))),
          et);
      Value rAdjusted = l.b.create<arith::SelectOp>(l.loc, positive, corrected, r);
      results[i] = result([&](ValueRange a) {
        Value xNew =
            l.sub(a[0], l.mul(rAdjusted, l.div(vNew(a), l.add(sqrt(hNew(a)), c(attr("epsilon"))))));
        return l.mul(c(1 - attr("norm_coefficient_post")), xNew);
      });
      results[n + i] = result(vNew);
      results[2 * n + i] = result(hNew);
    }
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Data-dependent selections: the result type fixes how many elements are
// selected; loops over the input write them in order (positions past that
// count are clamped, so a condition selecting more stays in bounds).
//===----------------------------------------------------------------------===//

/// Writes `value` at `position` of a 1-D tensor when `hit` (else keeps it).
Value insertIf(Lowering &l, Value hit, Value value, Value tensor, ValueRange position) {
  Value old = l.b.create<tensor::ExtractOp>(l.loc, tensor, position);
  return l.b.create<tensor::InsertOp>(l.loc, l.b.create<arith::SelectOp>(l.loc, hit, value, old),
                                      tensor, position);
}

/// The first `count` positions i (i64) of a 1-D condition with condition[i] true.
Value selectedPositions(Lowering &l, Value condition, int64_t length, int64_t count) {
  OpBuilder &b = l.b;
  Type i64 = b.getI64Type();
  Value init = l.filled(RankedTensorType::get({count}, i64), l.constant(i64, 0));
  return l.loopNest({length}, ValueRange{init, l.constant(i64, 0)},
                    [&](ValueRange ivs, ValueRange acc) -> SmallVector<Value> {
                      Value hit = b.create<tensor::ExtractOp>(l.loc, condition, ivs);
                      Value slot = l.clampIndex(
                          b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), acc[1]), count);
                      Value positions = insertIf(
                          l, hit, b.create<arith::IndexCastOp>(l.loc, i64, ivs[0]), acc[0], slot);
                      Value next = l.add(acc[1], b.create<arith::ExtUIOp>(l.loc, i64, hit));
                      return {positions, next};
                    })[0];
}

/// Gaussian elimination with partial pivoting per matrix, in f64 loops: the
/// determinant is the signed product of the pivots.
FailureOr<Value> lowerDet(DetOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  OpBuilder &b = l.b;
  int64_t m = xType.getDimSize(xType.getRank() - 1);
  Type f64 = b.getF64Type(), et = type.getElementType();
  auto matrixType = RankedTensorType::get({m, m}, f64);
  auto c = [&](double v) { return l.constant(f64, v); };
  auto at = [&](Value t, Value i, Value j) {
    return b.create<tensor::ExtractOp>(l.loc, t, ValueRange{i, j}).getResult();
  };
  auto put = [&](Value v, Value t, Value i, Value j) {
    return b.create<tensor::InsertOp>(l.loc, v, t, ValueRange{i, j}).getResult();
  };
  Value init = l.filled(RankedTensorType::get(type.getShape(), et), l.constant(et, 0));
  SmallVector<int64_t> batch(type.getShape());
  return l.loopNest(batch, init, [&](ValueRange outer, Value out) -> Value {
    // The matrix of this batch entry, in f64.
    Value a = l.loopNest({m, m}, b.create<tensor::EmptyOp>(l.loc, matrixType.getShape(), f64),
                         [&](ValueRange ij, Value acc) -> Value {
                           SmallVector<Value> coords(outer);
                           coords.append(ij.begin(), ij.end());
                           return put(
                               l.convert(b.create<tensor::ExtractOp>(l.loc, op.getX(), coords),
                                         f64),
                               acc, ij[0], ij[1]);
                         });
    SmallVector<Value> result = l.loopNest(
        {m}, ValueRange{a, c(1)}, [&](ValueRange ks, ValueRange state) -> SmallVector<Value> {
          Value k = ks[0], matrix = state[0], det = state[1];
          // The pivot row: the largest |a[i][k]| for i >= k.
          Value pivotRow =
              l.loopNest({m}, ValueRange{k, c(-1)},
                         [&](ValueRange is, ValueRange best) -> SmallVector<Value> {
                           Value i = is[0];
                           Value magnitude = b.create<math::AbsFOp>(l.loc, at(matrix, i, k));
                           Value better = b.create<arith::AndIOp>(
                               l.loc,
                               b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::sge, i, k),
                               b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OGT,
                                                       magnitude, best[1]));
                           return {b.create<arith::SelectOp>(l.loc, better, i, best[0]),
                                   b.create<arith::SelectOp>(l.loc, better, magnitude, best[1])};
                         })[0];
          matrix = l.loopNest({m}, matrix, [&](ValueRange js, Value t) -> Value {
            Value top = at(t, k, js[0]), other = at(t, pivotRow, js[0]);
            return put(top, put(other, t, k, js[0]), pivotRow, js[0]);
          });
          Value swapped = b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::ne, pivotRow, k);
          Value pivot = at(matrix, k, k);
          det = l.mul(b.create<arith::SelectOp>(l.loc, swapped, l.sub(c(0), det), det), pivot);
          Value singular = b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::OEQ, pivot, c(0));
          // Rows below k lose factor * row k (the factor read before the row changes).
          matrix = l.loopNest({m}, matrix, [&](ValueRange is, Value t) -> Value {
            Value i = is[0];
            Value below = b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::sgt, i, k);
            Value eliminate = b.create<arith::AndIOp>(
                l.loc, below, b.create<arith::XOrIOp>(l.loc, singular,
                                                      b.create<arith::ConstantIntOp>(l.loc, 1, 1)));
            Value factor = b.create<arith::SelectOp>(
                l.loc, eliminate,
                l.div(at(t, i, k), b.create<arith::SelectOp>(l.loc, singular, c(1), pivot)), c(0));
            return l.loopNest({m}, t, [&](ValueRange js, Value row) -> Value {
              return put(l.sub(at(row, i, js[0]), l.mul(factor, at(row, k, js[0]))), row, i,
                         js[0]);
            });
          });
          return {matrix, det};
        });
    return b.create<tensor::InsertOp>(l.loc, l.convert(result[1], et), out, outer);
  });
}

FailureOr<Value> lowerCompress(CompressOp op, Lowering &l) {
  auto type = resultType(op);
  Value input = op.getInput();
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t axis = 0;
  if (auto a = op.getAxis())
    axis = *normalizeAxis(*a, inType.getRank());
  else
    input = l.reshape(input, RankedTensorType::get({inType.getNumElements()},
                                                   inType.getElementType()));
  int64_t length = std::min(cast<RankedTensorType>(op.getCondition().getType()).getDimSize(0),
                            cast<RankedTensorType>(input.getType()).getDimSize(axis));
  int64_t count = type.getDimSize(op.getAxis() ? axis : 0);
  if (count == 0)
    return l.empty(type);
  Value positions = selectedPositions(l, op.getCondition(), length, count);
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    SmallVector<Value> coords;
    for (int64_t d = 0; d < type.getRank(); ++d)
      coords.push_back(l.b.create<linalg::IndexOp>(l.loc, d));
    coords[axis] = l.b.create<arith::IndexCastOp>(
        l.loc, l.b.getIndexType(), l.b.create<tensor::ExtractOp>(l.loc, positions, coords[axis]));
    return l.b.create<tensor::ExtractOp>(l.loc, input, coords);
  });
}

FailureOr<Value> lowerNonZero(NonZeroOp op, Lowering &l) {
  auto type = resultType(op);
  OpBuilder &b = l.b;
  auto xType = cast<RankedTensorType>(op.getX().getType());
  Type i64 = b.getI64Type(), et = xType.getElementType();
  int64_t count = type.getDimSize(1);
  if (count == 0)
    return l.empty(type);
  Value zero = l.constant(et, 0);
  return l.loopNest(xType.getShape(), ValueRange{l.filled(type, l.constant(i64, 0)),
                                                 l.constant(i64, 0)},
                    [&](ValueRange ivs, ValueRange acc) -> SmallVector<Value> {
                      Value x = b.create<tensor::ExtractOp>(l.loc, op.getX(), ivs);
                      Value hit =
                          isa<FloatType>(et)
                              ? b.create<arith::CmpFOp>(l.loc, arith::CmpFPredicate::UNE, x, zero)
                                    .getResult()
                              : b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::ne, x, zero)
                                    .getResult();
                      Value slot = l.clampIndex(
                          b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), acc[1]), count);
                      Value out = acc[0];
                      for (auto [d, iv] : llvm::enumerate(ivs))
                        out = insertIf(l, hit, b.create<arith::IndexCastOp>(l.loc, i64, iv), out,
                                       {b.create<arith::ConstantIndexOp>(l.loc, d), slot});
                      return {out, l.add(acc[1], b.create<arith::ExtUIOp>(l.loc, i64, hit))};
                    })[0];
}

/// Greedy NonMaxSuppression per batch and class, as loops: repeatedly take
/// the best remaining box above the score threshold (ties: lower index),
/// keep it unless it overlaps a kept box by IoU > iou_threshold, until
/// max_output_boxes_per_class are kept. Quadratic in the boxes per class.
FailureOr<Value> lowerNonMaxSuppression(NonMaxSuppressionOp op, Lowering &l) {
  auto type = resultType(op);
  auto boxesType = cast<RankedTensorType>(op.getBoxes().getType());
  auto scoresType = cast<RankedTensorType>(op.getScores().getType());
  OpBuilder &b = l.b;
  int64_t batches = boxesType.getDimSize(0), count = boxesType.getDimSize(1);
  int64_t classes = scoresType.getDimSize(1), rows = type.getDimSize(0);
  Type ft = boxesType.getElementType(), i64 = b.getI64Type(), i1 = b.getI1Type();
  if (rows == 0)
    return l.empty(type);
  auto present = [](Value v) { return !isa<NoneType>(v.getType()); };
  Value maxOut = present(op.getMaxOutputBoxesPerClass())
                     ? l.scalar(op.getMaxOutputBoxesPerClass())
                     : l.constant(i64, 0);
  Value iouLimit = present(op.getIouThreshold()) ? l.convert(l.scalar(op.getIouThreshold()), ft)
                                                 : l.constant(ft, 0);
  Value scoreLimit = present(op.getScoreThreshold())
                         ? l.convert(l.scalar(op.getScoreThreshold()), ft)
                         : l.lowest(ft);
  auto c = [&](int64_t v) { return l.index(v); };
  auto f = [&](double v) { return l.constant(ft, v); };
  auto cmpf = [&](arith::CmpFPredicate p, Value x, Value y) -> Value {
    return b.create<arith::CmpFOp>(l.loc, p, x, y);
  };
  auto select = [&](Value cond, Value x, Value y) -> Value {
    return b.create<arith::SelectOp>(l.loc, cond, x, y);
  };
  auto andI = [&](Value x, Value y) -> Value { return b.create<arith::AndIOp>(l.loc, x, y); };
  auto notI = [&](Value x) -> Value {
    return b.create<arith::XOrIOp>(l.loc, x, b.create<arith::ConstantIntOp>(l.loc, 1, 1));
  };
  // (ymin, xmin, ymax, xmax) of box i of batch n.
  auto corners = [&](Value n, Value i) {
    SmallVector<Value> v;
    for (int64_t k = 0; k < 4; ++k)
      v.push_back(b.create<tensor::ExtractOp>(l.loc, op.getBoxes(), ValueRange{n, i, c(k)}));
    if (op.getCenterPointBox()) { // [x_center, y_center, width, height]
      Value halfW = l.mul(v[2], f(0.5)), halfH = l.mul(v[3], f(0.5));
      return SmallVector<Value>{l.sub(v[1], halfH), l.sub(v[0], halfW), l.add(v[1], halfH),
                                l.add(v[0], halfW)};
    }
    return SmallVector<Value>{l.min(v[0], v[2]), l.min(v[1], v[3]), l.max(v[0], v[2]),
                              l.max(v[1], v[3])};
  };
  auto iou = [&](ArrayRef<Value> p, ArrayRef<Value> q) {
    Value h = l.max(f(0), l.sub(l.min(p[2], q[2]), l.max(p[0], q[0])));
    Value w = l.max(f(0), l.sub(l.min(p[3], q[3]), l.max(p[1], q[1])));
    Value inter = l.mul(h, w);
    Value areaP = l.mul(l.sub(p[2], p[0]), l.sub(p[3], p[1]));
    Value areaQ = l.mul(l.sub(q[2], q[0]), l.sub(q[3], q[1]));
    Value uni = l.sub(l.add(areaP, areaQ), inter);
    Value positive = cmpf(arith::CmpFPredicate::OGT, uni, f(0));
    return select(positive, l.div(inter, select(positive, uni, f(1))), f(0));
  };
  auto flagsType = RankedTensorType::get({count}, i1);
  Value init = l.filled(type, l.constant(i64, 0));
  return l.loopNest(
      {batches, classes}, ValueRange{init, l.constant(i64, 0)},
      [&](ValueRange bc, ValueRange outer) -> SmallVector<Value> {
        Value n = bc[0], cls = bc[1];
        Value none = l.filled(flagsType, l.constant(i1, 0));
        SmallVector<Value> state = l.loopNest(
            {count}, ValueRange{outer[0], outer[1], none, none, l.constant(i64, 0)},
            [&](ValueRange, ValueRange s) -> SmallVector<Value> {
              Value processed = s[2], kept = s[3];
              // The best unprocessed candidate (strictly better, so ties keep the lower index).
              SmallVector<Value> best = l.loopNest(
                  {count}, ValueRange{c(0), scoreLimit, l.constant(i1, 0)},
                  [&](ValueRange js, ValueRange acc) -> SmallVector<Value> {
                    Value j = js[0];
                    Value score = b.create<tensor::ExtractOp>(l.loc, op.getScores(),
                                                              ValueRange{n, cls, j});
                    Value open = notI(b.create<tensor::ExtractOp>(l.loc, processed, j));
                    Value better = andI(open, cmpf(arith::CmpFPredicate::OGT, score, acc[1]));
                    return {select(better, j, acc[0]), select(better, score, acc[1]),
                            b.create<arith::OrIOp>(l.loc, acc[2], better)};
                  });
              Value pick = best[0], found = best[2];
              processed = insertIf(l, found, l.constant(i1, 1), processed, pick);
              SmallVector<Value> candidate = corners(n, pick);
              Value suppressed = l.loopNest(
                  {count}, ValueRange{l.constant(i1, 0)},
                  [&](ValueRange ks, ValueRange acc) -> SmallVector<Value> {
                    Value isKept = b.create<tensor::ExtractOp>(l.loc, kept, ks[0]);
                    Value overlaps = cmpf(arith::CmpFPredicate::OGT,
                                          iou(candidate, corners(n, ks[0])), iouLimit);
                    return {b.create<arith::OrIOp>(l.loc, acc[0], andI(isKept, overlaps))};
                  })[0];
              Value take = andI(andI(found, notI(suppressed)),
                                b.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, s[4],
                                                        maxOut));
              kept = insertIf(l, take, l.constant(i1, 1), kept, pick);
              Value slot = l.clampIndex(b.create<arith::IndexCastOp>(l.loc, b.getIndexType(), s[1]),
                                        rows);
              Value out = s[0];
              Value fields[] = {b.create<arith::IndexCastOp>(l.loc, i64, n),
                                b.create<arith::IndexCastOp>(l.loc, i64, cls),
                                b.create<arith::IndexCastOp>(l.loc, i64, pick)};
              for (int64_t k = 0; k < 3; ++k)
                out = insertIf(l, take, fields[k], out, {slot, c(k)});
              Value one = b.create<arith::ExtUIOp>(l.loc, i64, take);
              return {out, l.add(s[1], one), processed, kept, l.add(s[4], one)};
            });
        return {state[0], state[1]};
      })[0];
}

/// Indices are flat positions in the default unpooled shape ((in - 1) *
/// stride + kernel - pads); a larger output_shape keeps each value at the same
/// coordinates (the extra rows and columns stay zero).
FailureOr<Value> lowerMaxUnpool(MaxUnpoolOp op, Lowering &l) {
  auto type = resultType(op);
  auto xType = cast<RankedTensorType>(op.getX().getType());
  OpBuilder &b = l.b;
  int64_t rank = xType.getRank();
  SmallVector<int64_t> natural =
      unpooledShape(xType.getShape(), op.getKernelShape(), op.getStrides(), op.getPads());
  Type et = type.getElementType(), i64 = b.getI64Type();
  return l.loopNest(xType.getShape(), l.filled(type, l.constant(et, 0)),
                    [&](ValueRange ivs, Value acc) -> Value {
                      Value flat = b.create<tensor::ExtractOp>(l.loc, op.getI(), ivs);
                      SmallVector<Value> coords(rank);
                      for (int64_t d = rank - 1; d >= 0; --d) {
                        Value size = l.constant(i64, natural[d]);
                        coords[d] = l.clampIndex(
                            b.create<arith::IndexCastOp>(
                                l.loc, b.getIndexType(),
                                b.create<arith::RemSIOp>(l.loc, flat, size)),
                            type.getDimSize(d));
                        flat = b.create<arith::DivSIOp>(l.loc, flat, size);
                      }
                      return b.create<tensor::InsertOp>(
                          l.loc, b.create<tensor::ExtractOp>(l.loc, op.getX(), ivs), acc, coords);
                    });
}

//===----------------------------------------------------------------------===//
// Einsum and generators
//===----------------------------------------------------------------------===//

/// One linalg.generic over the equation's loops: the product of the inputs
/// summed over the loops absent from the output.
FailureOr<Value> lowerEinsum(EinsumOp op, Lowering &l) {
  auto type = resultType(op);
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value v : op.getInputs())
    shapes.emplace_back(cast<RankedTensorType>(v.getType()).getShape());
  std::string error;
  auto spec = parseEinsum(op.getEquation(), shapes, error);
  if (!spec)
    return unsupported(op, error);
  OpBuilder &b = l.b;
  int64_t loops = spec->loopSizes.size();
  SmallVector<AffineMap> maps;
  for (auto [shape, dims] : llvm::zip(shapes, spec->inputs)) {
    SmallVector<AffineExpr> exprs;
    for (auto [size, loop] : llvm::zip(shape, dims))
      exprs.push_back(size == 1 && spec->loopSizes[loop] != 1 ? b.getAffineConstantExpr(0)
                                                              : b.getAffineDimExpr(loop));
    maps.push_back(AffineMap::get(loops, 0, exprs, b.getContext()));
  }
  SmallVector<AffineExpr> out;
  for (int64_t loop : spec->output)
    out.push_back(b.getAffineDimExpr(loop));
  maps.push_back(AffineMap::get(loops, 0, out, b.getContext()));
  SmallVector<utils::IteratorType> iters;
  for (int64_t loop = 0; loop < loops; ++loop)
    iters.push_back(llvm::is_contained(spec->output, loop) ? utils::IteratorType::parallel
                                                           : utils::IteratorType::reduction);
  Type et = type.getElementType();
  return b
      .create<linalg::GenericOp>(l.loc, type, op.getInputs(), l.filled(type, l.constant(et, 0)),
                                 maps, iters,
                                 [&](OpBuilder &nb, Location, ValueRange a) {
                                   Value product = a[0];
                                   for (Value v : a.drop_front().drop_back())
                                     product = l.mul(product, v);
                                   nb.create<linalg::YieldOp>(l.loc, l.add(a.back(), product));
                                 })
      .getResult(0);
}

/// values[1] where the (wrapped) index equals the position along axis,
/// values[0] elsewhere; the depth is the result's axis dim.
FailureOr<Value> lowerOneHot(OneHotOp op, Lowering &l) {
  auto type = resultType(op);
  int64_t rank = type.getRank(), axis = *normalizeAxis(op.getAxis(), rank);
  int64_t depth = type.getDimSize(axis);
  OpBuilder &b = l.b;
  Value off = l.element(op.getValues(), 0), on = l.element(op.getValues(), 1);
  SmallVector<AffineExpr> in;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      in.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, in, b.getContext()),
                                 b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  bool indexUnsigned = l.unsignedOperands[0];
  return b
      .create<linalg::GenericOp>(
          l.loc, type, op.getIndices(), l.empty(type), maps, iters,
          [&](OpBuilder &nb, Location, ValueRange a) {
            Value index = a[0];
            Type i64 = nb.getI64Type();
            if (isa<FloatType>(index.getType()))
              index = nb.create<arith::FPToSIOp>(l.loc, i64, index);
            else if (index.getType() != i64)
              index = indexUnsigned ? nb.create<arith::ExtUIOp>(l.loc, i64, index).getResult()
                                    : nb.create<arith::ExtSIOp>(l.loc, i64, index).getResult();
            Value negative = nb.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::slt, index,
                                                      l.constant(i64, 0));
            index = nb.create<arith::SelectOp>(l.loc, negative,
                                               l.add(index, l.constant(i64, depth)), index);
            Value hit = nb.create<arith::CmpIOp>(l.loc, arith::CmpIPredicate::eq, index,
                                                 l.loopIndexI64(axis));
            nb.create<linalg::YieldOp>(l.loc,
                                       nb.create<arith::SelectOp>(l.loc, hit, on, off).getResult());
          })
      .getResult(0);
}

/// a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), evaluated in f64.
FailureOr<Value> lowerWindow(Operation *op, Lowering &l, double a0, double a1, double a2) {
  auto type = resultType(op);
  int64_t size = type.getDimSize(0);
  bool periodic = op->getAttrOfType<IntegerAttr>("periodic").getInt() != 0;
  double n = periodic ? size : size - 1;
  Type f64 = l.b.getF64Type();
  return l.elementwise(type, {}, [&](ValueRange) -> Value {
    Value angle = l.mul(l.b.create<arith::SIToFPOp>(l.loc, f64, l.loopIndexI64(0)),
                        l.constant(f64, 2 * M_PI / n));
    Value w = l.sub(l.constant(f64, a0),
                    l.mul(l.constant(f64, a1), l.b.create<math::CosOp>(l.loc, angle)));
    if (a2 != 0)
      w = l.add(w, l.mul(l.constant(f64, a2),
                         l.b.create<math::CosOp>(l.loc, l.mul(angle, l.constant(f64, 2)))));
    return l.convert(w, type.getElementType());
  });
}

/// Lowers a single-result nn op; emits a diagnostic and fails when it cannot.
FailureOr<Value> lowerSingleResult(Operation *op, Lowering &l) {
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](ConstantOp o) { return lowerConstant(o, l); })
      .Case([&](AddOp o) { return lowerBinary(o, l, &Lowering::add); })
      .Case([&](SubOp o) { return lowerBinary(o, l, &Lowering::sub); })
      .Case([&](MulOp o) { return lowerBinary(o, l, &Lowering::mul); })
      .Case([&](DivOp o) { return lowerBinary(o, l, &Lowering::div); })
      .Case([&](ReluOp o) { return lowerRelu(o, l); })
      .Case([&](LeakyReluOp o) { return lowerLeakyRelu(o, l); })
      .Case([&](SigmoidOp o) { return lowerSigmoid(o, l); })
      .Case([&](TanhOp o) { return lowerTanh(o, l); })
      .Case([&](ClipOp o) { return lowerClip(o, l); })
      .Case([&](AbsOp o) { return lowerAbs(o, l); })
      .Case([&](NegOp o) { return lowerNeg(o, l); })
      .Case([&](SignOp o) { return lowerSign(o, l); })
      .Case([&](ReciprocalOp o) { return lowerReciprocal(o, l); })
      .Case([&](ExpOp o) { return lowerMath<math::ExpOp>(o, l); })
      .Case([&](LogOp o) { return lowerMath<math::LogOp>(o, l); })
      .Case([&](SqrtOp o) { return lowerMath<math::SqrtOp>(o, l); })
      .Case([&](FloorOp o) { return lowerMath<math::FloorOp>(o, l); })
      .Case([&](CeilOp o) { return lowerMath<math::CeilOp>(o, l); })
      .Case([&](RoundOp o) { return lowerMath<math::RoundEvenOp>(o, l); })
      .Case([&](SinOp o) { return lowerMath<math::SinOp>(o, l); })
      .Case([&](CosOp o) { return lowerMath<math::CosOp>(o, l); })
      .Case([&](TanOp o) { return lowerMath<math::TanOp>(o, l); })
      .Case([&](AsinOp o) { return lowerMath<math::AsinOp>(o, l); })
      .Case([&](AcosOp o) { return lowerMath<math::AcosOp>(o, l); })
      .Case([&](AtanOp o) { return lowerMath<math::AtanOp>(o, l); })
      .Case([&](SinhOp o) { return lowerMath<math::SinhOp>(o, l); })
      .Case([&](CoshOp o) { return lowerMath<math::CoshOp>(o, l); })
      .Case([&](AsinhOp o) { return lowerMath<math::AsinhOp>(o, l); })
      .Case([&](AcoshOp o) { return lowerMath<math::AcoshOp>(o, l); })
      .Case([&](AtanhOp o) { return lowerMath<math::AtanhOp>(o, l); })
      .Case([&](ErfOp o) { return lowerMath<math::ErfOp>(o, l); })
      .Case<EluOp, CeluOp, SeluOp, HardSigmoidOp, HardSwishOp, ThresholdedReluOp, ShrinkOp,
            SoftplusOp, SoftsignOp, MishOp, GeluOp>(
          [&](Operation *o) { return lowerActivation(o, l); })
      .Case<NotOp, AndOp, OrOp, XorOp>([&](Operation *o) { return lowerLogical(o, l); })
      .Case([&](EqualOp o) {
        return lowerComparison(o, l, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq);
      })
      .Case([&](LessOp o) {
        return lowerComparison(o, l, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt);
      })
      .Case([&](LessOrEqualOp o) {
        return lowerComparison(o, l, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle);
      })
      .Case([&](GreaterOp o) {
        return lowerComparison(o, l, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt);
      })
      .Case([&](GreaterOrEqualOp o) {
        return lowerComparison(o, l, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge);
      })
      .Case([&](PowOp o) { return lowerPow(o, l); })
      .Case([&](BitShiftOp o) { return lowerBitShift(o, l); })
      .Case([&](PReluOp o) { return lowerPRelu(o, l); })
      .Case([&](ModOp o) { return lowerMod(o, l); })
      .Case([&](MaxOp o) { return lowerVariadic(o, l, &Lowering::max, false); })
      .Case([&](MinOp o) { return lowerVariadic(o, l, &Lowering::min, false); })
      .Case([&](SumOp o) { return lowerVariadic(o, l, &Lowering::add, false); })
      .Case([&](MeanOp o) { return lowerVariadic(o, l, &Lowering::add, true); })
      .Case([&](WhereOp o) { return lowerWhere(o, l); })
      .Case([&](HardmaxOp o) { return lowerHardmax(o, l); })
      .Case([&](TriluOp o) { return lowerTrilu(o, l); })
      .Case([&](GatherOp o) { return lowerGather(o, l); })
      .Case([&](ExpandOp o) -> FailureOr<Value> {
        return l.elementwise(resultType(o), o.getInput(), [](ValueRange a) { return a[0]; });
      })
      .Case([&](TileOp o) { return lowerTile(o, l); })
      .Case([&](ConstantOfShapeOp o) { return lowerConstantOfShape(o, l); })
      .Case([&](DepthToSpaceOp o) { return lowerDepthToSpace(o, l); })
      .Case([&](SpaceToDepthOp o) { return lowerSpaceToDepth(o, l); })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, ReduceL1Op,
            ReduceL2Op, ReduceLogSumOp, ReduceLogSumExpOp, ReduceSumSquareOp>(
          [&](Operation *o) { return lowerReduce(o, l); })
      .Case([&](ArgMaxOp o) { return lowerArg(o, l, /*isMax=*/true); })
      .Case([&](ArgMinOp o) { return lowerArg(o, l, /*isMax=*/false); })
      .Case([&](SoftmaxOp o) { return lowerSoftmaxFamily(o, l, /*log=*/false); })
      .Case([&](ConvOp o) { return convOf(o, l, o.getX(), o.getW(), o.getB(), resultType(o)); })
      .Case([&](ConvTransposeOp o) { return lowerConvTranspose(o, l); })
      .Case([&](AveragePoolOp o) {
        return lowerWindowPool(o, l, PoolKind::Average, std::nullopt,
                               o.getCountIncludePad() != 0);
      })
      .Case([&](GlobalAveragePoolOp o) { return lowerGlobalAveragePool(o, l); })
      .Case([&](LpPoolOp o) { return lowerLpPool(o, l); })
      .Case([&](GlobalLpPoolOp o) { return lowerLpPool(o, l); })
      .Case([&](LpNormalizationOp o) { return lowerLpNormalization(o, l); })
      .Case([&](GlobalMaxPoolOp o) -> FailureOr<Value> {
        if (resultType(o).getElementType().isInteger(1))
          return unsupported(o, "bool input");
        auto rank = resultType(o).getRank();
        return l.maxKeepDims(o.getX(), llvm::to_vector(llvm::seq<int64_t>(2, rank)));
      })
      .Case([&](InstanceNormalizationOp o) { return lowerInstanceNorm(o, l); })
      .Case([&](LRNOp o) { return lowerLRN(o, l); })
      .Case([&](CumSumOp o) { return lowerCumSum(o, l); })
      .Case([&](EyeLikeOp o) { return lowerEyeLike(o, l); })
      .Case([&](GemmOp o) { return lowerGemm(o, l); })
      .Case([&](MatMulOp o) -> FailureOr<Value> {
        return matMulOf(l, o.getA(), o.getB(), resultType(o));
      })
      .Case([&](TransposeOp o) { return lowerTranspose(o, l); })
      .Case([&](ConcatOp o) { return lowerConcat(o, l); })
      .Case([&](PadOp o) { return lowerPad(o, l); })
      .Case<CastOp, CastLikeOp>([&](Operation *o) { return lowerCast(o, l); })
      .Case([&](IsNaNOp o) { return lowerIsNaN(o, l); })
      .Case([&](IsInfOp o) { return lowerIsInf(o, l); })
      .Case([&](LogSoftmaxOp o) { return lowerSoftmaxFamily(o, l, /*log=*/true); })
      .Case<ShapeOp, SizeOp>([&](Operation *o) -> FailureOr<Value> {
        SmallVector<OpFoldResult> folded;
        if (failed(o->fold(folded)) || folded.size() != 1 || !folded[0].is<Attribute>())
          return unsupported(o, "shape of a dynamic tensor");
        return l.b
            .create<arith::ConstantOp>(l.loc, cast<TypedAttr>(folded[0].get<Attribute>()))
            .getResult();
      })
      .Case<FlattenOp, ReshapeOp, SqueezeOp, UnsqueezeOp>([&](Operation *o) -> FailureOr<Value> {
        return l.reshape(o->getOperand(0), resultType(o));
      })
      .Case([&](SliceOp o) { return lowerSlice(o, l); })
      .Case([&](RangeOp o) { return lowerRange(o, l); })
      .Case([&](GatherElementsOp o) { return lowerGatherElements(o, l); })
      .Case([&](GatherNDOp o) { return lowerGatherND(o, l); })
      .Case([&](ScatterElementsOp o) { return lowerScatterElements(o, l); })
      .Case([&](ScatterNDOp o) { return lowerScatterND(o, l); })
      .Case([&](NegativeLogLikelihoodLossOp o) { return lowerNLLLoss(o, l); })
      .Case([&](IdentityOp o) -> FailureOr<Value> { return o.getInput(); })
      .Case([&](QuantizeLinearOp o) { return lowerQuantizeLinear(o, l); })
      .Case([&](DequantizeLinearOp o) { return lowerDequantizeLinear(o, l); })
      .Case([&](MatMulIntegerOp o) { return lowerMatMulInteger(o, l); })
      .Case([&](ConvIntegerOp o) { return lowerConvInteger(o, l); })
      .Case([&](QLinearMatMulOp o) { return lowerQLinearMatMul(o, l); })
      .Case([&](QLinearConvOp o) { return lowerQLinearConv(o, l); })
      .Case([&](EinsumOp o) { return lowerEinsum(o, l); })
      .Case([&](OneHotOp o) { return lowerOneHot(o, l); })
      .Case([&](ResizeOp o) { return lowerResize(o, l); })
      .Case([&](GridSampleOp o) { return lowerGridSample(o, l); })
      .Case([&](DFTOp o) { return lowerDFT(o, l); })
      .Case([&](CompressOp o) { return lowerCompress(o, l); })
      .Case([&](DetOp o) { return lowerDet(o, l); })
      .Case([&](NonZeroOp o) { return lowerNonZero(o, l); })
      .Case([&](MaxUnpoolOp o) { return lowerMaxUnpool(o, l); })
      .Case([&](NonMaxSuppressionOp o) { return lowerNonMaxSuppression(o, l); })
      .Case([&](MeanVarianceNormalizationOp o) { return lowerMeanVarianceNormalization(o, l); })
      .Case([&](GroupNormalizationOp o) { return lowerGroupNormalization(o, l); })
      .Case([&](ReverseSequenceOp o) { return lowerReverseSequence(o, l); })
      // Hann and Hamming are raised cosines; Blackman adds the second harmonic.
      .Case([&](HannWindowOp o) { return lowerWindow(o, l, 0.5, 0.5, 0); })
      .Case([&](HammingWindowOp o) { return lowerWindow(o, l, 25.0 / 46, 21.0 / 46, 0); })
      .Case([&](BlackmanWindowOp o) { return lowerWindow(o, l, 0.42, 0.5, 0.08); })
      .Default([&](Operation *o) { return unsupported(o, "no lowering"); });
}

bool isUnsignedTensor(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  return tensor && tensor.getElementType().isUnsignedInteger();
}

/// Which operands and results of an op are unsigned integer tensors; taken
/// before the function is made signless.
struct Signedness {
  bool computesUnsigned;
  SmallVector<bool> operands, results;
};

/// Lowers one nn op to one value per result; emits a diagnostic and fails
/// when it cannot.
FailureOr<SmallVector<Value>> lowerOp(Operation *op, OpBuilder &b, const Signedness &sign) {
  for (Type t : op->getOperandTypes()) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor)
      continue;
    if (!tensor.hasStaticShape())
      return unsupported(op, "dynamic shapes are not supported yet");
    if (!isSignlessIntOrFloat(tensor.getElementType())) {
      std::string name;
      llvm::raw_string_ostream os(name);
      os << tensor.getElementType();
      return unsupported(op, "element type " + name);
    }
  }
  for (Type t : op->getResultTypes())
    if (!cast<RankedTensorType>(t).hasStaticShape())
      return unsupported(op, "dynamic shapes are not supported yet");
  Lowering l{b, op->getLoc(), sign.computesUnsigned, sign.operands, sign.results};
  using Results = FailureOr<SmallVector<Value>>;
  return llvm::TypeSwitch<Operation *, Results>(op)
      .Case([&](DropoutOp o) -> Results {
        return SmallVector<Value>{
            o.getData(), l.filled(cast<RankedTensorType>(o.getMask().getType()),
                                  l.constant(l.b.getI1Type(), 1))};
      })
      .Case([&](LayerNormalizationOp o) { return lowerLayerNorm(o, l); })
      .Case([&](SplitOp o) { return lowerSplit(o, l); })
      .Case([&](TopKOp o) { return lowerTopK(o, l); })
      .Case([&](SoftmaxCrossEntropyLossOp o) { return lowerSoftmaxCrossEntropy(o, l); })
      .Case([&](DynamicQuantizeLinearOp o) { return lowerDynamicQuantizeLinear(o, l); })
      .Case([&](BatchNormalizationOp o) { return lowerBatchNorm(o, l); })
      .Case([&](MaxPoolOp o) -> Results {
        Value indices;
        auto y = lowerWindowPool(o, l, PoolKind::Max, o.getDilations(), false,
                                 o.getIndicesOutput() ? &indices : nullptr);
        if (failed(y))
          return failure();
        return indices ? SmallVector<Value>{*y, indices} : SmallVector<Value>{*y};
      })
      .Case([&](AdagradOp o) { return lowerOptimizer(o, l, 3); })
      .Case([&](MomentumOp o) { return lowerOptimizer(o, l, 3); })
      .Case([&](AdamOp o) { return lowerOptimizer(o, l, 4); })
      .Case([&](RNNOp o) { return lowerRecurrent(o, l, 1); })
      .Case([&](GRUOp o) { return lowerRecurrent(o, l, 3); })
      .Case([&](LSTMOp o) { return lowerRecurrent(o, l, 4); })
      .Default([&](Operation *o) -> Results {
        FailureOr<Value> v = lowerSingleResult(o, l);
        if (failed(v))
          return failure();
        return SmallVector<Value>{*v};
      });
}


/// Whether `op` computes on unsigned integers. A cast's integer side is its
/// source, or its target when the source is a float.
bool computesUnsigned(Operation *op) {
  if (isa<CastOp, CastLikeOp>(op)) {
    Type from = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
    return from.isUnsignedInteger() ||
           (isa<FloatType>(from) && isUnsignedTensor(op->getResult(0).getType()));
  }
  return llvm::any_of(op->getOperandTypes(), isUnsignedTensor) ||
         llvm::any_of(op->getResultTypes(), isUnsignedTensor);
}

/// Linalg and arith take signless integers: every unsigned or quantized
/// tensor type in the function (arguments, results, values) becomes its
/// signless storage type.
void makeSignless(func::FuncOp func) {
  auto convert = [](Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      return;
    if (auto quantized = dyn_cast<quant::QuantizedType>(t.getElementType()))
      v.setType(t.clone(quantized.getStorageType()));
    else if (t.getElementType().isUnsignedInteger())
      v.setType(t.clone(IntegerType::get(t.getContext(), t.getElementTypeBitWidth())));
  };
  for (BlockArgument arg : func.getArguments())
    convert(arg);
  func.walk([&](Operation *op) {
    for (Value v : op->getResults())
      convert(v);
  });
  auto results = func.getBody().back().getTerminator()->getOperandTypes();
  func.setType(FunctionType::get(func.getContext(), func.getBody().getArgumentTypes(), results));
}

/// An op to lower, with what its types said before they became signless.
struct PendingOp {
  Operation *op;
  Signedness sign;
  SmallVector<Type> operandTypes, resultTypes;
};

struct ConvertNNToLinalgPass
    : lepton::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    std::vector<PendingOp> ops;
    getOperation().walk([&](Operation *op) {
      if ((isa<NNDialect>(op->getDialect()) && !isa<NoneOp>(op)) ||
          isa<compress::CompressDialect>(op->getDialect()))
        ops.push_back({op,
                       Signedness{computesUnsigned(op),
                                  llvm::map_to_vector(op->getOperandTypes(), isUnsignedTensor),
                                  llvm::map_to_vector(op->getResultTypes(), isUnsignedTensor)},
                       llvm::to_vector(op->getOperandTypes()),
                       llvm::to_vector(op->getResultTypes())});
    });
    getOperation().walk([](func::FuncOp func) { makeSignless(func); });
    // Casts between storage integers and quantized types, and between
    // unsigned and signless integers, are identities now.
    getOperation().walk([](Operation *op) {
      if (isa<quant::StorageCastOp, tensor::BitcastOp>(op) &&
          op->getOperand(0).getType() == op->getResult(0).getType()) {
        op->getResult(0).replaceAllUsesWith(op->getOperand(0));
        op->erase();
      }
    });
    IRRewriter rewriter(&getContext());
    bool ok = true;
    for (PendingOp &pending : ops) {
      Operation *op = pending.op;
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> lowered;
      if (isa<compress::CompressDialect>(op->getDialect())) {
        Lowering l{rewriter, op->getLoc()};
        lowered = lowerCompressOp(op, l, pending.operandTypes, pending.resultTypes);
      } else {
        lowered = lowerOp(op, rewriter, pending.sign);
      }
      if (failed(lowered)) {
        ok = false; // keep going: report every unsupported op at once
        continue;
      }
      rewriter.replaceOp(op, *lowered);
    }
    if (!ok)
      return signalPassFailure();
    getOperation().walk([&](NoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};

} // namespace
