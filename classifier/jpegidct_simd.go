//go:build goexperiment.simd && amd64

package classifier

import (
	"encoding/binary"
	"image"
	"math/bits"
	"simd/archsimd"
)

// idctKernels names the 8x8 inverse DCTs compiled in: with
// GOEXPERIMENT=simd on amd64, 8-wide AVX2 vectors where the CPU has them
// (checked at run time), else the portable one.
const idctKernels = "simd (AVX-512 or AVX2, portable fallback)"

func writeFullBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	if archsimd.X86.AVX512() {
		writeFullBlockAVX512(out, t, coef, x0, y0, w, h)
		return
	}
	if archsimd.X86.AVX2() {
		writeFullBlockAVX2(out, t, coef, x0, y0, w, h)
		return
	}
	writeFullBlockPortable(out, t, coef, x0, y0, w, h)
}

// writeFullBlockAVX2 is writeFullBlockPortable with the 8 pixels of a row
// in one vector. It multiplies and adds separately (no fused
// multiply-add) in the portable code's order, term by term, so every sum
// rounds as there: the same floats, the same bytes.
func writeFullBlockAVX2(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	bt := &t.bt8
	var tmp [8][8]float32 // the transformed rows that are not zero, in order
	var rows [8]int
	nz := 0
	for v := range 8 {
		c := coef[v*8 : v*8+8 : v*8+8]
		if c[0]|c[1]|c[2]|c[3]|c[4]|c[5]|c[6]|c[7] == 0 {
			continue
		}
		// tmp[x] = b[x][0]*c0 + b[x][1]*c1 + ..., left to right.
		acc := archsimd.LoadFloat32x8(&bt[0]).Mul(archsimd.BroadcastFloat32x8(float32(c[0])))
		acc = acc.Add(archsimd.LoadFloat32x8(&bt[1]).Mul(archsimd.BroadcastFloat32x8(float32(c[1]))))
		acc = acc.Add(archsimd.LoadFloat32x8(&bt[2]).Mul(archsimd.BroadcastFloat32x8(float32(c[2]))))
		acc = acc.Add(archsimd.LoadFloat32x8(&bt[3]).Mul(archsimd.BroadcastFloat32x8(float32(c[3]))))
		if c[4]|c[5]|c[6]|c[7] != 0 {
			acc = acc.Add(archsimd.LoadFloat32x8(&bt[4]).Mul(archsimd.BroadcastFloat32x8(float32(c[4]))))
			acc = acc.Add(archsimd.LoadFloat32x8(&bt[5]).Mul(archsimd.BroadcastFloat32x8(float32(c[5]))))
			acc = acc.Add(archsimd.LoadFloat32x8(&bt[6]).Mul(archsimd.BroadcastFloat32x8(float32(c[6]))))
			acc = acc.Add(archsimd.LoadFloat32x8(&bt[7]).Mul(archsimd.BroadcastFloat32x8(float32(c[7]))))
		}
		acc.Store(&tmp[nz])
		rows[nz] = v
		nz++
	}
	lo, hi, half := archsimd.BroadcastFloat32x8(0), archsimd.BroadcastFloat32x8(255), archsimd.BroadcastFloat32x8(0.5)
	// The low byte of each 32-bit pixel, into the low 4 bytes of each
	// 16-byte half (a negative index zeroes the byte).
	pick := [32]int8{0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
		0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	lowBytes := archsimd.LoadInt8x32(&pick)
	// The column pass for all 8 output rows at once: eight sums in
	// flight, each adding the rows' terms in order.
	sp := &t.splat8
	s0 := archsimd.BroadcastFloat32x8(128)
	s1, s2, s3, s4, s5, s6, s7 := s0, s0, s0, s0, s0, s0, s0
	for i, v := range rows[:nz] {
		tv, v := archsimd.LoadFloat32x8(&tmp[i&7]), v&7
		s0 = s0.Add(archsimd.LoadFloat32x8(&sp[0][v]).Mul(tv))
		s1 = s1.Add(archsimd.LoadFloat32x8(&sp[1][v]).Mul(tv))
		s2 = s2.Add(archsimd.LoadFloat32x8(&sp[2][v]).Mul(tv))
		s3 = s3.Add(archsimd.LoadFloat32x8(&sp[3][v]).Mul(tv))
		s4 = s4.Add(archsimd.LoadFloat32x8(&sp[4][v]).Mul(tv))
		s5 = s5.Add(archsimd.LoadFloat32x8(&sp[5][v]).Mul(tv))
		s6 = s6.Add(archsimd.LoadFloat32x8(&sp[6][v]).Mul(tv))
		s7 = s7.Add(archsimd.LoadFloat32x8(&sp[7][v]).Mul(tv))
	}
	// clampPixel: 0 at or below 0, 255 at or above 255, else rounded half
	// up (v + 0.5 truncated); then the 8 values as bytes.
	bytes8 := func(s archsimd.Float32x8) uint64 {
		b := s.Max(lo).Min(hi).Add(half).ConvertToInt32().AsUint8x32().PermuteOrZeroGrouped(lowBytes)
		return b.GetLo().AsUint32x4().InterleaveLo(b.GetHi().AsUint32x4()).AsUint64x2().GetElem(0)
	}
	px := [8]uint64{bytes8(s0), bytes8(s1), bytes8(s2), bytes8(s3), bytes8(s4), bytes8(s5), bytes8(s6), bytes8(s7)}
	var row8 [8]uint8
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		if w == 8 {
			binary.LittleEndian.PutUint64(row[:8], px[y&7])
			continue
		}
		binary.LittleEndian.PutUint64(row8[:], px[y&7])
		copy(row[:w], row8[:w])
	}
}

