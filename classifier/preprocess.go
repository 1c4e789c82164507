package classifier

import (
	"fmt"
	"image"
	"math"
	"slices"
	"sort"

	"golang.org/x/image/draw"

	"github.com/digitbot/digitbot"
)

// Preprocessing turns any picture of a digit into what MNIST looks like:
// a white digit on black, its bounding box fitted into 20x20 keeping the
// aspect ratio, centred by its centre of mass in 28x28.
//
// The steps, and why:
//  1. Reduce early: k×k blocks while converting to grey, so that no later
//     step sees more than workMaxSide pixels a side and a 12-megapixel
//     photo costs little more than a screenshot. Each block keeps its mean
//     and its darkest and lightest pixel: once the polarity is known, the
//     extreme on the ink's side stands for the block, so a hairline stroke
//     keeps its full contrast instead of averaging away.
//  2. Composite transparency over black or white, whichever leaves the ink
//     a small minority: drawing apps save black strokes on (0,0,0,0)
//     pixels, which naively read as black on black.
//  3. Decide polarity: the median is background, and the ink is on the side
//     where more stands out from it. Turn the image so that ink is bright.
//  4. Subtract the background, a smooth surface fitted to block
//     percentiles: photos of paper are lit unevenly, and a global threshold
//     would swallow the dark corner or lose the ink in the bright one.
//     Contrast is measured relative to the paper's brightness, as ink
//     absorbs a fraction of the light that falls on it.
//  5. Threshold (Otsu) to find ink. Remove ruled lines; drop the table
//     around a photographed sheet and other marks along the picture's
//     edge, specks, underlines and marks far from the digit; refuse images
//     whose "ink" is too faint, too small or absent (no_digit).
//  6. Crop to the ink, thicken strokes that would vanish when a large
//     drawing is shrunk to 20 pixels, fit into 20x20 (Catmull-Rom, which
//     widens its kernel when shrinking, so it low-passes like area
//     averaging), centre by centre of mass.

// Tunables, chosen on real-looking synthetic uploads and on the MNIST
// round trip (an MNIST digit must come out unchanged).
const (
	// workMaxSide bounds the working image. 20 output pixels need far fewer;
	// the margin keeps digits that fill only part of a photo well resolved.
	workMaxSide = 320
	// fitSide is the box the digit is fitted into, as in MNIST.
	fitSide = 20
	// minInkContrast is the least mean ink strength (0..255, relative to the
	// paper) that counts as writing; fainter is paper texture or noise.
	minInkContrast = 40
	// minInkPixels and minInkSide reject dots and specks.
	minInkPixels = 10
	minInkSide   = 5
	// speckFraction: components smaller than this share of the largest one
	// belong to the digit only when very close to it.
	speckFraction = 0.05
	// targetStroke is MNIST's typical stroke width relative to the fitted
	// box; strokes thinner than thinStroke times it are thickened.
	targetStroke = 0.10
	thinStroke   = 0.6
)

// Preprocess converts an image into the model's 28x28 input: 0 is
// background, 255 is ink. An image without a recognisable mark gets an
// ENODIGIT error; a panic while reading pixels becomes EINVALIDIMAGE.
func Preprocess(img image.Image) (out [digitbot.InputSide * digitbot.InputSide]uint8, err error) {
	defer func() {
		if r := recover(); r != nil {
			out = [digitbot.InputSide * digitbot.InputSide]uint8{}
			err = digitbot.WrapError(digitbot.EINVALIDIMAGE,
				"The image could not be read: its pixel data is invalid.", fmt.Errorf("preprocess panic: %v", r))
		}
	}()
	if img == nil || img.Bounds().Empty() {
		return out, digitbot.Errorf(digitbot.EINVALIDIMAGE, "The image has no pixels.")
	}
	g := toGrey(img)
	ink, err := inkStrength(g)
	if err != nil {
		return out, err
	}
	return fitAndCentre(ink)
}

// grey is a single-channel image, row-major: the reduced picture.
type grey struct {
	w, h int
	// k is the reduction factor and sw, sh the size of the picture: block
	// (x, y) covers its pixels [x*k, min(x*k+k, sw)) × [y*k, min(y*k+k, sh)).
	k, sw, sh int
	// pix is the mean luma of each block. An opaque picture read from its
	// luma plane leaves it nil until means is called, and holds instead
	// the byte levels (k == 1) or the plane itself (k > 1), to sum its
	// blocks again should they be needed: the polarity usually needs only
	// the extremes below.
	pix    []float32
	levels []uint8
	plane  []uint8
	stride int
	// darkest and lightest are the extreme luma of each k×k block, nil when
	// k == 1 (they equal pix). Once the polarity is known, the extreme on
	// the ink's side replaces the mean: a 3-pixel pen line in a
	// 4000-pixel photo averages to a barely visible 25% in an 8×8 block,
	// but its darkest pixel keeps the ink's full contrast.
	darkest, lightest []uint8
	// integral: every value of pix is a whole number (an opaque image, not
	// reduced).
	integral bool
}

// means returns pix, computing it from levels or the plane on first use.
func (g *grey) means() []float32 {
	if g.pix != nil {
		return g.pix
	}
	g.pix = make([]float32, g.w*g.h)
	switch {
	case g.levels != nil:
		for i, v := range g.levels {
			g.pix[i] = float32(v)
		}
	case g.plane != nil:
		sums := make([]int, g.w)
		for oy := range g.h {
			y0, y1 := oy*g.k, min(oy*g.k+g.k, g.sh)
			clear(sums)
			for y := y0; y < y1; y++ {
				row := g.plane[y*g.stride : y*g.stride+g.sw]
				for x, v := range row {
					sums[x/g.k] += int(v)
				}
			}
			for ox, s := range sums {
				n := float32((min(ox*g.k+g.k, g.sw) - ox*g.k) * (y1 - y0))
				g.pix[oy*g.w+ox] = float32(uint64(s)) / n
			}
		}
	}
	return g.pix
}

// lumaPlane returns the luma of an image that has it as a plane of bytes
// (grey, and JPEG's YCbCr, whose Y is BT.601 luma), from the image's
// minimum point, with its stride.
func lumaPlane(img image.Image) (plane []uint8, stride int, ok bool) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, true
	case *image.YCbCr:
		return m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, true
	}
	return nil, 0, false
}

