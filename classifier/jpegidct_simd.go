//go:build goexperiment.simd && amd64

package classifier

import (
	"encoding/binary"
	"image"
	"simd/archsimd"
)

// idctKernels names the 8x8 inverse DCTs compiled in: with
// GOEXPERIMENT=simd on amd64, 8-wide AVX2 vectors where the CPU has them
// (checked at run time), else the portable one.
const idctKernels = "simd (AVX2, portable fallback)"

func writeFullBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
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
	var px [8]uint8
	for y := range h {
		by := &t.splat8[y]
		s := archsimd.BroadcastFloat32x8(128)
		for i, v := range rows[:nz] {
			s = s.Add(archsimd.LoadFloat32x8(&by[v&7]).Mul(archsimd.LoadFloat32x8(&tmp[i&7])))
		}
		// clampPixel: 0 at or below 0, 255 at or above 255, else rounded
		// half up (v + 0.5 truncated); then the 8 values as bytes.
		b := s.Max(lo).Min(hi).Add(half).ConvertToInt32().AsUint8x32().PermuteOrZeroGrouped(lowBytes)
		v := b.GetLo().AsUint32x4().InterleaveLo(b.GetHi().AsUint32x4()).AsUint64x2().GetElem(0)
		row := out.Pix[(y0+y)*out.Stride+x0:]
		if w == 8 {
			binary.LittleEndian.PutUint64(row[:8], v)
			continue
		}
		binary.LittleEndian.PutUint64(px[:], v)
		copy(row[:w], px[:w])
	}
}
