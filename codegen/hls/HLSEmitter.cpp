//===- HLSEmitter.cpp - the HLS C++ printer and project writer -------------===//
#include "codegen/hls/HLSEmitter.h"
#include "codegen/hls/LoopNests.h"
#include "dialects/hls/HLSDialect.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include "lepton/abi.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

using namespace mlir;

namespace lepton::hls {

namespace {

/// The version of hls/lepton_hls.h the printed code is written for.
constexpr int kLibraryVersion = 4;

// The support library and script templates of hls/, embedded at build time.
struct EmbeddedFile {
  const char *name;
  const char *contents;
};
const EmbeddedFile kLibrary[] = {
#include "codegen/hls/HLSLibrary.inc"
};

llvm::StringRef libraryFile(llvm::StringRef name) {
  for (const EmbeddedFile &file : kLibrary)
    if (name == file.name)
      return file.contents;
  llvm::report_fatal_error("HLS library file missing from the build");
}

/// The C++ type of a scalar of type `type`, or "" when there is none.
std::string typeName(Type type) {
  if (type.isIndex())
    return "int";
  if (type.isInteger(1))
    return "bool";
  if (auto integer = dyn_cast<IntegerType>(type); integer && integer.getWidth() <= 64)
    return "ap_int<" + std::to_string(integer.getWidth()) + ">";
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  return "";
}

/// Whether `name` is a C++ keyword or alternative token (an ONNX tensor may
/// be called `and` or `not`).
bool isCppKeyword(llvm::StringRef name) {
  static const char *const kKeywords[] = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class", "co_await",
      "co_return", "co_yield", "compl", "concept", "const", "const_cast", "consteval",
      "constexpr", "constinit", "continue", "decltype", "default", "delete", "do", "double",
      "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
      "protected", "public", "register", "reinterpret_cast", "requires", "return", "short",
      "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch",
      "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
      "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
      "while", "xor", "xor_eq", "main"};
  return llvm::is_contained(kKeywords, name);
}

/// The C++ element type of a port holding `tensor` (memref `type`): the
/// scalar type, unsigned where the model's tensor is (the design computes
/// on the same bits as signless integers).
std::string portType(MemRefType type, const TensorSignature &tensor) {
  bool isUnsigned = tensor.dtype == LEPTON_UINT8 || tensor.dtype == LEPTON_UINT16 ||
                    tensor.dtype == LEPTON_UINT32 || tensor.dtype == LEPTON_UINT64;
  if (isUnsigned && type.getElementType().isInteger())
    return "ap_uint<" + std::to_string(type.getElementTypeBitWidth()) + ">";
  return typeName(type.getElementType());
}

std::string floatLiteral(const llvm::APFloat &value, bool single) {
  double v = value.convertToDouble();
  if (std::isnan(v))
    return single ? "__builtin_nanf(\"\")" : "__builtin_nan(\"\")";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") + (single ? "__builtin_inff()" : "__builtin_inf()");
  // 9 (17) significant digits read back as the same float (double).
  char digits[40];
  snprintf(digits, sizeof digits, single ? "%.9g" : "%.17g", v);
  std::string text = digits;
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  return single ? text + "f" : text;
}

std::string integerLiteral(const llvm::APInt &value, unsigned width) {
  if (width == 1)
    return value.isZero() ? "false" : "true";
  int64_t v = value.getSExtValue();
  std::string digits = v == INT64_MIN ? "(-9223372036854775807LL - 1)"
                                      : std::to_string(v) + (v > INT32_MAX || v < INT32_MIN ? "LL" : "");
  return digits;
}

/// Prints the model function: one C++ statement per op, loops as loops,
/// every memref as a flat array with the strides and offset of its type.
class FunctionPrinter {
public:
  FunctionPrinter(ModuleOp module, llvm::raw_ostream &os) : module(module), os(os) {}

  LogicalResult print(func::FuncOp func, const ModelSignature &signature,
                      const HLSOptions &options, std::string &prototype);

private:
  struct View {
    std::string base;
    int64_t offset = 0;
    llvm::SmallVector<int64_t> strides;
  };

  llvm::raw_ostream &line() { return os.indent(2 * depth); }
  std::string fresh(const char *prefix) { return prefix + std::to_string(counter++); }

  LogicalResult unsupported(Operation *op, const llvm::Twine &what) {
    return op->emitError() << "unsupported on the HLS target: " << what;
  }

  FailureOr<View> viewOf(Operation *op, Value memref, llvm::StringRef base) {
    auto type = cast<MemRefType>(memref.getType());
    View view{base.str(), 0, {}};
    if (failed(getStridesAndOffset(type, view.strides, view.offset)) ||
        ShapedType::isDynamic(view.offset) ||
        llvm::any_of(view.strides, ShapedType::isDynamic))
      return unsupported(op, "a buffer with a dynamic layout");
    return view;
  }

  std::string element(Value memref, llvm::ArrayRef<std::string> indices) {
    const View &view = views.lookup(memref);
    std::string index;
    for (auto [i, stride] : llvm::enumerate(view.strides)) {
      auto type = cast<MemRefType>(memref.getType());
      if (type.getDimSize(i) == 1 || stride == 0)
        continue;
      if (!index.empty())
        index += " + ";
      index += stride == 1 ? indices[i] : indices[i] + " * " + std::to_string(stride);
    }
    if (view.offset != 0 || index.empty())
      index = index.empty() ? std::to_string(view.offset)
                            : std::to_string(view.offset) + " + " + index;
    return view.base + "[" + index + "]";
  }

  std::string affineExpr(AffineExpr expr, llvm::ArrayRef<std::string> dims,
                         llvm::ArrayRef<std::string> symbols) {
    auto binary = [&](AffineBinaryOpExpr e, const char *op) {
      return "(" + affineExpr(e.getLHS(), dims, symbols) + op +
             affineExpr(e.getRHS(), dims, symbols) + ")";
    };
    auto call = [&](AffineBinaryOpExpr e, const char *fn) {
      return std::string("lepton_hls::") + fn + "(" + affineExpr(e.getLHS(), dims, symbols) +
             ", " + affineExpr(e.getRHS(), dims, symbols) + ")";
    };
    switch (expr.getKind()) {
    case AffineExprKind::Constant:
      return std::to_string(cast<AffineConstantExpr>(expr).getValue());
    case AffineExprKind::DimId:
      return dims[cast<AffineDimExpr>(expr).getPosition()];
    case AffineExprKind::SymbolId:
      return symbols[cast<AffineSymbolExpr>(expr).getPosition()];
    case AffineExprKind::Add:
      return binary(cast<AffineBinaryOpExpr>(expr), " + ");
    case AffineExprKind::Mul:
      return binary(cast<AffineBinaryOpExpr>(expr), " * ");
    case AffineExprKind::Mod:
      return call(cast<AffineBinaryOpExpr>(expr), "mod");
    case AffineExprKind::FloorDiv:
      return call(cast<AffineBinaryOpExpr>(expr), "floordiv");
    case AffineExprKind::CeilDiv:
      return call(cast<AffineBinaryOpExpr>(expr), "ceildiv");
    }
    llvm_unreachable("affine expression kind");
  }

