package classifier

import (
	"fmt"
	"image"
	"math"

	"github.com/digitbot/digitbot"
)

// Preprocessing turns any picture of a digit into what MNIST looks like:
// a white digit on black, its bounding box fitted into 20x20 keeping the
// aspect ratio, centred by its centre of mass in 28x28.
//
// The steps, and why:
//  1. Reduce early: k×k blocks while converting to grey, so that no later
//     step sees more than workMaxSide pixels a side and a 12-megapixel
//     photo costs little more than a screenshot. Each block keeps its mean
//     and its darkest and lightest pixel: once the polarity is known, the
//     extreme on the ink's side stands for the block, so a hairline stroke
//     keeps its full contrast instead of averaging away.
//  2. Composite transparency over black or white, whichever leaves the ink
//     a small minority: drawing apps save black strokes on (0,0,0,0)
//     pixels, which naively read as black on black.
//  3. Decide polarity: the median is background, and the ink is on the side
//     where more stands out from it; under uneven light (a strong gradient,
//     a shadow), on the side that stands out from each block's own median.
//     Turn the image so that ink is bright.
//  4. Subtract the background, a smooth surface fitted to block
//     percentiles: photos of paper are lit unevenly, and a global threshold
//     would swallow the dark corner or lose the ink in the bright one.
//     Contrast is measured relative to the paper's brightness, as ink
//     absorbs a fraction of the light that falls on it.
//  5. Threshold (Otsu) to find ink. Remove ruled lines; drop the table
//     around a photographed sheet and other marks along the picture's
//     edge, specks, underlines and marks far from the digit; refuse images
//     whose "ink" is too faint, too small or absent (no_digit).
//  6. Crop to the ink, thicken strokes that would vanish when a large
//     drawing is shrunk to 20 pixels, fit into 20x20 (Catmull-Rom, which
//     widens its kernel when shrinking, so it low-passes like area
//     averaging), centre by centre of mass.
//
// One file per stage, all working on the reduced grey plane (grey):
// reduce.go and reduce_rows.go (1, 2), polarity.go (3), background.go (4),
// threshold.go and segment.go (5), fit.go (6); histogram.go holds the
// histogram helpers they share, and this file the pipeline that chains them
// (inkStrength).

// Tunables, chosen on real-looking synthetic uploads and on the MNIST
// round trip (an MNIST digit must come out unchanged).
const (
	// workMaxSide bounds the working image. 20 output pixels need far fewer;
	// the margin keeps digits that fill only part of a photo well resolved.
	workMaxSide = 320
	// fitSide is the box the digit is fitted into, as in MNIST.
	fitSide = 20
	// minInkContrast is the least mean ink strength (0..255, relative to the
	// paper) that counts as writing; fainter is paper texture or noise.
	minInkContrast = 28
	// minInkPixels and minInkSide reject dots and specks.
	minInkPixels = 10
	minInkSide   = 5
	// speckFraction: components smaller than this share of the largest one
	// belong to the digit only when very close to it.
	speckFraction = 0.05
	// targetStroke is MNIST's typical stroke width relative to the fitted
	// box; strokes thinner than thinStroke times it are thickened.
	targetStroke = 0.10
	thinStroke   = 0.6
)

// Preprocess converts an image into the model's 28x28 input: 0 is
// background, 255 is ink. An image without a recognisable mark gets an
// ENODIGIT error; a panic while reading pixels becomes EINVALIDIMAGE.
func Preprocess(img image.Image) (out [digitbot.InputSide * digitbot.InputSide]uint8, err error) {
	defer func() {
		if r := recover(); r != nil {
			out = [digitbot.InputSide * digitbot.InputSide]uint8{}
			err = digitbot.WrapError(digitbot.EINVALIDIMAGE,
				"The image could not be read: its pixel data is invalid.", fmt.Errorf("preprocess panic: %v", r))
		}
	}()
	if img == nil || img.Bounds().Empty() {
		return out, digitbot.Errorf(digitbot.EINVALIDIMAGE, "The image has no pixels.")
	}
	g := toGrey(img)
	ink, err := inkStrength(g)
	if err != nil {
		return out, err
	}
	return fitAndCentre(ink)
}

// inkMap is the ink strength of every working pixel (0 = paper, 255 = the
// darkest ink relative to its surroundings), with the pixels that belong to
// the digit selected.
type inkMap struct {
	w, h   int
	val    []float32 // output intensity 0..255 (soft edges kept), valid around crop
	crop   image.Rectangle
	stroke float64  // estimated stroke width in working pixels
	sc     *scratch // fitAndCentre's working buffers (nil: allocated)
}

