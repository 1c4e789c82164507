package classifier

import (
	"encoding/binary"
	"image"
	"image/color"
)

// grey is a single-channel image, row-major: the reduced picture.
type grey struct {
	w, h int
	// k is the reduction factor and sw, sh the size of the picture: block
	// (x, y) covers its pixels [x*k, min(x*k+k, sw)) × [y*k, min(y*k+k, sh)).
	k, sw, sh int
	// pix is the mean luma of each block. An opaque picture read from its
	// luma plane leaves it nil until means is called, and holds instead
	// the byte levels (k == 1) or the plane itself (k > 1), to sum its
	// blocks again should they be needed: the polarity usually needs only
	// the extremes below.
	pix    []float32
	levels []uint8
	plane  []uint8
	stride int
	// darkest and lightest are the extreme luma of each k×k block, nil when
	// k == 1 (they equal pix). Once the polarity is known, the extreme on
	// the ink's side replaces the mean: a 3-pixel pen line in a
	// 4000-pixel photo averages to a barely visible 25% in an 8×8 block,
	// but its darkest pixel keeps the ink's full contrast.
	darkest, lightest []uint8
	// integral: every value of pix is a whole number (an opaque image, not
	// reduced).
	integral bool
	// sc lends findInk its buffers (nil: it allocates them).
	sc *scratch
}

// means returns pix, computing it from levels or the plane on first use.
func (g *grey) means() []float32 {
	if g.pix != nil {
		return g.pix
	}
	g.pix = make([]float32, g.w*g.h)
	switch {
	case g.levels != nil:
		for i, v := range g.levels {
			g.pix[i] = float32(v)
		}
	case g.plane != nil:
		sums := make([]int, g.w)
		for oy := range g.h {
			y0, y1 := oy*g.k, min(oy*g.k+g.k, g.sh)
			clear(sums)
			for y := y0; y < y1; y++ {
				row := g.plane[y*g.stride : y*g.stride+g.sw]
				for x, v := range row {
					sums[x/g.k] += int(v)
				}
			}
			for ox, s := range sums {
				n := float32((min(ox*g.k+g.k, g.sw) - ox*g.k) * (y1 - y0))
				g.pix[oy*g.w+ox] = float32(uint64(s)) / n
			}
		}
	}
	return g.pix
}

// lumaPlane returns the luma of an image that has it as a plane of bytes
// (grey, and JPEG's YCbCr, whose Y is BT.601 luma), from the image's
// minimum point, with its stride.
func lumaPlane(img image.Image) (plane []uint8, stride int, ok bool) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, true
	case *image.YCbCr:
		return m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, true
	}
	return nil, 0, false
}

// reducePlane is toGrey for an opaque luma plane.
func reducePlane(plane []uint8, stride, sw, sh, k int) *grey {
	return reducePlaneScratch(plane, stride, sw, sh, k, nil)
}

// reducePlaneScratch is reducePlane with its buffers (all written) from sc.
func reducePlaneScratch(plane []uint8, stride, sw, sh, k int, sc *scratch) *grey {
	w, h := (sw+k-1)/k, (sh+k-1)/k
	g := &grey{w: w, h: h, k: k, sw: sw, sh: sh, integral: k == 1}
	row := func(y int) []uint8 { return plane[y*stride : y*stride+sw] }
	if k == 1 {
		g.levels = sc.byteBuf(bufLevels, w*h)
		for y := range h {
			copy(g.levels[y*w:y*w+w], row(y))
		}
		return g
	}
	g.plane, g.stride = plane, stride
	g.darkest, g.lightest = sc.byteBuf(bufDarkest, w*h), sc.byteBuf(bufLightest, w*h)
	lo, hi := make([]int, w), make([]int, w)
	for oy := range h {
		y0, y1 := oy*k, min(oy*k+k, sh)
		o := oy * w
		if k == 2 && y1-y0 == 2 {
			reduce2(row(y0), row(y0+1), g.darkest[o:o+w], g.lightest[o:o+w])
			continue
		}
		for i := range lo {
			lo[i], hi[i] = 255, 0
		}
		for y := y0; y < y1; y++ {
			blockExtremes(row(y), k, lo, hi)
		}
		for ox := range w {
			g.darkest[o+ox], g.lightest[o+ox] = uint8(lo[ox]), uint8(hi[ox])
		}
	}
	return g
}

