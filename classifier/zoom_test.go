package classifier

import (
	"context"
	"image"
	"testing"
)

// TestClassify_Zoom_BoxInPicturePixels: a 40-pixel digit on a 1200x900
// page is read from a full-resolution crop around it (zoom), and its box
// comes back in the picture's pixels, where the digit was drawn, for a PNG
// (reduced while decoded) and a JPEG (decoded at a reduced scale).
func TestClassify_Zoom_BoxInPicturePixels(t *testing.T) {
	t.Parallel()
	c := newTestClassifier(t, 1)
	for _, tc := range []struct {
		name   string
		encode func(image.Image) []byte
	}{
		{"png", func(img image.Image) []byte { return encodePNG(t, img) }},
		{"jpeg", func(img image.Image) []byte { return encodeJPEG(t, img, 90) }},
	} {
		for _, d := range []int{2, 7} {
			at := image.Rect(700, 500, 740, 540)
			s := scene{w: 1200, h: 900, box: at, paper: shade(250), ink: shade(20), seed: uint64(d), strokes: penDigits[d], pen: 1.2}
			p, err := c.Classify(context.Background(), tc.encode(s.render()))
			if err != nil {
				t.Fatalf("%s %d: %v", tc.name, d, err)
			}
			if p.Number != string(rune('0'+d)) {
				t.Errorf("%s: read %s, want %d", tc.name, p.Number, d)
			}
			b := p.Digits[0].Box
			got := image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3])
			// The pen digits fill the middle of their unit square.
			if !got.In(at.Inset(-4)) || got.Dx()*got.Dy() < at.Dx()*at.Dy()/8 {
				t.Errorf("%s %d: box %v, want within %v", tc.name, d, got, at)
			}
		}
	}
}

// TestClassifier_Zoom_OnlySmallInkOfAReducedPicture: zoom reads again the
// small digit of a big page, and leaves alone a digit already large in the
// working plane and a picture that was not reduced.
func TestClassifier_Zoom_OnlySmallInkOfAReducedPicture(t *testing.T) {
	t.Parallel()
	c := newTestClassifier(t, 1)
	zoomed := func(data []byte) (bool, int) {
		img, _, size, release, err := c.budget.decodeForReading(context.Background(), data, c.maxBytes, c.maxPixels, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		line, err := readInk(img)
		if err != nil {
			t.Fatal(err)
		}
		return c.zoom(context.Background(), data, img, line, size, nil, false) != nil, workingReduction(img)
	}
	for _, tc := range []struct {
		name       string
		w, h, side int
		want       bool
	}{
		{"40 px digit on a 1200x900 page", 1200, 900, 40, true},
		{"400 px digit on a 1200x900 page", 1200, 900, 400, false},
		{"40 px digit on a 300x200 picture (not reduced)", 300, 200, 40, false},
	} {
		at := image.Rect(tc.w/2, tc.h/3, tc.w/2+tc.side, tc.h/3+tc.side)
		s := scene{w: tc.w, h: tc.h, box: at, paper: shade(250), ink: shade(20), strokes: penDigits[3], pen: float64(tc.side) / 30}
		for _, data := range [][]byte{encodePNG(t, s.render()), encodeJPEG(t, s.render(), 90)} {
			if got, k := zoomed(data); got != tc.want {
				t.Errorf("%s: zoomed %v, want %v (reduced by %d)", tc.name, got, tc.want, k)
			}
		}
	}
}

// BenchmarkClassify_SmallDigitOnBigPage is what zoom costs: a 40-pixel
// digit on a 1200x900 page, as PNG (decoded again whole) and JPEG
// (cropped as decoded).
func BenchmarkClassify_SmallDigitOnBigPage(b *testing.B) {
	c := newTestClassifier(b, 1)
	s := scene{w: 1200, h: 900, box: image.Rect(700, 500, 740, 540), paper: shade(250), ink: shade(20), strokes: penDigits[2], pen: 1.2}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"png", encodePNG(b, s.render())}, {"jpeg", encodeJPEG(b, s.render(), 90)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Classify(context.Background(), tc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
