package classifier

import (
	"math"
)

// tailScore measures how much stands out from the median on one side
// (sign -1: darker, +1: lighter) of a histogram: the sum of the distances
// beyond the noise (3 robust sigmas, plus a margin) of every pixel. The ink
// is on the side with the larger score, however few its pixels: a small
// digit in a large photo is a tenth of a percent of it.
func tailScore(hist *[256]int, n, sign int) float64 {
	med := percentile(hist, n, 0.5)
	margin := noiseFloor(hist, n) - med + 8
	score := 0.0
	for v, k := range hist {
		if d := sign*(v-med) - margin; d > 0 {
			score += float64(d * k)
		}
	}
	return score
}

// noiseFloor is median + 3 robust sigmas (1.4826 MAD) of a histogram.
func noiseFloor(hist *[256]int, n int) int {
	med := percentile(hist, n, 0.5)
	c := 0
	for d := 0; d < 256; d++ {
		if med-d >= 0 {
			c += hist[med-d]
		}
		if d > 0 && med+d < 256 {
			c += hist[med+d]
		}
		if 2*c >= n {
			return med + int(math.Ceil(3*1.4826*float64(d)))
		}
	}
	return 255
}
