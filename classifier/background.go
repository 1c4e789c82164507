package classifier

import (
	"image"
	"math"
	"slices"
	"sort"
)

// localBackground estimates the background level of an oriented (ink
// bright) image: the 30th percentile of each block of a coarse grid (the
// background is the majority almost everywhere), then a smooth quadratic
// surface fitted to the blocks, refitted without the blocks that stand out
// above it (those are full of ink: a thick stroke). A quadratic follows the
// light falling across a photographed page and its vignetting without
// bending into the strokes. It returns the level of every pixel, or a
// constant (and a nil map) when the surface is flat: the common, evenly lit
// case. The image is levels when that is not nil, else in.
//
// Under a shadow the background is a grey-level opening (openBackground)
// of radius 3/4 of a block, or half a block when narrowShadow is set, and
// shadow is set.
func localBackground(in []float32, levels []uint8, w, h int, sc *scratch, narrowShadow bool) (bgmap []float32, constant float32, shadow bool) {
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
	if shadowed(pts, coef, gw, gh) {
		// The opening's square is 3/4 of a block a side from the centre
		// (it was a whole block): near a shadow's edge that meets the
		// gradient at an angle, the opening strays from the paper over
		// about its radius, and a wider band of false ink there joins the
		// digit. Half a block is better still for shadows but erodes the
		// strip of table below a photographed sheet into ink: it is the
		// second reading of a shadowed picture whose first is refused
		// (Classifier.Classify).
		radius := size * 3 / 4
		if narrowShadow {
			radius = size / 2
		}
		return openBackground(in, levels, w, h, max(2, radius)), 0, true
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range [][2]float64{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
		v := eval(c[0], c[1])
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 8 {
		return nil, float32(min(max(eval(0, 0), 0), 255)), false
	}
	return surfaceMap(sc.floatBuf(bufBackground, w*h), coef, vlo-8, vhi+8, w, h), 0, false
}

// surfaceMap evaluates the background surface at the centre of every
// pixel into bgmap (w·h values, all written), clamped to [lo, hi] and then to [0, 255]. It computes what
// evalSurface does, in its order (c0 + c1·x + c2·y + c3·x·x + c4·x·y +
// c5·y·y, left to right), with the terms that depend on x alone computed
// once per column and those of y once per row: the same values.
func surfaceMap(bgmap []float32, c [6]float64, lo, hi float64, w, h int) []float32 {
	base, xx, cx := make([]float64, w), make([]float64, w), make([]float64, w)
	for x := range w {
		fx := 2*(float64(x)+0.5)/float64(w) - 1
		base[x] = c[0] + c[1]*fx
		xx[x] = c[3] * fx * fx
		cx[x] = c[4] * fx
	}
	for y := range h {
		fy := 2*(float64(y)+0.5)/float64(h) - 1
		cy, cyy := c[2]*fy, c[5]*fy*fy
		surfaceRow(bgmap[y*w:y*w+w], base, xx, cx, cy, fy, cyy, lo, hi)
	}
	return bgmap
}

// surfaceRowPortable is one row of surfaceMap. surfaceRow
// (background_simd.go, background_portable.go) runs it, or the same
// float64 operations 8 pixels at a time where the CPU has AVX-512.
func surfaceRowPortable(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	base, xx, cx = base[:len(row)], xx[:len(row)], cx[:len(row)]
	for x := range row {
		v := base[x] + cy + xx[x] + cx[x]*fy + cyy
		// min and max as comparisons (the builtins' care for NaN and
		// the sign of zero made this loop 3x slower; neither occurs
		// here, and a zero's sign changes no strength).
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		if v < 0 {
			v = 0
		}
		if v > 255 {
			v = 255
		}
		row[x] = float32(v)
	}
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
	kept, res := make([]surfacePoint, 0, len(pts)), make([]float64, 0, len(pts)) // made once, refilled each round
	for iter := 0; iter < 5; iter++ {
		kept = kept[:0]
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
		res = res[:0]
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

// shadowed reports a background no smooth surface follows: a quarter or
// more of the blocks, some of them on the picture's edge, lie far above
// the fitted surface (in oriented terms: much darker paper), as under the
// hard-edged shadow of a hand or a phone. A thick digit covers fewer
// blocks that fully.
func shadowed(pts []surfacePoint, coef [6]float64, gw, gh int) bool {
	above, edge := 0, false
	for i, p := range pts {
		if p.v-evalSurface(coef, p.x, p.y) > 24 {
			above++
			bx, by := i%gw, i/gw
			edge = edge || bx == 0 || by == 0 || bx == gw-1 || by == gh-1
		}
	}
	return edge && 10*above >= len(pts)
}

// openBackground estimates the background of an oriented (ink bright)
// image by a grey-level opening (a minimum filter, then a maximum filter)
// over a square of radius r: strokes narrower than the square vanish,
// while regions wider than it, such as a shadow, keep their level and
// their sharp edges. The image is levels when that is not nil, else in.
func openBackground(in []float32, levels []uint8, w, h, r int) []float32 {
	bg := make([]float32, w*h)
	if levels != nil {
		for i, v := range levels {
			bg[i] = float32(v)
		}
	} else {
		copy(bg, in)
	}
	tmp := make([]float32, w*h)
	// A 3x3 mean first: the minimum of raw sensor noise would sit a few
	// sigmas below the paper and make the whole page read as faint ink.
	for y := range h {
		for x := range w {
			var sum float32
			n := 0
			for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
					sum += bg[yy*w+xx]
					n++
				}
			}
			tmp[y*w+x] = sum / float32(n)
		}
	}
	bg, tmp = tmp, bg
	var line lineExtremes
	line.filter(bg, tmp, w, 1, h, w, r, true)
	line.filter(tmp, bg, h, w, w, 1, r, true)
	line.filter(bg, tmp, w, 1, h, w, r, false)
	line.filter(tmp, bg, h, w, w, 1, r, false)
	return bg
}

// lineExtremes computes the minimum (or maximum) over a window of 2r+1
// values, clipped at the ends, along each line of an image, in three
// comparisons a value whatever r (van Herk and Gil-Werman: the window is
// the suffix of one block of 2r+1 and the prefix of the next). Looking at
// every value of every window instead (r is 37 for a 400x400 picture,
// whose block is 50 pixels), such a picture under a shadow took 10 ms of
// CPU to read rather than 4.5. Its buffers are reused from line to line.
type lineExtremes struct{ pad, prefix, suffix []float32 }

// filter writes to dst, for count lines of n values (the i-th of line l
// at l*step + i*stride in src and dst), the minimum of each value's
// window when isMin is set, else the maximum.
func (e *lineExtremes) filter(src, dst []float32, n, stride, count, step, r int, isMin bool) {
	k := 2*r + 1
	// The line padded with r values either side that never win, up to a
	// whole number of blocks.
	size := (n + 2*r + k - 1) / k * k
	if cap(e.pad) < size {
		e.pad, e.prefix, e.suffix = make([]float32, size), make([]float32, size), make([]float32, size)
	}
	pad, prefix, suffix := e.pad[:size], e.prefix[:size], e.suffix[:size]
	// The maximum is the minimum of the negated values, negated (exact).
	sign := float32(1)
	if !isMin {
		sign = -1
	}
	never := float32(math.Inf(1))
	for l := range count {
		for i := range pad {
			pad[i] = never
		}
		for i := range n {
			pad[r+i] = sign * src[l*step+i*stride]
		}
		for b := 0; b < size; b += k {
			prefix[b] = pad[b]
			for i := b + 1; i < b+k; i++ {
				prefix[i] = min(prefix[i-1], pad[i])
			}
			suffix[b+k-1] = pad[b+k-1]
			for i := b + k - 2; i >= b; i-- {
				suffix[i] = min(suffix[i+1], pad[i])
			}
		}
		// The window of value i is pad[i : i+k]: the suffix of its block
		// from i and the prefix of the next up to i+k-1.
		for i := range n {
			dst[l*step+i*stride] = sign * min(suffix[i], prefix[i+k-1])
		}
	}
}