// reducePlane is toGrey for an opaque luma plane.
func reducePlane(plane []uint8, stride, sw, sh, k int) *grey {
	w, h := (sw+k-1)/k, (sh+k-1)/k
	g := &grey{w: w, h: h, k: k, sw: sw, sh: sh, integral: k == 1}
	row := func(y int) []uint8 { return plane[y*stride : y*stride+sw] }
	if k == 1 {
		g.levels = make([]uint8, w*h)
		for y := range h {
			copy(g.levels[y*w:y*w+w], row(y))
		}
		return g
	}
	g.plane, g.stride = plane, stride
	g.darkest, g.lightest = make([]uint8, w*h), make([]uint8, w*h)
	lo, hi := make([]int, w), make([]int, w)
	for oy := range h {
		y0, y1 := oy*k, min(oy*k+k, sh)
		o := oy * w
		if k == 2 && y1-y0 == 2 {
			reduce2(row(y0), row(y0+1), g.darkest[o:o+w], g.lightest[o:o+w])
			continue
		}
		for i := range lo {
			lo[i], hi[i] = 255, 0
		}
		for y := y0; y < y1; y++ {
			blockExtremes(row(y), k, lo, hi)
		}
		for ox := range w {
			g.darkest[o+ox], g.lightest[o+ox] = uint8(lo[ox]), uint8(hi[ox])
		}
	}
	return g
}

// blockExtremes updates the extremes of the k-pixel-wide blocks one row
// of levels spans.
func blockExtremes(row []uint8, k int, lo, hi []int) {
	for ox := range lo {
		x := ox * k
		seg := row[x:min(x+k, len(row))]
		// Two pairs of accumulators: each min or max waits only for the
		// one two pixels back.
		l, h, l1, h1 := lo[ox], hi[ox], 255, 0
		i := 0
		for ; i+2 <= len(seg); i += 2 {
			p, q := int(seg[i]), int(seg[i+1])
			l, l1 = min(l, p), min(l1, q)
			h, h1 = max(h, p), max(h1, q)
		}
		if i < len(seg) {
			p := int(seg[i])
			l, h = min(l, p), max(h, p)
		}
		lo[ox], hi[ox] = min(l, l1), max(h, h1)
	}
}

// reduce2 finds the extremes of the 2x2 blocks of two rows of levels (the
// last block a single column when the width is odd).
func reduce2(r0, r1 []uint8, dark, light []uint8) {
	w := len(dark)
	full := len(r0) / 2
	r1 = r1[:len(r0)]
	light = light[:w]
	for ox := range full {
		a, b := int(r0[2*ox]), int(r0[2*ox+1])
		c, d := int(r1[2*ox]), int(r1[2*ox+1])
		dark[ox] = uint8(min(a, b, c, d))
		light[ox] = uint8(max(a, b, c, d))
	}
	if full < w {
		a, c := int(r0[2*full]), int(r1[2*full])
		dark[full], light[full] = uint8(min(a, c)), uint8(max(a, c))
	}
}

// toGrey reduces img by an integer factor so its longer side is at most
// workMaxSide, converts it to luma (BT.601, as JPEG's Y) and composites
// transparent pixels over black or white, whichever makes the ink stand out.
func toGrey(img image.Image) *grey {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	k := (max(sw, sh) + workMaxSide - 1) / workMaxSide
	if plane, stride, ok := lumaPlane(img); ok {
		return reducePlane(plane, stride, sw, sh, k)
	}
	w, h := (sw+k-1)/k, (sh+k-1)/k
	luma := make([]float32, w*h) // premultiplied luma, 0..255
	var alpha []float32          // 0..1, allocated at the first translucent row
	// Block extremes of the luma composited over black (L) and over white
	// (L + 255 - A); which one applies is known only after compositing.
	var dark0, light0, dark1, light1 []uint8
	if k > 1 {
		dark0, light0 = make([]uint8, w*h), make([]uint8, w*h)
		dark1, light1 = make([]uint8, w*h), make([]uint8, w*h)
	}
	// Per block of the current block row: sums of luma and alpha, and the
	// running extremes of the opaque case (ints, so min and max compile to
	// conditional moves instead of branches that noise mispredicts).
	sumL := make([]int, w)
	sumA := make([]int, w)
	lo, hi := make([]int, w), make([]int, w)
	rowL := make([]uint8, sw)
	rowA := make([]uint8, sw)
	read := rowReader(img)
	blockW := func(ox int) int { return min(ox*k+k, sw) - ox*k }
	for oy := 0; oy < h; oy++ {
		clear(sumL)
		clear(sumA)
		row := oy * w
		if k > 1 {
			for i := range lo {
				lo[i], hi[i] = 255, 0
			}
			if alpha != nil {
				for i := row; i < row+w; i++ {
					dark0[i], dark1[i] = 255, 255
				}
			}
		}
		y0, y1 := oy*k, min(oy*k+k, sh)
		for y := y0; y < y1; y++ {
			l, opaque := read(b.Min.Y+y, rowL, rowA)
			if !opaque && alpha == nil {
				// The first translucent row: everything before was opaque,
				// where the composite over white equals the luma itself.
				alpha = make([]float32, w*h)
				for i := range row {
					alpha[i] = 1
				}
				for ox := range w {
					sumA[ox] = 255 * blockW(ox) * (y - y0)
				}
				if k > 1 {
					// This block row's extremes so far, from the opaque
					// accumulators.
					for ox := range w {
						dark0[row+ox], light0[row+ox] = uint8(lo[ox]), uint8(hi[ox])
					}
				}
				copy(dark1, dark0)
				copy(light1, light0)
			}
			switch {
			case k == 1:
				for x, v := range l[:w] {
					sumL[x] += int(v)
				}
				if alpha != nil {
					if opaque {
						for x := range w {
							sumA[x] += 255
						}
					} else {
						for x, a := range rowA[:w] {
							sumA[x] += int(a)
						}
					}
				}
			case alpha == nil: // opaque so far: the common, fast case
				accumulateBlocks(l[:sw], k, sumL, lo, hi)
			default:
				if opaque {
					fillOpaque(rowA)
				}
				accumulateTranslucent(l[:sw], rowA, k, sumL, sumA,
					dark0[row:row+w], light0[row:row+w], dark1[row:row+w], light1[row:row+w])
			}
		}
		if k > 1 && alpha == nil {
			for ox := range w {
				dark0[row+ox], light0[row+ox] = uint8(lo[ox]), uint8(hi[ox])
			}
		}
		for ox := 0; ox < w; ox++ {
			n := float32(blockW(ox) * (y1 - y0))
			luma[row+ox] = float32(uint64(sumL[ox])) / n
			if alpha != nil {
				alpha[row+ox] = float32(uint64(sumA[ox])) / (n * 255)
			}
		}
	}
	g := &grey{w: w, h: h, k: k, sw: sw, sh: sh, pix: luma, darkest: dark0, lightest: light0, integral: k == 1 && alpha == nil}
	if alpha != nil && composite(luma, alpha) == 255 && k > 1 {
		g.darkest, g.lightest = dark1, light1
	}
	return g
}

