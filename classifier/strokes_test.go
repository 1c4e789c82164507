//go:build !race

package classifier

import (
	"bytes"
	"cmp"
	"context"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/digitbot/digitbot"
)

// TestReading_LettersOfStrokes draws letters made of straight strokes (M,
// N, W, w) in the Go fonts, which the training never sees, in the three
// upload styles. The model refuses each letter read whole, but a cut
// finds a 1 in every stroke: strokesReadAsOnes refuses those readings.
// Before it, 3 of the 36 were refused (M and N as 11, W and w as 111).
func TestReading_LettersOfStrokes(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	refused, total, read := textReadings(t, c, rng, []string{"M", "N", "W", "w"}, func(*rand.Rand) (int, int, float64) {
		return 300, 300, 0.6 * 300
	}, centred)
	t.Logf("letters of strokes refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 30 { // measured 36/36
		t.Errorf("%d of %d letters of strokes refused, want at least 30", refused, total)
	}
}

// TestNumbers_TouchingOnes is the cost of strokesReadAsOnes: numbers of 1s,
// 4s and 7s (a 4 and a 7 hold 1-like strokes) composed from MNIST test
// digits with every pair touching, the worst case for reading cut pieces
// as 1s. Measured 225/300 exact without the rule, 212/300 with it (213
// since the wider model and glyphCutApart, 212 since alongStroke, 213
// since wideAspectInLine, 212 since glyphCutApart judges letters in a
// line, 217 since refusedInReading, 213 with the fine-tuned model, 215 since a
// candidate beside others is cut in up to six places, 216 since longSure).
func TestNumbers_TouchingOnes(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []int{1, 1, 1, 7, 4}
	const n = 300
	right := numbersRead(t, c, rng, n, 1.0, func() (digits []*input, want string) {
		for range 2 + rng.IntN(3) {
			d := alphabet[rng.IntN(len(alphabet))]
			digits = append(digits, randomOf(rng, m, byLabel, d))
			want += string(rune('0' + d))
		}
		return digits, want
	})
	t.Logf("touching numbers of 1s, 4s and 7s: %d/%d exact", right, n)
	if right < 215 { // measured 222 since narrowAspectInLine (217 since shortOne, 216 before, 217 with the model before the fine-tune, 212 before refusedInReading)
		t.Errorf("%d/%d touching numbers of 1s, 4s and 7s read exactly, want at least 215", right, n)
	}
}

// TestNumbers_TouchingOnesAmongOthers reads numbers whose two 1s touch,
// between digits that are not 1s ("4113"): the model refuses the touching
// pair whole, and strokesReadAsOnes would distrust its reading as two 1s
// but for the other digits the model is sure of. Every pair touches. (At
// either end of a number, "1123", the pair is still refused: there a
// letter beside a number, "No 42" read as 111042, is as likely.)
func TestNumbers_TouchingOnesAmongOthers(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	rng := rand.New(rand.NewPCG(7, 8))
	others := []int{0, 2, 3, 4, 5, 6, 8, 9}
	const n = 200
	right := numbersRead(t, c, rng, n, 1.0, func() (digits []*input, want string) {
		a, b := others[rng.IntN(len(others))], others[rng.IntN(len(others))]
		labels := [][]int{{a, 1, 1, b}, {a, 1, 1, b, a}, {b, a, 1, 1, b}}[rng.IntN(3)]
		for _, d := range labels {
			digits = append(digits, randomOf(rng, m, byLabel, d))
			want += string(rune('0' + d))
		}
		return digits, want
	})
	t.Logf("touching 1s among other digits: %d/%d exact", right, n)
	if right < 158 { // measured 163 since narrowAspectInLine (154 before, 155 before shortOne); 149 when the other digits did not count
		t.Errorf("%d/%d numbers with touching 1s among other digits read exactly, want at least 158", right, n)
	}
}

