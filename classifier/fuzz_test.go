package classifier

import (
	"slices"
	"testing"

	"github.com/digitbot/digitbot"
)

// FuzzDecodePreprocess feeds arbitrary bytes to the decoders and the
// preprocessing. Whatever the input: no panic escapes, errors carry one of
// the image codes, a decoded image respects the pixel cap, and a
// successful preprocessing has ink at full intensity, and so does every
// piece of the number reading. The seed corpus in
// testdata/fuzz/FuzzDecodePreprocess holds small real images of every
// supported format. Run it with
//
//	go test -fuzz=FuzzDecodePreprocess -fuzztime=30s ./classifier/
func FuzzDecodePreprocess(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	// Small caps keep each iteration fast; the logic is the same.
	const maxBytes, maxPixels = 1 << 20, 4_000_000
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, maxBytes, maxPixels)
		if err != nil {
			if code := digitbot.ErrorCode(err); code != digitbot.EINVALIDIMAGE && code != digitbot.EUNSUPPORTED && code != digitbot.ETOOLARGE {
				t.Fatalf("Decode error with code %q: %v", code, err)
			}
			if img != nil {
				t.Fatal("Decode returned an image with an error")
			}
			return
		}
		if b := img.Bounds(); b.Empty() || b.Dx()*b.Dy() > maxPixels {
			t.Fatalf("decoded image bounds %v break the pixel cap", b)
		}
		px, err := Preprocess(img)
		if err != nil {
			if code := digitbot.ErrorCode(err); code != digitbot.ENODIGIT && code != digitbot.EINVALIDIMAGE {
				t.Fatalf("Preprocess error with code %q: %v", code, err)
			}
			return
		}
		if slices.Max(px[:]) != 255 {
			t.Fatalf("preprocessed digit peaks at %d, want 255", slices.Max(px[:]))
		}
		// The number path on the same image: a picture Preprocess reads
		// must not become invalid (a panic recovered inside), every piece
		// is a fitted digit, and some chain of pieces covers the line.
		line, err := readInk(img)
		if err != nil {
			if code := digitbot.ErrorCode(err); code != digitbot.ENODIGIT && code != digitbot.ETOOMANYDIGITS {
				t.Fatalf("readInk error with code %q where Preprocess succeeded: %v", code, err)
			}
			return
		}
		sc := map[*pieceInk]scores{}
		for _, e := range line.edges {
			if slices.Max(e.piece.px[:]) != 255 || e.from >= e.to || e.to >= line.nodes {
				t.Fatalf("piece %d->%d of %d nodes peaks at %d", e.from, e.to, line.nodes, slices.Max(e.piece.px[:]))
			}
			sc[e.piece] = scores{confidence: 0.5}
		}
		if bestPath(line, sc, linePrior()) == nil {
			t.Fatalf("no segmentation covers the line (%d nodes, %d pieces)", line.nodes, len(line.edges))
		}
	})
}
