//go:build goexperiment.simd && amd64

package onnxplan

import "simd/archsimd"

// Kernels is the name of the matrix-product kernels compiled in: with
// GOEXPERIMENT=simd on amd64, 16-wide AVX-512 or 8-wide AVX2 and FMA
// vectors, whichever the CPU has (checked at run time), else the portable
// ones.
const Kernels = "simd (AVX-512 or AVX2+FMA, portable fallback)"

func gemm(rows, k, m int, a, b, bias, out []float32) {
	switch {
	case archsimd.X86.AVX512():
		gemmAVX512(rows, k, m, a, b, bias, out)
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		gemmAVX2(rows, k, m, a, b, bias, out)
	default:
		gemmPortable(rows, k, m, a, b, bias, out)
	}
}

func maxInto(dst, src []float32) {
	if archsimd.X86.AVX2() {
		maxIntoAVX2(dst, src)
		return
	}
	maxIntoPortable(dst, src)
}

// maxIntoAVX2 is maxIntoPortable 8 values at a time. VMAXPS returns one
// operand when the other is NaN: where either is, the sum (a NaN) is
// taken instead, so a NaN is kept as Go's max keeps it. (Of two zeros it
// may keep -0 where max keeps +0: equal values.)
func maxIntoAVX2(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		a := archsimd.LoadFloat32x8Slice(dst[i : i+8])
		b := archsimd.LoadFloat32x8Slice(src[i : i+8])
		nan := a.IsNaN().Or(b.IsNaN())
		a.Add(b).Merge(a.Max(b), nan).StoreSlice(dst[i : i+8])
	}
	maxIntoPortable(dst[i:], src[i:])
}

// kernels are the matrix-product kernels this CPU can run, by name, for
// the tests.
func kernels() map[string]func(rows, k, m int, a, b, bias, out []float32) {
	ks := map[string]func(rows, k, m int, a, b, bias, out []float32){"portable": gemmPortable}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		ks["avx2"] = gemmAVX2
	}
	if archsimd.X86.AVX512() {
		ks["avx512"] = gemmAVX512
	}
	return ks
}

// gemmAVX512 is gemmAVX2 with 16-wide vectors: tiles of four rows × 32
// output channels (eight registers), then four rows × 16.
func gemmAVX512(rows, k, m int, a, b, bias, out []float32) {
	m16 := m &^ 15
	r := 0
	for ; r+4 <= rows; r += 4 {
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a2 := a[(r+2)*k : (r+2)*k+k]
		a3 := a[(r+3)*k : (r+3)*k+k]
		a1, a2, a3 = a1[:len(a0)], a2[:len(a0)], a3[:len(a0)]
		j := 0
		for ; j+32 <= m16; j += 32 {
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
			if bias != nil {
				c00 = archsimd.LoadFloat32x16((*[16]float32)(bias[j : j+16]))
				c01 = archsimd.LoadFloat32x16((*[16]float32)(bias[j+16 : j+32]))
				c10, c11, c20, c21, c30, c31 = c00, c01, c00, c01, c00, c01
			}
			for kk := range a0 {
				bp := b[kk*m+j : kk*m+j+32]
				b0 := archsimd.LoadFloat32x16((*[16]float32)(bp[0:16]))
				b1 := archsimd.LoadFloat32x16((*[16]float32)(bp[16:32]))
				x := archsimd.BroadcastFloat32x16(a0[kk])
				c00 = x.MulAdd(b0, c00)
				c01 = x.MulAdd(b1, c01)
				x = archsimd.BroadcastFloat32x16(a1[kk])
				c10 = x.MulAdd(b0, c10)
				c11 = x.MulAdd(b1, c11)
				x = archsimd.BroadcastFloat32x16(a2[kk])
				c20 = x.MulAdd(b0, c20)
				c21 = x.MulAdd(b1, c21)
				x = archsimd.BroadcastFloat32x16(a3[kk])
				c30 = x.MulAdd(b0, c30)
				c31 = x.MulAdd(b1, c31)
			}
			c00.Store((*[16]float32)(out[r*m+j : r*m+j+16]))
			c01.Store((*[16]float32)(out[r*m+j+16 : r*m+j+32]))
			c10.Store((*[16]float32)(out[(r+1)*m+j : (r+1)*m+j+16]))
			c11.Store((*[16]float32)(out[(r+1)*m+j+16 : (r+1)*m+j+32]))
			c20.Store((*[16]float32)(out[(r+2)*m+j : (r+2)*m+j+16]))
			c21.Store((*[16]float32)(out[(r+2)*m+j+16 : (r+2)*m+j+32]))
			c30.Store((*[16]float32)(out[(r+3)*m+j : (r+3)*m+j+16]))
			c31.Store((*[16]float32)(out[(r+3)*m+j+16 : (r+3)*m+j+32]))
		}
		for ; j < m16; j += 16 {
			var c0, c1, c2, c3 archsimd.Float32x16
			if bias != nil {
				c0 = archsimd.LoadFloat32x16((*[16]float32)(bias[j : j+16]))
				c1, c2, c3 = c0, c0, c0
			}
			for kk := range a0 {
				b0 := archsimd.LoadFloat32x16((*[16]float32)(b[kk*m+j : kk*m+j+16]))
				c0 = archsimd.BroadcastFloat32x16(a0[kk]).MulAdd(b0, c0)
				c1 = archsimd.BroadcastFloat32x16(a1[kk]).MulAdd(b0, c1)
				c2 = archsimd.BroadcastFloat32x16(a2[kk]).MulAdd(b0, c2)
				c3 = archsimd.BroadcastFloat32x16(a3[kk]).MulAdd(b0, c3)
			}
			c0.Store((*[16]float32)(out[r*m+j : r*m+j+16]))
			c1.Store((*[16]float32)(out[(r+1)*m+j : (r+1)*m+j+16]))
			c2.Store((*[16]float32)(out[(r+2)*m+j : (r+2)*m+j+16]))
			c3.Store((*[16]float32)(out[(r+3)*m+j : (r+3)*m+j+16]))
		}
	}
	for ; r < rows; r++ {
		ar := a[r*k : r*k+k]
		for j := 0; j < m16; j += 16 {
			var c0, d0 archsimd.Float32x16
			if bias != nil {
				c0 = archsimd.LoadFloat32x16((*[16]float32)(bias[j : j+16]))
			}
			// Two independent chains over even and odd k hide the FMA latency.
			kk := 0
			for ; kk+2 <= k; kk += 2 {
				c0 = archsimd.BroadcastFloat32x16(ar[kk]).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(b[kk*m+j:kk*m+j+16])), c0)
				d0 = archsimd.BroadcastFloat32x16(ar[kk+1]).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(b[(kk+1)*m+j:(kk+1)*m+j+16])), d0)
			}
			if kk < k {
				c0 = archsimd.BroadcastFloat32x16(ar[kk]).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(b[kk*m+j:kk*m+j+16])), c0)
			}
			c0.Add(d0).Store((*[16]float32)(out[r*m+j : r*m+j+16]))
		}
	}
	if m16 < m {
		gemmColumns(rows, k, m, m16, a, b, bias, out)
	}
}

