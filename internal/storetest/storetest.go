// Package storetest is the behavioural contract of digitbot.Store: one
// suite that every backend runs unchanged (the bbolt store from store/'s
// tests, PostgreSQL from postgres/'s). What only one backend has (file
// format, migrations from an old file, compaction, sizes) is tested in
// that backend's package.
package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// Options is what the suite sets when it opens a store.
type Options struct {
	// Now is the store's clock: the suite moves it.
	Now func() time.Time
	// PendingTTL is how long an unevaluated prediction is kept; 0 means
	// the backend's default (7 days).
	PendingTTL time.Duration
	// Logger, when set, receives the store's reports (the janitor's
	// sweeps): the suite waits on them.
	Logger *slog.Logger
}

// Store is what the suite tests: the root interface plus the janitor and
// the durable queue of server purges that both backends offer.
type Store interface {
	digitbot.Store
	Sweep(ctx context.Context) (int, error)
	RunJanitor(ctx context.Context, every time.Duration)
	StoredGuilds(ctx context.Context) ([]string, error)
	QueueGuildPurges(ctx context.Context, guildIDs ...string) error
	QueuedGuildPurges(ctx context.Context) ([]string, error)
	PurgeQueuedGuild(ctx context.Context, guildID string) error
	UnqueueGuildPurge(ctx context.Context, guildID string) error
}

// Backend is how the suite reaches one implementation.
type Backend struct {
	// Open returns a new, empty store, closed (and checked) on cleanup.
	Open func(tb testing.TB, opts Options) Store
	// Find lists every place in the store's live data where needle is
	// kept, in any encoding the backend uses for it; nil when nowhere.
	Find func(tb testing.TB, s Store, needle string) []string
	// Insert, if set, writes a history faster than the public API (one
	// transaction); it must have the public API's effects and return the
	// evaluations recorded. Nil: the suite saves and evaluates each item
	// through the public API, moving the clock.
	Insert func(tb testing.TB, s Store, items []HistoryItem) []digitbot.Evaluation
}

// HistoryItem is one prediction of a generated history, evaluated or not.
type HistoryItem struct {
	Pred      digitbot.Prediction
	Evaluated bool
	TrueDigit int
	// TrueNumber, when set, is the verdict given through EvaluateNumber.
	TrueNumber string
	At         time.Time // evaluation time
}

// Clock is a settable clock for Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to 2026-11-26 12:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TickingClock returns a later time at every call, so that concurrent
// evaluations have distinct times (digitbot.NewStats orders ties by input
// order, the stores by id).
type TickingClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewTickingClock returns a ticking clock whose first reading is one
// second after start.
func NewTickingClock(start time.Time) *TickingClock { return &TickingClock{t: start} }

