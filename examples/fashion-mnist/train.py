#!/usr/bin/env python3
"""Trains a small CNN on Fashion-MNIST (the teacher) and exports it for Lepton.

Reads Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
trains with Debian's python3-torch on the CPU (seeded; about two minutes on
two cores) and writes to OUT:

  model.onnx                  the float model, any batch size (input "image",
                              [N, 1, 28, 28], pixels scaled to [0, 1]; output
                              "logits", [N, 10])
  calibration/input_0.npy     512 training images, the calibration set for
                              leptonc --quantize (one batch, split into sets)
  test/input_0.pb             the 10,000 test images (lepton-run --inputs)
  test/labels.npy             their labels
  teacher.json                the float model's test accuracy in PyTorch

  /usr/bin/python3 train.py OUT [--epochs 3]
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
from onnx import numpy_helper

DATA = "/usr/share/datasets/fashion-mnist"


def load(kind):
    with gzip.open(os.path.join(DATA, f"{kind}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(DATA, f"{kind}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images.astype(np.float32) / 255, labels.astype(np.int64)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")

    model = SmallCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    order = np.random.default_rng(0)
    for epoch in range(args.epochs):
        model.train()
        perm = order.permutation(len(train_x))
        for start in range(0, len(perm), 128):
            idx = perm[start:start + 128]
            optimizer.zero_grad()
            loss = loss_fn(model(torch.from_numpy(train_x[idx])), torch.from_numpy(train_y[idx]))
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(torch.from_numpy(test_x)).argmax(1).numpy() == test_y).mean()
        print(f"epoch {epoch + 1}: test accuracy {100 * accuracy:.2f}% (PyTorch)")

    os.makedirs(os.path.join(args.out, "calibration"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "test"), exist_ok=True)
    torch.onnx.export(model, torch.from_numpy(test_x[:1]), os.path.join(args.out, "model.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    picked = order.choice(len(train_x), 512, replace=False)
    np.save(os.path.join(args.out, "calibration", "input_0.npy"), train_x[picked])
    with open(os.path.join(args.out, "test", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(test_x, "image").SerializeToString())
    np.save(os.path.join(args.out, "test", "labels.npy"), test_y)
    with open(os.path.join(args.out, "teacher.json"), "w") as f:
        json.dump({"pytorch_test_accuracy": float(accuracy), "epochs": args.epochs}, f)


if __name__ == "__main__":
    main()
