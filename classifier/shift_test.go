package classifier

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/models"
)

func TestShiftedInput_MovesInkAndDropsTheEdge(t *testing.T) {
	const side = digitbot.InputSide
	var px input
	px[5*side+10] = 200           // (10, 5)
	px[0] = 100                   // the top-left corner
	px[(side-1)*side+side-1] = 50 // the bottom-right corner
	for _, m := range shiftMoves {
		var out input
		out[3] = 9 // stale content must not survive
		shiftedInput(&out, &px, m.dx, m.dy)
		want := input{}
		for _, p := range []struct{ x, y int }{{10, 5}, {0, 0}, {side - 1, side - 1}} {
			x, y := p.x+m.dx, p.y+m.dy
			if x >= 0 && x < side && y >= 0 && y < side {
				want[y*side+x] = px[p.y*side+p.x]
			}
		}
		if out != want {
			t.Errorf("moved by (%d, %d): got ink at %v, want %v", m.dx, m.dy, inkAt(&out), inkAt(&want))
		}
	}
}

func inkAt(px *input) map[[2]int]uint8 {
	at := map[[2]int]uint8{}
	for i, v := range px {
		if v != 0 {
			at[[2]int{i % digitbot.InputSide, i / digitbot.InputSide}] = v
		}
	}
	return at
}

// TestClassifier_Logits_ShiftAverage: with the card's gate, an input the
// model is unsure of is read by the mean of one pass on it and on its four
// one-pixel moves, any other by one pass; a card without the gate always
// reads by one pass.
func TestClassifier_Logits_ShiftAverage(t *testing.T) {
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	if card.ShiftAverageBelow <= 0 {
		t.Fatal("the shipped card has no shift_average_below; train.py writes it")
	}
	avg := newTestClassifier(t, 1)
	card.ShiftAverageBelow = 0
	one, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { one.Close() })

	ctx := context.Background()
	m := loadMNISTTest(t)
	var doubted, sure int
	for i := range 300 {
		single, err := one.Logits(ctx, &m.images[i])
		if err != nil {
			t.Fatal(err)
		}
		want := single
		if avg.inDoubt(single) {
			doubted++
			want = make([]float64, len(single))
			for _, mv := range shiftMoves {
				var q input
				shiftedInput(&q, &m.images[i], mv.dx, mv.dy)
				l, err := one.Logits(ctx, &q)
				if err != nil {
					t.Fatal(err)
				}
				for j, v := range l {
					want[j] += v / float64(len(shiftMoves))
				}
			}
		} else {
			sure++
		}
		got, err := avg.Logits(ctx, &m.images[i])
		if err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if math.Abs(got[j]-want[j]) > 1e-9 {
				t.Fatalf("MNIST #%d (in doubt: %v) logit %d: %v, want %v", i, avg.inDoubt(single), j, got[j], want[j])
			}
		}
	}
	if doubted == 0 || sure == 0 {
		t.Fatalf("of 300 MNIST digits %d were in doubt and %d not: the test needs both", doubted, sure)
	}
	t.Logf("300 MNIST test digits: %d read by the shift average, %d by one pass", doubted, sure)
}

func TestClassifier_New_RefusesABadShiftGate(t *testing.T) {
	for _, below := range []float64{-0.1, 1.5, math.NaN()} {
		card, err := models.Card()
		if err != nil {
			t.Fatal(err)
		}
		card.ShiftAverageBelow = below
		if c, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: 1}); err == nil {
			c.Close()
			t.Errorf("shift_average_below %v: New accepted the card", below)
		} else if !strings.Contains(err.Error(), "shift_average_below") {
			t.Errorf("shift_average_below %v: %v, want an error that names the field", below, err)
		}
	}
}
