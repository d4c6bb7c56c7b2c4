//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
#ifndef LEPTON_NN_OPS
#define LEPTON_NN_OPS

include "dialects/nn/NNDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// An ONNX input that may be absent is an operand of `none` type, produced by
// nn.none, so every ONNX input keeps its position.
def NN_Tensor : AnyTypeOf<[AnyRankedTensor]>;
def NN_OptTensor : AnyTypeOf<[AnyRankedTensor, NoneType]>;

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  // A result may be more static than inference alone derives (the importer
  // refines it from ONNX shape inference), so shapes need only be compatible.
  let extraClassDeclaration = [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange actual) {
      return ::lepton::nn::areCompatibleTensorTypes(inferred, actual);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

def NN_NoneOp : Op<NN_Dialect, "none", [Pure]> {
  let summary = "The absent value of an optional ONNX input";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
  let builders = [OpBuilder<(ins), [{
    build($_builder, $_state, $_builder.getNoneType());
  }]>];
}

def NN_ConstantOp : NN_Op<"constant", [ConstantLike]> {
  let summary = "ONNX Constant and initializers";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType])> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
}

def NN_ReluOp : NN_UnaryOp<"relu"> { let summary = "ONNX Relu"; }
def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> { let summary = "ONNX Sigmoid"; }
def NN_TanhOp : NN_UnaryOp<"tanh"> { let summary = "ONNX Tanh"; }
def NN_IdentityOp : NN_UnaryOp<"identity"> {
  let summary = "ONNX Identity";
  let hasFolder = 1;
}
def NN_GeluOp : NN_UnaryOp<"gelu"> {
  let summary = "ONNX Gelu (opset 20): x * Phi(x), exact (erf) or its tanh approximation";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
}
def NN_LeakyReluOp : NN_UnaryOp<"leaky_relu"> {
  let summary = "ONNX LeakyRelu";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<F32Attr, "0.01">:$alpha);
}

def NN_DropoutOp : NN_Op<"dropout"> {
  let summary = "ONNX Dropout in inference mode (the identity; the mask is all true)";
  let arguments = (ins NN_Tensor:$data, NN_OptTensor:$ratio,
                       NN_OptTensor:$training_mode);
  let results = (outs NN_Tensor:$output, NN_Tensor:$mask);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ClipOp : NN_Op<"clip"> {
  let summary = "ONNX Clip; absent bounds mean no bound";
  let arguments = (ins NN_Tensor:$input, NN_OptTensor:$min, NN_OptTensor:$max);
  let results = (outs NN_Tensor:$output);
  let hasVerifier = 1;
}

// Binary ops with multidirectional (numpy) broadcasting.
class NN_BinaryOp<string mnemonic> : NN_Op<mnemonic> {
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
}
// Add, Sub, Mul and Div fold on integer constants (shape arithmetic).
foreach op = [["Add", "add"], ["Sub", "sub"], ["Mul", "mul"], ["Div", "div"]] in
def NN_ # op[0] # Op : NN_BinaryOp<op[1]> {
  let summary = "ONNX " # op[0];
  let hasFolder = 1;
}

// Unary math with no attributes; each lowers to one scalar body.
foreach op = [["Abs", "abs"], ["Exp", "exp"], ["Log", "log"],
              ["Sqrt", "sqrt"], ["Reciprocal", "reciprocal"], ["Floor", "floor"],
              ["Ceil", "ceil"], ["Round", "round"], ["Sin", "sin"], ["Cos", "cos"],
              ["Tan", "tan"], ["Asin", "asin"], ["Acos", "acos"], ["Atan", "atan"],
              ["Sinh", "sinh"], ["Cosh", "cosh"], ["Asinh", "asinh"],
              ["Acosh", "acosh"], ["Atanh", "atanh"], ["Erf", "erf"],
              ["Sign", "sign"], ["Softplus", "softplus"], ["Softsign", "softsign"],
              ["HardSwish", "hard_swish"], ["Mish", "mish"], ["Not", "not"]] in
def NN_ # op[0] # Op : NN_UnaryOp<op[1]> {
  let summary = "ONNX " # op[0];
}

def NN_NegOp : NN_UnaryOp<"neg"> {
  let summary = "ONNX Neg";
  let hasFolder = 1;
}

// Activations with ONNX float attributes (names and defaults as in ONNX).
def NN_EluOp : NN_UnaryOp<"elu"> {
  let summary = "ONNX Elu";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}
def NN_CeluOp : NN_UnaryOp<"celu"> {
  let summary = "ONNX Celu";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}
