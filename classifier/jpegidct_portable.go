//go:build !(goexperiment.simd && amd64)

package classifier

import "image"

// idctKernels names the 8x8 inverse DCTs compiled in: plain Go here; the
// vector one needs GOEXPERIMENT=simd on amd64.
const idctKernels = "portable"

func writeFullBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, x0, y0, w, h int) {
	writeFullBlockPortable(out, t, coef, x0, y0, w, h)
}
