"""Builds the int8 QDQ model ONNX Runtime's quantize_static would write, for
the peer column of bench/run.py's int8 table (ORT's Python quantizer is not
in Debian).

The activation ranges come from running the float model on the calibration
sets through Lepton (leptonc and lepton-run, with every tensor to quantize
made a graph output); min/max over the sets. The format is ORT's QDQ one:
uint8 activations quantized asymmetrically per tensor (QuantizeLinear then
DequantizeLinear after the producer, after a Relu or Clip that follows a
Conv or Gemm alone, so ORT folds it away), int8 weights symmetric per output
channel, int32 biases in the product of the scales, each behind a
DequantizeLinear. ORT's graph optimizer turns DequantizeLinear -> Conv ->
QuantizeLinear into QLinearConv, and so on, which is what it then times.
"""
import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHTED = ("Conv", "Gemm", "MatMul")


def _quantizable(graph, initializers):
    """The nodes to quantize and the activations to put behind Q/DQ."""
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    nodes, tensors = [], []

    def add(tensor):
        if tensor not in tensors:
            tensors.append(tensor)

    for node in graph.node:
        if node.op_type in WEIGHTED and len(node.input) > 1 and node.input[1] in initializers:
            if node.op_type == "Gemm":
                attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or \
                        attrs.get("beta", 1.0) != 1.0:
                    continue
            if initializers[node.input[1]].ndim not in ((4,) if node.op_type == "Conv" else (2,)):
                continue
            out = node.output[0]
            after = consumers.get(out, [])
            if len(after) == 1 and after[0].op_type in ("Relu", "Clip"):
                out = after[0].output[0]
            nodes.append(node)
            add(node.input[0])
            add(out)
        elif node.op_type == "Add" and not any(i in initializers for i in node.input):
            nodes.append(node)
            add(node.input[0])
            add(node.input[1])
            add(node.output[0])
    return nodes, tensors


