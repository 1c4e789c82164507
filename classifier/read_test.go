package classifier

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
)

// numberScene draws the digits of s side by side with a pen, each in a
// cell of the given width and height, in a picture with a margin.
func numberScene(s string, cell, height, pen int) *image.NRGBA {
	n := len(s)
	var strokes [][]point
	for i, r := range s {
		for _, line := range penDigits[int(r-'0')] {
			moved := make([]point, len(line))
			for k, p := range line {
				// Each digit fills 70% of its cell: gaps between them.
				moved[k] = point{(float64(i) + 0.15 + 0.7*p.x) / float64(n), p.y}
			}
			strokes = append(strokes, moved)
		}
	}
	w := n*cell + 2*cell
	return (&scene{w: w, h: height + 2*cell/2, box: image.Rect(cell, cell/2, cell+n*cell, cell/2+height),
		paper: white, ink: black, strokes: strokes, pen: float64(pen)}).render()
}

// TestClassify_Number reads a pen-drawn number: the digits, their boxes
// left to right in the picture's pixels, the number's confidence as the
// product of its digits', and no top-level digit.
func TestClassify_Number(t *testing.T) {
	c := newTestClassifier(t, 1)
	for _, want := range []string{"2026", "17", "90210"} {
		p, err := c.Classify(context.Background(), encodePNG(t, numberScene(want, 80, 120, 4)))
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if p.Number != want || len(p.Digits) != len(want) || !p.IsNumber() {
			t.Errorf("read %q (%d digits), want %q", p.Number, len(p.Digits), want)
			continue
		}
		product := 1.0
		for i, d := range p.Digits {
			product *= d.Confidence
			// Cell i spans x in [80+80i, 160+80i), y in [40, 160).
			if x0 := 80 + 80*i; d.Box[0] < x0 || d.Box[0]+d.Box[2] > x0+80 || d.Box[1] < 35 || d.Box[1]+d.Box[3] > 165 {
				t.Errorf("%s: digit %d box %v outside its cell [%d, %d)", want, i, d.Box, x0, x0+80)
			}
			if d.Digit != int(want[i]-'0') || d.Probabilities[d.Digit] != d.Confidence || d.Input == (input{}) {
				t.Errorf("%s: digit %d: %d (%.2f)", want, i, d.Digit, d.Confidence)
			}
		}
		if p.Digit != -1 || math.Abs(p.Confidence-product) > 1e-12 || p.Probabilities != ([10]float64{}) || p.Input != (input{}) {
			t.Errorf("%s: top level digit %d, confidence %v (product %v)", want, p.Digit, p.Confidence, product)
		}
	}
}

