package chart

import (
	"reflect"
	"testing"
)

func TestDemoStats_Deterministic(t *testing.T) {
	a, b := DemoStats(1000, 42), DemoStats(1000, 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different Stats")
	}
	if c := DemoStats(1000, 43); reflect.DeepEqual(a, c) {
		t.Fatal("a different seed gave the same Stats")
	}
}

func TestDemoStats_Realistic(t *testing.T) {
	if s := DemoStats(0, 1); s.Total != 0 || len(s.Recent) != 0 {
		t.Fatalf("n=0: %+v", s)
	}
	if s := DemoStats(-3, 1); s.Total != 0 {
		t.Fatalf("n<0: total %d", s.Total)
	}
	if s := DemoStats(1, 1); s.Total != 1 || len(s.Recent) != 1 || len(s.Daily) != 1 {
		t.Fatalf("n=1: total %d, recent %d, daily %d", s.Total, len(s.Recent), len(s.Daily))
	}
	s := DemoStats(20000, 1)
	if s.Total != 20000 {
		t.Fatalf("total %d", s.Total)
	}
	if acc := s.Accuracy(); acc < 0.90 || acc > 0.97 {
		t.Errorf("accuracy %.3f, want about 0.90-0.97", acc)
	}
	if weeks := s.LastAt.Sub(s.FirstAt).Hours() / 24 / 7; weeks < 2 || weeks > 5 {
		t.Errorf("history spans %.1f weeks, want a few", weeks)
	}
	// The typical confusions dominate each digit's errors.
	for truth, pred := range map[int]int{4: 9, 9: 4, 3: 5, 5: 3, 7: 1, 1: 7} {
		row := s.Confusion[truth]
		for other, n := range row {
			if other != truth && other != pred && n > row[pred] {
				t.Errorf("%d is read as %d (%d) more than as %d (%d)", truth, other, n, pred, row[pred])
			}
		}
	}
	// Mistakes are made with less confidence than hits.
	var rightSum, wrongSum float64
	var right, wrong int
	for _, p := range s.Recent {
		if p.Correct {
			rightSum += p.Confidence
			right++
		} else {
			wrongSum += p.Confidence
			wrong++
		}
	}
	if right == 0 || wrong == 0 || wrongSum/float64(wrong) >= rightSum/float64(right)-0.15 {
		t.Errorf("mean confidence right %.2f vs wrong %.2f: want wrong clearly lower", rightSum/float64(right), wrongSum/float64(wrong))
	}
}