  llvm::SmallVector<std::string> affineIndices(AffineMap map, ValueRange operands) {
    llvm::SmallVector<std::string> dims, symbols, results;
    for (auto [i, operand] : llvm::enumerate(operands))
      (i < map.getNumDims() ? dims : symbols).push_back(value(operand));
    for (AffineExpr expr : map.getResults())
      results.push_back(affineExpr(expr, dims, symbols));
    return results;
  }

  std::string value(Value v) { return scalars.lookup(v); }

  /// Declares the result of `op` as `expr`.
  void define(Operation *op, const std::string &expr) {
    std::string name = fresh("v");
    line() << typeName(op->getResult(0).getType()) << " " << name << " = " << expr << ";\n";
    scalars[op->getResult(0)] = name;
  }

  LogicalResult printBlock(Block &block);
  LogicalResult printDataflow(func::FuncOp func, const HLSOptions &options,
                              llvm::ArrayRef<std::string> ports,
                              llvm::ArrayRef<std::string> portTypes,
                              const std::string &prototype);
  LogicalResult printOp(Operation *op);
  void globalPartitions(Operation *scope);
  LogicalResult printLoop(affine::AffineForOp loop);
  LogicalResult printRegionOp(Operation *op);
  /// Declares a variable for each of `results` (initialized from `initial`
  /// when given) that also names the region's `arguments`.
  FailureOr<llvm::SmallVector<std::string>> carriedValues(Operation *op, ValueRange initial,
                                                          ValueRange results,
                                                          llvm::ArrayRef<BlockArgument> arguments);
  /// Assigns what `terminator` yields to the `carried` variables.
  void printYield(Operation *terminator, llvm::ArrayRef<std::string> carried);
  /// A region's block one level in (after `prologue`, the loop's pragmas),
  /// then the assignment of what it yields to `carried`.
  LogicalResult printNested(Block &block, llvm::ArrayRef<std::string> carried,
                            llvm::function_ref<void()> prologue = nullptr);
  LogicalResult printBuffer(Operation *op);
  FailureOr<std::string> arithExpr(Operation *op);

  void partitionPragma(llvm::StringRef variable, Attribute partition, bool reshape = false) {
    if (!partition)
      return;
    line() << "#pragma HLS " << (reshape ? "ARRAY_RESHAPE" : "ARRAY_PARTITION")
           << " variable=" << variable;
    if (auto factor = dyn_cast<IntegerAttr>(partition))
      os << " type=cyclic factor=" << factor.getInt() << " dim=1\n";
    else
      os << " type=complete dim=0\n";
  }

