//go:build !(goexperiment.simd && amd64)

package classifier

// strengthKernels are the strength loops of this build, by name.
func strengthKernels() map[string]func(s []float32, bins, oriented []uint8, bg []float32) {
	return map[string]func(s []float32, bins, oriented []uint8, bg []float32){"portable": strengthsOverSurfacePortable}
}

// intensityKernels are the intensity loops of this build, by name.
func intensityKernels() map[string]func(val, s []float32, floor, core float32) {
	return map[string]func(val, s []float32, floor, core float32){"portable": intensitiesPortable}
}
