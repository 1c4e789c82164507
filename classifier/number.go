package classifier

import (
	"image"
	"math"
	"slices"
)

// Reading a number: the ink is split into digits left to right.
//
// Components are grouped into digit candidates by horizontal overlap, so
// that a digit drawn in several strokes (the flag of a 5, the bar of a 7,
// a 4 with a gap) stays one, whatever the gaps between digits. Only
// components of about the height of the tallest mark seed a digit, and
// only near its line (baselines may wander by half a digit): a small note
// in a corner, specks, a decimal point are not digits. A flat bar under
// the digits (an underline) is dropped.
//
// A candidate much wider than a digit is tall is probably two or more
// digits that touch: it gets candidate cuts at the minima of its column
// profile, and the model chooses between the segmentations they allow
// (see bestPath): each piece must read confidently as a digit, and, with
// an 11-class model, "not a digit" takes the probability a merged pair or
// a fragment would otherwise claim.

// Tunables of the segmentation, chosen on generated numbers (MNIST test
// digits and Go fonts, see number_test.go) and on MNIST itself (no single
// digit may come apart).
const (
	// tallFraction: a component at least this share of the tallest mark's
	// height (and a twentieth of its area: a thin pen beside a marker; and
	// not a hairline) seeds a digit.
	tallFraction = 0.45
	// wideAspect: a candidate wider than this times its height may be
	// several digits touching, and gets candidate cuts.
	wideAspect = 0.75
	// wideAspectInLine: the same, for a candidate beside others. A 1
	// touching a 9 is narrower than two digits side by side (0.71 of its
	// height, in "7199"). Measured against 0.75: MNIST numbers of 2-4
	// digits 290 -> 291 of 300, touching numbers of 1s, 4s and 7s 212 ->
	// 213, of 1s and 0s 275 -> 277, nothing else in TestNumbers_MNIST,
	// the touching pairs, MNIST or the negatives (with glyphCutApart's
	// rule for such candidates); on three other seeds of the numbers set
	// (2,700 numbers) 4 more read, none fewer. For a candidate alone too,
	// it read one more touching pair of 1s, 4s and 7s, but also a "#" as
	// 74 (pieces at 0.99 and 0.93, which glyphCutApart lets pass), and a
	// photo of one wide digit took a quarter more CPU (its cut pieces are
	// fitted before the model is asked).
	wideAspectInLine = 0.65
	// narrowAspectInLine: a candidate beside others narrower than
	// wideAspectInLine but wider than this gets cuts too, read only when
	// the model refuses the candidate whole (lineInk.narrow): two 1s that
	// touch ("4113", 0.48-0.6 of their height), a 1 leaning on a 4. A
	// narrow digit the model reads costs no inference more. Measured
	// (before -> after): touching 1s among other digits 154 -> 163 of 200,
	// touching 1s, 4s and 7s 217 -> 222 of 300, six-digit numbers with
	// half their pairs touching 262 -> 267 of 300 (all 220 -> 221); MNIST
	// numbers of 2-4 digits on three other seeds 867 -> 867 and 872 -> 875
	// of 900, of 5-8 digits 423 -> 425 and 421 -> 422 of 450; the
	// asserted numbers sets, the negatives (also on six other seeds) and
	// MNIST unchanged. 0.40 read the same.
	narrowAspectInLine = 0.45
	// maxCuts bounds the places to cut one candidate, and so the
	// inferences (at most (maxCuts+2)(maxCuts+1)/2 pieces); cutSpacing:
	// they are at least a cutSpacing-th of its height apart, and from its
	// edges.
	maxCuts    = 4
	cutSpacing = 6
	// maxCutsInLine and cutSpacingInLine: the same, for a candidate beside
	// others, where a wide one is most likely digits that touch and the
	// right place to cut is often not among the four deepest minima of
	// the profile (three digits that touch, a 9 whose loop overlaps the
	// next digit). Measured against 4 and 6: the numbers set of 2-4 digits
	// 292 -> 293 of 300, of 5-8 digits 136 -> 140 of 150 (6 places alone:
	// 293 and 138); on three other seeds of the set, which helped choose
	// the spacing, 862 -> 866 of 900 and 408 -> 413 of 450, and on three
	// never used for choosing 865 -> 867 and 406 -> 412; numbers of 1s
	// and 0s 278 -> 281, of 0s among round digits 286 -> 291, touching
	// 1s, 4s and 7s 213 -> 215,
	// words cut apart 46 -> 48 of 54 refused, touching pairs 365 -> 364;
	// the negatives, also on three other seeds, and MNIST unchanged. For a
	// candidate alone as well, a line chart was read as 417 and two
	// letters as digits.
	maxCutsInLine    = 6
	cutSpacingInLine = 8
	// maxPieceAspect: a piece between two cuts wider than this times the
	// height is not considered.
	maxPieceAspect = 1.6
	// maxCrossings: a cut crosses at most this many strokes. Two digits
	// that touch meet in one stroke, but when one leans over the other (a
	// 7's bar over a 0) a vertical cut crosses two. With the 10-class model
	// allowing two split more single digits than it joined pairs (11
	// numbers in 120 misread instead of 8); the 11-class model refuses the
	// fragments, and two read 4 more of 150 long numbers, none worse.
	maxCrossings = 2
	// alongStroke: a column more than this share ink runs along a stroke
	// (the stem of a B), not across one, and a cut there splits the
	// stroke lengthwise: B read as 13. Digits that touch meet across
	// their strokes. At 0.8, 3 more of the 189 letters of
	// TestReading_LettersCutApart were refused (the Go fonts' B), one
	// touching "7117" in 300 numbers of 1s, 4s and 7s was refused
	// instead of read, and nothing else changed; at 0.5 two more
	// letters, but two numbers of 1s and 0s lost.
	alongStroke = 0.8
)