  ModuleOp module;
  llvm::raw_ostream &os;
  int depth = 1;
  unsigned counter = 0;
  unsigned layers = 0;
  llvm::DenseMap<Value, std::string> scalars;
  llvm::DenseMap<Value, View> views;
};

FailureOr<std::string> FunctionPrinter::arithExpr(Operation *op) {
  auto operand = [&](unsigned i) { return value(op->getOperand(i)); };
  auto binary = [&](const char *symbol) { return operand(0) + symbol + operand(1); };
  auto call = [&](const char *fn) {
    std::string args;
    for (Value v : op->getOperands())
      args += (args.empty() ? "" : ", ") + value(v);
    return std::string("lepton_hls::") + fn + "(" + args + ")";
  };
  auto width = [](Type t) { return t.getIntOrFloatBitWidth(); };
  Type resultType = op->getNumResults() ? op->getResult(0).getType() : Type();
  std::string result = resultType ? typeName(resultType) : "";
  return llvm::TypeSwitch<Operation *, FailureOr<std::string>>(op)
      .Case([&](arith::AddIOp) { return binary(" + "); })
      .Case([&](arith::SubIOp) { return binary(" - "); })
      .Case([&](arith::MulIOp) { return binary(" * "); })
      .Case([&](arith::DivSIOp) { return binary(" / "); })
      .Case([&](arith::RemSIOp) { return binary(" % "); })
      .Case([&](arith::DivUIOp) { return call("udiv"); })
      .Case([&](arith::RemUIOp) { return call("urem"); })
      .Case([&](arith::FloorDivSIOp) { return call("floordiv"); })
      .Case([&](arith::CeilDivSIOp) { return call("ceildiv"); })
      .Case([&](arith::AndIOp) { return binary(" & "); })
      .Case([&](arith::OrIOp) { return binary(" | "); })
      .Case([&](arith::XOrIOp) { return binary(" ^ "); })
      .Case([&](arith::ShLIOp) { return operand(0) + " << " + operand(1) + ".to_int()"; })
      .Case([&](arith::ShRSIOp) { return operand(0) + " >> " + operand(1) + ".to_int()"; })
      .Case([&](arith::ShRUIOp) {
        return "lepton_hls::lshr(" + operand(0) + ", " + operand(1) + ".to_int())";
      })
      .Case([&](arith::MaxSIOp) { return call("smax"); })
      .Case([&](arith::MinSIOp) { return call("smin"); })
      .Case([&](arith::MaxUIOp) { return call("umax"); })
      .Case([&](arith::MinUIOp) { return call("umin"); })
      .Case([&](arith::CmpIOp cmp) -> FailureOr<std::string> {
        using P = arith::CmpIPredicate;
        const char *symbols[] = {"==", "!=", "<", "<=", ">", ">=", "<", "<=", ">", ">="};
        P p = cmp.getPredicate();
        bool isUnsigned = p == P::ult || p == P::ule || p == P::ugt || p == P::uge;
        std::string l = operand(0), r = operand(1);
        if (cmp.getLhs().getType().isInteger(1) || cmp.getLhs().getType().isIndex())
          isUnsigned = false;
        else if (isUnsigned)
          l = "lepton_hls::bits(" + l + ")", r = "lepton_hls::bits(" + r + ")";
        return l + " " + symbols[size_t(p)] + " " + r;
      })
      .Case([&](arith::SelectOp) { return operand(0) + " ? " + operand(1) + " : " + operand(2); })
      .Case([&](arith::ExtSIOp ext) -> std::string {
        if (ext.getIn().getType().isInteger(1))
          return result + "(" + operand(0) + " ? -1 : 0)";
        return result + "(" + operand(0) + ")";
      })
      .Case([&](arith::ExtUIOp ext) -> std::string {
        if (ext.getIn().getType().isInteger(1))
          return result + "(" + operand(0) + " ? 1 : 0)";
        return result + "(ap_uint<" + std::to_string(width(ext.getIn().getType())) + ">(" +
               operand(0) + "))";
      })
      .Case([&](arith::TruncIOp trunc) -> std::string {
        if (trunc.getType().isInteger(1))
          return "(" + operand(0) + ".to_int64() & 1) != 0";
        return result + "(" + operand(0) + ")";
      })
      .Case([&](arith::IndexCastOp cast) -> std::string {
        if (cast.getType().isIndex())
          return "int(" + operand(0) + ".to_int64())";
        return result + "(" + operand(0) + ")";
      })
      .Case([&](arith::SIToFPOp) { return result + "(" + operand(0) + ".to_int64())"; })
      .Case([&](arith::UIToFPOp u) {
        return result + "(ap_uint<" + std::to_string(width(u.getIn().getType())) + ">(" +
               operand(0) + ").to_uint64())";
      })
      .Case([&](arith::FPToSIOp) { return result + "((long long)" + operand(0) + ")"; })
      .Case([&](arith::FPToUIOp) { return result + "((unsigned long long)" + operand(0) + ")"; })
      .Case([&](arith::ExtFOp) { return result + "(" + operand(0) + ")"; })
      .Case([&](arith::TruncFOp) { return result + "(" + operand(0) + ")"; })
      .Case([&](arith::AddFOp) { return binary(" + "); })
      .Case([&](arith::SubFOp) { return binary(" - "); })
      .Case([&](arith::MulFOp) { return binary(" * "); })
      .Case([&](arith::DivFOp) { return binary(" / "); })
      .Case([&](arith::RemFOp) { return call("fmod"); })
      .Case([&](arith::NegFOp) { return "-" + operand(0); })
      .Case([&](arith::MaximumFOp) { return call("maximumf"); })
      .Case([&](arith::MinimumFOp) { return call("minimumf"); })
      .Case([&](arith::MaxNumFOp) { return "std::fmax(" + operand(0) + ", " + operand(1) + ")"; })
      .Case([&](arith::MinNumFOp) { return "std::fmin(" + operand(0) + ", " + operand(1) + ")"; })
      .Case([&](arith::CmpFOp cmp) -> FailureOr<std::string> {
        using P = arith::CmpFPredicate;
        std::string l = operand(0), r = operand(1);
        std::string unordered = "(" + l + " != " + l + " || " + r + " != " + r + ")";
        switch (cmp.getPredicate()) {
        case P::OEQ: return l + " == " + r;
        case P::OGT: return l + " > " + r;
        case P::OGE: return l + " >= " + r;
        case P::OLT: return l + " < " + r;
        case P::OLE: return l + " <= " + r;
        case P::ONE: return "(" + l + " < " + r + " || " + l + " > " + r + ")";
        case P::ORD: return "!" + unordered;
        case P::UEQ: return "!(" + l + " < " + r + " || " + l + " > " + r + ")";
        case P::UGT: return "!(" + l + " <= " + r + ")";
        case P::UGE: return "!(" + l + " < " + r + ")";
        case P::ULT: return "!(" + l + " >= " + r + ")";
        case P::ULE: return "!(" + l + " > " + r + ")";
        case P::UNE: return l + " != " + r;
        case P::UNO: return unordered;
        case P::AlwaysFalse: return std::string("false");
        case P::AlwaysTrue: return std::string("true");
        }
        return failure();
      })
      .Case([&](math::RoundEvenOp) { return call("roundeven"); })
      .Case([&](math::ExpOp) { return call("exp"); })
      .Case([&](math::LogOp) { return call("log"); })
      .Case([&](math::TanhOp) { return call("tanh"); })
      .Case([&](math::SqrtOp) { return call("sqrt"); })
      .Case([&](math::RsqrtOp) { return call("rsqrt"); })
      .Case([&](math::ErfOp) { return call("erf"); })
      .Case([&](math::FloorOp) { return call("floor"); })
      .Case([&](math::CeilOp) { return call("ceil"); })
      .Case([&](math::AbsFOp) { return call("fabs"); })
      .Case([&](math::PowFOp) { return call("pow"); })
      .Case([&](math::SinOp) { return call("sin"); })
      .Case([&](math::CosOp) { return call("cos"); })
      .Case([&](math::TanOp) { return call("tan"); })
      .Case([&](math::SinhOp) { return call("sinh"); })
      .Case([&](math::CoshOp) { return call("cosh"); })
      .Case([&](math::AsinOp) { return call("asin"); })
      .Case([&](math::AcosOp) { return call("acos"); })
      .Case([&](math::AtanOp) { return call("atan"); })
      .Case([&](math::AsinhOp) { return call("asinh"); })
      .Case([&](math::AcoshOp) { return call("acosh"); })
      .Case([&](math::AtanhOp) { return call("atanh"); })
      .Case([&](math::CopySignOp) { return call("copysign"); })
      .Default([&](Operation *) -> FailureOr<std::string> { return failure(); });
}

LogicalResult FunctionPrinter::printBuffer(Operation *op) {
  auto type = cast<MemRefType>(op->getResult(0).getType());
  std::string element = typeName(type.getElementType());
  if (element.empty() || !type.hasStaticShape())
    return unsupported(op, "a buffer of " + llvm::Twine(element.empty() ? "this element type" : "dynamic shape"));
  std::string name = fresh("buf");
  line() << element << " " << name << "[" << std::max<int64_t>(1, type.getNumElements())
         << "];\n";
  partitionPragma(name, op->getAttr(kPartition));
  FailureOr<View> view = viewOf(op, op->getResult(0), name);
  if (failed(view))
    return failure();
  views[op->getResult(0)] = *view;
  return success();
}

FailureOr<llvm::SmallVector<std::string>>
FunctionPrinter::carriedValues(Operation *op, ValueRange initial, ValueRange results,
                               llvm::ArrayRef<BlockArgument> arguments) {
  llvm::SmallVector<std::string> names;
  for (auto [i, result] : llvm::enumerate(results)) {
    std::string type = typeName(result.getType());
    if (type.empty())
      return unsupported(op, "a loop-carried or yielded value of type that has no C++ form");
    std::string name = fresh("c");
    line() << type << " " << name;
    if (!initial.empty())
      os << " = " << value(initial[i]);
    os << ";\n";
    scalars[result] = name;
    if (!arguments.empty())
      scalars[arguments[i]] = name;
    names.push_back(name);
  }
  return names;
}

void FunctionPrinter::printYield(Operation *terminator, llvm::ArrayRef<std::string> carried) {
  // Through temporaries: a yielded value may be another carried one.
  llvm::SmallVector<std::string> temporaries;
  for (Value v : terminator->getOperands()) {
    temporaries.push_back(fresh("t"));
    line() << typeName(v.getType()) << " " << temporaries.back() << " = " << value(v) << ";\n";
  }
  for (auto [name, temporary] : llvm::zip(carried, temporaries))
    line() << name << " = " << temporary << ";\n";
}

LogicalResult FunctionPrinter::printLoop(affine::AffineForOp loop) {
  if (!loop.hasConstantBounds())
    return unsupported(loop, "a loop without constant bounds");
  FailureOr<llvm::SmallVector<std::string>> carried = carriedValues(
      loop, loop.getInits(), loop.getResults(), loop.getRegionIterArgs());
  if (failed(carried))
    return failure();
  std::string iv = fresh("i");
  scalars[loop.getInductionVar()] = iv;
  line();
  if (auto layer = loop->getAttrOfType<StringAttr>(kLayer))
    os << "layer" << layers++ << "_" << cIdentifier(layer.getValue()) << ": ";
  os << "for (int " << iv << " = " << loop.getConstantLowerBound() << "; " << iv << " < "
     << loop.getConstantUpperBound() << "; " << iv << " += " << loop.getStepAsInt() << ") {\n";
  LogicalResult body = printNested(*loop.getBody(), *carried, [&] {
    if (auto ii = loop->getAttrOfType<IntegerAttr>(kPipeline))
      line() << "#pragma HLS PIPELINE II=" << ii.getInt() << "\n";
    if (auto factor = loop->getAttrOfType<IntegerAttr>(kUnroll))
      line() << "#pragma HLS UNROLL factor=" << factor.getInt() << "\n";
    else if (loop->hasAttr(kUnroll))
      line() << "#pragma HLS UNROLL\n";
    if (auto limit = loop->getAttrOfType<IntegerAttr>(kAllocation))
      line() << "#pragma HLS ALLOCATION operation instances=mul limit=" << limit.getInt()
             << "\n";
  });
  line() << "}\n";
  return body;
}

LogicalResult FunctionPrinter::printNested(Block &block, llvm::ArrayRef<std::string> carried,
                                           llvm::function_ref<void()> prologue) {
  ++depth;
  if (prologue)
    prologue();
  LogicalResult body = printBlock(block);
  printYield(block.getTerminator(), carried);
  --depth;
  return body;
}

/// scf.for: a C++ loop over index values; scf.if: an if with its results
/// declared before it (as the loops' carried values are).
LogicalResult FunctionPrinter::printRegionOp(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    FailureOr<llvm::SmallVector<std::string>> carried = carriedValues(
        op, loop.getInitArgs(), loop.getResults(), loop.getRegionIterArgs());
    if (failed(carried))
      return failure();
    std::string iv = fresh("i");
    scalars[loop.getInductionVar()] = iv;
    line() << "for (int " << iv << " = " << value(loop.getLowerBound()) << "; " << iv << " < "
           << value(loop.getUpperBound()) << "; " << iv << " += " << value(loop.getStep())
           << ") {\n";
    LogicalResult body = printNested(*loop.getBody(), *carried);
    line() << "}\n";
    return body;
  }
  auto branch = cast<scf::IfOp>(op);
  FailureOr<llvm::SmallVector<std::string>> results =
      carriedValues(op, {}, branch.getResults(), {});
  if (failed(results))
    return failure();
  line() << "if (" << value(branch.getCondition()) << ") {\n";
  LogicalResult then = printNested(*branch.thenBlock(), *results);
  LogicalResult otherwise = success();
  if (Block *block = branch.elseBlock()) {
    line() << "} else {\n";
    otherwise = printNested(*block, *results);
  }
  line() << "}\n";
  return success(succeeded(then) && succeeded(otherwise));
}

