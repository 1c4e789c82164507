//go:build !race

package classifier

import (
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// TestReading_PercentSign draws "%" in the Go fonts (which the training
// never sees) at different sizes, in the three upload styles. The model
// refuses the sign whole, but a cut across its bar reads its rings as a
// 9 and a 6, each with half the bar, with confidence: slashCutApart
// refuses that reading.
func TestReading_PercentSign(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	rng := rand.New(rand.NewPCG(31, 32))
	fonts := [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF}
	const n = 36
	refused, read := picturesRefused(t, c, rng, n, func(k int) ([]float64, int, int) {
		w, h := 160+rng.IntN(200), 160+rng.IntN(200)
		cv := newCanvas(w, h)
		size := float64(min(w, h)) * (0.35 + 0.3*rng.Float64())
		cv.text(t, fonts[k%len(fonts)], size, w/2-int(size/3)+rng.IntN(21)-10, h/2+int(size/3)+rng.IntN(21)-10, "%")
		return cv.cov, w, h
	})
	t.Logf(`"%%" refused: %d/%d; read: %s`, refused, n, strings.Join(read, " "))
	if refused < 30 {
		t.Errorf(`%d of %d pictures of "%%" refused, want at least 30`, refused, n)
	}
}