// TestScore_NarrowCandidate reads numbers whose two 1s touch between
// other digits ("4113"): the pair, narrower than wideAspectInLine, gets
// the cuts of narrowAspectInLine, and score reads its pieces only when
// the model refuses it whole. It checks that rule on every narrow
// candidate, and that such pairs are found and read as two 1s.
func TestScore_NarrowCandidate(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 1)
	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	rng := rand.New(rand.NewPCG(17, 18))
	others := []int{0, 2, 3, 4, 5, 6, 8, 9}
	narrow, cutRead, readAsOnes := 0, 0, 0
	for k := range 150 {
		var digits []*input
		for _, d := range []int{others[rng.IntN(len(others))], 1, 1, others[rng.IntN(len(others))]} {
			digits = append(digits, randomOf(rng, m, byLabel, d))
		}
		cov, w, h, _ := composeNumberBoxes(rng, digits, 1.0)
		img, _, err := image.Decode(bytes.NewReader(renderUpload(t, rng, cov, w, h, uploadStyle(k%3))))
		if err != nil {
			t.Fatal(err)
		}
		line, err := readInk(img)
		if err != nil {
			continue
		}
		prior := linePrior()
		sc, err := c.score(context.Background(), line, prior)
		if err != nil {
			t.Fatal(err)
		}
		path := bestPath(line, sc, prior)
		for g, isNarrow := range line.narrow {
			if !isNarrow {
				continue
			}
			narrow++
			if line.aspect[g] >= wideAspectInLine || line.aspect[g] <= narrowAspectInLine {
				t.Errorf("#%d: candidate %d of aspect %.2f got narrow cuts", k, g, line.aspect[g])
			}
			var whole scores
			var pieces []*pieceInk
			for _, e := range line.edges {
				if e.group == g && e.whole {
					whole = sc[e.piece]
				} else if e.group == g {
					pieces = append(pieces, e.piece)
				}
			}
			if len(pieces) == 0 {
				t.Errorf("#%d: narrow candidate %d has no cut pieces", k, g)
			}
			scored := 0
			for _, pc := range pieces {
				if _, ok := sc[pc]; ok {
					scored++
				}
			}
			if whole.notADigit() != (scored > 0) || (scored > 0 && scored != len(pieces)) {
				t.Errorf("#%d: narrow candidate %d refused whole: %v, %d of its %d pieces read", k, g, whole.notADigit(), scored, len(pieces))
			}
			if scored == 0 {
				continue
			}
			cutRead++
			ones := 0
			for _, pc := range path {
				for _, e := range line.edges {
					if e.piece == pc && e.group == g && !e.whole && sc[pc].digit == 1 {
						ones++
					}
				}
			}
			if ones == 2 {
				readAsOnes++
			}
		}
	}
	t.Logf("narrow candidates %d, read in pieces %d, as two 1s %d", narrow, cutRead, readAsOnes)
	if narrow < 30 || readAsOnes < 4 { // measured 66 narrow, 7 read in pieces, 6 as two 1s
		t.Errorf("%d narrow candidates, %d read in pieces, %d as two 1s: want at least 30 and 4", narrow, cutRead, readAsOnes)
	}
}

// TestNumbers_TouchingPairs reads two-digit numbers of any MNIST test
// digits whose strokes touch: the case a rule that distrusts a cut of one
// mark (glyphCutApart) can cost. Measured 368/400 exact without
// glyphCutApart, 365/400 with it; lowercaseOBesideTaller changes none.
func TestNumbers_TouchingPairs(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	rng := rand.New(rand.NewPCG(21, 22))
	const n = 400
	right := numbersRead(t, c, rng, n, 1.0, func() (digits []*input, want string) {
		for range 2 {
			i := rng.IntN(len(m.images))
			digits = append(digits, &m.images[i])
			want += string(rune('0' + m.labels[i]))
		}
		return digits, want
	})
	t.Logf("touching pairs of MNIST digits: %d/%d exact", right, n)
	if right < 350 { // measured 367 since shortOne (364 before)
		t.Errorf("%d/%d touching pairs read exactly, want at least 350", right, n)
	}
}

