package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

var (
	testUsers  = []string{"user-alpha-81723", "user-bravo-27361", "user-charlie-9917", "user-delta-44120"}
	testGuilds = []string{"guild-north-3391", "guild-south-7702", ""} // "" = DMs
)

// randomHistory makes n predictions by random users in random servers (or
// DMs), about 80% of them evaluated, with distinct evaluation times that
// are not in insertion order and span several weeks. A third are numbers
// of 2 to 12 digits, whose verdicts are right, wrong in some digits, or of
// another length (segmentation errors).
func randomHistory(seed uint64, n int) []historyItem {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	perm := r.Perm(n)
	items := make([]historyItem, n)
	for i := range items {
		at := base.Add(time.Duration(perm[i])*97*time.Minute + time.Duration(r.IntN(60))*time.Second)
		p := pred(testGuilds[r.IntN(len(testGuilds))], testUsers[r.IntN(len(testUsers))], r.IntN(10), r.Float64())
		p.CreatedAt = at.Add(-time.Duration(r.IntN(50)) * time.Second)
		items[i] = historyItem{Pred: p, Evaluated: r.IntN(5) > 0, TrueDigit: r.IntN(10), At: at}
		if r.IntN(2) == 0 {
			items[i].TrueDigit = p.Digit
		}
		if r.IntN(3) == 0 {
			digits := make([]int, 2+r.IntN(digitbot.MaxNumberDigits-1))
			for j := range digits {
				digits[j] = r.IntN(10)
			}
			np := numberPred(p.GuildID, p.UserID, digits, r)
			np.CreatedAt = p.CreatedAt
			items[i].Pred, items[i].TrueDigit = np, -1
			truth := []byte(np.Number)
			switch r.IntN(4) {
			case 0: // right
			case 1: // one digit wrong
				truth[r.IntN(len(truth))] = byte('0' + r.IntN(10))
			default: // another length: cut wrongly
				truth = truth[:0]
				for range 1 + r.IntN(digitbot.MaxNumberDigits) {
					truth = append(truth, byte('0'+r.IntN(10)))
				}
			}
			items[i].TrueNumber = string(truth)
		}
	}
	return items
}

// allScopes lists every scope of every kind in the test population.
func allScopes() []digitbot.Scope {
	scopes := []digitbot.Scope{{}}
	for _, g := range testGuilds {
		if g != "" {
			scopes = append(scopes, digitbot.Scope{GuildID: g})
		}
	}
	for _, u := range testUsers {
		scopes = append(scopes, digitbot.Scope{UserID: u})
		for _, g := range testGuilds {
			if g != "" {
				scopes = append(scopes, digitbot.Scope{GuildID: g, UserID: u})
			}
		}
	}
	return scopes
}

func inScope(s digitbot.Scope, e digitbot.Evaluation) bool {
	return (s.GuildID == "" || s.GuildID == e.GuildID) && (s.UserID == "" || s.UserID == e.UserID)
}

func filterEvals(s digitbot.Scope, evals []digitbot.Evaluation) []digitbot.Evaluation {
	var out []digitbot.Evaluation
	for _, e := range evals {
		if inScope(s, e) {
			out = append(out, e)
		}
	}
	return out
}

