package classifier

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/image/draw"
)

// TestScaleGreyCatmullRom: the grey scaler writes the bytes
// x/image/draw's Catmull-Rom writes into a grey picture, shrinking and
// enlarging, on noise, on sparse strokes and on flat pictures.
func TestScaleGreyCatmullRom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sc := &scratch{} // reused from size to size, as a Classifier's pool does
	for it := range 3000 {
		sw, sh := 1+rng.IntN(160), 1+rng.IntN(160)
		if it%3 == 0 {
			sw, sh = 1+rng.IntN(24), 1+rng.IntN(24)
		}
		dw, dh := 1+rng.IntN(28), 1+rng.IntN(28)
		src := image.NewGray(image.Rect(0, 0, sw, sh))
		switch it % 4 {
		case 0: // noise
			for i := range src.Pix {
				src.Pix[i] = uint8(rng.IntN(256))
			}
		case 1: // strokes on black, as a digit's crop
			for range 1 + rng.IntN(6) {
				x, y := rng.IntN(sw), rng.IntN(sh)
				for range 1 + rng.IntN(3*(sw+sh)) {
					src.Pix[y*sw+x] = uint8(128 + rng.IntN(128))
					x, y = min(max(x+rng.IntN(3)-1, 0), sw-1), min(max(y+rng.IntN(3)-1, 0), sh-1)
				}
			}
		case 2: // flat
			v := uint8(rng.IntN(256))
			for i := range src.Pix {
				src.Pix[i] = v
			}
		}
		want, got := image.NewGray(image.Rect(0, 0, dw, dh)), image.NewGray(image.Rect(0, 0, dw, dh))
		draw.CatmullRom.Scale(want, want.Bounds(), src, src.Bounds(), draw.Src, nil)
		scaleGreyCatmullRom(got, src, sc)
		if !slices.Equal(got.Pix, want.Pix) {
			t.Fatalf("%dx%d to %dx%d (case %d): got %v, want %v", sw, sh, dw, dh, it%4, got.Pix, want.Pix)
		}
	}
}

// BenchmarkScaleGrey: a digit's crop (150x170 working pixels) fitted
// into 20x20, by x/image/draw and by the grey scaler.
func BenchmarkScaleGrey(b *testing.B) {
	src := image.NewGray(image.Rect(0, 0, 150, 170))
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range src.Pix {
		if rng.IntN(5) == 0 {
			src.Pix[i] = uint8(rng.IntN(256))
		}
	}
	dst := image.NewGray(image.Rect(0, 0, 18, 20))
	b.Run("x-image-draw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
		}
	})
	b.Run("grey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scaleGreyCatmullRom(dst, src, nil)
		}
	})
}
