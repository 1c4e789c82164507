//go:build !race

package classifier

import (
	"math/rand/v2"
	"testing"
)

// TestNumbers_SixDigits reads six-digit numbers of any MNIST test digits,
// with half the neighbouring pairs touching and then all of them: in a
// long number one ugly digit the model refuses alone should not cost the
// number when the others are read with confidence (longSure).
func TestNumbers_SixDigits(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	for _, set := range []struct {
		touch float64
		floor int // measured, minus a margin
	}{
		{0.5, 260}, // measured 267 since narrowAspectInLine (262 before, 250 before longSure)
		{1.0, 214}, // measured 221 since narrowAspectInLine (220 before, 219 before shortOne, 212 before longSure)
	} {
		rng := rand.New(rand.NewPCG(9, 10))
		const n = 300
		right := numbersRead(t, c, rng, n, set.touch, func() (digits []*input, want string) {
			for range 6 {
				i := rng.IntN(len(m.images))
				digits = append(digits, &m.images[i])
				want += string(rune('0' + m.labels[i]))
			}
			return digits, want
		})
		t.Logf("six-digit numbers, %.0f%% of the pairs touching: %d/%d exact", 100*set.touch, right, n)
		if right < set.floor {
			t.Errorf("six-digit numbers, %.0f%% of the pairs touching: %d/%d read exactly, want at least %d", 100*set.touch, right, n, set.floor)
		}
	}
}
