package classifier

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

// Pictures that are not digits, generated here (independently of the
// training pipeline's negatives): letters, words, symbols, shapes,
// scribbles, faces, textures, charts. Each is drawn as coverage (0..1) and
// rendered in one of the upload styles.

// negativeCase is one generated non-digit.
type negativeCase struct {
	kind string
	data []byte
}

// canvas is a coverage map being drawn on.
type canvas struct {
	w, h int
	cov  []float64
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, cov: make([]float64, w*h)} }

// line draws a segment of the given pen radius.
func (c *canvas) line(a, b point, pen float64) {
	r := int(pen) + 2
	for y := max(0, int(min(a.y, b.y))-r); y < min(c.h, int(max(a.y, b.y))+r); y++ {
		for x := max(0, int(min(a.x, b.x))-r); x < min(c.w, int(max(a.x, b.x))+r); x++ {
			d := segmentDistance(float64(x)+0.5, float64(y)+0.5, a, b)
			c.cov[y*c.w+x] = max(c.cov[y*c.w+x], min(max(pen+0.5-d, 0), 1))
		}
	}
}

func (c *canvas) poly(pts []point, pen float64) {
	for i := 1; i < len(pts); i++ {
		c.line(pts[i-1], pts[i], pen)
	}
}

// fill paints a filled rectangle.
func (c *canvas) fill(r image.Rectangle, v float64) {
	r = r.Intersect(image.Rect(0, 0, c.w, c.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.cov[y*c.w+x] = max(c.cov[y*c.w+x], v)
		}
	}
}

// text typesets s in a Go font with its baseline at (x, y).
func (c *canvas) text(tb testing.TB, ttf []byte, size float64, x, y int, s string) {
	f, err := truetype.Parse(ttf)
	if err != nil {
		tb.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, c.w, c.h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	dr := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: truetype.NewFace(f, &truetype.Options{Size: size, DPI: 72}), Dot: fixed.P(x, y)}
	dr.DrawString(s)
	for i, v := range img.Pix {
		c.cov[i] = max(c.cov[i], float64(v)/255)
	}
}

var (
	negLetters = []string{"A", "B", "E", "F", "H", "K", "M", "N", "R", "W", "X", "a", "e", "g", "h", "k", "m", "r", "w", "x", "y"}
	negWords   = []string{"hello", "cat", "Hi!", "yes", "OK", "wow", "lol", "Bob", "the end", "GG", "xyz"}
	negSymbols = []string{"#", "@", "&", "%", "?", "!", "+", "=", "*", "$", "€", "♥", "☺", "→"}
)