// blockExtremes updates the extremes of the k-pixel-wide blocks one row
// of levels spans.
func blockExtremes(row []uint8, k int, lo, hi []int) {
	for ox := range lo {
		x := ox * k
		seg := row[x:min(x+k, len(row))]
		// Two pairs of accumulators: each min or max waits only for the
		// one two pixels back.
		l, h, l1, h1 := lo[ox], hi[ox], 255, 0
		i := 0
		for ; i+2 <= len(seg); i += 2 {
			p, q := int(seg[i]), int(seg[i+1])
			l, l1 = min(l, p), min(l1, q)
			h, h1 = max(h, p), max(h1, q)
		}
		if i < len(seg) {
			p := int(seg[i])
			l, h = min(l, p), max(h, p)
		}
		lo[ox], hi[ox] = min(l, l1), max(h, h1)
	}
}

// reduce2Portable finds the extremes of the 2x2 blocks of two rows of
// levels (the last block a single column when the width is odd).
// reduce2 (reduce_simd.go, reduce_portable.go) runs it, or where the CPU
// has vectors the same extremes 16 blocks at a time.
func reduce2Portable(r0, r1 []uint8, dark, light []uint8) {
	w := len(dark)
	full := len(r0) / 2
	r1 = r1[:len(r0)]
	light = light[:w]
	for ox := range full {
		a, b := int(r0[2*ox]), int(r0[2*ox+1])
		c, d := int(r1[2*ox]), int(r1[2*ox+1])
		dark[ox] = uint8(min(a, b, c, d))
		light[ox] = uint8(max(a, b, c, d))
	}
	if full < w {
		a, c := int(r0[2*full]), int(r1[2*full])
		dark[full], light[full] = uint8(min(a, c)), uint8(max(a, c))
	}
}

// toGrey reduces img by an integer factor so its longer side is at most
// workMaxSide, converts it to luma (BT.601, as JPEG's Y) and composites
// transparent pixels over black or white, whichever makes the ink stand out.
func toGrey(img image.Image) *grey { return toGreyScratch(img, nil) }

