package classifier

import (
	"image"
	"math"
)

// scaleGreyCatmullRom scales src into all of dst with the Catmull-Rom
// kernel, widened when shrinking so that every source pixel counts: the
// bytes golang.org/x/image/draw's CatmullRom.Scale(dst, dst.Bounds(),
// src, src.Bounds(), draw.Src, nil) writes, which TestScaleGreyCatmullRom
// checks. That one works on four float64 channels and writes every
// pixel through an interface; a grey picture needs one channel, and
// fitting the digit spent about 6% of a photo's time there.
//
// The arithmetic is the same, operation by operation: each output column
// of each source row is a weighted sum of 16-bit source values scaled by
// its inverse total weight over 0xffff, then each output pixel a weighted
// sum of those down its column (capped at the sum of the weights), scaled
// by its inverse total weight, converted to 16 bits, and to 8 as
// image.Gray's SetRGBA64 converts a grey colour. Every product is
// converted to float64 before it is added, so that no multiply-add is
// fused.
func scaleGreyCatmullRom(dst, src *image.Gray, sc *scratch) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	if sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 {
		return
	}
	horizontal, vertical := sc.resampleAxes()
	horizontal.make(dw, sw)
	vertical.make(dh, sh)
	// tmp[y*dw+x]: source row y resampled at output column x. Four rows
	// at a time: four sums in flight, each still added in tap order.
	tmp := sc.resampleBuf(dw * sh)
	var level [256]float64 // each byte as the 16-bit value the sums add
	for i := range level {
		level[i] = float64(uint32(i) * 0x101)
	}
	y := 0
	for ; y+4 <= sh; y += 4 {
		r0 := src.Pix[y*src.Stride : y*src.Stride+sw]
		r1 := src.Pix[(y+1)*src.Stride : (y+1)*src.Stride+sw]
		r2 := src.Pix[(y+2)*src.Stride : (y+2)*src.Stride+sw]
		r3 := src.Pix[(y+3)*src.Stride : (y+3)*src.Stride+sw]
		for x := range dw {
			var v0, v1, v2, v3 float64
			for _, c := range horizontal.taps(x) {
				v0 += float64(level[r0[c.at]] * c.weight)
				v1 += float64(level[r1[c.at]] * c.weight)
				v2 += float64(level[r2[c.at]] * c.weight)
				v3 += float64(level[r3[c.at]] * c.weight)
			}
			f := horizontal.invTotalFFFF[x]
			tmp[y*dw+x], tmp[(y+1)*dw+x], tmp[(y+2)*dw+x], tmp[(y+3)*dw+x] = v0*f, v1*f, v2*f, v3*f
		}
	}
	for ; y < sh; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+sw]
		for x := range dw {
			var v float64
			for _, c := range horizontal.taps(x) {
				v += float64(level[row[c.at]] * c.weight)
			}
			tmp[y*dw+x] = v * horizontal.invTotalFFFF[x]
		}
	}
	for y := range dh {
		taps := vertical.taps(y)
		inv := vertical.invTotal[y]
		// The sum of the weights, which caps each output pixel's sum.
		var alpha float64
		for _, c := range taps {
			alpha += float64(1 * c.weight)
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dw]
		x := 0
		for ; x+4 <= dw; x += 4 {
			var v0, v1, v2, v3 float64
			for _, c := range taps {
				col := tmp[int(c.at)*dw+x:]
				col = col[:4]
				v0 += float64(col[0] * c.weight)
				v1 += float64(col[1] * c.weight)
				v2 += float64(col[2] * c.weight)
				v3 += float64(col[3] * c.weight)
			}
			out[x], out[x+1], out[x+2], out[x+3] = greyOf(v0, alpha, inv), greyOf(v1, alpha, inv), greyOf(v2, alpha, inv), greyOf(v3, alpha, inv)
		}
		for ; x < dw; x++ {
			var v float64
			for _, c := range taps {
				v += float64(tmp[int(c.at)*dw+x] * c.weight)
			}
			out[x] = greyOf(v, alpha, inv)
		}
	}
}

// greyOf is an output pixel from its weighted sum v: capped at the sum of
// the weights, scaled by their inverse, to 16 bits, to 8 as image.Gray's
// SetRGBA64 converts a grey colour.
func greyOf(v, alpha, inv float64) uint8 {
	r := uint32(unitTo16(min(v, alpha) * inv))
	return uint8((19595*r + 38470*r + 7471*r + 1<<15) >> 24)
}

// resampleTap is one source pixel's weight in an output pixel.
type resampleTap struct {
	at     int32
	weight float64
}

// resampleAxis distributes n source pixels (columns or rows) over m
// output pixels: the taps of output pixel i are taps[first[i]:first[i+1]].
type resampleAxis struct {
	first        []int32
	all          []resampleTap
	invTotal     []float64 // 1 / the sum of each output pixel's weights
	invTotalFFFF []float64 // and that over 0xffff
}

func (a *resampleAxis) taps(i int) []resampleTap { return a.all[a.first[i]:a.first[i+1]] }

// make places output pixel i's centre at (i+0.5)·n/m − 0.5 in the
// source and weighs the source pixels within the kernel's support (2,
// times n/m when shrinking, the distances divided by n/m). It reuses the
// room of a's slices.
func (a *resampleAxis) make(m, n int) {
	scale := float64(n) / float64(m)
	support, argScale := 2.0, 1.0
	if scale > 1 {
		support *= scale
		argScale = 1 / scale
	}
	a.first, a.invTotal, a.invTotalFFFF = grow(&a.first, m+1), grow(&a.invTotal, m), grow(&a.invTotalFFFF, m)
	a.first[0] = 0
	if taps := m * (2*int(math.Ceil(support)) + 1); cap(a.all) < taps {
		a.all = make([]resampleTap, 0, taps)
	}
	a.all = a.all[:0]
	for i := range m {
		centre := float64((float64(i)+0.5)*scale) - 0.5
		lo := max(int32(math.Floor(centre-support)), 0)
		hi := int32(math.Ceil(centre + support))
		if hi > int32(n) {
			hi = max(int32(n), lo)
		}
		total := 0.0
		for at := lo; at < hi; at++ {
			t := (centre - float64(at)) * argScale
			if t < 0 {
				t = -t
			}
			if t >= 2 {
				continue
			}
			w := catmullRom(t)
			if w == 0 {
				continue
			}
			total += w
			a.all = append(a.all, resampleTap{at, w})
		}
		a.first[i+1] = int32(len(a.all))
		a.invTotal[i] = 1 / total
		a.invTotalFFFF[i] = a.invTotal[i] / 0xffff
	}
}

// catmullRom is the Catmull-Rom cubic (B = 0, C = 0.5) at distance t in
// [0, 2).
func catmullRom(t float64) float64 {
	if t < 1 {
		return float64((float64(1.5*t)-2.5)*t*t) + 1
	}
	return float64((float64(float64(float64(-0.5*t)+2.5)*t)-4)*t) + 2
}

// unitTo16 converts [0, 1] to [0, 0xffff], rounding, clamped.
func unitTo16(f float64) uint16 {
	i := int32(float64(0xffff*f) + 0.5)
	switch {
	case i > 0xffff:
		return 0xffff
	case i > 0:
		return uint16(i)
	}
	return 0
}