// findInk finds the ink in a grey image: polarity, background, threshold,
// ruled lines, connected components. narrowShadow narrows the opening that
// estimates the paper under a shadow (localBackground).
func findInk(g *grey, narrowShadow bool) (*inkPage, error) {
	n := g.w * g.h
	// levels is the grey image as bytes when its values are whole numbers
	// (an opaque picture that was not reduced): bytes histogram and look up
	// faster than floats convert.
	levels := g.levels
	if levels == nil && g.darkest == nil && g.integral {
		levels = make([]uint8, n)
		for i, v := range g.pix {
			levels[i] = uint8(v)
		}
	}
	// The histogram of the whole image and of its border. Reduced images
	// need them only to break a tie below.
	var hist, border [256]int
	nb := 0
	if g.darkest == nil {
		nb = meanHistograms(g, levels, &hist, &border)
	}
	// Ink is the minority at one extreme; the median is background: ink is
	// on the side where more stands out from it (tailScore). The median of
	// the whole image, not of its border: in a photo of a sheet on a table
	// the border is table, the median is paper. The border decides only
	// when both sides score about the same.
	darkHist, lightHist := &hist, &hist
	var dh, lh [256]int
	if g.darkest != nil {
		// Reduced: thin strokes show at full contrast only in the block
		// extremes: look for dark ink among the darkest pixel of each
		// block, for light ink among the lightest.
		histogram8(g.darkest, &dh)
		histogram8(g.lightest, &lh)
		darkHist, lightHist = &dh, &lh
	}
	darkScore, darkSpread := tailScore(darkHist, n, -1)
	lightScore, lightSpread := tailScore(lightHist, n, +1)
	darkInk := darkScore > lightScore
	// Under uneven light the histogram's tails are lighting: what stands
	// out from each block's own paper decides (strokePolarity), when
	// anything does. So it does when light seems to be the ink but some
	// dark stands out too: a page mostly in a hard shadow, with a lit patch
	// (litPatchDark).
	decided := false
	if min(darkSpread, lightSpread) >= unevenLightMargin || (!darkInk && darkScore >= litPatchDark*lightScore) {
		darkInk, decided = strokePolarity(g, levels)
		if !decided {
			darkInk = darkScore > lightScore
		}
	}
	if !decided && (darkScore+lightScore == 0 || math.Abs(darkScore-lightScore) < 0.1*(darkScore+lightScore)) {
		if g.darkest != nil {
			nb = meanHistograms(g, nil, &hist, &border)
		}
		bg := percentile(&border, nb, 0.5)
		lo, hi := percentile(&hist, n, 0.01), percentile(&hist, n, 0.99)
		darkInk = bg-lo >= hi-bg
	}
	// Orient so that ink is bright and background dark, like MNIST (in
	// place: the grey image is ours). oriented is the result as bytes, and
	// counts its histogram, when the levels are whole numbers (always once
	// reduced: the block extremes are); otherwise in holds it.
	var oriented []uint8
	var counts *[256]int
	switch {
	case g.darkest != nil:
		oriented, counts = g.lightest, &lh
		if darkInk {
			oriented, counts = g.darkest, &dh
		}
	case levels != nil:
		oriented, counts = levels, &hist
	}
	var in []float32
	if oriented != nil {
		if darkInk {
			for i, v := range oriented {
				oriented[i] = 255 - v
			}
			var rev [256]int
			for v, c := range counts {
				rev[255-v] = c
			}
			counts = &rev
		}
	} else {
		in = g.means()
		if darkInk {
			for i, v := range in {
				in[i] = 255 - v
			}
		}
	}
	bgmap, bgconst, shadow := localBackground(in, oriented, g.w, g.h, g.sc, narrowShadow)

	// Strength relative to the paper: (I - bg) / (255 - bg). For dark ink
	// that is (paper - v) / paper, the fraction of light the ink absorbs, so
	// the shaded half of a page reads like the lit half. The 64 floor stops
	// a nearly black "paper" from amplifying noise.
	s := g.sc.floatBuf(bufStrength, n) // every case below writes all of it
	var sh [256]int
	var strength *[256]float32 // the strength of each oriented level, when it has one
	switch {
	case oriented != nil && bgmap == nil:
		// Each level has one strength: compute the 256 once, and the
		// histogram of strengths from the histogram of levels.
		k := 255 / max(255-bgconst, 64)
		strength = new([256]float32)
		for v := range strength {
			strength[v] = max((float32(v)-bgconst)*k, 0)
			sh[clamp255(strength[v])] += counts[v]
		}
		for i, v := range oriented {
			s[i] = strength[v]
		}
	case oriented != nil:
		bins := g.sc.byteBuf(bufBins, n) // written whole
		strengthsOverSurface(s, bins, oriented, bgmap)
		histogram8(bins, &sh)
	case bgmap == nil:
		k := 255 / max(255-bgconst, 64)
		for i, v := range in {
			s[i] = max((v-bgconst)*k, 0)
		}
		histogramStrength(s, &sh)
	default:
		for i, v := range in {
			b := bgmap[i]
			s[i] = max((v-b)*255/max(255-b, 64), 0)
		}
		histogramStrength(s, &sh)
	}
	inkClass := func(t int) (count int, mean float64) {
		var sum float64
		for v := t + 1; v < 256; v++ {
			count += sh[v]
			sum += float64(v * sh[v])
		}
		if count > 0 {
			mean = sum / float64(count)
		}
		return count, mean
	}
	t := otsu(&sh)
	inkN, inkMean := inkClass(t)
	if inkMean < minInkContrast {
		// Otsu splits the bigger mass: when the ink is a tiny fraction of
		// the picture (a small digit in a large photo), it may split the
		// paper's noise instead. Look again above the noise floor only.
		floor := noiseFloor(&sh, n)
		var upper [256]int
		copy(upper[floor+1:], sh[floor+1:])
		if t2 := otsu(&upper); t2 > floor {
			t = t2
			inkN, inkMean = inkClass(t)
		}
	}
	if inkN == 0 {
		return nil, digitbot.Errorf(digitbot.ENODIGIT, "I couldn't find any ink in this image: it looks blank.")
	}
	if inkMean < minInkContrast {
		return nil, digitbot.Errorf(digitbot.ENODIGIT,
			"I couldn't find any ink in this image: nothing stands out from the background.")
	}

	mask := g.sc.maskBuf(n) // threshold writes all of it
	rows, cols := make([]int, g.h), make([]int, g.w)
	marks := threshold(s, float32(t), g.w, mask, rows, cols, g.sc.marksBuf(n+1))
	removeRules(mask, s, g.w, g.h, rows, cols)
	labels, comps, order := labelComponentsScratch(mask, g.w, g.h, marks, g.sc)
	return &inkPage{w: g.w, h: g.h, k: g.k, sw: g.sw, sh: g.sh, s: s, oriented: oriented, strength: strength,
		floor: min(float32(noiseFloor(&sh, n)), float32(t)/2), labels: labels, comps: comps, order: order,
		frame: frameComponents(comps, g.w, g.h), shadow: shadow, sc: g.sc}, nil
}