def NN_SeluOp : NN_UnaryOp<"selu"> {
  let summary = "ONNX Selu";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma);
}
def NN_HardSigmoidOp : NN_UnaryOp<"hard_sigmoid"> {
  let summary = "ONNX HardSigmoid";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.5">:$beta);
}
def NN_ShrinkOp : NN_UnaryOp<"shrink"> {
  let summary = "ONNX Shrink";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<F32Attr, "0.5">:$lambd,
                       DefaultValuedAttr<F32Attr, "0.0">:$bias);
}
def NN_ThresholdedReluOp : NN_UnaryOp<"thresholded_relu"> {
  let summary = "ONNX ThresholdedRelu";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}

// More broadcasting binary ops with the operands' element type.
foreach op = [["Pow", "pow"], ["PRelu", "prelu"], ["And", "and"], ["Or", "or"],
              ["Xor", "xor"]] in
def NN_ # op[0] # Op : NN_BinaryOp<op[1]> {
  let summary = "ONNX " # op[0];
}
def NN_BitShiftOp : NN_BinaryOp<"bit_shift"> {
  let summary = "ONNX BitShift (unsigned; shifting by the width or more gives 0)";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs, StrAttr:$direction);
}
def NN_ModOp : NN_BinaryOp<"mod"> {
  let summary = "ONNX Mod (fmod=0: sign of the divisor, fmod=1: of the dividend)";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                       DefaultValuedAttr<I64Attr, "0">:$fmod);
}

// Comparisons: broadcasting, boolean (i1) result.
def NN_EqualOp : NN_BinaryOp<"equal"> {
  let summary = "ONNX Equal";
  let hasFolder = 1;
}
foreach op = [["Less", "less"], ["LessOrEqual", "less_or_equal"],
              ["Greater", "greater"], ["GreaterOrEqual", "greater_or_equal"]] in
def NN_ # op[0] # Op : NN_BinaryOp<op[1]> {
  let summary = "ONNX " # op[0];
}

// Variadic elementwise reductions over broadcast inputs.
foreach op = [["Max", "max"], ["Min", "min"], ["Sum", "sum"], ["Mean", "mean"]] in
def NN_ # op[0] # Op : NN_Op<op[1]> {
  let summary = "ONNX " # op[0] # " over one or more broadcast inputs";
  let arguments = (ins Variadic<NN_Tensor>:$inputs);
  let results = (outs NN_Tensor:$output);
}

def NN_WhereOp : NN_Op<"where"> {
  let summary = "ONNX Where: condition ? X : Y, broadcasting all three";
  let arguments = (ins NN_Tensor:$condition, NN_Tensor:$X, NN_Tensor:$Y);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

// Reductions over `axes` (an optional constant int64 tensor; absent or empty
// means all dims unless noop_with_empty_axes).
foreach op = [["ReduceSum", "reduce_sum"], ["ReduceMean", "reduce_mean"],
              ["ReduceMax", "reduce_max"], ["ReduceMin", "reduce_min"],
              ["ReduceProd", "reduce_prod"], ["ReduceL1", "reduce_l1"],
              ["ReduceL2", "reduce_l2"], ["ReduceLogSum", "reduce_log_sum"],
              ["ReduceLogSumExp", "reduce_log_sum_exp"],
              ["ReduceSumSquare", "reduce_sum_square"]] in
def NN_ # op[0] # Op : NN_Op<op[1]> {
  let summary = "ONNX " # op[0];
  let arguments = (ins NN_Tensor:$data, NN_OptTensor:$axes,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs NN_Tensor:$reduced);
}

foreach op = [["ArgMax", "arg_max"], ["ArgMin", "arg_min"]] in
def NN_ # op[0] # Op : NN_Op<op[1]> {
  let summary = "ONNX " # op[0] # " (int64 indices along one axis)";
  let arguments = (ins NN_Tensor:$data, DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs NN_Tensor:$reduced);
}

def NN_CastOp : NN_Op<"cast"> {
  let summary = "ONNX Cast (`to` is an ONNX TensorProto data type code)";
  let arguments = (ins NN_Tensor:$input, I64Attr:$to);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_CastLikeOp : NN_Op<"cast_like"> {
  let summary = "ONNX CastLike: cast to the element type of target_type";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$target_type);
  let results = (outs NN_Tensor:$output);
}

def NN_IsNaNOp : NN_Op<"is_nan"> {
  let summary = "ONNX IsNaN";
  let arguments = (ins NN_Tensor:$X);
  let results = (outs NN_Tensor:$Y);
}

def NN_IsInfOp : NN_Op<"is_inf"> {
  let summary = "ONNX IsInf";
  let arguments = (ins NN_Tensor:$X, DefaultValuedAttr<I64Attr, "1">:$detect_negative,
                       DefaultValuedAttr<I64Attr, "1">:$detect_positive);
  let results = (outs NN_Tensor:$Y);
}

def NN_LogSoftmaxOp : NN_Op<"log_softmax"> {
  let summary = "ONNX LogSoftmax (coerce_2d as for nn.softmax)";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$coerce_2d);
  let results = (outs NN_Tensor:$output);
}

