package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/digitbot/digitbot"
	"github.com/golang/freetype/truetype"
	"github.com/wcharczuk/go-chart/v2/drawing"
	"github.com/wcharczuk/go-chart/v2/roboto"
)

// decode fails the test unless b is a PNG; it returns the pixels as RGBA
// so that the checks below can read them directly (img.At is slow under
// -race).
func decode(t *testing.T, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	if rgbaImg, ok := img.(*image.RGBA); ok {
		return rgbaImg
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func distinctColours(img *image.RGBA, r image.Rectangle) int {
	seen := map[color.RGBA]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			seen[img.RGBAAt(x, y)] = true
		}
	}
	return len(seen)
}

// inked is the share of pixels in r that differ from colour c.
func inked(img *image.RGBA, r image.Rectangle, c drawing.Color) float64 {
	want := rgba(c)
	n, diff := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if img.RGBAAt(x, y) != want {
				diff++
			}
		}
	}
	return float64(diff) / float64(n)
}

// hasColour reports whether some pixel in r is within tol of c.
func hasColour(img *image.RGBA, r image.Rectangle, c drawing.Color, tol int) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := img.RGBAAt(x, y)
			if abs(int(p.R)-int(c.R)) <= tol && abs(int(p.G)-int(c.G)) <= tol && abs(int(p.B)-int(c.B)) <= tol {
				return true
			}
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

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
}

// renderBoth renders through the public API (PNG bytes, decoded) and
// through render (for the layout the tests look at).
func renderBoth(t *testing.T, s digitbot.Stats, o Options) (*image.RGBA, *page) {
	t.Helper()
	b, err := Render(s, o)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	p, err := render(s, o)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return decode(t, b), p
}

// computeOnly skips a test under the race detector when it starts no
// goroutines of its own and only renders: the race pass would find nothing
// in it, and rendering runs about thirty times slower there. `make
// accuracy` runs the whole package without -race, so the test still runs
// in `make test`.
func computeOnly(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("pure computation, ~30x slower under -race: runs without it (make accuracy, or go test ./chart/)")
	}
}

func TestRender_DefaultSizeAndNotBlank(t *testing.T) {
	computeOnly(t)
	img, _ := renderBoth(t, DemoStats(1000, 1), Options{Title: "Server stats · My Server"})
	if got := img.Bounds().Size(); got != (image.Point{DefaultWidth, DefaultHeight}) {
		t.Fatalf("size %v, want %dx%d", got, DefaultWidth, DefaultHeight)
	}
	if n := distinctColours(img, img.Bounds()); n < 200 {
		t.Fatalf("only %d distinct colours: looks blank", n)
	}
}

func TestRender_CustomSize(t *testing.T) {
	computeOnly(t)
	for _, sz := range []image.Point{{800, 600}, {MinWidth, MinHeight}, {1600, 1000}} {
		b, err := Render(DemoStats(300, 2), Options{Width: sz.X, Height: sz.Y})
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		img := decode(t, b)
		if img.Bounds().Size() != sz {
			t.Fatalf("asked %v, got %v", sz, img.Bounds().Size())
		}
		if n := distinctColours(img, img.Bounds()); n < 50 {
			t.Fatalf("%v: only %d colours", sz, n)
		}
	}
}

func TestRender_BadOptions(t *testing.T) {
	for _, o := range []Options{{Width: 10, Height: 10}, {Width: 100000}, {Threshold: 1.5}, {Threshold: math.NaN()}, {Threshold: -0.1}} {
		if b, err := Render(DemoStats(10, 1), o); err == nil || b != nil {
			t.Errorf("%+v: want an error and no bytes, got err=%v, %d bytes", o, err, len(b))
		}
	}
}

