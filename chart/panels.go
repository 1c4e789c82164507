package chart

import (
	"fmt"
	"image"
	"math"

	"github.com/digitbot/digitbot"
	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// baseChart is a go-chart chart filling plot area r, in the page's theme
// and with the page's font passed explicitly (go-chart's lazy default font
// loading is racy; an explicit Font skips it).
func (p *page) baseChart(r image.Rectangle) gochart.Chart {
	return gochart.Chart{
		Width:        r.Dx(),
		Height:       r.Dy(),
		DPI:          72,
		Font:         p.font,
		ColorPalette: darkPalette{},
		Background: gochart.Style{
			FillColor: colPanel,
			Padding:   gochart.Box{Top: p.px(12), Left: p.px(12), Right: p.px(12), Bottom: p.px(10)},
		},
		Canvas: gochart.Style{FillColor: colPanel},
	}
}

func (p *page) axisStyle(size float64) gochart.Style {
	return gochart.Style{StrokeColor: colAxis, StrokeWidth: 1, FontColor: colMuted, FontSize: p.fs(size)}
}

func (p *page) gridStyle() gochart.Style {
	return gochart.Style{StrokeColor: colGrid, StrokeWidth: 1}
}

// unitTicks are ticks at 0, 25, 50, 75, 100 % of an axis normalised to 0..1.
func unitTicks(label func(i int) string) []gochart.Tick {
	ticks := make([]gochart.Tick, 5)
	for i := range ticks {
		ticks[i] = gochart.Tick{Value: float64(i) / 4, Label: label(i)}
	}
	return ticks
}

func (p *page) plot(c gochart.Chart, at image.Rectangle) error {
	img, err := renderGoChart(c)
	if err != nil {
		return err
	}
	p.paste(img, at.Min.X, at.Min.Y)
	return nil
}

// drawDigits: accuracy (left axis) beside the number of evaluations (right
// axis) for each true digit, as grouped bars on a shared 0..1 scale.
func (p *page) drawDigits(s digitbot.Stats, r image.Rectangle) error {
	t := p.t
	area := p.panelHeader(r, t.perDigit, []legendItem{
		{label: t.accuracy + " (%)", color: colAccuracy},
		{label: t.evaluations, color: colPrimary},
	})
	maxCount := 0
	for _, d := range s.Digits {
		maxCount = max(maxCount, d.Count)
	}
	// Headroom above the tallest bar keeps it clear of the value labels.
	top, step := countAxis(float64(maxCount) * 1.1)
	acc := barSeries{axis: gochart.YAxisSecondary, offset: -0.2, width: 0.36, color: colAccuracy,
		labelSize: p.fs(13), labelColor: colText, minPx: p.px(3)}
	cnt := barSeries{axis: gochart.YAxisPrimary, offset: 0.2, width: 0.36, color: colPrimary, minPx: p.px(3)}
	for d, ds := range s.Digits {
		if ds.Count == 0 {
			continue
		}
		share := float64(ds.Hits) / float64(ds.Count)
		acc.present[d], cnt.present[d] = true, true
		acc.values[d] = share
		acc.labels[d] = fmt.Sprintf("%.0f", share*100)
		cnt.values[d] = float64(ds.Count) / top
	}
	xticks := []gochart.Tick{{Value: -0.5}}
	for d := 0; d < 10; d++ {
		xticks = append(xticks, gochart.Tick{Value: float64(d), Label: fmt.Sprint(d)})
	}
	xticks = append(xticks, gochart.Tick{Value: 9.5})

	c := p.baseChart(area)
	c.XAxis = gochart.XAxis{Style: p.axisStyle(19), Ticks: xticks, Range: &gochart.ContinuousRange{Min: -0.5, Max: 9.5}}
	// go-chart v2.1.2 sets the secondary axis range from the primary axis'
	// ticks; both axes span 0..1 here, so that is harmless.
	c.YAxis = gochart.YAxis{Style: p.axisStyle(15), Range: &gochart.ContinuousRange{Min: 0, Max: 1},
		Ticks: unitTicks(func(i int) string { return formatInt(int(float64(i)*step), t) })}
	c.YAxisSecondary = gochart.YAxis{Style: p.axisStyle(15), Range: &gochart.ContinuousRange{Min: 0, Max: 1},
		Ticks:          unitTicks(func(i int) string { return fmt.Sprintf("%d%%", i*25) }),
		GridMajorStyle: p.gridStyle(), GridMinorStyle: p.gridStyle()}
	c.Series = []gochart.Series{acc, cnt}
	return p.plot(c, area)
}

// barSeries draws one bar per digit, offset within the digit's slot; go-chart
// has no grouped or dual-axis bar chart, but a Chart accepts any Series.
type barSeries struct {
	axis       gochart.YAxisType
	values     [10]float64 // 0..1 of the axis
	present    [10]bool
	labels     [10]string // drawn above the bar when they fit
	offset     float64    // from the digit, in x units
	width      float64    // in x units
	color      drawing.Color
	labelColor drawing.Color
	labelSize  float64
	minPx      int // a present bar of value 0 still shows this high
}

func (b barSeries) GetName() string             { return "" }
func (b barSeries) GetYAxis() gochart.YAxisType { return b.axis }
func (b barSeries) GetStyle() gochart.Style     { return gochart.Style{} }
func (b barSeries) Validate() error             { return nil }

func (b barSeries) Render(r gochart.Renderer, box gochart.Box, xr, yr gochart.Range, s gochart.Style) {
	for d := 0; d < 10; d++ {
		if !b.present[d] {
			continue
		}
		x0 := box.Left + xr.Translate(float64(d)+b.offset-b.width/2)
		x1 := box.Left + xr.Translate(float64(d)+b.offset+b.width/2)
		y1 := box.Bottom
		y0 := box.Bottom - yr.Translate(math.Max(0, math.Min(1, b.values[d])))
		if y1-y0 < b.minPx {
			y0 = y1 - b.minPx
		}
		r.SetFillColor(b.color)
		r.MoveTo(x0, y0)
		r.LineTo(x1, y0)
		r.LineTo(x1, y1)
		r.LineTo(x0, y1)
		r.Close()
		r.Fill()
		if b.labels[d] != "" && b.labelSize > 0 {
			r.SetFont(s.Font)
			r.SetFontSize(b.labelSize)
			r.SetFontColor(b.labelColor)
			tb := r.MeasureText(b.labels[d])
			if tb.Width() <= 2*(x1-x0) {
				r.Text(b.labels[d], (x0+x1)/2-tb.Width()/2, y0-4)
			}
		}
	}
}

// drawConfidence: each evaluation's confidence (right in blue, wrong in
// red) with a rolling mean, or the daily mean, and the threshold line.
func (p *page) drawConfidence(tl timeline, thr float64, r image.Rectangle) error {
	t := p.t
	heading := t.confidence
	if tl.shown > 0 {
		heading += " · " + fmt.Sprintf(t.lastN, tl.shown)
	}
	thrLabel := t.threshold + " " + formatPercent(thr, 0, t)
	var legend []legendItem
	if tl.daily {
		legend = []legendItem{
			{label: t.dailyMean, color: colPrimary, kind: legendLine},
			{label: t.dailyAccuracy, color: colAccuracy, kind: legendLine},
		}
	} else {
		legend = []legendItem{
			{label: t.right, color: colAccuracy, kind: legendDot},
			{label: t.wrong, color: colWrong, kind: legendDot},
			{label: t.rollingMean, color: colPrimary, kind: legendLine},
		}
	}
	legend = append(legend, legendItem{label: thrLabel, color: colThreshold, kind: legendDash})
	area := p.panelHeader(r, heading, legend)
	if len(tl.times) == 0 {
		p.text(t.noTimeline, (area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2, p.fs(20), colMuted, alignCenter)
		return nil
	}
	xs := tl.xs()
	x0, x1 := timeValue(tl.from), timeValue(tl.to)
	c := p.baseChart(area)
	c.XAxis = gochart.XAxis{Style: p.axisStyle(15), Ticks: timeTicks(tl.from, tl.to, 5, t),
		Range: &gochart.ContinuousRange{Min: x0, Max: x1}}
	lowest := thr
	for i := range tl.conf {
		lowest = math.Min(lowest, tl.conf[i])
		if tl.daily {
			lowest = math.Min(lowest, tl.acc[i])
		}
	}
	c.YAxis = gochart.YAxis{Style: p.axisStyle(15), Range: &gochart.ContinuousRange{Min: 0, Max: 1},
		Ticks: percentTicks(lowest), GridMajorStyle: p.gridStyle(), GridMinorStyle: p.gridStyle()}
	c.Series = []gochart.Series{gochart.ContinuousSeries{
		XValues: []float64{x0, x1}, YValues: []float64{thr, thr},
		Style: gochart.Style{StrokeColor: colThreshold.WithAlpha(200), StrokeWidth: 2 * p.k, StrokeDashArray: []float64{8 * p.k, 6 * p.k}},
	}}
	if tl.daily {
		// Per-evaluation marks are gone in the daily view; the day's
		// accuracy beside its mean confidence shows the mistakes instead.
		conf := gochart.Style{StrokeColor: colPrimary, StrokeWidth: 3 * p.k}
		acc := gochart.Style{StrokeColor: colAccuracy, StrokeWidth: 2.5 * p.k}
		if len(xs) <= 62 {
			conf.DotColor, conf.DotWidth = colPrimary, 4*p.k
			acc.DotColor, acc.DotWidth = colAccuracy, 3.5*p.k
		}
		c.Series = append(c.Series,
			gochart.ContinuousSeries{XValues: xs, YValues: tl.acc, Style: acc},
			gochart.ContinuousSeries{XValues: xs, YValues: tl.conf, Style: conf})
		return p.plot(c, area)
	}
	var rx, ry, wx, wy []float64
	for i := range xs {
		if tl.correct[i] {
			rx, ry = append(rx, xs[i]), append(ry, tl.conf[i])
		} else {
			wx, wy = append(wx, xs[i]), append(wy, tl.conf[i])
		}
	}
	dot := 3.5 * p.k
	if len(xs) <= 60 {
		dot = 5 * p.k
	}
	if len(rx) > 0 {
		c.Series = append(c.Series, gochart.ContinuousSeries{XValues: rx, YValues: ry,
			Style: gochart.Style{StrokeWidth: gochart.Disabled, DotColor: colAccuracy.WithAlpha(190), DotWidth: dot}})
	}
	if len(wx) > 0 {
		c.Series = append(c.Series, gochart.ContinuousSeries{XValues: wx, YValues: wy,
			Style: gochart.Style{StrokeWidth: gochart.Disabled, DotColor: colWrong, DotWidth: dot * 1.15}})
	}
	if len(xs) >= 8 {
		c.Series = append(c.Series, gochart.ContinuousSeries{XValues: xs, YValues: rollingMean(tl.conf, max(5, min(50, len(xs)/12))),
			Style: gochart.Style{StrokeColor: colPrimary, StrokeWidth: 3 * p.k}})
	}
	return p.plot(c, area)
}

// percentTicks are the ticks of a 0..1 axis that starts just under lowest:
// daily means all sit between 70% and 100%, and on a 0..100% axis their
// movement would be a flat line.
func percentTicks(lowest float64) []gochart.Tick {
	lo := math.Min(math.Floor((lowest-0.05)*10)/10, 0.6)
	if lo <= 0.2 {
		return unitTicks(func(i int) string { return fmt.Sprintf("%d%%", i*25) })
	}
	step := 0.1
	if 1-lo > 0.5 {
		step = 0.2
		lo = 1 - 0.2*math.Ceil((1-lo)/0.2-1e-9)
	}
	var ticks []gochart.Tick
	for v := 1.0; v > lo-1e-9; v -= step {
		ticks = append([]gochart.Tick{{Value: v, Label: fmt.Sprintf("%.0f%%", v*100)}}, ticks...)
	}
	return ticks
}

// rollingMean is the mean of each value and up to window-1 values before it.
func rollingMean(v []float64, window int) []float64 {
	out := make([]float64, len(v))
	sum := 0.0
	for i := range v {
		sum += v[i]
		if i >= window {
			sum -= v[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

// drawHits: cumulative evaluations and cumulative hits; the gap between
// the two lines is the mistakes.
func (p *page) drawHits(tl timeline, r image.Rectangle) error {
	t := p.t
	heading := t.hits
	if tl.shown > 0 {
		heading += " · " + fmt.Sprintf(t.lastN, tl.shown)
	}
	area := p.panelHeader(r, heading, []legendItem{
		{label: t.totalLine, color: colPrimary, kind: legendLine},
		{label: t.hitsLine, color: colAccuracy, kind: legendLine},
	})
	if len(tl.times) == 0 {
		p.text(t.noTimeline, (area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2, p.fs(20), colMuted, alignCenter)
		return nil
	}
	xs := tl.xs()
	top, step := countAxis(tl.total[len(tl.total)-1])
	c := p.baseChart(area)
	c.XAxis = gochart.XAxis{Style: p.axisStyle(15), Ticks: timeTicks(tl.from, tl.to, 5, t),
		Range: &gochart.ContinuousRange{Min: timeValue(tl.from), Max: timeValue(tl.to)}}
	yt := make([]gochart.Tick, 5)
	for i := range yt {
		yt[i] = gochart.Tick{Value: float64(i) * step, Label: formatInt(int(float64(i)*step), t)}
	}
	c.YAxis = gochart.YAxis{Style: p.axisStyle(15), Range: &gochart.ContinuousRange{Min: 0, Max: top},
		Ticks: yt, GridMajorStyle: p.gridStyle(), GridMinorStyle: p.gridStyle()}
	// Hits are drawn first and wider, evaluations on top and thinner: with
	// no mistakes the lines coincide and both stay visible.
	totalStyle := gochart.Style{StrokeColor: colPrimary, StrokeWidth: 2.5 * p.k}
	hitStyle := gochart.Style{StrokeColor: colAccuracy, StrokeWidth: 5 * p.k}
	if len(xs) > 1 {
		// go-chart fills a one-point series from the canvas origin.
		hitStyle.FillColor = colAccuracy.WithAlpha(50)
	}
	if len(xs) <= 40 {
		totalStyle.DotColor, totalStyle.DotWidth = colPrimary, 3.5*p.k
		hitStyle.DotColor, hitStyle.DotWidth = colAccuracy, 5.5*p.k
	}
	c.Series = []gochart.Series{
		gochart.ContinuousSeries{XValues: xs, YValues: tl.hits, Style: hitStyle},
		gochart.ContinuousSeries{XValues: xs, YValues: tl.total, Style: totalStyle},
	}
	return p.plot(c, area)
}