// accumulateBlocks adds one opaque row of luma to the sums and extremes of
// the k-pixel-wide blocks it spans.
func accumulateBlocks(row []uint8, k int, sum, lo, hi []int) {
	w := len(sum)
	if k == 2 && len(row) == 2*w {
		lo, hi = lo[:w], hi[:w]
		for ox := range sum {
			a, b := int(row[2*ox]), int(row[2*ox+1])
			sum[ox] += a + b
			lo[ox] = min(lo[ox], a, b)
			hi[ox] = max(hi[ox], a, b)
		}
		return
	}
	for ox := range sum {
		x := ox * k
		seg := row[x:min(x+k, len(row))]
		s, l, h := 0, lo[ox], hi[ox]
		for _, v := range seg {
			p := int(v)
			s += p
			l = min(l, p)
			h = max(h, p)
		}
		sum[ox] += s
		lo[ox], hi[ox] = l, h
	}
}

// accumulateTranslucent adds one row of premultiplied luma and alpha to the
// sums of the k-pixel-wide blocks it spans, and to the extremes of the luma
// composited over black (d0, l0) and over white (d1, l1).
func accumulateTranslucent(rowL, rowA []uint8, k int, sumL, sumA []int, d0s, l0s, d1s, l1s []uint8) {
	sw := len(rowL)
	for ox := range sumL {
		var l, a int
		d0, l0, d1, l1 := d0s[ox], l0s[ox], d1s[ox], l1s[ox]
		x0 := ox * k
		for x := x0; x < min(x0+k, sw); x++ {
			v, al := rowL[x], rowA[x]
			l += int(v)
			a += int(al)
			// Premultiplied luma never exceeds alpha; min keeps a
			// malformed image from wrapping around.
			over := 255 - al + min(v, al)
			d0, l0 = min(d0, v), max(l0, v)
			d1, l1 = min(d1, over), max(l1, over)
		}
		sumL[ox] += l
		sumA[ox] += a
		d0s[ox], l0s[ox], d1s[ox], l1s[ox] = d0, l0, d1, l1
	}
}

func fillOpaque(a []uint8) {
	for i := range a {
		a[i] = 255
	}
}

// composite lays the premultiplied luma over a uniform background, black
// (0) or white (255), in place, and returns that background. The right one makes
// the ink a small minority that stands out: a drawing app's black strokes on
// an empty canvas vanish on black and stand out on white; white strokes the
// other way round; a canvas pasted over part of a white page must become
// page, not a black slab around the strokes. So both are tried, and the
// one leaving the fewest pixels far from the picture's median (but some)
// wins.
func composite(luma, alpha []float32) float32 {
	outliers := func(bg float32) int {
		var hist [256]int
		for i, a := range alpha {
			hist[clamp255(luma[i]+(1-a)*bg)]++
		}
		med := percentile(&hist, len(alpha), 0.5)
		far := 0
		for v, k := range hist {
			if d := v - med; d > 64 || d < -64 {
				far += k
			}
		}
		return far
	}
	var bg float32 = 255
	if onWhite, onBlack := outliers(255), outliers(0); onWhite == 0 || (onBlack > 0 && onBlack < onWhite) {
		bg = 0
	}
	for i, a := range alpha {
		luma[i] += (1 - a) * bg
	}
	return bg
}

// rowReader returns a function that returns the premultiplied 8-bit luma
// of row y, filling the buffer l with it if needed, and whether the row
// was fully opaque; when it was not, a holds the row's 8-bit alpha. Common
// decoder outputs read their Pix directly (grey and JPEG's Y plane are the
// luma already: no copy); anything else goes through RGBA64At, which does
// not allocate.
func rowReader(img image.Image) func(y int, l, a []uint8) ([]uint8, bool) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			i := m.PixOffset(b.Min.X, y)
			return m.Pix[i : i+w], true
		}
	case *image.YCbCr:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			i := m.YOffset(b.Min.X, y)
			return m.Y[i : i+w], true
		}
	case *image.NYCbCrA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			yi, ai := m.YOffset(b.Min.X, y), m.AOffset(b.Min.X, y)
			opaque := true
			for x := 0; x < w; x++ {
				al := m.A[ai+x]
				l[x] = uint8((uint32(m.Y[yi+x])*uint32(al) + 127) / 255)
				a[x] = al
				opaque = opaque && al == 255
			}
			return l, opaque
		}
	case *image.RGBA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4 : 4*x+4]
				l[x] = luma8(q[0], q[1], q[2])
				a[x] = q[3]
				opaque = opaque && q[3] == 255
			}
			return l, opaque
		}
	case *image.NRGBA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4 : 4*x+4]
				l[x] = uint8((uint32(luma8(q[0], q[1], q[2]))*uint32(q[3]) + 127) / 255)
				a[x] = q[3]
				opaque = opaque && q[3] == 255
			}
			return l, opaque
		}
	case *image.Paletted:
		// A palette may be shorter than the indices used; such pixels read
		// as opaque black instead of panicking like Paletted.At would.
		var tl, ta [256]uint8
		for i := range ta {
			ta[i] = 255
		}
		for i, c := range m.Palette {
			if i >= 256 {
				break
			}
			if c == nil {
				continue
			}
			r, g, bl, al := c.RGBA()
			tl[i] = luma8(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ta[i] = uint8(al >> 8)
		}
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			for x := 0; x < w; x++ {
				l[x], a[x] = tl[p[x]], ta[p[x]]
				opaque = opaque && a[x] == 255
			}
			return l, opaque
		}
	case image.RGBA64Image:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			opaque := true
			for x := 0; x < w; x++ {
				c := m.RGBA64At(b.Min.X+x, y)
				l[x] = luma8(uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
				a[x] = uint8(c.A >> 8)
				opaque = opaque && a[x] == 255
			}
			return l, opaque
		}
	}
	return func(y int, l, a []uint8) ([]uint8, bool) {
		opaque := true
		for x := 0; x < w; x++ {
			var r, g, bl, al uint32
			if c := img.At(b.Min.X+x, y); c != nil {
				r, g, bl, al = c.RGBA()
			}
			l[x] = luma8(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			a[x] = uint8(al >> 8)
			opaque = opaque && a[x] == 255
		}
		return l, opaque
	}
}

