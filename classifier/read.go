package classifier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
)

type input = [digitbot.InputSide * digitbot.InputSide]uint8

// lineInk is a preprocessed picture as a graph of the ways to read it:
// positions 0..nodes-1 run left to right, and each edge is one piece of
// ink read as one digit. Every path from 0 to nodes-1 is a segmentation.
type lineInk struct {
	nodes      int
	edges      []pieceEdge
	candidates int // digit candidates found (see inkPage.groups)
	// freeCut is set, by candidate, when a cut inside it crosses no
	// stroke, and so costs nothing.
	freeCut []bool
	// dotBelow is set, by candidate, for a stroke over a dot (a "!"): read
	// whole, it is not a digit.
	dotBelow []bool
	// aspect is, by candidate, its width over its height (glyphCutApart).
	aspect []float64
	// narrow is set, by candidate, when its cuts are those of a candidate
	// narrower than wideAspectInLine (narrowAspectInLine): its pieces are
	// read only when the model refuses it whole.
	narrow []bool
	// barred is set for a candidate alone with a bar through it from top
	// to bottom (barThrough; barredGlyph).
	barred bool
	// shadow is set when the paper was estimated under a shadow: if this
	// reading is refused, Classify reads the picture again with a
	// narrower opening (findInk's narrowShadow).
	shadow bool
}

// pieceEdge is one piece: a whole candidate, the part of one between two
// cuts, or two neighbouring candidates merged (a digit whose strokes were
// grouped apart).
type pieceEdge struct {
	from, to int
	piece    *pieceInk
	cut      int  // it ends at a cut inside a candidate that crosses this many strokes; 0 otherwise
	slash    bool // that cut crosses a slash (cutPath.slash)
	// merge is, for two merged candidates, the gap between them over
	// their height (negative when their boxes overlap); 0 otherwise.
	merge  float64
	aspect float64 // width over the candidate's height
	// group is the candidate the piece is part of (-1 for a merge), and
	// whole is set when the piece is all of it.
	group int
	whole bool
	// abuts is set for a whole candidate beside one whose box it touches
	// or overlaps (segmentPrior.shortOne).
	abuts bool
}

// pieceInk is one piece fitted for the model, and where it lies in the
// picture (x, y, width, height in its pixels).
type pieceInk struct {
	px  input
	box [4]int
	// fill is the share of its box its ink covers (1 for a solid
	// rectangle; barsReadAsOnes).
	fill float64
	// inkY is where its ink's centre of mass lies down its candidate, as
	// a share of the candidate's height (slashCutApart).
	inkY float64
	// edgeToEdge is set when its ink runs from the picture's top edge to
	// its bottom edge, give or take a fortieth of the height
	// (barsReadAsOnes).
	edgeToEdge bool
	// tall is its ink's height over its candidate's, or the line's digit
	// height if that is more (segmentPrior.shortOne).
	tall float64
}

// Candidates further apart than maxMergeGap of their height, or together
// wider than maxMergeAspect times it, are never read as one digit: a digit
// whose strokes were grouped apart is about as wide as tall, and each
// merge costs an inference.
const (
	maxMergeGap    = 0.2
	maxMergeAspect = 1.3
)

// readInk preprocesses a picture into the ways to read it. A picture with
// one candidate goes through exactly the one-digit path (Preprocess) for
// the whole of it; the pieces of its cuts are added next to it.
func readInk(img image.Image) (line *lineInk, err error) { return readInkScratch(img, nil, false) }

