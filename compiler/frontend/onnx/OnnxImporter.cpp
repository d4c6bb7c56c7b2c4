//===- OnnxImporter.cpp - ONNX model -> nn dialect ------------------------===//
//
// Nodes are imported generically: the op table below maps an ONNX op type to
// an nn op, ONNX attributes become MLIR attributes under their ONNX names, and
// result types come from the nn op's own type inference (checked against
// ONNX shape inference). Opset differences are normalised by small per-op
// hooks, so adding an op is one table entry plus its lowering.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/onnx/OnnxImporter.h"
#include "compiler/frontend/onnx/TensorProto.h"
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;

namespace onnx::checker {
// Exported by libonnx 1.12 but missing from its header: the in-memory check
// with a context, which resolves external data against the model's directory
// (the path form would parse the whole file, weights and all, a second time).
void check_model(const ModelProto &model, CheckerContext &ctx);
} // namespace onnx::checker

namespace lepton::onnx {
namespace {

using ::onnx::AttributeProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

/// Tensors with at most this many elements are stored inline as dense
/// attributes (readable, foldable); larger ones as dense resources.
constexpr int64_t kInlineElements = 64;

/// What a per-op hook sees and may change before the op is built.
struct NodeContext {
  const NodeProto &node;
  int64_t opset;
  OpBuilder &builder;
  Location loc;
  SmallVector<Value> &operands;
  NamedAttrList &attrs;
  std::string error; // set by a hook to reject the node as unsupported
};

using NodeHook = bool (*)(NodeContext &);

struct OpEntry {
  const char *onnxType;
  const char *nnName;
  int numInputs; // operands after padding absent inputs with none; -1: variadic
  NodeHook hook = nullptr;
};

/// An elements attribute of `tensor`'s type holding `bytes`: inline when
/// small (readable, foldable), else a dense resource blob, never printed or
/// parsed as text, that keeps the bytes where they are.
ElementsAttr elementsFor(MLIRContext *ctx, const HostTensor &tensor, TensorBytes bytes,
                         StringRef resourceName) {
  Type element = nn::onnxElementType(ctx, tensor.dtype);
  auto type = RankedTensorType::get(tensor.shape, element);
  ArrayRef<char> data(bytes.data, bytes.size);
  if (element.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (type.getNumElements() <= kInlineElements ||
      !llvm::isAddrAligned(llvm::Align(alignof(uint64_t)), data.data()))
    return DenseElementsAttr::getFromRawBuffer(type, data);
  AsmResourceBlob blob(
      data, alignof(uint64_t), [owner = std::move(bytes.owner)](void *, size_t, size_t) {},
      /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, resourceName, std::move(blob));
}

ElementsAttr elementsFor(MLIRContext *ctx, HostTensor &tensor, StringRef resourceName) {
  auto buffer = std::make_shared<std::vector<char>>(std::move(tensor.data));
  return elementsFor(ctx, tensor, {buffer->data(), buffer->size(), buffer}, resourceName);
}

//===----------------------------------------------------------------------===//
// Per-op hooks: opset differences and attributes inference does not need
//===----------------------------------------------------------------------===//

Value scalarConstant(NodeContext &c, Type element, float value) {
  auto type = RankedTensorType::get({}, element);
  auto attr = DenseElementsAttr::get(type, c.builder.getFloatAttr(element, value));
  return c.builder.create<nn::ConstantOp>(c.loc, cast<ElementsAttr>(attr));
}

/// A 1-D int64 constant (pads, axes, shapes that were attributes or are
/// derived by a hook).
Value i64Vector(NodeContext &c, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, c.builder.getI64Type());
  return c.builder.create<nn::ConstantOp>(
      c.loc, cast<ElementsAttr>(DenseElementsAttr::get(type, values)));
}

bool softmaxHook(NodeContext &c) {
  // Before opset 13 Softmax flattens to 2-D at `axis`, whose default is 1.
  if (c.opset < 13) {
    if (!c.attrs.get("axis"))
      c.attrs.set("axis", c.builder.getI64IntegerAttr(1));
    c.attrs.set("coerce_2d", c.builder.getBoolAttr(true));
  }
  return true;
}

bool clipHook(NodeContext &c) {
  if (c.opset >= 11)
    return true;
  // Opset 6-10: the bounds are float attributes.
  Type element = cast<RankedTensorType>(c.operands[0].getType()).getElementType();
  for (const char *bound : {"min", "max"}) {
    Attribute attr = c.attrs.erase(bound);
    if (!attr) {
      c.operands.push_back(c.builder.create<nn::NoneOp>(c.loc));
      continue;
    }
    c.operands.push_back(scalarConstant(
        c, element, cast<FloatAttr>(attr).getValue().convertToFloat()));
  }
  return true;
}

bool dropoutHook(NodeContext &c) {
  for (const char *name : {"ratio", "seed"})
    c.attrs.erase(name);
  // Opset 12+: training_mode is an input; only a constant false is inference.
  if (c.operands.size() > 2 && !isa<NoneType>(c.operands[2].getType())) {
    auto mode = nn::getConstantIntValues(c.operands[2]);
    if (!mode || llvm::any_of(*mode, [](int64_t v) { return v != 0; })) {
      c.error = "training mode";
      return false;
    }
  }
  if (auto isTest = c.attrs.erase("is_test"))
    if (cast<IntegerAttr>(isTest).getInt() == 0) {
      c.error = "training mode (is_test=0)";
      return false;
    }
  return true;
}

bool batchNormHook(NodeContext &c) {
  if (Attribute spatial = c.attrs.erase("spatial");
      spatial && cast<IntegerAttr>(spatial).getInt() != 1) {
    c.error = "attribute spatial=0";
    return false;
  }
  // Before opset 14 training outputs (saved mean/var) came without the
  // attribute; those models are inference graphs whose extra outputs are unused.
  return true;
}

bool constantHook(NodeContext &c) {
  // Opset 12 added scalar and list forms of the value.
  if (Attribute f = c.attrs.erase("value_float")) {
    auto type = RankedTensorType::get({}, c.builder.getF32Type());
    c.attrs.set("value", DenseElementsAttr::get(type, f));
  } else if (Attribute i = c.attrs.erase("value_int")) {
    auto type = RankedTensorType::get({}, c.builder.getI64Type());
    c.attrs.set("value", DenseElementsAttr::get(type, i));
  } else if (Attribute fs = c.attrs.erase("value_floats")) {
    ArrayRef<float> values = cast<DenseF32ArrayAttr>(fs).asArrayRef();
    auto type = RankedTensorType::get({(int64_t)values.size()}, c.builder.getF32Type());
    c.attrs.set("value", DenseElementsAttr::get(type, values));
  } else if (Attribute is = c.attrs.erase("value_ints")) {
    ArrayRef<int64_t> values = cast<DenseI64ArrayAttr>(is).asArrayRef();
    auto type = RankedTensorType::get({(int64_t)values.size()}, c.builder.getI64Type());
    c.attrs.set("value", DenseElementsAttr::get(type, values));
  }
  if (!c.attrs.get("value")) {
    c.error = "only tensor, float(s) and int(s) values are supported";
    return false;
  }
  return true;
}

bool padHook(NodeContext &c) {
  if (c.opset >= 11)
    return true;
  // Opset 2-10: pads and value are attributes.
  Attribute pads = c.attrs.erase("pads");
  if (!pads) {
    c.error = "missing pads";
    return false;
  }
  c.operands.push_back(i64Vector(c, cast<DenseI64ArrayAttr>(pads).asArrayRef()));
  Attribute value = c.attrs.erase("value");
  Type element = cast<RankedTensorType>(c.operands[0].getType()).getElementType();
  if (value && !isa<FloatType>(element)) {
    c.error = "a pad value on a non-float tensor";
    return false;
  }
  c.operands.push_back(value ? scalarConstant(c, element,
                                              cast<FloatAttr>(value).getValueAsDouble())
                             : Value(c.builder.create<nn::NoneOp>(c.loc)));
  return true;
}

bool preluHook(NodeContext &c) {
  // Models converted from opset 6 keep a per-channel [C] slope that numpy
  // broadcasting cannot place; give it the [C, 1, ...] shape it meant.
  auto x = cast<RankedTensorType>(c.operands[0].getType());
  auto slope = cast<RankedTensorType>(c.operands[1].getType());
  if (nn::broadcastShapes(x.getShape(), slope.getShape()) || slope.getRank() != 1 ||
      x.getRank() < 2 || slope.getDimSize(0) != x.getDimSize(1))
    return true;
  SmallVector<int64_t> shape(x.getRank() - 1, 1);
  shape[0] = slope.getDimSize(0);
  c.operands[1] = c.builder.create<nn::ReshapeOp>(c.loc, c.operands[1], i64Vector(c, shape));
  return true;
}

/// Moves the int-list attributes `names` to trailing inputs (absent ones
/// become none), for ops whose attributes became inputs in a later opset.
void attributesToInputs(NodeContext &c, ArrayRef<const char *> names) {
  for (const char *name : names) {
    Attribute attr = c.attrs.erase(name);
    c.operands.push_back(attr ? i64Vector(c, cast<DenseI64ArrayAttr>(attr).asArrayRef())
                              : Value(c.builder.create<nn::NoneOp>(c.loc)));
  }
}

bool axesHook(NodeContext &c) {
  // Axes were an attribute before they became an input (ReduceSum, Squeeze
  // and Unsqueeze from opset 13, the other reductions from 18).
  if (c.attrs.get("axes"))
    attributesToInputs(c, {"axes"});
  return true;
}

bool splitHook(NodeContext &c) {
  if (c.opset < 13)
    attributesToInputs(c, {"split"});
  if (!c.attrs.get("num_outputs"))
    c.attrs.set("num_outputs", c.builder.getI64IntegerAttr(c.node.output_size()));
  return true;
}

bool sliceHook(NodeContext &c) {
  if (c.opset < 10)
    attributesToInputs(c, {"starts", "ends", "axes"});
  return true;
}

bool topKHook(NodeContext &c) {
  if (c.opset < 10)
    if (Attribute k = c.attrs.erase("k"))
      c.operands.push_back(i64Vector(c, {cast<IntegerAttr>(k).getInt()}));
  return true;
}

/// Resize before opset 11 and Upsample: (X, scales), asymmetric coordinates
/// and nearest rounding down; Upsample 7 has scales as an attribute.
bool resizeHook(NodeContext &c) {
  bool legacy = c.node.op_type() == "Upsample" || c.opset < 11;
  if (!legacy)
    return true;
  if (Attribute scales = c.attrs.erase("scales")) {
    auto values = cast<DenseF32ArrayAttr>(scales).asArrayRef();
    auto type = RankedTensorType::get({(int64_t)values.size()}, c.builder.getF32Type());
    c.operands.push_back(c.builder.create<nn::ConstantOp>(
        c.loc, DenseElementsAttr::get(type, values)));
  }
  if (c.operands.size() != 2) {
    c.error = "expects X and scales";
    return false;
  }
  c.operands.insert(c.operands.begin() + 1, c.builder.create<nn::NoneOp>(c.loc));
  if (auto mode = c.attrs.getNamed("mode"))
    if (cast<StringAttr>(mode->getValue()).getValue() == "bilinear")
      c.attrs.set("mode", c.builder.getStringAttr("linear"));
  c.attrs.set("coordinate_transformation_mode", c.builder.getStringAttr("asymmetric"));
  c.attrs.set("nearest_mode", c.builder.getStringAttr("floor"));
  return true;
}

/// MaxPool computes its Indices output only when the model names it.
bool maxPoolHook(NodeContext &c) {
  if (c.node.output_size() > 1 && !c.node.output(1).empty())
    c.attrs.set("indices_output", c.builder.getBoolAttr(true));
  return true;
}

/// The supported ONNX ops. Attributes keep their ONNX names; see NNOps.td.
const OpEntry kOpTable[] = {
    {"Add", "add", 2},
    {"Sub", "sub", 2},
    {"Mul", "mul", 2},
    {"Div", "div", 2},
    {"Relu", "relu", 1},
    {"Abs", "abs", 1},
    {"Neg", "neg", 1},
    {"Exp", "exp", 1},
    {"Log", "log", 1},
    {"Sqrt", "sqrt", 1},
    {"Reciprocal", "reciprocal", 1},
    {"Floor", "floor", 1},
    {"Ceil", "ceil", 1},
    {"Round", "round", 1},
    {"Sin", "sin", 1},
    {"Cos", "cos", 1},
    {"Tan", "tan", 1},
    {"Asin", "asin", 1},
    {"Acos", "acos", 1},
    {"Atan", "atan", 1},
    {"Sinh", "sinh", 1},
    {"Cosh", "cosh", 1},
    {"Asinh", "asinh", 1},
    {"Acosh", "acosh", 1},
    {"Atanh", "atanh", 1},
    {"Erf", "erf", 1},
    {"Sign", "sign", 1},
    {"Softplus", "softplus", 1},
    {"Softsign", "softsign", 1},
    {"HardSwish", "hard_swish", 1},
    {"Mish", "mish", 1},
    {"Not", "not", 1},
    {"Elu", "elu", 1},
    {"Celu", "celu", 1},
    {"Selu", "selu", 1},
    {"HardSigmoid", "hard_sigmoid", 1},
    {"ThresholdedRelu", "thresholded_relu", 1},
    {"Shrink", "shrink", 1},
    {"InstanceNormalization", "instance_normalization", 3},
    {"LRN", "lrn", 1},
    {"CumSum", "cum_sum", 2},
    {"EyeLike", "eye_like", 1},
    {"GlobalMaxPool", "global_max_pool", 1},
    {"Pow", "pow", 2},
    {"PRelu", "prelu", 2, preluHook},
    {"And", "and", 2},
    {"Or", "or", 2},
    {"Xor", "xor", 2},
    {"Mod", "mod", 2},
    {"BitShift", "bit_shift", 2},
    {"Equal", "equal", 2},
    {"Less", "less", 2},
    {"LessOrEqual", "less_or_equal", 2},
    {"Greater", "greater", 2},
    {"GreaterOrEqual", "greater_or_equal", 2},
    {"Max", "max", -1},
    {"Min", "min", -1},
    {"Sum", "sum", -1},
    {"Mean", "mean", -1},
    {"Where", "where", 3},
    {"Cast", "cast", 1},
    {"CastLike", "cast_like", 2},
    {"IsNaN", "is_nan", 1},
    {"IsInf", "is_inf", 1},
    {"LogSoftmax", "log_softmax", 1, softmaxHook},
    {"LayerNormalization", "layer_normalization", 3},
    {"Squeeze", "squeeze", 2, axesHook},
    {"Unsqueeze", "unsqueeze", 2, axesHook},
    {"Shape", "shape", 1},
    {"Hardmax", "hardmax", 1, softmaxHook},
    {"Trilu", "trilu", 2},
    {"Gather", "gather", 2},
    {"Expand", "expand", 2},
    {"Tile", "tile", 2},
    {"ConstantOfShape", "constant_of_shape", 1},
    {"DepthToSpace", "depth_to_space", 1},
    {"SpaceToDepth", "space_to_depth", 1},
    {"Size", "size", 1},
    {"ReduceSum", "reduce_sum", 2, axesHook},
    {"ReduceMean", "reduce_mean", 2, axesHook},
    {"ReduceMax", "reduce_max", 2, axesHook},
    {"ReduceMin", "reduce_min", 2, axesHook},
    {"ReduceProd", "reduce_prod", 2, axesHook},
    {"ReduceL1", "reduce_l1", 2, axesHook},
    {"ReduceL2", "reduce_l2", 2, axesHook},
    {"ReduceLogSum", "reduce_log_sum", 2, axesHook},
    {"ReduceLogSumExp", "reduce_log_sum_exp", 2, axesHook},
    {"ReduceSumSquare", "reduce_sum_square", 2, axesHook},
    {"ArgMax", "arg_max", 1},
    {"ArgMin", "arg_min", 1},
    {"LeakyRelu", "leaky_relu", 1},
    {"Sigmoid", "sigmoid", 1},
    {"Tanh", "tanh", 1},
    {"Clip", "clip", 3, clipHook},
    {"Softmax", "softmax", 1, softmaxHook},
    {"BatchNormalization", "batch_normalization", 5, batchNormHook},
    {"Conv", "conv", 3},
    {"ConvTranspose", "conv_transpose", 3},
    {"MaxPool", "max_pool", 1, maxPoolHook},
    {"AveragePool", "average_pool", 1},
    {"GlobalAveragePool", "global_average_pool", 1},
    {"LpPool", "lp_pool", 1},
    {"GlobalLpPool", "global_lp_pool", 1},
    {"LpNormalization", "lp_normalization", 1},
    {"Gemm", "gemm", 3},
    {"MatMul", "mat_mul", 2},
    {"Flatten", "flatten", 1},
    {"Reshape", "reshape", 2},
    {"Transpose", "transpose", 1},
    {"Concat", "concat", -1},
    {"Split", "split", 2, splitHook},
    {"Slice", "slice", 5, sliceHook},
    {"TopK", "top_k", 2, topKHook},
    {"Range", "range", 3},
    {"GatherElements", "gather_elements", 2},
    {"GatherND", "gather_nd", 2},
    {"ScatterElements", "scatter_elements", 3},
    {"Scatter", "scatter_elements", 3},
    {"ScatterND", "scatter_nd", 3},
    {"NegativeLogLikelihoodLoss", "negative_log_likelihood_loss", 3},
    {"SoftmaxCrossEntropyLoss", "softmax_cross_entropy_loss", 3},
    {"Pad", "pad", 3, padHook},
    {"Identity", "identity", 1},
    {"Dropout", "dropout", 3, dropoutHook},
    {"Constant", "constant", 0, constantHook},
    {"Einsum", "einsum", -1},
    {"QuantizeLinear", "quantize_linear", 3},
    {"DequantizeLinear", "dequantize_linear", 3},
    {"DynamicQuantizeLinear", "dynamic_quantize_linear", 1},
    {"MatMulInteger", "mat_mul_integer", 4},
    {"ConvInteger", "conv_integer", 4},
    {"QLinearMatMul", "qlinear_mat_mul", 8},
    {"QLinearConv", "qlinear_conv", 9},
    {"OneHot", "one_hot", 3},
    {"RNN", "rnn", 6},
    {"GRU", "gru", 6},
    {"LSTM", "lstm", 8},
    {"MeanVarianceNormalization", "mean_variance_normalization", 1},
    {"GroupNormalization", "group_normalization", 3},
    {"Gelu", "gelu", 1},
    {"ReverseSequence", "reverse_sequence", 2},
    {"Resize", "resize", 4, resizeHook},
    {"Upsample", "resize", 4, resizeHook},
    {"GridSample", "grid_sample", 2},
    {"DFT", "dft", 2},
    {"Compress", "compress", 2},
    {"Det", "det", 1},
    {"NonZero", "non_zero", 1},
    {"MaxUnpool", "max_unpool", 3},
    {"NonMaxSuppression", "non_max_suppression", 5},
    {"HannWindow", "hann_window", 1},
    {"HammingWindow", "hamming_window", 1},
    {"BlackmanWindow", "blackman_window", 1},
    {"ai.onnx.preview.training.Adagrad", "adagrad", -1},
    {"ai.onnx.preview.training.Momentum", "momentum", -1},
    {"ai.onnx.preview.training.Adam", "adam", -1},
};

/// The op table entry of a node; ops of other domains than the default one
/// are listed as "domain.Op".
std::string qualifiedOpName(const NodeProto &node) {
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  return (defaultDomain ? "" : node.domain() + ".") + node.op_type();
}

const OpEntry *lookupOp(const NodeProto &node) {
  std::string name = qualifiedOpName(node);
  for (const OpEntry &e : kOpTable)
    if (name == e.onnxType)
      return &e;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class Importer {
public:
  Importer(MLIRContext &ctx, StringRef path, const InputShapes &shapes,
           std::optional<int64_t> batch, bool isolateLibonnx)
      : ctx(ctx), path(path.str()), baseDir(llvm::sys::path::parent_path(path).str()),
        shapes(shapes), batch(batch), isolateLibonnx(isolateLibonnx), builder(&ctx) {}

  OwningOpRef<ModuleOp> run(StringRef funcName);

private:
  Location fileLoc() { return FileLineColLoc::get(&ctx, path, 0, 0); }
  Location nodeLoc(const NodeProto &node, int index) {
    std::string name = node.name().empty()
                           ? node.op_type() + "#" + std::to_string(index)
                           : node.name();
    return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
  }

  bool load(::onnx::ModelProto &model);
  bool checkBeforeLibonnx(const ::onnx::GraphProto &graph, const llvm::StringSet<> &outer = {});
  bool runLibonnx(::onnx::ModelProto &model, int64_t declared);
  bool acceptLibonnxReply(::onnx::ModelProto &model, const std::string &reply, bool convert);
  bool pinShapes(::onnx::ModelProto &model);
  Type tensorType(const ::onnx::TypeProto &type, const std::string &name, Location loc);
  std::optional<NamedAttribute> convertAttribute(const AttributeProto &attr, Location loc);
  bool importNode(const NodeProto &node, int index);

  MLIRContext &ctx;
  std::string path, baseDir;
  const InputShapes &shapes;
  std::optional<int64_t> batch;
  bool isolateLibonnx;
  llvm::StringSet<> batchedInputs; // inputs whose symbolic leading dim took `batch`
  OpBuilder builder;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  llvm::StringMap<const ::onnx::TypeProto *> inferredTypes;
  llvm::StringSet<> consumed, poisoned;
  Value none;
  unsigned resourceCounter = 0;
};

bool Importer::load(::onnx::ModelProto &model) {
  // Parsed from the file as it is read: no copy of the whole file is held,
  // and the weights land once, in strings the initializers are moved from.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    emitError(fileLoc()) << "cannot open the model file";
    return false;
  }
  struct stat status;
  bool parsed = fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0 &&
                model.ParseFromFileDescriptor(fd);
  close(fd);
  if (!parsed) {
    emitError(fileLoc()) << "not an ONNX model (the protobuf does not parse)";
    return false;
  }
  int64_t declared = 0;
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      declared = imp.version();
  return checkBeforeLibonnx(model.graph()) && pinShapes(model) && runLibonnx(model, declared);
}

/// libonnx 1.12's checker, version converter and shape inference trust the
/// model they read, and malformed models crash them (docs/reliability.md has
/// the ones the fuzzer found). Unless `isolateLibonnx` is off (the fuzzer
/// runs them in-process, a hundred times faster), they run in a child
/// process, which sends back an error or the model with its inferred shapes;
/// a crash there becomes an error here instead of taking the compiler down.
bool Importer::runLibonnx(::onnx::ModelProto &model, int64_t declared) {
  bool convert = declared > 0 && declared < kMinOpset;
  auto passes = [&]() -> std::string {
    try {
      if (declared <= kMaxCheckedOpset) {
        // External data is checked against the model's directory.
        ::onnx::checker::CheckerContext checkerContext;
        checkerContext.set_model_dir(baseDir.empty() ? std::string() : baseDir + "/");
        ::onnx::checker::check_model(model, checkerContext);
      }
    } catch (const std::exception &e) {
      return "Ethe ONNX checker rejects the model: " + StringRef(e.what()).split('\n').first.str();
    }
    if (convert) {
      // Older models are upgraded by libonnx's version converter, which needs
      // the shapes of Gemm/Add inputs to rewrite their broadcast attributes.
      try {
        ::onnx::shape_inference::InferShapes(model);
        model = ::onnx::version_conversion::ConvertVersion(model, kMinOpset);
      } catch (const std::exception &e) {
        return "Eunsupported opset " + std::to_string(declared) + ": upgrading it to opset " +
               std::to_string(kMinOpset) + " failed: " +
               StringRef(e.what()).split('\n').first.str();
      }
    }
    try {
      ::onnx::shape_inference::InferShapes(model);
    } catch (const std::exception &e) {
      return std::string("EONNX shape inference failed: ") + e.what();
    }
    // Unless converted, the weights come back unchanged: keep the parent's.
    if (!convert)
      model.mutable_graph()->clear_initializer();
    std::string reply = "M";
    model.AppendToString(&reply);
    return reply;
  };

  std::string reply;
  if (!isolateLibonnx) {
    reply = passes();
    return acceptLibonnxReply(model, reply, convert);
  }
  int channel[2];
  if (pipe(channel) != 0) {
    emitError(fileLoc()) << "cannot create a pipe to run libonnx in: " << strerror(errno);
    return false;
  }
  pid_t child = fork();
  if (child < 0) {
    close(channel[0]);
    close(channel[1]);
    emitError(fileLoc()) << "cannot fork to run libonnx in: " << strerror(errno);
    return false;
  }
  if (child == 0) {
    close(channel[0]);
    std::string reply = passes();
    for (size_t done = 0; done < reply.size();) {
      ssize_t n = write(channel[1], reply.data() + done, reply.size() - done);
      if (n <= 0)
        _exit(1);
      done += n;
    }
    _exit(0);
  }
  close(channel[1]);
  char chunk[1 << 16];
  for (ssize_t n; (n = read(channel[0], chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    reply.append(chunk, n);
  }
  close(channel[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status)) {
    emitError(fileLoc()) << "invalid model: the ONNX library (libonnx) crashed reading it ("
                         << strsignal(WTERMSIG(status)) << ")";
    return false;
  }
  if (reply.empty() || WEXITSTATUS(status) != 0) {
    emitError(fileLoc()) << "checking the model with libonnx failed (exit status "
                         << WEXITSTATUS(status) << ")";
    return false;
  }
  return acceptLibonnxReply(model, reply, convert);
}

/// Takes libonnx's answer: an error, or the checked model with its inferred
/// shapes (without the weights unless the version converter rewrote them).
bool Importer::acceptLibonnxReply(::onnx::ModelProto &model, const std::string &reply,
                                  bool convert) {
  if (reply[0] == 'E') {
    emitError(fileLoc()) << StringRef(reply).drop_front();
    return false;
  }
  ::onnx::ModelProto inferred;
  if (!inferred.ParseFromArray(reply.data() + 1, reply.size() - 1)) {
    emitError(fileLoc()) << "libonnx returned a model that does not parse";
    return false;
  }
  if (!convert)
    inferred.mutable_graph()->mutable_initializer()->Swap(
        model.mutable_graph()->mutable_initializer());
  model.Swap(&inferred);
  return true;
}

/// Rules libonnx 1.12 assumes without checking (its version converter
/// follows every graph output to a producer, its shape inference divides by
/// strides), checked before it runs so that such models get an error that
/// names the problem: every graph output is produced (in subgraphs, possibly
/// by an enclosing graph) and window attributes are positive.
bool Importer::checkBeforeLibonnx(const ::onnx::GraphProto &graph,
                                  const llvm::StringSet<> &outer) {
  llvm::StringSet<> defined = outer;
  for (const auto &input : graph.input())
    defined.insert(input.name());
  for (const auto &initializer : graph.initializer())
    defined.insert(initializer.name());
  for (const auto &node : graph.node())
    for (const std::string &output : node.output())
      defined.insert(output);
  bool ok = true;
  for (const auto &output : graph.output())
    if (!defined.contains(output.name())) {
      emitError(fileLoc()) << "invalid model: graph output '" << output.name()
                           << "' is not produced by any node, input or initializer";
      ok = false;
    }
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    for (const auto &attribute : node.attribute())
      if ((attribute.name() == "strides" || attribute.name() == "dilations" ||
           attribute.name() == "kernel_shape") &&
          llvm::any_of(attribute.ints(), [](int64_t v) { return v <= 0; })) {
        emitError(nodeLoc(node, index)) << "invalid model: " << node.op_type() << " "
                                        << attribute.name() << " must be positive";
        ok = false;
      }
    for (const auto &attribute : node.attribute()) {
      if (attribute.has_g())
        ok &= checkBeforeLibonnx(attribute.g(), defined);
      for (const auto &subgraph : attribute.graphs())
        ok &= checkBeforeLibonnx(subgraph, defined);
    }
  }
  return ok;
}

/// Applies --shape: the named inputs take the given dims; a dim the model
/// fixes must keep its value.
bool Importer::pinShapes(::onnx::ModelProto &model) {
  auto *inputs = model.mutable_graph()->mutable_input();
  for (const auto &pinned : shapes) {
    const std::string &name = pinned.first;
    const std::vector<int64_t> &dims = pinned.second;
    auto input = llvm::find_if(*inputs, [&](const auto &in) { return in.name() == name; });
    if (input == inputs->end() || !input->type().has_tensor_type()) {
      emitError(fileLoc()) << "--shape names '" << name << "', which is not a tensor input";
      return false;
    }
    auto *shape = input->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (input->type().tensor_type().has_shape() && shape->dim_size() != (int)dims.size()) {
      emitError(fileLoc()) << "--shape gives input '" << name << "' rank " << dims.size()
                           << ", the model declares rank " << shape->dim_size();
      return false;
    }
    for (int d = 0; d < shape->dim_size(); ++d)
      if (shape->dim(d).has_dim_value() && shape->dim(d).dim_value() != dims[d]) {
        emitError(fileLoc()) << "--shape gives input '" << name << "' dim " << d << " = "
                             << dims[d] << ", the model fixes it to "
                             << shape->dim(d).dim_value();
        return false;
      }
    shape->clear_dim();
    for (int64_t size : dims)
      shape->add_dim()->set_dim_value(size);
  }
  if (!batch)
    return true;
  llvm::StringSet<> initializers;
  for (const auto &init : model.graph().initializer())
    initializers.insert(init.name());
  for (auto &input : *inputs) {
    if (shapes.count(input.name()) || initializers.contains(input.name()) ||
        !input.type().has_tensor_type() || !input.type().tensor_type().has_shape())
      continue;
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    bool leadingOnly = shape->dim_size() > 0 && !shape->dim(0).has_dim_value();
    for (int d = 1; d < shape->dim_size(); ++d)
      leadingOnly &= shape->dim(d).has_dim_value();
    if (!leadingOnly)
      continue;
    shape->mutable_dim(0)->set_dim_value(*batch);
    batchedInputs.insert(input.name());
  }
  return true;
}

Type Importer::tensorType(const ::onnx::TypeProto &type, const std::string &name,
                          Location loc) {
  if (!type.has_tensor_type()) {
    emitError(loc) << "unsupported value type: '" << name
                   << "' is not a tensor (sequence, map and optional values are "
                      "not supported)";
    return {};
  }
  const auto &tensor = type.tensor_type();
  Type element = nn::onnxElementType(&ctx, tensor.elem_type());
  if (!element) {
    emitError(loc) << "value '" << name << "' has an unsupported element type "
                   << dtypeName(tensor.elem_type());
    return {};
  }
  if (!tensor.has_shape()) {
    emitError(loc) << "value '" << name << "' has an unknown rank";
    return {};
  }
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                                                                : ShapedType::kDynamic);
  return RankedTensorType::get(shape, element);
}

std::optional<NamedAttribute> Importer::convertAttribute(const AttributeProto &attr,
                                                         Location loc) {
  Attribute value;
  switch (attr.type()) {
  case AttributeProto::INT:
    value = builder.getI64IntegerAttr(attr.i());
    break;
  case AttributeProto::FLOAT:
    value = builder.getF32FloatAttr(attr.f());
    break;
  case AttributeProto::STRING:
    value = builder.getStringAttr(attr.s());
    break;
  case AttributeProto::INTS:
    value = builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end()));
    break;
  case AttributeProto::FLOATS:
    value = builder.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end()));
    break;
  case AttributeProto::STRINGS: {
    SmallVector<StringRef> strings(attr.strings().begin(), attr.strings().end());
    value = builder.getStrArrayAttr(strings);
    break;
  }
  case AttributeProto::TENSOR: {
    HostTensor tensor;
    std::string error;
    if (!decodeTensor(attr.t(), baseDir, tensor, error)) {
      emitError(loc) << "attribute '" << attr.name() << "': " << error;
      return std::nullopt;
    }
    value = elementsFor(&ctx, tensor, "attr_" + std::to_string(resourceCounter++));
    break;
  }
  default:
    emitError(loc) << "unsupported attribute '" << attr.name() << "' of kind "
                   << AttributeProto::AttributeType_Name(attr.type());
    return std::nullopt;
  }
  return builder.getNamedAttr(attr.name(), value);
}

