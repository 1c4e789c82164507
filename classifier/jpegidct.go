package classifier

import (
	"image"
	"math"
)

// The luma decoder's inverse DCTs (jpegreduced.go): a block reduced to
// 1, 2 or 4 pixels a side, or the full 8x8.

// zigzag maps the position of a coefficient in the file's order to its
// row-major position in the 8x8 block.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// reducedIDCT is the N-point inverse DCT of the low N×N coefficients of a
// block (N = 8/scale): basis[x*N+u] = C(u)/2 · cos((2x+1)uπ/2N), with
// C(0) = 1/√2, so that each output pixel is the block's picture seen at
// 1/scale (for N = 1, the block's mean).
type reducedIDCT struct {
	n  int
	b8 [8][8]float32 // basis for n = 8 (the full-size decode): b8[x][u]
	// bt8 is b8 transposed, bt8[u][x]: the vector kernels
	// (jpegidct_simd.go) transform a row of coefficients into 8 pixels
	// as a sum over u of bt8[u] times coefficient u.
	bt8 [8][8]float32
	// splat8[y][v] is b8[y][v] eight times: the column pass's factors as
	// vectors, loaded rather than broadcast.
	splat8 [8][8][8]float32
	// bt16[u] is bt8[u] twice, and splat16[q][v] is splat8[2q][v] then
	// splat8[2q+1][v]: the same factors for the kernel that works on two
	// rows at once (jpegidct_simd.go).
	bt16    [8][16]float32
	splat16 [4][8][16]float32
	b4      [4][4]float32 // for n = 4
	b2      [2][2]float32 // for n = 2
}

func newReducedIDCT(n int) reducedIDCT {
	t := reducedIDCT{n: n}
	basis := func(n, x, u int) float32 {
		c := 0.5
		if u == 0 {
			c = 0.5 / math.Sqrt2
		}
		return float32(c * math.Cos(float64(2*x+1)*float64(u)*math.Pi/float64(2*n)))
	}
	for x := range 8 {
		for u := range 8 {
			t.b8[x][u] = basis(8, x, u)
			t.bt8[u][x] = t.b8[x][u]
			t.bt16[u][x], t.bt16[u][8+x] = t.b8[x][u], t.b8[x][u]
			for i := range 8 {
				t.splat8[x][u][i] = t.b8[x][u]
				t.splat16[x/2][u][8*(x%2)+i] = t.b8[x][u]
			}
		}
	}
	for x := range 4 {
		for u := range 4 {
			t.b4[x][u] = basis(4, x, u)
		}
	}
	for x := range 2 {
		for u := range 2 {
			t.b2[x][u] = basis(2, x, u)
		}
	}
	return t
}

// writeReducedBlock transforms the low n×n coefficients of one block and
// writes the n×n pixels (clipped to the plane) at x0, y0. A block whose
// stored AC coefficients are all zero is flat: its DC alone.
func writeReducedBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, hasAC bool, x0, y0 int) {
	n := t.n
	if x0 >= out.Rect.Dx() || y0 >= out.Rect.Dy() {
		return // padding blocks at the right or bottom edge
	}
	w, h := min(n, out.Rect.Dx()-x0), min(n, out.Rect.Dy()-y0)
	if n == 1 || !hasAC {
		v := clampPixel(float32(coef[0])/8 + 128)
		for y := range h {
			row := out.Pix[(y0+y)*out.Stride+x0:]
			for x := range w {
				row[x] = v
			}
		}
		return
	}
	if n == 8 {
		writeFullBlock(out, t, coef, x0, y0, w, h)
		return
	}
	if n == 4 {
		writeBlock4(out, &t.b4, coef, x0, y0, w, h)
		return
	}
	writeBlock2(out, &t.b2, coef, x0, y0, w, h)
}

// writeBlock4 is the 4-point inverse DCT of the low 4x4 coefficients
// (1/2 scale): each row of coefficients transformed, then the columns,
// every sum left to right (TestReducedBlocks_SameAsLoops holds it to the
// loops it replaced).
func writeBlock4(out *image.Gray, b *[4][4]float32, coef *[64]int32, x0, y0, w, h int) {
	var tmp [4][4]float32
	for v := range 4 {
		c := coef[v*8 : v*8+4 : v*8+4]
		c0, c1, c2, c3 := float32(c[0]), float32(c[1]), float32(c[2]), float32(c[3])
		tv := &tmp[v]
		tv[0] = b[0][0]*c0 + b[0][1]*c1 + b[0][2]*c2 + b[0][3]*c3
		tv[1] = b[1][0]*c0 + b[1][1]*c1 + b[1][2]*c2 + b[1][3]*c3
		tv[2] = b[2][0]*c0 + b[2][1]*c1 + b[2][2]*c2 + b[2][3]*c3
		tv[3] = b[3][0]*c0 + b[3][1]*c1 + b[3][2]*c2 + b[3][3]*c3
	}
	for y := range h {
		by := &b[y&3]
		p0 := clampPixel(by[0]*tmp[0][0] + by[1]*tmp[1][0] + by[2]*tmp[2][0] + by[3]*tmp[3][0] + 128)
		p1 := clampPixel(by[0]*tmp[0][1] + by[1]*tmp[1][1] + by[2]*tmp[2][1] + by[3]*tmp[3][1] + 128)
		p2 := clampPixel(by[0]*tmp[0][2] + by[1]*tmp[1][2] + by[2]*tmp[2][2] + by[3]*tmp[3][2] + 128)
		p3 := clampPixel(by[0]*tmp[0][3] + by[1]*tmp[1][3] + by[2]*tmp[2][3] + by[3]*tmp[3][3] + 128)
		row := out.Pix[(y0+y)*out.Stride+x0:]
		if w == 4 {
			row = row[:4]
			row[0], row[1], row[2], row[3] = p0, p1, p2, p3
			continue
		}
		px := [4]uint8{p0, p1, p2, p3}
		copy(row[:w], px[:w])
	}
}