// inkPage is the ink found in a picture, before deciding which of it is
// the digit or the digits.
type inkPage struct {
	w, h      int
	k, sw, sh int // the reduction factor and the picture's size (see grey)
	s         []float32
	// oriented holds the levels s was computed from, and strength the
	// strength of each level, when every level has one strength.
	oriented []uint8
	strength *[256]float32
	floor    float32 // the strength that maps to intensity 0
	labels   []int32
	comps    []component
	order    []pixel
	frame    []bool // by component: frame-like, not writing
	shadow   bool   // the paper was estimated under a shadow (localBackground)
	sc       *scratch
}

// inkStrength finds the ink in a grey image and crops to the digit.
func inkStrength(g *grey) (*inkMap, error) {
	page, err := findInk(g, false)
	if err != nil {
		return nil, err
	}
	return page.single()
}

// single keeps the one digit of the page (the largest mark and what lies
// close to it) and maps its strengths to intensities in place.
func (p *inkPage) single() (*inkMap, error) {
	dig := selectDigit(p.comps, p.frame, p.labels, p.order)
	crop, inkPixels := dig.box, len(dig.pixels)
	if inkPixels < minInkPixels || max(crop.Dx(), crop.Dy()) < minInkSide {
		return nil, digitbot.Errorf(digitbot.ENODIGIT,
			"I couldn't find any ink in this image that could be a digit: only a dot or a speck.")
	}
	return p.render(&dig, p.s), nil // in place: the strengths are not needed any more
}