def NN_LayerNormalizationOp : NN_Op<"layer_normalization"> {
  let summary = "ONNX LayerNormalization over the dims from `axis` on";
  let description = [{
    Mean and InvStdDev keep the normalised dims with size 1 and have the
    stash type (float32 for 16-bit inputs with stash_type=1).
  }];
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$Scale, NN_OptTensor:$B,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs NN_Tensor:$Y, NN_Tensor:$Mean, NN_Tensor:$InvStdDev);
}

def NN_SqueezeOp : NN_Op<"squeeze"> {
  let summary = "ONNX Squeeze (absent axes: every size-1 dim)";
  let arguments = (ins NN_Tensor:$data, NN_OptTensor:$axes);
  let results = (outs NN_Tensor:$squeezed);
  let hasFolder = 1;
}

def NN_UnsqueezeOp : NN_Op<"unsqueeze"> {
  let summary = "ONNX Unsqueeze (axes index the output)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$axes);
  let results = (outs NN_Tensor:$expanded);
  let hasFolder = 1;
}

def NN_ShapeOp : NN_Op<"shape"> {
  let summary = "ONNX Shape (dims [start, end)); folds to a constant for static shapes";
  let arguments = (ins NN_Tensor:$data, OptionalAttr<I64Attr>:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs NN_Tensor:$shape);
  let hasFolder = 1;
}

def NN_SizeOp : NN_Op<"size"> {
  let summary = "ONNX Size; folds to a constant for static shapes";
  let arguments = (ins NN_Tensor:$data);
  let results = (outs NN_Tensor:$size);
  let hasFolder = 1;
}

def NN_HardmaxOp : NN_Op<"hardmax"> {
  let summary = "ONNX Hardmax: 1 at the first maximum along axis (coerce_2d as for nn.softmax)";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$coerce_2d);
  let results = (outs NN_Tensor:$output);
}

def NN_TriluOp : NN_Op<"trilu"> {
  let summary = "ONNX Trilu over the last two dims; k may be computed at run time";
  let arguments = (ins NN_Tensor:$input, NN_OptTensor:$k,
                       DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs NN_Tensor:$output);
}

def NN_GatherOp : NN_Op<"gather"> {
  let summary = "ONNX Gather (indices may be computed at run time; negatives wrap)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_GatherElementsOp : NN_Op<"gather_elements"> {
  let summary = "ONNX GatherElements (negative indices wrap)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$output);
}

def NN_GatherNDOp : NN_Op<"gather_nd"> {
  let summary = "ONNX GatherND";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs NN_Tensor:$output);
}

def NN_ScatterElementsOp : NN_Op<"scatter_elements"> {
  let summary = "ONNX ScatterElements (and the older Scatter)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices, NN_Tensor:$updates,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs NN_Tensor:$output);
}

def NN_ScatterNDOp : NN_Op<"scatter_nd"> {
  let summary = "ONNX ScatterND";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices, NN_Tensor:$updates,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs NN_Tensor:$output);
}

def NN_NegativeLogLikelihoodLossOp : NN_Op<"negative_log_likelihood_loss"> {
  let summary = "ONNX NegativeLogLikelihoodLoss over [N, C, d...] inputs";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$target, NN_OptTensor:$weight,
                       OptionalAttr<I64Attr>:$ignore_index,
                       DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction);
  let results = (outs NN_Tensor:$loss);
}

def NN_SoftmaxCrossEntropyLossOp : NN_Op<"softmax_cross_entropy_loss"> {
  let summary = "ONNX SoftmaxCrossEntropyLoss: the loss and the log-probabilities";
  let arguments = (ins NN_Tensor:$scores, NN_Tensor:$labels, NN_OptTensor:$weights,
                       OptionalAttr<I64Attr>:$ignore_index,
                       DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction);
  let results = (outs NN_Tensor:$output, NN_Tensor:$log_prob);
}

def NN_DepthToSpaceOp : NN_Op<"depth_to_space"> {
  let summary = "ONNX DepthToSpace (mode DCR or CRD)";
  let arguments = (ins NN_Tensor:$input, I64Attr:$blocksize,
                       DefaultValuedAttr<StrAttr, "\"DCR\"">:$mode);
  let results = (outs NN_Tensor:$output);
}

def NN_SpaceToDepthOp : NN_Op<"space_to_depth"> {
  let summary = "ONNX SpaceToDepth";
  let arguments = (ins NN_Tensor:$input, I64Attr:$blocksize);
  let results = (outs NN_Tensor:$output);
}

def NN_ExpandOp : NN_Op<"expand"> {
  let summary = "ONNX Expand (bidirectional broadcast to `shape`)";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$shape);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_TileOp : NN_Op<"tile"> {
  let summary = "ONNX Tile";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$repeats);
  let results = (outs NN_Tensor:$output);
}

