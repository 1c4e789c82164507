package chart

import (
	"sort"
	"time"

	"github.com/digitbot/digitbot"
	gochart "github.com/wcharczuk/go-chart/v2"
)

// timeline is what the two time panels plot: one point per evaluation when
// Stats.Recent holds them (all, or the newest when there are too few days
// for a daily view), otherwise one point per day.
type timeline struct {
	daily   bool
	shown   int // when > 0, only the newest `shown` evaluations are plotted
	times   []time.Time
	conf    []float64 // per evaluation, or the day's mean
	acc     []float64 // the day's accuracy (daily only)
	correct []bool    // per evaluation only
	hits    []float64 // cumulative
	total   []float64 // cumulative
	from    time.Time // x range, padded
	to      time.Time
}

func newTimeline(s digitbot.Stats) timeline {
	var tl timeline
	switch {
	case len(s.Recent) > 0 && s.Total <= len(s.Recent):
		tl.fromPoints(s.Recent, 0, 0)
	case len(s.Daily) >= 2:
		tl.fromDays(s.Daily)
	case len(s.Recent) > 0:
		// Too few days for a daily view: the newest evaluations say more.
		hitsIn := 0
		for _, p := range s.Recent {
			if p.Correct {
				hitsIn++
			}
		}
		tl.fromPoints(s.Recent, max(s.Hits-hitsIn, 0), max(s.Total-len(s.Recent), 0))
		tl.shown = len(s.Recent)
	case len(s.Daily) == 1:
		tl.fromDays(s.Daily)
	}
	return tl
}

func (tl *timeline) fromPoints(pts []digitbot.Point, hits0, total0 int) {
	sorted := append([]digitbot.Point(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	h, n := float64(hits0), float64(total0)
	for _, p := range sorted {
		n++
		if p.Correct {
			h++
		}
		tl.times = append(tl.times, p.Time.UTC())
		tl.conf = append(tl.conf, p.Confidence)
		tl.correct = append(tl.correct, p.Correct)
		tl.hits = append(tl.hits, h)
		tl.total = append(tl.total, n)
	}
	tl.setRange(tl.times[0], tl.times[len(tl.times)-1])
}

func (tl *timeline) fromDays(days []digitbot.Day) {
	tl.daily = true
	sorted := append([]digitbot.Day(nil), days...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date.Before(sorted[j].Date) })
	var h, n float64
	for _, d := range sorted {
		h += float64(d.Hits)
		n += float64(d.Count)
		// A day's numbers belong to the whole day: plot them at noon.
		tl.times = append(tl.times, d.Date.UTC().Add(12*time.Hour))
		tl.conf = append(tl.conf, d.ConfidenceSum/float64(d.Count))
		tl.acc = append(tl.acc, float64(d.Hits)/float64(d.Count))
		tl.hits = append(tl.hits, h)
		tl.total = append(tl.total, n)
	}
	first := sorted[0].Date.UTC()
	last := sorted[len(sorted)-1].Date.UTC().Add(24 * time.Hour)
	tl.setRange(first, last)
}

// setRange pads the x range so that go-chart never sees a zero range and
// the dots at both ends are not cut in half.
func (tl *timeline) setRange(first, last time.Time) {
	span := last.Sub(first)
	if span < time.Minute {
		tl.from, tl.to = first.Add(-time.Hour), last.Add(time.Hour)
		return
	}
	pad := span / 30
	tl.from, tl.to = first.Add(-pad), last.Add(pad)
}

func (tl timeline) xs() []float64 {
	v := make([]float64, len(tl.times))
	for i, t := range tl.times {
		v[i] = timeValue(t)
	}
	return v
}

// timeValue places t on go-chart's x axis, in seconds: UnixNano would
// overflow for dates outside 1678-2262, which a damaged history may hold.
func timeValue(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

// timeTicks labels the x axis at round times (whole hours, days, weeks or
// months) and adds unlabelled ticks at both ends, because go-chart takes the
// axis range from the outermost ticks.
func timeTicks(from, to time.Time, maxLabels int, t texts) []gochart.Tick {
	span := to.Sub(from)
	day := 24 * time.Hour
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
		day, 2 * day, 7 * day, 14 * day}
	ticks := []gochart.Tick{{Value: timeValue(from)}}
	add := func(at time.Time, label string) {
		if at.After(from) && at.Before(to) {
			ticks = append(ticks, gochart.Tick{Value: timeValue(at), Label: label})
		}
	}
	var step time.Duration
	for _, s := range steps {
		if span/s <= time.Duration(maxLabels) {
			step = s
			break
		}
	}
	switch {
	case step == 0: // months or years
		// Count calendar months: a Duration saturates at ~292 years.
		total := (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
		months := 1
		for _, m := range []int{1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000, 24000, 60000} {
			months = m
			if total/m < maxLabels {
				break
			}
		}
		m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
		if months >= 12 {
			years := months / 12
			m = time.Date((from.Year()/years+1)*years, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		for ; m.Before(to); m = m.AddDate(0, months, 0) {
			label := t.months[m.Month()-1] + " " + m.Format("2006")
			if months >= 12 {
				label = m.Format("2006")
			}
			add(m, label)
		}
	case step >= day:
		d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC).Add(day)
		for ; d.Before(to); d = d.Add(step) {
			add(d, formatDay(d, false, t))
		}
	default:
		for at := from.UTC().Truncate(step).Add(step); at.Before(to); at = at.Add(step) {
			label := at.Format("15:04")
			if at.Hour() == 0 && at.Minute() == 0 {
				label = formatDay(at, false, t)
			}
			add(at, label)
		}
	}
	if len(ticks) == 1 {
		// No round time inside the range: label its middle.
		mid := from.Add(span / 2)
		add(mid, formatDay(mid, false, t)+" "+mid.Format("15:04"))
	}
	return append(ticks, gochart.Tick{Value: timeValue(to)})
}
