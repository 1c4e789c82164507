//go:build !(goexperiment.simd && amd64)

package classifier

func threshold(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	return thresholdPortable(s, t, w, mask, rows, cols, marks)
}
