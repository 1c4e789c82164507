package classifier

import (
	"image"
	"slices"
)

// component is a connected region of ink: its area and bounding box, and
// where its pixels are in the order labelComponents visited them.
type component struct {
	area  int
	box   image.Rectangle
	first int
}

// pixel is a working pixel: its index and coordinates.
type pixel struct{ i, x, y int32 }

// digit is the ink of one digit.
type digit struct {
	labels []int32 // the component of each ink pixel, from 1; 0 elsewhere
	keep   []bool  // by label: the component is part of the digit
	pixels []pixel // the digit's pixels
	box    image.Rectangle
	// When left or right is set, the digit is only the part of the kept
	// components right of left and left of right: it touched a neighbour,
	// and the rest is the neighbour.
	left, right *cutPath
	w           int32 // the working image's width, to find a pixel's column
}

// cutPath is a cut between two digits that touch: for each row of the
// ink's box, the first column on its right side. It need not be straight:
// digits that lean into each other are cut along the slant.
type cutPath struct {
	y0        int32   // the first row of xs
	xs        []int32 // by row from y0; rows beyond the ends take the nearest end's
	mid       int     // the column where it crosses the middle row
	crossings int     // the strokes it crosses
	// slash is set when the one stroke it crosses is a long straight
	// slanted line (straightStroke): the bar of a "%", or a stroke along
	// which two digits touch (slashCutApart tells them apart).
	slash bool
}

// at returns the first column right of the cut in row y.
func (c *cutPath) at(y int32) int32 {
	return c.xs[min(max(y-c.y0, 0), int32(len(c.xs)-1))]
}

// kept reports whether working pixel i belongs to the digit.
func (d *digit) kept(i int) bool { return d.keep[d.labels[i]] && d.inCut(i) }

// dropped reports whether working pixel i is ink that is not the digit.
func (d *digit) dropped(i int) bool {
	l := d.labels[i]
	return l != 0 && (!d.keep[l] || !d.inCut(i))
}

func (d *digit) inCut(i int) bool {
	if d.left == nil && d.right == nil {
		return true
	}
	x, y := int32(i)%d.w, int32(i)/d.w
	return (d.left == nil || x >= d.left.at(y)) && (d.right == nil || x < d.right.at(y))
}

// labelComponents labels the 8-connected components of mask and returns
// the label of each pixel (from 1; 0 elsewhere), the components and every
// ink pixel, component by component.
func labelComponents(mask []bool, w, h int) ([]int32, []component, []pixel) {
	return labelComponentsScratch(mask, w, h, nil, nil)
}

// labelComponentsScratch is labelComponents with the labels and the
// pixels in sc's buffers. marks, when not nil, lists in order the pixels
// threshold marked (removeRules may have cleared some since): the search
// for the next component's first pixel visits only those, not the whole
// picture, and finds the same pixel.
func labelComponentsScratch(mask []bool, w, h int, marks []int32, sc *scratch) ([]int32, []component, []pixel) {
	l := labeler{mask: mask, w: w, h: h, labels: sc.labelBuf(len(mask)), stack: sc.stackBuf()}
	if marks == nil {
		n := 0
		for _, m := range mask {
			if m {
				n++
			}
		}
		l.order = sc.orderBuf(n)
		for start, m := range mask {
			if m && l.labels[start] == 0 {
				l.component(start)
			}
		}
	} else {
		l.order = sc.orderBuf(len(marks))
		for _, start := range marks {
			if mask[start] && l.labels[start] == 0 {
				l.component(int(start))
			}
		}
	}
	sc.keepStack(l.stack)
	return l.labels, l.comps, l.order
}

// labeler is the state of labelComponents.
type labeler struct {
	mask   []bool
	w, h   int
	labels []int32
	comps  []component
	stack  []pixel
	order  []pixel // every ink pixel, component by component
}