// render maps the strengths of one digit's pixels to output intensities
// in val (which may be p.s itself), zeroing the ink that is not the digit,
// and crops to it.
func (p *inkPage) render(dig *digit, val []float32) *inkMap {
	s, oriented := p.s, p.oriented
	crop, inkPixels := dig.box, len(dig.pixels)
	// Map strength to output intensity: the noise floor (median + 3 robust
	// sigmas of the mostly-background pixels) goes to 0, the typical stroke
	// core (75th percentile of the ink) to 255. For an MNIST digit both
	// are at their natural values (0 and ~255), so it passes unchanged.
	var inkHist [256]int
	for _, px := range dig.pixels {
		inkHist[clamp255(s[px.i])]++
	}
	core := float32(percentile(&inkHist, inkPixels, 0.75))
	floor := p.floor
	if core <= floor+1 {
		core = floor + 1
	}
	intensity := func(v float32) float32 { return min(max((v-floor)*255/(core-floor), 0), 255) }
	// Only the crop and the margin growCrop may add to it are read.
	limit := 2 + max(p.w, p.h)/64
	region := crop.Inset(-limit).Intersect(image.Rect(0, 0, p.w, p.h))
	var levelIntensity *[256]float32
	if p.strength != nil {
		// s is strength[level] where removeRules left it, 0 where it
		// erased: intensity has 257 possible arguments.
		levelIntensity = new([256]float32)
		for v, sv := range p.strength {
			levelIntensity[v] = intensity(sv)
		}
	}
	zero := intensity(0)
	if levelIntensity != nil && dig.left == nil && dig.right == nil {
		// The usual case (a photo, one digit not cut from a neighbour)
		// written for it: the same values as the loop below.
		for y := region.Min.Y; y < region.Max.Y; y++ {
			lo, hi := y*p.w+region.Min.X, y*p.w+region.Max.X
			sr, vr, or, lr := s[lo:hi], val[lo:hi], oriented[lo:hi], dig.labels[lo:hi]
			for x, v := range sr {
				switch l := lr[x]; {
				case l != 0 && !dig.keep[l]:
					vr[x] = 0
				case v != 0:
					vr[x] = levelIntensity[or[x]]
				default:
					vr[x] = zero
				}
			}
		}
		crop = growCrop(val, p.w, p.h, crop, limit)
		return &inkMap{w: p.w, h: p.h, val: val, crop: crop, stroke: strokeWidth(dig, p.w, p.h), sc: p.sc}
	}
	if levelIntensity == nil && dig.left == nil && dig.right == nil {
		// Under uneven light (a strength per pixel): every intensity of a
		// row at once (intensities: a division each), then the ink that
		// is not the digit zeroed. The same values as the loop below.
		for y := region.Min.Y; y < region.Max.Y; y++ {
			lo, hi := y*p.w+region.Min.X, y*p.w+region.Max.X
			vr, lr := val[lo:hi], dig.labels[lo:hi]
			intensities(vr, s[lo:hi], floor, core)
			for x, l := range lr {
				if l != 0 && !dig.keep[l] {
					vr[x] = 0
				}
			}
		}
		crop = growCrop(val, p.w, p.h, crop, limit)
		return &inkMap{w: p.w, h: p.h, val: val, crop: crop, stroke: strokeWidth(dig, p.w, p.h), sc: p.sc}
	}
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for i := y*p.w + region.Min.X; i < y*p.w+region.Max.X; i++ {
			switch v := s[i]; {
			case dig.dropped(i):
				val[i] = 0 // a speck or mark that is not the digit
			case levelIntensity != nil && v != 0:
				val[i] = levelIntensity[oriented[i]]
			case levelIntensity != nil:
				val[i] = zero
			default:
				val[i] = intensity(v)
			}
		}
	}
	crop = growCrop(val, p.w, p.h, crop, limit)
	return &inkMap{w: p.w, h: p.h, val: val, crop: crop, stroke: strokeWidth(dig, p.w, p.h), sc: p.sc}
}

// sourceBox converts a rectangle of working pixels to the picture's pixels.
func (p *inkPage) sourceBox(r image.Rectangle) [4]int {
	x0, y0 := min(r.Min.X*p.k, p.sw), min(r.Min.Y*p.k, p.sh)
	x1, y1 := min(r.Max.X*p.k, p.sw), min(r.Max.Y*p.k, p.sh)
	return [4]int{x0, y0, x1 - x0, y1 - y0}
}