// luma8 is BT.601 luma, the weights of color.GrayModel and of JPEG's Y.
func luma8(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

func clamp255(v float32) int {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return int(v + 0.5)
}

// percentile returns the smallest bin at which the cumulative count of a
// 256-bin histogram holding n values reaches fraction p.
func percentile(hist *[256]int, n int, p float64) int {
	target := int(math.Ceil(p * float64(n)))
	target = max(target, 1)
	c := 0
	for v, k := range hist {
		c += k
		if c >= target {
			return v
		}
	}
	return 255
}

// percentile32 is percentile for a histogram of int32 counts.
func percentile32(hist *[256]int32, n int, p float64) int {
	target := max(int(math.Ceil(p*float64(n))), 1)
	c := 0
	for v, k := range hist {
		c += int(k)
		if c >= target {
			return v
		}
	}
	return 255
}

// blockPercentile is percentile for the levels inside r of an image with
// rows of w levels, counted over four tables (see histogram8).
func blockPercentile(levels []uint8, w int, r image.Rectangle, p float64) int {
	var t [4][256]int32
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := levels[y*w+r.Min.X : y*w+r.Max.X]
		i := 0
		for ; i+4 <= len(row); i += 4 {
			q := row[i : i+4 : i+4]
			t[0][q[0]]++
			t[1][q[1]]++
			t[2][q[2]]++
			t[3][q[3]]++
		}
		for ; i < len(row); i++ {
			t[0][row[i]]++
		}
	}
	target := max(int(math.Ceil(p*float64(r.Dx()*r.Dy()))), 1)
	c := 0
	for v := range 256 {
		c += int(t[0][v]) + int(t[1][v]) + int(t[2][v]) + int(t[3][v])
		if c >= target {
			return v
		}
	}
	return 255
}

// inkMap is the ink strength of every working pixel (0 = paper, 255 = the
// darkest ink relative to its surroundings), with the pixels that belong to
// the digit selected.
type inkMap struct {
	w, h   int
	val    []float32 // output intensity 0..255 (soft edges kept), valid around crop
	crop   image.Rectangle
	stroke float64 // estimated stroke width in working pixels
}

// inkStrength finds the ink in a grey image and crops to it.
func inkStrength(g *grey) (*inkMap, error) {
	n := g.w * g.h
	// levels is the grey image as bytes when its values are whole numbers
	// (an opaque picture that was not reduced): bytes histogram and look up
	// faster than floats convert.
	levels := g.levels
	if levels == nil && g.darkest == nil && g.integral {
		levels = make([]uint8, n)
		for i, v := range g.pix {
			levels[i] = uint8(v)
		}
	}
	// The histogram of the whole image and of its border. Reduced images
	// need them only to break a tie below.
	var hist, border [256]int
	nb := 0
	if g.darkest == nil {
		nb = meanHistograms(g, levels, &hist, &border)
	}
	// Ink is the minority at one extreme; the median is background: ink is
	// on the side where more stands out from it (tailScore). The median of
	// the whole image, not of its border: in a photo of a sheet on a table
	// the border is table, the median is paper. The border decides only
	// when both sides score about the same.
	darkHist, lightHist := &hist, &hist
	var dh, lh [256]int
	if g.darkest != nil {
		// Reduced: thin strokes show at full contrast only in the block
		// extremes: look for dark ink among the darkest pixel of each
		// block, for light ink among the lightest.
		histogram8(g.darkest, &dh)
		histogram8(g.lightest, &lh)
		darkHist, lightHist = &dh, &lh
	}
	darkScore, lightScore := tailScore(darkHist, n, -1), tailScore(lightHist, n, +1)
	darkInk := darkScore > lightScore
	if darkScore+lightScore == 0 || math.Abs(darkScore-lightScore) < 0.1*(darkScore+lightScore) {
		if g.darkest != nil {
			nb = meanHistograms(g, nil, &hist, &border)
		}
		bg := percentile(&border, nb, 0.5)
		lo, hi := percentile(&hist, n, 0.01), percentile(&hist, n, 0.99)
		darkInk = bg-lo >= hi-bg
	}
	// Orient so that ink is bright and background dark, like MNIST (in
	// place: the grey image is ours). oriented is the result as bytes, and
	// counts its histogram, when the levels are whole numbers (always once
	// reduced: the block extremes are); otherwise in holds it.
	var oriented []uint8
	var counts *[256]int
	switch {
	case g.darkest != nil:
		oriented, counts = g.lightest, &lh
		if darkInk {
			oriented, counts = g.darkest, &dh
		}
	case levels != nil:
		oriented, counts = levels, &hist
	}
	var in []float32
	if oriented != nil {
		if darkInk {
			for i, v := range oriented {
				oriented[i] = 255 - v
			}
			var rev [256]int
			for v, c := range counts {
				rev[255-v] = c
			}
			counts = &rev
		}
	} else {
		in = g.means()
		if darkInk {
			for i, v := range in {
				in[i] = 255 - v
			}
		}
	}
	bgmap, bgconst := localBackground(in, oriented, g.w, g.h)

	// Strength relative to the paper: (I - bg) / (255 - bg). For dark ink
	// that is (paper - v) / paper, the fraction of light the ink absorbs, so
	// the shaded half of a page reads like the lit half. The 64 floor stops
	// a nearly black "paper" from amplifying noise.
	s := make([]float32, n)
	var sh [256]int
	var strength *[256]float32 // the strength of each oriented level, when it has one
	switch {
	case oriented != nil && bgmap == nil:
		// Each level has one strength: compute the 256 once, and the
		// histogram of strengths from the histogram of levels.
		k := 255 / max(255-bgconst, 64)
		strength = new([256]float32)
		for v := range strength {
			strength[v] = max((float32(v)-bgconst)*k, 0)
			sh[clamp255(strength[v])] += counts[v]
		}
		for i, v := range oriented {
			s[i] = strength[v]
		}
	case oriented != nil:
		for i, v := range oriented {
			b := bgmap[i]
			s[i] = max((float32(v)-b)*255/max(255-b, 64), 0)
		}
		histogramStrength(s, &sh)
	case bgmap == nil:
		k := 255 / max(255-bgconst, 64)
		for i, v := range in {
			s[i] = max((v-bgconst)*k, 0)
		}
		histogramStrength(s, &sh)
	default:
		for i, v := range in {
			b := bgmap[i]
			s[i] = max((v-b)*255/max(255-b, 64), 0)
		}
		histogramStrength(s, &sh)
	}
	inkClass := func(t int) (count int, mean float64) {
		var sum float64
		for v := t + 1; v < 256; v++ {
			count += sh[v]
			sum += float64(v * sh[v])
		}
		if count > 0 {
			mean = sum / float64(count)
		}
		return count, mean
	}
	t := otsu(&sh)
	inkN, inkMean := inkClass(t)
	if inkMean < minInkContrast {
		// Otsu splits the bigger mass: when the ink is a tiny fraction of
		// the picture (a small digit in a large photo), it may split the
		// paper's noise instead. Look again above the noise floor only.
		floor := noiseFloor(&sh, n)
		var upper [256]int
		copy(upper[floor+1:], sh[floor+1:])
		if t2 := otsu(&upper); t2 > floor {
			t = t2
			inkN, inkMean = inkClass(t)
		}
	}
	if inkN == 0 {
		return nil, digitbot.Errorf(digitbot.ENODIGIT, "I could not find a digit in this image: it looks blank.")
	}
	if inkMean < minInkContrast {
		return nil, digitbot.Errorf(digitbot.ENODIGIT,
			"I could not find a digit in this image: nothing stands out from the background.")
	}

	mask := make([]bool, n)
	rows, cols := make([]int, g.h), make([]int, g.w)
	threshold(s, float32(t), g.w, mask, rows, cols)
	removeRules(mask, s, g.w, g.h, rows, cols)
	marked := 0
	for _, c := range rows {
		marked += c
	}
	dig := keepDigit(mask, g.w, g.h, marked)
	crop, inkPixels := dig.box, len(dig.pixels)
	if inkPixels < minInkPixels || max(crop.Dx(), crop.Dy()) < minInkSide {
		return nil, digitbot.Errorf(digitbot.ENODIGIT,
			"I could not find a digit in this image: there is too little ink (a dot or a speck?).")
	}

	// Map strength to output intensity: the noise floor (median + 3 robust
	// sigmas of the mostly-background pixels) goes to 0, the typical stroke
	// core (75th percentile of the ink) to 255. For an MNIST digit both
	// are at their natural values (0 and ~255), so it passes unchanged.
	var inkHist [256]int
	for _, p := range dig.pixels {
		inkHist[clamp255(s[p.i])]++
	}
	core := float32(percentile(&inkHist, inkPixels, 0.75))
	floor := min(float32(noiseFloor(&sh, n)), float32(t)/2)
	if core <= floor+1 {
		core = floor + 1
	}
	intensity := func(v float32) float32 { return min(max((v-floor)*255/(core-floor), 0), 255) }
	// Only the crop and the margin growCrop may add to it are read.
	limit := 2 + max(g.w, g.h)/64
	region := crop.Inset(-limit).Intersect(image.Rect(0, 0, g.w, g.h))
	val := s // in place: the strengths are not needed any more
	var levelIntensity *[256]float32
	if strength != nil {
		// s is strength[level] where removeRules left it, 0 where it
		// erased: intensity has 257 possible arguments.
		levelIntensity = new([256]float32)
		for v, sv := range strength {
			levelIntensity[v] = intensity(sv)
		}
	}
	zero := intensity(0)
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for i := y*g.w + region.Min.X; i < y*g.w+region.Max.X; i++ {
			switch v := s[i]; {
			case dig.dropped(i):
				val[i] = 0 // a speck or mark that is not the digit
			case levelIntensity != nil && v != 0:
				val[i] = levelIntensity[oriented[i]]
			case levelIntensity != nil:
				val[i] = zero
			default:
				val[i] = intensity(v)
			}
		}
	}
	crop = growCrop(val, g.w, g.h, crop, limit)
	return &inkMap{w: g.w, h: g.h, val: val, crop: crop, stroke: strokeWidth(&dig, g.w, g.h)}, nil
}