bool Importer::importNode(const NodeProto &node, int index) {
  Location loc = nodeLoc(node, index);
  const OpEntry *entry = lookupOp(node);
  // libonnx's checker verifies arity up to opset 17 only. Above it, its
  // newest schema may be older than the model's op (ReduceMean-18 takes axes
  // as an input), so only too few inputs or outputs are certain errors.
  const auto *schema = ::onnx::OpSchemaRegistry::Schema(node.op_type(), opset, node.domain());
  if (opset > kMaxCheckedOpset && schema &&
      (node.input_size() < schema->min_input() || node.output_size() < schema->min_output())) {
    emitError(loc) << "invalid model: " << node.op_type() << " takes at least "
                   << schema->min_input() << " inputs and " << schema->min_output()
                   << " outputs, got " << node.input_size() << " and " << node.output_size();
    return false;
  }
  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      operands.push_back(none);
      continue;
    }
    if (poisoned.contains(input))
      return false; // an earlier failure already explains this one
    Value v = values.lookup(input);
    if (!v) {
      emitError(loc) << "input '" << input << "' is not defined before use";
      return false;
    }
    operands.push_back(v);
  }
  NamedAttrList attrs;
  for (const AttributeProto &attr : node.attribute()) {
    auto named = convertAttribute(attr, loc);
    if (!named)
      return false;
    attrs.set(named->getName(), named->getValue());
  }
  NodeContext context{node, opset, builder, loc, operands, attrs, {}};
  if (entry->hook && !entry->hook(context)) {
    emitError(loc) << "unsupported " << node.op_type() << ": " << context.error;
    return false;
  }
  if (entry->numInputs >= 0) {
    if ((int)operands.size() > entry->numInputs) {
      emitError(loc) << node.op_type() << " takes at most " << entry->numInputs
                     << " inputs, got " << operands.size();
      return false;
    }
    while ((int)operands.size() < entry->numInputs)
      operands.push_back(none);
  }

  OperationName name(std::string("nn.") + entry->nnName, &ctx);
  auto registered = name.getRegisteredInfo();
  for (const NamedAttribute &attr : attrs)
    if (!llvm::is_contained(registered->getAttributeNames(), attr.getName())) {
      emitError(loc) << "unsupported " << node.op_type() << ": attribute '"
                     << attr.getName().getValue() << "'";
      return false;
    }
  DictionaryAttr dict = attrs.getDictionary(&ctx);
  SmallVector<Type> types;
  auto *infer = registered->getInterface<InferTypeOpInterface>();
  if (failed(infer->inferReturnTypes(&ctx, loc, operands, dict, OpaqueProperties(nullptr),
                                     RegionRange(), types)))
    return false;
  OperationState state(loc, name);
  state.addOperands(operands);
  state.addAttributes(dict.getValue());
  state.addTypes(types);
  Operation *op = builder.create(state);
  if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
    return false;
  // Outputs the nn op does not produce (MaxPool indices, training
  // statistics) must be unused.
  for (int i = op->getNumResults(); i < node.output_size(); ++i)
    if (!node.output(i).empty() && consumed.contains(node.output(i))) {
      emitError(loc) << "unsupported " << node.op_type() << ": output " << i << " ('"
                     << node.output(i) << "') is used";
      op->erase();
      return false;
    }
  // Fold as we go, so shape subgraphs are constants by the time a Reshape
  // or Expand needs them.
  SmallVector<Value> folded;
  if (!isa<nn::ConstantOp>(op) && succeeded(builder.tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    op = nullptr;
  }
  auto result = [&](int i) { return op ? op->getResult(i) : folded[i]; };
  int numResults = op ? op->getNumResults() : folded.size();
  for (int i = 0, e = std::min<int>(numResults, node.output_size()); i < e; ++i) {
    const std::string &out = node.output(i);
    if (out.empty())
      continue;
    // ONNX shape inference must agree wherever it knows the answer, and where
    // it knows more (a Reshape to a computed shape, say) the result takes it.
    if (const ::onnx::TypeProto *known = inferredTypes.lookup(out)) {
      auto expected = dyn_cast_or_null<RankedTensorType>(
          known->has_tensor_type() && known->tensor_type().has_shape()
              ? tensorType(*known, out, loc)
              : Type());
      auto actual = cast<RankedTensorType>(result(i).getType());
      if (expected && !nn::areCompatibleTensorTypes(expected, actual)) {
        emitError(loc) << "result " << i << " type " << actual
                       << " disagrees with ONNX shape inference " << expected;
        return false;
      }
      if (op && expected && !actual.hasStaticShape() && expected.hasStaticShape())
        op->getResult(i).setType(expected);
    }
    // The checker enforces single assignment, but models past its opsets skip it.
    if (values.contains(out)) {
      emitError(loc) << "value '" << out << "' is defined twice";
      return false;
    }
    values[out] = result(i);
  }
  return true;
}