// TestReading_BarCharts draws bar charts (4 to 9 solid bars of random
// width and height, with a baseline or none) in the three upload styles: a
// bar is a fine 1 to the model, so before barsReadAsOnes most read as a
// number of 1s. A chart whose bars all happen to be about one height is
// left to the fill rule (TestReading_SolidBars).
func TestReading_BarCharts(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 36
	refused, read := picturesRefused(t, c, rng, n, func(k int) ([]float64, int, int) {
		w, h := 240+rng.IntN(200), 200+rng.IntN(160)
		cv := newCanvas(w, h)
		bars := 4 + rng.IntN(6)
		left, bottom := float64(w)*0.08, float64(h)*0.88
		step := float64(w) * 0.84 / float64(bars)
		width := step * (0.35 + 0.35*rng.Float64())
		for i := range bars {
			top := bottom - float64(h)*0.75*(0.25+0.75*rng.Float64())
			x := left + step*float64(i)
			cv.fill(image.Rect(int(x), int(top), int(x+width), int(bottom)), 1)
		}
		if k%2 == 0 {
			cv.line(point{left - 4, bottom + 1}, point{left + step*float64(bars), bottom + 1}, 1.2)
		}
		return cv.cov, w, h
	})
	t.Logf("bar charts refused: %d/%d; read: %s", refused, n, strings.Join(read, " "))
	if refused < 32 { // measured 36/36 (15/36 before barsReadAsOnes, 35/36 before solidBarFill)
		t.Errorf("%d of %d bar charts refused, want at least 32", refused, n)
	}
}

// TestReading_SolidBars draws what is printed, not written: vertical
// stripes, and rows of bars of one height (a bar chart whose bars are
// too close in height for barsHeightRatio), in the three upload styles.
// Each bar is a fine 1 to the model; barsReadAsOnes refuses a row of 1s
// that all fill 0.9 of their box, which a row of pen strokes rarely does.
// Beside them, numbers of the most upright MNIST 1s (the tenth that fill
// their box most), and of 1s drawn with a marker by a steady hand, must
// still read. Measured: printed bars 2/36 refused before the fill rule,
// 35/36 with it; upright 1s 90/90 either way (76/90 if a 1 filling 0.7 of
// its box counted as a bar); marker 1s 90/90 either way.
func TestReading_SolidBars(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 36
	refused, read := picturesRefused(t, c, rng, n, func(k int) ([]float64, int, int) {
		w, h := 180+rng.IntN(220), 180+rng.IntN(180)
		cv := newCanvas(w, h)
		if k%2 == 0 { // 4-11 stripes across the whole picture
			step := w / (4 + rng.IntN(8))
			for x := 0; x+step/2 <= w; x += step {
				cv.fill(image.Rect(x, 0, x+step/2, h), 1)
			}
		} else { // a row of bars of one height
			bars := 3 + rng.IntN(6)
			left, bottom := float64(w)*0.1, float64(h)*0.88
			step := float64(w) * 0.8 / float64(bars)
			width := step * (0.3 + 0.4*rng.Float64())
			top := bottom - float64(h)*(0.4+0.4*rng.Float64())
			for i := range bars {
				x := left + step*float64(i)
				cv.fill(image.Rect(int(x), int(top), int(x+width), int(bottom)), 1)
			}
		}
		return cv.cov, w, h
	})
	t.Logf("printed bars refused: %d/%d; read: %s", refused, n, strings.Join(read, " "))
	if refused < 32 {
		t.Errorf("%d of %d pictures of printed bars refused, want at least 32", refused, n)
	}

	m := loadMNISTTest(t)
	var upright []int // the MNIST 1s that fill their box most
	fills := map[int]float64{}
	for _, i := range mnistByLabel(m)[1] {
		c0, c1, r0, r1 := inkExtent(&m.images[i])
		ink := 0
		for y := r0; y < r1; y++ {
			for x := c0; x < c1; x++ {
				if m.images[i][y*digitbot.InputSide+x] > 127 {
					ink++
				}
			}
		}
		fills[i] = float64(ink) / float64((c1-c0)*(r1-r0))
		upright = append(upright, i)
	}
	slices.SortFunc(upright, func(a, b int) int { return cmp.Compare(fills[b], fills[a]) })
	upright = upright[:len(upright)/10]
	const ones = 90
	right := numbersRead(t, c, rng, ones, 0, func() (digits []*input, want string) {
		for range 3 + rng.IntN(3) {
			digits = append(digits, &m.images[upright[rng.IntN(len(upright))]])
			want += "1"
		}
		return digits, want
	})
	t.Logf("numbers of upright 1s read: %d/%d", right, ones)
	if right < 85 {
		t.Errorf("%d of %d numbers of upright 1s read, want at least 85", right, ones)
	}

	// The pen's worst case: 1s drawn with a marker by a steady hand, each
	// a near-vertical stroke with round ends.
	marker := picturesReadExactly(t, c, rng, ones, func(int) ([]float64, int, int, string) {
		count := 3 + rng.IntN(3)
		h := 60 + rng.IntN(60)
		pen := float64(h) * (0.04 + 0.05*rng.Float64())
		gap := float64(h) * (0.6 + 0.6*rng.Float64())
		w, ht := int(float64(count)*gap+2*float64(h)), 2*h
		cv := newCanvas(w, ht)
		for i := range count {
			x0, slant := float64(h)+gap*float64(i), float64(h)*0.07*(rng.Float64()-0.5)
			var pts []point
			for j := range 5 {
				f := float64(j) / 4
				pts = append(pts, point{x0 + slant*f + float64(h)*0.02*(rng.Float64()-0.5), float64(h)/2 + f*float64(h)})
			}
			cv.poly(pts, pen)
		}
		return cv.cov, w, ht, strings.Repeat("1", count)
	})
	t.Logf("numbers of marker 1s read: %d/%d", marker, ones)
	if marker < 87 { // measured 90/90; 86 if one 1 of a row may fill less than solidBarFill
		t.Errorf("%d of %d numbers of marker 1s read, want at least 87", marker, ones)
	}
}

