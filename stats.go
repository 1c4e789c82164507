package digitbot

import (
	"sort"
	"time"
)

// NewStats computes the Stats of a scope from its evaluations by brute
// force. The store keeps the same numbers incrementally; this is the
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
		if e.TrueDigit < 0 || e.TrueDigit > 9 || e.Predicted < 0 || e.Predicted > 9 {
			continue
		}
		s.Total++
		s.ConfidenceSum += e.Confidence
		s.Digits[e.TrueDigit].Count++
		s.Confusion[e.TrueDigit][e.Predicted]++
		if e.Correct() {
			s.Hits++
			s.Digits[e.TrueDigit].Hits++
		}
		t := e.EvaluatedAt.UTC()
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
		d.ConfidenceSum += e.Confidence
		if e.Correct() {
			d.Hits++
		}
		s.Recent = append(s.Recent, Point{Time: t, Confidence: e.Confidence, Correct: e.Correct()})
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
