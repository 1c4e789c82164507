package classifier

import (
	"image"
	"image/color"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// The fast paths below must give the same bytes as the straightforward
// code they replaced, kept here as the reference.

// perPixelFullBlock is the 8x8 inverse DCT summed pixel by pixel.
func perPixelFullBlock(out *image.Gray, b *[8][8]float32, coef *[64]int32, x0, y0, w, h int) {
	var tmp [8][8]float32
	var rows [8]int
	nz := 0
	for v := range 8 {
		c := coef[v*8 : v*8+8 : v*8+8]
		if c[0]|c[1]|c[2]|c[3]|c[4]|c[5]|c[6]|c[7] == 0 {
			continue
		}
		rows[nz] = v
		nz++
		var f [8]float32
		for u, cu := range c {
			f[u] = float32(cu)
		}
		for x := range 8 {
			bx := &b[x]
			tmp[v][x] = bx[0]*f[0] + bx[1]*f[1] + bx[2]*f[2] + bx[3]*f[3] + bx[4]*f[4] + bx[5]*f[5] + bx[6]*f[6] + bx[7]*f[7]
		}
	}
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		by := &b[y]
		for x := range w {
			s := float32(128)
			for _, v := range rows[:nz] {
				s += by[v] * tmp[v][x]
			}
			row[x] = clampPixel(s)
		}
	}
}

// TestWriteFullBlock_SameAsPerPixelSum checks every 8x8 kernel the CPU
// runs (portable, AVX2, AVX-512) on random sparse blocks, whole and
// clipped.
func TestWriteFullBlock_SameAsPerPixelSum(t *testing.T) {
	computeOnly(t)
	tr := newReducedIDCT(8)
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := image.NewGray(image.Rect(0, 0, 8, 8)), image.NewGray(image.Rect(0, 0, 8, 8))
	kernels := fullBlockKernels()
	t.Logf("kernels: %v", slices.Sorted(maps.Keys(kernels)))
	for it := 0; it < 300000; it++ {
		var coef [64]int32
		n := rng.IntN(20)
		for range n {
			coef[rng.IntN(64)] = int32(rng.NormFloat64() * float64([]int{10, 100, 1000}[rng.IntN(3)]))
		}
		w, h := 8, 8
		if rng.IntN(4) == 0 {
			w, h = 1+rng.IntN(8), 1+rng.IntN(8)
		}
		clear(a.Pix)
		perPixelFullBlock(a, &tr.b8, &coef, 0, 0, w, h)
		for name, kernel := range kernels {
			clear(b.Pix)
			kernel(b, &tr, &coef, 0, 0, w, h)
			if !slices.Equal(a.Pix, b.Pix) {
				t.Fatalf("%s: differs at %d (%dx%d): %v", name, it, w, h, coef)
			}
		}
	}
}

// TestRowReaderNRGBA_SameAsFormula checks the transparent and opaque
// shortcuts against premultiplying every pixel.
func TestRowReaderNRGBA_SameAsFormula(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 256, 256*4))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	for y := 0; y < 256; y++ { // every alpha with every luma in some row
		for x := 0; x < 256; x++ {
			m.Pix[m.PixOffset(x, y)+3] = uint8(y)
		}
	}
	for y := 256; y < 512; y++ {
		for x := 0; x < 256; x++ {
			m.Pix[m.PixOffset(x, y)+3] = []uint8{0, 255, 255, 0, 7}[rng.IntN(5)]
		}
	}
	for y := 512; y < 600; y++ {
		for x := 0; x < 256; x++ {
			m.Pix[m.PixOffset(x, y)+3] = 255
		}
	}
	read := rowReader(m)
	l, a := make([]uint8, 256), make([]uint8, 256)
	for y := 0; y < m.Rect.Dy(); y++ {
		got, op := read(y, l, a)
		wantOp := true
		for x := 0; x < 256; x++ {
			q := m.Pix[m.PixOffset(x, y):]
			want := uint8((uint32(luma8(q[0], q[1], q[2]))*uint32(q[3]) + 127) / 255)
			if got[x] != want || a[x] != q[3] {
				t.Fatalf("y %d x %d", y, x)
			}
			wantOp = wantOp && q[3] == 255
		}
		if op != wantOp {
			t.Fatalf("opaque y %d", y)
		}
	}
}