// TestReading_ExclamationMark draws "!" in the Go fonts (which the training
// never sees) in the three upload styles: the model reads its stroke as a
// 1 and the dot as a speck, so a stroke over a dot is refused
// (punctuationRead). "1." beside it must still read as a 1: a period sits
// on the baseline beside the digit, not under it. Measured: "!" 0/9
// refused before the rule, 9/9 with it; "1." 9/9 both.
func TestReading_ExclamationMark(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(9, 10))
	refused, ones, total := 0, 0, 0
	for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF} {
		for style := range uploadStyle(3) {
			for _, text := range []string{"!", "1."} {
				w, h := 240, 240
				cv := newCanvas(w, h)
				size := float64(h) * 0.6
				cv.text(t, ttf, size, w/2-int(size/4), h/2+int(size/3), text)
				p, err := c.Classify(context.Background(), renderUpload(t, rng, cv.cov, w, h, style))
				switch {
				case text == "!":
					total++
					if digitbot.ErrorCode(err) == digitbot.ENODIGIT {
						refused++
					}
				case err == nil && p.Number == "1":
					ones++
				}
			}
		}
	}
	t.Logf("\"!\" refused: %d/%d; \"1.\" read as 1: %d/%d", refused, total, ones, total)
	if refused < 7 || ones < 7 {
		t.Errorf("\"!\" refused %d/%d, \"1.\" read as 1 %d/%d; want at least 7 of each", refused, total, ones, total)
	}
}

