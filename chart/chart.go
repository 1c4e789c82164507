// Package chart renders digitbot's statistics as one PNG for Discord's
// /stats command: a title bar with the totals, then four panels — accuracy
// and count per true digit, confidence over time, hits over time, and a
// confusion matrix — in a dark theme that reads in Discord's dark mode.
//
// The line and bar panels are go-chart charts. go-chart draws every chart
// from (0,0) over its own raster, so each panel is rendered on its own and
// copied onto the page with image/draw; the title bar and the confusion
// matrix (go-chart has no heatmap) are drawn with go-chart's renderer
// directly on the page. Every go-chart axis gets an explicit range and
// explicit ticks, so the zero ranges and single points that make go-chart
// fail cannot happen.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"

	"github.com/digitbot/digitbot"
	"github.com/golang/freetype/truetype"
	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
	"github.com/wcharczuk/go-chart/v2/roboto"
)

// Default and allowed image sizes, in pixels. 1200x900 stays sharp when
// Discord shrinks it to its ~550 px preview.
const (
	DefaultWidth  = 1200
	DefaultHeight = 900
	MinWidth      = 480
	MinHeight     = 360
	MaxWidth      = 4000
	MaxHeight     = 4000
)

// Options says how to draw the image. The zero value is usable.
type Options struct {
	// Title names the scope, e.g. "Server stats · My Server" or "@alice".
	// It may come from users: it is cleaned and cut to about 40 characters.
	Title string
	// Threshold is the confidence under which the bot says it is unsure,
	// drawn as a line; 0 means digitbot.DefaultThreshold.
	Threshold float64
	// Lang is "en" (default) or "es".
	Lang string
	// Width and Height of the PNG; 0 means DefaultWidth / DefaultHeight.
	Width, Height int
}