// readInkScratch is readInk with its big buffers from sc; the reading it
// returns holds none of them. narrowShadow is findInk's.
func readInkScratch(img image.Image, sc *scratch, narrowShadow bool) (line *lineInk, err error) {
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
	page, err := findInk(toGreyScratch(img, sc), narrowShadow)
	if err != nil {
		return nil, err
	}
	gs := page.groups()
	if len(gs) > digitbot.MaxNumberDigits {
		return nil, tooManyDigits(len(gs))
	}
	line = &lineInk{candidates: len(gs), shadow: page.shadow}
	if len(gs) == 1 && gs[0].box.Dy() >= barMinHeight {
		line.barred = barThrough(page.mask(gs[0]), gs[0].box.Dx(), gs[0].box.Dy())
	}
	var scratch []float32
	// The line's typical digit height: a candidate of two digits that
	// touch on a wandering baseline is taller than either.
	heights := make([]int, len(gs))
	for k, g := range gs {
		heights[k] = g.box.Dy()
	}
	slices.Sort(heights)
	// Alone, a piece shorter than 55% of its candidate is a fragment; in
	// a line, one shorter than 45% of the typical digit (a flat 2 on a
	// baseline that wanders is a digit).
	fragment := func(g lineGroup, h int) bool { return 20*h < 11*g.box.Dy() }
	lineHeight := 0
	if len(gs) > 1 {
		lineHeight = heights[(len(heights)-1)/2]
		fragment = func(g lineGroup, h int) bool { return 20*h < 9*lineHeight }
	}
	fit := func(g lineGroup, left, right *cutPath) *pieceInk {
		d := page.piece(g, left, right)
		// A piece much shorter than a digit is a fragment (the end of a
		// 5's flag).
		if len(d.pixels) < minInkPixels || fragment(g, d.box.Dy()) {
			return nil
		}
		if scratch == nil {
			// Pieces write and read only around their own crop.
			scratch = sc.floatBuf(bufPiece, page.w*page.h)
		}
		px, err := fitAndCentre(page.render(&d, scratch))
		if err != nil {
			return nil
		}
		fill := float64(len(d.pixels)) / float64(d.box.Dx()*d.box.Dy())
		var sumY int
		for _, p := range d.pixels {
			sumY += int(p.y) - g.box.Min.Y
		}
		inkY := (float64(sumY)/float64(len(d.pixels)) + 0.5) / float64(g.box.Dy())
		return &pieceInk{px: px, box: page.sourceBox(d.box), fill: fill, inkY: inkY,
			edgeToEdge: 40*d.box.Min.Y <= page.h && 40*d.box.Max.Y >= 39*page.h,
			tall:       float64(d.box.Dy()) / float64(max(g.box.Dy(), lineHeight))}
	}
	cutAspect := wideAspect // how wide a candidate must be to be cut
	places := maxCuts       // and at most how many places to cut it
	spacing := cutSpacing   // and how close (a spacing-th of its height)
	if len(gs) > 1 {
		cutAspect, places, spacing = wideAspectInLine, maxCutsInLine, cutSpacingInLine
	}
	start := 0 // the node at the left edge of the current candidate
	var starts []int
	for k, g := range gs {
		starts = append(starts, start)
		// The candidate's edges (nil) and its cuts, left to right.
		inner := page.cuts(g, cutAspect, places, spacing)
		narrow := false
		if len(gs) > 1 && inner == nil {
			inner = page.cuts(g, narrowAspectInLine, places, spacing)
			narrow = inner != nil
		}
		b := append(append([]*cutPath{nil}, inner...), nil)
		line.narrow = append(line.narrow, narrow)
		line.freeCut = append(line.freeCut, !narrow && slices.ContainsFunc(b[1:len(b)-1], func(c *cutPath) bool { return c.crossings == 0 }))
		line.dotBelow = append(line.dotBelow, page.dotBelow(g))
		// Whether its box touches a neighbour's (within a fortieth of its
		// height) or overlaps it.
		abuts := false
		for _, n := range [2]int{k - 1, k + 1} {
			if n >= 0 && n < len(gs) {
				gap := max(gs[n].box.Min.X-g.box.Max.X, g.box.Min.X-gs[n].box.Max.X)
				abuts = abuts || 40*gap <= g.box.Dy()
			}
		}
		line.aspect = append(line.aspect, float64(g.box.Dx())/float64(g.box.Dy()))
		// A piece's aspect is its width over the candidate's height, or
		// the line's digit height if that is more: a squat digit (a wide,
		// low 4) is no wider than its neighbours.
		H := float64(max(g.box.Dy(), lineHeight))
		mid := func(k int) int {
			switch {
			case k == 0:
				return g.box.Min.X
			case k == len(b)-1:
				return g.box.Max.X
			}
			return b[k].mid
		}
		for i := range len(b) - 1 {
			for j := i + 1; j < len(b); j++ {
				whole := i == 0 && j == len(b)-1
				width := float64(mid(j) - mid(i))
				if (whole && len(gs) == 1) || (!whole && width > maxPieceAspect*H) {
					continue // the one-digit path below; a piece too wide for a digit
				}
				if pc := fit(g, b[i], b[j]); pc != nil {
					crossings, slash := 0, false
					if b[j] != nil {
						crossings, slash = b[j].crossings, b[j].slash
					}
					line.edges = append(line.edges, pieceEdge{from: start + i, to: start + j, piece: pc,
						cut: crossings, slash: slash, aspect: width / H, group: k, whole: whole, abuts: whole && abuts})
				}
			}
		}
		start += len(b) - 1
	}
	line.nodes = start + 1
	// Neighbours close enough to be one digit drawn in separate strokes.
	for k := 0; k+1 < len(gs); k++ {
		a, b := gs[k], gs[k+1]
		u := a.box.Union(b.box)
		gap := float64(b.box.Min.X-a.box.Max.X) / float64(u.Dy())
		if gap > maxMergeGap || float64(u.Dx()) > maxMergeAspect*float64(u.Dy()) {
			continue
		}
		m := lineGroup{comps: append(slices.Clone(a.comps), b.comps...), box: u}
		if pc := fit(m, nil, nil); pc != nil {
			next := line.nodes - 1
			if k+2 < len(gs) {
				next = starts[k+2]
			}
			line.edges = append(line.edges, pieceEdge{from: starts[k], to: next, piece: pc,
				merge: cmp.Or(gap, -1e-3), aspect: float64(u.Dx()) / float64(u.Dy()), group: -1})
		}
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
		// Its aspect stays 0: read whole, a candidate alone pays nothing
		// for its width (some MNIST digits are twice as wide as tall, and
		// with the penalty one in 10,000 came apart).
		line.edges = append(line.edges, pieceEdge{from: 0, to: line.nodes - 1, piece: &pieceInk{px: px, box: page.sourceBox(m.crop)}, whole: true})
	}
	return line, nil
}