// lineGroup is one digit candidate: components that overlap horizontally.
type lineGroup struct {
	comps []int // indexes into inkPage.comps
	box   image.Rectangle
}

// groups returns the digit candidates of the page, left to right.
func (p *inkPage) groups() []lineGroup {
	largest := -1
	for i, c := range p.comps {
		if !p.frame[i] && (largest < 0 || c.area > p.comps[largest].area) {
			largest = i
		}
	}
	if largest < 0 {
		return nil
	}
	ref := p.comps[largest].box
	H := ref.Dy()
	tall := func(c component) bool {
		cy := (c.box.Min.Y + c.box.Max.Y) / 2
		return float64(c.box.Dy()) >= tallFraction*float64(H) && c.box.Dx() >= max(2, H/25) &&
			c.area >= max(minInkPixels, p.comps[largest].area/20) &&
			cy >= ref.Min.Y-H/2 && cy <= ref.Max.Y+H/2
	}
	var gs []lineGroup
	var rest []int
	for i, c := range p.comps {
		switch {
		case p.frame[i] || c.area < 2:
		case tall(c):
			gs = append(gs, lineGroup{comps: []int{i}, box: c.box})
		default:
			rest = append(rest, i)
		}
	}
	seeds, rest := p.brokenDigits(rest, H, tall)
	gs = append(gs, seeds...)
	// Merge candidates that overlap horizontally by a third of the narrower
	// one.
	for merged := true; merged; {
		merged = false
		for a := 0; a < len(gs) && !merged; a++ {
			for b := a + 1; b < len(gs); b++ {
				if 3*overlapX(gs[a].box, gs[b].box) >= min(gs[a].box.Dx(), gs[b].box.Dx()) || stacked(gs[a].box, gs[b].box, H) {
					gs[a].comps = append(gs[a].comps, gs[b].comps...)
					gs[a].box = gs[a].box.Union(gs[b].box)
					gs = slices.Delete(gs, b, b+1)
					merged = true
					break
				}
			}
		}
	}
	// The smaller pieces join the candidate they lie over or under (a
	// detached bar or flag), or one they nearly touch (a broken stroke);
	// the rest is dropped.
	for _, i := range rest {
		c := p.comps[i]
		best, bestOverlap := -1, 0
		for g := range gs {
			if o := overlapX(gs[g].box, c.box); o > bestOverlap {
				best, bestOverlap = g, o
			}
		}
		if best >= 0 {
			g := &gs[best]
			underline := c.box.Min.Y >= g.box.Max.Y && c.box.Dx() >= 4*c.box.Dy() && 5*c.box.Dx() >= 2*g.box.Dx()
			if !underline && 2*bestOverlap >= c.box.Dx() && c.box.Overlaps(g.box.Inset(-H/2)) {
				g.comps = append(g.comps, i)
				g.box = g.box.Union(c.box)
				continue
			}
		}
		for g := range gs {
			if c.area >= minInkPixels && c.box.Overlaps(gs[g].box.Inset(-max(1, H/10))) {
				gs[g].comps = append(gs[g].comps, i)
				gs[g].box = gs[g].box.Union(c.box)
				break
			}
		}
	}
	slices.SortFunc(gs, func(a, b lineGroup) int { return (a.box.Min.X + a.box.Max.X) - (b.box.Min.X + b.box.Max.X) })
	return gs
}

