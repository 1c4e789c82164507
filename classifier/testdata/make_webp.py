# Regenerates the WebP test images (Go has no WebP encoder):
#   /usr/bin/python3 classifier/testdata/make_webp.py GOMNIST_DATA_DIR
# Needs Debian's python3-pil. Each file is an MNIST test digit, scaled up.
import gzip, sys
from PIL import Image, ImageOps

d = sys.argv[1]
imgs = gzip.open(d + "/t10k-images-idx3-ubyte.gz").read()[16:]
labels = gzip.open(d + "/t10k-labels-idx1-ubyte.gz").read()[8:]

def digit(label):
    i = labels.index(label)
    return Image.frombytes("L", (28, 28), imgs[i * 784:(i + 1) * 784]).resize((112, 112), Image.BILINEAR)

# Lossy: dark ink on light paper.
ImageOps.invert(digit(7)).convert("RGB").save("seven-lossy.webp", quality=80)
# Lossless with alpha: black strokes on a transparent canvas.
ink = digit(3)
rgba = Image.new("RGBA", ink.size, (0, 0, 0, 0))
rgba.putalpha(ink)
rgba.save("three-alpha.webp", lossless=True)