def _ranges(model, tensors, calibration, work, bin_dir):
    """min/max of each tensor over the calibration sets, running the float
    model through Lepton with the tensors as extra outputs."""
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)
             + list(inferred.graph.input)}
    inputs = [i.name for i in model.graph.input]
    tapped = onnx.ModelProto()
    tapped.CopyFrom(model)
    del tapped.graph.output[:]
    taps = [t for t in tensors if t not in inputs]
    tapped.graph.output.extend(known[t] for t in taps)
    path = os.path.join(work, "tapped.onnx")
    onnx.save(tapped, path)
    library = os.path.join(work, "tapped.so")
    subprocess.run([os.path.join(bin_dir, "leptonc"), path, "-o", library, "-q"], check=True)
    lo = {t: np.inf for t in tensors}
    hi = {t: -np.inf for t in tensors}
    for s, d in enumerate(sorted(os.listdir(calibration))):
        pb = os.path.join(work, "sets", str(s))
        out = os.path.join(work, "outs", str(s))
        os.makedirs(pb, exist_ok=True)
        os.makedirs(out, exist_ok=True)
        values = {}
        for i, name in enumerate(inputs):
            array = np.load(os.path.join(calibration, d, f"input_{i}.npy"))
            values[name] = array
            with open(os.path.join(pb, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(array, name).SerializeToString())
        subprocess.run([os.path.join(bin_dir, "lepton-run"), library, "--inputs", pb,
                        "--outputs", out, "--print", "0"], check=True, capture_output=True)
        for i, t in enumerate(taps):
            values[t] = numpy_helper.to_array(onnx.load_tensor(os.path.join(out, f"output_{i}.pb")))
        for t in tensors:
            lo[t] = min(lo[t], float(values[t].min()))
            hi[t] = max(hi[t], float(values[t].max()))
    return lo, hi


def build(model_path, calibration, work, bin_dir, out_path):
    """Writes the QDQ model of `model_path` to `out_path`."""
    os.makedirs(work, exist_ok=True)
    model = onnx.load(model_path)
    graph = model.graph
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes, tensors = _quantizable(graph, initializers)
    lo, hi = _ranges(model, tensors, calibration, work, bin_dir)

    new_inits, qdq_nodes, scales = [], {}, {}
    for t in tensors:
        low, high = min(lo[t], 0.0), max(hi[t], 0.0)
        scale = np.float32(max(high - low, 1e-6) / 255)
        zero = np.uint8(np.clip(round(-low / float(scale)), 0, 255))
        scales[t] = float(scale)
        new_inits += [numpy_helper.from_array(np.array(scale, np.float32), f"{t}_scale"),
                      numpy_helper.from_array(np.array(zero, np.uint8), f"{t}_zero")]
        qdq_nodes[t] = [
            helper.make_node("QuantizeLinear", [t, f"{t}_scale", f"{t}_zero"], [f"{t}_q"],
                             name=f"{t}_QuantizeLinear"),
            helper.make_node("DequantizeLinear", [f"{t}_q", f"{t}_scale", f"{t}_zero"],
                             [f"{t}_dq"], name=f"{t}_DequantizeLinear")]

    replaced = set()
    for node in nodes:
        if node.op_type not in WEIGHTED:
            continue
        w = initializers[node.input[1]]
        # Output channels: Conv dim 0, Gemm B dim 1 (dim 0 with transB), MatMul dim 1.
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        axis = 0 if node.op_type == "Conv" or attrs.get("transB", 0) else 1
        moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
        w_scale = (np.abs(moved).max(1) / 127).astype(np.float32)
        w_scale[w_scale == 0] = 1 / 127
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / w_scale.reshape(shape)), -127, 127).astype(np.int8)
        name = node.input[1]
        new_inits += [numpy_helper.from_array(q, f"{name}_q"),
                      numpy_helper.from_array(w_scale, f"{name}_scale"),
                      numpy_helper.from_array(np.zeros_like(w_scale, np.int8), f"{name}_zero")]
        qdq_nodes[name] = [helper.make_node(
            "DequantizeLinear", [f"{name}_q", f"{name}_scale", f"{name}_zero"], [f"{name}_dq"],
            name=f"{name}_DequantizeLinear", axis=axis)]
        replaced.add(name)
        if len(node.input) > 2 and node.input[2] in initializers:
            b = initializers[node.input[2]].reshape(-1)
            if b.size == w_scale.size:
                b_scale = (scales[node.input[0]] * w_scale).astype(np.float32)
                bq = np.round(b / b_scale).astype(np.int32)
                bname = node.input[2]
                new_inits += [numpy_helper.from_array(bq, f"{bname}_q"),
                              numpy_helper.from_array(b_scale, f"{bname}_scale"),
                              numpy_helper.from_array(np.zeros_like(bq), f"{bname}_zero")]
                qdq_nodes[bname] = [helper.make_node(
                    "DequantizeLinear", [f"{bname}_q", f"{bname}_scale", f"{bname}_zero"],
                    [f"{bname}_dq"], name=f"{bname}_DequantizeLinear", axis=0)]
                replaced.add(bname)

    # Rewire: consumers read the dequantized tensors; Q/DQ pairs follow
    # their producers (the graph inputs' pairs come first).
    dq_name = {t: f"{t}_dq" for t in qdq_nodes}
    body = []
    for t in (i.name for i in graph.input):
        body += qdq_nodes.get(t, [])
    for name in replaced:
        body += qdq_nodes[name]
    outputs = {o.name for o in graph.output}
    for node in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        for i, name in enumerate(copy.input):
            if name in dq_name and (name in replaced or name in tensors):
                copy.input[i] = dq_name[name]
        body.append(copy)
        for out in node.output:
            if out in tensors:
                body += qdq_nodes[out]
    # Graph outputs keep their names: the last DequantizeLinear of an output
    # writes a copy under the output's own name through Identity.
    for out in outputs & set(tensors):
        body.append(helper.make_node("Identity", [f"{out}_dq"], [f"{out}_out"]))
    new_graph = helper.make_graph(
        body, graph.name, list(graph.input),
        [helper.make_tensor_value_info(f"{o.name}_out" if o.name in tensors else o.name,
                                       o.type.tensor_type.elem_type,
                                       [d.dim_value for d in o.type.tensor_type.shape.dim])
         for o in graph.output],
        [i for i in graph.initializer if i.name not in replaced] + new_inits)
    qdq = helper.make_model(new_graph, opset_imports=list(model.opset_import))
    qdq.ir_version = model.ir_version
    onnx.checker.check_model(qdq)
    onnx.save(qdq, out_path)
