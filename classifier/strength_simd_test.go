//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

// strengthKernels are the strength loops this CPU runs, by name.
func strengthKernels() map[string]func(s []float32, bins, oriented []uint8, bg []float32) {
	k := map[string]func(s []float32, bins, oriented []uint8, bg []float32){"portable": strengthsOverSurfacePortable}
	if archsimd.X86.AVX512() {
		k["AVX-512"] = strengthsOverSurfaceAVX512
	}
	return k
}

// intensityKernels are the intensity loops this CPU runs, by name.
func intensityKernels() map[string]func(val, s []float32, floor, core float32) {
	k := map[string]func(val, s []float32, floor, core float32){"portable": intensitiesPortable}
	if archsimd.X86.AVX512() {
		k["AVX-512"] = intensitiesAVX512
	}
	return k
}