// maxBrokenPieces bounds the small marks brokenDigits looks at: a line of
// 12 faint digits in 4 pieces each is 48; many more is texture or noise,
// and clustering them is quadratic.
const maxBrokenPieces = 64

// maxBrokenInto is the most pieces a broken digit is taken to be in. A
// shadow's edge leaves a trail of dozens of specks along it, and JPEG's
// ringing at the picture's border a column of them: neither is a digit
// (with neither this bound nor brokenDigits' edge rule, 3 more of the 50
// pictures of the shadow failure class were refused or read with a 1 in
// front).
const maxBrokenInto = 6

// brokenDigits finds faint digits that thresholding broke into pieces none
// of which is tall enough to seed a candidate (an MNIST 5 in four strokes
// beside a bold 1 was dropped whole): pieces that nearly touch (within a
// tenth of H, the largest mark's height, as a broken stroke joins a
// candidate) and together pass tall seed a candidate, unless they touch
// the picture's edge. It returns the seeds and the pieces left.
func (p *inkPage) brokenDigits(rest []int, H int, tall func(component) bool) (seeds []lineGroup, left []int) {
	if len(rest) < 2 || len(rest) > maxBrokenPieces {
		return nil, rest
	}
	reach := max(1, H/10)
	// Clusters by union-find over the pieces whose boxes nearly touch.
	parent := make([]int, len(rest))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for a := range rest {
		for b := a + 1; b < len(rest); b++ {
			if p.comps[rest[a]].box.Inset(-reach).Overlaps(p.comps[rest[b]].box) {
				parent[find(a)] = find(b)
			}
		}
	}
	clusters := map[int]*lineGroup{}
	var order []int
	for k, i := range rest {
		r := find(k)
		g, ok := clusters[r]
		if !ok {
			g = &lineGroup{box: p.comps[i].box}
			clusters[r] = g
			order = append(order, r)
		}
		g.comps = append(g.comps, i)
		g.box = g.box.Union(p.comps[i].box)
	}
	for _, r := range order {
		g := clusters[r]
		area := 0
		for _, i := range g.comps {
			area += p.comps[i].area
		}
		inside := g.box.Min.X > 0 && g.box.Min.Y > 0 && g.box.Max.X < p.w && g.box.Max.Y < p.h
		if len(g.comps) >= 2 && len(g.comps) <= maxBrokenInto && inside && tall(component{box: g.box, area: area}) {
			seeds = append(seeds, *g)
			continue
		}
		left = append(left, g.comps...)
	}
	return seeds, left
}

// dotBelow reports a candidate that is a stroke over a dot, an
// exclamation mark: its largest mark at most half as wide as tall, and a
// solid, roundish blob at most half its area wholly below it, no further
// than half its height and at least 0.4 of the blob's own height apart (a
// "!" of the Go fonts: 0.67-0.93; a faint 1 broken near its foot: 0.11 and
// 0.12, the only two candidates of 6,300 generated MNIST numbers with such
// a blob, read as "!" before the gap was asked for: numbers of 2-4 digits
// on seeds 31-33 870 -> 872 of 900, numbers of 1s of varied sizes 280 ->
// 281 of 300; every "!" still refused, the rest unchanged). No digit has
// one; the period after a digit sits on its baseline, beside it, not under
// it. (A "?" is left alone: its hook is as wide as a digit, and a digit
// with a speck under it is not rare in MNIST: a first version that allowed
// the hook refused 5 more MNIST test digits.)
func (p *inkPage) dotBelow(g lineGroup) bool {
	if len(g.comps) == 0 {
		return false
	}
	main := g.comps[0]
	for _, i := range g.comps {
		if p.comps[i].area > p.comps[main].area {
			main = i
		}
	}
	m := p.comps[main]
	if 2*m.box.Dx() > m.box.Dy() {
		return false
	}
	// The dot may have been left out of the candidate: look among all the
	// marks.
	for i, c := range p.comps {
		if p.frame[i] {
			continue
		}
		dx, dy := c.box.Dx(), c.box.Dy()
		// Under the stroke, within a dot's width of it (a slanted "!"
		// puts its dot left of the stroke's foot).
		under := c.box.Max.X > m.box.Min.X-dx && c.box.Min.X < m.box.Max.X+dx
		gap := c.box.Min.Y - m.box.Max.Y
		if i != main && gap > 0 && gap <= m.box.Dy()/2 && 5*gap >= 2*dy &&
			under && 2*c.area <= m.area && c.area >= 3 &&
			max(dx, dy) <= 2*min(dx, dy) && 2*c.area >= dx*dy {
			return true
		}
	}
	return false
}

