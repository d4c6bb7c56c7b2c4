#!/usr/bin/env python3
"""Exports real architectures with seeded random weights as ONNX test cases.

Each model lands in OUT/<name>/ as model.onnx plus test_data_set_0/input_N.pb
(seeded random inputs) in the ONNX backend-test layout; expected outputs come
from ONNX Runtime (ort_reference.mjs), never from this script.

Needs Debian's python3-torch and python3-torchvision: run with /usr/bin/python3.

  generate.py OUT [--models mlp,lenet5,resnet18,...] [--opset 13]

Models: MLP, LeNet-5, the jet-tagging MLP of hls4ml, ResNet-18 (opset 13); MobileNetV2, a BERT-like encoder
(2 layers, hidden 128, 2 heads, sequence 64), a bidirectional-LSTM text
classifier and a UNet with ConvTranspose and bilinear Resize (opsets 13 and 17).
"""
import argparse
import os

import numpy as np
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


class JetTagger(nn.Module):
    """hls4ml's jet-tagging benchmark MLP (16 jet features, 5 classes),
    returning the logits (the softmax that follows in hls4ml changes no top-1
    decision)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
            nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 5))

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


def randomize_batch_norms(model):
    """Non-trivial batch-norm statistics, so inference-mode BN is exercised."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    return model


def resnet18():
    return randomize_batch_norms(torchvision.models.resnet18(weights=None))


def mobilenet_v2():
    return randomize_batch_norms(torchvision.models.mobilenet_v2(weights=None))


class EncoderLayer(nn.Module):
    """A BERT encoder layer written out (post-norm, GELU feed-forward)."""

    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(nn.Linear(hidden, ffn), nn.GELU(), nn.Linear(ffn, hidden))
        self.norm2 = nn.LayerNorm(hidden)

    def forward(self, x, mask):
        b, s, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=-1)
        split = lambda t: t.reshape(b, s, self.heads, h // self.heads).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) / (h // self.heads) ** 0.5 + mask
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, h)
        x = self.norm1(x + self.out(context))
        return self.norm2(x + self.ffn(x))


class TinyBert(nn.Module):
    """2 layers, hidden 128, 2 heads, sequence 64; token ids and attention mask in."""

    def __init__(self, vocab=1000, hidden=128, heads=2, layers=2, seq=64):
        super().__init__()
        self.tokens = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(seq, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, 4 * hidden) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, ids, attention_mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.norm(self.tokens(ids) + self.positions(positions))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return torch.tanh(self.pooler(x[:, 0]))


class LSTMText(nn.Module):
    """Embedding, a bidirectional LSTM over 32 tokens, a classifier on the final states."""

    def __init__(self, vocab=1000, embed=64, hidden=96, classes=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.classify = nn.Linear(2 * hidden, classes)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.embed(ids))
        return self.classify(torch.cat([h[0], h[1]], dim=1))


class UNet(nn.Module):
    """A small UNet: two down steps, a ConvTranspose up step and a bilinear Resize up step."""

    def __init__(self):
        super().__init__()
        block = lambda i, o: nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o),
                                           nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.ReLU())
        self.enc1, self.enc2, self.mid = block(3, 16), block(16, 32), block(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.dec2 = block(64, 32)
        self.up1 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec1 = block(32 + 16, 16)
        self.head = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


def unet():
    return randomize_batch_norms(UNet())


def token_ids(shape, rng):
    return rng.integers(0, 1000, shape).astype(np.int64)


def attention_mask(shape, rng):
    mask = np.ones(shape, dtype=np.int64)
    mask[:, shape[1] * 3 // 4:] = 0  # padding at the end
    return mask


def normal(shape, rng):
    return rng.standard_normal(shape).astype(np.float32)


# name: (factory, [(input name, shape, generator)], opsets[, symbolic batch])
# With a symbolic batch the leading dim of every input and output is exported
# as "batch" (the inputs here hold 3 entries): Lepton compiles such a model
# once for every batch size.
MODELS = {
    "mlp": (MLP, [("input", (1, 1, 28, 28), normal)], [13]),
    "lenet5": (LeNet5, [("input", (1, 1, 28, 28), normal)], [13]),
    "jet_tagger": (JetTagger, [("input", (1, 16), normal)], [13]),
    "resnet18": (resnet18, [("input", (1, 3, 224, 224), normal)], [13]),
    "mobilenet_v2": (mobilenet_v2, [("input", (1, 3, 224, 224), normal)], [13, 17]),
    "bert_tiny": (TinyBert, [("ids", (1, 64), token_ids),
                             ("attention_mask", (1, 64), attention_mask)], [13, 17]),
    "lstm_text": (LSTMText, [("ids", (1, 32), token_ids)], [13, 17]),
    "unet": (unet, [("input", (1, 3, 64, 64), normal)], [13, 17]),
    "mobilenet_v2_any_batch": (mobilenet_v2, [("input", (3, 3, 224, 224), normal)], [13], True),
    "bert_tiny_any_batch": (TinyBert, [("ids", (3, 64), token_ids),
                                       ("attention_mask", (3, 64), attention_mask)], [17], True),
}


def export(name, out_dir, opset):
    """Exports one model at one opset (constant folding off, as exporters are
    often run) with seeded weights and inputs, to OUT/<name>_opset<N>/."""
    import onnx  # here: bench/cuda_vs_torch.py builds the models where onnx may be missing
    import onnx.numpy_helper
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    factory, inputs, _, *symbolic = MODELS[name]
    model = factory().eval()
    arrays = [(input_name, make(shape, rng)) for input_name, shape, make in inputs]
    case = os.path.join(out_dir, f"{name}_opset{opset}")
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    path = os.path.join(case, "model.onnx")
    with torch.no_grad():
        names = [n for n, _ in arrays] + ["output"]
        torch.onnx.export(model, tuple(torch.from_numpy(a) for _, a in arrays), path,
                          opset_version=opset, do_constant_folding=False,
                          input_names=names[:-1], output_names=["output"],
                          dynamic_axes={n: {0: "batch"} for n in names} if symbolic else None)
    onnx.checker.check_model(path)
    for i, (input_name, array) in enumerate(arrays):
        tensor = onnx.numpy_helper.from_array(array, input_name)
        with open(os.path.join(case, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(tensor.SerializeToString())
    print(f"wrote {path}")
    return case


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--opset", type=int, help="only this opset (default: each model's list)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.models.split(","):
        for opset in [args.opset] if args.opset else MODELS[name][2]:
            export(name, args.out, opset)


if __name__ == "__main__":
    main()
