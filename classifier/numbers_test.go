package classifier

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"

	"github.com/digitbot/digitbot"
)

// Generated numbers: MNIST test digits composed into numbers the way
// people write them, and numbers typeset in the Go fonts.

// uploadStyle is how a composed picture is rendered.
type uploadStyle int

const (
	paperPhoto   uploadStyle = iota // dark ink on light, unevenly lit paper, noise, JPEG
	drawing                         // black strokes on a white canvas, PNG
	whiteOnBlack                    // light strokes on black, PNG
)

func (s uploadStyle) String() string {
	return [...]string{"paper photo", "drawing", "white on black"}[s]
}

// inkColumns returns the first and last+1 column of an MNIST digit that
// holds ink, and the same for rows.
func inkExtent(px *input) (c0, c1, r0, r1 int) {
	c0, r0 = digitbot.InputSide, digitbot.InputSide
	for y := range digitbot.InputSide {
		for x := range digitbot.InputSide {
			if px[y*digitbot.InputSide+x] > 40 {
				c0, c1, r0, r1 = min(c0, x), max(c1, x+1), min(r0, y), max(r1, y+1)
			}
		}
	}
	return c0, c1, r0, r1
}

// composeNumber lays MNIST digits out left to right as one handwritten
// number: a digit height of 36-90 pixels, gaps from a fifth of a digit
// down to touching (touch: each neighbouring pair touches with this
// probability), the baseline drifting by up to a tenth of the height per
// digit. It returns the coverage (0..1) of each pixel and the size.
func composeNumber(rng *rand.Rand, digits []*input, touch float64) (cov []float64, w, h int) {
	cov, w, h, _ = composeNumberBoxes(rng, digits, touch)
	return cov, w, h
}

// composeNumberBoxes is composeNumber that also returns the ink box of
// each digit in the picture, for diagnosing misreadings.
func composeNumberBoxes(rng *rand.Rand, digits []*input, touch float64) (cov []float64, w, h int, boxes []image.Rectangle) {
	H := 36 + rng.Float64()*54
	f := H / 20 // MNIST digits are about 20 of their 28 pixels tall
	var ps []placedDigit
	x, drift := 0.3*H, 0.0
	for i, d := range digits {
		c0, c1, _, _ := inkExtent(d)
		if i > 0 {
			if rng.Float64() < touch {
				x -= (0.02 + 0.06*rng.Float64()) * H // overlap slightly: the strokes touch
			} else {
				x += (0.05 + 0.25*rng.Float64()) * H
			}
		}
		drift += (rng.Float64()*2 - 1) * 0.1 * H
		ps = append(ps, placedDigit{px: d, x: x - float64(c0)*f, y: 0.4*H + drift, f: f})
		x += float64(c1-c0) * f
	}
	w = int(x + 0.3*H)
	top, bottom := math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		top, bottom = min(top, p.y), max(bottom, p.y+28*f)
	}
	h = int(bottom-top) + int(0.4*H)
	shift := 0.2*H - top
	for _, p := range ps {
		c0, c1, r0, r1 := inkExtent(p.px)
		boxes = append(boxes, image.Rect(int(p.x+float64(c0)*f), int(p.y+shift+float64(r0)*f), int(p.x+float64(c1)*f), int(p.y+shift+float64(r1)*f)))
	}
	return paintDigits(ps, w, h, shift), w, h, boxes
}

// placedDigit is an MNIST digit laid out in a number: its 28x28 frame's
// top-left corner (before the picture's vertical shift) and the frame's
// scale.
type placedDigit struct {
	px      *input
	x, y, f float64
}

// paintDigits draws the placed digits, moved down by shift (bilinear, the
// strongest ink where they overlap), into a w x h coverage picture (0..1).
func paintDigits(ps []placedDigit, w, h int, shift float64) []float64 {
	cov := make([]float64, w*h)
	for _, p := range ps {
		x0, y0 := int(p.x), int(p.y+shift)
		for y := max(0, y0); y < min(h, y0+int(28*p.f)+1); y++ {
			for x := max(0, x0); x < min(w, x0+int(28*p.f)+1); x++ {
				u := (float64(x) + 0.5 - p.x) / p.f
				v := (float64(y) + 0.5 - p.y - shift) / p.f
				cov[y*w+x] = max(cov[y*w+x], bilinear28(p.px, u-0.5, v-0.5)/255)
			}
		}
	}
	return cov
}

