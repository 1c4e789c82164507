//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

// thresholdKernels are the threshold loops this CPU runs, by name.
func thresholdKernels() map[string]func(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	k := map[string]func(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32{"portable": thresholdPortable}
	if archsimd.X86.AVX512() {
		k["AVX-512"] = thresholdAVX512
	}
	return k
}