LogicalResult FunctionPrinter::printOp(Operation *op) {
  // Terminators: the ops holding them assign what they yield.
  if (isa<affine::AffineYieldOp, scf::YieldOp, func::ReturnOp, memref::DeallocOp>(op))
    return success();
  if (auto loop = dyn_cast<affine::AffineForOp>(op))
    return printLoop(loop);
  if (isa<scf::ForOp, scf::IfOp>(op))
    return printRegionOp(op);
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    Type type = constant.getType();
    if (auto integer = dyn_cast<IntegerAttr>(constant.getValue())) {
      std::string literal = integerLiteral(integer.getValue(), type.isIndex() ? 64 : type.getIntOrFloatBitWidth());
      scalars[constant] = type.isIndex() || type.isInteger(1) ? literal
                                                              : typeName(type) + "(" + literal + ")";
      return success();
    }
    if (auto real = dyn_cast<FloatAttr>(constant.getValue()); real && !typeName(type).empty()) {
      scalars[constant] = floatLiteral(real.getValue(), type.isF32());
      return success();
    }
    return unsupported(op, "a constant of type " + llvm::Twine(typeName(type).empty() ? "that kind" : "vector"));
  }
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return printBuffer(op);
  if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
    FailureOr<View> view = viewOf(op, get, "w_" + cIdentifier(get.getName()));
    if (failed(view))
      return failure();
    views[get] = *view;
    return success();
  }
  if (auto viewLike = dyn_cast<ViewLikeOpInterface>(op);
      viewLike && isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp,
                      memref::CastOp, memref::ReinterpretCastOp>(op)) {
    FailureOr<View> view =
        viewOf(op, op->getResult(0), views.lookup(viewLike.getViewSource()).base);
    if (failed(view))
      return failure();
    views[op->getResult(0)] = *view;
    return success();
  }
  if (auto load = dyn_cast<affine::AffineLoadOp>(op)) {
    define(op, element(load.getMemRef(), affineIndices(load.getAffineMap(), load.getMapOperands())));
    return success();
  }
  if (auto store = dyn_cast<affine::AffineStoreOp>(op)) {
    line() << element(store.getMemRef(),
                      affineIndices(store.getAffineMap(), store.getMapOperands()))
           << " = " << value(store.getValueToStore()) << ";\n";
    return success();
  }
  if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
    define(op, affineIndices(apply.getAffineMap(), apply.getMapOperands())[0]);
    return success();
  }
  if (auto load = dyn_cast<memref::LoadOp>(op)) {
    llvm::SmallVector<std::string> indices;
    for (Value index : load.getIndices())
      indices.push_back(value(index));
    define(op, element(load.getMemRef(), indices));
    return success();
  }
  if (auto store = dyn_cast<memref::StoreOp>(op)) {
    llvm::SmallVector<std::string> indices;
    for (Value index : store.getIndices())
      indices.push_back(value(index));
    line() << element(store.getMemRef(), indices) << " = " << value(store.getValueToStore())
           << ";\n";
    return success();
  }
  if (auto mul = dyn_cast<arith::MulSIExtendedOp>(op)) {
    // Both halves of the double-width product, as arith defines them (the
    // requantization's high half).
    Type half = mul.getLhs().getType();
    unsigned bits = half.getIntOrFloatBitWidth();
    std::string wide = "ap_int<" + std::to_string(2 * bits) + ">", product = fresh("v");
    line() << wide << " " << product << " = " << wide << "(" << value(mul.getLhs()) << ") * "
           << wide << "(" << value(mul.getRhs()) << ");\n";
    std::string low = fresh("v"), high = fresh("v");
    line() << typeName(half) << " " << low << " = " << typeName(half) << "(" << product << ");\n";
    line() << typeName(half) << " " << high << " = " << typeName(half) << "(" << product
           << " >> " << bits << ");\n";
    scalars[mul.getLow()] = low;
    scalars[mul.getHigh()] = high;
    return success();
  }
  if (op->getNumResults() == 1 && !typeName(op->getResult(0).getType()).empty()) {
    FailureOr<std::string> expr = arithExpr(op);
    if (succeeded(expr)) {
      define(op, *expr);
      return success();
    }
  }
  return unsupported(op, "'" + op->getName().getStringRef() + "' has no HLS C++ form yet");
}