// perPixelTranslucent is accumulateTranslucent without the empty-block
// shortcut.
func perPixelTranslucent(rowL, rowA []uint8, k int, sumL, sumA []int, d0s, l0s, d1s, l1s []uint8) {
	sw := len(rowL)
	for ox := range sumL {
		var l, a int
		d0, l0, d1, l1 := d0s[ox], l0s[ox], d1s[ox], l1s[ox]
		x0 := ox * k
		for x := x0; x < min(x0+k, sw); x++ {
			v, al := rowL[x], rowA[x]
			l += int(v)
			a += int(al)
			over := 255 - al + min(v, al)
			d0, l0 = min(d0, v), max(l0, v)
			d1, l1 = min(d1, over), max(l1, over)
		}
		sumL[ox] += l
		sumA[ox] += a
		d0s[ox], l0s[ox], d1s[ox], l1s[ox] = d0, l0, d1, l1
	}
}

// TestAccumulateTranslucent_SameAsPerPixel checks the empty-block
// shortcut on sparse rows (a few marks on an empty canvas), for every
// block width and at the row's end.
func TestAccumulateTranslucent_SameAsPerPixel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for it := range 30000 {
		k := 1 + rng.IntN(10)
		sw := 1 + rng.IntN(120)
		w := (sw + k - 1) / k
		rowL, rowA := make([]uint8, sw), make([]uint8, sw)
		for range rng.IntN(5) {
			x := rng.IntN(sw)
			rowA[x] = uint8(rng.IntN(256))
			rowL[x] = uint8(rng.IntN(int(rowA[x]) + 1))
			if rng.IntN(8) == 0 {
				rowL[x], rowA[x] = uint8(rng.IntN(256)), 0 // malformed: luma without alpha
			}
		}
		state := func() ([]int, []int, [4][]uint8) {
			sl, sa := make([]int, w), make([]int, w)
			var ext [4][]uint8
			for j := range ext {
				ext[j] = make([]uint8, w)
				for i := range ext[j] {
					ext[j][i] = uint8(rng.IntN(256))
				}
			}
			return sl, sa, ext
		}
		sl1, sa1, e1 := state()
		sl2, sa2 := slices.Clone(sl1), slices.Clone(sa1)
		var e2 [4][]uint8
		for j := range e1 {
			e2[j] = slices.Clone(e1[j])
		}
		perPixelTranslucent(rowL, rowA, k, sl1, sa1, e1[0], e1[1], e1[2], e1[3])
		accumulateTranslucent(rowL, rowA, k, sl2, sa2, e2[0], e2[1], e2[2], e2[3])
		if !slices.Equal(sl1, sl2) || !slices.Equal(sa1, sa2) || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("case %d (k %d, width %d) differs", it, k, sw)
		}
	}
}

// TestReduce2_SameAsPerPixel checks the 2x2 block extremes (vectors in
// the SIMD build) against the four pixels' min and max, on noise and on
// flat rows, every width from 1 to 200.
func TestReduce2_SameAsPerPixel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for sw := 1; sw <= 200; sw++ {
		for it := range 20 {
			r0, r1 := make([]uint8, sw), make([]uint8, sw)
			for i := range r0 {
				r0[i], r1[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
				if it%4 == 0 {
					r0[i], r1[i] = 200, 200+uint8(rng.IntN(2))
				}
			}
			w := (sw + 1) / 2
			dark, light := make([]uint8, w), make([]uint8, w)
			reduce2(r0, r1, dark, light)
			for ox := range w {
				lo, hi := uint8(255), uint8(0)
				for x := 2 * ox; x < min(2*ox+2, sw); x++ {
					lo, hi = min(lo, r0[x], r1[x]), max(hi, r0[x], r1[x])
				}
				if dark[ox] != lo || light[ox] != hi {
					t.Fatalf("width %d block %d: %d..%d, want %d..%d", sw, ox, dark[ox], light[ox], lo, hi)
				}
			}
		}
	}
}

