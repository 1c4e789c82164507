//go:build !(goexperiment.simd && amd64)

package classifier

// surfaceRowKernels are the surface rows of this build, by name.
func surfaceRowKernels() map[string]func(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	return map[string]func(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64){"portable": surfaceRowPortable}
}