def NN_ConstantOfShapeOp : NN_Op<"constant_of_shape"> {
  let summary = "ONNX ConstantOfShape (value: a one-element tensor, default float 0)";
  let arguments = (ins NN_Tensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_SoftmaxOp : NN_Op<"softmax"> {
  let summary = "ONNX Softmax";
  let description = [{
    `coerce_2d` selects the opset < 13 semantics: the input is viewed as a 2-D
    matrix [prod(dims < axis), prod(dims >= axis)] and normalised per row.
  }];
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$coerce_2d);
  let results = (outs NN_Tensor:$output);
}

def NN_InstanceNormalizationOp : NN_Op<"instance_normalization"> {
  let summary = "ONNX InstanceNormalization (per sample and channel, over the spatial dims)";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$scale, NN_Tensor:$B,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs NN_Tensor:$output);
}

def NN_LpNormalizationOp : NN_Op<"lp_normalization"> {
  let summary = "ONNX LpNormalization: x / ||x||_p along axis (p 1 or 2)";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<I64Attr, "2">:$p);
  let results = (outs NN_Tensor:$output);
}

def NN_GroupNormalizationOp : NN_Op<"group_normalization"> {
  let summary = "ONNX GroupNormalization (opset 18: scale and bias per group)";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$scale, NN_Tensor:$bias,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon, I64Attr:$num_groups);
  let results = (outs NN_Tensor:$Y);
}

def NN_MeanVarianceNormalizationOp : NN_Op<"mean_variance_normalization"> {
  let summary = "ONNX MeanVarianceNormalization: (X - mean) / (sqrt(variance) + 1e-9) over axes";
  let arguments = (ins NN_Tensor:$X, OptionalAttr<DenseI64ArrayAttr>:$axes);
  let results = (outs NN_Tensor:$Y);
}

def NN_LRNOp : NN_Op<"lrn"> {
  let summary = "ONNX LRN (local response normalization across channels)";
  let arguments = (ins NN_Tensor:$X, DefaultValuedAttr<F32Attr, "0.0001">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.75">:$beta,
                       DefaultValuedAttr<F32Attr, "1.0">:$bias, I64Attr:$size);
  let results = (outs NN_Tensor:$Y);
}

def NN_CumSumOp : NN_Op<"cum_sum"> {
  let summary = "ONNX CumSum (the axis may be computed at run time)";
  let arguments = (ins NN_Tensor:$x, NN_Tensor:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$exclusive,
                       DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs NN_Tensor:$y);
}

def NN_EyeLikeOp : NN_Op<"eye_like"> {
  let summary = "ONNX EyeLike (dtype: an ONNX data type code; k: the diagonal)";
  let arguments = (ins NN_Tensor:$input, OptionalAttr<I64Attr>:$dtype,
                       DefaultValuedAttr<I64Attr, "0">:$k);
  let results = (outs NN_Tensor:$output);
}

def NN_BatchNormalizationOp : NN_Op<"batch_normalization"> {
  let summary = "ONNX BatchNormalization; training mode also gives the updated running statistics";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$scale, NN_Tensor:$B,
                       NN_Tensor:$input_mean, NN_Tensor:$input_var,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.9">:$momentum,
                       DefaultValuedAttr<I64Attr, "0">:$training_mode);
  let results = (outs NN_Tensor:$Y, Variadic<NN_Tensor>:$running_mean_and_var);
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, matrix products
//===----------------------------------------------------------------------===//

// The attributes of Conv, ConvInteger and QLinearConv.
defvar NN_ConvAttrs = (ins DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                           OptionalAttr<DenseI64ArrayAttr>:$dilations,
                           DefaultValuedAttr<I64Attr, "1">:$group,
                           OptionalAttr<DenseI64ArrayAttr>:$kernel_shape,
                           OptionalAttr<DenseI64ArrayAttr>:$pads,
                           OptionalAttr<DenseI64ArrayAttr>:$strides);

def NN_ConvOp : NN_Op<"conv"> {
  let summary = "ONNX Conv";
  let arguments = !con((ins NN_Tensor:$X, NN_Tensor:$W, NN_OptTensor:$B), NN_ConvAttrs);
  let results = (outs NN_Tensor:$Y);
}

def NN_ConvTransposeOp : NN_Op<"conv_transpose"> {
  let summary = "ONNX ConvTranspose (W is [C, M/group, k...])";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$W, NN_OptTensor:$B,
                       DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                       OptionalAttr<DenseI64ArrayAttr>:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       OptionalAttr<DenseI64ArrayAttr>:$kernel_shape,
                       OptionalAttr<DenseI64ArrayAttr>:$output_padding,
                       OptionalAttr<DenseI64ArrayAttr>:$output_shape,
                       OptionalAttr<DenseI64ArrayAttr>:$pads,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs NN_Tensor:$Y);
}

