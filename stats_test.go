package digitbot_test

import (
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