// negatives generates n non-digit pictures, cycling through the kinds.
func negatives(tb testing.TB, seed uint64, n int) []negativeCase {
	rng := rand.New(rand.NewPCG(seed, 9))
	fonts := [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF}
	kinds := []string{"letter", "word", "symbol", "shape", "scribble", "face", "texture", "chart"}
	out := make([]negativeCase, n)
	for k := range out {
		kind := kinds[k%len(kinds)]
		w, h := 200+rng.IntN(200), 200+rng.IntN(200)
		c := newCanvas(w, h)
		pen := 2 + rng.Float64()*5
		cx, cy, r := float64(w)/2, float64(h)/2, float64(min(w, h))*(0.25+0.15*rng.Float64())
		switch kind {
		case "letter":
			size := float64(h) * 0.6
			c.text(tb, fonts[rng.IntN(len(fonts))], size, w/2-int(size/3), h/2+int(size/3), negLetters[rng.IntN(len(negLetters))])
		case "word":
			size := float64(w) / 4
			c.text(tb, fonts[rng.IntN(len(fonts))], size, int(size/3), h/2+int(size/3), negWords[rng.IntN(len(negWords))])
		case "symbol":
			size := float64(h) * 0.5
			c.text(tb, fonts[rng.IntN(len(fonts))], size, w/2-int(size/3), h/2+int(size/3), negSymbols[rng.IntN(len(negSymbols))])
		case "shape":
			switch rng.IntN(4) {
			case 0: // a square
				c.poly([]point{{cx - r, cy - r}, {cx + r, cy - r}, {cx + r, cy + r}, {cx - r, cy + r}, {cx - r, cy - r}}, pen)
			case 1: // a triangle
				c.poly([]point{{cx, cy - r}, {cx + r, cy + r}, {cx - r, cy + r}, {cx, cy - r}}, pen)
			case 2: // a star
				var pts []point
				for i := range 11 {
					a := -math.Pi/2 + float64(i)*4*math.Pi/5
					pts = append(pts, point{cx + r*math.Cos(a), cy + r*math.Sin(a)})
				}
				c.poly(pts, pen)
			default: // a filled disc
				for y := range h {
					for x := range w {
						if math.Hypot(float64(x)-cx, float64(y)-cy) < r {
							c.cov[y*w+x] = 1
						}
					}
				}
			}
		case "scribble":
			p := point{cx, cy}
			pts := []point{p}
			for range 10 + rng.IntN(20) {
				p = point{min(max(p.x+rng.NormFloat64()*r/2, 5), float64(w-5)), min(max(p.y+rng.NormFloat64()*r/2, 5), float64(h-5))}
				pts = append(pts, p)
			}
			c.poly(pts, pen)
		case "face":
			c.poly(arc(cx, cy, r, r, 0, 2*math.Pi), pen)
			c.poly(arc(cx-r/3, cy-r/3, r/10, r/10, 0, 2*math.Pi), pen)
			c.poly(arc(cx+r/3, cy-r/3, r/10, r/10, 0, 2*math.Pi), pen)
			c.poly(arc(cx, cy+r/6, r/2, r/3, 0.15*math.Pi, 0.85*math.Pi), pen)
		case "texture":
			switch rng.IntN(3) {
			case 0: // stripes
				step := 8 + rng.IntN(20)
				for x := 0; x < w; x += step {
					c.fill(image.Rect(x, 0, x+step/2, h), 1)
				}
			case 1: // a checkerboard
				step := 10 + rng.IntN(30)
				for y := 0; y < h; y += step {
					for x := (y / step % 2) * step; x < w; x += 2 * step {
						c.fill(image.Rect(x, y, x+step, y+step), 1)
					}
				}
			default: // blotches
				for range 30 + rng.IntN(40) {
					x, y, s := rng.IntN(w), rng.IntN(h), 3+rng.IntN(12)
					c.fill(image.Rect(x, y, x+s, y+s), 0.6+0.4*rng.Float64())
				}
			}
		case "chart":
			x0, y0, x1, y1 := float64(w)*0.1, float64(h)*0.9, float64(w)*0.9, float64(h)*0.1
			c.line(point{x0, y0}, point{x1, y0}, 1.5)
			c.line(point{x0, y0}, point{x0, y1}, 1.5)
			if rng.IntN(2) == 0 {
				bars := 4 + rng.IntN(6)
				bw := (x1 - x0) / float64(bars) * 0.6
				for i := range bars {
					top := y0 - (y0-y1)*(0.2+0.8*rng.Float64())
					bx := x0 + (x1-x0)*(float64(i)+0.3)/float64(bars)
					c.fill(image.Rect(int(bx), int(top), int(bx+bw), int(y0)), 1)
				}
			} else {
				var pts []point
				for i := range 12 {
					pts = append(pts, point{x0 + (x1-x0)*float64(i)/11, y0 - (y0-y1)*(0.1+0.8*rng.Float64())})
				}
				c.poly(pts, 2)
			}
		}
		style := uploadStyle(rng.IntN(3))
		out[k] = negativeCase{kind: kind, data: renderUpload(tb, rng, c.cov, w, h, style)}
	}
	return out
}
