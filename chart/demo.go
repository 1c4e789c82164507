package chart

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/digitbot/digitbot"
)

// DemoStats is a deterministic synthetic history of n evaluations, for
// showing what /stats looks like without a server: a few weeks of activity
// that grows and dips at weekends, accuracy around 94% with the usual MNIST
// confusions (4↔9, 3↔5, 7↔1), and lower confidence on the mistakes.
// The same n and seed always give the same Stats.
func DemoStats(n int, seed int64) digitbot.Stats {
	if n <= 0 {
		return digitbot.NewStats(digitbot.Scope{}, nil)
	}
	// Fixed, so that the same seed always gives the same Stats.
	start := time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)
	// Each true digit's chance of being recognised: roughly what a small
	// CNN does on real photos rather than clean MNIST.
	accuracy := [10]float64{0.98, 0.99, 0.945, 0.935, 0.94, 0.925, 0.96, 0.955, 0.915, 0.92}
	// The typical MNIST mistakes: what each digit is taken for when it is
	// misread, most likely first.
	confusions := [10][]int{
		{6, 8, 2}, {7, 4, 2}, {7, 3, 1}, {5, 8, 9}, {9, 6, 1},
		{3, 6, 8}, {5, 0, 4}, {1, 2, 9}, {3, 5, 0}, {4, 7, 8},
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6469676974626f74)) // "digitbot"
	days := min(max(1, int(math.Ceil(float64(n)/40))), 28)
	// Day weights: growing interest, quieter weekends.
	weights := make([]float64, days)
	sum := 0.0
	for d := range weights {
		w := 1 + 1.5*float64(d)/float64(days)
		if wd := start.AddDate(0, 0, d).Weekday(); wd == time.Saturday || wd == time.Sunday {
			w *= 0.55
		}
		w *= 0.7 + 0.6*rng.Float64()
		weights[d] = w
		sum += w
	}
	evals := make([]digitbot.Evaluation, n)
	for i := range evals {
		day := pickWeighted(rng, weights, sum)
		// Most activity in the afternoon and evening (UTC).
		hour := math.Mod(17+rng.NormFloat64()*3.5+48, 24)
		at := start.AddDate(0, 0, day).Add(time.Duration(hour * float64(time.Hour))).Truncate(time.Second)
		truth := rng.IntN(10)
		// The model gets a little better as the weeks go by (a retrain).
		p := accuracy[truth] - 0.03*(1-float64(day)/float64(days))
		pred := truth
		var conf float64
		if rng.Float64() < p {
			conf = 1 - 0.45*math.Pow(rng.Float64(), 2.2) // mostly 0.9+, a tail down to 0.55
		} else {
			c := confusions[truth]
			switch x := rng.Float64(); {
			case x < 0.7:
				pred = c[0]
			case x < 0.9:
				pred = c[1]
			default:
				pred = c[2]
			}
			conf = 0.32 + 0.55*rng.Float64() // unsure, often under the threshold
		}
		evals[i] = digitbot.Evaluation{
			PredictionID: fmt.Sprintf("demo-%d", i),
			UserID:       fmt.Sprintf("demo-user-%d", rng.IntN(12)),
			FileName:     fmt.Sprintf("digit-%d.png", i),
			Predicted:    pred,
			Confidence:   conf,
			TrueDigit:    truth,
			PredictedAt:  at.Add(-time.Duration(5+rng.IntN(120)) * time.Second),
			EvaluatedAt:  at,
		}
	}
	return digitbot.NewStats(digitbot.Scope{}, evals)
}

func pickWeighted(rng *rand.Rand, w []float64, sum float64) int {
	x := rng.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}
