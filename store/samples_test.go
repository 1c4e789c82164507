package store

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// inputOf draws a distinct picture for n.
func inputOf(n int) [digitbot.InputSide * digitbot.InputSide]uint8 {
	var px [digitbot.InputSide * digitbot.InputSide]uint8
	for y := 4; y < 24; y++ {
		px[y*digitbot.InputSide+4+n%20] = 200
	}
	px[n%784] = uint8(1 + n%250)
	return px
}

func digitPred(guild, user string, predicted, n int) digitbot.Prediction {
	p := storetest.Pred(guild, user, predicted, 0.9)
	p.Input = inputOf(n)
	return p
}

func collectSamples(t *testing.T, db *DB, f SampleFilter) ([]Sample, SampleReport) {
	t.Helper()
	var out []Sample
	rep, err := db.Samples(bg, f, func(s Sample) error { out = append(out, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

func TestStore_Samples_ConfirmedOnly(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	r := rand.New(rand.NewPCG(1, 2))

	// One digit, right; one digit, corrected; one pending (never evaluated).
	right := storetest.MustSave(t, db, digitPred("10", "20", 3, 1))
	wrong := storetest.MustSave(t, db, digitPred("10", "20", 1, 2))
	storetest.MustSave(t, db, digitPred("10", "20", 5, 3))
	// A number read right but for its 2nd digit; a number cut wrongly.
	num := storetest.MustSave(t, db, storetest.NumberPred("10", "21", []int{2, 0, 2, 6}, r))
	cut := storetest.MustSave(t, db, storetest.NumberPred("10", "21", []int{4, 4}, r))
	clock.Add(time.Hour)
	mustEval(t, db, right.ID, "20", 3)
	mustEval(t, db, wrong.ID, "20", 7)
	mustEvalNumber(t, db, num.ID, "21", "2826")
	mustEvalNumber(t, db, cut.ID, "21", "444")

	got, rep := collectSamples(t, db, SampleFilter{})
	if rep.Evaluations != 4 || rep.SegmentationErrors != 1 || rep.Samples != 6 || len(got) != 6 {
		t.Fatalf("report %+v with %d samples, want 4 evaluations, 1 segmentation error, 6 samples", rep, len(got))
	}
	type key struct{ label, predicted int }
	type picture = [digitbot.InputSide * digitbot.InputSide]uint8
	want := map[key][]picture{
		{3, 3}: {right.Input}, {7, 1}: {wrong.Input},
		{2, 2}: {num.Digits[0].Input, num.Digits[2].Input}, {8, 0}: {num.Digits[1].Input}, {6, 6}: {num.Digits[3].Input},
	}
	seen := map[key]int{}
	for _, s := range got {
		k := key{s.Label, s.Predicted}
		seen[k]++
		if !slices.Contains(want[k], s.Input) {
			t.Errorf("sample %+v: input is not the one the model saw", k)
		}
		if !s.EvaluatedAt.Equal(clock.Now()) {
			t.Errorf("sample %+v evaluated at %v, want %v", k, s.EvaluatedAt, clock.Now())
		}
	}
	// The third digit of 2026 is a 2 read right: two (2,2) samples.
	if seen[key{2, 2}] != 2 || seen[key{7, 1}] != 1 || seen[key{8, 0}] != 1 || seen[key{3, 3}] != 1 || seen[key{6, 6}] != 1 {
		t.Fatalf("samples by (label, predicted) = %v", seen)
	}
}

func mustEval(t *testing.T, db *DB, id, user string, digit int) {
	t.Helper()
	if _, err := db.Evaluate(bg, id, user, digit); err != nil {
		t.Fatal(err)
	}
}

func mustEvalNumber(t *testing.T, db *DB, id, user, number string) {
	t.Helper()
	if _, err := db.EvaluateNumber(bg, id, user, number); err != nil {
		t.Fatal(err)
	}
}

func TestStore_Samples_ForgottenUsersAreGone(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	for i := range 6 {
		user := []string{"31", "32"}[i%2]
		p := storetest.MustSave(t, db, digitPred("10", user, i%10, i))
		mustEval(t, db, p.ID, user, i%10)
	}
	if _, rep := collectSamples(t, db, SampleFilter{}); rep.Samples != 6 {
		t.Fatalf("before /forget: %d samples, want 6", rep.Samples)
	}
	if err := db.ForgetUser(bg, "31"); err != nil {
		t.Fatal(err)
	}
	got, _ := collectSamples(t, db, SampleFilter{})
	if len(got) != 3 {
		t.Fatalf("after /forget: %d samples, want the other user's 3", len(got))
	}
	for _, s := range got {
		if s.Input != inputOf(1) && s.Input != inputOf(3) && s.Input != inputOf(5) {
			t.Fatalf("a forgotten user's picture is still exported: label %d", s.Label)
		}
	}
}

func TestStore_Samples_LearningOffAndFilters(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	start := clock.Now()
	for i := range 9 {
		guild := []string{"41", "42", ""}[i%3] // two servers and DMs
		p := storetest.MustSave(t, db, digitPred(guild, "50", i%10, i))
		mustEval(t, db, p.ID, "50", i%10)
		clock.Add(24 * time.Hour)
	}
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: "42", Learning: digitbot.LearningOff}); err != nil {
		t.Fatal(err)
	}
	got, rep := collectSamples(t, db, SampleFilter{})
	if len(got) != 6 || rep.LearningOff != 3 {
		t.Fatalf("all: %d samples, %d left out for learning off; want 6 and 3", len(got), rep.LearningOff)
	}
	if got, _ := collectSamples(t, db, SampleFilter{GuildID: "42"}); len(got) != 0 {
		t.Fatalf("--guild of a server with learning off: %d samples, want none", len(got))
	}
	got, _ = collectSamples(t, db, SampleFilter{GuildID: "41", Since: start.Add(3 * 24 * time.Hour)})
	if len(got) != 2 {
		t.Fatalf("server 41 since day 3: %d samples, want 2 (days 3 and 6)", len(got))
	}
	// Turned back on, the server's samples are exported again.
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: "42", Learning: digitbot.LearningOn}); err != nil {
		t.Fatal(err)
	}
	if got, _ := collectSamples(t, db, SampleFilter{}); len(got) != 9 {
		t.Fatalf("learning back on: %d samples, want 9", len(got))
	}
	stop := errors.New("stop")
	n := 0
	if _, err := db.Samples(bg, SampleFilter{}, func(Sample) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("an error from fn: err %v after %d calls, want it back after 1", err, n)
	}
}

func TestStore_Samples_ManyChunks(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	const n = exportChunk + 1 // across a chunk boundary
	// One transaction (insertHistory) instead of two fsyncs per sample:
	// what is under test is reading across chunks.
	items := make([]historyItem, n)
	at := time.Now()
	for i := range items {
		items[i] = historyItem{Pred: digitPred("", "60", i%10, i), Evaluated: true, TrueDigit: i % 10, At: at}
	}
	insertHistory(t, db, items)
	got, rep := collectSamples(t, db, SampleFilter{})
	if len(got) != n || rep.Evaluations != n {
		t.Fatalf("%d samples from %d evaluations, want %d", len(got), rep.Evaluations, n)
	}
}
