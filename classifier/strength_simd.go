//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

func strengthsOverSurface(s []float32, bins, oriented []uint8, bg []float32) {
	if !archsimd.X86.AVX512() {
		strengthsOverSurfacePortable(s, bins, oriented, bg)
		return
	}
	strengthsOverSurfaceAVX512(s, bins, oriented, bg)
}

// strengthsOverSurfaceAVX512 is strengthsOverSurfacePortable 16 pixels at
// a time: the same subtraction, multiplication, division and maxima, in
// float32, each rounded as there (division is correctly rounded in
// both). A vector maximum and Go's max differ only for NaN and for two
// zeros of different signs: a strength is never NaN (the divisor is at
// least 64) nor -0 ((v-b)·255 is +0 when v = b, whatever b's sign).
func strengthsOverSurfaceAVX512(s []float32, bins, oriented []uint8, bg []float32) {
	n := len(oriented)
	bg, s, bins = bg[:n], s[:n], bins[:n]
	zero, k255, k64, half := archsimd.BroadcastFloat32x16(0), archsimd.BroadcastFloat32x16(255), archsimd.BroadcastFloat32x16(64), archsimd.BroadcastFloat32x16(0.5)
	lo, hi := archsimd.BroadcastInt32x16(0), archsimd.BroadcastInt32x16(255)
	i := 0
	for ; i+16 <= n; i += 16 {
		v := archsimd.LoadUint8x16((*[16]uint8)(oriented[i : i+16])).ExtendToUint32().ConvertToFloat32()
		b := archsimd.LoadFloat32x16((*[16]float32)(bg[i : i+16]))
		d := k255.Sub(b).Max(k64)
		st := v.Sub(b).Mul(k255).Div(d).Max(zero)
		st.Store((*[16]float32)(s[i : i+16]))
		// strengthBin: v + 0.5 truncated, clamped to [0, 255] as integers
		// (a strength is at most 255·255/64, far inside int32).
		st.Add(half).ConvertToInt32().Max(lo).Min(hi).TruncateToInt8().AsUint8x16().Store((*[16]uint8)(bins[i : i+16]))
	}
	strengthsOverSurfacePortable(s[i:], bins[i:], oriented[i:], bg[i:])
}

func intensities(val, s []float32, floor, core float32) {
	if !archsimd.X86.AVX512() {
		intensitiesPortable(val, s, floor, core)
		return
	}
	intensitiesAVX512(val, s, floor, core)
}

// intensitiesAVX512 is intensitiesPortable 16 at a time: the same float32
// subtraction, multiplication and division, then vector maxima and minima,
// which differ from Go's max and min only for NaN and for a -0 against 0:
// no strength is NaN or -0, so (s-floor)·255/(core-floor) is never -0.
func intensitiesAVX512(val, s []float32, floor, core float32) {
	n := len(s)
	val = val[:n]
	vf, d := archsimd.BroadcastFloat32x16(floor), archsimd.BroadcastFloat32x16(core-floor)
	zero, k255 := archsimd.BroadcastFloat32x16(0), archsimd.BroadcastFloat32x16(255)
	for i := 0; i < n; i += 16 {
		// The last, partial vector masked: its missing lanes read 0 and
		// are not written.
		v := archsimd.LoadFloat32x16SlicePart(s[i:])
		v.Sub(vf).Mul(k255).Div(d).Max(zero).Min(k255).StoreSlicePart(val[i:n])
	}
}