func TestRender_EveryPanelDrawn(t *testing.T) {
	computeOnly(t)
	for _, n := range []int{100, 1000} { // per-evaluation and daily timelines
		img, p := renderBoth(t, DemoStats(n, 3), Options{})
		names := []string{"per-digit", "confusion", "confidence", "hits"}
		for i, r := range p.panels {
			if r.Empty() {
				t.Fatalf("n=%d: panel %s has no place", n, names[i])
			}
			if share := inked(img, r, colPanel); share < 0.05 {
				t.Errorf("n=%d: panel %s is %.1f%% drawn: looks empty", n, names[i], share*100)
			}
		}
		// Each panel shows its own marks, in the colour they mean.
		if !hasColour(img, p.panels[0], colAccuracy, 2) || !hasColour(img, p.panels[0], colPrimary, 2) {
			t.Errorf("n=%d: per-digit panel lacks accuracy (blue) or count (orange) bars", n)
		}
		if !hasColour(img, p.panels[2], colPrimary, 10) {
			t.Errorf("n=%d: confidence panel lacks its mean line", n)
		}
		if !hasColour(img, p.panels[3], colPrimary, 10) || !hasColour(img, p.panels[3], colAccuracy, 10) {
			t.Errorf("n=%d: hits panel lacks the evaluations or hits line", n)
		}
	}
	// Per-evaluation view: wrong predictions are red dots.
	img, p := renderBoth(t, DemoStats(200, 3), Options{})
	if !hasColour(img, p.panels[2], colWrong, 8) {
		t.Errorf("confidence panel shows no red (wrong) dots")
	}
}

// cellColour samples a matrix cell away from its centre, where the count is.
func cellColour(img *image.RGBA, m image.Rectangle, row, col int) color.RGBA {
	cell := m.Dx() / 10
	return img.RGBAAt(m.Min.X+col*cell+cell/5, m.Min.Y+row*cell+cell/5)
}

func TestRender_ConfusionDiagonalStandsOut(t *testing.T) {
	computeOnly(t)
	img, p := renderBoth(t, DemoStats(1000, 4), Options{})
	minDiag, maxOff := math.Inf(1), 0.0
	for tr := 0; tr < 10; tr++ {
		for pr := 0; pr < 10; pr++ {
			l := luminance(cellColour(img, p.matrix, tr, pr))
			if tr == pr {
				minDiag = math.Min(minDiag, l)
			} else {
				maxOff = math.Max(maxOff, l)
			}
		}
	}
	if minDiag <= maxOff*1.3 {
		t.Fatalf("diagonal not brighter: darkest diagonal cell %.0f, brightest off-diagonal %.0f", minDiag, maxOff)
	}
	// And the colours mean right (blue) and wrong (red).
	if c := cellColour(img, p.matrix, 4, 4); c.B <= c.R {
		t.Errorf("diagonal cell 4,4 is not blue: %v", c)
	}
	if c := cellColour(img, p.matrix, 4, 9); c.R <= c.B {
		t.Errorf("4 read as 9, the commonest confusion, is not red: %v", c)
	}
}

// at builds an evaluation of digit truth predicted as pred.
func at(when time.Time, truth, pred int, conf float64) digitbot.Evaluation {
	return digitbot.Evaluation{UserID: "u", TrueDigit: truth, Predicted: pred, Confidence: conf, EvaluatedAt: when}
}