// renderUpload paints a coverage map in the given style and encodes it.
func renderUpload(tb testing.TB, rng *rand.Rand, cov []float64, w, h int, style uploadStyle) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	var paper, ink [3]float64
	gradient, noise, angle := 0.0, 0.0, 0.0
	switch style {
	case paperPhoto:
		base := 190 + rng.Float64()*60
		for c := range paper {
			paper[c] = base - rng.Float64()*25
			ink[c] = rng.Float64() * 80
		}
		gradient, noise, angle = rng.Float64()*0.4, 2+rng.Float64()*6, rng.Float64()*2*math.Pi
	case drawing:
		paper = [3]float64{255, 255, 255}
	case whiteOnBlack:
		v := 230 + rng.Float64()*25
		ink = [3]float64{v, v, v}
	}
	dx, dy := math.Cos(angle), math.Sin(angle)
	diag := math.Hypot(float64(w), float64(h))
	for y := range h {
		for x := range w {
			a := cov[y*w+x]
			light := 1 - gradient*(0.5+((float64(x)-float64(w)/2)*dx+(float64(y)-float64(h)/2)*dy)/diag)
			o := img.PixOffset(x, y)
			for c := range 3 {
				v := (paper[c]*(1-a) + ink[c]*a) * light
				if noise > 0 {
					v += rng.NormFloat64() * noise
				}
				img.Pix[o+c] = uint8(min(max(math.Round(v), 0), 255))
			}
			img.Pix[o+3] = 255
		}
	}
	if style == paperPhoto {
		return encodeJPEG(tb, img, 60+rng.IntN(31))
	}
	return encodePNG(tb, img)
}

// numberCase is one generated upload and the number it shows.
type numberCase struct {
	name  string
	want  string
	data  []byte
	boxes []image.Rectangle // each digit's ink box, when known
}

// mnistNumbers draws n numbers of lengths lo..hi from MNIST test digits.
func mnistNumbers(tb testing.TB, m mnistTest, seed uint64, n, lo, hi int, touch float64) []numberCase {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]numberCase, n)
	for k := range out {
		l := lo + rng.IntN(hi-lo+1)
		var digits []*input
		var want strings.Builder
		for range l {
			i := rng.IntN(len(m.images))
			digits = append(digits, &m.images[i])
			want.WriteByte(byte('0' + m.labels[i]))
		}
		cov, w, h, boxes := composeNumberBoxes(rng, digits, touch)
		style := uploadStyle(k % 3)
		out[k] = numberCase{name: fmt.Sprintf("#%d %s %dx%d", k, style, w, h), want: want.String(), data: renderUpload(tb, rng, cov, w, h, style), boxes: boxes}
	}
	return out
}

// fontNumbers typesets n numbers of lengths lo..hi in the Go fonts, as a
// drawing or a paper photo.
func fontNumbers(tb testing.TB, seed uint64, n, lo, hi int) []numberCase {
	rng := rand.New(rand.NewPCG(seed, 5))
	var faces []*truetype.Font
	for _, ttf := range [][]byte{goregular.TTF, gomedium.TTF, gobold.TTF, goitalic.TTF, gomono.TTF} {
		f, err := truetype.Parse(ttf)
		if err != nil {
			tb.Fatal(err)
		}
		faces = append(faces, f)
	}
	out := make([]numberCase, n)
	for k := range out {
		l := lo + rng.IntN(hi-lo+1)
		var want strings.Builder
		for range l {
			want.WriteByte(byte('0' + rng.IntN(10)))
		}
		size := 40 + rng.Float64()*60
		face := truetype.NewFace(faces[k%len(faces)], &truetype.Options{Size: size, DPI: 72, Hinting: font.HintingFull})
		adv := font.MeasureString(face, want.String()).Ceil()
		w, h := adv+int(size), int(2*size)
		img := image.NewGray(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
		dr := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: face, Dot: fixed.P(int(size/2), int(1.4*size))}
		dr.DrawString(want.String())
		cov := make([]float64, w*h)
		for i, v := range img.Pix {
			cov[i] = float64(v) / 255
		}
		style := []uploadStyle{drawing, paperPhoto}[k%2]
		out[k] = numberCase{name: fmt.Sprintf("font #%d %s", k, style), want: want.String(), data: renderUpload(tb, rng, cov, w, h, style)}
	}
	return out
}