// TestReading_LettersCutApart draws the letters of the negatives set
// (negLetters) alone in the Go fonts, in the three upload styles. The model
// refuses most read whole, but a cut can find two digit-like pieces in a K
// (1 and a <), an R or an X: glyphCutApart refuses those readings; a B
// was cut along its stem into 13 until cuts kept off columns that are
// mostly ink (alongStroke). What still reads is mostly g as 9, R as 13,
// m as 177.
func TestReading_LettersCutApart(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(9, 10))
	// A canvas of 200-400 px a side, the letter 40-70% of its height.
	canvas := func(rng *rand.Rand) (int, int, float64) {
		w, h := 200+rng.IntN(200), 200+rng.IntN(200)
		return w, h, float64(h) * (0.4 + 0.3*rng.Float64())
	}
	refused, total, read := textReadings(t, c, rng, negLetters, canvas, centred)
	t.Logf("letters refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 165 { // measured 173/189 (148/189 before glyphCutApart, 170 before alongStroke)
		t.Errorf("%d of %d letters refused, want at least 165", refused, total)
	}
	// The B's own check: the stem of a B is no 1.
	_, _, readB := textReadings(t, c, rng, []string{"B"}, canvas, centred)
	for _, r := range readB {
		if strings.HasPrefix(r, "B→1") {
			t.Errorf("%s: a B cut along its stem", r)
		}
	}
}

// TestReading_LowercaseOBesideL types "lol" and its pieces in the Go fonts,
// which the model reads as 101 with confidence, and composes numbers of
// 1s and 0s from MNIST test digits, which must still read:
// lowercaseOBesideTaller tells them apart by the height of the o.
func TestReading_LowercaseOBesideL(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(11, 12))
	refused, total, read := textReadings(t, c, rng, []string{"lol", "lo", "ol", "lool"}, wordCanvas, wordOrigin)
	t.Logf("lol and its pieces refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 32 { // measured 36/36 (0/36 before lowercaseOBesideTaller)
		t.Errorf("%d of %d pictures of lol refused, want at least 32", refused, total)
	}

	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	const n = 300
	right := numbersRead(t, c, rng, n, 0.2, func() (digits []*input, want string) {
		for range 2 + rng.IntN(3) {
			d := rng.IntN(2)
			digits = append(digits, randomOf(rng, m, byLabel, d))
			want += string(rune('0' + d))
		}
		return digits, want
	})
	t.Logf("numbers of 1s and 0s: %d/%d exact", right, n)
	if right < 265 { // measured 275/300, with and without lowercaseOBesideTaller (a 0 beside a 1 only, then any digit); 277 since wideAspectInLine
		t.Errorf("%d/%d numbers of 1s and 0s read exactly, want at least 265", right, n)
	}
}

// TestReading_LowercaseOBesideTaller types short words with a lowercase o
// beside a capital or an ascender, which the model reads as numbers with
// confidence ("bob" 606, "So" 50, "Jo" 30, "go" 90), and composes numbers of 0s
// among the round digits (3, 5, 6, 8, 9) from MNIST test digits, which
// must still read: lowercaseOBesideTaller tells them apart by the height
// of the o.
func TestReading_LowercaseOBesideTaller(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(13, 14))
	refused, total, read := textReadings(t, c, rng, []string{"Bob", "bob", "bo", "ob", "So", "Jo", "go", "og", "yo"}, wordCanvas, wordOrigin)
	t.Logf("words with a lowercase o refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 63 { // measured 70/81 (24/81 when a 0 was judged beside a 1 only; 81/81 at 0.8 of the height, which cost the numbers of varied sizes below 15)
		t.Errorf("%d of %d pictures of words with a lowercase o refused, want at least 63", refused, total)
	}

	m := loadMNISTTest(t)
	byLabel := mnistByLabel(m)
	const n = 300
	right := numbersRead(t, c, rng, n, 0.2, numbersWithZero(rng, m, byLabel, []int{0, 3, 5, 6, 8, 9}))
	t.Logf("numbers of 0s among round digits: %d/%d exact", right, n)
	if right < 275 { // measured 285/300, the same as before the o was judged beside any digit
		t.Errorf("%d/%d numbers of 0s among round digits read exactly, want at least 275", right, n)
	}

	// Handwritten digits differ in size, and a small 0 beside a big digit is
	// what the rule could mistake for an o: numbers holding a 0, each digit
	// scaled by 0.7-1.0 on its own, bottoms level.
	right = numbersComposedRead(t, c, rng, n, numbersWithZero(rng, m, byLabel, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), composeVariedSizes)
	t.Logf("numbers holding a 0, digits of varied sizes: %d/%d exact", right, n)
	if right < 283 { // measured 291/300 (292 when a 0 was judged beside a 1 only, 295 with no o rule, 276 beside any digit at 0.8 of its height)
		t.Errorf("%d/%d numbers of digits of varied sizes read exactly, want at least 283", right, n)
	}
}

