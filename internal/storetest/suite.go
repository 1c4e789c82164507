package storetest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// Run runs the contract suite against a backend, one subtest per promise.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"SavePrediction_RoundTrip", testSavePredictionRoundTrip},
		{"SavePrediction_UniqueIDs", testSavePredictionUniqueIDs},
		{"SavePrediction_Invalid", testSavePredictionInvalid},
		{"Evaluate_Records", testEvaluateRecords},
		{"Evaluate_Forbidden", testEvaluateForbidden},
		{"Evaluate_Duplicate", testEvaluateDuplicate},
		{"Evaluate_ConcurrentDuplicate", testEvaluateConcurrentDuplicate},
		{"Evaluate_NotFound", testEvaluateNotFound},
		{"Evaluate_InvalidDigit", testEvaluateInvalidDigit},
		{"Evaluate_Expired", testEvaluateExpired},
		{"Sweep_RemovesOnlyExpiredPending", testSweepRemovesOnlyExpiredPending},
		{"RunJanitor_Sweeps", testRunJanitorSweeps},
		{"SavePrediction_NumberRoundTrip", testSavePredictionNumberRoundTrip},
		{"SavePrediction_OneDigitReadingRoundTrip", testSavePredictionOneDigitReadingRoundTrip},
		{"SavePrediction_InvalidNumber", testSavePredictionInvalidNumber},
		{"EvaluateNumber_Records", testEvaluateNumberRecords},
		{"EvaluateNumber_SegmentationError", testEvaluateNumberSegmentationError},
		{"EvaluateNumber_Invalid", testEvaluateNumberInvalid},
		{"EvaluateNumber_Duplicate", testEvaluateNumberDuplicate},
		{"EvaluateNumber_ConcurrentDuplicate", testEvaluateNumberConcurrentDuplicate},
		{"EvaluateNumber_OneDigitReading", testEvaluateNumberOneDigitReading},
		{"ExportCSV_NumberColumns", testExportCSVNumberColumns},
		{"Stats_ConcurrentMixedWriters", testStatsConcurrentMixedWriters},
		{"Stats_MatchesBruteForce", testStatsMatchesBruteForce},
		{"Stats_ThroughPublicAPI", testStatsThroughPublicAPI},
		{"Stats_EmptyScope", testStatsEmptyScope},
		{"ExportCSV_OldestFirstAndFormulaSafe", testExportCSVOldestFirstAndFormulaSafe},
		{"ExportCSV_ManyChunks", testExportCSVManyChunks},
		{"GuildConfig_DefaultsAndValidation", testGuildConfigDefaultsAndValidation},
		{"ForgetUser_LeavesNoTrace", testForgetUserLeavesNoTrace},
		{"PurgeGuild_LeavesNoTrace", testPurgeGuildLeavesNoTrace},
		{"ForgetUser_RemovesPendingPredictions", testForgetUserRemovesPendingPredictions},
		{"GuildPurgeQueue", testGuildPurgeQueue},
	}
	// Each test opens its own store: they run in parallel.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

func testSavePredictionRoundTrip(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := Pred("111", "222", 7, 0.93)
	p.MessageID, p.AttachmentID, p.ModelSHA256 = "333", "444", "abc"
	for i := range p.Input {
		if i%5 == 0 {
			p.Input[i] = uint8(i)
		}
	}
	p.Input[len(p.Input)-1] = 255
	saved := MustSave(t, db, p)
	// Drawn ids are 16 characters of Crockford's base32 in lower case.
	if len(saved.ID) != 16 || strings.Trim(saved.ID, "0123456789abcdefghjkmnpqrstvwxyz") != "" {
		t.Fatalf("id %q is not 16 base32 characters", saved.ID)
	}
	if saved.CreatedAt.IsZero() {
		t.Fatal("CreatedAt not set")
	}
	got, err := db.Prediction(bg, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Input != p.Input || got.Probabilities != p.Probabilities || got.MessageID != "333" ||
		got.AttachmentID != "444" || got.Digit != 7 || !got.CreatedAt.Equal(saved.CreatedAt) {
		t.Fatalf("round trip changed the prediction: %+v", got)
	}
	if len("eval:"+saved.ID+":9") > 100 {
		t.Fatal("id too long for a custom_id")
	}
}

func testSavePredictionUniqueIDs(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	ids := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				p := MustSave(t, db, Pred("", "u", 1, 0.5))
				mu.Lock()
				ids[p.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != 80 {
		t.Fatalf("%d distinct ids for 80 predictions", len(ids))
	}
}

func testSavePredictionInvalid(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	cases := map[string]digitbot.Prediction{
		"no user":     {Digit: 1, Confidence: 0.5},
		"digit":       {UserID: "u", Digit: 10, Confidence: 0.5},
		"confidence":  {UserID: "u", Digit: 1, Confidence: 1.5},
		"bad id":      {ID: "a:b", UserID: "u", Digit: 1, Confidence: 0.5},
		"probability": {UserID: "u", Digit: 1, Confidence: 0.5, Probabilities: [10]float64{-1}},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			wantCode(t, db.SavePrediction(bg, &p), digitbot.EINVALID)
		})
	}
	p := Pred("", "u", 1, 0.5)
	p.ID = "fixed-id"
	MustSave(t, db, p)
	wantCode(t, db.SavePrediction(bg, &p), digitbot.ECONFLICT)
}

