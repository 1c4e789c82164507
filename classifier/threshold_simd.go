//go:build goexperiment.simd && amd64

package classifier

import (
	"math/bits"
	"simd/archsimd"
)

func threshold(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	if !archsimd.X86.AVX512() {
		return thresholdPortable(s, t, w, mask, rows, cols, marks)
	}
	return thresholdAVX512(s, t, w, mask, rows, cols, marks)
}

// thresholdAVX512 is thresholdPortable comparing 16 values at once (an
// ordered compare: false for NaN, as v > t is): most runs of 16 working
// pixels hold no ink and cost one compare; the others set their marks
// from the compare's bits, in order.
func thresholdAVX512(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	cols = cols[:w]
	vt := archsimd.BroadcastFloat32x16(t)
	n := 0
	for y := range rows {
		sr, mr := s[y*w:y*w+w], mask[y*w:y*w+w]
		c := 0
		x := 0
		for ; x+16 <= w; x += 16 {
			above := archsimd.LoadFloat32x16((*[16]float32)(sr[x : x+16])).Greater(vt).ToBits()
			m := mr[x : x+16 : x+16]
			if above == 0 {
				clear(m)
				continue
			}
			cs := cols[x : x+16 : x+16]
			for j := range 16 {
				b := int(above >> j & 1)
				m[j] = b != 0
				cs[j] += b
			}
			for a := above; a != 0; a &= a - 1 {
				marks[n] = int32(y*w + x + bits.TrailingZeros16(a))
				n++
			}
			c += bits.OnesCount16(above)
		}
		for ; x < w; x++ {
			on := sr[x] > t
			mr[x] = on
			b := 0
			if on {
				b = 1
			}
			marks[n] = int32(y*w + x) // kept only if marked
			n += b
			c += b
			cols[x] += b
		}
		rows[y] = c
	}
	return marks[:n]
}
