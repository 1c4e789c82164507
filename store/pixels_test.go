package store

import (
	"math/rand/v2"
	"testing"

	"github.com/digitbot/digitbot"
)

type picture = [digitbot.InputSide * digitbot.InputSide]uint8

func TestStore_Pixels_RoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	pics := map[string]picture{}
	for i, in := range fixtureInputs(t) {
		pics["mnist"+string(rune('a'+i))] = in
	}
	var full, zeroButLast, checker picture
	for i := range full {
		full[i] = 255
		if (i/digitbot.InputSide+i)%2 == 0 {
			checker[i] = uint8(i)
		}
	}
	zeroButLast[len(zeroButLast)-1] = 1
	pics["full"], pics["last"], pics["checker"], pics["empty"] = full, zeroButLast, checker, picture{}
	for k := range 200 {
		var p picture
		density := r.IntN(101)
		for i := range p {
			if r.IntN(100) < density {
				p[i] = uint8(r.IntN(256))
			}
		}
		pics["random"+string(rune(k))] = p
	}
	for name, p := range pics {
		enc := encodePixels(nil, &p)
		var got picture
		got[3] = 9 // decodePixels overwrites everything
		decodePixels(enc, &got)
		if got != p {
			t.Fatalf("%s: round trip changed the picture (%d bytes)", name, len(enc))
		}
	}
}

// The coder beats schema v1's run-length encoding on real digits.
func TestStore_Pixels_SmallerThanRuns(t *testing.T) {
	t.Parallel()
	var coded, runs int
	ins := fixtureInputs(t)
	for _, in := range ins {
		coded += len(encodePixels(nil, &in))
		runs += len(encodeRuns(nil, in[:]))
	}
	t.Logf("MNIST inputs: %d bytes coded, %d as runs (mean of %d)", coded/len(ins), runs/len(ins), len(ins))
	if coded*10 > runs*7 {
		t.Fatalf("coded %d bytes, runs %d: less than 30%% saved", coded, runs)
	}
}

// Corrupt bytes decode to some picture without panicking.
func TestStore_Pixels_CorruptInput(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		var p picture
		decodePixels(b, &p)
	}
}