// TestSurfaceMap_SameAsEvalSurface checks the background surface computed
// with per-row and per-column terms against evalSurface at every pixel.
func TestSurfaceMap_SameAsEvalSurface(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for it := range 200 {
		var c [6]float64
		for i := range c {
			c[i] = rng.NormFloat64() * []float64{1, 30, 200}[rng.IntN(3)]
		}
		c[0] += 128
		w, h := 1+rng.IntN(320), 1+rng.IntN(320)
		lo, hi := 40+rng.Float64()*60, 150+rng.Float64()*120
		got := surfaceMap(make([]float32, w*h), c, lo, hi, w, h)
		for y := range h {
			fy := 2*(float64(y)+0.5)/float64(h) - 1
			for x := range w {
				fx := 2*(float64(x)+0.5)/float64(w) - 1
				want := float32(min(max(min(max(evalSurface(c, fx, fy), lo), hi), 0), 255))
				if got[y*w+x] != want {
					t.Fatalf("case %d (%dx%d) pixel %d,%d: %v, want %v", it, w, h, x, y, got[y*w+x], want)
				}
			}
		}
	}
}

// TestHistogramStrength_SameAsPerValue checks the histogram that counts
// the zeros apart against clamp255 of every value.
func TestHistogramStrength_SameAsPerValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for n := range 300 {
		s := make([]float32, n)
		for i := range s {
			switch rng.IntN(4) {
			case 0:
				s[i] = float32(rng.NormFloat64() * 300)
			case 1:
				s[i] = float32(rng.IntN(256)) + 0.5
			case 2:
				edges := []float32{-1e9, 1e9, -0.5, -0.49, 0.49, 0.5, 254.49, 254.5, 255, 255.5, float32(math.Inf(1))}
				s[i] = edges[rng.IntN(len(edges))]
			}
		}
		var got, want [256]int
		histogramStrength(s, &got)
		for _, v := range s {
			want[clamp255(v)]++
		}
		if got != want {
			t.Fatalf("%d values: histograms differ", n)
		}
	}
}

// loopsReducedBlock is the 4- and 2-point inverse DCT as loops over the
// coefficients and pixels, which writeBlock4 and writeBlock2 replaced.
func loopsReducedBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	var tmp [4][4]float32
	if t.n == 4 {
		b := &t.b4
		for v := range 4 {
			c := coef[v*8 : v*8+4 : v*8+4]
			c0, c1, c2, c3 := float32(c[0]), float32(c[1]), float32(c[2]), float32(c[3])
			for x := range 4 {
				tmp[v][x] = b[x][0]*c0 + b[x][1]*c1 + b[x][2]*c2 + b[x][3]*c3
			}
		}
		for y := range h {
			row := out.Pix[(y0+y)*out.Stride+x0:]
			by := &b[y]
			for x := range w {
				row[x] = clampPixel(by[0]*tmp[0][x] + by[1]*tmp[1][x] + by[2]*tmp[2][x] + by[3]*tmp[3][x] + 128)
			}
		}
		return
	}
	b := &t.b2
	c00, c01, c10, c11 := float32(coef[0]), float32(coef[1]), float32(coef[8]), float32(coef[9])
	for v, c := range [2][2]float32{{c00, c01}, {c10, c11}} {
		for x := range 2 {
			tmp[v][x] = b[x][0]*c[0] + b[x][1]*c[1]
		}
	}
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		for x := range w {
			row[x] = clampPixel(b[y][0]*tmp[0][x] + b[y][1]*tmp[1][x] + 128)
		}
	}
}