// writeBlock2 is the 2-point inverse DCT of the low 2x2 coefficients
// (1/4 scale), written out.
func writeBlock2(out *image.Gray, b *[2][2]float32, coef *[64]int32, x0, y0, w, h int) {
	c00, c01, c10, c11 := float32(coef[0]), float32(coef[1]), float32(coef[8]), float32(coef[9])
	b00, b01, b10, b11 := b[0][0], b[0][1], b[1][0], b[1][1]
	// The rows of coefficients transformed: t[v][x].
	t00, t01 := b00*c00+b01*c01, b10*c00+b11*c01
	t10, t11 := b00*c10+b01*c11, b10*c10+b11*c11
	p00 := clampPixel(b00*t00 + b01*t10 + 128)
	p01 := clampPixel(b00*t01 + b01*t11 + 128)
	row := out.Pix[y0*out.Stride+x0:]
	if w == 2 {
		row = row[:2]
		row[0], row[1] = p00, p01
	} else {
		row[0] = p00
	}
	if h == 2 {
		p10 := clampPixel(b10*t00 + b11*t10 + 128)
		p11 := clampPixel(b10*t01 + b11*t11 + 128)
		row := out.Pix[(y0+1)*out.Stride+x0:]
		if w == 2 {
			row = row[:2]
			row[0], row[1] = p10, p11
		} else {
			row[0] = p10
		}
	}
}

// writeFullBlockPortable is the 8x8 inverse DCT, separable, skipping the
// rows of coefficients that are all zero (most of them, in a photo's
// blocks). writeFullBlock (jpegidct_simd.go, jpegidct_portable.go) runs
// it, or where the CPU has vectors the same sums 8 pixels at a time.
func writeFullBlockPortable(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	b := &t.b8
	var tmp [8][8]float32 // tmp[v][x]: row v transformed
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
		// Most rows' high frequencies are zero: their terms would add
		// exact zeros, so leaving them out gives the same floats.
		if c[4]|c[5]|c[6]|c[7] == 0 {
			for x := range 8 {
				bx := &b[x]
				tmp[v][x] = bx[0]*f[0] + bx[1]*f[1] + bx[2]*f[2] + bx[3]*f[3]
			}
			continue
		}
		for x := range 8 {
			bx := &b[x]
			tmp[v][x] = bx[0]*f[0] + bx[1]*f[1] + bx[2]*f[2] + bx[3]*f[3] + bx[4]*f[4] + bx[5]*f[5] + bx[6]*f[6] + bx[7]*f[7]
		}
	}
	// The column pass runs over the 8 pixels of a row at once (8
	// independent sums, no index checks in the inner loop), adding the
	// rows' terms in the same order as a per-pixel sum would: the same
	// floats.
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		by := &b[y]
		s0, s1, s2, s3, s4, s5, s6, s7 := float32(128), float32(128), float32(128), float32(128), float32(128), float32(128), float32(128), float32(128)
		for _, v := range rows[:nz] {
			bv, t := by[v&7], &tmp[v&7]
			s0 += bv * t[0]
			s1 += bv * t[1]
			s2 += bv * t[2]
			s3 += bv * t[3]
			s4 += bv * t[4]
			s5 += bv * t[5]
			s6 += bv * t[6]
			s7 += bv * t[7]
		}
		if w == 8 {
			row := row[:8:8]
			row[0], row[1], row[2], row[3] = clampPixel(s0), clampPixel(s1), clampPixel(s2), clampPixel(s3)
			row[4], row[5], row[6], row[7] = clampPixel(s4), clampPixel(s5), clampPixel(s6), clampPixel(s7)
			continue
		}
		sums := [8]float32{s0, s1, s2, s3, s4, s5, s6, s7}
		for x := range w {
			row[x] = clampPixel(sums[x])
		}
	}
}

func clampPixel(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
