#!/usr/bin/env python3
"""Exports real architectures with seeded random weights as ONNX test cases.

Each model lands in OUT/<name>/ as model.onnx plus test_data_set_0/input_N.pb
(seeded random inputs) in the ONNX backend-test layout; expected outputs come
from ONNX Runtime (ort_reference.mjs), never from this script.

Needs Debian's python3-torch and python3-torchvision: run with /usr/bin/python3.

  generate.py OUT [--models mlp,lenet5,resnet18] [--opset 13]
"""
import argparse
import os

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torchvision


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
            nn.Tanh(), nn.Linear(64, 10), nn.Softmax(dim=1))

    def forward(self, x):
        return self.layers(x)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def resnet18():
    model = torchvision.models.resnet18(weights=None)
    # Non-trivial batch-norm statistics, so inference-mode BN is exercised.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    return model


MODELS = {
    "mlp": (MLP, (1, 1, 28, 28)),
    "lenet5": (LeNet5, (1, 1, 28, 28)),
    "resnet18": (resnet18, (1, 3, 224, 224)),
}


def export(name, out_dir, opset):
    torch.manual_seed(0)
    factory, shape = MODELS[name]
    model = factory().eval()
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    case = os.path.join(out_dir, name)
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    path = os.path.join(case, "model.onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                      output_names=["output"])
    onnx.checker.check_model(path)
    tensor = onnx.numpy_helper.from_array(x.numpy(), "input")
    with open(os.path.join(case, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(tensor.SerializeToString())
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--opset", type=int, default=13)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.models.split(","):
        export(name, args.out, args.opset)


if __name__ == "__main__":
    main()
