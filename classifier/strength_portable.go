//go:build !(goexperiment.simd && amd64)

package classifier

func strengthsOverSurface(s []float32, bins, oriented []uint8, bg []float32) {
	strengthsOverSurfacePortable(s, bins, oriented, bg)
}

func intensities(val, s []float32, floor, core float32) { intensitiesPortable(val, s, floor, core) }