// component labels the component that starts at pixel start (the first
// of it in raster order), depth first.
func (l *labeler) component(start int) {
	mask, labels, w, h := l.mask, l.labels, l.w, l.h
	x, y := start%w, start/w
	id := int32(len(l.comps) + 1)
	c := component{first: len(l.order)}
	minX, minY, maxX, maxY := x, y, x+1, y+1
	labels[start] = id
	stack := append(l.stack[:0], pixel{int32(start), int32(x), int32(y)})
	order := l.order
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, p)
		px, py, i := int(p.x), int(p.y), int(p.i)
		minX, minY, maxX, maxY = min(minX, px), min(minY, py), max(maxX, px+1), max(maxY, py+1)
		if px > 0 && px < w-1 && py > 0 && py < h-1 {
			// Inside the picture: the 8 neighbours in the order of the
			// loops below (row by row, left to right).
			for _, d := range [8]struct{ x, y int }{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
				if j := i + d.y*w + d.x; mask[j] && labels[j] == 0 {
					labels[j] = id
					stack = append(stack, pixel{int32(j), int32(px + d.x), int32(py + d.y)})
				}
			}
			continue
		}
		for ny := max(0, py-1); ny <= min(h-1, py+1); ny++ {
			for nx := max(0, px-1); nx <= min(w-1, px+1); nx++ {
				j := ny*w + nx
				if mask[j] && labels[j] == 0 {
					labels[j] = id
					stack = append(stack, pixel{int32(j), int32(nx), int32(ny)})
				}
			}
		}
	}
	c.area = len(order) - c.first
	c.box = image.Rect(minX, minY, maxX, maxY)
	l.stack, l.order = stack, order
	l.comps = append(l.comps, c)
}

// frameComponents marks the components that are not writing: those that
// touch the picture's edge and run along most of it (the table around a
// photographed sheet, ruled lines, a shadow at the edge), dropped when a
// real mark (not a speck) remains, as otherwise they are the digit itself,
// cropped tightly (a "1" from top to bottom); and an app's buttons.
func frameComponents(comps []component, w, h int) []bool {
	dropped := make([]bool, len(comps))
	frame := func(c component) bool {
		touches := c.box.Min.X == 0 || c.box.Min.Y == 0 || c.box.Max.X == w || c.box.Max.Y == h
		return touches && (10*c.box.Dx() >= 9*w || 10*c.box.Dy() >= 9*h)
	}
	mark := func(c component) bool {
		return c.area >= max(minInkPixels, w*h/500) && max(c.box.Dx(), c.box.Dy()) >= max(minInkSide, max(w, h)/20)
	}
	if slices.ContainsFunc(comps, func(c component) bool { return !frame(c) && mark(c) }) {
		for i, c := range comps {
			dropped[i] = frame(c)
		}
	}
	// Solid blocks wider than tall, when there are several, are the
	// buttons, toolbars and panels of an app around a drawing canvas, not
	// handwriting. (One alone may be a marker's stroke: the detached bar
	// of a 5.)
	block := func(c component) bool {
		bw, bh := c.box.Dx(), c.box.Dy()
		return 10*c.area >= 9*bw*bh && 2*bw >= 3*bh && bh >= max(4, max(w, h)/40)
	}
	blocks := 0
	for i, c := range comps {
		if !dropped[i] && block(c) {
			blocks++
		}
	}
	if blocks >= 2 && blocks < len(comps) {
		for i, c := range comps {
			dropped[i] = dropped[i] || block(c)
		}
	}
	return dropped
}