// toGreyScratch is toGrey with the buffers of a luma plane's reduction
// from sc; the grey image keeps sc for findInk.
func toGreyScratch(img image.Image, sc *scratch) *grey {
	if r, ok := img.(*reducedPicture); ok {
		r.g.sc = sc
		return r.g
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	k := reduction(sw, sh)
	if plane, stride, ok := lumaPlane(img); ok {
		g := reducePlaneScratch(plane, stride, sw, sh, k, sc)
		g.sc = sc
		return g
	}
	gb := newGreyBuilder(sw, sh, sc)
	read := rowReader(img)
	rowL := make([]uint8, sw)
	rowA := make([]uint8, sw)
	for y := range sh {
		l, opaque := read(b.Min.Y+y, rowL, rowA)
		gb.addRow(l, rowA, opaque)
	}
	g := gb.finish()
	g.sc = sc
	return g
}

// reduction is the factor toGrey reduces a picture of sw×sh pixels by.
func reduction(sw, sh int) int { return (max(sw, sh) + workMaxSide - 1) / workMaxSide }

// reducedPicture is a picture a decoder already reduced row by row as it
// decoded it (pngluma.go): toGrey returns g as it is. It stands for the
// picture (its bounds are the picture's) but holds no pixels of it.
type reducedPicture struct{ g *grey }

func (r *reducedPicture) ColorModel() color.Model { return color.GrayModel }
func (r *reducedPicture) Bounds() image.Rectangle { return image.Rect(0, 0, r.g.sw, r.g.sh) }

// At is the mean of the block the pixel lies in (the picture itself is
// gone): reducedPicture is an image.Image only to travel where decoded
// pictures do.
func (r *reducedPicture) At(x, y int) color.Color {
	if !(image.Point{x, y}.In(r.Bounds())) {
		return color.Gray{}
	}
	return color.Gray{uint8(clamp255(r.g.means()[(y/r.g.k)*r.g.w+x/r.g.k]))}
}

// greyBuilder is toGrey for a picture that is not a luma plane, fed its
// rows of premultiplied luma and alpha in order, top to bottom, by toGrey
// or by a decoder as it decodes them.
type greyBuilder struct {
	sw, sh, k, w, h int
	y               int       // the next row
	luma            []float32 // premultiplied luma, 0..255
	alpha           []float32 // 0..1, allocated at the first translucent row
	// Block extremes of the luma composited over black (L) and over white
	// (L + 255 - A); which one applies is known only after compositing.
	dark0, light0, dark1, light1 []uint8
	// Per block of the current block row: sums of luma and alpha, and the
	// running extremes of the opaque case (ints, so min and max compile to
	// conditional moves instead of branches that noise mispredicts).
	sumL, sumA, lo, hi []int
	sc                 *scratch
}

// newGreyBuilder returns a builder whose planes come from sc (cleared:
// the extremes start from zero where no row set them).
func newGreyBuilder(sw, sh int, sc *scratch) *greyBuilder {
	k := reduction(sw, sh)
	w, h := (sw+k-1)/k, (sh+k-1)/k
	gb := &greyBuilder{sw: sw, sh: sh, k: k, w: w, h: h, luma: sc.zeroFloats(bufLuma, w*h), sc: sc,
		sumL: make([]int, w), sumA: make([]int, w), lo: make([]int, w), hi: make([]int, w)}
	if k > 1 {
		gb.dark0, gb.light0 = sc.zeroBytes(bufDarkest, w*h), sc.zeroBytes(bufLightest, w*h)
		gb.dark1, gb.light1 = sc.zeroBytes(bufDarkestWhite, w*h), sc.zeroBytes(bufLightestWhite, w*h)
	}
	return gb
}

func (gb *greyBuilder) blockW(ox int) int { return min(ox*gb.k+gb.k, gb.sw) - ox*gb.k }

// addRow adds the next row: its premultiplied luma l, and when it is not
// opaque its alpha a (a is a scratch row of sw bytes that addRow may
// overwrite).
func (gb *greyBuilder) addRow(l, a []uint8, opaque bool) {
	k, w, sw := gb.k, gb.w, gb.sw
	y := gb.y
	gb.y++
	oy := y / k
	row := oy * w
	y0, y1 := oy*k, min(oy*k+k, gb.sh)
	sumL, sumA, lo, hi := gb.sumL, gb.sumA, gb.lo, gb.hi
	if y == y0 {
		clear(sumL)
		clear(sumA)
		if k > 1 {
			for i := range lo {
				lo[i], hi[i] = 255, 0
			}
			if gb.alpha != nil {
				for i := row; i < row+w; i++ {
					gb.dark0[i], gb.dark1[i] = 255, 255
				}
			}
		}
	}
	if !opaque && gb.alpha == nil {
		// The first translucent row: everything before was opaque,
		// where the composite over white equals the luma itself.
		gb.alpha = gb.sc.zeroFloats(bufAlpha, w*gb.h)
		for i := range row {
			gb.alpha[i] = 1
		}
		for ox := range w {
			sumA[ox] = 255 * gb.blockW(ox) * (y - y0)
		}
		if k > 1 {
			// This block row's extremes so far, from the opaque
			// accumulators.
			for ox := range w {
				gb.dark0[row+ox], gb.light0[row+ox] = uint8(lo[ox]), uint8(hi[ox])
			}
		}
		copy(gb.dark1, gb.dark0)
		copy(gb.light1, gb.light0)
	}
	switch {
	case k == 1:
		for x, v := range l[:w] {
			sumL[x] += int(v)
		}
		if gb.alpha != nil {
			if opaque {
				for x := range w {
					sumA[x] += 255
				}
			} else {
				for x, av := range a[:w] {
					sumA[x] += int(av)
				}
			}
		}
	case gb.alpha == nil: // opaque so far: the common, fast case
		accumulateBlocks(l[:sw], k, sumL, lo, hi)
	default:
		if opaque {
			fillOpaque(a[:sw])
		}
		accumulateTranslucent(l[:sw], a, k, sumL, sumA,
			gb.dark0[row:row+w], gb.light0[row:row+w], gb.dark1[row:row+w], gb.light1[row:row+w])
	}
	if y+1 < y1 {
		return
	}
	// The last row of a block row.
	if k > 1 && gb.alpha == nil {
		for ox := range w {
			gb.dark0[row+ox], gb.light0[row+ox] = uint8(lo[ox]), uint8(hi[ox])
		}
	}
	for ox := 0; ox < w; ox++ {
		n := float32(gb.blockW(ox) * (y1 - y0))
		gb.luma[row+ox] = float32(uint64(sumL[ox])) / n
		if gb.alpha != nil {
			gb.alpha[row+ox] = float32(uint64(sumA[ox])) / (n * 255)
		}
	}
}

// finish returns the grey image once every row was added.
func (gb *greyBuilder) finish() *grey {
	k, luma, alpha := gb.k, gb.luma, gb.alpha
	g := &grey{w: gb.w, h: gb.h, k: k, sw: gb.sw, sh: gb.sh, pix: luma, darkest: gb.dark0, lightest: gb.light0, integral: k == 1 && alpha == nil}
	if alpha != nil && composite(luma, alpha) == 255 && k > 1 {
		g.darkest, g.lightest = gb.dark1, gb.light1
	}
	return g
}

// accumulateBlocks adds one opaque row of luma to the sums and extremes of
// the k-pixel-wide blocks it spans.
func accumulateBlocks(row []uint8, k int, sum, lo, hi []int) {
	w := len(sum)
	if k == 2 && len(row) == 2*w {
		lo, hi = lo[:w], hi[:w]
		for ox := range sum {
			a, b := int(row[2*ox]), int(row[2*ox+1])
			sum[ox] += a + b
			lo[ox] = min(lo[ox], a, b)
			hi[ox] = max(hi[ox], a, b)
		}
		return
	}
	for ox := range sum {
		x := ox * k
		seg := row[x:min(x+k, len(row))]
		s, l, h := 0, lo[ox], hi[ox]
		for _, v := range seg {
			p := int(v)
			s += p
			l = min(l, p)
			h = max(h, p)
		}
		sum[ox] += s
		lo[ox], hi[ox] = l, h
	}
}

// accumulateTranslucent adds one row of premultiplied luma and alpha to the
// sums of the k-pixel-wide blocks it spans, and to the extremes of the luma
// composited over black (d0, l0) and over white (d1, l1).
func accumulateTranslucent(rowL, rowA []uint8, k int, sumL, sumA []int, d0s, l0s, d1s, l1s []uint8) {
	sw := len(rowL)
	rowA = rowA[:sw]
	// A block of an empty canvas (alpha and luma all 0) adds nothing to
	// the sums and leaves the extremes at 0 over black and 255 over
	// white: one 8-byte load of each row tells (blocks up to 8 wide).
	var empty uint64 // the mask of a block's bytes in such a load
	switch {
	case k < 8:
		empty = 1<<(8*uint(k)) - 1
	case k == 8:
		empty = ^uint64(0)
	}
	for ox := range sumL {
		x0 := ox * k
		if empty != 0 && x0+8 <= sw && (binary.LittleEndian.Uint64(rowA[x0:])|binary.LittleEndian.Uint64(rowL[x0:]))&empty == 0 {
			d0s[ox], l1s[ox] = 0, 255
			continue
		}
		var l, a int
		d0, l0, d1, l1 := d0s[ox], l0s[ox], d1s[ox], l1s[ox]
		for x := x0; x < min(x0+k, sw); x++ {
			v, al := rowL[x], rowA[x]
			l += int(v)
			a += int(al)
			// Premultiplied luma never exceeds alpha; min keeps a
			// malformed image from wrapping around.
			over := 255 - al + min(v, al)
			d0, l0 = min(d0, v), max(l0, v)
			d1, l1 = min(d1, over), max(l1, over)
		}
		sumL[ox] += l
		sumA[ox] += a
		d0s[ox], l0s[ox], d1s[ox], l1s[ox] = d0, l0, d1, l1
	}
}

func fillOpaque(a []uint8) {
	for i := range a {
		a[i] = 255
	}
}

// composite lays the premultiplied luma over a uniform background, black
// (0) or white (255), in place, and returns that background. The right one makes
// the ink a small minority that stands out: a drawing app's black strokes on
// an empty canvas vanish on black and stand out on white; white strokes the
// other way round; a canvas pasted over part of a white page must become
// page, not a black slab around the strokes. So both are tried, and the
// one leaving the fewest pixels far from the picture's median (but some)
// wins.
func composite(luma, alpha []float32) float32 {
	outliers := func(bg float32) int {
		var hist [256]int
		for i, a := range alpha {
			hist[clamp255(luma[i]+(1-a)*bg)]++
		}
		med := percentile(&hist, len(alpha), 0.5)
		far := 0
		for v, k := range hist {
			if d := v - med; d > 64 || d < -64 {
				far += k
			}
		}
		return far
	}
	var bg float32 = 255
	if onWhite, onBlack := outliers(255), outliers(0); onWhite == 0 || (onBlack > 0 && onBlack < onWhite) {
		bg = 0
	}
	for i, a := range alpha {
		luma[i] += (1 - a) * bg
	}
	return bg
}