func testEvaluateRecords(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	p := MustSave(t, db, Pred("111", "222", 3, 0.8))
	clock.Add(time.Minute)
	e, err := db.Evaluate(bg, p.ID, "222", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := digitbot.Evaluation{PredictionID: p.ID, GuildID: "111", ChannelID: "555", UserID: "222", FileName: "digit.png",
		Predicted: 3, Confidence: 0.8, TrueDigit: 5, PredictedAt: p.CreatedAt, EvaluatedAt: clock.Now()}
	if e != want {
		t.Fatalf("evaluation = %+v\nwant %+v", e, want)
	}
	got, err := db.Evaluation(bg, p.ID)
	if err != nil || got != want {
		t.Fatalf("stored evaluation = %+v, %v", got, err)
	}
	// An evaluated prediction does not expire.
	clock.Add(30 * 24 * time.Hour)
	if _, err := db.Prediction(bg, p.ID); err != nil {
		t.Fatalf("evaluated prediction expired: %v", err)
	}
	if n, err := db.Sweep(bg); err != nil || n != 0 {
		t.Fatalf("sweep removed %d (%v), want 0", n, err)
	}
	if _, err := db.Evaluation(bg, p.ID); err != nil {
		t.Fatal(err)
	}
}

func testEvaluateForbidden(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := MustSave(t, db, Pred("111", "owner", 3, 0.8))
	e, err := db.Evaluate(bg, p.ID, "someone-else", 3)
	wantCode(t, err, digitbot.EFORBIDDEN)
	if e != (digitbot.Evaluation{}) {
		t.Fatalf("refusal returned %+v", e)
	}
	_, err = db.Evaluation(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Total != 0 {
		t.Fatalf("refused evaluation counted: %+v", s)
	}
	if len(h.find(t, "someone-else")) != 0 {
		t.Fatal("the refused user's id was written")
	}
	// The owner can still evaluate.
	if _, err := db.Evaluate(bg, p.ID, "owner", 3); err != nil {
		t.Fatal(err)
	}
}

func testEvaluateDuplicate(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	p := MustSave(t, db, Pred("111", "222", 3, 0.8))
	first, err := db.Evaluate(bg, p.ID, "222", 3)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	again, err := db.Evaluate(bg, p.ID, "222", 8)
	wantCode(t, err, digitbot.EALREADYEVALUATED)
	if again != first {
		t.Fatalf("second evaluation returned %+v, want the first %+v", again, first)
	}
	if got, _ := db.Evaluation(bg, p.ID); got != first {
		t.Fatalf("record changed to %+v", got)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Total != 1 || s.Digits[3].Count != 1 {
		t.Fatalf("stats after duplicate: %+v", s)
	}
}

func testEvaluateConcurrentDuplicate(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	for round := range 5 {
		p := MustSave(t, db, Pred("111", "222", 3, 0.8))
		const n = 16
		results := make([]digitbot.Evaluation, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = db.Evaluate(bg, p.ID, "222", i%10)
			}()
		}
		close(start)
		wg.Wait()
		winner := OneWinner(t, round, errs)
		for i := range results {
			if i != winner && results[i] != results[winner] {
				t.Fatalf("round %d: call %d got %+v, not the winner's %+v", round, i, results[i], results[winner])
			}
		}
		s, _ := db.Stats(bg, digitbot.Scope{GuildID: "111", UserID: "222"})
		if s.Total != round+1 {
			t.Fatalf("round %d: %d evaluations counted", round, s.Total)
		}
	}
}

func testEvaluateNotFound(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	_, err := db.Evaluate(bg, "nope", "222", 3)
	wantCode(t, err, digitbot.ENOTFOUND)
	_, err = db.Prediction(bg, "nope")
	wantCode(t, err, digitbot.ENOTFOUND)
	_, err = db.Evaluation(bg, "nope")
	wantCode(t, err, digitbot.ENOTFOUND)
}

func testEvaluateInvalidDigit(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := MustSave(t, db, Pred("111", "222", 3, 0.8))
	for _, d := range []int{-1, 10, 99} {
		_, err := db.Evaluate(bg, p.ID, "222", d)
		wantCode(t, err, digitbot.EINVALID)
	}
	_, err := db.Evaluation(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
}

func testEvaluateExpired(t *testing.T, b Backend) {
	h := b.open(t, time.Hour)
	db, clock := h.db, h.clock
	p := MustSave(t, db, Pred("111", "222", 3, 0.8))
	clock.Add(2 * time.Hour)
	_, err := db.Evaluate(bg, p.ID, "222", 3)
	wantCode(t, err, digitbot.ENOTFOUND)
	_, err = db.Prediction(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
}

func testSweepRemovesOnlyExpiredPending(t *testing.T, b Backend) {
	h := b.open(t, 24*time.Hour)
	db, clock := h.db, h.clock
	oldPending := MustSave(t, db, Pred("111", "old-pending-user", 1, 0.5))
	oldEvaluated := MustSave(t, db, Pred("111", "222", 2, 0.5))
	if _, err := db.Evaluate(bg, oldEvaluated.ID, "222", 2); err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * time.Hour)
	young := MustSave(t, db, Pred("111", "222", 3, 0.5))
	clock.Add(5 * time.Hour) // oldPending is 25h old, young 5h

	n, err := db.Sweep(bg)
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want 1", n, err)
	}
	if _, err := db.Prediction(bg, oldPending.ID); digitbot.ErrorCode(err) != digitbot.ENOTFOUND {
		t.Fatalf("expired prediction still there: %v", err)
	}
	if hits := h.find(t, "old-pending-user"); len(hits) != 0 {
		t.Fatalf("swept user's id remains: %v", hits)
	}
	for _, id := range []string{oldEvaluated.ID, young.ID} {
		if _, err := db.Prediction(bg, id); err != nil {
			t.Fatalf("sweep removed %s: %v", id, err)
		}
	}
	if n, _ := db.Sweep(bg); n != 0 {
		t.Fatalf("second sweep removed %d", n)
	}
}

func testRunJanitorSweeps(t *testing.T, b Backend) {
	// The janitor reports each sweep that removed something: wait for it.
	swept := make(chan struct{}, 1)
	report := writerFunc(func(line []byte) {
		if strings.Contains(string(line), "swept expired predictions") {
			select {
			case swept <- struct{}{}:
			default:
			}
		}
	})
	clock := NewClock()
	h := &suite{b: b, clock: clock, db: b.Open(t, Options{Now: clock.Now, PendingTTL: time.Hour, Logger: slog.New(slog.NewTextHandler(report, nil))})}
	db := h.db
	p := MustSave(t, db, Pred("", "janitor-user-5150", 1, 0.5))
	clock.Add(2 * time.Hour)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { db.RunJanitor(ctx, 5*time.Millisecond); close(done) }()
	select {
	case <-swept:
	case <-time.After(5 * time.Second):
		t.Fatal("janitor did not sweep within 5s")
	}
	cancel()
	<-done
	// Prediction already hides an expired one: look at what is kept.
	if found := h.find(t, p.UserID); len(found) != 0 {
		t.Fatalf("after the sweep the expired prediction is still kept: %v", found)
	}
}

// writerFunc is an io.Writer calling f with each write (a log line).
type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) {
	f(p)
	return len(p), nil
}
