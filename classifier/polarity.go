package classifier

import (
	"math"
	"slices"
)

// tailScore measures how much stands out from the median on one side
// (sign -1: darker, +1: lighter) of a histogram: the sum of the distances
// beyond the noise (3 robust sigmas, plus a margin) of every pixel. The ink
// is on the side with the larger score, however few its pixels: a small
// digit in a large photo is a tenth of a percent of it. spread is the noise
// floor's distance from the median, in levels (see unevenLightMargin).
func tailScore(hist *[256]int, n, sign int) (score float64, spread int) {
	med := percentile(hist, n, 0.5)
	spread = noiseFloor(hist, n) - med
	margin := spread + 8
	for v, k := range hist {
		if d := sign*(v-med) - margin; d > 0 {
			score += float64(d * k)
		}
	}
	return score, spread
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

// Uneven light: when the paper itself spans many levels (a strong gradient,
// a hard shadow across the page), the median is no longer the background
// and the tails of the histogram are lighting, not ink. Past
// unevenLightMargin (the noise floor's distance from the median, in
// levels: 0–45 on the other failure classes, light strokes, screenshots,
// thick marker on grey paper; 58–258 under that class's gradients and
// shadows; past it too on some photos of large bold numbers, whose ink is
// a big share of the picture), strokePolarity decides instead.
const unevenLightMargin = 48

// A hard shadow over most of the page leaves little spread in its flat
// paper, but a lit patch of it stands out light from the median, as light
// ink would. When the light side wins but the dark side scores at least
// litPatchDark of it (a white digit on black scores 0 there), strokePolarity
// decides too. Pen digits under shadows (TestUploads_ShadowsAnywhere) read
// 73 of 100 before it, 89 with it (any value from 0.01 to 0.04; two other
// seeds of that set: 66 -> 80 and 56 -> 77); MNIST, the numbers and the
// negatives sets and the other failure classes unchanged.
const litPatchDark = 0.02

// strokePolarity looks at a plane of at most strokePlaneSide pixels a
// side, in blocks of strokeBlock of its pixels (an eighth of the picture);
// ink must stand strokeNoise levels out of its block's paper.
const (
	strokePlaneSide = 64
	strokeBlock     = 8
	strokeNoise     = 40
)

// strokePolarity decides which side the ink is on by what stands out
// locally. Each block of a small plane takes its median as its paper: ink
// is the minority of almost every block, and lighting (a gradient, a
// shadow) varies little within one, so the strokes stand out on their own
// side while the lighting mostly cancels (a shadow's edge through a block
// stands out on either side, as often one as the other). The side that
// stands out more is the ink. decided is false when neither does. levels,
// when not nil, holds the grey image's levels (not reduced). The failure
// class "strong light gradient or shadow" read 31 of 50 before it, 33 with
// it alone, 41 with the narrower shadow opening too (background.go). Font
// numbers photographed with vignetting, whose histogram tails are wide
// too, stay right: a first version, which compared what a grey-level
// opening and closing remove (paper between bold strokes is as thin as
// the strokes), read 5 of 100 as light ink.
func strokePolarity(g *grey, levels []uint8) (darkInk, decided bool) {
	f := (max(g.w, g.h) + strokePlaneSide - 1) / strokePlaneSide
	pw, ph := (g.w+f-1)/f, (g.h+f-1)/f
	// The darkest and the lightest of each f×f block, so that a thin line
	// keeps its contrast on its own side.
	lo, hi := make([]float32, pw*ph), make([]float32, pw*ph)
	switch {
	case g.darkest != nil:
		planeBlockExtremes(g.darkest, g.w, g.h, f, pw, lo, true)
		planeBlockExtremes(g.lightest, g.w, g.h, f, pw, hi, false)
	case levels != nil:
		planeBlockExtremes(levels, g.w, g.h, f, pw, lo, true)
		planeBlockExtremes(levels, g.w, g.h, f, pw, hi, false)
	default:
		pix := g.means()
		for j := range lo {
			lo[j], hi[j] = 255, 0
		}
		for y := range g.h {
			row := (y / f) * pw
			for x, v := range pix[y*g.w : (y+1)*g.w] {
				lo[row+x/f], hi[row+x/f] = min(lo[row+x/f], v), max(hi[row+x/f], v)
			}
		}
	}
	var dark, light float64
	vals := make([]float32, 0, strokeBlock*strokeBlock)
	for by := 0; by < ph; by += strokeBlock {
		for bx := 0; bx < pw; bx += strokeBlock {
			vals = vals[:0]
			for y := by; y < min(by+strokeBlock, ph); y++ {
				for x := bx; x < min(bx+strokeBlock, pw); x++ {
					vals = append(vals, (lo[y*pw+x]+hi[y*pw+x])/2)
				}
			}
			slices.Sort(vals)
			med := vals[len(vals)/2]
			for y := by; y < min(by+strokeBlock, ph); y++ {
				for x := bx; x < min(bx+strokeBlock, pw); x++ {
					dark += float64(max(med-lo[y*pw+x]-strokeNoise, 0))
					light += float64(max(hi[y*pw+x]-med-strokeNoise, 0))
				}
			}
		}
	}
	if dark == light {
		return false, false
	}
	return dark > light, true
}

// planeBlockExtremes writes into out (pw values a row of blocks) the minimum
// (lowest) or maximum of each f×f block of the w×h plane src.
func planeBlockExtremes(src []uint8, w, h, f, pw int, out []float32, lowest bool) {
	acc := make([]uint8, pw)
	for by := 0; by*f < h; by++ {
		for bx := range acc {
			acc[bx] = 0
			if lowest {
				acc[bx] = 255
			}
		}
		for y := by * f; y < min(by*f+f, h); y++ {
			row := src[y*w : (y+1)*w]
			for bx := range acc {
				m := acc[bx]
				block := row[bx*f : min(bx*f+f, w)]
				if lowest {
					for _, v := range block {
						m = min(m, v)
					}
				} else {
					for _, v := range block {
						m = max(m, v)
					}
				}
				acc[bx] = m
			}
		}
		for bx, m := range acc {
			out[by*pw+bx] = float32(m)
		}
	}
}
