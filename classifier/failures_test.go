package classifier

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

// The kinds of real upload that went wrong, each as a generated set: the
// digit drawn (pen strokes with random slant and proportions, MNIST test
// digits, Go fonts) in the conditions that failed.

type failureCase struct {
	want int
	data []byte
}

type failureClass struct {
	name  string
	cases []failureCase
}

// jitter returns penDigits[d] slanted, squeezed and moved a little.
func jitter(rng *rand.Rand, d int) [][]point {
	slant := (rng.Float64()*2 - 1) * 0.15
	sx := 0.8 + 0.3*rng.Float64()
	dx := (rng.Float64()*2 - 1) * 0.05
	var out [][]point
	for _, line := range penDigits[d] {
		moved := make([]point, len(line))
		for i, p := range line {
			moved[i] = point{0.5 + (p.x-0.5)*sx + slant*(0.5-p.y) + dx, p.y}
		}
		out = append(out, moved)
	}
	return out
}

func shade(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 255} }

// failureClasses builds the sets; n cases per set (the flagged-1 set
// holds only 1s).
func failureClasses(tb testing.TB, m mnistTest, n int) []failureClass {
	rng := rand.New(rand.NewPCG(4, 2))
	// One MNIST test digit of each label, cycling through the set.
	next := 0
	mnistOf := func(d int) *[784]uint8 {
		for {
			next = (next + 1) % len(m.labels)
			if m.labels[next] == d {
				return &m.images[next]
			}
		}
	}
	var classes []failureClass
	add := func(name string, gen func(k, d int) []byte) {
		fc := failureClass{name: name}
		for k := range n {
			d := k % 10
			if name == "continental 1 with a long flag" {
				d = 1
			}
			fc.cases = append(fc.cases, failureCase{want: d, data: gen(k, d)})
		}
		classes = append(classes, fc)
	}
	add("very light strokes (pencil, thin grey pen)", func(k, d int) []byte {
		s := scene{w: 300 + rng.IntN(300), h: 300 + rng.IntN(200), paper: shade(uint8(235 + rng.IntN(20))), ink: shade(uint8(170 + rng.IntN(40))), noise: 2, seed: uint64(k)}
		side := 150 + rng.IntN(100)
		s.box = image.Rect(s.w/2-side/2, s.h/2-side/2, s.w/2+side/2, s.h/2+side/2)
		if k%2 == 0 {
			s.strokes, s.pen = jitter(rng, d), 0.8+rng.Float64()
		} else {
			s.mnist = mnistOf(d)
		}
		return encodeJPEG(tb, s.render(), 85)
	})
	add("small thin digit on a big canvas", func(k, d int) []byte {
		s := scene{w: 1000, h: 700 + rng.IntN(300), paper: shade(255), ink: shade(uint8(rng.IntN(60))), seed: uint64(k), strokes: jitter(rng, d), pen: 0.8 + 0.7*rng.Float64()}
		x, y := rng.IntN(s.w-60), rng.IntN(s.h-60)
		s.box = image.Rect(x, y, x+40, y+40)
		return encodePNG(tb, s.render())
	})
	add("strong light gradient or shadow", func(k, d int) []byte {
		s := scene{w: 400, h: 400, box: image.Rect(90, 80, 310, 320), paper: shade(uint8(220 + rng.IntN(30))), ink: shade(uint8(20 + rng.IntN(40))),
			gradient: 0.6 + 0.25*rng.Float64(), noise: 3, seed: uint64(k), mnist: mnistOf(d)}
		img := s.render()
		if k%2 == 0 {
			// A hard-edged shadow (a hand, a phone) over part of the page
			// and of the digit.
			castHardShadow(img, rng.Float64()*400, rng.Float64()*400)
		}
		return encodeJPEG(tb, img, 85)
	})
	add("digit in an app screenshot", func(k, d int) []byte {
		w, h := 900, 650
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), image.NewUniform(shade(240)), image.Point{}, draw.Src)
		fill := func(r image.Rectangle, c color.NRGBA) {
			draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
		}
		fill(image.Rect(0, 0, w, 56), color.NRGBA{40, 44, 52, 255})      // title bar
		fill(image.Rect(0, 56, 170, h), color.NRGBA{225, 228, 232, 255}) // side panel
		for i := range 6 {                                               // buttons
			fill(image.Rect(16, 80+i*60, 154, 120+i*60), color.NRGBA{70, 110, 200, 255})
		}
		for i := range 4 { // toolbar icons
			fill(image.Rect(220+i*50, 12, 252+i*50, 44), shade(200))
		}
		canvas := image.Rect(200, 90, 860, 610)
		fill(canvas, shade(255))
		cx, cy := 380+rng.IntN(300), 200+rng.IntN(250)
		s := scene{w: w, h: h, paper: shade(255), ink: shade(10), strokes: jitter(rng, d), pen: 4 + 3*rng.Float64(), box: image.Rect(cx-100, cy-120, cx+100, cy+120).Intersect(canvas)}
		digit := s.render()
		r := s.box.Inset(-12)
		draw.Draw(img, r, digit, r.Min, draw.Src)
		return encodePNG(tb, img)
	})
	add("thick marker on grey paper", func(k, d int) []byte {
		s := scene{w: 400, h: 400, box: image.Rect(110, 90, 290, 310), paper: shade(uint8(140 + rng.IntN(40))), ink: shade(uint8(10 + rng.IntN(30))),
			gradient: 0.2 * rng.Float64(), noise: 4, seed: uint64(k), strokes: jitter(rng, d), pen: 16 + 6*rng.Float64()}
		return encodeJPEG(tb, s.render(), 80)
	})
	add("continental 1 with a long flag", func(k, d int) []byte {
		top := 0.05
		foot := 0.55 + 0.1*rng.Float64()
		flag := point{0.15 + 0.15*rng.Float64(), 0.3 + 0.15*rng.Float64()}
		strokes := [][]point{{flag, {0.6, top}, {foot, 0.95}}}
		s := scene{w: 300, h: 300, box: image.Rect(70, 40, 230, 260), paper: shade(250), ink: shade(20), seed: uint64(k), strokes: strokes, pen: 3 + 5*rng.Float64(), noise: 2}
		return encodePNG(tb, s.render())
	})
	fonts := [][]byte{gobold.TTF, goregular.TTF, gomedium.TTF, gomonobold.TTF}
	add("hollow outline (bubble) digits", func(k, d int) []byte {
		f, err := truetype.Parse(fonts[k%len(fonts)])
		if err != nil {
			tb.Fatal(err)
		}
		const w, h = 300, 320
		mask := image.NewGray(image.Rect(0, 0, w, h))
		dr := font.Drawer{Dst: mask, Src: image.NewUniform(color.White), Face: truetype.NewFace(f, &truetype.Options{Size: 260, DPI: 72}), Dot: fixed.P(75, 260)}
		dr.DrawString(string(rune('0' + d)))
		// The outline: glyph pixels within r of the outside.
		r := 3 + rng.IntN(4)
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), image.NewUniform(shade(255)), image.Point{}, draw.Src)
		in := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && mask.GrayAt(x, y).Y > 127 }
		for y := range h {
			for x := range w {
				if !in(x, y) {
					continue
				}
				edge := false
				for dy := -r; dy <= r && !edge; dy++ {
					for dx := -r; dx <= r; dx++ {
						if dx*dx+dy*dy <= r*r && !in(x+dx, y+dy) {
							edge = true
							break
						}
					}
				}
				if edge {
					img.SetNRGBA(x, y, shade(15))
				}
			}
		}
		return encodePNG(tb, img)
	})
	return classes
}

// castHardShadow darkens img to 45% of its light left of a straight edge
// from x = top on the first row to x = bottom below the last: the
// hard-edged shadow of a hand or a phone over the page.
func castHardShadow(img *image.NRGBA, top, bottom float64) {
	h := img.Bounds().Dy()
	for y := range h {
		edge := top + (bottom-top)*float64(y)/float64(h)
		for x := range int(edge) {
			o := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[o+c] = uint8(float64(img.Pix[o+c]) * 0.45)
			}
		}
	}
}