func tooManyDigits(n int) *digitbot.Error {
	return digitbot.Errorf(digitbot.ETOOMANYDIGITS,
		"I found %d marks that look like digits in this picture; I read numbers of at most %d digits.", n, digitbot.MaxNumberDigits)
}

// scores is what the model says about one piece, calibrated: the
// probability of each digit and of "not a digit" (0 for a 10-class model)
// sum to 1. The digits' are reported as they are, so with an 11-class
// model Prediction.Probabilities sums to 1 minus the "not a digit" share.
type scores struct {
	digit      int
	confidence float64
	probs      [10]float64
	notDigit   float64
	logits     []float64 // the model's, before the temperature
}

// notADigit is the refusal rule for one piece: "not a digit" is the most
// probable class. A reading is refused (ENODIGIT) when any of its digits
// is refused: a number with a piece that is not a digit is a picture of
// something else, or a segmentation the model does not believe.
func (s scores) notADigit() bool { return s.notDigit > s.confidence }

// Within a number, a piece "not a digit" wins by less than doubtfulMargin
// is read, as a digit the model is unsure of, when at least doubtfulSure
// other digits of the reading are read with doubtfulSureConfidence or
// more (refusedInReading).
const (
	doubtfulMargin         = 0.3
	doubtfulSure           = 2
	doubtfulSureConfidence = 0.9
)

// Within a number of at least longSure other digits read with
// doubtfulSureConfidence, longSureNotOne of them not 1s, a piece the model
// finds not a digit between two others is read whatever the margin: one
// ugly digit (a broken 4, an 8 like an ampersand) in a number the model
// otherwise reads with confidence is a digit, shown with its low
// confidence, and one refusal no longer costs the whole number. The 1s do
// not count towards longSureNotOne: a chart's bars are sure 1s (three
// charts were read as 111111 and the like without it). Not at either end:
// a sign or a word before or after a number ("#123", "€250", "No 42") is
// no digit, and was read as one (TestReading_SignsBesideNumbers 81 -> 19
// of 108 refused with the ends, 81 without). Measured on generated
// pictures (before -> after): the MNIST numbers of 5-8 digits 140 -> 141
// of 150, on three other seeds 413 -> 422 of 450 and on three more 412 ->
// 419; of 2-4 digits 866 -> 867 and 867 -> 869 of 900; numbers of six
// digits (TestNumbers_SixDigits) 250 -> 262 of 300 with half the pairs
// touching, 212 -> 219 with all; the negatives on seven seeds (2,800
// pictures), MNIST and every other set unchanged. Four sure digits instead
// of three read 1 to 2 fewer of each numbers set; two, 4 more of those
// 900 numbers but a scribble as 775.
const (
	longSure       = 3
	longSureNotOne = 2
)