def NN_MaxPoolOp : NN_Op<"max_pool"> {
  let summary = "ONNX MaxPool; with `indices_output` also the flat input index of each maximum";
  let arguments = (ins NN_Tensor:$X,
                       DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                       DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                       OptionalAttr<DenseI64ArrayAttr>:$dilations,
                       DenseI64ArrayAttr:$kernel_shape,
                       OptionalAttr<DenseI64ArrayAttr>:$pads,
                       DefaultValuedAttr<I64Attr, "0">:$storage_order,
                       OptionalAttr<DenseI64ArrayAttr>:$strides,
                       DefaultValuedAttr<BoolAttr, "false">:$indices_output);
  let results = (outs NN_Tensor:$Y, Variadic<NN_Tensor>:$Indices);
}

def NN_AveragePoolOp : NN_Op<"average_pool"> {
  let summary = "ONNX AveragePool";
  let arguments = (ins NN_Tensor:$X,
                       DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                       DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                       DefaultValuedAttr<I64Attr, "0">:$count_include_pad,
                       DenseI64ArrayAttr:$kernel_shape,
                       OptionalAttr<DenseI64ArrayAttr>:$pads,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs NN_Tensor:$Y);
}

def NN_LpPoolOp : NN_Op<"lp_pool"> {
  let summary = "ONNX LpPool: the p-norm of each window (pads count as zeros)";
  let arguments = (ins NN_Tensor:$X,
                       DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                       DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                       OptionalAttr<DenseI64ArrayAttr>:$dilations,
                       DenseI64ArrayAttr:$kernel_shape,
                       DefaultValuedAttr<I64Attr, "2">:$p,
                       OptionalAttr<DenseI64ArrayAttr>:$pads,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs NN_Tensor:$Y);
}

def NN_GlobalLpPoolOp : NN_Op<"global_lp_pool"> {
  let summary = "ONNX GlobalLpPool: the p-norm over the spatial dims";
  let arguments = (ins NN_Tensor:$X, DefaultValuedAttr<I64Attr, "2">:$p);
  let results = (outs NN_Tensor:$Y);
}

def NN_GlobalAveragePoolOp : NN_Op<"global_average_pool"> {
  let summary = "ONNX GlobalAveragePool";
  let arguments = (ins NN_Tensor:$X);
  let results = (outs NN_Tensor:$Y);
}

def NN_GlobalMaxPoolOp : NN_Op<"global_max_pool"> {
  let summary = "ONNX GlobalMaxPool";
  let arguments = (ins NN_Tensor:$X);
  let results = (outs NN_Tensor:$Y);
}

def NN_GemmOp : NN_Op<"gemm"> {
  let summary = "ONNX Gemm: alpha * op(A) * op(B) + beta * C";
  let arguments = (ins NN_Tensor:$A, NN_Tensor:$B, NN_OptTensor:$C,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<I64Attr, "0">:$transA,
                       DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs NN_Tensor:$Y);
}

def NN_MatMulOp : NN_Op<"mat_mul"> {
  let summary = "ONNX MatMul (numpy matmul: batched, broadcasting, 1-D promotion)";
  let arguments = (ins NN_Tensor:$A, NN_Tensor:$B);
  let results = (outs NN_Tensor:$Y);
}

def NN_EinsumOp : NN_Op<"einsum"> {
  let summary = "ONNX Einsum (explicit or implicit output, ellipsis, repeated indices)";
  let arguments = (ins Variadic<NN_Tensor>:$Inputs, StrAttr:$equation);
  let results = (outs NN_Tensor:$Output);
}

//===----------------------------------------------------------------------===//
// Quantization, with ONNX's rules: round half to even, saturate to the
// integer type; zero points default to 0 and follow the scale's granularity
// (one value, or one per index of `axis`).
//===----------------------------------------------------------------------===//

def NN_QuantizeLinearOp : NN_Op<"quantize_linear"> {
  let summary = "ONNX QuantizeLinear: saturate(round(x / y_scale) + y_zero_point)";
  let arguments = (ins NN_Tensor:$x, NN_Tensor:$y_scale, NN_OptTensor:$y_zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs NN_Tensor:$y);
}

def NN_DequantizeLinearOp : NN_Op<"dequantize_linear"> {
  let summary = "ONNX DequantizeLinear: (x - x_zero_point) * x_scale";
  let arguments = (ins NN_Tensor:$x, NN_Tensor:$x_scale, NN_OptTensor:$x_zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs NN_Tensor:$y);
}