// TestReducedBlocks_SameAsLoops checks the 1/2- and 1/4-scale inverse
// DCTs on random blocks, whole and clipped, at a block's place inside a
// plane.
func TestReducedBlocks_SameAsLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{4, 2} {
		tr := newReducedIDCT(n)
		a, b := image.NewGray(image.Rect(0, 0, 3*n, 2*n)), image.NewGray(image.Rect(0, 0, 3*n, 2*n))
		for it := range 200000 {
			var coef [64]int32
			for range rng.IntN(12) {
				coef[rng.IntN(4)*8+rng.IntN(4)] = int32(rng.NormFloat64() * float64([]int{10, 100, 1000}[rng.IntN(3)]))
			}
			w, h := n, n
			if rng.IntN(4) == 0 {
				w, h = 1+rng.IntN(n), 1+rng.IntN(n)
			}
			clear(a.Pix)
			clear(b.Pix)
			loopsReducedBlock(a, &tr, &coef, n, n, w, h)
			writeReducedBlock(b, &tr, &coef, true, n, n)
			if w < n || h < n {
				// writeReducedBlock clips at the plane's edge: compare the
				// w×h corner the loops wrote.
				clear(b.Pix)
				if n == 4 {
					writeBlock4(b, &tr.b4, &coef, n, n, w, h)
				} else {
					writeBlock2(b, &tr.b2, &coef, n, n, w, h)
				}
			}
			if !slices.Equal(a.Pix, b.Pix) {
				t.Fatalf("n=%d: differs at %d (%dx%d): %v\n%v\n%v", n, it, w, h, coef, a.Pix, b.Pix)
			}
		}
	}
}

// floodLabels is labelComponents as it was: a scan of every pixel for the
// next unlabelled ink, and the 8 neighbours of every pixel through loops
// clipped at the edges.
func floodLabels(mask []bool, w, h int) ([]int32, []component, []pixel) {
	labels := make([]int32, len(mask))
	var comps []component
	var stack, order []pixel
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
	return labels, comps, order
}

// TestLabelComponents_SameAsFlood: labels, components and the order of
// their pixels are those of the plain flood fill, searching the whole mask
// or threshold's list of marks (some of which removeRules cleared), on
// random masks from specks to solid.
func TestLabelComponents_SameAsFlood(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	sc := &scratch{}
	for it := range 2000 {
		w, h := 1+rng.IntN(60), 1+rng.IntN(60)
		density := rng.Float64()
		s := make([]float32, w*h)
		for i := range s {
			if rng.Float64() < density {
				s[i] = 1 + rng.Float32()
			}
		}
		mask := make([]bool, w*h)
		marks := threshold(s, 0.5, w, mask, make([]int, h), make([]int, w), make([]int32, w*h+1))
		if it%2 == 1 {
			for _, i := range marks {
				if rng.IntN(5) == 0 {
					mask[i] = false // as removeRules erases
				}
			}
		}
		wl, wc, wo := floodLabels(mask, w, h)
		for _, m := range [][]int32{nil, marks} {
			gl, gc, gOrder := labelComponentsScratch(mask, w, h, m, sc)
			if !slices.Equal(gl, wl) || !slices.Equal(gc, wc) || !slices.Equal(gOrder, wo) {
				t.Fatalf("%dx%d, density %.2f, marks %v: differs from the flood fill", w, h, density, m != nil)
			}
		}
	}
}

// TestRenderAndStrokeWidth_SameWithoutCuts: for a digit not cut from a
// neighbour, render and strokeWidth take a shortcut; with cuts that cut
// nothing they take the general path, which must give the same values.
func TestRenderAndStrokeWidth_SameWithoutCuts(t *testing.T) {
	m := loadMNISTTest(t)
	levels := 0 // scenes whose every level has one strength: render's shortcut
	for i := range 40 {
		s := scene{w: 300 + 7*i, h: 260 + 5*i, box: image.Rect(40+i, 30, 200+2*i, 220), paper: color.NRGBA{225, 220, 205, 255},
			ink: color.NRGBA{40, 40, 60, 255}, gradient: 0.03 * float64(i%10), noise: float64(i % 9), seed: uint64(i), mnist: &m.images[i]}
		page, err := findInk(toGrey(s.render()), false)
		if err != nil {
			t.Fatal(err)
		}
		if page.strength != nil {
			levels++
		}
		dig := selectDigit(page.comps, page.frame, page.labels, page.order)
		cut := dig
		h := page.h
		cut.left = &cutPath{xs: make([]int32, h)}                          // every x >= 0
		cut.right = &cutPath{xs: slices.Repeat([]int32{int32(page.w)}, h)} // every x < w
		cut.w = int32(page.w)
		a, b := make([]float32, len(page.s)), make([]float32, len(page.s))
		ma, mb := page.render(&dig, a), page.render(&cut, b)
		if !slices.Equal(a, b) || ma.crop != mb.crop || ma.stroke != mb.stroke {
			t.Fatalf("scene %d: shortcut crop %v stroke %v, general %v %v, values equal %v", i, ma.crop, ma.stroke, mb.crop, mb.stroke, slices.Equal(a, b))
		}
	}
	if levels == 0 {
		t.Fatal("no scene took render's shortcut")
	}
	t.Logf("%d of 40 scenes with one strength per level", levels)
}