func (c *TickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// probScale is the unit both backends keep probabilities in (1/10,000):
// values with four decimals come back exactly.
const probScale = 10000

var bg = context.Background()

// suite holds one test's store and clock.
type suite struct {
	b     Backend
	db    Store
	clock *Clock
}

func (b Backend) open(tb testing.TB, ttl time.Duration) *suite {
	tb.Helper()
	clock := NewClock()
	return &suite{b: b, db: b.Open(tb, Options{Now: clock.Now, PendingTTL: ttl}), clock: clock}
}

func (s *suite) find(tb testing.TB, needle string) []string {
	tb.Helper()
	return s.b.Find(tb, s.db, needle)
}

// insert writes a history through Backend.Insert or the public API.
func (s *suite) insert(tb testing.TB, items []HistoryItem) []digitbot.Evaluation {
	tb.Helper()
	if s.b.Insert != nil {
		return s.b.Insert(tb, s.db, items)
	}
	var evals []digitbot.Evaluation
	for i := range items {
		it := &items[i]
		if it.Pred.CreatedAt.IsZero() {
			it.Pred.CreatedAt = it.At
		}
		s.clock.Set(it.Pred.CreatedAt)
		if err := s.db.SavePrediction(bg, &it.Pred); err != nil {
			tb.Fatalf("save %d: %v", i, err)
		}
		if !it.Evaluated {
			continue
		}
		s.clock.Set(it.At)
		var (
			e   digitbot.Evaluation
			err error
		)
		if it.TrueNumber != "" {
			e, err = s.db.EvaluateNumber(bg, it.Pred.ID, it.Pred.UserID, it.TrueNumber)
		} else {
			e, err = s.db.Evaluate(bg, it.Pred.ID, it.Pred.UserID, it.TrueDigit)
		}
		if err != nil {
			tb.Fatalf("evaluate %d: %v", i, err)
		}
		evals = append(evals, e)
	}
	return evals
}

// MustSave saves a prediction through the public API.
func MustSave(tb testing.TB, db digitbot.Store, p digitbot.Prediction) digitbot.Prediction {
	tb.Helper()
	if err := db.SavePrediction(bg, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Pred is a one-digit reading by user in guild ("" = a DM).
func Pred(guild, user string, digit int, conf float64) digitbot.Prediction {
	p := digitbot.Prediction{GuildID: guild, ChannelID: "555", UserID: user, FileName: "digit.png", Digit: digit, Confidence: conf}
	p.Probabilities[digit] = conf
	return p
}

// NumberPred is a number reading of digits, each with its own confidence,
// probabilities, box and input (a diagonal stroke and the digit's value in
// the corner, so that no two inputs are equal).
func NumberPred(guild, user string, digits []int, r *rand.Rand) digitbot.Prediction {
	p := digitbot.Prediction{GuildID: guild, ChannelID: "555", UserID: user, FileName: "number.jpg", Digit: -1, Confidence: 1}
	for i, d := range digits {
		q := 5000 + r.IntN(5000)
		c := float64(q) / probScale
		dr := digitbot.DigitReading{Digit: d, Confidence: c, Box: [4]int{10 + 30*i, 5 + r.IntN(9), 20 + r.IntN(5), 40}}
		dr.Probabilities[d] = c
		dr.Probabilities[(d+1)%10] = float64(probScale-q) / probScale
		for y := 4; y < 24; y++ {
			dr.Input[y*digitbot.InputSide+y] = uint8(128 + r.IntN(128))
		}
		dr.Input[0] = uint8(d + 1)
		p.Digits = append(p.Digits, dr)
		p.Number += strconv.Itoa(d)
		p.Confidence *= c
	}
	p.Confidence = math.Round(p.Confidence*probScale) / probScale
	return p
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := digitbot.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// OneWinner checks a race of verdicts on one prediction: exactly one call
// recorded (a nil error) and every other was refused with
// EALREADYEVALUATED. It returns the winner's index.
func OneWinner(tb testing.TB, round int, errs []error) int {
	tb.Helper()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				tb.Fatalf("round %d: calls %d and %d both recorded", round, winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		tb.Fatalf("round %d: no call recorded: %v", round, errs)
	}
	for i, err := range errs {
		if i != winner {
			wantCode(tb, err, digitbot.EALREADYEVALUATED)
		}
	}
	return winner
}

var (
	testUsers  = []string{"user-alpha-81723", "user-bravo-27361", "user-charlie-9917", "user-delta-44120"}
	testGuilds = []string{"guild-north-3391", "guild-south-7702", ""} // "" = DMs
)

// RandomHistory makes n predictions by random users in random servers (or
// DMs), about 80% of them evaluated, with distinct evaluation times that
// are not in insertion order and span several weeks. A third are numbers
// of 2 to 12 digits, whose verdicts are right, wrong in some digits, or of
// another length (segmentation errors).
func RandomHistory(seed uint64, n int) []HistoryItem {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	perm := r.Perm(n)
	items := make([]HistoryItem, n)
	for i := range items {
		at := base.Add(time.Duration(perm[i])*97*time.Minute + time.Duration(r.IntN(60))*time.Second)
		p := Pred(testGuilds[r.IntN(len(testGuilds))], testUsers[r.IntN(len(testUsers))], r.IntN(10), r.Float64())
		p.CreatedAt = at.Add(-time.Duration(r.IntN(50)) * time.Second)
		items[i] = HistoryItem{Pred: p, Evaluated: r.IntN(5) > 0, TrueDigit: r.IntN(10), At: at}
		if r.IntN(2) == 0 {
			items[i].TrueDigit = p.Digit
		}
		if r.IntN(3) == 0 {
			digits := make([]int, 2+r.IntN(digitbot.MaxNumberDigits-1))
			for j := range digits {
				digits[j] = r.IntN(10)
			}
			np := NumberPred(p.GuildID, p.UserID, digits, r)
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

// AllScopes lists every scope of every kind in the test population.
func AllScopes() []digitbot.Scope {
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

func InScope(s digitbot.Scope, e digitbot.Evaluation) bool {
	return (s.GuildID == "" || s.GuildID == e.GuildID) && (s.UserID == "" || s.UserID == e.UserID)
}

func FilterEvals(s digitbot.Scope, evals []digitbot.Evaluation) []digitbot.Evaluation {
	var out []digitbot.Evaluation
	for _, e := range evals {
		if InScope(s, e) {
			out = append(out, e)
		}
	}
	return out
}

func FilterOut(evals []digitbot.Evaluation, drop func(digitbot.Evaluation) bool) []digitbot.Evaluation {
	var out []digitbot.Evaluation
	for _, e := range evals {
		if !drop(e) {
			out = append(out, e)
		}
	}
	return out
}

func closeEnough(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// DiffStats describes how got differs from want; sums of confidences may
// differ by rounding (the stores sum in fixed point), nothing else may.
func DiffStats(got, want digitbot.Stats) string {
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

// DiffEvaluation describes how got differs from want (times compared as
// instants, a number verdict by value).
func DiffEvaluation(got, want digitbot.Evaluation) string {
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

// diffPrediction describes how got differs from want.
func diffPrediction(got, want digitbot.Prediction) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		return fmt.Sprintf("created %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	if len(got.Digits) != len(want.Digits) {
		return fmt.Sprintf("%d digit readings, want %d", len(got.Digits), len(want.Digits))
	}
	for i := range got.Digits {
		if !reflect.DeepEqual(got.Digits[i], want.Digits[i]) {
			g, w := got.Digits[i], want.Digits[i]
			return fmt.Sprintf("digit reading %d = %d %v %v %v (input equal: %v), want %d %v %v %v",
				i, g.Digit, g.Confidence, g.Probabilities, g.Box, g.Input == w.Input, w.Digit, w.Confidence, w.Probabilities, w.Box)
		}
	}
	g, w := got, want
	g.Digits, w.Digits = nil, nil
	return fmt.Sprintf("%+v\nwant %+v", g, w)
}

// checkAgainstBruteForce compares Stats and History of every scope with
// digitbot.NewStats and a sort of the evaluations.
func checkAgainstBruteForce(t *testing.T, db digitbot.Store, evals []digitbot.Evaluation) {
	t.Helper()
	CheckScopes(t, db, evals, AllScopes())
}

// CheckScopes compares Stats and History of the scopes with
// digitbot.NewStats and a sort of the evaluations.
func CheckScopes(t testing.TB, db digitbot.Store, evals []digitbot.Evaluation, scopes []digitbot.Scope) {
	t.Helper()
	for _, scope := range scopes {
		mine := FilterEvals(scope, evals)
		got, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := DiffStats(got, digitbot.NewStats(scope, mine)); d != "" {
			t.Fatalf("Stats(%+v): %s", scope, d)
		}
		sortNewestFirst(mine)
		hist, err := db.History(bg, scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(mine) {
			t.Fatalf("History(%+v) has %d, want %d", scope, len(hist), len(mine))
		}
		for i := range hist {
			if d := DiffEvaluation(hist[i], mine[i]); d != "" {
				t.Fatalf("History(%+v)[%d]: %s", scope, i, d)
			}
		}
		if limited, _ := db.History(bg, scope, 3); len(mine) >= 3 && (len(limited) != 3 || DiffEvaluation(limited[0], mine[0]) != "") {
			t.Fatalf("History(%+v, 3) = %d items", scope, len(limited))
		}
	}
}

func sortNewestFirst(evals []digitbot.Evaluation) {
	sort.Slice(evals, func(i, j int) bool { return evals[i].EvaluatedAt.After(evals[j].EvaluatedAt) })
}

// year2026 is a number reading of "2026" by user 222 in server 111.
func year2026() digitbot.Prediction {
	return NumberPred("111", "222", []int{2, 0, 2, 6}, rand.New(rand.NewPCG(1, 2)))
}

// exportChunkRows is more rows than either backend reads per chunk
// (1,000), so an export of twice as many crosses chunk boundaries.
const exportChunkRows = 1000
