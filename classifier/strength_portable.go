//go:build !(goexperiment.simd && amd64)

package classifier

func strengthsOverSurface(s []float32, oriented []uint8, bg []float32) {
	strengthsOverSurfacePortable(s, oriented, bg)
}
