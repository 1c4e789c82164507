"""Check digitbot on uploads nobody tuned for.

Renders digits in the machine's system fonts (not MNIST, not the Go test
fonts) the way people photograph or draw them: paper colours, coloured ink,
uneven lighting, sensor noise, blur, JPEG at quality 40-90, rotation up to
15 degrees, off-centre on canvases from 300x400 to 2000x1500, white-on-black
drawings and transparent PNGs. Then runs `digitbot predict --json` on them
and prints the accuracy and every miss.

    apt-get install -y python3-pil python3-numpy fonts-dejavu fonts-liberation
    go build -o /tmp/digitbot ./cmd/digitbot
    /usr/bin/python3 models/train/check_uploads.py --digitbot /tmp/digitbot --n 200
"""
import argparse
import glob
import json
import os
import random
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def render(i, d, fonts, out_dir):
    """Write one upload showing digit d; return its file name."""
    font = ImageFont.truetype(random.choice(fonts), random.randint(120, 420))
    W, H = random.choice([(400, 400), (640, 480), (1200, 900), (300, 500), (2000, 1500)])
    kind = random.choice(['paper', 'paper', 'photo', 'drawing', 'transparent', 'colour'])
    if kind == 'colour':
        paper = (random.randint(150, 255), random.randint(150, 255), random.randint(100, 200))
        ink = (random.randint(0, 60), random.randint(0, 60), random.randint(80, 200))
    elif kind == 'drawing':
        paper, ink = (0, 0, 0), (255, 255, 255)
    else:
        paper = tuple(random.randint(200, 255) for _ in range(3))
        ink = (random.randint(0, 70),) * 3
    background = (0, 0, 0, 0) if kind == 'transparent' else paper + (255,)
    img = Image.new('RGBA', (W, H), background)
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((0, 0), str(d), font=font)
    tw, th = box[2] - box[0], box[3] - box[1]
    scale = min(1.0, 0.8 * min(W / tw, H / th))
    if scale < 1:
        font = ImageFont.truetype(font.path, int(font.size * scale))
        box = draw.textbbox((0, 0), str(d), font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
    x = random.randint(0, max(0, W - tw)) - box[0]
    y = random.randint(0, max(0, H - th)) - box[1]
    stroke = random.choice([0, 0, 2, 5])
    draw.text((x, y), str(d), font=font, fill=ink + (255,), stroke_width=stroke, stroke_fill=ink + (255,))
    img = img.rotate(random.uniform(-15, 15), resample=Image.BICUBIC, fillcolor=background)
    if kind == 'transparent':
        name = f'{i:03d}.png'
        img.save(os.path.join(out_dir, name))
        return name
    rgb = np.asarray(img.convert('RGB')).astype(np.float32)
    if kind != 'drawing':
        gx = np.linspace(random.uniform(0.6, 1.0), random.uniform(0.8, 1.1), W)[None, :, None]
        gy = np.linspace(random.uniform(0.7, 1.0), random.uniform(0.9, 1.1), H)[:, None, None]
        rgb = rgb * gx * gy + np.random.normal(0, random.uniform(2, 10), rgb.shape)
    out = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    if random.random() < 0.5:
        out = out.filter(ImageFilter.GaussianBlur(random.uniform(0.5, 2.5)))
    if kind == 'drawing':
        name = f'{i:03d}.png'
        out.save(os.path.join(out_dir, name))
    else:
        name = f'{i:03d}.jpg'
        out.save(os.path.join(out_dir, name), quality=random.randint(40, 90))
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--digitbot', default='digitbot', help='the digitbot binary')
    ap.add_argument('--n', type=int, default=200)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--keep', help='folder to keep the images in')
    args = ap.parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    fonts = sorted(f for f in glob.glob('/usr/share/fonts/truetype/*/*.ttf')
                   if 'Emoji' not in f and 'Math' not in f)
    if not fonts:
        raise SystemExit('no TrueType fonts found under /usr/share/fonts/truetype')
    out_dir = args.keep or tempfile.mkdtemp(prefix='digitbot-uploads-')
    os.makedirs(out_dir, exist_ok=True)
    labels = {}
    for i in range(args.n):
        d = random.randrange(10)
        labels[render(i, d, fonts, out_dir)] = d
    names = sorted(labels)
    res = subprocess.run([args.digitbot, 'predict', '--json'] + names, cwd=out_dir,
                         capture_output=True, text=True, check=True)
    right, misses = 0, []
    for line in res.stdout.splitlines():
        r = json.loads(line)
        want = labels[r['file']]
        if r.get('digit') == want:
            right += 1
        else:
            misses.append((r['file'], want, r.get('digit', r.get('code')), round(r.get('confidence', 0), 2)))
    print(f'{right}/{len(names)} = {100 * right / len(names):.1f}% right ({len(fonts)} fonts, images in {out_dir})')
    for m in misses:
        print('  miss: %s is a %d, got %s (confidence %s)' % m)


if __name__ == '__main__':
    main()
