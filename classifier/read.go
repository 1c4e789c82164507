package classifier

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
)

type input = [digitbot.InputSide * digitbot.InputSide]uint8

// lineInk is a preprocessed picture: its digit candidates, left to right,
// each with the pieces its candidate cuts allow.
type lineInk struct {
	groups []groupInk
}

// groupInk is one digit candidate. bounds holds its left edge, candidate
// cuts and right edge (working columns); pieces[i][j] is the ink between
// bounds[i] and bounds[j], nil when that piece is not considered.
type groupInk struct {
	bounds []int
	height int
	pieces [][]*pieceInk
}

// pieceInk is one piece fitted for the model, and where it lies in the
// picture (x, y, width, height in its pixels).
type pieceInk struct {
	px  input
	box [4]int
}

// readInk preprocesses a picture into its digit candidates. A picture
// with one candidate goes through exactly the one-digit path (Preprocess);
// the pieces of a wider one are added next to it.
func readInk(img image.Image) (line *lineInk, err error) {
	defer func() {
		if r := recover(); r != nil {
			line = nil
			err = digitbot.WrapError(digitbot.EINVALIDIMAGE,
				"The image could not be read: its pixel data is invalid.", fmt.Errorf("preprocess panic: %v", r))
		}
	}()
	if img == nil || img.Bounds().Empty() {
		return nil, digitbot.Errorf(digitbot.EINVALIDIMAGE, "The image has no pixels.")
	}
	page, err := findInk(toGrey(img))
	if err != nil {
		return nil, err
	}
	gs := page.groups()
	if len(gs) > digitbot.MaxNumberDigits {
		return nil, tooManyDigits(len(gs))
	}
	line = &lineInk{groups: make([]groupInk, max(len(gs), 1))}
	var scratch []float32
	for gi, g := range gs {
		b := page.bounds(g)
		gk := groupInk{bounds: b, height: g.box.Dy(), pieces: make([][]*pieceInk, len(b))}
		for i := range b {
			gk.pieces[i] = make([]*pieceInk, len(b))
		}
		for i := range len(b) - 1 {
			for j := i + 1; j < len(b); j++ {
				whole := i == 0 && j == len(b)-1
				if (whole && len(gs) == 1) || (!whole && float64(b[j]-b[i]) > maxPieceAspect*float64(g.box.Dy())) {
					continue // the one-digit path below; a piece too wide for a digit
				}
				d := page.piece(g, b[i], b[j])
				// A piece much shorter than its candidate is a fragment
				// (the end of a 5's flag), not a digit.
				if len(d.pixels) < minInkPixels || (!whole && 20*d.box.Dy() < 11*g.box.Dy()) {
					continue
				}
				if scratch == nil {
					scratch = make([]float32, page.w*page.h)
				}
				m := page.render(&d, scratch)
				px, err := fitAndCentre(m)
				if err != nil {
					continue
				}
				gk.pieces[i][j] = &pieceInk{px: px, box: page.sourceBox(d.box)}
			}
		}
		line.groups[gi] = gk
	}
	if len(gs) <= 1 {
		// One candidate (or none the grouping kept): the one-digit path,
		// unchanged, for the whole of it. It works on the strengths in
		// place, so it comes last.
		m, err := page.single()
		if err != nil {
			return nil, err
		}
		px, err := fitAndCentre(m)
		if err != nil {
			return nil, err
		}
		if len(gs) == 0 {
			line.groups[0] = groupInk{bounds: []int{0, 1}, height: 1, pieces: [][]*pieceInk{{nil, nil}, {nil, nil}}}
		}
		gk := &line.groups[0]
		gk.pieces[0][len(gk.bounds)-1] = &pieceInk{px: px, box: page.sourceBox(m.crop)}
	}
	return line, nil
}

func tooManyDigits(n int) *digitbot.Error {
	return digitbot.Errorf(digitbot.ETOOMANYDIGITS,
		"I found %d marks that look like digits in this picture; I read numbers of at most %d digits.", n, digitbot.MaxNumberDigits)
}

// scores is what the model says about one piece, calibrated: the
// probability of each digit and of "not a digit" (0 for a 10-class model)
// sum to 1.
type scores struct {
	digit      int
	confidence float64
	probs      [10]float64
	notDigit   float64
}

// notADigit is the refusal rule for one piece: "not a digit" is the most
// probable class.
func (s scores) notADigit() bool { return s.notDigit > s.confidence }

// calibrate applies the card's temperature and a softmax over all the
// model's classes. With 10 classes and no temperature it is Softmax.
func calibrate(logits []float64, temperature float64) scores {
	z := make([]float64, len(logits))
	m := math.Inf(-1)
	for i, v := range logits {
		z[i] = v / temperature
		m = max(m, z[i])
	}
	var sum float64
	for i, v := range z {
		z[i] = math.Exp(v - m)
		sum += z[i]
	}
	var s scores
	for i := range z {
		z[i] /= sum
	}
	copy(s.probs[:], z)
	if len(z) > digitbot.NotDigitClass {
		s.notDigit = z[digitbot.NotDigitClass]
	}
	for d, q := range s.probs {
		if q > s.confidence {
			s.digit, s.confidence = d, q
		}
	}
	return s
}

// Scoring of a segmentation: the sum over its pieces of the log of their
// confidence, minus cutCost for each cut inside a candidate (a whole digit
// should not come apart for a small gain) and widePenalty per unit of
// aspect ratio beyond wideFrom (a piece wider than tall is rarely one
// digit). Chosen on generated numbers with touching pairs against MNIST
// digits read alone: with cutCost 0.5, 6 in 3,333 MNIST digits came apart;
// with 1.0 none did, and 81% of 2-3-digit numbers whose every pair
// touches were read exactly (96% when none touch).
const (
	cutCost     = 1.0
	widePenalty = 3.0
	wideFrom    = 1.0
)

