package digitbot_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
)

func numberEval(predicted, truth string, conf ...float64) digitbot.Evaluation {
	return digitbot.Evaluation{Predicted: -1, TrueDigit: -1,
		Number: &digitbot.NumberVerdict{Predicted: predicted, True: truth, Confidences: conf}}
}

func TestEvaluation_DigitVerdicts(t *testing.T) {
	cases := []struct {
		name string
		e    digitbot.Evaluation
		want []digitbot.DigitVerdict
	}{
		{"one digit", digitbot.Evaluation{Predicted: 3, TrueDigit: 8, Confidence: 0.6},
			[]digitbot.DigitVerdict{{Position: 0, Predicted: 3, True: 8, Confidence: 0.6}}},
		{"digit out of range", digitbot.Evaluation{Predicted: 3, TrueDigit: 10}, nil},
		{"number's -1 without a verdict", digitbot.Evaluation{Predicted: -1, TrueDigit: -1}, nil},
		{"number, same length", numberEval("2026", "2028", 0.9, 0.8, 0.7, 0.6),
			[]digitbot.DigitVerdict{{0, 2, 2, 0.9}, {1, 0, 0, 0.8}, {2, 2, 2, 0.7}, {3, 6, 8, 0.6}}},
		{"number, confidences missing", numberEval("12", "13", 0.5),
			[]digitbot.DigitVerdict{{0, 1, 1, 0.5}, {1, 2, 3, 0}}},
		{"segmentation error, shorter", numberEval("2026", "206", 1, 1, 1, 1), nil},
		{"segmentation error, longer", numberEval("20", "2026", 1, 1), nil},
		{"not digits", numberEval("2a", "21", 1, 1), nil},
		{"below '0'", numberEval("2 ", "21", 1, 1), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.DigitVerdicts(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DigitVerdicts() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEvaluation_SegmentationErrorAndCorrect(t *testing.T) {
	cases := []struct {
		e                 digitbot.Evaluation
		segError, correct bool
	}{
		{digitbot.Evaluation{Predicted: 4, TrueDigit: 4}, false, true},
		{digitbot.Evaluation{Predicted: 4, TrueDigit: 5}, false, false},
		{numberEval("2026", "2026"), false, true},
		{numberEval("2026", "2028"), false, false},
		{numberEval("2026", "20226"), true, false},
		{numberEval("11", "1"), true, false},
	}
	for _, tc := range cases {
		if got := tc.e.SegmentationError(); got != tc.segError {
			t.Errorf("%+v: SegmentationError() = %v", tc.e.Number, got)
		}
		if got := tc.e.Correct(); got != tc.correct {
			t.Errorf("%+v: Correct() = %v", tc.e.Number, got)
		}
	}
}

func TestValidNumber(t *testing.T) {
	valid := []string{"0", "7", "2026", "007", strings.Repeat("9", digitbot.MaxNumberDigits)}
	invalid := []string{"", strings.Repeat("1", digitbot.MaxNumberDigits+1), "-1", "+1", "1.5", " 12", "12 ", "1e3", "٣", "１２", "0x1f", "12\n"}
	for _, s := range valid {
		if !digitbot.ValidNumber(s) {
			t.Errorf("ValidNumber(%q) = false", s)
		}
	}
	for _, s := range invalid {
		if digitbot.ValidNumber(s) {
			t.Errorf("ValidNumber(%q) = true", s)
		}
	}
}

func TestPrediction_IsNumber(t *testing.T) {
	one := digitbot.Prediction{Digit: 7, Number: "7", Digits: []digitbot.DigitReading{{Digit: 7}}}
	two := digitbot.Prediction{Digit: -1, Number: "42", Digits: []digitbot.DigitReading{{Digit: 4}, {Digit: 2}}}
	if one.IsNumber() || !two.IsNumber() || (digitbot.Prediction{Digit: 3}).IsNumber() {
		t.Fatal("IsNumber wrong")
	}
}
