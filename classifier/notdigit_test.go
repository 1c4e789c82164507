package classifier

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/digitbot/digitbot"
)

// TestClassify_NotADigitIsToldFromBlank checks that a refused drawing of a
// face carries ErrNotADigit (the bot stays quiet on it in a watched channel)
// while a blank picture is refused without it (the bot says it looks empty).
func TestClassify_NotADigitIsToldFromBlank(t *testing.T) {
	computeOnly(t)
	c := newTestClassifier(t, 1)
	if c.classes != 11 {
		t.Fatalf("the embedded model has %d classes, want 11", c.classes)
	}
	var faces []negativeCase
	for _, n := range negatives(t, 3, 48) {
		if n.kind == "face" {
			faces = append(faces, n)
		}
	}
	notDigit := 0
	for i, f := range faces {
		_, err := c.Classify(context.Background(), f.data)
		if digitbot.ErrorCode(err) != digitbot.ENODIGIT {
			continue
		}
		if !errors.Is(err, digitbot.ErrNotADigit) {
			t.Errorf("face #%d refused as blank: %v", i, err)
		}
		notDigit++
	}
	if notDigit < len(faces)/2 {
		t.Errorf("%d of %d faces refused as not a digit, want at least half", notDigit, len(faces))
	}

	blank := image.NewGray(image.Rect(0, 0, 200, 200))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(color.Gray{Y: 250}), image.Point{}, draw.Src)
	_, err := c.Classify(context.Background(), encodePNG(t, blank))
	wantCode(t, err, digitbot.ENODIGIT)
	if errors.Is(err, digitbot.ErrNotADigit) {
		t.Errorf("a blank picture was refused as not a digit: %v", err)
	}
}