func TestRender_EdgeCases(t *testing.T) {
	computeOnly(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	many := func(n int, f func(i int) digitbot.Evaluation) digitbot.Stats {
		ev := make([]digitbot.Evaluation, n)
		for i := range ev {
			ev[i] = f(i)
		}
		return digitbot.NewStats(digitbot.Scope{}, ev)
	}
	dailyOnly := DemoStats(3000, 9)
	dailyOnly.Recent = nil
	oneDayMany := many(800, func(i int) digitbot.Evaluation {
		return at(t0.Add(time.Duration(i)*time.Second), i%10, i%10, 0.9)
	})
	bigCell := DemoStats(50, 1)
	bigCell.Total += 2_000_000
	bigCell.Hits += 2_000_000
	bigCell.Digits[1].Count += 2_000_000
	bigCell.Digits[1].Hits += 2_000_000
	bigCell.Confusion[1][1] += 2_000_000
	broken := DemoStats(40, 1)
	broken.Recent[3].Confidence = math.NaN()
	broken.Recent[4].Confidence = 7
	broken.Digits[2].Count = -5
	broken.Confusion[3][3] = -1
	noTimes := digitbot.Stats{Total: 3, Hits: 2, ConfidenceSum: 2.4}
	noTimes.Digits[1] = digitbot.DigitStats{Count: 3, Hits: 2}
	noTimes.Confusion[1][1], noTimes.Confusion[1][7] = 2, 1

	cases := map[string]digitbot.Stats{
		"empty":            {},
		"demo 0":           DemoStats(0, 1),
		"one":              DemoStats(1, 1),
		"one wrong":        digitbot.NewStats(digitbot.Scope{}, []digitbot.Evaluation{at(t0, 4, 9, 0.4)}),
		"same timestamp":   many(25, func(i int) digitbot.Evaluation { return at(t0, i%10, i%10, 0.8) }),
		"same digit":       many(60, func(i int) digitbot.Evaluation { return at(t0.Add(time.Duration(i)*time.Hour), 7, 7, 0.95) }),
		"all right":        many(120, func(i int) digitbot.Evaluation { return at(t0.Add(time.Duration(i)*time.Minute), i%10, i%10, 0.99) }),
		"all wrong":        many(120, func(i int) digitbot.Evaluation { return at(t0.Add(time.Duration(i)*time.Minute), i%10, (i+1)%10, 0.3) }),
		"same confidence":  many(30, func(i int) digitbot.Evaluation { return at(t0.Add(time.Duration(i)*time.Minute), 3, 3, 1) }),
		"daily only":       dailyOnly,
		"one day, partial": oneDayMany,
		"huge counts":      bigCell,
		"damaged":          broken,
		"no times":         noTimes,
		"far dates": digitbot.NewStats(digitbot.Scope{}, []digitbot.Evaluation{
			at(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), 1, 1, 0.9), at(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 2, 3, 0.5)}),
		"years": many(40, func(i int) digitbot.Evaluation { return at(t0.AddDate(0, i, 0), i%10, i%10, 0.9) }),
	}
	spanishToo := map[string]bool{"empty": true, "one wrong": true, "daily only": true, "no times": true}
	for name, s := range cases {
		for _, lang := range []string{"en", "es"} {
			if lang == "es" && !spanishToo[name] {
				continue
			}
			t.Run(name+"/"+lang, func(t *testing.T) {
				// Discord's preview size: the same code paths as 1200x900,
				// a quarter of the pixels to check under -race.
				b, err := Render(s, Options{Lang: lang, Title: name, Width: 600, Height: 450})
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				img := decode(t, b)
				if img.Bounds().Size() != (image.Point{600, 450}) {
					t.Fatalf("size %v", img.Bounds().Size())
				}
				if n := distinctColours(img, img.Bounds()); n < 30 {
					t.Fatalf("only %d colours: blank", n)
				}
				if share := inked(img, img.Bounds(), colBackground); share < 0.5 {
					t.Fatalf("only %.0f%% of the image differs from the background", share*100)
				}
			})
		}
	}
}

func TestRender_EmptyIsFriendlyNotPanels(t *testing.T) {
	computeOnly(t)
	img, p := renderBoth(t, digitbot.Stats{}, Options{})
	for _, r := range p.panels {
		if !r.Empty() {
			t.Fatalf("empty history drew panels")
		}
	}
	// The message is big text in the middle of the body.
	mid := image.Rect(DefaultWidth/4, DefaultHeight/2, 3*DefaultWidth/4, DefaultHeight/2+p.px(40))
	if !hasColour(img, mid, colText, 10) {
		t.Fatalf("no message text in the middle of the empty image")
	}
	en, _ := Render(digitbot.Stats{}, Options{})
	es, _ := Render(digitbot.Stats{}, Options{Lang: "es"})
	if bytes.Equal(en, es) {
		t.Fatalf("Spanish empty image is the English one")
	}
}

func TestRender_AllWrongMatrixHasNoBlueDiagonal(t *testing.T) {
	computeOnly(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ev []digitbot.Evaluation
	for i := 0; i < 100; i++ {
		ev = append(ev, at(t0.Add(time.Duration(i)*time.Minute), i%10, (i+1)%10, 0.3))
	}
	img, p := renderBoth(t, digitbot.NewStats(digitbot.Scope{}, ev), Options{})
	for d := 0; d < 10; d++ {
		if c := cellColour(img, p.matrix, d, d); c != rgba(colCellEmpty) {
			t.Errorf("diagonal cell %d drawn (%v) with no hits", d, c)
		}
		if c := cellColour(img, p.matrix, d, (d+1)%10); c.R <= c.B {
			t.Errorf("cell %d,%d should be red, is %v", d, (d+1)%10, c)
		}
	}
}

func TestRender_ConcurrentMatchesSequential(t *testing.T) {
	workers := 8
	if raceEnabled {
		workers = 3 // enough to share the fonts and caches; all 8 run without -race
	}
	stats := make([]digitbot.Stats, workers)
	want := make([][]byte, workers)
	for i := range stats {
		stats[i] = DemoStats(50+i*150, int64(i))
		b, err := Render(stats[i], Options{Lang: []string{"en", "es"}[i%2], Width: 600, Height: 450})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = b
	}
	got := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = Render(stats[i], Options{Lang: []string{"en", "es"}[i%2], Width: 600, Height: 450})
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("worker %d: concurrent image differs from the sequential one", i)
		}
	}
}