// refusedInReading reports whether piece k of path refuses the reading:
// the model finds it not a digit (notADigit), and it is not a doubtful
// digit among digits the model is sure of, nor any digit between others
// in a number of them (longSure). Between digits read with
// confidence, an ugly digit is likelier than a mark that is not one, and
// the reading shows it unsure. Measured on generated pictures: touching
// numbers of 1s, 4s and 7s 212 -> 217 of 300 (TestNumbers_TouchingOnes);
// MNIST numbers of 5-8 digits on three other seeds of the set 794 -> 802
// of 900, 2-4 digits and the canonical sets unchanged; the negatives 375
// of 400 unchanged (on three other seeds 1 fewer of 1,200 refused); MNIST
// unchanged. With one sure digit instead of two, one more touching pair
// read and one more negative; with a margin of 0.5, one more touching
// number and one more negative.
func refusedInReading(sc map[*pieceInk]scores, path []*pieceInk, k int) bool {
	s := sc[path[k]]
	if !s.notADigit() {
		return false
	}
	sure, sureNotOne := 0, 0
	for j, pc := range path {
		if j != k && sc[pc].confidence >= doubtfulSureConfidence {
			sure++
			if sc[pc].digit != 1 {
				sureNotOne++
			}
		}
	}
	if k > 0 && k < len(path)-1 && sure >= longSure && sureNotOne >= longSureNotOne {
		return false
	}
	if s.notDigit-s.confidence >= doubtfulMargin {
		return true
	}
	return sure < doubtfulSure
}

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
	s := scores{logits: logits}
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

// segmentPrior scores a segmentation besides the model, which gives the
// sum over its pieces of the log of their confidence. It subtracts
// cutCost for each cut inside a candidate (a whole digit should not come
// apart for a small gain) and crossCost for each stroke it crosses beyond
// the first, widePenalty per unit of aspect ratio beyond
// wideFrom (a piece wider than tall is rarely one digit), and for two
// candidates merged into one digit mergeCost plus mergeGap times their gap
// over their height.
type segmentPrior struct {
	cutCost, crossCost, widePenalty, wideFrom, mergeCost, mergeGap float64
	// shortOnePenalty is paid by a piece cut from a candidate, read as a
	// 1, whose ink is under shortOne of the candidate's height: a sliver
	// cut off the side of a wide digit (the left of a 0, the right of a
	// 6), which any straight stroke passes for ("10" read as 110, "260" as
	// 2610). A 1 that touches a neighbour is about as tall as it. Measured
	// on generated pictures (before -> after, shortOne 0.8, penalty 1):
	// MNIST numbers of 2-4 digits 293 -> 294 of 300, on three other seeds
	// 867 -> 867 and 869 -> 870 of 900; of 5-8 digits 141 -> 141 of 150,
	// 422 -> 423 and 419 -> 421 of 450; touching pairs 364 -> 367 of 400;
	// touching 1s, 4s and 7s 216 -> 217 of 300; touching 1s among other
	// digits 155 -> 154 of 200; six-digit numbers, every pair touching,
	// 219 -> 220; numbers holding a 0 294 -> 295; non-digits 1 more of
	// 2,800 refused; MNIST unchanged. At 0.85, 5 of those gains were lost
	// (six-digit numbers 2, 5-8 digits 1, touching 1s 1).
	//
	// A whole candidate pays it too when its box touches a neighbour's
	// (pieceEdge.abuts): the side of a 6 broken off as a separate stroke,
	// "260" read as 2610 (MNIST numbers of 2-4 digits on seeds 31-33 875
	// -> 876 of 900, nothing else changed). Any short candidate read as 1
	// paying it let bar charts be read as 1s (6 of 2,800 non-digits).
	shortOne, shortOnePenalty float64
}