// gemmAVX2 is gemmPortable with 8-wide fused multiply-adds: tiles of four
// rows × sixteen output channels held in eight registers across the whole
// K loop; the channels past the last multiple of 16 in plain Go.
func gemmAVX2(rows, k, m int, a, b, bias, out []float32) {
	m16 := m &^ 15
	r := 0
	for ; r+4 <= rows; r += 4 {
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a2 := a[(r+2)*k : (r+2)*k+k]
		a3 := a[(r+3)*k : (r+3)*k+k]
		for j := 0; j < m16; j += 16 {
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
			if bias != nil {
				c00 = archsimd.LoadFloat32x8((*[8]float32)(bias[j : j+8]))
				c01 = archsimd.LoadFloat32x8((*[8]float32)(bias[j+8 : j+16]))
				c10, c11, c20, c21, c30, c31 = c00, c01, c00, c01, c00, c01
			}
			for kk := range a0 {
				bp := b[kk*m+j : kk*m+j+16]
				b0 := archsimd.LoadFloat32x8((*[8]float32)(bp[0:8]))
				b1 := archsimd.LoadFloat32x8((*[8]float32)(bp[8:16]))
				x := archsimd.BroadcastFloat32x8(a0[kk])
				c00 = x.MulAdd(b0, c00)
				c01 = x.MulAdd(b1, c01)
				x = archsimd.BroadcastFloat32x8(a1[kk])
				c10 = x.MulAdd(b0, c10)
				c11 = x.MulAdd(b1, c11)
				x = archsimd.BroadcastFloat32x8(a2[kk])
				c20 = x.MulAdd(b0, c20)
				c21 = x.MulAdd(b1, c21)
				x = archsimd.BroadcastFloat32x8(a3[kk])
				c30 = x.MulAdd(b0, c30)
				c31 = x.MulAdd(b1, c31)
			}
			c00.Store((*[8]float32)(out[r*m+j : r*m+j+8]))
			c01.Store((*[8]float32)(out[r*m+j+8 : r*m+j+16]))
			c10.Store((*[8]float32)(out[(r+1)*m+j : (r+1)*m+j+8]))
			c11.Store((*[8]float32)(out[(r+1)*m+j+8 : (r+1)*m+j+16]))
			c20.Store((*[8]float32)(out[(r+2)*m+j : (r+2)*m+j+8]))
			c21.Store((*[8]float32)(out[(r+2)*m+j+8 : (r+2)*m+j+16]))
			c30.Store((*[8]float32)(out[(r+3)*m+j : (r+3)*m+j+8]))
			c31.Store((*[8]float32)(out[(r+3)*m+j+8 : (r+3)*m+j+16]))
		}
	}
	for ; r < rows; r++ {
		ar := a[r*k : r*k+k]
		for j := 0; j < m16; j += 16 {
			var c0, c1, d0, d1 archsimd.Float32x8
			if bias != nil {
				c0 = archsimd.LoadFloat32x8((*[8]float32)(bias[j : j+8]))
				c1 = archsimd.LoadFloat32x8((*[8]float32)(bias[j+8 : j+16]))
			}
			// Two independent chains over even and odd k hide the FMA latency.
			kk := 0
			for ; kk+2 <= k; kk += 2 {
				bp := b[kk*m+j : kk*m+j+16]
				bq := b[(kk+1)*m+j : (kk+1)*m+j+16]
				x := archsimd.BroadcastFloat32x8(ar[kk])
				y := archsimd.BroadcastFloat32x8(ar[kk+1])
				c0 = x.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bp[0:8])), c0)
				c1 = x.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bp[8:16])), c1)
				d0 = y.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bq[0:8])), d0)
				d1 = y.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bq[8:16])), d1)
			}
			for ; kk < k; kk++ {
				bp := b[kk*m+j : kk*m+j+16]
				x := archsimd.BroadcastFloat32x8(ar[kk])
				c0 = x.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bp[0:8])), c0)
				c1 = x.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(bp[8:16])), c1)
			}
			c0.Add(d0).Store((*[8]float32)(out[r*m+j : r*m+j+8]))
			c1.Add(d1).Store((*[8]float32)(out[r*m+j+8 : r*m+j+16]))
		}
	}
	if m16 < m {
		gemmColumns(rows, k, m, m16, a, b, bias, out)
	}
}
