//go:build !(goexperiment.simd && amd64)

package classifier

// thresholdKernels are the threshold loops of this build, by name.
func thresholdKernels() map[string]func(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	return map[string]func(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32{"portable": thresholdPortable}
}