// meanHistograms fills hist with the levels of the whole grey image and
// border with those of a band along its edges (from levels when not nil,
// else from the means), and returns the number of border pixels.
func meanHistograms(g *grey, levels []uint8, hist, border *[256]int) int {
	var pix []float32
	if levels != nil {
		histogram8(levels, hist)
	} else {
		pix = g.means()
		histogramStrength(pix, hist)
	}
	level := func(i int) int {
		if levels != nil {
			return int(levels[i])
		}
		return clamp255(pix[i])
	}
	band := max(1, min(g.w, g.h)/16)
	nb := 0
	for y := 0; y < g.h; y++ {
		row := y * g.w
		if y < band || y >= g.h-band {
			for x := range g.w {
				border[level(row+x)]++
			}
			nb += g.w
			continue
		}
		for x := range min(band, g.w) {
			border[level(row+x)]++
		}
		for x := max(g.w-band, band); x < g.w; x++ {
			border[level(row+x)]++
		}
		nb += min(band, g.w) + g.w - max(g.w-band, band)
	}
	return nb
}

// histogram8 adds the values of p to h. Consecutive pixels go to four
// tables: in a run of equal values (the paper) each increment would
// otherwise wait for the previous one to be stored.
func histogram8(p []uint8, h *[256]int) {
	var h1, h2, h3 [256]int32
	i := 0
	for ; i+4 <= len(p); i += 4 {
		q := p[i : i+4 : i+4]
		h[q[0]]++
		h1[q[1]]++
		h2[q[2]]++
		h3[q[3]]++
	}
	for ; i < len(p); i++ {
		h[p[i]]++
	}
	for v := range h {
		h[v] += int(h1[v]) + int(h2[v]) + int(h3[v])
	}
}

// histogramStrength adds clamp255 of each value of s to h, over two tables
// for the reason histogram8 gives.
func histogramStrength(s []float32, h *[256]int) {
	var h1 [256]int32
	i := 0
	for ; i+2 <= len(s); i += 2 {
		h[clamp255(s[i])]++
		h1[clamp255(s[i+1])]++
	}
	for ; i < len(s); i++ {
		h[clamp255(s[i])]++
	}
	for v := range h {
		h[v] += int(h1[v])
	}
}

// threshold marks the values of s above t in mask and counts the marks of
// each row and column (s has rows of w values).
func threshold(s []float32, t float32, w int, mask []bool, rows, cols []int) {
	cols = cols[:w]
	for y := range rows {
		sr, mr := s[y*w:y*w+w], mask[y*w:y*w+w]
		c := 0
		for x, v := range sr {
			m := v > t
			mr[x] = m
			b := 0
			if m {
				b = 1
			}
			c += b
			cols[x] += b
		}
		rows[y] = c
	}
}