// TestClassify_Number_BrokenDigit: a digit that came out in pieces, none
// of them near the height of its neighbour (a faint 5 broken into its
// flag, stem and two arcs, beside a 1), is still a digit of the number,
// not dropped as specks.
func TestClassify_Number_BrokenDigit(t *testing.T) {
	c := newTestClassifier(t, 1)
	// In a 180 px line (y 30-210), pieces 6-13 px apart, the tallest 35%
	// of it.
	at := func(x, y float64) point { return point{60 + 180*x, 30 + 180*y} }
	five := [][]point{
		{at(0.42, 0.02), at(0.14, 0.02)},                                 // flag
		{at(0.10, 0.10), at(0.09, 0.36)},                                 // stem
		{at(0.10, 0.45), at(0.25, 0.41), at(0.37, 0.47), at(0.42, 0.60)}, // upper arc
		{at(0.42, 0.70), at(0.36, 0.87), at(0.22, 0.96), at(0.05, 0.91)}, // lower arc
	}
	cv := newCanvas(320, 240)
	for _, stroke := range five {
		cv.poly(stroke, 3)
	}
	cv.line(at(0.78, 0), at(0.76, 1), 3)
	data := renderUpload(t, rand.New(rand.NewPCG(1, 2)), cv.cov, cv.w, cv.h, drawing)
	p, err := c.Classify(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Number != "51" {
		t.Errorf("read %q, want 51", p.Number)
	}
}

// TestClassify_OneDigitReading: a single digit fills Number and one Digits
// entry that repeats the top level.
func TestClassify_OneDigitReading(t *testing.T) {
	c := newTestClassifier(t, 1)
	p, err := c.Classify(context.Background(), encodePNG(t, numberScene("4", 200, 240, 6)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Number != "4" || len(p.Digits) != 1 || p.IsNumber() {
		t.Fatalf("read %q with %d digits", p.Number, len(p.Digits))
	}
	d := p.Digits[0]
	if d.Digit != p.Digit || d.Confidence != p.Confidence || d.Probabilities != p.Probabilities || d.Input != p.Input {
		t.Errorf("Digits[0] %+v differs from the top level", d)
	}
	if d.Box[2] <= 0 || d.Box[3] <= 0 || d.Box[0] < 200 || d.Box[0]+d.Box[2] > 400 {
		t.Errorf("box %v, want inside the digit's cell x in [200, 400)", d.Box)
	}
}

// TestClassify_TooManyDigits: thirteen digits are refused with
// too_many_digits and a message that says the limit.
func TestClassify_TooManyDigits(t *testing.T) {
	c := newTestClassifier(t, 1)
	_, err := c.Classify(context.Background(), encodePNG(t, numberScene("1234567890123", 40, 60, 2)))
	wantCode(t, err, digitbot.ETOOMANYDIGITS)
	if !strings.Contains(digitbot.ErrorMessage(err), "12") {
		t.Errorf("message %q does not say the limit", digitbot.ErrorMessage(err))
	}
	// Twelve are read.
	p, err := c.Classify(context.Background(), encodePNG(t, numberScene("123456789012", 40, 60, 2)))
	if err != nil || len(p.Digits) != 12 {
		t.Errorf("twelve digits: %q, %v", p.Number, err)
	}
}

// TestCalibrate: a 10-class model without temperature gives Softmax; the
// temperature flattens the distribution; an 11th logit that wins refuses.
func TestCalibrate(t *testing.T) {
	logits := []float64{1, 5, 2, 0, 0, 0, 0, 0, 0, 0}
	var arr [10]float64
	copy(arr[:], logits)
	if s := calibrate(logits, 1); s.probs != Softmax(arr) || s.digit != 1 || s.notDigit != 0 || s.notADigit() {
		t.Errorf("10 classes: %+v", s)
	}
	hot, warm := calibrate(logits, 1), calibrate(logits, 2)
	if !(warm.confidence < hot.confidence) || math.Abs(warm.confidence-math.Exp(2.5)/(math.Exp(2.5)+math.Exp(1)+math.Exp(0.5)+7)) > 1e-12 {
		t.Errorf("temperature 2: confidence %v (at 1: %v)", warm.confidence, hot.confidence)
	}
	s := calibrate(append(logits, 6), 1)
	sum := s.notDigit
	for _, q := range s.probs {
		sum += q
	}
	if !s.notADigit() || math.Abs(sum-1) > 1e-12 || s.digit != 1 {
		t.Errorf("11 classes, not-a-digit largest: %+v (sum %v)", s, sum)
	}
	if s := calibrate(append(logits, 4.9), 1); s.notADigit() {
		t.Errorf("11 classes, a digit largest: refused %+v", s)
	}
}

// TestRefusedInReading: a piece the model refuses by a small margin is read
// among digits it is sure of, and refuses the reading otherwise.
func TestRefusedInReading(t *testing.T) {
	sure := scores{digit: 1, confidence: 0.99, notDigit: 0.01}
	doubtful := scores{digit: 3, confidence: 0.36, notDigit: 0.6} // "not a digit" by 0.24
	refused := scores{digit: 3, confidence: 0.1, notDigit: 0.85}  // by 0.75
	unsure := scores{digit: 7, confidence: 0.6, notDigit: 0.3}    // a digit, not sure
	for _, tc := range []struct {
		name  string
		line  []scores
		k     int
		wantR bool
	}{
		{"doubtful among two sure digits", []scores{sure, doubtful, sure}, 1, false},
		{"doubtful beside one sure digit", []scores{sure, doubtful, unsure}, 1, true},
		{"doubtful alone", []scores{doubtful}, 0, true},
		{"clearly not a digit among sure digits", []scores{sure, refused, sure, sure}, 1, true},
		{"a sure digit", []scores{sure, doubtful, sure}, 0, false},
	} {
		sc := map[*pieceInk]scores{}
		var path []*pieceInk
		for _, s := range tc.line {
			pc := &pieceInk{}
			sc[pc] = s
			path = append(path, pc)
		}
		if got := refusedInReading(sc, path, tc.k); got != tc.wantR {
			t.Errorf("%s: refused %v, want %v", tc.name, got, tc.wantR)
		}
	}
}

// TestSegmentPrior_ShortOne: a 1 cut off a candidate, much shorter than it,
// pays shortOnePenalty; a whole candidate, a tall 1 and a short piece read
// as another digit do not.
func TestSegmentPrior_ShortOne(t *testing.T) {
	one := scores{digit: 1, confidence: 1}
	six := scores{digit: 6, confidence: 1}
	for _, prior := range []segmentPrior{alonePrior(), linePrior()} {
		for _, tc := range []struct {
			name    string
			edge    pieceEdge
			s       scores
			penalty bool
		}{
			{"a sliver read as 1", pieceEdge{piece: &pieceInk{tall: 0.6}, group: 0}, one, true},
			{"a tall cut piece read as 1", pieceEdge{piece: &pieceInk{tall: 0.95}, group: 0}, one, false},
			{"a short cut piece read as 6", pieceEdge{piece: &pieceInk{tall: 0.6}, group: 0}, six, false},
			{"a short candidate read whole as 1", pieceEdge{piece: &pieceInk{tall: 0.6}, group: 0, whole: true}, one, false},
			{"a short candidate against a neighbour read as 1", pieceEdge{piece: &pieceInk{tall: 0.6}, group: 0, whole: true, abuts: true}, one, true},
			{"a tall candidate against a neighbour read as 1", pieceEdge{piece: &pieceInk{tall: 0.9}, group: 0, whole: true, abuts: true}, one, false},
			{"a merge read as 1", pieceEdge{piece: &pieceInk{tall: 0.6}, group: -1}, one, false},
		} {
			want := 0.0
			if tc.penalty {
				want = -prior.shortOnePenalty
			}
			if got := prior.edgeScore(&tc.edge, tc.s); got != want {
				t.Errorf("%+v, %s: score %v, want %v", prior, tc.name, got, want)
			}
		}
	}
}
