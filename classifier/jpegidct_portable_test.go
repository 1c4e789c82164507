//go:build !(goexperiment.simd && amd64)

package classifier

import "image"

// fullBlockKernels are the 8x8 inverse DCTs of this build, by name, for
// the equivalence tests.
func fullBlockKernels() map[string]func(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	return map[string]func(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int){"portable": writeFullBlockPortable}
}