// TestStrengthsOverSurface_SameAsFormula: every strength kernel the CPU
// runs gives findInk's formula's float32 bits, and clamp255 of them as
// the histogram bins, on every level over surfaces from black to white,
// whole vectors and tails.
func TestStrengthsOverSurface_SameAsFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for it := range 400 {
		n := rng.IntN(300)
		oriented, bg := make([]uint8, n), make([]float32, n)
		for i := range n {
			oriented[i] = uint8(rng.IntN(256))
			switch rng.IntN(4) {
			case 0:
				bg[i] = float32(oriented[i]) // strength exactly 0
				if oriented[i] == 0 && rng.IntN(2) == 0 {
					bg[i] = float32(math.Copysign(0, -1)) // the surface can be -0
				}
			case 1:
				bg[i] = float32(rng.IntN(256))
			default:
				bg[i] = rng.Float32() * 255
			}
		}
		want := make([]float32, n)
		for i, v := range oriented {
			b := bg[i]
			want[i] = max((float32(v)-b)*255/max(255-b, 64), 0)
		}
		for name, kernel := range strengthKernels() {
			got, bins := make([]float32, n), make([]uint8, n)
			kernel(got, bins, oriented, bg)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, run %d: pixel %d (level %d over %v): %v, want %v", name, it, i, oriented[i], bg[i], got[i], want[i])
				}
				if int(bins[i]) != clamp255(want[i]) {
					t.Fatalf("%s, run %d: pixel %d: bin %d, want clamp255(%v) = %d", name, it, i, bins[i], want[i], clamp255(want[i]))
				}
			}
		}
	}
}