// bestPath chooses the segmentation of one candidate: the sequence of
// bounds indexes 0 = i0 < i1 < ... < last maximising the score, by dynamic
// programming over the bounds. It returns nil if no piece chain covers it.
func bestPath(g *groupInk, sc map[*pieceInk]scores, height int) []int {
	n := len(g.bounds)
	best := make([]float64, n)
	prev := make([]int, n)
	for j := range best {
		best[j], prev[j] = math.Inf(-1), -1
	}
	best[0] = 0
	for j := 1; j < n; j++ {
		for i := range j {
			pc := g.pieces[i][j]
			if pc == nil || math.IsInf(best[i], -1) {
				continue
			}
			s := sc[pc]
			v := best[i] + math.Log(max(s.confidence, 1e-12))
			if j < n-1 {
				v -= cutCost
			}
			if a := float64(g.bounds[j]-g.bounds[i]) / float64(max(height, 1)); a > wideFrom {
				v -= widePenalty * (a - wideFrom)
			}
			if v > best[j] {
				best[j], prev[j] = v, i
			}
		}
	}
	if math.IsInf(best[n-1], -1) {
		return nil
	}
	var path []int
	for j := n - 1; j >= 0; j = prev[j] {
		path = append([]int{j}, path...)
		if j == 0 {
			break
		}
	}
	return path
}

// Classify decodes, preprocesses and classifies one image: the digit, or
// the digits of a number left to right. Errors are *digitbot.Error:
// EINVALIDIMAGE, EUNSUPPORTED, ETOOLARGE, ENODIGIT (blank, or not a
// digit), ETOOMANYDIGITS for the image, EUNAVAILABLE when ctx ends before
// a worker is free or the Classifier is closed, EINTERNAL if the model
// fails.
func (c *Classifier) Classify(ctx context.Context, data []byte) (digitbot.Prediction, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Prediction{}, digitbot.WrapError(digitbot.EUNAVAILABLE, "The request was cancelled.", err)
	}
	line, err := c.prepare(ctx, data)
	if err != nil {
		return digitbot.Prediction{}, err
	}
	var inputs []*input
	var order []*pieceInk
	for gi := range line.groups {
		for _, row := range line.groups[gi].pieces {
			for _, pc := range row {
				if pc != nil {
					inputs, order = append(inputs, &pc.px), append(order, pc)
				}
			}
		}
	}
	logits, err := c.run(ctx, inputs...)
	if err != nil {
		return digitbot.Prediction{}, err
	}
	sc := make(map[*pieceInk]scores, len(order))
	for k, pc := range order {
		sc[pc] = calibrate(logits[k], c.temperature)
	}
	var digits []digitbot.DigitReading
	notDigit := false
	for gi := range line.groups {
		g := &line.groups[gi]
		path := bestPath(g, sc, line.height(gi))
		if path == nil {
			return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENODIGIT,
				"I couldn't find any ink that could be a digit in this image: there is too little.")
		}
		for k := 1; k < len(path); k++ {
			pc := g.pieces[path[k-1]][path[k]]
			s := sc[pc]
			notDigit = notDigit || s.notADigit()
			digits = append(digits, digitbot.DigitReading{Digit: s.digit, Confidence: s.confidence, Probabilities: s.probs, Box: pc.box, Input: pc.px})
		}
	}
	if notDigit {
		if len(digits) == 1 {
			return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENODIGIT, "This doesn't look like a digit to me.")
		}
		return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENODIGIT, "This doesn't look like a number to me: part of it is not a digit.")
	}
	if len(digits) > digitbot.MaxNumberDigits {
		return digitbot.Prediction{}, tooManyDigits(len(digits))
	}
	return c.prediction(digits), nil
}

// prediction assembles a reading as digitbot.Prediction documents it.
func (c *Classifier) prediction(digits []digitbot.DigitReading) digitbot.Prediction {
	p := digitbot.Prediction{Digits: digits, ModelSHA256: c.card.ONNXSHA256, CreatedAt: time.Now().UTC()}
	var b strings.Builder
	for _, d := range digits {
		b.WriteByte(byte('0' + d.Digit))
	}
	p.Number = b.String()
	if len(digits) == 1 {
		d := digits[0]
		p.Digit, p.Confidence, p.Probabilities, p.Input = d.Digit, d.Confidence, d.Probabilities, d.Input
		return p
	}
	p.Digit, p.Confidence = -1, 1
	for _, d := range digits {
		p.Confidence *= d.Confidence
	}
	return p
}

// height is the working height of candidate gi, which scales its pieces'
// widths in bestPath.
func (l *lineInk) height(gi int) int { return l.groups[gi].height }

// prepare decodes and preprocesses in the caller's goroutine, once one of
// the decoding slots is free.
func (c *Classifier) prepare(ctx context.Context, data []byte) (*lineInk, error) {
	select {
	case <-c.closed:
		return nil, digitbot.Errorf(digitbot.EUNAVAILABLE, "The classifier is shutting down.")
	case <-ctx.Done():
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "The classifier is busy; please try again.", ctx.Err())
	case c.decoding <- struct{}{}:
	}
	defer func() { <-c.decoding }()
	img, err := Decode(data, c.maxBytes, c.maxPixels)
	if err != nil {
		return nil, err
	}
	return readInk(img)
}
