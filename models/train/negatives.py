"""Pictures that are not one digit, and font digits, made at training time.

Nothing here is stored: every picture is drawn from a seed when train.py starts.
Each one is normalised the way digitbot's Go preprocessing normalises an upload
(classifier/preprocess.go, fitAndCentre): crop to the ink, fit the longer side
into 20x20 keeping the aspect ratio (bicubic, i.e. Catmull-Rom), stretch the
strongest ink to 255, centre by centre of mass in 28x28, white on black.

Things that do look like a digit are kept out of the negatives on purpose, so
that the model does not learn to refuse real digits: letters such as O o Q D
C c U u (an open 0) l I i j S s Z z B b G g q, strokes such as | / ( ) [ ], single curves, hollow
circles and ellipses, and slivers of a digit narrow enough to pass for a 1.

Kinds of negative (NEGATIVE_KINDS, each drawn with equal probability):
  letter    one letter or non-digit-like symbol in a system font
  word      2-7 letters (any letters: a word is never one digit)
  scribble  a tangle of smooth random strokes
  strokes   4-8 random straight strokes, each at least 40% of the canvas long
  shape     squares, triangles, stars, crosses, arrows, grids, spirals, hearts...
  face      emoji-like drawings: faces with eyes, suns, flowers, stick figures
  texture   noise, stripes, checkers, dots, blobs, photo-like clutter
  chart     bar, line and pie charts
  pair      two MNIST digits touching or overlapping in one box
  straddle  a window over two touching MNIST digits cut in the wrong place
            (part of one digit and part of the next), what a segmenter's bad cut gives
  partial   the left 40-55% of a wide MNIST 2 or 3 (whose left part is no digit)
  symbol    a pictograph, arrow, currency or maths sign in a system font (SYMBOLS)
  hand      letters and signs drawn as wobbly pen strokes, as a person writes them
            (HAND_GLYPHS), alone or 2-5 in a row
  blob      filled discs, ellipses and irregular blobs, sometimes with specks around
  fragment  a window 1-3 letters wide cut out of a line of text, as a number
            segmenter cuts a word
"""
import glob
import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIDE = 28
FIT = 20

NEGATIVE_KINDS = ("letter", "word", "scribble", "strokes", "shape", "face", "texture", "chart",
                  "pair", "straddle", "partial", "symbol", "hand", "blob", "fragment")