def NN_DynamicQuantizeLinearOp : NN_Op<"dynamic_quantize_linear"> {
  let summary = "ONNX DynamicQuantizeLinear: uint8 with scale and zero point from the data range";
  let arguments = (ins NN_Tensor:$x);
  let results = (outs NN_Tensor:$y, NN_Tensor:$y_scale, NN_Tensor:$y_zero_point);
}

def NN_MatMulIntegerOp : NN_Op<"mat_mul_integer"> {
  let summary = "ONNX MatMulInteger: int32 (A - a_zero_point) x (B - b_zero_point)";
  let arguments = (ins NN_Tensor:$A, NN_Tensor:$B, NN_OptTensor:$a_zero_point,
                       NN_OptTensor:$b_zero_point);
  let results = (outs NN_Tensor:$Y);
}

def NN_ConvIntegerOp : NN_Op<"conv_integer"> {
  let summary = "ONNX ConvInteger: int32 Conv of (x - x_zero_point) and (w - w_zero_point)";
  let arguments = !con((ins NN_Tensor:$x, NN_Tensor:$w, NN_OptTensor:$x_zero_point,
                            NN_OptTensor:$w_zero_point), NN_ConvAttrs);
  let results = (outs NN_Tensor:$y);
}

def NN_QLinearMatMulOp : NN_Op<"qlinear_mat_mul"> {
  let summary = "ONNX QLinearMatMul: the int32 product requantized to y_scale, y_zero_point";
  let arguments = (ins NN_Tensor:$a, NN_Tensor:$a_scale, NN_Tensor:$a_zero_point,
                       NN_Tensor:$b, NN_Tensor:$b_scale, NN_Tensor:$b_zero_point,
                       NN_Tensor:$y_scale, NN_Tensor:$y_zero_point);
  let results = (outs NN_Tensor:$y);
}

def NN_QLinearConvOp : NN_Op<"qlinear_conv"> {
  let summary = "ONNX QLinearConv: the int32 Conv plus int32 B requantized to y_scale, y_zero_point";
  let arguments = !con((ins NN_Tensor:$x, NN_Tensor:$x_scale, NN_Tensor:$x_zero_point,
                            NN_Tensor:$w, NN_Tensor:$w_scale, NN_Tensor:$w_zero_point,
                            NN_Tensor:$y_scale, NN_Tensor:$y_zero_point, NN_OptTensor:$B),
                       NN_ConvAttrs);
  let results = (outs NN_Tensor:$y);
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

// The attributes every ONNX recurrent layer has.
defvar NN_RecurrentAttrs = (ins OptionalAttr<DenseF32ArrayAttr>:$activation_alpha,
                                OptionalAttr<DenseF32ArrayAttr>:$activation_beta,
                                OptionalAttr<StrArrayAttr>:$activations,
                                OptionalAttr<F32Attr>:$clip,
                                DefaultValuedAttr<StrAttr, "\"forward\"">:$direction,
                                OptionalAttr<I64Attr>:$hidden_size,
                                DefaultValuedAttr<I64Attr, "0">:$layout);

def NN_RNNOp : NN_Op<"rnn"> {
  let summary = "ONNX RNN: H = f(X W^T + H R^T + Wb + Rb) per step (f: Tanh)";
  let arguments = !con((ins NN_Tensor:$X, NN_Tensor:$W, NN_Tensor:$R, NN_OptTensor:$B,
                            NN_OptTensor:$sequence_lens, NN_OptTensor:$initial_h),
                       NN_RecurrentAttrs);
  let results = (outs NN_Tensor:$Y, NN_Tensor:$Y_h);
}

def NN_GRUOp : NN_Op<"gru"> {
  let summary = "ONNX GRU (gates z, r, h; f: Sigmoid, g: Tanh)";
  let arguments = !con((ins NN_Tensor:$X, NN_Tensor:$W, NN_Tensor:$R, NN_OptTensor:$B,
                            NN_OptTensor:$sequence_lens, NN_OptTensor:$initial_h),
                       NN_RecurrentAttrs,
                       (ins DefaultValuedAttr<I64Attr, "0">:$linear_before_reset));
  let results = (outs NN_Tensor:$Y, NN_Tensor:$Y_h);
}

def NN_LSTMOp : NN_Op<"lstm"> {
  let summary = "ONNX LSTM (gates i, o, f, c; peepholes i, o, f; f: Sigmoid, g, h: Tanh)";
  let arguments = !con((ins NN_Tensor:$X, NN_Tensor:$W, NN_Tensor:$R, NN_OptTensor:$B,
                            NN_OptTensor:$sequence_lens, NN_OptTensor:$initial_h,
                            NN_OptTensor:$initial_c, NN_OptTensor:$P),
                       NN_RecurrentAttrs,
                       (ins DefaultValuedAttr<I64Attr, "0">:$input_forget));
  let results = (outs NN_Tensor:$Y, NN_Tensor:$Y_h, NN_Tensor:$Y_c);
}

//===----------------------------------------------------------------------===//
// Resampling
//===----------------------------------------------------------------------===//

def NN_ResizeOp : NN_Op<"resize"> {
  let summary = "ONNX Resize (and Upsample): nearest, linear or cubic, separable over N dims";
  let description = [{
    The output shape comes from constant `sizes` or `scales`, or else from
    the result type; `scales` and `roi` may be run-time values. Each output
    coordinate maps back per `coordinate_transformation_mode`; taps beyond
    the input repeat its edge unless `exclude_outside`.
  }];
  let arguments = (ins NN_Tensor:$X, NN_OptTensor:$roi, NN_OptTensor:$scales,
                       NN_OptTensor:$sizes,
                       DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                       DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                       DefaultValuedAttr<I64Attr, "0">:$exclude_outside,
                       DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
                       DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode,
                       DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode);
  let results = (outs NN_Tensor:$Y);
}

def NN_GridSampleOp : NN_Op<"grid_sample"> {
  let summary = "ONNX GridSample (2-D; bilinear, nearest, bicubic; zeros, border, reflection)";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$grid,
                       DefaultValuedAttr<I64Attr, "0">:$align_corners,
                       DefaultValuedAttr<StrAttr, "\"bilinear\"">:$mode,
                       DefaultValuedAttr<StrAttr, "\"zeros\"">:$padding_mode);
  let results = (outs NN_Tensor:$Y);
}