// localBackground estimates the background level of an oriented (ink
// bright) image: the 30th percentile of each block of a coarse grid (the
// background is the majority almost everywhere), then a smooth quadratic
// surface fitted to the blocks, refitted without the blocks that stand out
// above it (those are full of ink: a thick stroke). A quadratic follows the
// light falling across a photographed page and its vignetting without
// bending into the strokes. It returns the level of every pixel, or a
// constant (and a nil map) when the surface is flat: the common, evenly lit
// case. The image is levels when that is not nil, else in.
func localBackground(in []float32, levels []uint8, w, h int) (bgmap []float32, constant float32) {
	size := max(4, (max(w, h)+7)/8)
	gw, gh := (w+size-1)/size, (h+size-1)/size
	var hists [][256]int32
	if levels == nil {
		hists = make([][256]int32, gw*gh)
		for y := 0; y < h; y++ {
			row := hists[(y/size)*gw:]
			for x := 0; x < w; x++ {
				row[x/size][clamp255(in[y*w+x])]++
			}
		}
	}
	// Block centres in coordinates normalised to [-1, 1].
	nx := func(x float64) float64 { return 2*x/float64(w) - 1 }
	ny := func(y float64) float64 { return 2*y/float64(h) - 1 }
	pts := make([]surfacePoint, 0, gw*gh)
	for by := 0; by < gh; by++ {
		for bx := 0; bx < gw; bx++ {
			x0, x1 := bx*size, min(bx*size+size, w)
			y0, y1 := by*size, min(by*size+size, h)
			var v float64
			if levels != nil {
				v = float64(blockPercentile(levels, w, image.Rect(x0, y0, x1, y1), 0.3))
			} else {
				v = float64(percentile32(&hists[by*gw+bx], (x1-x0)*(y1-y0), 0.3))
			}
			pts = append(pts, surfacePoint{nx(float64(x0+x1) / 2), ny(float64(y0+y1) / 2), v, false})
		}
	}
	coef := fitBackground(pts)
	// Outside the blocks it was fitted on (a corner of the table around a
	// photographed sheet), a quadratic extrapolates wildly: keep it within
	// the levels of the background it saw.
	vlo, vhi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if p.use {
			vlo, vhi = min(vlo, p.v), max(vhi, p.v)
		}
	}
	eval := func(x, y float64) float64 { return min(max(evalSurface(coef, x, y), vlo-8), vhi+8) }
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range [][2]float64{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
		v := eval(c[0], c[1])
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 8 {
		return nil, float32(min(max(eval(0, 0), 0), 255))
	}
	bgmap = make([]float32, w*h)
	for y := 0; y < h; y++ {
		fy := ny(float64(y) + 0.5)
		for x := 0; x < w; x++ {
			bgmap[y*w+x] = float32(min(max(eval(nx(float64(x)+0.5), fy), 0), 255))
		}
	}
	return bgmap, 0
}

type surfacePoint struct {
	x, y, v float64
	use     bool
}

// fitBackground fits v ≈ c0 + c1 x + c2 y + c3 x² + c4 xy + c5 y² by least
// squares, dropping points that lie well above the surface (ink) and
// refitting. With too few points left it falls back to a plane, then to a
// constant (the lower median).
func fitBackground(pts []surfacePoint) [6]float64 {
	// Start from the darker half of the blocks (in oriented terms: the
	// paper side), so that a big region of "ink" (the table around a
	// photographed sheet) cannot pull the first fit towards it; blocks the
	// fit explains are then added back.
	vs := make([]float64, len(pts))
	for i, p := range pts {
		vs[i] = p.v
	}
	slices.Sort(vs)
	for i := range pts {
		pts[i].use = pts[i].v <= vs[len(vs)/2]
	}
	var coef [6]float64
	for iter := 0; iter < 5; iter++ {
		var kept []surfacePoint
		for _, p := range pts {
			if p.use {
				kept = append(kept, p)
			}
		}
		terms := 6
		switch {
		case len(kept) < 4:
			terms = 1
		case len(kept) < 12:
			terms = 3
		}
		var ok bool
		coef, ok = leastSquares(kept, terms)
		if !ok {
			coef, _ = leastSquares(kept, 1)
		}
		// Robust spread of the residuals of the kept points.
		res := make([]float64, 0, len(kept))
		for _, p := range kept {
			res = append(res, math.Abs(p.v-evalSurface(coef, p.x, p.y)))
		}
		slices.Sort(res)
		limit := max(4, 2.5*1.4826*res[len(res)/2])
		changed := false
		for i, p := range pts {
			use := p.v-evalSurface(coef, p.x, p.y) <= limit
			if use != p.use {
				pts[i].use, changed = use, true
			}
		}
		// Never let the ink outvote the paper: keep at least a third.
		n := 0
		for _, p := range pts {
			if p.use {
				n++
			}
		}
		if n < max(1, len(pts)/3) {
			sort.Slice(pts, func(i, j int) bool { return pts[i].v < pts[j].v })
			for i := range pts {
				pts[i].use = i < max(1, len(pts)/3)
			}
			changed = true
		}
		if !changed {
			break
		}
	}
	return coef
}

func evalSurface(c [6]float64, x, y float64) float64 {
	return c[0] + c[1]*x + c[2]*y + c[3]*x*x + c[4]*x*y + c[5]*y*y
}

// leastSquares solves the normal equations for the first terms of the
// quadratic basis (1, x, y, x², xy, y²) by Gaussian elimination.
func leastSquares(pts []surfacePoint, terms int) ([6]float64, bool) {
	var a [6][7]float64
	for _, p := range pts {
		basis := [6]float64{1, p.x, p.y, p.x * p.x, p.x * p.y, p.y * p.y}
		for i := 0; i < terms; i++ {
			for j := 0; j < terms; j++ {
				a[i][j] += basis[i] * basis[j]
			}
			a[i][terms] += basis[i] * p.v
		}
	}
	for col := 0; col < terms; col++ {
		pivot := col
		for r := col + 1; r < terms; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[pivot][col]) {
				pivot = r
			}
		}
		if math.Abs(a[pivot][col]) < 1e-9 {
			return [6]float64{}, false
		}
		a[col], a[pivot] = a[pivot], a[col]
		for r := 0; r < terms; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k <= terms; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var c [6]float64
	for i := 0; i < terms; i++ {
		c[i] = a[i][terms] / a[i][i]
	}
	return c, true
}

// otsu returns the threshold maximising the between-class variance of a
// 256-bin histogram; values above it are the foreground class.
func otsu(hist *[256]int) int {
	var total, sum float64
	for v, k := range hist {
		total += float64(k)
		sum += float64(v * k)
	}
	var wB, sumB, best float64
	t := 0
	for v := 0; v < 255; v++ {
		wB += float64(hist[v])
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * hist[v])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if between := wB * wF * (mB - mF) * (mB - mF); between > best {
			best, t = between, v
		}
	}
	return t
}

