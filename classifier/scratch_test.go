package classifier

import (
	"context"
	"image"
	"image/color"
	"reflect"
	"testing"
)

// TestClassify_ScratchReuse_SameReadings: a Classifier lends each image
// the buffers the previous one left (scratch.go). Uploads of different
// kinds and sizes, one after the other through one Classifier (one worker,
// so one scratch goes round), must read exactly as each alone through a
// fresh Classifier.
func TestClassify_ScratchReuse_SameReadings(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	computeOnly(t)
	m := loadMNISTTest(t)
	photo := func(w, h, i int, gradient float64) []byte {
		box := image.Rect(w/5, h/6, 4*w/5, 5*h/6)
		return encodeJPEG(t, (&scene{w: w, h: h, box: box, paper: color.NRGBA{225, 220, 205, 255}, ink: color.NRGBA{40, 40, 60, 255},
			gradient: gradient, noise: 6, seed: uint64(i), mnist: &m.images[i]}).render(), 85)
	}
	drawing := func(side, i int) []byte {
		return encodePNG(t, (&scene{w: side, h: side, box: image.Rect(side/8, side/8, 7*side/8, 7*side/8), ink: color.NRGBA{0, 0, 0, 255},
			transparent: true, mnist: &m.images[i]}).render())
	}
	uploads := [][]byte{photo(640, 480, 1, 0.4), photo(400, 400, 2, 0), drawing(1080, 3), photo(200, 150, 4, 0),
		drawing(300, 5), photo(640, 480, 6, 0), photo(1440, 1080, 7, 0.2), drawing(700, 8), photo(400, 400, 9, 0.5)}
	if !raceEnabled {
		uploads = append(uploads, photo(4000, 3000, 10, 0.2), photo(400, 400, 11, 0))
	}
	shared := newTestClassifier(t, 1)
	for i, data := range uploads {
		got, gotErr := shared.Classify(context.Background(), data)
		want, wantErr := newTestClassifier(t, 1).Classify(context.Background(), data)
		got.CreatedAt = want.CreatedAt
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("upload %d: after the others %q (%v), alone %q (%v)", i, got.Number, gotErr, want.Number, wantErr)
		}
	}
}
