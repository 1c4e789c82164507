package classifier

import (
	"image"
	"math/rand/v2"
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

// TestWriteFullBlock_SameAsPerPixelSum checks the row-at-once column pass
// on random sparse blocks, whole and clipped.
func TestWriteFullBlock_SameAsPerPixelSum(t *testing.T) {
	tr := newReducedIDCT(8)
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := image.NewGray(image.Rect(0, 0, 8, 8)), image.NewGray(image.Rect(0, 0, 8, 8))
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
		perPixelFullBlock(a, &tr.b8, &coef, 0, 0, w, h)
		writeFullBlock(b, &tr.b8, &coef, 0, 0, w, h)
		for i := range a.Pix {
			if a.Pix[i] != b.Pix[i] {
				t.Fatalf("differ at %d: %v", it, coef)
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