// selectDigit keeps the components that make up one digit, the largest
// mark and what lies close to it, among the components not dropped.
func selectDigit(comps []component, dropped []bool, labels []int32, order []pixel) digit {
	// The digit is the largest mark and what lies close to it: the pieces
	// of a stroke that broke apart, a detached bar. Marks further away
	// (a second digit, a note in the corner, specks) are not part of it.
	// Close means within half the digit's size for substantial pieces
	// (a twentieth of the largest's area or more), a tenth for small ones.
	var box image.Rectangle
	first := -1
	for i, c := range comps {
		if !dropped[i] && (first < 0 || c.area > comps[first].area) {
			first = i
		}
	}
	keep := make([]bool, len(comps)+1)
	if first >= 0 {
		keep[first+1] = true
		box = comps[first].box
		for grown := true; grown; {
			grown = false
			side := max(box.Dx(), box.Dy())
			for i, c := range comps {
				if keep[i+1] || dropped[i] || c.area < 2 {
					continue
				}
				// An underline: a flat bar wholly below the digit. (Bars
				// above stay: the detached top bar of a 5.)
				if c.box.Min.Y >= box.Max.Y && c.box.Dx() >= 4*c.box.Dy() && 5*c.box.Dx() >= 2*box.Dx() {
					continue
				}
				reach := side / 10
				if float64(c.area) >= speckFraction*float64(comps[first].area) {
					reach = side / 2
				}
				if c.box.Overlaps(box.Inset(-reach)) {
					keep[i+1] = true
					box = box.Union(c.box)
					grown = true
				}
			}
		}
	}
	d := digit{labels: labels, keep: keep, box: box}
	n, kept, only := 0, 0, component{}
	for i, c := range comps {
		if keep[i+1] {
			n += c.area
			kept++
			only = c
		}
	}
	if kept == 1 {
		// One component (a digit in one stroke): its pixels as they lie
		// in order, not a copy (capped, so that nothing appends into the
		// next component's).
		d.pixels = order[only.first : only.first+only.area : only.first+only.area]
		return d
	}
	d.pixels = make([]pixel, 0, n)
	for i, c := range comps {
		if keep[i+1] {
			d.pixels = append(d.pixels, order[c.first:c.first+c.area]...)
		}
	}
	return d
}

// growCrop extends the ink's bounding box by up to limit pixels a side over
// the soft, below-threshold edge of the strokes, which MNIST's box
// includes.
func growCrop(val []float32, w, h int, r image.Rectangle, limit int) image.Rectangle {
	hasInk := func(x0, y0, x1, y1 int) bool {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if val[y*w+x] > 0 {
					return true
				}
			}
		}
		return false
	}
	for range limit {
		grown := false
		if r.Min.X > 0 && hasInk(r.Min.X-1, r.Min.Y, r.Min.X, r.Max.Y) {
			r.Min.X--
			grown = true
		}
		if r.Max.X < w && hasInk(r.Max.X, r.Min.Y, r.Max.X+1, r.Max.Y) {
			r.Max.X++
			grown = true
		}
		if r.Min.Y > 0 && hasInk(r.Min.X, r.Min.Y-1, r.Max.X, r.Min.Y) {
			r.Min.Y--
			grown = true
		}
		if r.Max.Y < h && hasInk(r.Min.X, r.Max.Y, r.Max.X, r.Max.Y+1) {
			r.Max.Y++
			grown = true
		}
		if !grown {
			break
		}
	}
	return r
}

// strokeWidth estimates the mean stroke width of the digit as
// area / half-perimeter: a stroke of length L and width W has area L*W and
// a perimeter of about 2L.
func strokeWidth(d *digit, w, h int) float64 {
	edges := 0
	if d.left == nil && d.right == nil {
		// Not cut from a neighbour: kept is the label's keep alone.
		kept := func(i int) bool { return d.keep[d.labels[i]] }
		for _, p := range d.pixels {
			i, x, y := int(p.i), int(p.x), int(p.y)
			if x == 0 || !kept(i-1) {
				edges++
			}
			if x == w-1 || !kept(i+1) {
				edges++
			}
			if y == 0 || !kept(i-w) {
				edges++
			}
			if y == h-1 || !kept(i+w) {
				edges++
			}
		}
		if edges == 0 {
			return 0
		}
		return 2 * float64(len(d.pixels)) / float64(edges)
	}
	for _, p := range d.pixels {
		i, x, y := int(p.i), int(p.x), int(p.y)
		for _, in := range [4]bool{x > 0 && d.kept(i-1), x < w-1 && d.kept(i+1), y > 0 && d.kept(i-w), y < h-1 && d.kept(i+w)} {
			if !in {
				edges++
			}
		}
	}
	if edges == 0 {
		return 0
	}
	return 2 * float64(len(d.pixels)) / float64(edges)
}
