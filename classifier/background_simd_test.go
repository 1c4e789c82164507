//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

// surfaceRowKernels are the surface rows this CPU runs, by name.
func surfaceRowKernels() map[string]func(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64) {
	k := map[string]func(row []float32, base, xx, cx []float64, cy, fy, cyy, lo, hi float64){"portable": surfaceRowPortable}
	if archsimd.X86.AVX512() {
		k["AVX-512"] = surfaceRowAVX512
	}
	return k
}