LogicalResult FunctionPrinter::printBlock(Block &block) {
  bool ok = true;
  for (Operation &op : block)
    ok &= succeeded(printOp(&op));
  return success(ok);
}

LogicalResult FunctionPrinter::print(func::FuncOp func, const ModelSignature &signature,
                                     const HLSOptions &options, std::string &prototype) {
  bool parallel = options.io == "parallel";
  llvm::raw_string_ostream proto(prototype);
  proto << "void " << options.name << "(";
  std::vector<std::string> ports, portTypes;
  std::set<std::string> taken;
  for (BlockArgument arg : func.getArguments()) {
    unsigned i = arg.getArgNumber();
    bool input = i < signature.inputs.size();
    const TensorSignature &tensor =
        input ? signature.inputs[i] : signature.outputs[i - signature.inputs.size()];
    auto type = cast<MemRefType>(arg.getType());
    std::string element = portType(type, tensor);
    if (element.empty())
      return func.emitError() << "unsupported on the HLS target: "
                              << (input ? "input" : "output") << " '" << tensor.name
                              << "' of element type " << type.getElementType();
    std::string name = cIdentifier(tensor.name);
    while (!taken.insert(name).second || llvm::StringRef(name).starts_with("buf") ||
           llvm::StringRef(name).starts_with("w_") || isCppKeyword(name))
      name += "_port";
    ports.push_back(name);
    portTypes.push_back(element);
    proto << (i ? ", " : "") << (input ? "const " : "") << element << " " << name << "["
          << type.getNumElements() << "]";
    // In a dataflow, each process has its own copy of an output; the last
    // one copies it to the port.
    FailureOr<View> view = viewOf(func, arg, parallel || input ? name : name + "_buf");
    if (failed(view))
      return failure();
    views[arg] = *view;
  }
  proto << ")";
  if (!parallel)
    return printDataflow(func, options, ports, portTypes, prototype);
  os << prototype << " {\n";
  for (auto [i, port] : llvm::enumerate(ports)) {
    partitionPragma(port, func.getArgAttr(i, kPartition), /*reshape=*/true);
    line() << "#pragma HLS INTERFACE mode=ap_vld port=" << port << "\n";
  }
  if (auto ii = func->getAttrOfType<IntegerAttr>(kPipeline))
    line() << "#pragma HLS PIPELINE II=" << ii.getInt() << "\n";
  globalPartitions(func);
  LogicalResult body = printBlock(func.getBody().front());
  os << "}\n";
  return body;
}

/// Partitioning of the constant arrays `scope` reads.
void FunctionPrinter::globalPartitions(Operation *scope) {
  llvm::SmallPtrSet<Operation *, 16> globals;
  scope->walk([&](Operation *op) {
    Value memref;
    if (std::optional<MemoryAccess> access = memoryAccess(op); access && !access->store)
      memref = access->memref;
    else if (isa<func::FuncOp>(scope))
      if (auto get = dyn_cast<memref::GetGlobalOp>(op))
        memref = get;
    auto get = memref ? rootBuffer(memref).getDefiningOp<memref::GetGlobalOp>() : nullptr;
    if (!get)
      return;
    auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
    if (global && globals.insert(global).second)
      partitionPragma("w_" + cIdentifier(get.getName()), global->getAttr(kPartition));
  });
}

