//go:build !race

package classifier

import (
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// TestReading_Signs draws signs the model takes for digits in the Go
// fonts (which the training never sees) at different sizes, in the three
// upload styles. "%": the model refuses it whole, but a cut across its
// bar reads its rings as a 9 and a 6, each with half the bar, with
// confidence (slashCutApart refuses that reading). "$": read whole, it is
// a 5 with confidence, but its bar sticks out above and below the S
// (barredGlyph).
func TestReading_Signs(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	for _, sign := range []struct {
		text        string
		seed, floor int // of 36 pictures
	}{
		{"%", 31, 30}, // measured 36/36; 1/36 before slashCutApart
		{"$", 37, 18}, // measured 28/36; 0/36 before barredGlyph
	} {
		rng := rand.New(rand.NewPCG(uint64(sign.seed), uint64(sign.seed)+1))
		refused, total, read := textReadings(t, c, rng, slices.Repeat([]string{sign.text}, 4), glyphCanvas, centred)
		t.Logf("%q refused: %d/%d; read: %s", sign.text, refused, total, strings.Join(read, " "))
		if refused < sign.floor {
			t.Errorf("%d of %d pictures of %q refused, want at least %d", refused, total, sign.text, sign.floor)
		}
	}
}

// glyphCanvas is a canvas of 160-360 px a side for one sign, 35-65% of
// its shorter side high.
func glyphCanvas(rng *rand.Rand) (w, h int, size float64) {
	w, h = 160+rng.IntN(200), 160+rng.IntN(200)
	return w, h, float64(min(w, h)) * (0.35 + 0.3*rng.Float64())
}

// TestReading_Patterns draws checkerboards and barcodes (bars of random
// widths and gaps) over the whole picture, in the three upload styles.
// Each column of squares, each bar, reads as a 1, and neither a
// checkerboard's columns nor a barcode's bars are solid bars of one height
// (barsReadAsOnes' other tests): what gives them away is that they run
// off the picture at the top and the bottom, side by side, which the
// digits of a written number do not.
func TestReading_Patterns(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(33, 34))
	const n = 36
	refused, read := picturesRefused(t, c, rng, n, func(k int) ([]float64, int, int) {
		w, h := 160+rng.IntN(240), 160+rng.IntN(240)
		cv := newCanvas(w, h)
		if k%2 == 0 { // a checkerboard
			step := 10 + rng.IntN(30)
			for y := 0; y < h; y += step {
				for x := (y / step % 2) * step; x < w; x += 2 * step {
					cv.fill(image.Rect(x, y, x+step, y+step), 1)
				}
			}
		} else { // a barcode
			for x := rng.IntN(10); x < w; {
				bar := 3 + rng.IntN(12)
				cv.fill(image.Rect(x, 0, x+bar, h), 1)
				x += bar + 4 + rng.IntN(14)
			}
		}
		return cv.cov, w, h
	})
	t.Logf("checkerboards and barcodes refused: %d/%d; read: %s", refused, n, strings.Join(read, " "))
	if refused < 30 {
		t.Errorf("%d of %d checkerboards and barcodes refused, want at least 30", refused, n)
	}
}

// TestReading_DigitsWithoutBar draws big printed 2s, 3s, 5s, 6s and 8s in
// the Go fonts: they have no bar from top to bottom, and read
// (barredGlyph refuses a "$" read as one of them).
func TestReading_DigitsWithoutBar(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(39, 40))
	fonts := [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF}
	const n, digits = 45, "23568"
	right := picturesReadExactly(t, c, rng, n, func(k int) ([]float64, int, int, string) {
		d := string(digits[k%len(digits)])
		w, h, size := glyphCanvas(rng)
		x, y := centred(w, h, size)
		cv := newCanvas(w, h)
		cv.text(t, fonts[k%len(fonts)], size, x, y, d)
		return cv.cov, w, h, d
	})
	t.Logf("printed 2s, 3s, 5s, 6s and 8s read: %d/%d", right, n)
	if right < n-1 {
		t.Errorf("%d of %d printed 2s, 3s, 5s, 6s and 8s read, want at least %d", right, n, n-1)
	}
}

// TestNumbers_OnesOfVariedSizes is the cost of barsReadAsOnes on numbers
// written all in 1s ("111", "11111"), each 1 scaled by 0.7-1.0 on its own
// as a hand writes (composeVariedSizes): a row of 1s whose tallest is
// barsHeightRatio times its shortest is taken for a bar chart. Measured
// 280/300 read at 1.4; at 1.3, which refused 4 more of 2,400 other
// non-digits (bar charts), 191; at 1.2, 90. The same 1s of one size: 292.
func TestNumbers_OnesOfVariedSizes(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	rng := rand.New(rand.NewPCG(77, 78))
	const n = 300
	right := numbersComposedRead(t, c, rng, n, func() (digits []*input, want string) {
		for range 3 + rng.IntN(3) {
			digits = append(digits, randomOf(rng, m, byLabel, 1))
			want += "1"
		}
		return digits, want
	}, composeVariedSizes)
	t.Logf("numbers of 1s of varied sizes: %d/%d exact", right, n)
	if right < 270 { // measured 281 (280 before a broken 1 stopped passing for a "!")
		t.Errorf("%d/%d numbers of 1s of varied sizes read exactly, want at least 270", right, n)
	}
}

// TestReading_SignsBesideNumbers draws numbers with a sign or a word before
// or after them in the Go fonts ("#123", "No 42", "250€"): a picture of a
// price or a label is not a number, and the rules that read an unsure
// piece among sure digits (longSure, sureOtherDigits) hold only for pieces
// inside a number, so the sign still refuses it. Measured 81/108 refused,
// as before those rules (19/108 when they held at the ends too: "#123" read
// as 4123, "No 42" as 111042). Still read: "$500" as 5500 and "$25" as 525
// (the $ passes for a 5, beside digits as well as alone), "42%" as 4296.
func TestReading_SignsBesideNumbers(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	texts := []string{"$500", "$25", "#123", "€250", "x100", "No 42", "250€", "100x", "42%", "#2026", "€1999", "No 785"}
	refused, total, read := textReadings(t, c, rng, texts, wordCanvas, wordOrigin)
	t.Logf("signs beside numbers refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 78 { // measured 81
		t.Errorf("%d of %d pictures of signs beside numbers refused, want at least 78", refused, total)
	}
}
