package storetest

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

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
		winner := OneWinner(t, round, errs)
		for i := range results {
			if d := DiffEvaluation(results[i], results[winner]); i != winner && d != "" {
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
