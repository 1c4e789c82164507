package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/golang/freetype/truetype"
)

// maxTitleRunes is how much of a user-supplied title is kept before "…".
const maxTitleRunes = 40

// cleanTitle makes a user-supplied name safe to draw: control characters and
// characters the font cannot draw (most emoji) are dropped, runs of spaces
// collapse, and the result is cut at maxTitleRunes runes with "…". It works
// on runes, so it never splits a UTF-8 sequence.
func cleanTitle(s string, font *truetype.Font, fallback string) string {
	var b strings.Builder
	lastSpace := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			if !lastSpace {
				b.WriteRune(' ')
				lastSpace = true
			}
			continue
		case !unicode.IsGraphic(r):
			continue
		case font != nil && font.Index(r) == 0:
			continue
		}
		b.WriteRune(r)
		lastSpace = false
	}
	clean := strings.TrimSpace(b.String())
	if clean == "" {
		return fallback
	}
	runes := []rune(clean)
	if len(runes) > maxTitleRunes {
		clean = strings.TrimRightFunc(string(runes[:maxTitleRunes]), unicode.IsSpace) + "…"
	}
	return clean
}

// formatInt writes n with thousands separators: 12,345 (en) or 12.345 (es).
func formatInt(n int, t texts) string {
	sep := ","
	if t.decimalComma {
		sep = "."
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatPercent writes share (0..1) as a percentage with the given decimals.
func formatPercent(share float64, decimals int, t texts) string {
	s := strconv.FormatFloat(share*100, 'f', decimals, 64)
	if t.decimalComma {
		return strings.Replace(s, ".", ",", 1) + " %"
	}
	return s + "%"
}

// compactCount fits a count into a matrix cell: 999, 1.2k, 12k, 1.2M.
func compactCount(n int) string {
	switch {
	case n < 1000:
		return strconv.Itoa(n)
	case n < 10_000:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1000)) + "k"
	case n < 1_000_000:
		return strconv.Itoa(n/1000) + "k"
	case n < 10_000_000:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e6)) + "M"
	default:
		return strconv.Itoa(n/1_000_000) + "M"
	}
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// formatDay writes a date as "2 Mar 2026" / "2 mar 2026" (year optional).
func formatDay(d time.Time, withYear bool, t texts) string {
	s := fmt.Sprintf("%d %s", d.Day(), t.months[d.Month()-1])
	if withYear {
		s += fmt.Sprintf(" %d", d.Year())
	}
	return s
}

// formatDateRange writes the span of the history, UTC.
func formatDateRange(first, last time.Time, t texts) string {
	if first.IsZero() || last.IsZero() {
		return ""
	}
	first, last = first.UTC(), last.UTC()
	if first.Year() == last.Year() && first.YearDay() == last.YearDay() {
		return formatDay(first, true, t)
	}
	return formatDay(first, first.Year() != last.Year(), t) + " – " + formatDay(last, true, t)
}

// countAxis picks a round step so that four steps cover v: the axis then
// reads 0, step, ..., 4*step with whole, round labels.
func countAxis(v float64) (top, step float64) {
	if v < 4 {
		return 4, 1
	}
	need := v / 4
	p := math.Pow(10, math.Floor(math.Log10(need)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * p
		if m == 2.5 && p < 10 {
			continue // 2.5 and 0.25 steps would give fractional labels
		}
		if step >= need {
			break
		}
	}
	return 4 * step, step
}