# Letters and symbols that do not pass for a digit (see the module comment for
# those left out and why). Greek and Cyrillic add shapes the Latin alphabet lacks.
SAFE_LETTERS = (
    "AEFHKMNPRTVWXYadefhkmnprtvwxy"
    "#%&*+<=>@^~"
    "αλπΣΩΦΨΓΞΔЖЯФЩДЛЮЦИЙКПШЭЧ"
)
# Signs and pictographs (drawn when the font has them). Left out because they pass for a
# digit or part of one: § (an 8), £ (a 2), ∂ (a 6), ↑ ↓ ♪ ∫ (a 1 with a flag), ! $.
SYMBOLS = "€¥¢±×÷≈≠≤≥∞√∑∏←→↔⇐⇒★☆♠♣♥♦♫☀☁☂☃☺☻✓✔✗✘✚❄©®™µ¶?ΘΠ"
# Letters and signs as pen strokes in a unit box (x right, y down); each glyph is a list of
# polylines. None of them passes for a digit (no T, n, u, a, b, g, q, z, s).
HAND_GLYPHS = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "R": [[(0, 1), (0, 0), (0.7, 0), (0.95, 0.15), (0.95, 0.35), (0.7, 0.5), (0, 0.5)], [(0.4, 0.5), (1, 1)]],
    "P": [[(0, 1), (0, 0), (0.7, 0), (0.95, 0.15), (0.95, 0.35), (0.7, 0.5), (0, 0.5)]],
    "k": [[(0, 0), (0, 1)], [(0.8, 0.4), (0, 0.75), (0.8, 1)]],
    "m": [[(0, 1), (0, 0.4)], [(0, 0.55), (0.25, 0.38), (0.5, 0.55), (0.5, 1)],
          [(0.5, 0.55), (0.75, 0.38), (1, 0.55), (1, 1)]],
    "w": [[(0, 0.4), (0.25, 1), (0.5, 0.6), (0.75, 1), (1, 0.4)]],
    "x": [[(0, 0.4), (1, 1)], [(1, 0.4), (0, 1)]],
    "e": [[(0.1, 0.62), (0.9, 0.62), (0.85, 0.42), (0.5, 0.3), (0.15, 0.45), (0.1, 0.75), (0.35, 1), (0.85, 0.92)]],
    "#": [[(0.3, 0), (0.2, 1)], [(0.75, 0), (0.65, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.67), (1, 0.67)]],
    "*": [[(0.5, 0), (0.5, 1)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "+": [[(0.5, 0.1), (0.5, 0.9)], [(0.1, 0.5), (0.9, 0.5)]],
    "=": [[(0, 0.35), (1, 0.35)], [(0, 0.65), (1, 0.65)]],
    "%": [[(0.9, 0), (0.1, 1)], [(0.15, 0.05), (0.35, 0.05), (0.35, 0.3), (0.15, 0.3), (0.15, 0.05)],
          [(0.65, 0.7), (0.85, 0.7), (0.85, 0.95), (0.65, 0.95), (0.65, 0.7)]],
    "arrow": [[(0, 0.5), (1, 0.5)], [(0.7, 0.25), (1, 0.5), (0.7, 0.75)]],
    "tick": [[(0, 0.55), (0.35, 1), (1, 0)]],
    "heart": [[(0.5, 1), (0.05, 0.45), (0.1, 0.1), (0.35, 0.05), (0.5, 0.3), (0.65, 0.05), (0.9, 0.1),
               (0.95, 0.45), (0.5, 1)]],
}
# Any letters may appear in a word: a word is several glyphs.
WORD_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Styles of the positives make_font_digits draws.
FONT_STYLES = ("font", "font, thick", "font, hollow", "hand-drawn continental 1")

# Drawn kinds that are redrawn when they come out as narrow as a 1.
NARROW_CHECKED = ("scribble", "strokes", "shape", "face", "texture", "chart", "symbol", "hand", "blob",
                  "fragment")

# Digits whose left part is not itself a digit nor an open 0 (the left part of a 0 or 9
# is a C, and open 0s are common in handwriting; the right part of an 8 is a 3,
# of a 9 a 1 or 7, of a 7 still a 7; a 1 or 4 cut narrow is a 1; the left part of
# a 5 or 6 still reads as a 5 or 6).
PARTIAL_SOURCES = (2, 3)


def font_characters(path):
    """The characters a font maps to glyphs (its best Unicode cmap)."""
    from fontTools.ttLib import TTFont
    with TTFont(path, lazy=True, fontNumber=0) as f:
        cmap = f.getBestCmap() or {}
    return frozenset(chr(c) for c in cmap)


def system_fonts():
    """Outline fonts with glyphs for the digits and the Latin letters, sorted by path (so a split
    is stable), except the Go fonts. The TeX fonts of fonts-lyx (which python3-matplotlib pulls in) are left out: their
    cmaps claim '0'-'9' and letters, but cmsy10, msam10, stmary10... draw arrows and relations
    there, and as "digits" those would teach the model nonsense."""
    paths = []
    for pattern in ("/usr/share/fonts/truetype/**/*.ttf", "/usr/share/fonts/opentype/**/*.otf"):
        paths.extend(glob.glob(pattern, recursive=True))
    needed = set("0123456789") | set(WORD_LETTERS)
    fonts = []
    for p in sorted(paths):
        # The Go fonts (fonts-go) are what classifier/'s tests draw their letters and numbers
        # in: never trained on, so that those tests stay independent of training.
        if "emoji" in os.path.basename(p).lower() or "/lyx/" in p or "/go/" in p:
            continue
        try:
            if needed <= font_characters(p):
                fonts.append(p)
        except Exception:  # an unreadable font file is no font to train on
            continue
    if not fonts:
        raise SystemExit("no system fonts found: apt-get install fonts-dejavu-core fonts-liberation fonts-freefont-ttf")
    return fonts


def split_fonts(paths):
    """Every fourth font is held out: held-out negatives and font digits use fonts never trained on."""
    held = paths[1::4]
    train = [p for p in paths if p not in held]
    return train, held


def fit_and_centre(ink):
    """ink: float array, any size, 0 = background, larger = ink. Returns uint8 [28,28] or None
    when there is no ink. Mirrors classifier/preprocess.go's fitAndCentre."""
    ink = np.asarray(ink, dtype=np.float32)
    peak = float(ink.max()) if ink.size else 0.0
    if peak <= 0:
        return None
    rows = np.where((ink > 0.25 * peak).any(axis=1))[0]
    cols = np.where((ink > 0.25 * peak).any(axis=0))[0]
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    ch, cw = crop.shape
    scale = FIT / max(cw, ch)
    nw = max(1, int(round(cw * scale)))
    nh = max(1, int(round(ch * scale)))
    img = Image.fromarray(np.clip(crop * (255.0 / peak) + 0.5, 0, 255).astype(np.uint8), "L")
    if (nw, nh) != (cw, ch):
        img = img.resize((nw, nh), Image.BICUBIC)
    fit = np.asarray(img, dtype=np.float64)
    mass = fit.sum()
    if mass <= 0:
        return None
    gain = 255.0 / fit.max()
    ys, xs = np.mgrid[0:nh, 0:nw]
    c = SIDE // 2
    ox = min(max(int(round(c - (fit * xs).sum() / mass)), 0), SIDE - nw)
    oy = min(max(int(round(c - (fit * ys).sum() / mass)), 0), SIDE - nh)
    out = np.zeros((SIDE, SIDE), dtype=np.uint8)
    out[oy:oy + nh, ox:ox + nw] = np.minimum(fit * gain + 0.5, 255).astype(np.uint8)
    return out


class Painter:
    """Draws the synthetic pictures with one numpy Generator."""

    def __init__(self, rng, fonts, digits=None, labels=None):
        self.rng = rng
        self.fonts = fonts
        self.font_cache = {}
        self.font_chars = {}  # path -> the SAFE_LETTERS it has glyphs for
        # MNIST digits (uint8 [N,28,28]) and labels for pair/straddle/partial.
        self.digits = digits
        self.labels = labels

    # -- helpers ---------------------------------------------------------
    def u(self, a, b):
        return float(self.rng.uniform(a, b))

    def i(self, a, b):
        """Integer in [a, b]."""
        return int(self.rng.integers(a, b + 1))

    def font(self, size, path=None):
        path = path or self.fonts[self.i(0, len(self.fonts) - 1)]
        key = (path, size)
        if key not in self.font_cache:
            self.font_cache[key] = ImageFont.truetype(path, size)
        return self.font_cache[key]

    def canvas(self, w=96, h=96):
        img = Image.new("L", (w, h), 0)
        return img, ImageDraw.Draw(img)

    def ink(self):
        return self.i(170, 255)

    def width(self, lo=0.05, hi=0.12, side=96):
        return max(1, int(round(self.u(lo, hi) * side)))

    def point(self, w=96, h=96, margin=8):
        return (self.u(margin, w - margin), self.u(margin, h - margin))

    def smooth_path(self, pts, steps=12):
        """Catmull-Rom through pts, as a list of (x, y)."""
        pts = [pts[0]] + list(pts) + [pts[-1]]
        out = []
        for k in range(1, len(pts) - 2):
            p0, p1, p2, p3 = (np.array(p) for p in pts[k - 1:k + 3])
            for t in np.linspace(0, 1, steps, endpoint=False):
                t2, t3 = t * t, t * t * t
                q = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                           + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)
                out.append((float(q[0]), float(q[1])))
        out.append(tuple(pts[-2]))
        return out

    def line(self, d, pts, width, fill):
        d.line(pts, fill=fill, width=width, joint="curve")
        r = width / 2.0
        if width >= 3:
            for x, y in (pts[0], pts[-1]):
                d.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def finish(self, img):
        a = np.asarray(img, dtype=np.float32)
        if self.rng.random() < 0.3:
            a = np.asarray(img.rotate(self.u(-20, 20), resample=Image.BILINEAR), dtype=np.float32)
        return fit_and_centre(a)

    # -- kinds -----------------------------------------------------------
    def letter(self):
        path = self.fonts[self.i(0, len(self.fonts) - 1)]
        if path not in self.font_chars:
            self.font_chars[path] = sorted(set(SAFE_LETTERS) & font_characters(path))
        chars = self.font_chars[path]
        return self.text(chars[self.i(0, len(chars) - 1)], path)

    def word(self):
        n = self.i(2, 7)
        s = "".join(WORD_LETTERS[self.i(0, len(WORD_LETTERS) - 1)] for _ in range(n))
        if self.rng.random() < 0.3:
            s = s.capitalize() if self.rng.random() < 0.5 else s.upper()
        return self.text(s)

    def text(self, s, path=None):
        size = self.i(36, 80)
        font = self.font(size, path)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        box = probe.textbbox((0, 0), s, font=font)
        w, h = box[2] - box[0] + 24, box[3] - box[1] + 24
        img, d = self.canvas(w, h)
        stroke = self.i(0, 3) if self.rng.random() < 0.4 else 0
        d.text((12 - box[0], 12 - box[1]), s, font=font, fill=self.ink(), stroke_width=stroke,
               stroke_fill=self.ink())
        return self.finish(img)

    def scribble(self):
        img, d = self.canvas()
        if self.rng.random() < 0.4:  # a random walk with sharp turns
            p = (48.0, 48.0)
            pts = [p]
            for _ in range(self.i(10, 28)):
                p = (min(max(p[0] + self.rng.normal() * 16, 4), 92), min(max(p[1] + self.rng.normal() * 16, 4), 92))
                pts.append(p)
            self.line(d, pts, self.width(0.02, 0.07), self.ink())
            return self.finish(img)
        for _ in range(self.i(1, 3)):
            n = self.i(8, 14)
            pts = [self.point() for _ in range(n)]
            self.line(d, self.smooth_path(pts), self.width(0.03, 0.09), self.ink())
        return self.finish(img)

    def strokes(self):
        img, d = self.canvas()
        for _ in range(self.i(4, 8)):
            a, b = self.point(), self.point()
            while math.dist(a, b) < 40:
                b = self.point()
            self.line(d, [a, b], self.width(0.03, 0.1), self.ink())
        return self.finish(img)

    def shape(self):
        img, d = self.canvas()
        kind = self.i(0, 10)
        w = self.width(0.04, 0.1)
        fill = self.ink()
        cx, cy, r = 48 + self.u(-6, 6), 48 + self.u(-6, 6), self.u(28, 42)
        if kind == 0:  # rectangle, outline or filled
            x0, y0 = cx - r * self.u(0.5, 1), cy - r * self.u(0.5, 1)
            x1, y1 = cx + r * self.u(0.5, 1), cy + r * self.u(0.5, 1)
            if self.rng.random() < 0.5:
                d.rectangle((x0, y0, x1, y1), fill=fill)
            else:
                d.rectangle((x0, y0, x1, y1), outline=fill, width=w)
        elif kind in (1, 2):  # triangle / polygon / star
            n = self.i(3, 8) if kind == 1 else self.i(5, 8)
            pts = []
            for k in range(n * (2 if kind == 2 else 1)):
                a = 2 * math.pi * k / (n * (2 if kind == 2 else 1)) + self.u(0, 0.3)
                rr = r if (kind == 1 or k % 2 == 0) else r * self.u(0.35, 0.55)
                pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
            if self.rng.random() < 0.5:
                d.polygon(pts, fill=fill)
            else:
                self.line(d, pts + [pts[0]], w, fill)
        elif kind == 3:  # x cross
            self.line(d, [(cx - r, cy - r), (cx + r, cy + r)], w, fill)
            self.line(d, [(cx - r, cy + r), (cx + r, cy - r)], w, fill)
        elif kind == 4:  # arrow
            a = self.u(0, 2 * math.pi)
            tip = (cx + r * math.cos(a), cy + r * math.sin(a))
            tail = (cx - r * math.cos(a), cy - r * math.sin(a))
            self.line(d, [tail, tip], w, fill)
            for s in (-1, 1):
                b = a + math.pi + s * 0.5
                self.line(d, [tip, (tip[0] + 0.5 * r * math.cos(b), tip[1] + 0.5 * r * math.sin(b))], w, fill)
        elif kind == 5:  # grid / hash
            n = self.i(3, 6)
            for k in range(n):
                t = 12 + k * 72 / (n - 1)
                self.line(d, [(t, 10), (t + self.u(-6, 6), 86)], w, fill)
                self.line(d, [(10, t), (86, t + self.u(-6, 6))], w, fill)
        elif kind == 6:  # spiral with at least two turns
            turns = self.u(2.2, 4)
            t = np.linspace(0, turns * 2 * math.pi, 200)
            rr = r * (0.1 + 0.9 * t / t[-1])
            pts = [(cx + a * math.cos(b), cy + a * math.sin(b)) for a, b in zip(rr, t)]
            self.line(d, pts, max(1, w // 2 + 1), fill)
        elif kind == 7:  # heart
            t = np.linspace(0, 2 * math.pi, 120)
            xs = 16 * np.sin(t) ** 3
            ys = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
            pts = [(cx + x * r / 17, cy + y * r / 17) for x, y in zip(xs, ys)]
            if self.rng.random() < 0.5:
                d.polygon(pts, fill=fill)
            else:
                self.line(d, pts, w, fill)
        elif kind == 8:  # filled disc or ring with marks inside (target, clock)
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill if self.rng.random() < 0.4 else None,
                      outline=fill, width=w)
            for _ in range(self.i(2, 4)):
                a = self.u(0, 2 * math.pi)
                self.line(d, [(cx, cy), (cx + 0.8 * r * math.cos(a), cy + 0.8 * r * math.sin(a))], w, 0 if self.rng.random() < 0.3 else fill)
        elif kind == 9:  # house / envelope
            x0, x1, y0, y1 = cx - r, cx + r, cy - r * 0.2, cy + r
            pts = [(x0, y1), (x0, y0), (cx, cy - r), (x1, y0), (x1, y1), (x0, y1), (x1, y0), (x0, y0), (x1, y1)]
            self.line(d, pts, w, fill)
        else:  # plus sign with a frame, or a checkmark in a box
            d.rectangle((cx - r, cy - r, cx + r, cy + r), outline=fill, width=w)
            if self.rng.random() < 0.5:
                self.line(d, [(cx - r * 0.6, cy), (cx + r * 0.6, cy)], w, fill)
                self.line(d, [(cx, cy - r * 0.6), (cx, cy + r * 0.6)], w, fill)
            else:
                self.line(d, [(cx - r * 0.6, cy), (cx - r * 0.1, cy + r * 0.5), (cx + r * 0.7, cy - r * 0.6)], w, fill)
        return self.finish(img)

    def face(self):
        img, d = self.canvas()
        w = self.width(0.03, 0.08)
        fill = self.ink()
        cx, cy, r = 48, 48, self.u(32, 42)
        kind = self.i(0, 3)
        if kind <= 1:  # smiley: head, two eyes, mouth
            d.ellipse((cx - r, cy - r * self.u(0.9, 1.1), cx + r, cy + r), outline=fill, width=w)
            e = self.u(0.12, 0.2) * r
            for s in (-1, 1):
                ex, ey = cx + s * r * 0.38, cy - r * 0.3
                d.ellipse((ex - e, ey - e, ex + e, ey + e), fill=fill)
            start, end = (20, 160) if self.rng.random() < 0.7 else (200, 340)
            my = cy + (r * 0.1 if start == 20 else r * 0.75)
            d.arc((cx - r * 0.55, my - r * 0.45, cx + r * 0.55, my + r * 0.25), start, end, fill=fill, width=w)
            if kind == 1:  # ears or hair
                for k in range(self.i(3, 7)):
                    a = math.pi * (1.1 + 0.8 * k / 6)
                    p = (cx + r * math.cos(a), cy + r * math.sin(a))
                    self.line(d, [p, (cx + 1.3 * r * math.cos(a), cy + 1.3 * r * math.sin(a))], w, fill)
        elif kind == 2:  # sun: disc and rays
            rr = r * self.u(0.3, 0.5)
            d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=fill)
            n = self.i(6, 12)
            for k in range(n):
                a = 2 * math.pi * k / n
                self.line(d, [(cx + rr * 1.3 * math.cos(a), cy + rr * 1.3 * math.sin(a)),
                              (cx + r * math.cos(a), cy + r * math.sin(a))], w, fill)
        else:  # stick figure or flower
            if self.rng.random() < 0.5:
                h = r * 0.35
                d.ellipse((cx - h, cy - r, cx + h, cy - r + 2 * h), outline=fill, width=w)
                self.line(d, [(cx, cy - r + 2 * h), (cx, cy + r * 0.4)], w, fill)
                self.line(d, [(cx - r * 0.6, cy - r * 0.1), (cx + r * 0.6, cy - r * 0.1)], w, fill)
                self.line(d, [(cx - r * 0.5, cy + r), (cx, cy + r * 0.4), (cx + r * 0.5, cy + r)], w, fill)
            else:
                n = self.i(5, 8)
                pr = r * 0.35
                for k in range(n):
                    a = 2 * math.pi * k / n
                    px, py = cx + r * 0.6 * math.cos(a), cy + r * 0.6 * math.sin(a)
                    d.ellipse((px - pr, py - pr, px + pr, py + pr), outline=fill, width=w)
                d.ellipse((cx - pr * 0.6, cy - pr * 0.6, cx + pr * 0.6, cy + pr * 0.6), fill=fill)
        return self.finish(img)

    def texture(self):
        h = w = 72
        kind = self.i(0, 5)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        if kind == 0:  # thresholded smooth noise: blotches, photo-like
            small = self.rng.random((self.i(4, 10), self.i(4, 10))).astype(np.float32)
            a = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), np.float32)
            a = np.where(a > np.percentile(a, self.u(40, 75)), a, 0)
        elif kind == 1:  # stripes at an angle
            t = self.u(0, math.pi)
            period = self.u(6, 16)
            a = (np.sin((xs * math.cos(t) + ys * math.sin(t)) * 2 * math.pi / period) > 0).astype(np.float32) * 255
        elif kind == 2:  # checkerboard
            s = self.i(6, 14)
            a = (((xs // s) + (ys // s)) % 2).astype(np.float32) * 255
        elif kind == 3:  # dot grid
            s = self.u(8, 14)
            rr = self.u(1.5, 3.5)
            a = ((((xs % s) - s / 2) ** 2 + ((ys % s) - s / 2) ** 2) < rr * rr).astype(np.float32) * 255
        elif kind == 4:  # salt noise with blur
            a = (self.rng.random((h, w)) < self.u(0.1, 0.4)).astype(np.float32) * 255
            a = np.asarray(Image.fromarray(a.astype(np.uint8)).resize((w // 2, h // 2), Image.BILINEAR)
                           .resize((w, h), Image.BILINEAR), np.float32)
        else:  # clutter: overlapping rectangles and blobs of different greys
            img, d = self.canvas(w, h)
            for _ in range(self.i(5, 12)):
                x0, y0 = self.u(0, w), self.u(0, h)
                x1, y1 = x0 + self.u(8, 40), y0 + self.u(8, 40)
                g = self.i(60, 255)
                if self.rng.random() < 0.5:
                    d.rectangle((x0, y0, x1, y1), fill=g)
                else:
                    d.ellipse((x0, y0, x1, y1), fill=g)
            a = np.asarray(img, np.float32)
        return fit_and_centre(a)

    def chart(self):
        img, d = self.canvas()
        w = self.width(0.02, 0.05)
        fill = self.ink()
        kind = self.i(0, 2)
        if kind < 2:
            self.line(d, [(12, 10), (12, 86), (88, 86)], w, fill)
        if kind == 0:  # bars
            n = self.i(3, 7)
            bw = 70 / n
            for k in range(n):
                top = self.u(15, 80)
                d.rectangle((16 + k * bw, top, 16 + (k + 0.7) * bw, 86), fill=fill)
        elif kind == 1:  # line chart
            n = self.i(4, 9)
            pts = [(16 + k * 70 / (n - 1), self.u(15, 80)) for k in range(n)]
            self.line(d, pts, w + 1, fill)
        else:  # pie: circle and wedge lines
            r = 38
            d.ellipse((48 - r, 48 - r, 48 + r, 48 + r), outline=fill, width=w)
            for _ in range(self.i(3, 6)):
                a = self.u(0, 2 * math.pi)
                self.line(d, [(48, 48), (48 + r * math.cos(a), 48 + r * math.sin(a))], w, fill)
        return self.finish(img)

    def symbol(self):
        path = self.fonts[self.i(0, len(self.fonts) - 1)]
        key = ("symbols", path)
        if key not in self.font_chars:
            self.font_chars[key] = sorted(set(SYMBOLS) & font_characters(path))
        chars = self.font_chars[key]
        if not chars:
            return None
        return self.text(chars[self.i(0, len(chars) - 1)], path)

    def glyph(self, d, name, x0, y0, w, h, pen, fill):
        """Draw HAND_GLYPHS[name] in the box (x0, y0, w, h) with a wobbly pen."""
        slant = self.u(-0.25, 0.25)
        for stroke in HAND_GLYPHS[name]:
            pts = []
            for x, y in stroke:
                x, y = x + self.rng.normal() * 0.05, y + self.rng.normal() * 0.05
                pts.append((x0 + (x + slant * (1 - y)) * w, y0 + y * h))
            if len(stroke) > 3 and self.rng.random() < 0.5:
                pts = self.smooth_path(pts, steps=6)
            self.line(d, pts, pen, fill)

    def hand(self):
        names = sorted(HAND_GLYPHS)
        n = 1 if self.rng.random() < 0.6 else self.i(2, 5)
        h = self.u(40, 70)
        w = h * self.u(0.55, 1.0)
        gap = w * self.u(0.15, 0.5)
        img, d = self.canvas(int(n * (w + gap) + 40), int(h + 40))
        pen, fill = max(1, int(round(h * self.u(0.04, 0.14)))), self.ink()
        for k in range(n):
            self.glyph(d, names[self.i(0, len(names) - 1)], 20 + k * (w + gap), 20 + self.u(-3, 3), w, h, pen, fill)
        return self.finish(img)

    def blob(self):
        img, d = self.canvas()
        fill = self.ink()
        cx, cy = 48 + self.u(-5, 5), 48 + self.u(-5, 5)
        kind = self.i(0, 2)
        if kind == 0:
            r = self.u(20, 40)
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif kind == 1:
            rx, ry = self.u(20, 42), self.u(20, 42)
            d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)
        else:
            n = self.i(6, 11)
            pts = []
            for k in range(n):
                a = 2 * math.pi * k / n
                rr = self.u(18, 42)
                pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
            d.polygon(self.smooth_path(pts + pts[:1], steps=6), fill=fill)
        if self.rng.random() < 0.3:
            for _ in range(self.i(2, 8)):
                x, y, r = self.u(2, 94), self.u(2, 94), self.u(1, 4)
                d.ellipse((x - r, y - r, x + r, y + r), fill=fill)
        return self.finish(img)

    def fragment(self):
        """A window of a text line in safe letters, about 1-3 letters wide."""
        path = self.fonts[self.i(0, len(self.fonts) - 1)]
        if path not in self.font_chars:
            self.font_chars[path] = sorted(set(SAFE_LETTERS) & font_characters(path))
        chars = [c for c in self.font_chars[path] if c.isalpha()]
        s = "".join(chars[self.i(0, len(chars) - 1)] for _ in range(self.i(4, 8)))
        size = self.i(36, 64)
        font = self.font(size, path)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        box = probe.textbbox((0, 0), s, font=font)
        w, h = box[2] - box[0] + 8, box[3] - box[1] + 8
        img, d = self.canvas(w, h)
        d.text((4 - box[0], 4 - box[1]), s, font=font, fill=self.ink())
        a = np.asarray(img, np.float32)
        win = int(size * self.u(0.9, 2.2))
        if win >= w:
            return fit_and_centre(a)
        x0 = self.i(0, w - win)
        return fit_and_centre(a[:, x0:x0 + win])

    # -- from MNIST digits -------------------------------------------------
    def crop_digit(self, k):
        a = self.digits[k].astype(np.float32)
        rows = np.where(a.max(axis=1) > 40)[0]
        cols = np.where(a.max(axis=0) > 40)[0]
        if rows.size == 0:
            return None
        return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    def random_digit(self, exclude=()):
        while True:
            k = self.i(0, len(self.digits) - 1)
            if int(self.labels[k]) not in exclude:
                c = self.crop_digit(k)
                if c is not None:
                    return c, int(self.labels[k])

    def join(self, a, b, gap):
        """Put crop b right of crop a, gap pixels apart (negative: overlapping), ink combined by max."""
        h = max(a.shape[0], b.shape[0]) + 4
        w = a.shape[1] + b.shape[1] + max(gap, 0) + 2
        out = np.zeros((h + 4, w), np.float32)
        ya = self.i(0, h - a.shape[0])
        yb = self.i(0, h - b.shape[0])
        out[ya:ya + a.shape[0], 0:a.shape[1]] = a
        xb = a.shape[1] + gap
        region = out[yb:yb + b.shape[0], xb:xb + b.shape[1]]
        np.maximum(region, b[:, :region.shape[1]], out=region)
        return out, a.shape[1]

    def pair(self):
        a, _ = self.random_digit()
        b, _ = self.random_digit()
        out, _ = self.join(a, b, self.i(-4, 1))
        return fit_and_centre(out)

    def straddle(self):
        # Two touching digits neither of which is a 1 (a sliver of a 1 is a 1), and a
        # window about one digit wide whose cut falls well inside both.
        a, _ = self.random_digit(exclude=(1,))
        b, _ = self.random_digit(exclude=(1,))
        out, wa = self.join(a, b, self.i(-2, 1))
        keep_a = int(round(wa * self.u(0.35, 0.65)))
        keep_b = int(round(b.shape[1] * self.u(0.35, 0.65)))
        window = out[:, wa - keep_a:wa + keep_b]
        return fit_and_centre(window)

    def partial(self):
        a, _ = self.random_digit(exclude=tuple(d for d in range(10) if d not in PARTIAL_SOURCES))
        if a.shape[1] < 12:
            return None
        cut = int(round(a.shape[1] * self.u(0.4, 0.55)))
        piece = a[:, :cut]
        rows = np.where(piece.max(axis=1) > 40)[0]
        if rows.size == 0:
            return None
        # A sliver much narrower than it is tall passes for a 1: not a negative.
        if cut < 0.4 * (rows[-1] - rows[0] + 1):
            return None
        return fit_and_centre(piece)

    def negative(self, kind):
        for _ in range(100):
            out = getattr(self, kind)()
            if out is None or (out > 60).sum() < 8:
                continue
            # Drawn kinds that came out tall and narrow pass for a 1: draw again.
            cols = np.where((out > 60).any(axis=0))[0]
            if kind in NARROW_CHECKED and cols[-1] - cols[0] + 1 < 9:
                continue
            return out
        raise RuntimeError("could not draw a %s negative" % kind)

    # -- positives -----------------------------------------------------------
    def font_digit(self, digit, path=None):
        """A digit in a system font: solid, thick, or hollow (outline only), slightly rotated.
        Returns the picture and the index of its style in FONT_STYLES."""
        size = self.i(40, 90)
        font = self.font(size, path)
        s = str(digit)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        style = self.rng.random()
        stroke = 0 if style < 0.55 else self.i(1, max(2, size // 12))
        box = probe.textbbox((0, 0), s, font=font, stroke_width=stroke)
        w, h = box[2] - box[0] + 24, box[3] - box[1] + 24
        img, d = self.canvas(w, h)
        if style >= 0.8:  # hollow "bubble" digit: outline only
            d.text((12 - box[0], 12 - box[1]), s, font=font, fill=0, stroke_width=stroke, stroke_fill=self.ink())
            kind = 2
        else:
            d.text((12 - box[0], 12 - box[1]), s, font=font, fill=self.ink(), stroke_width=stroke,
                   stroke_fill=self.ink())
            kind = 0 if stroke == 0 else 1
        img = img.rotate(self.u(-10, 10), resample=Image.BILINEAR, expand=True)
        return fit_and_centre(np.asarray(img, np.float32)), kind

    def continental_one(self):
        """A hand-drawn 1 with a long flag (and sometimes a base), as written in much of Europe."""
        img, d = self.canvas()
        w = self.width(0.06, 0.14)
        top = (48 + self.u(-4, 8), 10 + self.u(0, 6))
        bottom = (top[0] + self.u(-10, 4), 86 - self.u(0, 6))
        length = (bottom[1] - top[1]) * self.u(0.3, 0.6)
        angle = math.radians(self.u(35, 65))  # below the horizontal, to the left
        flag = (top[0] - length * math.cos(angle), top[1] + length * math.sin(angle))
        self.line(d, [flag, top, bottom], w, self.ink())
        if self.rng.random() < 0.3:
            half = length * self.u(0.5, 0.8)
            self.line(d, [(bottom[0] - half, bottom[1]), (bottom[0] + half, bottom[1])], w, self.ink())
        return self.finish(img)


def make_negatives(rng, fonts, digits, labels, n):
    """n negatives, kinds in equal shares, as uint8 [n,28,28] and the kind index of each."""
    p = Painter(rng, fonts, digits, labels)
    kinds = rng.integers(0, len(NEGATIVE_KINDS), n)
    out = np.zeros((n, SIDE, SIDE), np.uint8)
    for j, k in enumerate(kinds):
        out[j] = p.negative(NEGATIVE_KINDS[k])
    return out, kinds


def make_font_digits(rng, fonts, n, continental_share=0.15):
    """n positives: digits in system fonts (solid, thick, hollow) and hand-drawn continental 1s.
    Returns uint8 [n,28,28], the labels, and the index of each one's style in FONT_STYLES."""
    p = Painter(rng, fonts)
    xs = np.zeros((n, SIDE, SIDE), np.uint8)
    ys = np.zeros(n, np.int64)
    styles = np.zeros(n, np.int64)
    for j in range(n):
        img = None
        if rng.random() < continental_share:
            img, label, style = p.continental_one(), 1, 3
        else:
            label = int(rng.integers(0, 10))
        while img is None:
            img, style = p.font_digit(label)
        xs[j], ys[j], styles[j] = img, label, style
    return xs, ys, styles