// stacked reports two boxes that lie one above the other, close together:
// they barely share rows (digits of a number share most of theirs, even
// on a wandering baseline), so they are parts of one digit (the loops of
// an 8, a 1's flag and stem).
func stacked(a, b image.Rectangle, H int) bool {
	sharedRows := max(0, min(a.Max.Y, b.Max.Y)-max(a.Min.Y, b.Min.Y))
	gap := max(a.Min.X, b.Min.X) - min(a.Max.X, b.Max.X)
	return 2*sharedRows < min(a.Dy(), b.Dy()) && 4*gap <= H
}

func overlapX(a, b image.Rectangle) int {
	return max(0, min(a.Max.X, b.Max.X)-max(a.Min.X, b.Min.X))
}

// cuts returns the group's candidate cuts, left to right, when it is
// wider than minAspect times its height (wideAspect, or wideAspectInLine
// beside other candidates): wide enough to hold more than one digit. The
// places to cut are the deepest minima of the group's column profile (ink
// pixels per column) whose column crosses at most maxCrossings strokes
// and does not run along one (alongStroke), at most places of them, at
// least a spacing-th of the height apart and from the edges (cutSpacing,
// or cutSpacingInLine beside other candidates): two digits that touch meet in a single
// stroke, while a cut through the middle of one digit (a 0, a 2) crosses
// two or three. Each cut then follows the path through the least ink
// near its column (a seam), so that digits leaning into each other are
// cut along the slant that separates them, not straight through both.
func (p *inkPage) cuts(g lineGroup, minAspect float64, places, spacing int) []*cutPath {
	x0, H := g.box.Min.X, g.box.Dy()
	bw := g.box.Dx()
	if float64(bw) <= minAspect*float64(H) {
		return nil
	}
	inGroup := p.mask(g)
	// The column profile, and the number of separate runs of ink in each
	// column (the strokes a cut there crosses).
	prof := make([]int, bw)
	runs := make([]int, bw)
	for x := range bw {
		prev := false
		for y := range H {
			on := inGroup[y*bw+x]
			if on {
				prof[x]++
				if !prev {
					runs[x]++
				}
			}
			prev = on
		}
	}
	// Smooth over three columns: a one-pixel notch in a stroke is no cut.
	sm := make([]int, len(prof))
	for x := range prof {
		for d := -1; d <= 1; d++ {
			if j := x + d; j >= 0 && j < len(prof) {
				sm[x] += prof[j]
			}
		}
	}
	// Cuts across two strokes only in a candidate clearly wider than one
	// digit: each cut costs inferences.
	maxRuns := 1
	if float64(bw) >= 1.1*float64(H) {
		maxRuns = maxCrossings
	}
	gap := max(2, H/spacing)
	// The minima among the columns a cut may cross: a column that crosses
	// too many strokes is no neighbour to compare with.
	eligible := func(x int) int {
		if runs[x] > maxRuns || float64(prof[x]) > alongStroke*float64(H) {
			return math.MaxInt
		}
		return sm[x]
	}
	var minima []int
	for x := gap; x < len(sm)-gap; x++ {
		v, l, r := eligible(x), eligible(x-1), eligible(x+1)
		if v != math.MaxInt && v <= l && v <= r && (v < l || v < r || x == gap) {
			minima = append(minima, x)
		}
	}
	slices.SortStableFunc(minima, func(a, b int) int { return sm[a] - sm[b] })
	var cuts []*cutPath
	for _, m := range minima {
		if places == 0 {
			break
		}
		if slices.ContainsFunc(cuts, func(c *cutPath) bool { return abs(c.mid-(x0+m)) < gap }) {
			continue
		}
		places--
		straight := &cutPath{xs: make([]int32, H)}
		for y := range straight.xs {
			straight.xs[y] = int32(m)
		}
		// Both the straight cut and, where it crosses less ink, the seam:
		// the model chooses.
		slash := runs[m] == 1 && straightStroke(inGroup, bw, H, m)
		for _, c := range []*cutPath{straight, seam(inGroup, bw, H, m, gap/2, prof[m])} {
			if c == nil {
				continue
			}
			c.y0, c.mid, c.crossings, c.slash = int32(g.box.Min.Y), x0+m, runs[m], slash
			for y := range c.xs {
				c.xs[y] += int32(x0)
			}
			cuts = append(cuts, c)
		}
	}
	slices.SortStableFunc(cuts, func(a, b *cutPath) int { return a.mid - b.mid })
	return cuts
}