// TestSurfaceRow_SameBits: every surface-row kernel the CPU runs gives
// the portable row's float32 bits (zeros' signs included), with bounds
// that clamp and values landing on them.
func TestSurfaceRow_SameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for it := range 2000 {
		n := rng.IntN(70)
		base, xx, cx := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			base[i] = rng.NormFloat64()*100 + 128
			xx[i], cx[i] = rng.NormFloat64()*30, rng.NormFloat64()*30
			if rng.IntN(8) == 0 {
				negZero := math.Copysign(0, -1) // with cy and cyy -0 and fy > 0, a -0 sum
				base[i], xx[i], cx[i] = negZero, negZero, negZero
			}
		}
		cy, fy, cyy := rng.NormFloat64()*20, rng.Float64()*2-1, rng.NormFloat64()*20
		if it%5 == 0 {
			cy, cyy, fy = math.Copysign(0, -1), math.Copysign(0, -1), 0.5
		}
		lo, hi := rng.Float64()*120-20, 130+rng.Float64()*150
		if it%3 == 0 {
			lo = 0
		}
		want := make([]float32, n)
		surfaceRowPortable(want, base, xx, cx, cy, fy, cyy, lo, hi)
		for name, kernel := range surfaceRowKernels() {
			got := make([]float32, n)
			kernel(got, base, xx, cx, cy, fy, cyy, lo, hi)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, run %d, pixel %d: %v (%#x), want %v (%#x)", name, it, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestThreshold_SameAsPerPixel: every threshold kernel the CPU runs marks,
// counts and lists what v > t gives pixel by pixel, on widths that are
// and are not multiples of 16, sparse and dense ink, NaN included.
func TestThreshold_SameAsPerPixel(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for it := range 500 {
		w, h := 1+rng.IntN(70), 1+rng.IntN(20)
		density := []float64{0, 0.01, 0.2, 0.9, 1}[it%5]
		s := make([]float32, w*h)
		for i := range s {
			if rng.Float64() < density {
				s[i] = 10 + rng.Float32()*200
			} else {
				s[i] = rng.Float32() * 20
			}
			if rng.IntN(200) == 0 {
				s[i] = float32(math.NaN())
			}
		}
		th := float32(10 + rng.IntN(10))
		wantMask, wantRows, wantCols := make([]bool, w*h), make([]int, h), make([]int, w)
		var wantMarks []int32
		for i, v := range s {
			if v > th {
				wantMask[i] = true
				wantRows[i/w]++
				wantCols[i%w]++
				wantMarks = append(wantMarks, int32(i))
			}
		}
		for name, kernel := range thresholdKernels() {
			mask, rows, cols := make([]bool, w*h), make([]int, h), make([]int, w)
			for i := range mask {
				mask[i] = rng.IntN(2) == 0 // whatever the buffer held before
			}
			marks := kernel(s, th, w, mask, rows, cols, make([]int32, w*h+1))
			if !slices.Equal(mask, wantMask) || !slices.Equal(rows, wantRows) || !slices.Equal(cols, wantCols) || !slices.Equal(marks, wantMarks) && len(marks)+len(wantMarks) > 0 {
				t.Fatalf("%s, run %d (%dx%d, density %.2f): differs from v > t pixel by pixel", name, it, w, h, density)
			}
		}
	}
}

// TestIntensities_SameAsRender: every intensity kernel the CPU runs gives
// render's intensity of each strength, float32 bits and all, in place or
// not.
func TestIntensities_SameAsRender(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for it := range 500 {
		n := rng.IntN(100)
		s := make([]float32, n)
		for i := range s {
			switch rng.IntN(3) {
			case 0: // paper
			case 1:
				s[i] = rng.Float32() * 300
			default:
				s[i] = float32(rng.IntN(1017))
			}
		}
		floor := float32(rng.IntN(40)) + rng.Float32()
		core := floor + 1 + rng.Float32()*250
		want := make([]float32, n)
		for i, v := range s {
			want[i] = min(max((v-floor)*255/(core-floor), 0), 255)
		}
		for name, kernel := range intensityKernels() {
			got := make([]float32, n)
			kernel(got, s, floor, core)
			inPlace := slices.Clone(s)
			kernel(inPlace, inPlace, floor, core)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, run %d: strength %v: %v (in place %v), want %v", name, it, s[i], got[i], inPlace[i], want[i])
				}
			}
		}
	}
}

// TestLineExtremes_SameAsEveryWindow: the van Herk filter of
// openBackground gives, bit for bit, the minimum and maximum over every
// clipped window, along rows and along columns, for windows narrower and
// wider than the line.
func TestLineExtremes_SameAsEveryWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var e lineExtremes
	for _, size := range []struct{ w, h, r int }{{1, 1, 2}, {7, 5, 1}, {40, 30, 3}, {50, 9, 37}, {13, 64, 6}} {
		src := make([]float32, size.w*size.h)
		for i := range src {
			src[i] = float32(rng.IntN(256)) + rng.Float32()
		}
		for _, isMin := range []bool{true, false} {
			for _, rows := range []bool{true, false} {
				n, stride, count, step := size.w, 1, size.h, size.w
				if !rows {
					n, stride, count, step = size.h, size.w, size.w, 1
				}
				got := make([]float32, len(src))
				e.filter(src, got, n, stride, count, step, size.r, isMin)
				for l := range count {
					for i := range n {
						want := src[l*step+i*stride]
						for j := max(0, i-size.r); j <= min(n-1, i+size.r); j++ {
							if v := src[l*step+j*stride]; (isMin && v < want) || (!isMin && v > want) {
								want = v
							}
						}
						if g := got[l*step+i*stride]; g != want {
							t.Fatalf("%dx%d r=%d min=%v rows=%v: line %d value %d = %v, want %v", size.w, size.h, size.r, isMin, rows, l, i, g, want)
						}
					}
				}
			}
		}
	}
}