// tailScore measures how much stands out from the median on one side
// (sign -1: darker, +1: lighter) of a histogram: the sum of the distances
// beyond the noise (3 robust sigmas, plus a margin) of every pixel. The ink
// is on the side with the larger score, however few its pixels: a small
// digit in a large photo is a tenth of a percent of it.
func tailScore(hist *[256]int, n, sign int) float64 {
	med := percentile(hist, n, 0.5)
	margin := noiseFloor(hist, n) - med + 8
	score := 0.0
	for v, k := range hist {
		if d := sign*(v-med) - margin; d > 0 {
			score += float64(d * k)
		}
	}
	return score
}

// noiseFloor is median + 3 robust sigmas (1.4826 MAD) of a histogram.
func noiseFloor(hist *[256]int, n int) int {
	med := percentile(hist, n, 0.5)
	c := 0
	for d := 0; d < 256; d++ {
		if med-d >= 0 {
			c += hist[med-d]
		}
		if d > 0 && med+d < 256 {
			c += hist[med+d]
		}
		if 2*c >= n {
			return med + int(math.Ceil(3*1.4826*float64(d)))
		}
	}
	return 255
}

// removeRules erases ruled lines: thin runs of rows (or columns) that are
// ink across at least 80% of the picture. Ruled paper is common, and a digit
// that crosses the lines would otherwise merge with them into one
// picture-wide mark. Pixels much stronger than the line (twice the median
// of its row) are ink crossing it and stay. A thick band is a stroke of a
// tightly cropped digit (the bar of a 7), not a rule, and stays too. rows
// and cols hold the count of ink pixels of each row and column.
func removeRules(mask []bool, s []float32, w, h int, rows, cols []int) {
	// erase handles n lines of the given length whose ink counts are in
	// counts; at(i, j) is the index of the j-th pixel of line i.
	erase := func(counts []int, length, maxRun int, at func(i, j int) int) {
		vals := make([]float32, 0, length)
		full := func(i int) bool { return 10*counts[i] >= 8*length }
		for i := 0; i < len(counts); {
			if !full(i) {
				i++
				continue
			}
			end := i
			for end < len(counts) && full(end) {
				end++
			}
			if end-i <= maxRun {
				for k := i; k < end; k++ {
					vals = vals[:0]
					for j := range length {
						if mask[at(k, j)] {
							vals = append(vals, s[at(k, j)])
						}
					}
					slices.Sort(vals)
					line := vals[len(vals)/2]
					for j := range length {
						if p := at(k, j); s[p] < 2*line {
							mask[p], s[p] = false, 0
						}
					}
				}
			}
			i = end
		}
	}
	erase(rows, w, max(2, h/50), func(row, x int) int { return row*w + x })
	erase(cols, h, max(2, w/50), func(col, y int) int { return y*w + col })
}

// component is a connected region of ink: its area and bounding box, and
// where its pixels are in the order keepDigit visited them.
type component struct {
	area  int
	box   image.Rectangle
	first int
}

// pixel is a working pixel: its index and coordinates.
type pixel struct{ i, x, y int32 }

// digit is the ink that keepDigit keeps.
type digit struct {
	labels []int32 // the component of each ink pixel, from 1; 0 elsewhere
	keep   []bool  // by label: the component is part of the digit
	pixels []pixel // the digit's pixels
	box    image.Rectangle
}

// kept reports whether working pixel i belongs to the digit.
func (d *digit) kept(i int) bool { return d.keep[d.labels[i]] }

// dropped reports whether working pixel i is ink that is not the digit.
func (d *digit) dropped(i int) bool { l := d.labels[i]; return l != 0 && !d.keep[l] }

// keepDigit labels the 8-connected components of mask, keeps those that
// make up the digit (the large ones, and small ones close to them: a
// broken stroke) and returns them with their pixels and bounding box.
// inkPixels is at least the number of pixels in mask.
func keepDigit(mask []bool, w, h, inkPixels int) digit {
	labels := make([]int32, len(mask))
	var comps []component
	stack := make([]pixel, 0, 256)
	order := make([]pixel, 0, inkPixels) // every ink pixel, component by component
	for start, m := range mask {
		if !m || labels[start] != 0 {
			continue
		}
		id := int32(len(comps) + 1)
		sx, sy := start%w, start/w
		c := component{first: len(order)}
		minX, minY, maxX, maxY := sx, sy, sx+1, sy+1
		labels[start] = id
		stack = append(stack[:0], pixel{int32(start), int32(sx), int32(sy)})
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			order = append(order, p)
			x, y := int(p.x), int(p.y)
			minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x+1), max(maxY, y+1)
			for ny := max(0, y-1); ny <= min(h-1, y+1); ny++ {
				for nx := max(0, x-1); nx <= min(w-1, x+1); nx++ {
					j := ny*w + nx
					if mask[j] && labels[j] == 0 {
						labels[j] = id
						stack = append(stack, pixel{int32(j), int32(nx), int32(ny)})
					}
				}
			}
		}
		c.area = len(order) - c.first
		c.box = image.Rect(minX, minY, maxX, maxY)
		comps = append(comps, c)
	}
	// Frame-like components touch the picture's edge and run along most of
	// it: the table around a photographed sheet, ruled lines, a shadow at
	// the edge. They are dropped when a real mark (not a speck) remains;
	// otherwise they are the digit itself, cropped tightly (a "1" from top
	// to bottom).
	dropped := make([]bool, len(comps))
	frame := func(c component) bool {
		touches := c.box.Min.X == 0 || c.box.Min.Y == 0 || c.box.Max.X == w || c.box.Max.Y == h
		return touches && (10*c.box.Dx() >= 9*w || 10*c.box.Dy() >= 9*h)
	}
	mark := func(c component) bool {
		return c.area >= max(minInkPixels, w*h/500) && max(c.box.Dx(), c.box.Dy()) >= max(minInkSide, max(w, h)/20)
	}
	if slices.ContainsFunc(comps, func(c component) bool { return !frame(c) && mark(c) }) {
		for i, c := range comps {
			dropped[i] = frame(c)
		}
	}
	// The digit is the largest mark and what lies close to it: the pieces
	// of a stroke that broke apart, a detached bar. Marks further away
	// (a second digit, a note in the corner, specks) are not part of it.
	// Close means within half the digit's size for substantial pieces
	// (a twentieth of the largest's area or more), a tenth for small ones.
	var box image.Rectangle
	first := -1
	for i, c := range comps {
		if !dropped[i] && (first < 0 || c.area > comps[first].area) {
			first = i
		}
	}
	keep := make([]bool, len(comps)+1)
	if first >= 0 {
		keep[first+1] = true
		box = comps[first].box
		for grown := true; grown; {
			grown = false
			side := max(box.Dx(), box.Dy())
			for i, c := range comps {
				if keep[i+1] || dropped[i] || c.area < 2 {
					continue
				}
				// An underline: a flat bar wholly below the digit. (Bars
				// above stay: the detached top bar of a 5.)
				if c.box.Min.Y >= box.Max.Y && c.box.Dx() >= 4*c.box.Dy() && 5*c.box.Dx() >= 2*box.Dx() {
					continue
				}
				reach := side / 10
				if float64(c.area) >= speckFraction*float64(comps[first].area) {
					reach = side / 2
				}
				if c.box.Overlaps(box.Inset(-reach)) {
					keep[i+1] = true
					box = box.Union(c.box)
					grown = true
				}
			}
		}
	}
	d := digit{labels: labels, keep: keep, box: box}
	n := 0
	for i, c := range comps {
		if keep[i+1] {
			n += c.area
		}
	}
	d.pixels = make([]pixel, 0, n)
	for i, c := range comps {
		if keep[i+1] {
			d.pixels = append(d.pixels, order[c.first:c.first+c.area]...)
		}
	}
	return d
}

