package classifier

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/digitbot/digitbot"
)

// scene renders a digit the way people upload them: ink of some colour on
// paper of another, at any size and place, under uneven light, with sensor
// noise. The digit is either a real MNIST digit scaled up (smooth, natural
// handwriting) or pen strokes drawn as polylines (thin lines in a large
// photo).
type scene struct {
	w, h        int
	box         image.Rectangle // where the 28x28 digit frame (or stroke unit square) is drawn
	paper, ink  color.NRGBA
	transparent bool    // paper pixels are (0,0,0,0); ink keeps its colour with alpha = coverage
	gradient    float64 // light falls linearly from 1 (left) to 1-gradient (right)
	noise       float64 // standard deviation of Gaussian sensor noise, in grey levels
	seed        uint64
	// A photo of a sheet on a table: outside sheet the table shows.
	sheet image.Rectangle
	table color.NRGBA
	// Ruled paper: a 2-pixel line of colour rule every rules pixels.
	rules int
	rule  color.NRGBA

	mnist   *[digitbot.InputSide * digitbot.InputSide]uint8 // or
	strokes [][]point                                       // polylines in the unit square
	pen     float64                                         // pen radius in pixels, for strokes
}

type point struct{ x, y float64 }

// coverage returns how much ink covers each pixel of the region r
// (row-major, 0..1). Strokes are rasterised segment by segment over each
// segment's own bounding box, which keeps large canvases cheap to draw.
func (s *scene) coverage(r image.Rectangle) []float64 {
	cov := make([]float64, r.Dx()*r.Dy())
	if s.mnist != nil {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				u := (float64(x-s.box.Min.X) + 0.5) / float64(s.box.Dx())
				v := (float64(y-s.box.Min.Y) + 0.5) / float64(s.box.Dy())
				cov[(y-r.Min.Y)*r.Dx()+x-r.Min.X] = bilinear28(s.mnist, u*28-0.5, v*28-0.5) / 255
			}
		}
		return cov
	}
	reach := int(s.pen) + 2
	for _, line := range s.strokes {
		for i := 1; i < len(line); i++ {
			a, b := s.toCanvas(line[i-1]), s.toCanvas(line[i])
			seg := image.Rect(int(min(a.x, b.x))-reach, int(min(a.y, b.y))-reach, int(max(a.x, b.x))+reach, int(max(a.y, b.y))+reach).Intersect(r)
			for y := seg.Min.Y; y < seg.Max.Y; y++ {
				for x := seg.Min.X; x < seg.Max.X; x++ {
					d := segmentDistance(float64(x)+0.5, float64(y)+0.5, a, b)
					c := &cov[(y-r.Min.Y)*r.Dx()+x-r.Min.X]
					*c = max(*c, min(max(s.pen+0.5-d, 0), 1))
				}
			}
		}
	}
	return cov
}

func (s *scene) toCanvas(p point) point {
	return point{float64(s.box.Min.X) + p.x*float64(s.box.Dx()), float64(s.box.Min.Y) + p.y*float64(s.box.Dy())}
}

func segmentDistance(px, py float64, a, b point) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max(((px-a.x)*dx+(py-a.y)*dy)/l, 0), 1)
	}
	return math.Hypot(px-(a.x+t*dx), py-(a.y+t*dy))
}

func bilinear28(px *[digitbot.InputSide * digitbot.InputSide]uint8, x, y float64) float64 {
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= 28 || y >= 28 {
			return 0
		}
		return float64(px[y*28+x])
	}
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

