#!/usr/bin/env python3
"""Writes input_0.pb and a float64 NumPy reference output_0.pb for a model
holding a single Gemm (Y = X W + B, default attributes).

  gemm_reference.py MODEL.onnx OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])  # loads external data too
weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
node = model.graph.node[0]
assert node.op_type == "Gemm"
x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
w, b = weights[node.input[1]], weights[node.input[2]]
y = (x.astype(np.float64) @ w.astype(np.float64) + b.astype(np.float64)).astype(np.float32)
for name, value, kind in ((model.graph.input[0].name, x, "input"), (model.graph.output[0].name, y, "output")):
    with open(os.path.join(sys.argv[2], f"{kind}_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(value, name).SerializeToString())