func TestCleanTitle_LongEmojiName(t *testing.T) {
	computeOnly(t)
	font, err := truetype.Parse(roboto.Roboto)
	if err != nil {
		t.Fatal(err)
	}
	long := "🔥🔥 Der Über-Lange Servername für Ziffern-Erkennung 😀👍🏽 und noch viel mehr Text"
	got := cleanTitle(long, font, "fallback")
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	if n := utf8.RuneCountInString(got); n > maxTitleRunes+1 {
		t.Fatalf("%d runes, want at most %d: %q", n, maxTitleRunes+1, got)
	}
	if !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "Der Über-Lange") {
		t.Fatalf("want the name's start cut with …, got %q", got)
	}
	for _, r := range got {
		if font.Index(r) == 0 {
			t.Fatalf("kept %q, which the font cannot draw", r)
		}
	}
	if got := cleanTitle("😀👍🏽\u200d\n\t", font, "fallback"); got != "fallback" {
		t.Fatalf("emoji-only title: got %q, want the fallback", got)
	}
	if got := cleanTitle("  @alice  \n ", font, "x"); got != "@alice" {
		t.Fatalf("got %q, want @alice", got)
	}
	// And it renders.
	if _, err := Render(DemoStats(20, 1), Options{Title: long + strings.Repeat("é", 5000)}); err != nil {
		t.Fatal(err)
	}
}

func TestFormat_Numbers(t *testing.T) {
	cases := []struct{ got, want string }{
		{formatInt(1234567, textsEN), "1,234,567"},
		{formatInt(1234567, textsES), "1.234.567"},
		{formatInt(999, textsEN), "999"},
		{formatPercent(0.9412, 1, textsEN), "94.1%"},
		{formatPercent(0.9412, 1, textsES), "94,1 %"},
		{compactCount(999), "999"},
		{compactCount(1250), "1.2k"},
		{compactCount(12500), "12k"},
		{compactCount(2_000_050), "2M"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, v := range []float64{0, 1, 3, 4, 5, 9, 17, 99, 101, 1000, 1234, 99999} {
		top, step := countAxis(v)
		if top < v || step != top/4 || step != math.Trunc(step) || step < 1 {
			t.Errorf("countAxis(%v) = %v, %v: must cover v in four whole steps", v, top, step)
		}
	}
}

func TestTimeTicks_SpanTheRange(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 17, 5, 0, 0, time.UTC)
	for _, end := range []time.Time{t0.Add(2 * time.Hour), t0.Add(30 * time.Hour), t0.AddDate(0, 0, 10),
		t0.AddDate(1, 1, 0), t0.AddDate(7, 0, 0), t0.AddDate(300, 0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
		span := end.Sub(t0)
		ticks := timeTicks(t0, end, 5, textsEN)
		if ticks[0].Value != timeValue(t0) || ticks[len(ticks)-1].Value != timeValue(end) {
			t.Errorf("span %v: ticks do not start and end at the range", span)
		}
		labelled := 0
		for i, tk := range ticks {
			if i > 0 && tk.Value <= ticks[i-1].Value {
				t.Errorf("span %v: ticks not increasing", span)
			}
			if tk.Label != "" {
				labelled++
			}
		}
		if labelled < 1 || labelled > 6 {
			t.Errorf("span %v: %d labels", span, labelled)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		s := DemoStats(n, 1)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			cpu0, ok := processCPU()
			for b.Loop() {
				if _, err := Render(s, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			if cpu1, ok1 := processCPU(); ok && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

func TestPercentTicks_ZoomButKeepThreshold(t *testing.T) {
	for _, lowest := range []float64{0, 0.1, 0.3, 0.55, 0.7, 0.78, 0.95, 1} {
		ticks := percentTicks(lowest)
		first, last := ticks[0].Value, ticks[len(ticks)-1].Value
		if first > math.Max(0, lowest-0.04) || first < 0 || math.Abs(last-1) > 1e-9 {
			t.Errorf("lowest %.2f: axis %.2f..%.2f does not show it with a margin", lowest, first, last)
		}
		if len(ticks) < 3 || len(ticks) > 7 {
			t.Errorf("lowest %.2f: %d ticks", lowest, len(ticks))
		}
	}
}
