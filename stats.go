package digitbot

import (
	"sort"
	"time"
)

// NewStats computes the Stats of a scope from its evaluations by brute
// force. The per-digit figures (Total, Hits, Digits, Confusion, Recent,
// Daily) count digit verdicts (Evaluation.DigitVerdicts); Numbers counts
// number readings. The store keeps the same numbers incrementally; this is the
// reference they are tested against, and what the demo history uses.
func NewStats(scope Scope, evals []Evaluation) Stats {
	s := Stats{Scope: scope}
	sorted := make([]Evaluation, len(evals))
	copy(sorted, evals)
	sort.SliceStable(sorted, func(i, j int) bool {
		return sorted[i].EvaluatedAt.Before(sorted[j].EvaluatedAt)
	})
	days := map[time.Time]*Day{}
	for _, e := range sorted {
		t := e.EvaluatedAt.UTC()
		if n := e.Number; n != nil {
			s.Numbers.Count++
			if e.Correct() {
				s.Numbers.Hits++
			}
			if e.SegmentationError() {
				s.Numbers.SegmentationErrors++
			}
			if l := len(n.True); l > 0 && l <= MaxNumberDigits {
				s.Numbers.ByLength[l].Count++
				if e.Correct() {
					s.Numbers.ByLength[l].Hits++
				}
			}
		}
		// Every digit counts once in the per-digit figures: a one-digit
		// reading, or each position of a number read at the right length.
		for _, v := range e.DigitVerdicts() {
			right := v.Predicted == v.True
			s.Total++
			s.ConfidenceSum += v.Confidence
			s.Digits[v.True].Count++
			s.Confusion[v.True][v.Predicted]++
			if right {
				s.Hits++
				s.Digits[v.True].Hits++
			}
			if s.FirstAt.IsZero() {
				s.FirstAt = t
			}
			s.LastAt = t
			date := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			d, ok := days[date]
			if !ok {
				d = &Day{Date: date}
				days[date] = d
			}
			d.Count++
			d.ConfidenceSum += v.Confidence
			if right {
				d.Hits++
			}
			s.Recent = append(s.Recent, Point{Time: t, Confidence: v.Confidence, Correct: right})
		}
	}
	if len(s.Recent) > StatsRecentPoints {
		s.Recent = append([]Point(nil), s.Recent[len(s.Recent)-StatsRecentPoints:]...)
	}
	for _, d := range days {
		s.Daily = append(s.Daily, *d)
	}
	sort.Slice(s.Daily, func(i, j int) bool { return s.Daily[i].Date.Before(s.Daily[j].Date) })
	return s
}
