//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

func strengthsOverSurface(s []float32, oriented []uint8, bg []float32) {
	if !archsimd.X86.AVX512() {
		strengthsOverSurfacePortable(s, oriented, bg)
		return
	}
	strengthsOverSurfaceAVX512(s, oriented, bg)
}

// strengthsOverSurfaceAVX512 is strengthsOverSurfacePortable 16 pixels at
// a time: the same subtraction, multiplication, division and maxima, in
// float32, each rounded as there (division is correctly rounded in
// both). A vector maximum and Go's max differ only for NaN and for two
// zeros of different signs: a strength is never NaN (the divisor is at
// least 64) nor -0 ((v-b)·255 is +0 when v = b, whatever b's sign).
func strengthsOverSurfaceAVX512(s []float32, oriented []uint8, bg []float32) {
	n := len(oriented)
	bg, s = bg[:n], s[:n]
	zero, k255, k64 := archsimd.BroadcastFloat32x16(0), archsimd.BroadcastFloat32x16(255), archsimd.BroadcastFloat32x16(64)
	i := 0
	for ; i+16 <= n; i += 16 {
		v := archsimd.LoadUint8x16((*[16]uint8)(oriented[i : i+16])).ExtendToUint32().ConvertToFloat32()
		b := archsimd.LoadFloat32x16((*[16]float32)(bg[i : i+16]))
		d := k255.Sub(b).Max(k64)
		v.Sub(b).Mul(k255).Div(d).Max(zero).Store((*[16]float32)(s[i : i+16]))
	}
	strengthsOverSurfacePortable(s[i:], oriented[i:], bg[i:])
}
