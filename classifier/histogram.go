package classifier

import (
	"image"
	"math"
)

func clamp255(v float32) int {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return int(v + 0.5)
}

// percentile returns the smallest bin at which the cumulative count of a
// 256-bin histogram holding n values reaches fraction p.
func percentile(hist *[256]int, n int, p float64) int {
	target := int(math.Ceil(p * float64(n)))
	target = max(target, 1)
	c := 0
	for v, k := range hist {
		c += k
		if c >= target {
			return v
		}
	}
	return 255
}

// percentile32 is percentile for a histogram of int32 counts.
func percentile32(hist *[256]int32, n int, p float64) int {
	target := max(int(math.Ceil(p*float64(n))), 1)
	c := 0
	for v, k := range hist {
		c += int(k)
		if c >= target {
			return v
		}
	}
	return 255
}

// blockPercentile is percentile for the levels inside r of an image with
// rows of w levels, counted over four tables (see histogram8).
func blockPercentile(levels []uint8, w int, r image.Rectangle, p float64) int {
	var t [4][256]int32
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := levels[y*w+r.Min.X : y*w+r.Max.X]
		i := 0
		for ; i+4 <= len(row); i += 4 {
			q := row[i : i+4 : i+4]
			t[0][q[0]]++
			t[1][q[1]]++
			t[2][q[2]]++
			t[3][q[3]]++
		}
		for ; i < len(row); i++ {
			t[0][row[i]]++
		}
	}
	target := max(int(math.Ceil(p*float64(r.Dx()*r.Dy()))), 1)
	c := 0
	for v := range 256 {
		c += int(t[0][v]) + int(t[1][v]) + int(t[2][v]) + int(t[3][v])
		if c >= target {
			return v
		}
	}
	return 255
}

// meanHistograms fills hist with the levels of the whole grey image and
// border with those of a band along its edges (from levels when not nil,
// else from the means), and returns the number of border pixels.
func meanHistograms(g *grey, levels []uint8, hist, border *[256]int) int {
	var pix []float32
	if levels != nil {
		histogram8(levels, hist)
	} else {
		pix = g.means()
		histogramStrength(pix, hist)
	}
	level := func(i int) int {
		if levels != nil {
			return int(levels[i])
		}
		return clamp255(pix[i])
	}
	band := max(1, min(g.w, g.h)/16)
	nb := 0
	for y := 0; y < g.h; y++ {
		row := y * g.w
		if y < band || y >= g.h-band {
			for x := range g.w {
				border[level(row+x)]++
			}
			nb += g.w
			continue
		}
		for x := range min(band, g.w) {
			border[level(row+x)]++
		}
		for x := max(g.w-band, band); x < g.w; x++ {
			border[level(row+x)]++
		}
		nb += min(band, g.w) + g.w - max(g.w-band, band)
	}
	return nb
}

// histogram8 adds the values of p to h. Consecutive pixels go to four
// tables: in a run of equal values (the paper) each increment would
// otherwise wait for the previous one to be stored.
func histogram8(p []uint8, h *[256]int) {
	var h1, h2, h3 [256]int32
	i := 0
	for ; i+4 <= len(p); i += 4 {
		q := p[i : i+4 : i+4]
		h[q[0]]++
		h1[q[1]]++
		h2[q[2]]++
		h3[q[3]]++
	}
	for ; i < len(p); i++ {
		h[p[i]]++
	}
	for v := range h {
		h[v] += int(h1[v]) + int(h2[v]) + int(h3[v])
	}
}

// histogramStrength adds clamp255 of each value of s to h. Strengths are
// mostly the paper's 0 but, under uneven light, noise makes about half of
// them small positive values: the bins are found without branches
// (strengthBin) and counted in four tables, so that runs of the same bin
// do not wait on each other (histogram8).
func histogramStrength(s []float32, h *[256]int) {
	var h1, h2, h3 [256]int32
	i := 0
	for ; i+4 <= len(s); i += 4 {
		q := s[i : i+4 : i+4]
		h[strengthBin(q[0])]++
		h1[strengthBin(q[1])]++
		h2[strengthBin(q[2])]++
		h3[strengthBin(q[3])]++
	}
	for ; i < len(s); i++ {
		h[strengthBin(s[i])]++
	}
	for v := range h {
		h[v] += int(h1[v]) + int(h2[v]) + int(h3[v])
	}
}

// strengthBin is clamp255(v) for a finite v: the same rounding, then the
// clamps on integers (conditional moves, not branches). Values from 255
// up (and +Inf) take the one branch, rarely taken.
func strengthBin(v float32) uint8 {
	if v >= 255 {
		return 255
	}
	return uint8(min(max(int64(v+0.5), 0), 255))
}