OwningOpRef<ModuleOp> Importer::run(StringRef funcName) {
  ::onnx::ModelProto model;
  if (!load(model))
    return nullptr;
  const auto &graph = model.graph();

  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  // A model of only other domains' ops (the training preview ones) may
  // import no default opset.
  bool usesDefaultDomain = llvm::any_of(graph.node(), [](const NodeProto &n) {
    return n.domain().empty() || n.domain() == "ai.onnx";
  });
  if ((opset != 0 || usesDefaultDomain) && (opset < kMinOpset || opset > kMaxOpset)) {
    emitError(fileLoc()) << "unsupported opset " << opset << " (Lepton accepts "
                         << kMinOpset << " to " << kMaxOpset << ")";
    return nullptr;
  }
  if (graph.node_size() == 0 || graph.output_size() == 0) {
    emitError(fileLoc()) << "the graph is empty";
    return nullptr;
  }

  // Every unsupported op of the model, reported at once.
  bool supported = true;
  for (auto [i, node] : llvm::enumerate(graph.node())) {
    if (!lookupOp(node)) {
      emitError(nodeLoc(node, i)) << "unsupported ONNX op '" << qualifiedOpName(node)
                                  << "' (opset " << opset << ")";
      supported = false;
    }
    for (const std::string &input : node.input())
      consumed.insert(input);
  }
  if (!supported)
    return nullptr;
  for (const auto &out : graph.output())
    consumed.insert(out.name());
  for (const auto &info : graph.value_info())
    inferredTypes[info.name()] = &info.type();
  for (const auto &info : graph.output())
    inferredTypes[info.name()] = &info.type();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  builder.setInsertionPointToEnd(module->getBody());

  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<Attribute> argAttrs;
  bool ok = true;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue; // an initializer listed as input (IR version < 4 style)
    Type t = tensorType(input.type(), input.name(), fileLoc());
    ok &= static_cast<bool>(t);
    argTypes.push_back(t);
    NamedAttrList attrs;
    attrs.set("lepton.name", builder.getStringAttr(input.name()));
    if (batchedInputs.contains(input.name()))
      attrs.set("lepton.batch", builder.getUnitAttr());
    argAttrs.push_back(attrs.getDictionary(&ctx));
  }
  if (!ok)
    return nullptr;
  SmallVector<Type> resultTypes;
  auto func = builder.create<func::FuncOp>(fileLoc(), funcName,
                                           builder.getFunctionType(argTypes, {}));
  func.setAllArgAttrs(argAttrs);
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  none = builder.create<nn::NoneOp>(fileLoc());
  unsigned argIndex = 0;
  for (const auto &input : graph.input())
    if (!initializerNames.contains(input.name()))
      values[input.name()] = body->getArgument(argIndex++);

  // Weights move from the proto into their attributes without a copy.
  for (auto &init : *model.mutable_graph()->mutable_initializer()) {
    HostTensor tensor;
    TensorBytes bytes;
    std::string error;
    if (!takeTensorBytes(init, baseDir, tensor, bytes, error) ||
        !nn::onnxElementType(&ctx, tensor.dtype)) {
      emitError(fileLoc()) << "initializer '" << init.name() << "': "
                           << (error.empty() ? "unsupported element type" : error);
      return nullptr;
    }
    values[init.name()] = builder.create<nn::ConstantOp>(
        NameLoc::get(builder.getStringAttr(init.name()), fileLoc()),
        elementsFor(&ctx, tensor, std::move(bytes), "w" + std::to_string(resourceCounter++)));
  }

  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (!importNode(node, i)) {
      ok = false;
      for (const std::string &out : node.output())
        poisoned.insert(out);
    }
  if (!ok)
    return nullptr;

  SmallVector<Value> results;
  SmallVector<Attribute> resultAttrs;
  for (const auto &out : graph.output()) {
    Value v = values.lookup(out.name());
    if (!v) {
      emitError(fileLoc()) << "graph output '" << out.name() << "' is never produced";
      return nullptr;
    }
    results.push_back(v);
    resultTypes.push_back(v.getType());
    resultAttrs.push_back(builder.getDictionaryAttr(
        builder.getNamedAttr("lepton.name", builder.getStringAttr(out.name()))));
  }
  builder.create<func::ReturnOp>(fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  func.setAllResultAttrs(resultAttrs);
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importModel(MLIRContext &context, StringRef path,
                                  StringRef funcName, const InputShapes &shapes,
                                  std::optional<int64_t> batch, bool isolateLibonnx) {
  context.loadDialect<nn::NNDialect, func::FuncDialect>();
  return Importer(context, path, shapes, batch, isolateLibonnx).run(funcName);
}

} // namespace lepton::onnx
