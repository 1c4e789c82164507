//go:build goexperiment.simd && amd64

package classifier

import (
	"image"
	"simd/archsimd"
)

// fullBlockKernels are the 8x8 inverse DCTs this CPU runs, by name, for
// the equivalence tests: each is checked, not only the one
// writeFullBlock picks.
func fullBlockKernels() map[string]func(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	k := map[string]func(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int){"portable": writeFullBlockPortable}
	if archsimd.X86.AVX2() {
		k["AVX2"] = writeFullBlockAVX2
	}
	if archsimd.X86.AVX512() {
		k["AVX-512"] = writeFullBlockAVX512
	}
	return k
}