// Render draws s as a PNG. It is safe for concurrent use: each call parses
// its own copy of the font (a few microseconds) and shares no state.
// An empty history gives a friendly "no evaluations yet" image, not an
// error; errors mean bad Options or a bug, and then no bytes are returned.
func Render(s digitbot.Stats, o Options) ([]byte, error) {
	p, err := render(s, o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, p.img); err != nil {
		return nil, fmt.Errorf("chart: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// render draws the page; the returned page also records where each panel
// went, which the tests use to look at the right pixels.
func render(s digitbot.Stats, o Options) (p *page, err error) {
	w, h := o.Width, o.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < MinWidth || w > MaxWidth || h < MinHeight || h > MaxHeight {
		return nil, fmt.Errorf("chart: image size %dx%d outside %dx%d..%dx%d", w, h, MinWidth, MinHeight, MaxWidth, MaxHeight)
	}
	thr := o.Threshold
	if thr == 0 {
		thr = digitbot.DefaultThreshold
	}
	if math.IsNaN(thr) || thr < 0 || thr > 1 {
		return nil, fmt.Errorf("chart: threshold %v outside 0..1", o.Threshold)
	}
	// go-chart can panic on inputs it does not expect; a panic here must
	// not take the bot down with it.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("chart: render panicked: %v", r)
		}
	}()

	font, err := truetype.Parse(roboto.Roboto)
	if err != nil {
		return nil, fmt.Errorf("chart: font: %w", err)
	}
	p, err = newPage(w, h, font, textsFor(o.Lang))
	if err != nil {
		return nil, err
	}
	title := cleanTitle(o.Title, font, p.t.defaultTitle)
	if err := p.draw(sanitize(s), title, thr); err != nil {
		return nil, err
	}
	return p, nil
}

// page is one image being drawn: go-chart's renderer and the RGBA image it
// draws on, plus the scale of everything relative to 1200x900.
type page struct {
	r    gochart.Renderer
	img  *image.RGBA
	font *truetype.Font
	t    texts
	w, h int
	k    float64 // scale factor for sizes designed at 1200x900

	// Where things went, for tests.
	panels [4]image.Rectangle // per-digit, confusion, confidence, hits
	matrix image.Rectangle    // the 10x10 grid of the confusion matrix
}

// rgbaCollector receives go-chart's raster instead of a PNG encoding of it
// (go-chart's RGBACollector), which saves an encode and a decode per panel.
type rgbaCollector struct{ img *image.RGBA }

func (c *rgbaCollector) SetRGBA(i *image.RGBA) { c.img = i }
func (c *rgbaCollector) Write([]byte) (int, error) {
	return 0, errors.New("chart: unexpected encoded write")
}

func newPage(w, h int, font *truetype.Font, t texts) (*page, error) {
	r, err := gochart.PNG(w, h)
	if err != nil {
		return nil, fmt.Errorf("chart: renderer: %w", err)
	}
	r.SetDPI(72) // so that font sizes are pixels
	r.SetFont(font)
	var c rgbaCollector
	if err := r.Save(&c); err != nil || c.img == nil {
		return nil, errors.New("chart: renderer gave no raster")
	}
	k := math.Min(float64(w)/DefaultWidth, float64(h)/DefaultHeight)
	p := &page{r: r, img: c.img, font: font, t: t, w: w, h: h, k: k}
	p.fill(image.Rect(0, 0, w, h), colBackground)
	return p, nil
}

// px scales a length designed for 1200x900.
func (p *page) px(v float64) int { return int(math.Round(v * p.k)) }

// fs scales a font size designed for 1200x900.
func (p *page) fs(v float64) float64 { return v * p.k }

func (p *page) fill(r image.Rectangle, c drawing.Color) {
	draw.Draw(p.img, r, &image.Uniform{C: rgba(c)}, image.Point{}, draw.Src)
}

type align int

const (
	alignLeft align = iota
	alignCenter
	alignRight
)

// text draws s with its baseline at y; x is the left, centre or right edge.
// It returns the drawn width.
func (p *page) text(s string, x, y int, size float64, c drawing.Color, a align) int {
	p.r.SetFont(p.font)
	p.r.SetFontSize(size)
	p.r.SetFontColor(c)
	wd := p.r.MeasureText(s).Width()
	switch a {
	case alignCenter:
		x -= wd / 2
	case alignRight:
		x -= wd
	}
	p.r.Text(s, x, y)
	return wd
}

func (p *page) measure(s string, size float64) int {
	p.r.SetFont(p.font)
	p.r.SetFontSize(size)
	return p.r.MeasureText(s).Width()
}

// fitSize shrinks size until s fits in width pixels (not below minSize).
func (p *page) fitSize(s string, size, minSize float64, width int) float64 {
	for size > minSize && p.measure(s, size) > width {
		size *= 0.92
	}
	return math.Max(size, minSize)
}

// paste copies a rendered go-chart panel onto the page at (x, y).
func (p *page) paste(src *image.RGBA, x, y int) {
	b := src.Bounds()
	draw.Draw(p.img, image.Rect(x, y, x+b.Dx(), y+b.Dy()), src, b.Min, draw.Src)
}

// renderGoChart renders c into its own raster.
func renderGoChart(c gochart.Chart) (*image.RGBA, error) {
	var col rgbaCollector
	if err := c.Render(gochart.PNG, &col); err != nil {
		return nil, err
	}
	if col.img == nil {
		return nil, errors.New("go-chart gave no raster")
	}
	return col.img, nil
}

// draw lays out the page: a title bar, then a 2x2 grid of panels.
func (p *page) draw(s digitbot.Stats, title string, thr float64) error {
	margin := p.px(16)
	titleH := p.px(116)
	p.drawTitleBar(s, title, image.Rect(margin, margin, p.w-margin, titleH))
	if s.Total == 0 {
		heading, hint := p.t.noEvaluations, p.t.noEvalHint
		if s.Numbers.Count > 0 {
			// Numbers were evaluated, but none gave a digit verdict.
			heading, hint = p.t.noDigitScored, p.t.noDigitHint
		}
		p.drawEmpty(image.Rect(margin, titleH+margin, p.w-margin, p.h-margin), heading, hint)
		return nil
	}
	gap := p.px(12)
	top := titleH + margin
	pw := (p.w - 2*margin - gap) / 2
	// The top row holds the square confusion matrix: give it more height.
	ph := (p.h - top - margin - gap) * 55 / 100
	cells := [4]image.Rectangle{
		image.Rect(margin, top, margin+pw, top+ph),
		image.Rect(margin+pw+gap, top, p.w-margin, top+ph),
		image.Rect(margin, top+ph+gap, margin+pw, p.h-margin),
		image.Rect(margin+pw+gap, top+ph+gap, p.w-margin, p.h-margin),
	}
	p.panels = cells
	tl := newTimeline(s)
	panels := []struct {
		name string
		draw func(image.Rectangle) error
	}{
		{"per-digit", func(r image.Rectangle) error { return p.drawDigits(s, r) }},
		{"confusion", func(r image.Rectangle) error { p.drawConfusion(s, r); return nil }},
		{"confidence", func(r image.Rectangle) error { return p.drawConfidence(tl, thr, r) }},
		{"hits", func(r image.Rectangle) error { return p.drawHits(tl, r) }},
	}
	for i, pn := range panels {
		p.fill(cells[i], colPanel)
		if err := pn.draw(cells[i]); err != nil {
			return fmt.Errorf("chart: %s panel: %w", pn.name, err)
		}
	}
	return nil
}

// drawTitleBar draws the scope title and date range on the left and the
// three headline numbers as tiles on the right.
func (p *page) drawTitleBar(s digitbot.Stats, title string, r image.Rectangle) {
	t := p.t
	tiles := []struct{ value, label string }{
		{formatInt(s.Total, t), t.evaluations},
		{"—", t.accuracy},
		{"—", t.meanConfidence},
	}
	if s.Total > 0 {
		tiles[1].value = formatPercent(s.Accuracy(), 1, t)
		tiles[2].value = formatPercent(s.MeanConfidence(), 0, t)
	}
	valueSize, labelSize := p.fs(40), p.fs(17)
	tileW := p.px(190)
	x := r.Max.X
	for i := len(tiles) - 1; i >= 0; i-- {
		tw := max(tileW, p.measure(tiles[i].value, valueSize)+p.px(24), p.measure(tiles[i].label, labelSize)+p.px(24))
		box := image.Rect(x-tw, r.Min.Y, x, r.Max.Y-p.px(8))
		p.fill(box, colPanel)
		cx := box.Min.X + tw/2
		vc := colText
		if i == 1 {
			vc = colAccuracy
		}
		if i == 2 {
			vc = colPrimary
		}
		p.text(tiles[i].value, cx, box.Min.Y+p.px(56), valueSize, vc, alignCenter)
		p.text(tiles[i].label, cx, box.Min.Y+p.px(84), labelSize, colMuted, alignCenter)
		x -= tw + p.px(10)
	}
	// The title gets whatever width the tiles leave.
	avail := x - r.Min.X - p.px(10)
	size := p.fitSize(title, p.fs(38), p.fs(18), avail)
	p.text(title, r.Min.X, r.Min.Y+p.px(48), size, colText, alignLeft)
	sub := subtitle(s, t)
	p.text(sub, r.Min.X, r.Min.Y+p.px(84), p.fitSize(sub, p.fs(20), p.fs(12), avail), colMuted, alignLeft)
	p.fill(image.Rect(r.Min.X, r.Max.Y-p.px(3), r.Min.X+p.px(64), r.Max.Y), colPrimary)
}

// subtitle is the title bar's second line: the date range, and how the
// numbers fared when some were evaluated (the panels count their digits,
// not the numbers).
func subtitle(s digitbot.Stats, t texts) string {
	sub := formatDateRange(s.FirstAt, s.LastAt, t)
	if sub == "" {
		sub = "digitbot"
	}
	if n := s.Numbers; n.Count > 0 {
		sub += " · " + fmt.Sprintf(t.numbers, formatInt(n.Hits, t), formatInt(n.Count, t))
		if n.SegmentationErrors > 0 {
			sub += ", " + fmt.Sprintf(t.numbersMiscut, formatInt(n.SegmentationErrors, t))
		}
	}
	return sub
}

// drawEmpty is the whole body of the image when there is nothing to plot.
func (p *page) drawEmpty(r image.Rectangle, heading, hint string) {
	p.fill(r, colPanel)
	cx, cy := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2
	// A faint digit grid, so the image is recognisably digitbot's.
	cell := p.px(54)
	gx := cx - 5*cell
	for d := 0; d < 10; d++ {
		p.fill(image.Rect(gx+d*cell+p.px(4), cy-p.px(150), gx+(d+1)*cell-p.px(4), cy-p.px(150)+cell-p.px(8)), colCellEmpty)
		p.text(fmt.Sprint(d), gx+d*cell+cell/2, cy-p.px(150)+p.px(32), p.fs(26), colMuted, alignCenter)
	}
	size := p.fitSize(heading, p.fs(56), p.fs(20), r.Dx()-p.px(40))
	p.text(heading, cx, cy+p.px(20), size, colText, alignCenter)
	hintSize := p.fitSize(hint, p.fs(24), p.fs(12), r.Dx()-p.px(40))
	p.text(hint, cx, cy+p.px(70), hintSize, colMuted, alignCenter)
	p.fill(image.Rect(cx-p.px(40), cy+p.px(100), cx+p.px(40), cy+p.px(104)), colPrimary)
}

// panelHeader draws a panel's heading and its legend (on the heading's line
// when both fit, else on the line below), and returns the area left for the
// plot.
func (p *page) panelHeader(r image.Rectangle, heading string, legend []legendItem) image.Rectangle {
	pad := p.px(14)
	base := r.Min.Y + p.px(34)
	hw := p.text(heading, r.Min.X+pad, base, p.fs(22), colText, alignLeft)
	ls := p.fs(16)
	sw := p.px(14)
	width := 0
	for i, it := range legend {
		if i > 0 {
			width += p.px(18)
		}
		width += sw + p.px(6) + p.measure(it.label, ls)
		if it.kind == legendLine || it.kind == legendDash {
			width += p.px(8)
		}
	}
	lx, ly := r.Max.X-pad-width, base-p.px(2)
	bottom := base + p.px(8)
	if lx < r.Min.X+pad+hw+p.px(24) {
		lx, ly = r.Min.X+pad, base+p.px(28)
		bottom = ly + p.px(6)
	}
	for _, it := range legend {
		w := sw
		switch it.kind {
		case legendDot:
			p.r.SetFillColor(it.color)
			p.r.SetStrokeColor(it.color)
			p.r.SetStrokeWidth(1)
			p.r.Circle(float64(p.px(6)), lx+sw/2, ly-p.px(6))
			p.r.FillStroke()
		case legendLine:
			w += p.px(8)
			p.fill(image.Rect(lx, ly-p.px(8), lx+w, ly-p.px(4)), it.color)
		case legendDash:
			w += p.px(8)
			for i := 0; i < 3; i++ {
				x0 := lx + i*p.px(8)
				p.fill(image.Rect(x0, ly-p.px(7), x0+p.px(5), ly-p.px(5)), it.color)
			}
		default:
			p.fill(image.Rect(lx, ly-p.px(13), lx+sw, ly+p.px(1)), it.color)
		}
		lx += w + p.px(6)
		lx += p.text(it.label, lx, ly, ls, colMuted, alignLeft) + p.px(18)
	}
	return image.Rect(r.Min.X, bottom, r.Max.X, r.Max.Y)
}

type legendKind int

const (
	legendBox legendKind = iota
	legendDot
	legendLine
	legendDash
)

type legendItem struct {
	label string
	color drawing.Color
	kind  legendKind
}

// sanitize clamps what a damaged or hand-made Stats could hold (negative
// counts, NaN or out-of-range confidences) so that nothing below has to.
func sanitize(s digitbot.Stats) digitbot.Stats {
	clamp01 := func(v float64) float64 {
		if math.IsNaN(v) || v < 0 {
			return 0
		}
		return math.Min(v, 1)
	}
	s.Total = max(s.Total, 0)
	s.Hits = min(max(s.Hits, 0), s.Total)
	if math.IsNaN(s.ConfidenceSum) || s.ConfidenceSum < 0 {
		s.ConfidenceSum = 0
	}
	s.ConfidenceSum = math.Min(s.ConfidenceSum, float64(s.Total))
	for d := range s.Digits {
		s.Digits[d].Count = max(s.Digits[d].Count, 0)
		s.Digits[d].Hits = min(max(s.Digits[d].Hits, 0), s.Digits[d].Count)
		for q := range s.Confusion[d] {
			s.Confusion[d][q] = max(s.Confusion[d][q], 0)
		}
	}
	recent := make([]digitbot.Point, 0, len(s.Recent))
	for _, pt := range s.Recent {
		if pt.Time.IsZero() {
			continue
		}
		pt.Confidence = clamp01(pt.Confidence)
		recent = append(recent, pt)
	}
	s.Recent = recent
	daily := make([]digitbot.Day, 0, len(s.Daily))
	for _, d := range s.Daily {
		if d.Date.IsZero() || d.Count <= 0 {
			continue
		}
		d.Hits = min(max(d.Hits, 0), d.Count)
		d.ConfidenceSum = clamp01(d.ConfidenceSum/float64(d.Count)) * float64(d.Count)
		daily = append(daily, d)
	}
	s.Daily = daily
	return s
}
