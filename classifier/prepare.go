package classifier

// Preparing a picture for reading: decoding it within the budget, finding
// its ink, and reading a small mark again from a crop of it (zoom).

import (
	"context"
	"image"

	"github.com/digitbot/digitbot"
)

// prepare decodes and preprocesses in the caller's goroutine, once one of
// the decoding slots is free. narrowShadow is findInk's.
func (c *Classifier) prepare(ctx context.Context, data []byte, narrowShadow bool) (*lineInk, error) {
	select {
	case <-c.closed:
		return nil, digitbot.Errorf(digitbot.EUNAVAILABLE, "The classifier is shutting down.")
	case <-ctx.Done():
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "The classifier is busy; please try again.", ctx.Err())
	case c.decoding <- struct{}{}:
	}
	defer func() { <-c.decoding }()
	sc, _ := c.scratch.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer func() {
		sc.trim()
		c.scratch.Put(sc)
	}()
	img, scale, size, release, err := c.budget.decodeForReading(ctx, data, c.maxBytes, c.maxPixels, !c.fullDecode, sc)
	if err != nil {
		return nil, err
	}
	line, err := readInkScratch(img, sc, narrowShadow)
	if err != nil {
		release()
		return nil, err
	}
	if zoomed := c.zoom(ctx, data, img, line, size, sc, narrowShadow); zoomed != nil {
		line = zoomed
	}
	release()
	// Decoded at a reduced scale: boxes in the picture's pixels.
	scaleBoxes(line, scale, image.Rectangle{Max: size})
	return line, nil
}

// zoomBelow: ink whose box is less than this many working pixels a side (a
// small digit on a big canvas, 10 working pixels for 40 of a 1000-pixel
// drawing) is read again from a crop of the picture, as a person leans in.
// Reduced, its strokes are a pixel wide and a 2 is a handful of pixels.
const zoomBelow = 2 * fitSide

// zoomMaxPixels bounds the PNG (or other picture that was reduced as it
// was decoded) that zoom decodes again whole: a 4-megapixel PNG takes tens
// of milliseconds, a 12-megapixel one hundreds.
const zoomMaxPixels = 4 << 20

// zoom reads the ink of line (a reading of img) again from a crop of the
// decoded picture around it, with a margin of half its size (paper enough
// to judge the background by), when preprocessing reduced img by 2 or more
// and the ink is smaller than zoomBelow there. The crop is of img itself
// when it holds its pixels (a JPEG decoded at a reduced scale is cropped
// at that scale), else of the picture decoded again at full size. It
// returns nil when there is nothing to gain or the zoomed reading fails
// (the first reading stands); its boxes are in img's coordinates.
func (c *Classifier) zoom(ctx context.Context, data []byte, img image.Image, line *lineInk, size image.Point, sc *scratch, narrowShadow bool) *lineInk {
	k := workingReduction(img)
	if k < 2 || len(line.edges) == 0 {
		return nil
	}
	var ink image.Rectangle
	for _, e := range line.edges {
		b := e.piece.box
		ink = ink.Union(image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3]))
	}
	if side := max(ink.Dx(), ink.Dy()); side >= zoomBelow*k || side == 0 {
		return nil
	}
	if _, reduced := img.(*reducedPicture); reduced {
		if size.X*size.Y > zoomMaxPixels {
			return nil
		}
		full, _, _, release, err := c.budget.decodeForReading(ctx, data, c.maxBytes, c.maxPixels, false, sc)
		if err != nil {
			return nil
		}
		defer release()
		img = full
	}
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	origin := img.Bounds().Min
	margin := max(ink.Dx(), ink.Dy())/2 + k
	crop := ink.Inset(-margin).Add(origin).Intersect(img.Bounds())
	if !ok || crop.Empty() {
		return nil
	}
	zoomed, err := readInkScratch(sub.SubImage(crop), sc, narrowShadow)
	if err != nil {
		return nil
	}
	for _, e := range zoomed.edges {
		e.piece.box[0] += crop.Min.X - origin.X
		e.piece.box[1] += crop.Min.Y - origin.Y
	}
	return zoomed
}

// workingReduction is the factor toGrey reduces img by.
func workingReduction(img image.Image) int {
	if r, ok := img.(*reducedPicture); ok {
		return r.g.k
	}
	b := img.Bounds()
	return reduction(b.Dx(), b.Dy())
}

// scaleBoxes turns the boxes of a reading of a picture decoded at 1/scale
// into the picture's pixels, within bounds.
func scaleBoxes(line *lineInk, scale int, bounds image.Rectangle) {
	if scale == 1 {
		return
	}
	for _, e := range line.edges {
		b := &e.piece.box
		x0, y0 := min(b[0]*scale, bounds.Max.X), min(b[1]*scale, bounds.Max.Y)
		x1, y1 := min((b[0]+b[2])*scale, bounds.Max.X), min((b[1]+b[3])*scale, bounds.Max.Y)
		*b = [4]int{x0, y0, x1 - x0, y1 - y0}
	}
}

// Prepare decodes and preprocesses an image exactly as Classify does,
// without running the model, and returns how many model inputs it made
// (one per way of reading a piece of ink). It is there to measure
// preprocessing apart from inference.
func (c *Classifier) Prepare(ctx context.Context, data []byte) (inputs int, err error) {
	line, err := c.prepare(ctx, data, false)
	if err != nil {
		return 0, err
	}
	return len(line.edges), nil
}