/// The stream style: each process of dataflowGraph a function of its own,
/// with copies of the buffers it touches, filled from its input FIFOs and
/// written to its output FIFOs; the top function declares the FIFOs and
/// calls the processes in a DATAFLOW region.
LogicalResult FunctionPrinter::printDataflow(func::FuncOp func, const HLSOptions &options,
                                             llvm::ArrayRef<std::string> ports,
                                             llvm::ArrayRef<std::string> portTypes,
                                             const std::string &prototype) {
  // Buffers and views are names only here: each process declares its own.
  Block &body = func.getBody().front();
  for (Operation &op : body) {
    if (isStep(&op) || isa<func::ReturnOp, memref::DeallocOp>(op))
      continue;
    if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
      auto type = cast<MemRefType>(op.getResult(0).getType());
      if (typeName(type.getElementType()).empty() || !type.hasStaticShape())
        return unsupported(&op, "a buffer of this element type or shape");
      FailureOr<View> view = viewOf(&op, op.getResult(0), fresh("buf"));
      if (failed(view))
        return failure();
      views[op.getResult(0)] = *view;
      continue;
    }
    if (op.getNumRegions() == 0 &&
        (isa<memref::GetGlobalOp, ViewLikeOpInterface, arith::ConstantOp>(op))) {
      if (failed(printOp(&op)))
        return failure();
      continue;
    }
    // Scalars (loads, arithmetic) the processes that use them compute.
    if (op.getNumRegions() == 0 &&
        (isMemoryEffectFree(&op) || isa<affine::AffineLoadOp, memref::LoadOp>(op)))
      continue;
    return unsupported(&op, "'" + op.getName().getStringRef() +
                                "' outside the layers' loop nests in a dataflow design");
  }
  DataflowGraph graph = dataflowGraph(func);
  auto elementOf = [](Value buffer) {
    return typeName(cast<MemRefType>(buffer.getType()).getElementType());
  };
  auto sizeOf = [](Value buffer) {
    return std::to_string(cast<MemRefType>(buffer.getType()).getNumElements());
  };
  auto portIndex = [&](Value buffer) { return cast<BlockArgument>(buffer).getArgNumber(); };
  auto partitionOf = [&](Value buffer) -> Attribute {
    if (auto arg = dyn_cast<BlockArgument>(buffer))
      return func.getArgAttr(arg.getArgNumber(), kPartition);
    return buffer.getDefiningOp()->getAttr(kPartition);
  };
  auto stream = [](size_t channel) { return "s" + std::to_string(channel); };
  auto copyLoop = [&](const std::string &count, const std::string &statement) {
    std::string i = fresh("i");
    line() << "for (int " << i << " = 0; " << i << " < " << count << "; ++" << i << ") {\n";
    ++depth;
    line() << "#pragma HLS PIPELINE II=1\n";
    std::string text = statement;
    for (size_t at; (at = text.find("@I@")) != std::string::npos;)
      text.replace(at, 3, i);
    line() << text << "\n";
    --depth;
    line() << "}\n";
  };
  std::string name = options.name;
  std::vector<std::string> calls;
  bool ok = true;
  for (auto [p, process] : llvm::enumerate(graph.processes)) {
    std::string function = name + "_p" + std::to_string(p) + "_" +
                           cIdentifier(process.portReader ? "read_" + views[process.portReader].base
                                                          : process.layer);
    std::string params, args;
    auto param = [&](const std::string &declaration, const std::string &arg) {
      params += (params.empty() ? "" : ", ") + declaration;
      args += (args.empty() ? "" : ", ") + arg;
    };
    for (size_t c : process.inputs)
      param("hls::stream<" + elementOf(graph.channels[c].buffer) + "> &" + stream(c), stream(c));
    llvm::SmallVector<Value> directPorts(process.inputPorts);
    if (process.portReader)
      directPorts.push_back(process.portReader);
    for (Value port : directPorts) {
      const std::string &portName = ports[portIndex(port)];
      param("const " + portTypes[portIndex(port)] + " " + portName + "[" + sizeOf(port) + "]",
            portName);
    }
    for (size_t c : process.outputs)
      param("hls::stream<" + elementOf(graph.channels[c].buffer) + "> &" + stream(c), stream(c));
    for (Value port : process.outputPorts) {
      const std::string &portName = ports[portIndex(port)];
      param(portTypes[portIndex(port)] + " " + portName + "[" + sizeOf(port) + "]", portName);
    }
    os << "static void " << function << "(" << params << ") {\n";
    depth = 1;
    line() << "#pragma HLS INLINE off\n";
    for (Value port : directPorts)
      partitionPragma(ports[portIndex(port)], partitionOf(port));
    // The process's own copies of the buffers it touches.
    for (Value buffer : process.buffers) {
      if (llvm::is_contained(directPorts, buffer))
        continue;
      line() << elementOf(buffer) << " " << views[buffer].base << "[" << sizeOf(buffer) << "];\n";
      partitionPragma(views[buffer].base, partitionOf(buffer));
    }
    for (Operation *step : process.steps)
      globalPartitions(step);
    for (size_t c : process.inputs)
      copyLoop(sizeOf(graph.channels[c].buffer),
               views[graph.channels[c].buffer].base + "[@I@] = " + stream(c) + ".read();");
    for (Operation *op : process.ops)
      ok &= succeeded(printOp(op));
    // Each version read on goes to every FIFO of it and, if final, the port.
    llvm::SmallVector<Value> written;
    for (size_t c : process.outputs)
      if (!llvm::is_contained(written, graph.channels[c].buffer))
        written.push_back(graph.channels[c].buffer);
    for (Value port : process.outputPorts)
      if (!llvm::is_contained(written, port))
        written.push_back(port);
    for (Value buffer : written) {
      std::string source = process.portReader ? ports[portIndex(buffer)] : views[buffer].base;
      std::string statement = elementOf(buffer) + " v = " + source + "[@I@];";
      for (size_t c : process.outputs)
        if (graph.channels[c].buffer == buffer)
          statement += " " + stream(c) + ".write(v);";
      if (llvm::is_contained(process.outputPorts, buffer))
        statement += " " + ports[portIndex(buffer)] + "[@I@] = v;";
      copyLoop(sizeOf(buffer), statement);
    }
    os << "}\n\n";
    calls.push_back(function + "(" + args + ");");
  }
  os << prototype << " {\n";
  depth = 1;
  for (auto [i, port] : llvm::enumerate(ports)) {
    line() << "#pragma HLS INTERFACE mode=ap_memory port=" << port << "\n";
    partitionPragma(port, func.getArgAttr(i, kPartition));
  }
  line() << "#pragma HLS DATAFLOW\n";
  for (auto [c, channel] : llvm::enumerate(graph.channels)) {
    line() << "// " << graph.processes[channel.producer].layer << " -> "
           << graph.processes[channel.consumer].layer << "\n";
    line() << "hls::stream<" << elementOf(channel.buffer) << "> " << stream(c) << "(\""
           << stream(c) << "\");\n";
    line() << "#pragma HLS STREAM variable=" << stream(c) << " depth=" << channel.depth << "\n";
  }
  for (const std::string &call : calls)
    line() << call << "\n";
  os << "}\n";
  return success(ok);
}