// The lanes writeFullBlockAVX512 permutes: pairIndex[u] spreads
// coefficient u of the two rows in a 16-lane vector over their halves;
// lowTwice and highTwice repeat one half in both.
var (
	pairIndex = func() (p [8][16]uint32) {
		for u := range 8 {
			for i := range 8 {
				p[u][i], p[u][8+i] = uint32(u), uint32(8+u)
			}
		}
		return p
	}()
	lowTwice  = [16]uint32{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7}
	highTwice = [16]uint32{8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15}
)

// writeFullBlockAVX512 is writeFullBlockPortable two rows at a time in
// 16-lane vectors: the row pass transforms two rows of coefficients at
// once, the column pass keeps the 64 sums in four vectors and adds each
// row's terms to all of them. Every pixel's sum adds the same products in
// the same order as the portable code, without fused multiply-add; where
// it transforms a zero row beside a non-zero one, or a row's zero high
// frequencies, the terms it adds are exact zeros, which change no
// non-zero sum and no byte (a sum of zeros is 0 or -0, both clamped to 0).
func writeFullBlockAVX512(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	// Which coefficients are not zero, one bit each, row-major.
	var zero archsimd.Int32x16
	var nz uint64
	for p := range 4 {
		nz |= uint64(archsimd.LoadInt32x16((*[16]int32)(coef[16*p:16*p+16])).NotEqual(zero).ToBits()) << (16 * p)
	}
	var nonzero uint8 // the rows of coefficients that are not all zero
	for v := range 8 {
		if nz>>(8*v)&255 != 0 {
			nonzero |= 1 << v
		}
	}
	var pairs [4][16]float32 // rows 2p and 2p+1 transformed, side by side
	bt := &t.bt16
	i0, i1, i2, i3 := archsimd.LoadUint32x16(&pairIndex[0]), archsimd.LoadUint32x16(&pairIndex[1]), archsimd.LoadUint32x16(&pairIndex[2]), archsimd.LoadUint32x16(&pairIndex[3])
	for p := range 4 {
		pair := nz >> (16 * p) & 0xffff
		if pair == 0 {
			continue
		}
		f := archsimd.LoadInt32x16((*[16]int32)(coef[16*p : 16*p+16])).ConvertToFloat32()
		acc := archsimd.LoadFloat32x16(&bt[0]).Mul(f.Permute(i0))
		acc = acc.Add(archsimd.LoadFloat32x16(&bt[1]).Mul(f.Permute(i1)))
		acc = acc.Add(archsimd.LoadFloat32x16(&bt[2]).Mul(f.Permute(i2)))
		acc = acc.Add(archsimd.LoadFloat32x16(&bt[3]).Mul(f.Permute(i3)))
		if pair&0xf0f0 != 0 { // high frequencies in one of the rows
			acc = acc.Add(archsimd.LoadFloat32x16(&bt[4]).Mul(f.Permute(archsimd.LoadUint32x16(&pairIndex[4]))))
			acc = acc.Add(archsimd.LoadFloat32x16(&bt[5]).Mul(f.Permute(archsimd.LoadUint32x16(&pairIndex[5]))))
			acc = acc.Add(archsimd.LoadFloat32x16(&bt[6]).Mul(f.Permute(archsimd.LoadUint32x16(&pairIndex[6]))))
			acc = acc.Add(archsimd.LoadFloat32x16(&bt[7]).Mul(f.Permute(archsimd.LoadUint32x16(&pairIndex[7]))))
		}
		acc.Store(&pairs[p])
	}
	// s[q] holds output rows 2q (low half) and 2q+1 (high half).
	s0 := archsimd.BroadcastFloat32x16(128)
	s1, s2, s3 := s0, s0, s0
	low, high := archsimd.LoadUint32x16(&lowTwice), archsimd.LoadUint32x16(&highTwice)
	sp := &t.splat16
	for m := nonzero; m != 0; m &= m - 1 {
		v := bits.TrailingZeros8(m)
		half := low
		if v&1 != 0 {
			half = high
		}
		tv := archsimd.LoadFloat32x16(&pairs[v>>1&3]).Permute(half)
		s0 = s0.Add(archsimd.LoadFloat32x16(&sp[0][v&7]).Mul(tv))
		s1 = s1.Add(archsimd.LoadFloat32x16(&sp[1][v&7]).Mul(tv))
		s2 = s2.Add(archsimd.LoadFloat32x16(&sp[2][v&7]).Mul(tv))
		s3 = s3.Add(archsimd.LoadFloat32x16(&sp[3][v&7]).Mul(tv))
	}
	// clampPixel, then the low byte of each: rows 2q and 2q+1 in the two
	// halves of r[q].
	lo, hi, half := archsimd.BroadcastFloat32x16(0), archsimd.BroadcastFloat32x16(255), archsimd.BroadcastFloat32x16(0.5)
	r0 := s0.Max(lo).Min(hi).Add(half).ConvertToInt32().TruncateToInt8().AsUint64x2()
	r1 := s1.Max(lo).Min(hi).Add(half).ConvertToInt32().TruncateToInt8().AsUint64x2()
	r2 := s2.Max(lo).Min(hi).Add(half).ConvertToInt32().TruncateToInt8().AsUint64x2()
	r3 := s3.Max(lo).Min(hi).Add(half).ConvertToInt32().TruncateToInt8().AsUint64x2()
	if w == 8 && h == 8 {
		stride := out.Stride
		pix := out.Pix[y0*stride+x0:]
		pix = pix[:7*stride+8]
		binary.LittleEndian.PutUint64(pix[0:], r0.GetElem(0))
		binary.LittleEndian.PutUint64(pix[stride:], r0.GetElem(1))
		binary.LittleEndian.PutUint64(pix[2*stride:], r1.GetElem(0))
		binary.LittleEndian.PutUint64(pix[3*stride:], r1.GetElem(1))
		binary.LittleEndian.PutUint64(pix[4*stride:], r2.GetElem(0))
		binary.LittleEndian.PutUint64(pix[5*stride:], r2.GetElem(1))
		binary.LittleEndian.PutUint64(pix[6*stride:], r3.GetElem(0))
		binary.LittleEndian.PutUint64(pix[7*stride:], r3.GetElem(1))
		return
	}
	// A block clipped at the plane's right or bottom edge.
	rows := [8]uint64{r0.GetElem(0), r0.GetElem(1), r1.GetElem(0), r1.GetElem(1), r2.GetElem(0), r2.GetElem(1), r3.GetElem(0), r3.GetElem(1)}
	var px [8]uint8
	for y := range h {
		binary.LittleEndian.PutUint64(px[:], rows[y&7])
		copy(out.Pix[(y0+y)*out.Stride+x0:][:w], px[:w])
	}
}