// render draws the scene as an NRGBA image.
func (s *scene) render() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, s.w, s.h))
	r := s.box.Inset(-int(s.pen) - 2).Intersect(img.Rect)
	cov := s.coverage(r)
	rng := rand.New(rand.NewPCG(s.seed, 7))
	plain := !s.transparent && s.noise == 0 && s.gradient == 0 && s.sheet.Empty() && s.rules == 0
	area := img.Rect
	if plain || s.transparent {
		// Paper everywhere (copied row by row), then only the digit's region.
		if plain {
			row := img.Pix[:4*s.w]
			for i := 0; i < len(row); i += 4 {
				row[i], row[i+1], row[i+2], row[i+3] = s.paper.R, s.paper.G, s.paper.B, 255
			}
			for y := 1; y < s.h; y++ {
				copy(img.Pix[y*img.Stride:], row)
			}
		}
		area = r
	}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			a := 0.0
			if image.Pt(x, y).In(r) {
				a = cov[(y-r.Min.Y)*r.Dx()+x-r.Min.X]
			}
			o := img.PixOffset(x, y)
			if s.transparent {
				c := s.ink
				c.A = uint8(math.Round(a * 255))
				if c.A == 0 {
					c = color.NRGBA{}
				}
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c.R, c.G, c.B, c.A
				continue
			}
			paper := s.paper
			if !s.sheet.Empty() && !image.Pt(x, y).In(s.sheet) {
				paper = s.table
			} else if s.rules > 0 && y%s.rules < 2 {
				paper = s.rule
			}
			light := 1 - s.gradient*float64(x)/float64(s.w)
			ch := func(p, i uint8) uint8 {
				v := (float64(p)*(1-a) + float64(i)*a) * light
				if s.noise > 0 {
					v += rng.NormFloat64() * s.noise
				}
				return uint8(min(max(math.Round(v), 0), 255))
			}
			img.Pix[o] = ch(paper.R, s.ink.R)
			img.Pix[o+1] = ch(paper.G, s.ink.G)
			img.Pix[o+2] = ch(paper.B, s.ink.B)
			img.Pix[o+3] = 255
		}
	}
	return img
}

// arc returns a polyline along an ellipse centred at (cx, cy) with radii
// (rx, ry) from angle a0 to a1 (radians, 0 = right, clockwise on screen).
func arc(cx, cy, rx, ry, a0, a1 float64) []point {
	const n = 40
	pts := make([]point, n+1)
	for i := range pts {
		a := a0 + (a1-a0)*float64(i)/n
		pts[i] = point{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return pts
}

// penDigits are pen drawings of digits in a unit square, the way a person
// writes them with a thin pen.
var penDigits = map[int][][]point{
	0: {arc(0.5, 0.5, 0.28, 0.45, 0, 2*math.Pi)},
	1: {{{0.35, 0.2}, {0.55, 0.05}, {0.55, 0.95}}},
	2: {append(arc(0.5, 0.3, 0.27, 0.25, math.Pi*1.1, math.Pi*2.25), point{0.22, 0.95}, point{0.8, 0.95})},
	3: {arc(0.48, 0.28, 0.26, 0.23, math.Pi*1.15, math.Pi*2.5), arc(0.48, 0.73, 0.29, 0.23, -math.Pi*0.5, math.Pi*0.85)},
	4: {{{0.6, 0.05}, {0.15, 0.65}, {0.85, 0.65}}, {{0.62, 0.35}, {0.62, 0.95}}},
	5: {{{0.78, 0.05}, {0.3, 0.05}, {0.25, 0.45}}, append([]point{{0.25, 0.45}}, arc(0.47, 0.68, 0.3, 0.27, -math.Pi*0.75, math.Pi*0.8)...)},
	6: {append([]point{{0.72, 0.05}}, arc(0.5, 0.7, 0.27, 0.25, math.Pi, math.Pi*3)...), {{0.72, 0.05}, {0.35, 0.4}, {0.23, 0.7}}},
	7: {{{0.15, 0.05}, {0.85, 0.05}, {0.4, 0.95}}},
	8: {arc(0.5, 0.27, 0.22, 0.22, 0, 2*math.Pi), arc(0.5, 0.72, 0.27, 0.23, 0, 2*math.Pi)},
	9: {arc(0.47, 0.3, 0.25, 0.25, 0, 2*math.Pi), {{0.72, 0.3}, {0.66, 0.95}}},
}

// addNote draws pen strokes (a smaller mark: a note, a second digit) into
// box of an already rendered opaque image, in the given ink.
func addNote(img *image.NRGBA, box image.Rectangle, strokes [][]point, pen float64, ink color.NRGBA) *image.NRGBA {
	note := scene{box: box, strokes: strokes, pen: pen}
	r := box.Inset(-int(pen) - 2).Intersect(img.Rect)
	cov := note.coverage(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a := cov[(y-r.Min.Y)*r.Dx()+x-r.Min.X]
			o := img.PixOffset(x, y)
			for c, v := range [3]uint8{ink.R, ink.G, ink.B} {
				img.Pix[o+c] = uint8(math.Round(float64(img.Pix[o+c])*(1-a) + float64(v)*a))
			}
		}
	}
	return img
}

// blur is a box blur of radius r: an out-of-focus photo.
func blur(img *image.NRGBA, r int) *image.NRGBA {
	out := image.NewNRGBA(img.Rect)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
					o := img.PixOffset(xx, yy)
					s[0] += int(img.Pix[o])
					s[1] += int(img.Pix[o+1])
					s[2] += int(img.Pix[o+2])
					n++
				}
			}
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return out
}
