package digitbot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

func TestNewStats_CountsHitsConfusionAndDays(t *testing.T) {
	day := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	evals := []digitbot.Evaluation{
		{Predicted: 3, TrueDigit: 3, Confidence: 0.9, EvaluatedAt: day.Add(2 * time.Hour)},
		{Predicted: 1, TrueDigit: 7, Confidence: 0.5, EvaluatedAt: day},
		{Predicted: 7, TrueDigit: 7, Confidence: 0.8, EvaluatedAt: day.Add(24 * time.Hour)},
		{Predicted: 7, TrueDigit: 12, Confidence: 0.8, EvaluatedAt: day}, // invalid: ignored
	}
	s := digitbot.NewStats(digitbot.Scope{UserID: "u"}, evals)
	if s.Total != 3 || s.Hits != 2 {
		t.Fatalf("total/hits = %d/%d, want 3/2", s.Total, s.Hits)
	}
	if s.Digits[7] != (digitbot.DigitStats{Count: 2, Hits: 1}) {
		t.Errorf("digit 7 = %+v", s.Digits[7])
	}
	if s.Confusion[7][1] != 1 || s.Confusion[3][3] != 1 {
		t.Errorf("confusion wrong: %v", s.Confusion)
	}
	if len(s.Daily) != 2 || s.Daily[0].Count != 2 || s.Daily[1].Hits != 1 {
		t.Errorf("daily = %+v", s.Daily)
	}
	if len(s.Recent) != 3 || s.Recent[0].Correct || !s.Recent[2].Correct {
		t.Errorf("recent not oldest first: %+v", s.Recent)
	}
	if !s.FirstAt.Equal(day) || !s.LastAt.Equal(day.Add(24*time.Hour)) {
		t.Errorf("first/last = %v/%v", s.FirstAt, s.LastAt)
	}
	if got := s.Accuracy(); got < 0.666 || got > 0.667 {
		t.Errorf("accuracy = %v", got)
	}
}