func closeEnough(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// diffStats describes how got differs from want; sums of confidences may
// differ by rounding (the store sums in fixed point), nothing else may.
func diffStats(got, want digitbot.Stats) string {
	switch {
	case got.Scope != want.Scope:
		return fmt.Sprintf("scope %+v, want %+v", got.Scope, want.Scope)
	case got.Total != want.Total || got.Hits != want.Hits:
		return fmt.Sprintf("total/hits %d/%d, want %d/%d", got.Total, got.Hits, want.Total, want.Hits)
	case !closeEnough(got.ConfidenceSum, want.ConfidenceSum):
		return fmt.Sprintf("confidence sum %v, want %v", got.ConfidenceSum, want.ConfidenceSum)
	case got.Digits != want.Digits:
		return fmt.Sprintf("digits %v, want %v", got.Digits, want.Digits)
	case got.Confusion != want.Confusion:
		return fmt.Sprintf("confusion %v, want %v", got.Confusion, want.Confusion)
	case !got.FirstAt.Equal(want.FirstAt) || !got.LastAt.Equal(want.LastAt):
		return fmt.Sprintf("first/last %v/%v, want %v/%v", got.FirstAt, got.LastAt, want.FirstAt, want.LastAt)
	case len(got.Recent) != len(want.Recent):
		return fmt.Sprintf("%d recent points, want %d", len(got.Recent), len(want.Recent))
	case len(got.Daily) != len(want.Daily):
		return fmt.Sprintf("%d days, want %d", len(got.Daily), len(want.Daily))
	case got.Numbers != want.Numbers:
		return fmt.Sprintf("numbers %+v, want %+v", got.Numbers, want.Numbers)
	}
	for i := range got.Recent {
		g, w := got.Recent[i], want.Recent[i]
		if !g.Time.Equal(w.Time) || g.Confidence != w.Confidence || g.Correct != w.Correct {
			return fmt.Sprintf("recent[%d] = %+v, want %+v", i, g, w)
		}
	}
	for i := range got.Daily {
		g, w := got.Daily[i], want.Daily[i]
		if !g.Date.Equal(w.Date) || g.Count != w.Count || g.Hits != w.Hits || !closeEnough(g.ConfidenceSum, w.ConfidenceSum) {
			return fmt.Sprintf("daily[%d] = %+v, want %+v", i, g, w)
		}
	}
	return ""
}

// checkAgainstBruteForce compares Stats and History of every scope with
// digitbot.NewStats and a sort of the evaluations.
func checkAgainstBruteForce(t *testing.T, db *DB, evals []digitbot.Evaluation) {
	t.Helper()
	checkScopesAgainstBruteForce(t, db, evals, allScopes())
}

func checkScopesAgainstBruteForce(t *testing.T, db *DB, evals []digitbot.Evaluation, scopes []digitbot.Scope) {
	t.Helper()
	for _, scope := range scopes {
		mine := filterEvals(scope, evals)
		got, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffStats(got, digitbot.NewStats(scope, mine)); d != "" {
			t.Fatalf("Stats(%+v): %s", scope, d)
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].EvaluatedAt.After(mine[j].EvaluatedAt) })
		hist, err := db.History(bg, scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(mine) {
			t.Fatalf("History(%+v) has %d, want %d", scope, len(hist), len(mine))
		}
		for i := range hist {
			if d := diffEvaluation(hist[i], mine[i]); d != "" {
				t.Fatalf("History(%+v)[%d]: %s", scope, i, d)
			}
		}
		if limited, _ := db.History(bg, scope, 3); len(mine) >= 3 && (len(limited) != 3 || diffEvaluation(limited[0], mine[0]) != "") {
			t.Fatalf("History(%+v, 3) = %d items", scope, len(limited))
		}
	}
}

func filterOut(evals []digitbot.Evaluation, drop func(digitbot.Evaluation) bool) []digitbot.Evaluation {
	var out []digitbot.Evaluation
	for _, e := range evals {
		if !drop(e) {
			out = append(out, e)
		}
	}
	return out
}

// diffEvaluation describes how got differs from want (times compared as
// instants, a number verdict by value).
func diffEvaluation(got, want digitbot.Evaluation) string {
	g, w := got, want
	if !g.PredictedAt.Equal(w.PredictedAt) || !g.EvaluatedAt.Equal(w.EvaluatedAt) {
		return fmt.Sprintf("times %v/%v, want %v/%v", g.PredictedAt, g.EvaluatedAt, w.PredictedAt, w.EvaluatedAt)
	}
	g.PredictedAt, g.EvaluatedAt, w.PredictedAt, w.EvaluatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		gn, wn := "<nil>", "<nil>"
		if g.Number != nil {
			gn = fmt.Sprintf("%+v", *g.Number)
		}
		if w.Number != nil {
			wn = fmt.Sprintf("%+v", *w.Number)
		}
		return fmt.Sprintf("%+v (number %s)\nwant %+v (number %s)", g, gn, w, wn)
	}
	return ""
}
