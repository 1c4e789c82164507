//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

func surfaceRow(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	if !archsimd.X86.AVX512() {
		surfaceRowPortable(row, base, xx, cx, cy, fy, cyy, lo, hi)
		return
	}
	surfaceRowAVX512(row, base, xx, cx, cy, fy, cyy, lo, hi)
}

// surfaceRowAVX512 is surfaceRowPortable 8 pixels at a time: the same
// additions in the same order and the multiplication apart (no fused
// multiply-add), the same comparisons for the clamps, and the same
// rounding to float32.
func surfaceRowAVX512(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	n := len(row)
	base, xx, cx = base[:n], xx[:n], cx[:n]
	vcy, vfy, vcyy := archsimd.BroadcastFloat64x8(cy), archsimd.BroadcastFloat64x8(fy), archsimd.BroadcastFloat64x8(cyy)
	vlo, vhi := archsimd.BroadcastFloat64x8(lo), archsimd.BroadcastFloat64x8(hi)
	zero, top := archsimd.BroadcastFloat64x8(0), archsimd.BroadcastFloat64x8(255)
	x := 0
	for ; x+8 <= n; x += 8 {
		v := archsimd.LoadFloat64x8((*[8]float64)(base[x : x+8])).Add(vcy).Add(archsimd.LoadFloat64x8((*[8]float64)(xx[x : x+8])))
		v = v.Add(archsimd.LoadFloat64x8((*[8]float64)(cx[x : x+8])).Mul(vfy)).Add(vcyy)
		// The clamps as the comparisons, by mask: a value equal to a
		// bound stays itself (-0 against a bound of 0; a vector maximum
		// may return either zero).
		v = vlo.Merge(v, v.Less(vlo))
		v = vhi.Merge(v, v.Greater(vhi))
		v = zero.Merge(v, v.Less(zero))
		v = top.Merge(v, v.Greater(top))
		v.ConvertToFloat32().Store((*[8]float32)(row[x : x+8]))
	}
	surfaceRowPortable(row[x:], base[x:], xx[x:], cx[x:], cy, fy, cyy, lo, hi)
}