func TestNewStats_KeepsOnlyNewestRecentPoints(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evals []digitbot.Evaluation
	for i := 0; i < digitbot.StatsRecentPoints+10; i++ {
		evals = append(evals, digitbot.Evaluation{Predicted: 1, TrueDigit: 1, Confidence: 1, EvaluatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	s := digitbot.NewStats(digitbot.Scope{}, evals)
	if len(s.Recent) != digitbot.StatsRecentPoints {
		t.Fatalf("recent = %d", len(s.Recent))
	}
	if !s.Recent[len(s.Recent)-1].Time.Equal(s.LastAt) {
		t.Errorf("newest point missing")
	}
}

func TestPrediction_Ranked(t *testing.T) {
	p := digitbot.Prediction{Probabilities: [10]float64{0.1, 0.05, 0.6, 0, 0, 0, 0, 0.25, 0, 0}}
	r := p.Ranked()
	if r[0].Digit != 2 || r[1].Digit != 7 || r[2].Digit != 0 {
		t.Fatalf("ranked = %v", r[:3])
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	err := digitbot.WrapError(digitbot.ENODIGIT, "No digit found.", nil)
	if digitbot.ErrorCode(err) != digitbot.ENODIGIT || digitbot.ErrorMessage(err) != "No digit found." {
		t.Fatalf("got %q %q", digitbot.ErrorCode(err), digitbot.ErrorMessage(err))
	}
	if digitbot.ErrorCode(nil) != "" {
		t.Fatal("nil error has a code")
	}
}

// A number read at the right length counts each digit in the per-digit
// figures (and Recent, one point per position); a segmentation error only
// in Numbers.
func TestNewStats_NumbersCountPerPositionAndSegmentationErrors(t *testing.T) {
	day := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	num := func(at time.Duration, predicted, truth string, conf ...float64) digitbot.Evaluation {
		return digitbot.Evaluation{Predicted: -1, TrueDigit: -1, Confidence: 0.3, EvaluatedAt: day.Add(at),
			Number: &digitbot.NumberVerdict{Predicted: predicted, True: truth, Confidences: conf}}
	}
	evals := []digitbot.Evaluation{
		num(time.Hour, "2026", "2028", 0.9, 0.8, 0.7, 0.6),
		num(2*time.Hour, "17", "117", 0.5, 0.5), // cut wrongly
		{Predicted: 5, TrueDigit: 5, Confidence: 0.4, EvaluatedAt: day},
		num(3*time.Hour, "33", "33", 0.2, 0.1),
		num(25*time.Hour, "4", "4", 1), // a one-character verdict is still a number verdict
	}
	s := digitbot.NewStats(digitbot.Scope{}, evals)
	// Digits: 5, then 2,0,2,6 vs 2,0,2,8, then 3,3, then 4.
	if s.Total != 8 || s.Hits != 7 {
		t.Fatalf("total/hits = %d/%d, want 8/7", s.Total, s.Hits)
	}
	if s.Confusion[8][6] != 1 || s.Digits[2] != (digitbot.DigitStats{Count: 2, Hits: 2}) || s.Digits[1].Count != 0 {
		t.Fatalf("digits %v confusion[8] %v", s.Digits, s.Confusion[8])
	}
	if got, want := s.ConfidenceSum, 0.4+0.9+0.8+0.7+0.6+0.2+0.1+1; got < want-1e-9 || got > want+1e-9 {
		t.Fatalf("confidence sum %v, want %v (per digit, not the number's)", got, want)
	}
	wantNumbers := digitbot.NumberStats{Count: 4, Hits: 2, SegmentationErrors: 1}
	wantNumbers.ByLength[4] = digitbot.DigitStats{Count: 1}
	wantNumbers.ByLength[3] = digitbot.DigitStats{Count: 1}
	wantNumbers.ByLength[2] = digitbot.DigitStats{Count: 1, Hits: 1}
	wantNumbers.ByLength[1] = digitbot.DigitStats{Count: 1, Hits: 1}
	if s.Numbers != wantNumbers {
		t.Fatalf("numbers = %+v, want %+v", s.Numbers, wantNumbers)
	}
	if len(s.Recent) != 8 || s.Recent[1].Confidence != 0.9 || s.Recent[4].Correct || s.Recent[4].Confidence != 0.6 {
		t.Fatalf("recent = %+v", s.Recent)
	}
	if len(s.Daily) != 2 || s.Daily[0].Count != 7 || s.Daily[1].Count != 1 {
		t.Fatalf("daily = %+v", s.Daily)
	}
	if !s.FirstAt.Equal(day) || !s.LastAt.Equal(day.Add(25*time.Hour)) {
		t.Fatalf("first/last = %v/%v", s.FirstAt, s.LastAt)
	}
}

// Recent keeps the newest StatsRecentPoints digit verdicts, cutting a
// number between its positions if need be; segmentation errors add none.
func TestNewStats_RecentCutsNumbersByPosition(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evals []digitbot.Evaluation
	conf := make([]float64, digitbot.MaxNumberDigits)
	for i := range conf {
		conf[i] = float64(i) / 100
	}
	number := strings.Repeat("1", digitbot.MaxNumberDigits)
	for i := range digitbot.StatsRecentPoints/digitbot.MaxNumberDigits + 2 {
		evals = append(evals, digitbot.Evaluation{Predicted: -1, TrueDigit: -1, EvaluatedAt: base.Add(time.Duration(i) * time.Minute),
			Number: &digitbot.NumberVerdict{Predicted: number, True: number, Confidences: conf}})
	}
	evals = append(evals, digitbot.Evaluation{Predicted: -1, TrueDigit: -1, EvaluatedAt: base.Add(time.Hour * 24),
		Number: &digitbot.NumberVerdict{Predicted: "12", True: "1", Confidences: []float64{1, 1}}})
	s := digitbot.NewStats(digitbot.Scope{}, evals)
	if len(s.Recent) != digitbot.StatsRecentPoints {
		t.Fatalf("recent = %d points", len(s.Recent))
	}
	// 500 = 41 numbers of 12 and the last 8 positions of the one before.
	if s.Recent[0].Confidence != 0.04 || s.Recent[len(s.Recent)-1].Confidence != 0.11 {
		t.Fatalf("cut at %v .. %v", s.Recent[0].Confidence, s.Recent[len(s.Recent)-1].Confidence)
	}
	if !s.LastAt.Equal(evals[len(evals)-2].EvaluatedAt) || s.Numbers.SegmentationErrors != 1 {
		t.Fatalf("last = %v (the segmentation error has no digit), numbers %+v", s.LastAt, s.Numbers)
	}
}