// composeVariedSizes lays MNIST digits out in a row as a hand writes
// them: each scaled on its own to 0.7-1.0 of the number's height, bottoms
// level, 5-30% of the height apart.
func composeVariedSizes(rng *rand.Rand, digits []*input) (cov []float64, w, h int) {
	H := 36 + rng.Float64()*54
	var ps []placedDigit
	x, top := 0.3*H, math.Inf(1)
	for i, d := range digits {
		f := H / 20 * (0.7 + 0.3*rng.Float64()) // MNIST digits are about 20 of their 28 pixels tall
		c0, c1, _, r1 := inkExtent(d)
		if i > 0 {
			x += (0.05 + 0.25*rng.Float64()) * H
		}
		p := placedDigit{px: d, x: x - float64(c0)*f, y: 1.4*H - float64(r1)*f, f: f}
		ps = append(ps, p)
		top = min(top, p.y)
		x += float64(c1-c0) * f
	}
	w, h = int(x+0.3*H), int(1.4*H-top+0.4*H)
	return paintDigits(ps, w, h, 0.2*H-top), w, h
}

// textReadings types each text in the Go fonts (regular, bold, italic) in
// the three upload styles, on the canvas and at the size canvas gives, at
// the origin at gives, and classifies it: how many were refused as not a
// digit, and what the others were read as.
func textReadings(t *testing.T, c *Classifier, rng *rand.Rand, texts []string,
	canvas func(*rand.Rand) (w, h int, size float64), at func(w, h int, size float64) (x, y int)) (refused, total int, read []string) {
	t.Helper()
	for _, text := range texts {
		for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF} {
			for style := range uploadStyle(3) {
				w, h, size := canvas(rng)
				x, y := at(w, h, size)
				cv := newCanvas(w, h)
				cv.text(t, ttf, size, x, y, text)
				total++
				if number, ok := readOrRefused(t, c, renderUpload(t, rng, cv.cov, w, h, style)); ok {
					read = append(read, text+"→"+number)
				} else {
					refused++
				}
			}
		}
	}
	return refused, total, read
}

// centred places a glyph of the given size about the canvas's centre.
func centred(w, h int, size float64) (x, y int) { return w/2 - int(size/3), h/2 + int(size/3) }

// wordCanvas is a canvas of 240-440 x 160-360 px for a short word, its
// letters a quarter of the width high.
func wordCanvas(rng *rand.Rand) (w, h int, size float64) {
	w, h = 240+rng.IntN(200), 160+rng.IntN(200)
	return w, h, float64(w) / 4
}

// wordOrigin starts a word of the given size near the canvas's left
// edge, about its middle.
func wordOrigin(w, h int, size float64) (x, y int) { return int(size / 3), h/2 + int(size/3) }

// picturesRefused renders n pictures drawn by draw, in the three upload
// styles in turn, and counts those refused as not a digit; read lists the
// numbers read from the others.
func picturesRefused(t *testing.T, c *Classifier, rng *rand.Rand, n int, draw func(k int) (cov []float64, w, h int)) (refused int, read []string) {
	t.Helper()
	for k := range n {
		cov, w, h := draw(k)
		if number, ok := readOrRefused(t, c, renderUpload(t, rng, cov, w, h, uploadStyle(k%3))); ok {
			read = append(read, number)
		} else {
			refused++
		}
	}
	return refused, read
}

