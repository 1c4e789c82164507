package chart

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// numberHistory evaluates 2026 right, 31 as 37, and 404 as 4044 (cut wrongly).
func numberHistory() digitbot.Stats {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	verdict := func(k int, predicted, truth string) digitbot.Evaluation {
		conf := make([]float64, len(predicted))
		for i := range conf {
			conf[i] = 0.9
		}
		return digitbot.Evaluation{Predicted: -1, TrueDigit: -1, Confidence: 0.7, EvaluatedAt: at.Add(time.Duration(k) * time.Hour),
			Number: &digitbot.NumberVerdict{Predicted: predicted, True: truth, Confidences: conf}}
	}
	return digitbot.NewStats(digitbot.Scope{}, []digitbot.Evaluation{verdict(0, "2026", "2026"), verdict(1, "31", "37"), verdict(2, "404", "4044")})
}

func TestSubtitle_SaysHowNumbersFared(t *testing.T) {
	s := numberHistory()
	if got := subtitle(s, textsEN); !strings.Contains(got, "1 of 3 numbers read right, 1 cut into the wrong number of digits") {
		t.Errorf("en subtitle %q", got)
	}
	if got := subtitle(s, textsES); !strings.Contains(got, "1 de 3 números leídos bien, 1 cortados") {
		t.Errorf("es subtitle %q", got)
	}
	s.Numbers = digitbot.NumberStats{}
	if got := subtitle(s, textsEN); strings.Contains(got, "numbers") {
		t.Errorf("subtitle without numbers mentions them: %q", got)
	}
}

func TestRender_NumbersKeepTheDigitPanels(t *testing.T) {
	computeOnly(t)
	s := numberHistory()
	if s.Total != 6 {
		t.Fatalf("the digits of 2026 and 31 should count: total %d", s.Total)
	}
	_, p := renderBoth(t, s, Options{})
	for i, r := range p.panels {
		if r.Empty() {
			t.Errorf("panel %d not drawn", i)
		}
	}
}

func TestRender_OnlyMiscutNumbers_SaysSoNotNoEvaluations(t *testing.T) {
	computeOnly(t)
	s := digitbot.Stats{Numbers: digitbot.NumberStats{Count: 1, SegmentationErrors: 1}}
	s.Numbers.ByLength[4] = digitbot.DigitStats{Count: 1}
	miscut, err := Render(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := Render(digitbot.Stats{}, Options{})
	if bytes.Equal(miscut, empty) {
		t.Errorf("a history of miscut numbers draws the same image as no history")
	}
}