// growCrop extends the ink's bounding box by up to limit pixels a side over
// the soft, below-threshold edge of the strokes, which MNIST's box
// includes.
func growCrop(val []float32, w, h int, r image.Rectangle, limit int) image.Rectangle {
	hasInk := func(x0, y0, x1, y1 int) bool {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if val[y*w+x] > 0 {
					return true
				}
			}
		}
		return false
	}
	for range limit {
		grown := false
		if r.Min.X > 0 && hasInk(r.Min.X-1, r.Min.Y, r.Min.X, r.Max.Y) {
			r.Min.X--
			grown = true
		}
		if r.Max.X < w && hasInk(r.Max.X, r.Min.Y, r.Max.X+1, r.Max.Y) {
			r.Max.X++
			grown = true
		}
		if r.Min.Y > 0 && hasInk(r.Min.X, r.Min.Y-1, r.Max.X, r.Min.Y) {
			r.Min.Y--
			grown = true
		}
		if r.Max.Y < h && hasInk(r.Min.X, r.Max.Y, r.Max.X, r.Max.Y+1) {
			r.Max.Y++
			grown = true
		}
		if !grown {
			break
		}
	}
	return r
}

// strokeWidth estimates the mean stroke width of the digit as
// area / half-perimeter: a stroke of length L and width W has area L*W and
// a perimeter of about 2L.
func strokeWidth(d *digit, w, h int) float64 {
	edges := 0
	for _, p := range d.pixels {
		i, x, y := int(p.i), int(p.x), int(p.y)
		for _, in := range [4]bool{x > 0 && d.kept(i-1), x < w-1 && d.kept(i+1), y > 0 && d.kept(i-w), y < h-1 && d.kept(i+w)} {
			if !in {
				edges++
			}
		}
	}
	if edges == 0 {
		return 0
	}
	return 2 * float64(len(d.pixels)) / float64(edges)
}

// fitAndCentre crops the ink, thickens thin strokes, scales the crop into
// fitSide x fitSide keeping its aspect ratio and places it in 28x28 with
// its centre of mass at pixel (14, 14), where MNIST has it.
func fitAndCentre(m *inkMap) (out [digitbot.InputSide * digitbot.InputSide]uint8, err error) {
	side := max(m.crop.Dx(), m.crop.Dy())
	// A stroke this thin (in working pixels) would be a faint hairline
	// after shrinking; widen it towards MNIST's proportions first.
	pad := 0
	if target := targetStroke * float64(side); m.stroke > 0 && m.stroke < thinStroke*target {
		pad = int(math.Round((target - m.stroke) / 2))
	}
	cw, ch := m.crop.Dx()+2*pad, m.crop.Dy()+2*pad
	src := image.NewGray(image.Rect(0, 0, cw, ch))
	for y := 0; y < m.crop.Dy(); y++ {
		row := m.val[(m.crop.Min.Y+y)*m.w+m.crop.Min.X:]
		dst := src.Pix[(y+pad)*cw+pad:]
		for x := 0; x < m.crop.Dx(); x++ {
			dst[x] = uint8(row[x] + 0.5)
		}
	}
	if pad > 0 {
		dilate(src, pad)
	}
	side = max(cw, ch)
	scale := float64(fitSide) / float64(side)
	nw := max(1, int(math.Round(float64(cw)*scale)))
	nh := max(1, int(math.Round(float64(ch)*scale)))
	fit := src
	if nw != cw || nh != ch {
		fit = image.NewGray(image.Rect(0, 0, nw, nh))
		draw.CatmullRom.Scale(fit, fit.Bounds(), src, src.Bounds(), draw.Src, nil)
	}
	// Stretch so the strongest ink is 255, as in MNIST; shrinking a
	// photo's strokes leaves them below full intensity.
	var peak uint8
	var mass, mx, my float64
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			v := fit.Pix[y*fit.Stride+x]
			peak = max(peak, v)
			mass += float64(v)
			mx += float64(v) * float64(x)
			my += float64(v) * float64(y)
		}
	}
	if mass == 0 {
		return out, digitbot.Errorf(digitbot.ENODIGIT, "I could not find a digit in this image: there is too little ink.")
	}
	gain := 255 / float64(peak)
	const c = digitbot.InputSide / 2
	ox := min(max(int(math.Round(c-mx/mass)), 0), digitbot.InputSide-nw)
	oy := min(max(int(math.Round(c-my/mass)), 0), digitbot.InputSide-nh)
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			v := float64(fit.Pix[y*fit.Stride+x]) * gain
			out[(oy+y)*digitbot.InputSide+ox+x] = uint8(min(v+0.5, 255))
		}
	}
	return out, nil
}

// dilate is a grey-level dilation (maximum filter) with a square of
// radius r, done separably; it thickens strokes by 2r pixels.
func dilate(img *image.Gray, r int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for x := 0; x < w; x++ {
			var m uint8
			for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
				m = max(m, row[xx])
			}
			tmp[y*w+x] = m
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var m uint8
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				m = max(m, tmp[yy*w+x])
			}
			img.Pix[y*img.Stride+x] = m
		}
	}
}