def NN_DFTOp : NN_Op<"dft"> {
  let summary = "ONNX DFT along `axis` (real [.., 1] or complex [.., 2] input; direct O(n^2) sums)";
  let arguments = (ins NN_Tensor:$input, NN_OptTensor:$dft_length,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$inverse,
                       DefaultValuedAttr<I64Attr, "0">:$onesided);
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Optimizers (ONNX preview training domain): one update step of learning
// rate R at iteration T for n tensors X with gradients G and their states.
//===----------------------------------------------------------------------===//

def NN_AdagradOp : NN_Op<"adagrad"> {
  let summary = "ONNX Adagrad: inputs X.., G.., H..; results X_new.., H_new..";
  let arguments = (ins NN_Tensor:$R, NN_Tensor:$T, Variadic<NN_Tensor>:$tensors,
                       DefaultValuedAttr<F32Attr, "0.0">:$decay_factor,
                       DefaultValuedAttr<F32Attr, "1e-6">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.0">:$norm_coefficient);
  let results = (outs Variadic<NN_Tensor>:$updated);
}

def NN_MomentumOp : NN_Op<"momentum"> {
  let summary = "ONNX Momentum (standard or nesterov): inputs X.., G.., V..; results X_new.., V_new..";
  let arguments = (ins NN_Tensor:$R, NN_Tensor:$T, Variadic<NN_Tensor>:$tensors,
                       F32Attr:$alpha, F32Attr:$beta, StrAttr:$mode, F32Attr:$norm_coefficient);
  let results = (outs Variadic<NN_Tensor>:$updated);
}

def NN_AdamOp : NN_Op<"adam"> {
  let summary = "ONNX Adam: inputs X.., G.., V.., H..; results X_new.., V_new.., H_new..";
  let arguments = (ins NN_Tensor:$R, NN_Tensor:$T, Variadic<NN_Tensor>:$tensors,
                       DefaultValuedAttr<F32Attr, "0.9">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.999">:$beta,
                       DefaultValuedAttr<F32Attr, "1e-6">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.0">:$norm_coefficient,
                       DefaultValuedAttr<F32Attr, "0.0">:$norm_coefficient_post);
  let results = (outs Variadic<NN_Tensor>:$updated);
}

//===----------------------------------------------------------------------===//
// Generators
//===----------------------------------------------------------------------===//

def NN_OneHotOp : NN_Op<"one_hot"> {
  let summary = "ONNX OneHot (depth from a constant or the result type; negative indices wrap)";
  let arguments = (ins NN_Tensor:$indices, NN_Tensor:$depth, NN_Tensor:$values,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_Tensor:$output);
}

// Window functions a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), with N the
// size (periodic) or size - 1 (symmetric).
foreach op = [["HannWindow", "hann_window"], ["HammingWindow", "hamming_window"],
              ["BlackmanWindow", "blackman_window"]] in
def NN_ # op[0] # Op : NN_Op<op[1]> {
  let summary = "ONNX " # op[0] # " (size from a constant or the result type)";
  let arguments = (ins NN_Tensor:$size,
                       DefaultValuedAttr<I64Attr, "1">:$output_datatype,
                       DefaultValuedAttr<I64Attr, "1">:$periodic);
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def NN_FlattenOp : NN_Op<"flatten"> {
  let summary = "ONNX Flatten";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_ReshapeOp : NN_Op<"reshape"> {
  let summary = "ONNX Reshape (0 copies a dim unless allowzero, -1 is inferred)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$shape,
                       DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs NN_Tensor:$reshaped);
  let hasFolder = 1;
}

def NN_TransposeOp : NN_Op<"transpose"> {
  let summary = "ONNX Transpose (default perm reverses the dims)";
  let arguments = (ins NN_Tensor:$data, OptionalAttr<DenseI64ArrayAttr>:$perm);
  let results = (outs NN_Tensor:$transposed);
  let hasFolder = 1;
}

def NN_PadOp : NN_Op<"pad"> {
  let summary = "ONNX Pad (pads as [begin..., end...]; absent value pads with 0)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$pads,
                       NN_OptTensor:$constant_value,
                       DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_SplitOp : NN_Op<"split"> {
  let summary = "ONNX Split into num_outputs parts along axis";
  let description = [{
    `split` (constant) gives the part sizes; without it the parts are equal,
    the last one smaller when the dim does not divide (opset 18 rule).
  }];
  let arguments = (ins NN_Tensor:$input, NN_OptTensor:$split,
                       DefaultValuedAttr<I64Attr, "0">:$axis, I64Attr:$num_outputs);
  let results = (outs Variadic<NN_Tensor>:$outputs);
}

def NN_SliceOp : NN_Op<"slice"> {
  let summary = "ONNX Slice (starts, ends, axes, steps constant; negative steps reverse)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$starts, NN_Tensor:$ends,
                       NN_OptTensor:$axes, NN_OptTensor:$steps);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_RangeOp : NN_Op<"range"> {
  let summary = "ONNX Range (the length from constant operands or the result type)";
  let arguments = (ins NN_Tensor:$start, NN_Tensor:$limit, NN_Tensor:$delta);
  let results = (outs NN_Tensor:$output);
  let hasFolder = 1;
}

def NN_TopKOp : NN_Op<"top_k"> {
  let summary = "ONNX TopK (K constant or fixed by the result type); ties keep the lower index first";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$K,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$largest,
                       DefaultValuedAttr<I64Attr, "1">:$sorted);
  let results = (outs NN_Tensor:$Values, NN_Tensor:$Indices);
}

def NN_ReverseSequenceOp : NN_Op<"reverse_sequence"> {
  let summary = "ONNX ReverseSequence: reverses the first sequence_lens[b] steps of each batch";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$sequence_lens,
                       DefaultValuedAttr<I64Attr, "1">:$batch_axis,
                       DefaultValuedAttr<I64Attr, "0">:$time_axis);
  let results = (outs NN_Tensor:$Y);
}

def NN_DetOp : NN_Op<"det"> {
  let summary = "ONNX Det: determinants of the trailing square matrices (LU, partial pivoting)";
  let arguments = (ins NN_Tensor:$X);
  let results = (outs NN_Tensor:$Y);
}

def NN_CompressOp : NN_Op<"compress"> {
  let summary = "ONNX Compress: the slices along axis (or elements) where condition holds";
  let description = [{
    The output size depends on the condition's values: it comes from a
    constant condition or from the result type, and a run-time condition
    must select exactly that many.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$condition, OptionalAttr<I64Attr>:$axis);
  let results = (outs NN_Tensor:$output);
}

def NN_NonZeroOp : NN_Op<"non_zero"> {
  let summary = "ONNX NonZero: [rank, count] indices (count from the result type)";
  let arguments = (ins NN_Tensor:$X);
  let results = (outs NN_Tensor:$Y);
}

def NN_NonMaxSuppressionOp : NN_Op<"non_max_suppression"> {
  let summary = "ONNX NonMaxSuppression: [count, 3] (batch, class, box) rows, count from the result type";
  let arguments = (ins NN_Tensor:$boxes, NN_Tensor:$scores,
                       NN_OptTensor:$max_output_boxes_per_class, NN_OptTensor:$iou_threshold,
                       NN_OptTensor:$score_threshold,
                       DefaultValuedAttr<I64Attr, "0">:$center_point_box);
  let results = (outs NN_Tensor:$selected_indices);
}

def NN_MaxUnpoolOp : NN_Op<"max_unpool"> {
  let summary = "ONNX MaxUnpool: X scattered to the flat output positions I, zeros elsewhere";
  let arguments = (ins NN_Tensor:$X, NN_Tensor:$I, NN_OptTensor:$output_shape,
                       DenseI64ArrayAttr:$kernel_shape,
                       OptionalAttr<DenseI64ArrayAttr>:$pads,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs NN_Tensor:$output);
}

def NN_ConcatOp : NN_Op<"concat"> {
  let summary = "ONNX Concat";
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$concat_result);
  let hasFolder = 1;
}

#endif // LEPTON_NN_OPS