// alonePrior applies to one candidate alone, most likely one digit however
// wide: MNIST has digits half again as wide as tall. Chosen on MNIST test
// digits read alone against numbers whose every pair touches: with a cut
// cost of 0.5, 6 in 3,333 MNIST digits came apart; with 1.0 none did, and
// 81% of the 2-3-digit touching numbers were read exactly. The 8-epoch
// 11-class model refuses a few odd single digits as wholes, which then
// pay to be cut: at 1.0 one MNIST 4 read as "14", at 1.3 none, with the
// numbers set unchanged.
func alonePrior() segmentPrior {
	return segmentPrior{cutCost: 1.3, crossCost: 1.0, widePenalty: 3, wideFrom: 1.0, shortOne: 0.8, shortOnePenalty: 1}
}

// linePrior applies next to other candidates: the picture is probably a
// number, a candidate wider than a digit probably digits that touch, and
// two candidates apart probably two digits.
func linePrior() segmentPrior {
	return segmentPrior{cutCost: 0.5, crossCost: 0.5, widePenalty: 4, wideFrom: 1.0, mergeCost: 0.5, mergeGap: 10,
		shortOne: 0.8, shortOnePenalty: 1}
}

// edgeScore is what one piece adds to a segmentation's score: the log of
// its confidence, less the prior's costs.
func (prior segmentPrior) edgeScore(e *pieceEdge, s scores) float64 {
	v := math.Log(max(s.confidence, 1e-12))
	if e.cut > 0 {
		v -= prior.cutCost + prior.crossCost*float64(e.cut-1)
	}
	if e.merge > 0 {
		v -= prior.mergeCost + prior.mergeGap*e.merge
	} else if e.merge < 0 {
		v -= prior.mergeCost / 2 // boxes that overlap: likely one digit
	}
	if e.aspect > prior.wideFrom {
		v -= prior.widePenalty * (e.aspect - prior.wideFrom)
	}
	if e.group >= 0 && (!e.whole || e.abuts) && s.digit == 1 && e.piece.tall < prior.shortOne {
		v -= prior.shortOnePenalty
	}
	return v
}

// bestPath chooses the segmentation with the best score by dynamic
// programming over the line's positions, and returns its pieces left to
// right; nil if no chain of pieces covers the line. Pieces sc has no
// scores for are left out.
func bestPath(line *lineInk, sc map[*pieceInk]scores, prior segmentPrior) []*pieceInk {
	n := line.nodes
	best := make([]float64, n)
	prev := make([]*pieceEdge, n)
	for j := range best {
		best[j] = math.Inf(-1)
	}
	best[0] = 0
	// Edges go left to right: relax them in order of their end.
	edges := slices.Clone(line.edges)
	slices.SortStableFunc(edges, func(a, b pieceEdge) int { return a.to - b.to })
	for k := range edges {
		e := &edges[k]
		s, scored := sc[e.piece]
		if math.IsInf(best[e.from], -1) || !scored {
			continue
		}
		if v := best[e.from] + prior.edgeScore(e, s); v > best[e.to] {
			best[e.to], prev[e.to] = v, e
		}
	}
	if math.IsInf(best[n-1], -1) {
		return nil
	}
	var path []*pieceInk
	for j := n - 1; j > 0; j = prev[j].from {
		path = append(path, prev[j].piece)
	}
	slices.Reverse(path)
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
	line, err := c.prepare(ctx, data, false)
	if err != nil {
		return digitbot.Prediction{}, err
	}
	p, err := c.read(ctx, line)
	if line.shadow && errors.Is(err, digitbot.ErrNotADigit) {
		// Under a hard shadow the opening that estimates the paper strays
		// from it along the shadow's edge, and the band of false ink it
		// leaves there can join the digit; a narrower opening leaves less
		// of it but erodes a strip of table beside a photographed sheet
		// into ink. So a shadowed picture the first reading refuses is
		// decoded and read again with the narrower one, which answers if
		// it reads digits; if it does not, the first refusal stands.
		if again, err2 := c.prepare(ctx, data, true); err2 == nil {
			if q, err2 := c.read(ctx, again); err2 == nil {
				return q, nil
			}
		}
	}
	return p, err
}

