package store

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
	bolt "go.etcd.io/bbolt"
)

// year2026 is a number reading of "2026" by user 222 in server 111.
func year2026() digitbot.Prediction {
	return numberPred("111", "222", []int{2, 0, 2, 6}, rand.New(rand.NewPCG(1, 2)))
}

func TestStore_SavePrediction_NumberRoundTrip(t *testing.T) {
	db := MustOpenDB(t)
	p := year2026()
	p.MessageID, p.AttachmentID, p.ModelSHA256 = "1300000000000000000", "att-1", strings.Repeat("ab", 32)
	saved := mustSave(t, db, p)
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
func TestStore_SavePrediction_OneDigitReadingRoundTrip(t *testing.T) {
	db := MustOpenDB(t)
	p := pred("111", "222", 7, 0.8125)
	p.Probabilities[1] = 0.1875
	p.Input[300], p.Input[301] = 200, 255
	p.Number = "7"
	p.Digits = []digitbot.DigitReading{{Digit: 7, Confidence: p.Confidence, Probabilities: p.Probabilities, Input: p.Input, Box: [4]int{3, 4, 50, 61}}}
	saved := mustSave(t, db, p)
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
	saved = mustSave(t, db, p)
	got, _ = db.Prediction(bg, saved.ID)
	if got.Digits[0].Confidence != 0.5 || got.Confidence != 0.8125 {
		t.Fatalf("differing entry lost: %v vs %v", got.Digits[0].Confidence, got.Confidence)
	}

	legacy := mustSave(t, db, pred("", "222", 3, 0.5))
	got, _ = db.Prediction(bg, legacy.ID)
	if got.Digits != nil || got.Number != "" || got.Digit != 3 {
		t.Fatalf("legacy reading gained fields: %+v", got)
	}
}

func TestStore_SavePrediction_InvalidNumber(t *testing.T) {
	db := MustOpenDB(t)
	tooLong := make([]int, digitbot.MaxNumberDigits+1)
	cases := map[string]func(p *digitbot.Prediction){
		"digit not -1":       func(p *digitbot.Prediction) { p.Digit = 2 },
		"number mismatch":    func(p *digitbot.Prediction) { p.Number = "2027" },
		"digit out of range": func(p *digitbot.Prediction) { p.Digits[1].Digit = 10 },
		"confidence":         func(p *digitbot.Prediction) { p.Digits[2].Confidence = 1.5 },
		"probability":        func(p *digitbot.Prediction) { p.Digits[0].Probabilities[4] = -0.1 },
		"too many digits": func(p *digitbot.Prediction) {
			*p = numberPred("111", "222", tooLong, rand.New(rand.NewPCG(3, 4)))
		},
		"one digit, other entry": func(p *digitbot.Prediction) {
			*p = pred("111", "222", 4, 0.9)
			p.Digits = []digitbot.DigitReading{{Digit: 5}}
		},
		"one digit, other number": func(p *digitbot.Prediction) {
			*p = pred("111", "222", 4, 0.9)
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
	if s, _ := db.Stats(bg, digitbot.Scope{UserID: "222"}); s.Total != 0 || findBytes(t, db, []byte("number.jpg")) != nil {
		t.Fatal("a refused prediction was written")
	}
}

func TestStore_EvaluateNumber_Records(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	p := mustSave(t, db, year2026())
	clock.Add(time.Minute)
	e, err := db.EvaluateNumber(bg, p.ID, "222", "2028")
	if err != nil {
		t.Fatal(err)
	}
	want := digitbot.Evaluation{PredictionID: p.ID, GuildID: "111", ChannelID: "555", UserID: "222", FileName: "number.jpg",
		Predicted: -1, Confidence: p.Confidence, TrueDigit: -1, PredictedAt: p.CreatedAt, EvaluatedAt: clock.Now(),
		Number: &digitbot.NumberVerdict{Predicted: "2026", True: "2028",
			Confidences: []float64{p.Digits[0].Confidence, p.Digits[1].Confidence, p.Digits[2].Confidence, p.Digits[3].Confidence}}}
	if d := diffEvaluation(e, want); d != "" {
		t.Fatal(d)
	}
	if got, err := db.Evaluation(bg, p.ID); err != nil || diffEvaluation(got, want) != "" {
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
		if d := diffStats(s, digitbot.NewStats(scope, []digitbot.Evaluation{want})); d != "" {
			t.Fatalf("Stats(%+v): %s", scope, d)
		}
	}
}

func TestStore_EvaluateNumber_SegmentationError(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	p := mustSave(t, db, year2026())
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
	if err != nil || len(hist) != 1 || diffEvaluation(hist[0], e) != "" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	// A later one-digit evaluation: FirstAt and LastAt are its.
	clock.Add(time.Hour)
	q := mustSave(t, db, pred("111", "222", 1, 0.5))
	e2, err := db.Evaluate(bg, q.ID, "222", 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = db.Stats(bg, digitbot.Scope{UserID: "222"})
	if d := diffStats(s, digitbot.NewStats(digitbot.Scope{UserID: "222"}, []digitbot.Evaluation{e, e2})); d != "" {
		t.Fatal(d)
	}
	// Forgetting removes both, and the scope with them.
	if err := db.ForgetUser(bg, "222"); err != nil {
		t.Fatal(err)
	}
	if hits := findBytes(t, db, []byte("222")); len(hits) != 0 {
		t.Fatalf("user id left: %v", hits)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Numbers.Count != 0 || s.Total != 0 {
		t.Fatalf("stats after forget: %+v", s)
	}
}

func TestStore_EvaluateNumber_Invalid(t *testing.T) {
	db := MustOpenDB(t)
	p := mustSave(t, db, year2026())
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
	if len(findBytes(t, db, []byte("333"))) != 0 {
		t.Fatal("the refused user's id was written")
	}
}

func TestStore_EvaluateNumber_Duplicate(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	p := mustSave(t, db, year2026())
	first, err := db.EvaluateNumber(bg, p.ID, "222", "2026")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	again, err := db.EvaluateNumber(bg, p.ID, "222", "1999")
	wantCode(t, err, digitbot.EALREADYEVALUATED)
	if d := diffEvaluation(again, first); d != "" {
		t.Fatalf("second verdict returned another evaluation: %s", d)
	}
	// Evaluate (a digit) on the evaluated number gets the same answer.
	again, err = db.Evaluate(bg, p.ID, "222", 3)
	wantCode(t, err, digitbot.EALREADYEVALUATED)
	if d := diffEvaluation(again, first); d != "" {
		t.Fatal(d)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Numbers.Count != 1 || s.Numbers.Hits != 1 || s.Total != 4 {
		t.Fatalf("stats after duplicates: %+v", s)
	}
}

func TestStore_EvaluateNumber_ConcurrentDuplicate(t *testing.T) {
	db := MustOpenDB(t)
	truths := []string{"2026", "2028", "202", "7", "20266", "1111"}
	for round := range 5 {
		p := mustSave(t, db, year2026())
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
			if d := diffEvaluation(results[i], results[winner]); d != "" {
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
func TestStore_EvaluateNumber_OneDigitReading(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	p := mustSave(t, db, pred("111", "222", 7, 0.9))
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

	n := mustSave(t, db, year2026())
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

func TestStore_ExportCSV_NumberColumns(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	verdicts := []string{"2026", "2027", "26"}
	for _, v := range verdicts {
		p := mustSave(t, db, year2026())
		clock.Add(time.Hour)
		if _, err := db.EvaluateNumber(bg, p.ID, "222", v); err != nil {
			t.Fatal(err)
		}
	}
	p := mustSave(t, db, pred("111", "222", 4, 0.5))
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

// decodeVerdict reads everything decodeRecord does but the inputs.
func TestStore_DecodeVerdict_SkipsOnlyInputs(t *testing.T) {
	db := MustOpenDB(t)
	one := pred("111", "222", 7, 0.8125)
	one.Input[300] = 200
	one.Number, one.Digits = "7", []digitbot.DigitReading{{Digit: 7, Confidence: 0.8125, Probabilities: one.Probabilities, Input: one.Input, Box: [4]int{1, 2, 3, 4}}}
	for _, p := range []digitbot.Prediction{mustSave(t, db, year2026()), mustSave(t, db, one)} {
		if _, err := db.EvaluateNumber(bg, p.ID, "222", p.Number); err != nil {
			t.Fatal(err)
		}
		db.bolt.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketPredictions).Get(idKey(p.ID))
			full, err1 := decodeRecord(tx.Bucket(bucketModels), idKey(p.ID), v)
			slim, err2 := decodeVerdict(tx.Bucket(bucketModels), idKey(p.ID), v)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if full.P.Digits[0].Input == (picture{}) {
				t.Fatal("test setup: no input to skip")
			}
			full.P.Input = picture{}
			for i := range full.P.Digits {
				full.P.Digits[i].Input = picture{}
			}
			if !reflect.DeepEqual(full, slim) {
				t.Fatalf("decodeVerdict differs beyond the inputs:\n%+v\n%+v", full.evaluation(), slim.evaluation())
			}
			return nil
		})
	}
}

// tickingClock returns a later time at every call, so that concurrent
// evaluations have distinct times (digitbot.NewStats orders ties by input
// order, the store by id).
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// Writers saving and evaluating digits and numbers at once (their commits
// shared through db.Batch) leave aggregates equal to the brute force over
// what the calls returned.
func TestStore_Stats_ConcurrentMixedWriters(t *testing.T) {
	clock := &tickingClock{t: time.Date(2026, 11, 20, 23, 58, 0, 0, time.UTC)} // across midnight
	db := MustOpenDBWith(t, Options{Now: clock.Now})
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
					p := mustSave(t, db, pred(guild, user, r.IntN(10), float64(r.IntN(10000))/probScale))
					e, err = db.Evaluate(bg, p.ID, user, r.IntN(10))
				} else {
					digits := make([]int, 2+r.IntN(4))
					for j := range digits {
						digits[j] = r.IntN(10)
					}
					p := mustSave(t, db, numberPred(guild, user, digits, r))
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