// readOrRefused classifies a picture that should be refused: the number
// read and true, or false when it is refused as not a digit. Any other
// error fails the test.
func readOrRefused(t *testing.T, c *Classifier, data []byte) (number string, read bool) {
	t.Helper()
	p, err := c.Classify(context.Background(), data)
	switch {
	case digitbot.ErrorCode(err) == digitbot.ENODIGIT:
		return "", false
	case err != nil:
		t.Fatal(err)
	}
	return p.Number, true
}

// numbersRead composes n numbers of MNIST test digits, each as digits
// draws it (the digits and the number they make), with the share touch of
// neighbouring pairs touching, renders them in the three upload styles in
// turn, and counts those read exactly.
func numbersRead(t *testing.T, c *Classifier, rng *rand.Rand, n int, touch float64, digits func() ([]*input, string)) (right int) {
	t.Helper()
	return numbersComposedRead(t, c, rng, n, digits, func(rng *rand.Rand, d []*input) ([]float64, int, int) {
		cov, w, h, _ := composeNumberBoxes(rng, d, touch)
		return cov, w, h
	})
}

// numbersComposedRead is numbersRead with the digits laid out by compose.
func numbersComposedRead(t *testing.T, c *Classifier, rng *rand.Rand, n int, digits func() ([]*input, string),
	compose func(*rand.Rand, []*input) (cov []float64, w, h int)) (right int) {
	t.Helper()
	return picturesReadExactly(t, c, rng, n, func(int) ([]float64, int, int, string) {
		d, want := digits()
		cov, w, h := compose(rng, d)
		return cov, w, h, want
	})
}

// picturesReadExactly renders n pictures of numbers drawn by draw (the
// coverage, its size and the number it shows), in the three upload styles
// in turn, and counts those read as exactly that number.
func picturesReadExactly(t *testing.T, c *Classifier, rng *rand.Rand, n int, draw func(k int) (cov []float64, w, h int, want string)) (right int) {
	t.Helper()
	for k := range n {
		cov, w, h, want := draw(k)
		p, err := c.Classify(context.Background(), renderUpload(t, rng, cov, w, h, uploadStyle(k%3)))
		if err == nil && p.Number == want {
			right++
		}
	}
	return right
}

// mnistByLabel indexes the MNIST test digits by their label.
func mnistByLabel(m mnistTest) map[int][]int {
	byLabel := map[int][]int{}
	for i, l := range m.labels {
		byLabel[l] = append(byLabel[l], i)
	}
	return byLabel
}

// randomOf returns a random MNIST test image of digit d (byLabel is
// mnistByLabel's).
func randomOf(rng *rand.Rand, m mnistTest, byLabel map[int][]int, d int) *input {
	ids := byLabel[d]
	return &m.images[ids[rng.IntN(len(ids))]]
}

// numbersWithZero draws numbers of 2-4 MNIST test digits from pool, one of
// them, anywhere, a 0.
func numbersWithZero(rng *rand.Rand, m mnistTest, byLabel map[int][]int, pool []int) func() ([]*input, string) {
	return func() (digits []*input, want string) {
		count := 2 + rng.IntN(3)
		zero := rng.IntN(count)
		for k := range count {
			d := pool[rng.IntN(len(pool))]
			if k == zero {
				d = 0
			}
			digits = append(digits, randomOf(rng, m, byLabel, d))
			want += string(rune('0' + d))
		}
		return digits, want
	}
}

// TestReading_WordsCutApart types two-letter words whose letters a cut
// can split into digit-like pieces (the K of "OK" into 1 and a <) in the
// Go fonts: beside another letter, glyphCutApart must judge its pieces
// too, although less strictly than a letter alone (touching digits in a
// line are cut more often).
func TestReading_WordsCutApart(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(13, 14))
	refused, total, read := textReadings(t, c, rng, []string{"OK", "KO", "OX", "XO", "OR", "RO"}, wordCanvas, wordOrigin)
	t.Logf("words cut apart refused: %d/%d; read: %s", refused, total, strings.Join(read, " "))
	if refused < 38 { // measured 41/54 (21 when glyphCutApart judged only the letters cut because they stand in a line, 18 none)
		t.Errorf("%d of %d words refused, want at least 38", refused, total)
	}
}