// mask returns the ink of group g over its box, row by row.
func (p *inkPage) mask(g lineGroup) []bool {
	bw := g.box.Dx()
	ink := make([]bool, bw*g.box.Dy())
	for _, ci := range g.comps {
		c := p.comps[ci]
		for _, px := range p.order[c.first : c.first+c.area] {
			ink[(int(px.y)-g.box.Min.Y)*bw+int(px.x)-g.box.Min.X] = true
		}
	}
	return ink
}

// A bar through a glyph is a line of ink from a narrow mark on its top
// rows to one on its bottom rows (each under barEnd of its width wide, in
// its middle), leaning at most barLean columns a row, at least barLength
// of its height long, in a glyph at least barMinHeight working pixels tall
// (barThrough).
const (
	barEnd       = 0.25
	barLean      = 0.25
	barLength    = 0.9
	barMinHeight = 32
)

// barThrough reports whether a w x h ink mask has a bar through it from
// top to bottom: the bar of a "$", which the model reads as a 5, sticks
// out above and below the S, so its top and bottom rows hold only the bar.
// A 2, 3, 5 or 8 is wide at one end at least, and a line down the middle
// of a 6 crosses its strokes and the gaps between them.
func barThrough(ink []bool, w, h int) bool {
	if h < barMinHeight {
		return false
	}
	ends := max(2, h/12)
	narrowEnd := func(y0, y1 int) (mid int, ok bool) {
		lo, hi := w, -1
		for y := y0; y < y1; y++ {
			for x := range w {
				if ink[y*w+x] {
					lo, hi = min(lo, x), max(hi, x)
				}
			}
		}
		mid = (lo + hi) / 2
		return mid, hi >= 0 && float64(hi-lo) < barEnd*float64(w) && mid >= w/5 && mid < w-w/5
	}
	top, okTop := narrowEnd(0, ends)
	bottom, okBottom := narrowEnd(h-ends, h)
	lean := float64(bottom-top) / float64(h)
	if !okTop || !okBottom || math.Abs(lean) > barLean {
		return false
	}
	// The line from one end to the other, a pixel either way, with gaps
	// of one row.
	run, longest, misses := 0, 0, 0
	for y := range h {
		switch {
		case inkNear(ink, w, float64(top)+lean*float64(y), y):
			run, misses = run+1+misses, 0
		case misses == 0 && run > 0:
			misses++
		default:
			run, misses = 0, 0
		}
		longest = max(longest, run)
	}
	return float64(longest) >= barLength*float64(h)
}