/// The constant arrays, one per memref.global the function reads.
LogicalResult printWeights(ModuleOp module, llvm::raw_ostream &os) {
  bool ok = true;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    MemRefType type = global.getType();
    std::string element = typeName(type.getElementType());
    int64_t count = type.getNumElements();
    std::string initializer;
    llvm::raw_string_ostream init(initializer);
    int64_t i = 0;
    bool readable = !element.empty() && forEachElementBits(global.getInitialValueAttr(), count,
                                                           [&](const llvm::APInt &bits) {
      init << (i % 16 ? ", " : (i ? ",\n  " : "\n  "));
      if (auto real = dyn_cast<FloatType>(type.getElementType()))
        init << floatLiteral(llvm::APFloat(real.getFloatSemantics(), bits), real.isF32());
      else
        init << integerLiteral(bits, bits.getBitWidth());
      ++i;
    });
    if (!readable) {
      global.emitError() << "unsupported on the HLS target: the constant '" << global.getSymName()
                         << "' (" << type << ") has no C++ initializer";
      ok = false;
      continue;
    }
    os << "static " << (global.getConstant() ? "const " : "") << element << " w_"
       << cIdentifier(global.getSymName()) << "[" << std::max<int64_t>(1, count) << "] = {"
       << initializer;
    os << "\n};\n\n";
  }
  return success(ok);
}

std::string substitute(llvm::StringRef text,
                       llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> values) {
  std::string out = text.str();
  for (auto [key, value] : values)
    for (size_t at; (at = out.find(key.str())) != std::string::npos;)
      out.replace(at, key.size(), value);
  return out;
}

/// How the testbench holds a tensor of ONNX element type `dtype`: the C++
/// type of its golden arrays (integers as long long, whatever their width)
/// and the size of one element in the golden bytes; none for other types.
struct GoldenElement {
  const char *type;
  size_t bytes;
  bool isFloat, isSigned;
};

std::optional<GoldenElement> goldenElement(int32_t dtype) {
  switch (dtype) {
  case LEPTON_FLOAT32: return GoldenElement{"float", 4, true, true};
  case LEPTON_FLOAT64: return GoldenElement{"double", 8, true, true};
  case LEPTON_BOOL: return GoldenElement{"bool", 1, false, false};
  case LEPTON_INT8: return GoldenElement{"long long", 1, false, true};
  case LEPTON_UINT8: return GoldenElement{"long long", 1, false, false};
  case LEPTON_INT16: return GoldenElement{"long long", 2, false, true};
  case LEPTON_UINT16: return GoldenElement{"long long", 2, false, false};
  case LEPTON_INT32: return GoldenElement{"long long", 4, false, true};
  case LEPTON_UINT32: return GoldenElement{"long long", 4, false, false};
  case LEPTON_INT64: return GoldenElement{"long long", 8, false, true};
  case LEPTON_UINT64: return GoldenElement{"long long", 8, false, false};
  default: return std::nullopt;
  }
}

/// The elements of `bytes` as C++ literals of `element`'s golden type.
std::string goldenArray(const std::vector<char> &bytes, const GoldenElement &element) {
  std::string text;
  for (size_t i = 0, n = bytes.size() / element.bytes; i < n; ++i) {
    const char *at = bytes.data() + i * element.bytes;
    text += i % 8 ? ", " : (i ? ",\n    " : "\n    ");
    if (element.isFloat && element.bytes == 4) {
      float v;
      std::memcpy(&v, at, 4);
      text += floatLiteral(llvm::APFloat(v), /*single=*/true);
    } else if (element.isFloat) {
      double v;
      std::memcpy(&v, at, 8);
      text += floatLiteral(llvm::APFloat(v), /*single=*/false);
    } else {
      uint64_t raw = 0;
      std::memcpy(&raw, at, element.bytes); // little-endian host
      llvm::APInt bits(8 * element.bytes, raw);
      // Bits of unsigned 64-bit values past INT64_MAX keep their pattern.
      int64_t v = element.isSigned ? bits.getSExtValue() : int64_t(bits.getZExtValue());
      text += llvm::StringRef(element.type) == "bool"
                  ? (v ? "true" : "false")
                  : integerLiteral(llvm::APInt(64, uint64_t(v), true), 64);
    }
  }
  return text;
}

} // namespace

