//go:build !(goexperiment.simd && amd64)

package classifier

func strengthsOverSurface(s []float32, bins, oriented []uint8, bg []float32) {
	strengthsOverSurfacePortable(s, bins, oriented, bg)
}
