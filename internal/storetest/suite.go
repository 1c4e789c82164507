package storetest

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
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
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: calls %d and %d both recorded", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no call recorded: %v", round, errs)
		}
		for i, err := range errs {
			if i == winner {
				continue
			}
			wantCode(t, err, digitbot.EALREADYEVALUATED)
			if results[i] != results[winner] {
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
	h := b.open(t, time.Hour)
	db, clock := h.db, h.clock
	p := MustSave(t, db, Pred("", "janitor-user-5150", 1, 0.5))
	clock.Add(2 * time.Hour)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { db.RunJanitor(ctx, 5*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Prediction already hides an expired one: look at what is kept.
		if len(h.find(t, p.UserID)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("janitor did not sweep within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func testSavePredictionNumberRoundTrip(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := year2026()
	p.MessageID, p.AttachmentID, p.ModelSHA256 = "1300000000000000000", "att-1", strings.Repeat("ab", 32)
	saved := MustSave(t, db, p)
	got, err := db.Prediction(bg, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	// numberPred's values have four decimals: they come back exactly.
	p.ID, p.CreatedAt = saved.ID, saved.CreatedAt
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip changed the number reading: %s", diffPrediction(got, p))
	}
	if !got.IsNumber() || got.Number != "2026" || len(got.Digits) != 4 || got.Digits[3].Box != p.Digits[3].Box || got.Digits[1].Input != p.Digits[1].Input {
		t.Fatalf("digits lost: %+v", got.Digits)
	}
}

// A one-digit reading with its Digits entry (as the classifier fills it)
// keeps both; a legacy one without Digits stays without.
func testSavePredictionOneDigitReadingRoundTrip(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := Pred("111", "222", 7, 0.8125)
	p.Probabilities[1] = 0.1875
	p.Input[300], p.Input[301] = 200, 255
	p.Number = "7"
	p.Digits = []digitbot.DigitReading{{Digit: 7, Confidence: p.Confidence, Probabilities: p.Probabilities, Input: p.Input, Box: [4]int{3, 4, 50, 61}}}
	saved := MustSave(t, db, p)
	got, err := db.Prediction(bg, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.ID, p.CreatedAt = saved.ID, saved.CreatedAt
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip changed the reading: %s", diffPrediction(got, p))
	}
	// The same reading whose one entry differs from the top level (a
	// classifier may do that) is kept as given, not mirrored.
	p.ID = ""
	p.Digits[0].Confidence = 0.5
	saved = MustSave(t, db, p)
	got, _ = db.Prediction(bg, saved.ID)
	if got.Digits[0].Confidence != 0.5 || got.Confidence != 0.8125 {
		t.Fatalf("differing entry lost: %v vs %v", got.Digits[0].Confidence, got.Confidence)
	}

	legacy := MustSave(t, db, Pred("", "222", 3, 0.5))
	got, _ = db.Prediction(bg, legacy.ID)
	if got.Digits != nil || got.Number != "" || got.Digit != 3 {
		t.Fatalf("legacy reading gained fields: %+v", got)
	}
}

func testSavePredictionInvalidNumber(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	tooLong := make([]int, digitbot.MaxNumberDigits+1)
	cases := map[string]func(p *digitbot.Prediction){
		"digit not -1":       func(p *digitbot.Prediction) { p.Digit = 2 },
		"number mismatch":    func(p *digitbot.Prediction) { p.Number = "2027" },
		"digit out of range": func(p *digitbot.Prediction) { p.Digits[1].Digit = 10 },
		"confidence":         func(p *digitbot.Prediction) { p.Digits[2].Confidence = 1.5 },
		"probability":        func(p *digitbot.Prediction) { p.Digits[0].Probabilities[4] = -0.1 },
		"too many digits": func(p *digitbot.Prediction) {
			*p = NumberPred("111", "222", tooLong, rand.New(rand.NewPCG(3, 4)))
		},
		"one digit, other entry": func(p *digitbot.Prediction) {
			*p = Pred("111", "222", 4, 0.9)
			p.Digits = []digitbot.DigitReading{{Digit: 5}}
		},
		"one digit, other number": func(p *digitbot.Prediction) {
			*p = Pred("111", "222", 4, 0.9)
			p.Number = "5"
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			p := year2026()
			mutate(&p)
			wantCode(t, db.SavePrediction(bg, &p), digitbot.EINVALID)
		})
	}
	if s, _ := db.Stats(bg, digitbot.Scope{UserID: "222"}); s.Total != 0 || h.find(t, "number.jpg") != nil {
		t.Fatal("a refused prediction was written")
	}
}

func testEvaluateNumberRecords(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	p := MustSave(t, db, year2026())
	clock.Add(time.Minute)
	e, err := db.EvaluateNumber(bg, p.ID, "222", "2028")
	if err != nil {
		t.Fatal(err)
	}
	want := digitbot.Evaluation{PredictionID: p.ID, GuildID: "111", ChannelID: "555", UserID: "222", FileName: "number.jpg",
		Predicted: -1, Confidence: p.Confidence, TrueDigit: -1, PredictedAt: p.CreatedAt, EvaluatedAt: clock.Now(),
		Number: &digitbot.NumberVerdict{Predicted: "2026", True: "2028",
			Confidences: []float64{p.Digits[0].Confidence, p.Digits[1].Confidence, p.Digits[2].Confidence, p.Digits[3].Confidence}}}
	if d := DiffEvaluation(e, want); d != "" {
		t.Fatal(d)
	}
	if got, err := db.Evaluation(bg, p.ID); err != nil || DiffEvaluation(got, want) != "" {
		t.Fatalf("stored evaluation = %+v, %v", got, err)
	}
	for _, scope := range []digitbot.Scope{{}, {GuildID: "111"}, {UserID: "222"}, {GuildID: "111", UserID: "222"}} {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		// Four digit verdicts, three right; one number, wrong.
		if s.Total != 4 || s.Hits != 3 || s.Confusion[8][6] != 1 || s.Digits[2] != (digitbot.DigitStats{Count: 2, Hits: 2}) {
			t.Fatalf("Stats(%+v) digits: %+v", scope, s)
		}
		if s.Numbers.Count != 1 || s.Numbers.Hits != 0 || s.Numbers.SegmentationErrors != 0 || s.Numbers.ByLength[4] != (digitbot.DigitStats{Count: 1}) {
			t.Fatalf("Stats(%+v).Numbers = %+v", scope, s.Numbers)
		}
		if d := DiffStats(s, digitbot.NewStats(scope, []digitbot.Evaluation{want})); d != "" {
			t.Fatalf("Stats(%+v): %s", scope, d)
		}
	}
}

func testEvaluateNumberSegmentationError(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	p := MustSave(t, db, year2026())
	e, err := db.EvaluateNumber(bg, p.ID, "222", "20260")
	if err != nil {
		t.Fatal(err)
	}
	if !e.SegmentationError() || e.Correct() {
		t.Fatalf("evaluation %+v is not a segmentation error", e)
	}
	s, err := db.Stats(bg, digitbot.Scope{UserID: "222"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 0 || s.Recent != nil || s.Daily != nil || !s.FirstAt.IsZero() {
		t.Fatalf("a segmentation error counted as digits: %+v", s)
	}
	if s.Numbers.Count != 1 || s.Numbers.SegmentationErrors != 1 || s.Numbers.ByLength[5].Count != 1 {
		t.Fatalf("numbers = %+v", s.Numbers)
	}
	hist, err := db.History(bg, digitbot.Scope{UserID: "222"}, 0)
	if err != nil || len(hist) != 1 || DiffEvaluation(hist[0], e) != "" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	// A later one-digit evaluation: FirstAt and LastAt are its.
	clock.Add(time.Hour)
	q := MustSave(t, db, Pred("111", "222", 1, 0.5))
	e2, err := db.Evaluate(bg, q.ID, "222", 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = db.Stats(bg, digitbot.Scope{UserID: "222"})
	if d := DiffStats(s, digitbot.NewStats(digitbot.Scope{UserID: "222"}, []digitbot.Evaluation{e, e2})); d != "" {
		t.Fatal(d)
	}
	// Forgetting removes both, and the scope with them.
	if err := db.ForgetUser(bg, "222"); err != nil {
		t.Fatal(err)
	}
	if hits := h.find(t, "222"); len(hits) != 0 {
		t.Fatalf("user id left: %v", hits)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Numbers.Count != 0 || s.Total != 0 {
		t.Fatalf("stats after forget: %+v", s)
	}
}

func testEvaluateNumberInvalid(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := MustSave(t, db, year2026())
	for _, n := range []string{"", "20a6", "-202", " 2026", "1234567890123", "２０２６"} {
		_, err := db.EvaluateNumber(bg, p.ID, "222", n)
		wantCode(t, err, digitbot.EINVALID)
		if !strings.Contains(digitbot.ErrorMessage(err), "1 to 12 digits") {
			t.Fatalf("unclear message for %q: %q", n, digitbot.ErrorMessage(err))
		}
	}
	_, err := db.Evaluation(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
	// Unknown and not the owner's.
	_, err = db.EvaluateNumber(bg, "nope", "222", "12")
	wantCode(t, err, digitbot.ENOTFOUND)
	e, err := db.EvaluateNumber(bg, p.ID, "333", "2026")
	wantCode(t, err, digitbot.EFORBIDDEN)
	if e.Number != nil || e.PredictionID != "" {
		t.Fatalf("refusal returned %+v", e)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Numbers.Count != 0 {
		t.Fatal("a refused verdict was counted")
	}
	if len(h.find(t, "333")) != 0 {
		t.Fatal("the refused user's id was written")
	}
}

func testEvaluateNumberDuplicate(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	p := MustSave(t, db, year2026())
	first, err := db.EvaluateNumber(bg, p.ID, "222", "2026")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	again, err := db.EvaluateNumber(bg, p.ID, "222", "1999")
	wantCode(t, err, digitbot.EALREADYEVALUATED)
	if d := DiffEvaluation(again, first); d != "" {
		t.Fatalf("second verdict returned another evaluation: %s", d)
	}
	// Evaluate (a digit) on the evaluated number gets the same answer.
	again, err = db.Evaluate(bg, p.ID, "222", 3)
	wantCode(t, err, digitbot.EALREADYEVALUATED)
	if d := DiffEvaluation(again, first); d != "" {
		t.Fatal(d)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Numbers.Count != 1 || s.Numbers.Hits != 1 || s.Total != 4 {
		t.Fatalf("stats after duplicates: %+v", s)
	}
}

func testEvaluateNumberConcurrentDuplicate(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	truths := []string{"2026", "2028", "202", "7", "20266", "1111"}
	for round := range 5 {
		p := MustSave(t, db, year2026())
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
				results[i], errs[i] = db.EvaluateNumber(bg, p.ID, "222", truths[i%len(truths)])
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: calls %d and %d both recorded", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no call recorded: %v", round, errs)
		}
		for i, err := range errs {
			if i == winner {
				continue
			}
			wantCode(t, err, digitbot.EALREADYEVALUATED)
			if d := DiffEvaluation(results[i], results[winner]); d != "" {
				t.Fatalf("round %d: call %d: %s", round, i, d)
			}
		}
		s, _ := db.Stats(bg, digitbot.Scope{GuildID: "111", UserID: "222"})
		if s.Numbers.Count != round+1 {
			t.Fatalf("round %d: %d number verdicts counted", round, s.Numbers.Count)
		}
	}
}

// On a one-digit reading, EvaluateNumber with one digit is Evaluate; a
// longer number is refused. Evaluate on a number reading is refused too.
func testEvaluateNumberOneDigitReading(t *testing.T, b Backend) {
	db := b.open(t, 0).db
	p := MustSave(t, db, Pred("111", "222", 7, 0.9))
	_, err := db.EvaluateNumber(bg, p.ID, "222", "71")
	wantCode(t, err, digitbot.EINVALID)
	if msg := digitbot.ErrorMessage(err); !strings.Contains(msg, "one digit") {
		t.Fatalf("unclear message %q", msg)
	}
	e, err := db.EvaluateNumber(bg, p.ID, "222", "1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Number != nil || e.Predicted != 7 || e.TrueDigit != 1 {
		t.Fatalf("one-digit verdict = %+v", e)
	}

	n := MustSave(t, db, year2026())
	_, err = db.Evaluate(bg, n.ID, "222", 2)
	wantCode(t, err, digitbot.EINVALID)
	if msg := digitbot.ErrorMessage(err); !strings.Contains(msg, "number 2026") {
		t.Fatalf("message does not point to the number: %q", msg)
	}
	if _, err := db.Evaluation(bg, n.ID); digitbot.ErrorCode(err) != digitbot.ENOTFOUND {
		t.Fatal("refused digit verdict stored")
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Total != 1 || s.Numbers.Count != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func testExportCSVNumberColumns(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	verdicts := []string{"2026", "2027", "26"}
	for _, v := range verdicts {
		p := MustSave(t, db, year2026())
		clock.Add(time.Hour)
		if _, err := db.EvaluateNumber(bg, p.ID, "222", v); err != nil {
			t.Fatal(err)
		}
	}
	p := MustSave(t, db, Pred("111", "222", 4, 0.5))
	clock.Add(time.Hour)
	if _, err := db.Evaluate(bg, p.ID, "222", 4); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{UserID: "222"}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"-1", "-1", "true", "2026", "2026", "false"},
		{"-1", "-1", "false", "2026", "2027", "false"},
		{"-1", "-1", "false", "2026", "26", "true"},
		{"4", "4", "true", "", "", "false"},
	}
	if len(rows) != 1+len(want) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, w := range want {
		r := rows[1+i]
		got := []string{r[5], r[7], r[8], r[11], r[12], r[13]}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("row %d predicted,true,correct,numbers = %v, want %v", i, got, w)
		}
	}
}

// Writers saving and evaluating digits and numbers at once (their commits
// shared through db.Batch) leave aggregates equal to the brute force over
// what the calls returned.
func testStatsConcurrentMixedWriters(t *testing.T, b Backend) {
	clock := &TickingClock{t: time.Date(2026, 11, 20, 23, 58, 0, 0, time.UTC)} // across midnight
	db := b.Open(t, Options{Now: clock.Now})
	var (
		mu    sync.Mutex
		evals []digitbot.Evaluation
		wg    sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 25 {
				guild, user := testGuilds[(w+i)%3], testUsers[w%len(testUsers)]
				var e digitbot.Evaluation
				var err error
				if i%2 == 0 {
					p := MustSave(t, db, Pred(guild, user, r.IntN(10), float64(r.IntN(10000))/probScale))
					e, err = db.Evaluate(bg, p.ID, user, r.IntN(10))
				} else {
					digits := make([]int, 2+r.IntN(4))
					for j := range digits {
						digits[j] = r.IntN(10)
					}
					p := MustSave(t, db, NumberPred(guild, user, digits, r))
					truth := p.Number
					if r.IntN(2) == 0 {
						truth = truth[:len(truth)-1] + "9"
					}
					if r.IntN(3) == 0 {
						truth += "1"
					}
					e, err = db.EvaluateNumber(bg, p.ID, user, truth)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				evals = append(evals, e)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(evals) != 150 {
		t.Fatalf("%d evaluations", len(evals))
	}
	checkAgainstBruteForce(t, db, evals)
}

// TestStore_Stats_MatchesBruteForce is a property test: for random
// histories, the incrementally kept Stats of every scope kind equal
// digitbot.NewStats over the evaluations, also after ForgetUser and
// PurgeGuild subtracted their share.
func testStatsMatchesBruteForce(t *testing.T, b Backend) {
	for _, tc := range []struct {
		seed uint64
		n    int
	}{{1, 5}, {2, 60}, {3, 150}, {4, 700}, {5, 300}} {
		t.Run(fmt.Sprintf("seed%d_n%d", tc.seed, tc.n), func(t *testing.T) {
			h := b.open(t, 0)
			db := h.db
			evals := h.insert(t, RandomHistory(tc.seed, tc.n))
			if all := digitbot.NewStats(digitbot.Scope{}, evals); tc.n >= 150 && (all.Numbers.Count == 0 || all.Numbers.SegmentationErrors == 0 ||
				all.Numbers.Hits == 0 || all.Numbers.Count == all.Numbers.SegmentationErrors+all.Numbers.Hits) {
				t.Fatalf("test setup: the history lacks some kind of number verdict: %+v", all.Numbers)
			}
			checkAgainstBruteForce(t, db, evals)

			forgotten := testUsers[int(tc.seed)%len(testUsers)]
			if err := db.ForgetUser(bg, forgotten); err != nil {
				t.Fatal(err)
			}
			evals = FilterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == forgotten })
			checkAgainstBruteForce(t, db, evals)

			purged := testGuilds[int(tc.seed)%2]
			if err := db.PurgeGuild(bg, purged); err != nil {
				t.Fatal(err)
			}
			evals = FilterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == purged })
			checkAgainstBruteForce(t, db, evals)
		})
	}
}

func testStatsThroughPublicAPI(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	var evals []digitbot.Evaluation
	for i := range 30 {
		p := MustSave(t, db, Pred(testGuilds[i%3], testUsers[i%2], i%10, float64(i)/30))
		clock.Add(7 * time.Hour)
		e, err := db.Evaluate(bg, p.ID, p.UserID, (i*7)%10)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, e)
	}
	checkAgainstBruteForce(t, db, evals)
}

func testStatsEmptyScope(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	scope := digitbot.Scope{GuildID: "999"}
	s, err := db.Stats(bg, scope)
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffStats(s, digitbot.NewStats(scope, nil)); d != "" || s.Recent != nil || s.Daily != nil {
		t.Fatalf("empty stats: %s %+v", d, s)
	}
}

func testExportCSVOldestFirstAndFormulaSafe(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	names := []string{"=HYPERLINK(\"http://evil\")", "+1.png", "-2.png", "@SUM(A1).png", "plain, \"quoted\"\nname.png"}
	var ids []string
	for i, name := range names {
		p := Pred("111", "222", i, 0.25)
		p.FileName = name
		p = MustSave(t, db, p)
		clock.Add(time.Hour)
		if _, err := db.Evaluate(bg, p.ID, "222", i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	other := MustSave(t, db, Pred("999", "333", 1, 0.5))
	if _, err := db.Evaluate(bg, other.ID, "333", 2); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{UserID: "222"}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if strings.Join(rows[0], ",") != "prediction_id,guild_id,channel_id,user_id,file,predicted,confidence,true,correct,predicted_at,evaluated_at,predicted_number,true_number,segmentation_error" {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 1+len(names) {
		t.Fatalf("%d rows, want %d (only the user's)", len(rows)-1, len(names))
	}
	for i, row := range rows[1:] {
		if row[0] != ids[i] {
			t.Fatalf("row %d is %s, want %s (oldest first)", i, row[0], ids[i])
		}
		want := names[i]
		if strings.ContainsAny(want[:1], "=+-@") {
			want = "'" + want
		}
		if row[4] != want {
			t.Fatalf("file cell %q, want %q", row[4], want)
		}
		if row[8] != "true" || row[6] != "0.25" || row[1] != "111" || row[3] != "222" {
			t.Fatalf("row %d = %v", i, row)
		}
		if _, err := time.Parse(time.RFC3339, row[10]); err != nil || !strings.HasSuffix(row[10], "Z") {
			t.Fatalf("evaluated_at %q is not RFC3339 UTC", row[10])
		}
	}
}

func testExportCSVManyChunks(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	items := make([]HistoryItem, exportChunkRows*2+17)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = HistoryItem{Pred: Pred("", "222", i%10, 0.5), Evaluated: true, TrueDigit: i % 10, At: base.Add(time.Duration(i) * time.Second)}
	}
	h.insert(t, items)
	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items)+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(items))
	}
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		if seen[row[0]] {
			t.Fatalf("row %d repeats %s", i, row[0])
		}
		seen[row[0]] = true
		if row[0] != items[i].Pred.ID {
			t.Fatalf("row %d out of order", i)
		}
	}
}

func testGuildConfigDefaultsAndValidation(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	cfg, err := db.GuildConfig(bg, "111")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GuildID != "111" || cfg.Threshold != 0 || cfg.WatchedChannels != nil {
		t.Fatalf("unset config = %+v", cfg)
	}
	bad := []digitbot.GuildConfig{
		{GuildID: "111", Threshold: 1},
		{GuildID: "111", Threshold: -0.1},
		{GuildID: "111", Threshold: 1.5},
		{GuildID: "111", WatchedChannels: []string{"general"}},
		{GuildID: "111", WatchedChannels: []string{""}},
		{GuildID: ""},
	}
	for _, c := range bad {
		wantCode(t, db.SetGuildConfig(bg, c), digitbot.EINVALID)
	}
	if cfg, _ := db.GuildConfig(bg, "111"); cfg.Threshold != 0 {
		t.Fatal("a refused config was stored")
	}
	good := digitbot.GuildConfig{GuildID: "111", WatchedChannels: []string{"123", "456", "123"}, Threshold: 0.85, Learning: digitbot.LearningOff, UpdatedBy: "222"}
	if err := db.SetGuildConfig(bg, good); err != nil {
		t.Fatal(err)
	}
	cfg, err = db.GuildConfig(bg, "111")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Threshold != 0.85 || len(cfg.WatchedChannels) != 2 || !cfg.Watches("456") || cfg.Learning != digitbot.LearningOff || cfg.UpdatedBy != "222" || !cfg.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("stored config = %+v", cfg)
	}
	_, err = db.GuildConfig(bg, "")
	wantCode(t, err, digitbot.EINVALID)
}

func testForgetUserLeavesNoTrace(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	forgotten, kept := "user-forget-55501", "user-keep-66602"
	guild := "guild-shared-77703"
	evals := populate(t, db, clock, []string{forgotten, kept}, []string{guild, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: guild, WatchedChannels: []string{"123"}, UpdatedBy: forgotten}); err != nil {
		t.Fatal(err)
	}
	if len(h.find(t, forgotten)) == 0 {
		t.Fatal("test setup: the user's id is not in the file to begin with")
	}

	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}
	if hits := h.find(t, forgotten); len(hits) != 0 {
		t.Fatalf("forgotten user's id still in the file:\n%v", hits)
	}
	remaining := FilterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == forgotten })
	for _, scope := range []digitbot.Scope{{}, {GuildID: guild}, {UserID: kept}, {GuildID: guild, UserID: kept}, {UserID: forgotten}} {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := DiffStats(s, digitbot.NewStats(scope, FilterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after forget: %s", scope, d)
		}
	}
	hist, _ := db.History(bg, digitbot.Scope{UserID: kept}, 0)
	if len(hist) != len(FilterEvals(digitbot.Scope{UserID: kept}, evals)) {
		t.Fatalf("kept user lost history: %d", len(hist))
	}
	cfg, err := db.GuildConfig(bg, guild)
	if err != nil || len(cfg.WatchedChannels) != 1 || cfg.UpdatedBy != "" {
		t.Fatalf("config after forget = %+v, %v", cfg, err)
	}
	// Forgetting twice, or a stranger, is fine.
	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetUser(bg, "never-seen"); err != nil {
		t.Fatal(err)
	}
}

func testPurgeGuildLeavesNoTrace(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	purged, kept := "guild-purge-12121", "guild-keep-34343"
	users := []string{"user-one-50505", "user-two-60606"}
	evals := populate(t, db, clock, users, []string{purged, kept, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: purged, Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}

	if err := db.PurgeGuild(bg, purged); err != nil {
		t.Fatal(err)
	}
	if hits := h.find(t, purged); len(hits) != 0 {
		t.Fatalf("purged server's id still in the file:\n%v", hits)
	}
	remaining := FilterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == purged })
	scopes := []digitbot.Scope{{}, {GuildID: kept}, {GuildID: purged}}
	for _, u := range users {
		scopes = append(scopes, digitbot.Scope{UserID: u}, digitbot.Scope{GuildID: kept, UserID: u}, digitbot.Scope{GuildID: purged, UserID: u})
	}
	for _, scope := range scopes {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := DiffStats(s, digitbot.NewStats(scope, FilterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after purge: %s", scope, d)
		}
	}
	cfg, err := db.GuildConfig(bg, purged)
	if err != nil || cfg.Threshold != 0 {
		t.Fatalf("purged config still set: %+v %v", cfg, err)
	}
}

func testForgetUserRemovesPendingPredictions(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := MustSave(t, db, Pred("", "user-pending-only-1", 4, 0.4))
	if err := db.ForgetUser(bg, "user-pending-only-1"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Prediction(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
	if hits := h.find(t, "user-pending-only-1"); len(hits) != 0 {
		t.Fatalf("id remains: %v", hits)
	}
	wantCode(t, db.ForgetUser(bg, ""), digitbot.EINVALID)
	wantCode(t, db.PurgeGuild(bg, ""), digitbot.EINVALID)
}

// testGuildPurgeQueue: the servers with data are listed; a queued purge
// deletes the server's data when run and leaves the queue; other servers
// and DMs are untouched. (That the queue survives a restart is each
// backend's own test.)
func testGuildPurgeQueue(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	for _, p := range []digitbot.Prediction{Pred("111", "222", 3, 0.9), Pred("444", "222", 4, 0.8), Pred("", "222", 5, 0.7)} {
		p = MustSave(t, db, p)
		if _, err := db.Evaluate(bg, p.ID, "222", p.Digit); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: "777", Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}
	got, err := db.StoredGuilds(bg)
	if err != nil || !slices.Equal(got, []string{"111", "444", "777"}) {
		t.Fatalf("StoredGuilds = %v, %v; want [111 444 777]", got, err)
	}
	if err := db.QueueGuildPurges(bg, "111", "777"); err != nil {
		t.Fatal(err)
	}
	queued, err := db.QueuedGuildPurges(bg)
	if err != nil || !slices.Equal(queued, []string{"111", "777"}) {
		t.Fatalf("queue = %v, %v", queued, err)
	}
	for _, id := range queued {
		if err := db.PurgeQueuedGuild(bg, id); err != nil {
			t.Fatal(err)
		}
	}
	if queued, _ := db.QueuedGuildPurges(bg); len(queued) != 0 {
		t.Errorf("queue after purging = %v, want empty", queued)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("StoredGuilds after purging = %v, want [444]", got)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{UserID: "222"}); s.Total != 2 {
		t.Errorf("user 222 has %d evaluations left, want 2 (server 444 and the DM)", s.Total)
	}
	// Unqueue without purging.
	if err := db.QueueGuildPurges(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if err := db.UnqueueGuildPurge(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("unqueueing deleted data: %v", got)
	}
	wantCode(t, db.QueueGuildPurges(bg, ""), digitbot.EINVALID)
}

// populate writes, through the public API, evaluated and pending
// predictions of two users in two servers and in DMs. It returns the
// evaluations.
func populate(t *testing.T, db digitbot.Store, clock *Clock, users, guilds []string) []digitbot.Evaluation {
	t.Helper()
	var evals []digitbot.Evaluation
	for i := range 24 {
		p := Pred(guilds[i%len(guilds)], users[i%len(users)], i%10, 0.5+float64(i)/100)
		p.MessageID, p.AttachmentID = "900"+p.UserID, "901"+p.GuildID // ids embedded in other fields too
		p = MustSave(t, db, p)
		clock.Add(5 * time.Hour)
		if i%4 == 3 {
			continue // stays pending
		}
		e, err := db.Evaluate(bg, p.ID, p.UserID, (i*3)%10)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, e)
	}
	return evals
}