FailureOr<std::map<std::string, std::string>>
emitProject(ModuleOp module, const ModelSignature &signature, const HLSOptions &options,
            const GoldenVectors &golden) {
  auto func = module.lookupSymbol<func::FuncOp>(options.name);
  if (!func)
    return module.emitError() << "no function '" << options.name << "' to emit";
  std::map<std::string, std::string> files;
  const std::string &name = options.name;
  std::string banner = "// Generated by Lepton (leptonc --target=hls) for HLS library version " +
                       std::to_string(kLibraryVersion) + ".\n";

  std::string weights = banner + "#ifndef " + name + "_WEIGHTS_H\n#define " + name +
                        "_WEIGHTS_H\n\n#include \"lepton_hls.h\"\n\n";
  {
    llvm::raw_string_ostream os(weights);
    if (failed(printWeights(module, os)))
      return failure();
    os << "#endif\n";
  }
  std::string design = banner + "#include \"" + name + ".h\"\n#include \"" + name +
                       "_weights.h\"\n\nstatic_assert(LEPTON_HLS_LIBRARY_VERSION == " +
                       std::to_string(kLibraryVersion) +
                       ", \"this design needs version " + std::to_string(kLibraryVersion) +
                       " of hls/lepton_hls.h\");\n\n";
  std::string prototype;
  {
    llvm::raw_string_ostream os(design);
    FunctionPrinter printer(module, os);
    if (failed(printer.print(func, signature, options, prototype)))
      return failure();
  }

  // The AXI wrapper a block design instantiates: m_axi data, s_axilite control.
  std::string wrapper = banner + "#include \"" + name + ".h\"\n\n";
  std::string wrapperPrototype = "void " + name + "_axi(";
  std::string copyIn, call = "  " + name + "(", copyOut, locals;
  auto tensors = [&](auto fn) {
    size_t i = 0;
    for (const TensorSignature &t : signature.inputs)
      fn(t, true, i++);
    for (const TensorSignature &t : signature.outputs)
      fn(t, false, i++);
  };
  std::vector<std::string> portNames;
  tensors([&](const TensorSignature &t, bool input, size_t i) {
    auto type = cast<MemRefType>(func.getArgument(i).getType());
    std::string element = portType(type, t);
    int64_t n = type.getNumElements();
    std::string port = "p" + std::to_string(i);
    wrapperPrototype += (i ? ", " : "") + std::string(input ? "const " : "") + element + " *" + port;
    locals += "  " + element + " " + port + "_local[" + std::to_string(n) + "];\n";
    std::string copy = "  for (int i = 0; i < " + std::to_string(n) + "; ++i) {\n#pragma HLS PIPELINE II=1\n    ";
    if (input)
      copyIn += copy + port + "_local[i] = " + port + "[i];\n  }\n";
    else
      copyOut += copy + port + "[i] = " + port + "_local[i];\n  }\n";
    call += (i ? ", " : "") + port + "_local";
    portNames.push_back(port);
  });
  wrapperPrototype += ")";
  wrapper += wrapperPrototype + " {\n";
  tensors([&](const TensorSignature &, bool, size_t i) {
    auto type = cast<MemRefType>(func.getArgument(i).getType());
    wrapper += "#pragma HLS INTERFACE mode=m_axi port=" + portNames[i] +
               " offset=slave bundle=gmem" + std::to_string(i) + " depth=" +
               std::to_string(type.getNumElements()) + "\n";
    wrapper += "#pragma HLS INTERFACE mode=s_axilite port=" + portNames[i] + "\n";
  });
  wrapper += "#pragma HLS INTERFACE mode=s_axilite port=return\n" + locals + copyIn + call +
             ");\n" + copyOut + "}\n";

  // What the integers of quantized ports stand for.
  std::string portNotes;
  tensors([&](const TensorSignature &t, bool input, size_t i) {
    if (!t.scale)
      return;
    unsigned bits = cast<MemRefType>(func.getArgument(i).getType()).getElementTypeBitWidth();
    int exponent;
    bool fixedPoint = t.zeroPoint == 0 && std::frexp(*t.scale, &exponent) == 0.5;
    portNotes += "//   " + std::string(input ? "input " : "output ") + t.name + ": ";
    if (fixedPoint)
      portNotes += "the bits of an ap_fixed<" + std::to_string(bits) + "," +
                   std::to_string(int(bits) + exponent - 1) + ">, value = q * 2^" +
                   std::to_string(exponent - 1) + "\n";
    else
      portNotes += llvm::formatv("value = (q - {0}) * {1:e}\n", t.zeroPoint, *t.scale).str();
  });
  if (!portNotes.empty())
    portNotes = "// Quantized ports: each integer q stands for a real value.\n" + portNotes;
  std::string header = banner + "#ifndef " + name + "_H\n#define " + name +
                       "_H\n\n#include \"lepton_hls.h\"\n\n// The design (" + options.io +
                       " io, reuse factor " + std::to_string(options.reuseFactor) + ").\n" +
                       portNotes + prototype + ";\n\n// The same behind m_axi data ports and s_axilite control, for a block design.\n" +
                       wrapperPrototype + ";\n\n#endif\n";

  // The testbench: every golden input set through the design, compared with
  // the CPU backend's outputs.
  std::string data = banner + "// Inputs and the outputs of Lepton's CPU backend.\n";
  size_t sets = golden.inputs.size();
  data += "static const int kSets = " + std::to_string(sets) + ";\n";
  std::string declare, feed, compare, args;
  bool ok = true;
  tensors([&](const TensorSignature &t, bool input, size_t i) {
    size_t tensor = input ? i : i - signature.inputs.size();
    auto type = cast<MemRefType>(func.getArgument(i).getType());
    std::optional<GoldenElement> element = goldenElement(t.dtype);
    if (!element) {
      func.emitError() << "unsupported on the HLS target: the testbench has no form for "
                       << (input ? "input" : "output") << " '" << t.name << "' of type "
                       << type.getElementType();
      ok = false;
      return;
    }
    std::string array = (input ? "kInput" : "kOutput") + std::to_string(tensor);
    std::string n = std::to_string(type.getNumElements());
    data += std::string("static const ") + element->type + " " + array + "[" +
            std::to_string(sets) + "][" + n + "] = {";
    for (size_t s = 0; s < sets; ++s) {
      const auto &bytes = input ? golden.inputs[s][tensor] : golden.outputs[s][tensor];
      data += std::string(s ? "," : "") + "\n  {" + goldenArray(bytes, *element) + "}";
    }
    data += "};\n";
    std::string var = (input ? "in" : "out") + std::to_string(tensor);
    declare += "    static " + portType(type, t) + " " + var + "[" + n + "];\n";
    if (input)
      feed += "    for (int i = 0; i < " + n + "; ++i) " + var + "[i] = " + array + "[s][i];\n";
    else
      compare += std::string("    failures += ") + (element->isFloat ? "compareReal" : "compareExact") +
                 "(\"" + t.name + "\", s, " + var + ", " + array + "[s], " + n + ");\n";
    args += (i ? ", " : "") + var;
  });
  if (!ok)
    return failure();
  std::string testbench = substitute(
      libraryFile("testbench.cpp"),
      {{"@BANNER@", banner},
       {"@NAME@", name},
       {"@EXACT@", golden.exact ? "1" : "0"},
       {"@TOLERANCE@", llvm::formatv("{0:e}", golden.tolerance).str()},
       {"@DECLARE@", declare},
       {"@FEED@", feed},
       {"@CALL@", "    " + name + "(" + args + ");\n"},
       {"@COMPARE@", compare}});

  const FpgaPart *part = findPart(options.part);
  std::vector<std::pair<llvm::StringRef, std::string>> script = {
      {"@NAME@", name},
      {"@PART@", options.part},
      {"@CLOCK@", llvm::formatv("{0}", options.clockNs).str()},
      {"@FAMILY@", part ? part->family : "unknown"},
      {"@BOARD@", part ? part->board : ""}};
  files[name + ".cpp"] = design;
  files[name + ".h"] = header;
  files[name + "_weights.h"] = weights;
  files[name + "_axi.cpp"] = wrapper;
  files[name + "_tb.cpp"] = testbench;
  files[name + "_tb_data.h"] = data;
  files["hls/lepton_hls.h"] = libraryFile("lepton_hls.h").str();
  files["hls/lepton_ap_int.h"] = libraryFile("lepton_ap_int.h").str();
  files["build_prj.tcl"] = substitute(libraryFile("build_prj.tcl"), script);
  files["vivado_bitstream.tcl"] = substitute(libraryFile("vivado_bitstream.tcl"), script);
  files["csim.sh"] = substitute(libraryFile("csim.sh"), script);
  return files;
}

} // namespace lepton::hls
