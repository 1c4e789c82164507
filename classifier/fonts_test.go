package classifier

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

// TestPreprocess_PrintedDigits classifies digits typeset in the Go font
// family: shapes that owe nothing to MNIST or to this package's own test
// drawings, large and dark on white (PNG) and small and light on a dark
// background (JPEG).
func TestPreprocess_PrintedDigits(t *testing.T) {
	computeOnly(t)
	c := newTestClassifier(t, 2)
	fonts := []struct {
		name string
		ttf  []byte
	}{
		{"Go Regular", goregular.TTF}, {"Go Medium", gomedium.TTF}, {"Go Bold", gobold.TTF},
		{"Go Italic", goitalic.TTF}, {"Go Bold Italic", gobolditalic.TTF},
		{"Go Mono", gomono.TTF}, {"Go Mono Bold", gomonobold.TTF},
	}
	type style struct {
		name        string
		w, h        int
		size        float64
		dot         image.Point
		bg, ink     color.Color
		jpegQuality int
	}
	styles := []style{
		{"large, dark on white, PNG", 200, 220, 160, image.Pt(50, 170), color.White, color.Black, 0},
		{"small, light on dark blue, JPEG", 60, 64, 40, image.Pt(18, 48), color.RGBA{20, 30, 90, 255}, color.RGBA{240, 240, 200, 255}, 85},
	}
	for _, f := range fonts {
		parsed, err := truetype.Parse(f.ttf)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range styles {
			face := truetype.NewFace(parsed, &truetype.Options{Size: s.size, DPI: 72, Hinting: font.HintingFull})
			wrong := ""
			for d := range 10 {
				img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
				draw.Draw(img, img.Bounds(), image.NewUniform(s.bg), image.Point{}, draw.Src)
				dr := font.Drawer{Dst: img, Src: image.NewUniform(s.ink), Face: face, Dot: fixed.P(s.dot.X, s.dot.Y)}
				dr.DrawString(fmt.Sprint(d))
				data := encodePNG(t, img)
				if s.jpegQuality > 0 {
					data = encodeJPEG(t, img, s.jpegQuality)
				}
				p, err := c.Classify(context.Background(), data)
				switch {
				case err != nil:
					wrong += fmt.Sprintf(" %d: %v;", d, err)
				case p.Digit != d:
					wrong += fmt.Sprintf(" %d read as %d (%.0f%%);", d, p.Digit, 100*p.Confidence)
				}
			}
			if wrong != "" {
				t.Errorf("%s, %s:%s", f.name, s.name, wrong)
			}
		}
	}
}
