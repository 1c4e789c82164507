//go:build !(goexperiment.simd && amd64)

package onnxplan

// Kernels is the name of the matrix-product kernels compiled in: plain Go
// here; the SIMD ones need GOEXPERIMENT=simd on amd64.
const Kernels = "portable"

func gemm(rows, k, m int, a, b, bias, out []float32) { gemmPortable(rows, k, m, a, b, bias, out) }

func maxInto(dst, src []float32) { maxIntoPortable(dst, src) }

// kernels are the matrix-product kernels this build can run, by name, for
// the tests.
func kernels() map[string]func(rows, k, m int, a, b, bias, out []float32) {
	return map[string]func(rows, k, m int, a, b, bias, out []float32){"portable": gemmPortable}
}
