//go:build !(goexperiment.simd && amd64)

package classifier

func surfaceRow(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	surfaceRowPortable(row, base, xx, cx, cy, fy, cyy, lo, hi)
}
