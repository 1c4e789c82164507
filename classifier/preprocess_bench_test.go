package classifier

import (
	"image"
	"image/color"
	"testing"
)

// The preprocessing fast paths, one benchmark each, so that a change to
// one of them shows in its own figure rather than diluted in Classify.

// benchScene is a 3-pixel pen digit on lightly noisy paper.
func benchScene(w, h int, gradient float64) *image.NRGBA {
	return (&scene{w: w, h: h, box: image.Rect(w/4, h/6, 3*w/4, 5*h/6), paper: color.NRGBA{225, 220, 205, 255},
		ink: color.NRGBA{40, 40, 60, 255}, gradient: gradient, noise: 4, seed: 1, strokes: penDigits[3], pen: 3}).render()
}

func asGray(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// BenchmarkReduce covers each way toGrey reads pixels: a luma plane kept
// as is (k = 1), reduced by 2x2 (reduce2) and by larger blocks
// (blockExtremes); opaque and translucent RGBA rows (accumulateBlocks,
// accumulateTranslucent); a palette.
func BenchmarkReduce(b *testing.B) {
	small, mid, big := benchScene(300, 300, 0), benchScene(640, 480, 0), benchScene(2000, 1500, 0)
	translucent := (&scene{w: 900, h: 900, box: image.Rect(200, 200, 700, 700), ink: color.NRGBA{0, 0, 0, 255},
		transparent: true, strokes: penDigits[2], pen: 7}).render()
	pal := image.NewPaletted(mid.Bounds(), color.Palette{color.White, color.Black, color.Gray{128}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	cases := []struct {
		name string
		img  image.Image
	}{
		{"plane_k1_300", asGray(small)},
		{"plane_k2_640", asGray(mid)},
		{"plane_k7_2000", asGray(big)},
		{"nrgba_opaque_k2_640", mid},
		{"nrgba_translucent_k3_900", translucent},
		{"paletted_k2_640", pal},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				toGrey(c.img)
			}
		})
	}
}

// BenchmarkInkStrength covers the polarity, background and threshold
// stages: an evenly lit page (constant background, per-level strength
// table) and a page under a light gradient (fitted background surface), on
// an unreduced and a reduced image.
func BenchmarkInkStrength(b *testing.B) {
	cases := []struct {
		name string
		img  image.Image
	}{
		{"flat_300", asGray(benchScene(300, 300, 0))},
		{"gradient_300", asGray(benchScene(300, 300, 0.5))},
		{"flat_reduced_640", asGray(benchScene(640, 480, 0))},
		{"gradient_reduced_640", asGray(benchScene(640, 480, 0.5))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// inkStrength works in place on the grey image.
				if _, err := inkStrength(toGrey(c.img)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFit is the last stage alone: crop, thicken, scale, centre.
func BenchmarkFit(b *testing.B) {
	m, err := inkStrength(toGrey(asGray(benchScene(300, 300, 0))))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fitAndCentre(m); err != nil {
			b.Fatal(err)
		}
	}
}