// read classifies the ways to read one picture: the segmentation the
// model scores best, read again where it is unsure, or refused.
func (c *Classifier) read(ctx context.Context, line *lineInk) (digitbot.Prediction, error) {
	prior := alonePrior()
	if line.candidates > 1 {
		prior = linePrior()
	}
	sc, err := c.score(ctx, line, prior)
	if err != nil {
		return digitbot.Prediction{}, err
	}
	path := bestPath(line, sc, prior)
	if path == nil {
		return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENODIGIT,
			"I couldn't find any ink in this image that could be a digit: only a dot or a speck.")
	}
	if len(path) <= digitbot.MaxNumberDigits {
		// The segmentation was chosen on one pass each; the digits of the
		// reading the model is unsure of are read again as the card's
		// figures were measured (shift.go).
		inputs := make([]*input, len(path))
		logits := make([][]float64, len(path))
		for k, pc := range path {
			inputs[k], logits[k] = &pc.px, sc[pc].logits
		}
		averaged, err := c.shiftAverage(ctx, inputs, logits)
		if err != nil {
			return digitbot.Prediction{}, err
		}
		for _, k := range averaged {
			sc[path[k]] = calibrate(logits[k], c.temperature)
		}
	}
	var digits []digitbot.DigitReading
	notDigit := notANumber(line, sc, path)
	for k, pc := range path {
		s := sc[pc]
		notDigit = notDigit || refusedInReading(sc, path, k)
		digits = append(digits, digitbot.DigitReading{Digit: s.digit, Confidence: s.confidence, Probabilities: s.probs, Box: pc.box, Input: pc.px})
	}
	if notDigit {
		if len(digits) == 1 {
			return digitbot.Prediction{}, digitbot.WrapError(digitbot.ENODIGIT,
				"This doesn't look like a digit to me: there is ink, but no digit I can read (a letter, a drawing, a photo?).", digitbot.ErrNotADigit)
		}
		return digitbot.Prediction{}, digitbot.WrapError(digitbot.ENODIGIT,
			"This doesn't look like a number to me: I can read some of it, but part of it is not a digit.", digitbot.ErrNotADigit)
	}
	if len(digits) > digitbot.MaxNumberDigits {
		return digitbot.Prediction{}, tooManyDigits(len(digits))
	}
	return c.prediction(digits), nil
}

// score runs the model on the pieces that can matter, in two rounds:
// first each candidate whole and each merge, then the cut pieces of only
// the candidates whose whole reading does not settle them. A piece that
// ends at a cut pays the prior's cutCost, so no segmentation that cuts a
// candidate can beat reading it whole once the whole scores above
// -cutCost: skipping its pieces changes no reading, and most digits cost
// one inference. (A cut across no stroke costs nothing: a candidate with
// one is always read in pieces too.) A narrow candidate (lineInk.narrow)
// is read in pieces only when the model refuses it whole.
func (c *Classifier) score(ctx context.Context, line *lineInk, prior segmentPrior) (map[*pieceInk]scores, error) {
	sc := make(map[*pieceInk]scores, len(line.edges))
	round := func(take func(e *pieceEdge) bool) error {
		var inputs []*input
		var pieces []*pieceInk
		for k := range line.edges {
			if e := &line.edges[k]; take(e) {
				inputs, pieces = append(inputs, &e.piece.px), append(pieces, e.piece)
			}
		}
		if len(inputs) == 0 {
			return nil
		}
		logits, err := c.run(ctx, inputs...)
		if err != nil {
			return err
		}
		for k, pc := range pieces {
			sc[pc] = calibrate(logits[k], c.temperature)
		}
		return nil
	}
	if err := round(func(e *pieceEdge) bool { return e.whole || e.group < 0 }); err != nil {
		return nil, err
	}
	settled := map[int]bool{}
	for k := range line.edges {
		e := &line.edges[k]
		if !e.whole || e.group < 0 {
			continue
		}
		if (e.group >= len(line.freeCut) || !line.freeCut[e.group]) && prior.edgeScore(e, sc[e.piece]) > -prior.cutCost {
			settled[e.group] = true
		}
		if e.group < len(line.narrow) && line.narrow[e.group] && !sc[e.piece].notADigit() {
			settled[e.group] = true
		}
	}
	if err := round(func(e *pieceEdge) bool { return !e.whole && e.group >= 0 && !settled[e.group] }); err != nil {
		return nil, err
	}
	return sc, nil
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