// seam returns the cut near column m of a w x h ink mask: the path from
// the top row to the bottom, moving at most one column a row and at most
// reach columns from m, through the least ink, each sideways step costing
// a quarter of an ink pixel so that it leans only to go around ink; nil
// unless it crosses much less ink than the straight cut (straight
// pixels): measured on the numbers set, offering the seam beside every
// straight cut read one more number in 450 for half again the inferences.
func seam(ink []bool, w, h, m, reach, straight int) *cutPath {
	const stepCost = 0.25
	lo, hi := max(0, m-reach), min(w, m+reach+1)
	n := hi - lo
	cost := make([]float32, n*h)
	from := make([]int8, n*h)
	for x := range n {
		if ink[lo+x] {
			cost[x] = 1
		}
	}
	for y := 1; y < h; y++ {
		above, row := cost[(y-1)*n:y*n], cost[y*n:(y+1)*n]
		for x := range n {
			best, dir := above[x], int8(0)
			if x > 0 && above[x-1]+stepCost < best {
				best, dir = above[x-1]+stepCost, -1
			}
			if x+1 < n && above[x+1]+stepCost < best {
				best, dir = above[x+1]+stepCost, 1
			}
			if ink[y*w+lo+x] {
				best++
			}
			row[x], from[y*n+x] = best, dir
		}
	}
	c := &cutPath{xs: make([]int32, h)}
	bottom := cost[(h-1)*n:]
	x := m - lo
	for k := range n {
		if bottom[k] < bottom[x] || (bottom[k] == bottom[x] && abs(k+lo-m) < abs(x+lo-m)) {
			x = k
		}
	}
	if 10*bottom[x] >= 6*float32(straight) {
		return nil
	}
	for y := h - 1; y >= 0; y-- {
		c.xs[y] = int32(lo + x)
		x += int(from[y*n+x])
	}
	return c
}

// A stroke at least slashLength of the candidate's height long, leaning
// at least slashLean columns a row, is a slash (straightStroke).
const (
	slashLength = 0.9
	slashLean   = 0.3
)

// straightStroke reports whether the one run of ink in column m of a w x h
// ink mask lies on a straight line of ink at least slashLength of h long
// and leaning at least slashLean columns a row: the bar of a "%" or a
// "/", which a cut crosses to read the sign as two digits ("%" as 96).
// Touching digits are often joined along such a stroke too (a 1 beside an
// 8, the side of a 0 against a 6: 20 of 300 numbers of 2-4 digits),
// which slashCutApart tells apart by where the pieces' ink lies. The
// line is followed from the run's middle up and down, one row at a time,
// for each lean from -1.2 to 1.2 columns a row; a row counts when the
// line or a column beside it is ink (inkNear), and two rows in a row
// without ink end it.
func straightStroke(ink []bool, w, h, m int) bool {
	top := 0
	for top < h && !ink[top*w+m] {
		top++
	}
	bottom := top
	for bottom < h && ink[bottom*w+m] {
		bottom++
	}
	if top == h {
		return false
	}
	yc := float64(top+bottom-1) / 2
	reach := func(lean float64, dir int) int {
		n, misses := 0, 0
		for y := int(yc) + dir; y >= 0 && y < h; y += dir {
			if inkNear(ink, w, float64(m)+lean*(float64(y)-yc), y) {
				n, misses = abs(y-int(yc)), 0
			} else if misses++; misses == 2 {
				break
			}
		}
		return n
	}
	for step := -12; step <= 12; step++ {
		lean := float64(step) / 10
		if math.Abs(lean) < slashLean {
			continue
		}
		if float64(reach(lean, -1)+reach(lean, 1)+1) >= slashLength*float64(h) {
			return true
		}
	}
	return false
}

// inkNear reports whether row y of a mask w wide has ink at column x
// (rounded) or a column beside it: a line followed through a stroke
// need not hit its pixels exactly.
func inkNear(ink []bool, w int, x float64, y int) bool {
	c := int(math.Round(x))
	for d := -1; d <= 1; d++ {
		if c+d >= 0 && c+d < w && ink[y*w+c+d] {
			return true
		}
	}
	return false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// piece returns the ink of group g between two cuts (nil: the group's
// edge) as a digit.
func (p *inkPage) piece(g lineGroup, left, right *cutPath) digit {
	keep := make([]bool, len(p.comps)+1)
	for _, ci := range g.comps {
		keep[ci+1] = true
	}
	d := digit{labels: p.labels, keep: keep, w: int32(p.w), left: left, right: right}
	first := true
	for _, ci := range g.comps {
		c := p.comps[ci]
		for _, px := range p.order[c.first : c.first+c.area] {
			if (left != nil && px.x < left.at(px.y)) || (right != nil && px.x >= right.at(px.y)) {
				continue
			}
			d.pixels = append(d.pixels, px)
			r := image.Rect(int(px.x), int(px.y), int(px.x)+1, int(px.y)+1)
			if first {
				d.box, first = r, false
			} else {
				d.box = d.box.Union(r)
			}
		}
	}
	return d
}
