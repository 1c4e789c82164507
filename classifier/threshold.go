package classifier

import (
	"slices"
)

// otsu returns the threshold maximising the between-class variance of a
// 256-bin histogram; values above it are the foreground class.
func otsu(hist *[256]int) int {
	var total, sum float64
	for v, k := range hist {
		total += float64(k)
		sum += float64(v * k)
	}
	var wB, sumB, best float64
	t := 0
	for v := 0; v < 255; v++ {
		wB += float64(hist[v])
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * hist[v])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if between := wB * wF * (mB - mF) * (mB - mF); between > best {
			best, t = between, v
		}
	}
	return t
}

// thresholdPortable marks the values of s above t in mask and counts the
// marks of each row and column (s has rows of w values). It lists the
// marks' indices in order in marks (which has room for len(s)+1) and
// returns them. threshold (threshold_simd.go, threshold_portable.go)
// runs it, or compares 16 values at a time where the CPU has AVX-512.
func thresholdPortable(s []float32, t float32, w int, mask []bool, rows, cols []int, marks []int32) []int32 {
	cols = cols[:w]
	n := 0
	for y := range rows {
		sr, mr := s[y*w:y*w+w], mask[y*w:y*w+w]
		c := 0
		for x, v := range sr {
			m := v > t
			mr[x] = m
			b := 0
			if m {
				b = 1
			}
			marks[n] = int32(y*w + x) // kept only if marked: no branch
			n += b
			c += b
			cols[x] += b
		}
		rows[y] = c
	}
	return marks[:n]
}

// removeRules erases ruled lines: thin runs of rows (or columns) that are
// ink across at least 80% of the picture. Ruled paper is common, and a digit
// that crosses the lines would otherwise merge with them into one
// picture-wide mark. Pixels much stronger than the line (twice the median
// of its row) are ink crossing it and stay. A thick band is a stroke of a
// tightly cropped digit (the bar of a 7), not a rule, and stays too. rows
// and cols hold the count of ink pixels of each row and column.
func removeRules(mask []bool, s []float32, w, h int, rows, cols []int) {
	// erase handles n lines of the given length whose ink counts are in
	// counts; at(i, j) is the index of the j-th pixel of line i.
	erase := func(counts []int, length, maxRun int, at func(i, j int) int) {
		vals := make([]float32, 0, length)
		full := func(i int) bool { return 10*counts[i] >= 8*length }
		for i := 0; i < len(counts); {
			if !full(i) {
				i++
				continue
			}
			end := i
			for end < len(counts) && full(end) {
				end++
			}
			if end-i <= maxRun {
				for k := i; k < end; k++ {
					vals = vals[:0]
					for j := range length {
						if mask[at(k, j)] {
							vals = append(vals, s[at(k, j)])
						}
					}
					slices.Sort(vals)
					line := vals[len(vals)/2]
					for j := range length {
						if p := at(k, j); s[p] < 2*line {
							mask[p], s[p] = false, 0
						}
					}
				}
			}
			i = end
		}
	}
	erase(rows, w, max(2, h/50), func(row, x int) int { return row*w + x })
	erase(cols, h, max(2, w/50), func(col, y int) int { return y*w + col })
}
