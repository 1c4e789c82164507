package classifier

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/digitbot/digitbot"
)

// cleanDigits picks, for each label, the first MNIST test digit that the
// model classifies correctly and confidently from its raw tensor, so a
// failure below is the preprocessing's fault, not an ambiguous digit's.
func cleanDigits(t *testing.T, c *Classifier) [10][digitbot.InputSide * digitbot.InputSide]uint8 {
	t.Helper()
	m := loadMNISTTest(t)
	var picked [10]bool
	var out [10][digitbot.InputSide * digitbot.InputSide]uint8
	left := 10
	for i := 0; i < len(m.images) && left > 0; i++ {
		l := m.labels[i]
		if picked[l] {
			continue
		}
		logits, err := c.run(context.Background(), &m.images[i])
		if err != nil {
			t.Fatal(err)
		}
		if p := calibrate(logits[0], c.temperature); p.probs[l] > 0.9 {
			out[l], picked[l] = m.images[i], true
			left--
		}
	}
	if left > 0 {
		t.Fatalf("found clean digits for only %d labels", 10-left)
	}
	return out
}

var (
	white  = color.NRGBA{245, 245, 240, 255}
	black  = color.NRGBA{25, 25, 30, 255}
	blue   = color.NRGBA{30, 60, 160, 255}
	yellow = color.NRGBA{250, 230, 120, 255}
	red    = color.NRGBA{200, 30, 30, 255}
	mint   = color.NRGBA{200, 240, 210, 255}
)

// knownUploadMisses are the digits of TestPreprocess_Uploads that the
// embedded model is known to misread, by variant. They are reported, not
// hidden: the test logs them, and fails if one starts being read right
// (so the list stays true) or if any other digit is misread.
// (The first 11-class model read the MNIST 3 on green graph paper as a 5,
// the JPEG'd grid closing the gap in its upper loop; the wider model that
// replaced it reads all ten.)
var knownUploadMisses = map[string]map[int]bool{}

// TestPreprocess_Uploads classifies the ten digits drawn the ways people
// upload them. Every one must be recognised, but for knownUploadMisses.
func TestPreprocess_Uploads(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	computeOnly(t)
	c := newTestClassifier(t, 2)
	digits := cleanDigits(t, c)
	type variant struct {
		name   string
		scene  func(d int) scene
		encode func(img image.Image) []byte
		post   func(img *image.NRGBA, d int) *image.NRGBA // optional
	}
	png := func(img image.Image) []byte { return encodePNG(t, img) }
	jpg := func(q int) func(img image.Image) []byte {
		return func(img image.Image) []byte { return encodeJPEG(t, img, q) }
	}
	mn := func(d int) *[digitbot.InputSide * digitbot.InputSide]uint8 { return &digits[d] }
	variants := []variant{
		{"dark ink on light paper", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(60, 60, 340, 340), paper: white, ink: black, mnist: mn(d)}
		}, png, nil},
		{"inverted: light on dark", func(d int) scene {
			return scene{w: 200, h: 300, box: image.Rect(20, 60, 180, 220), paper: black, ink: white, mnist: mn(d)}
		}, png, nil},
		{"blue ink on yellow paper", func(d int) scene {
			return scene{w: 300, h: 300, box: image.Rect(40, 40, 260, 260), paper: yellow, ink: blue, mnist: mn(d)}
		}, png, nil},
		{"red ink on mint paper, JPEG", func(d int) scene {
			return scene{w: 320, h: 240, box: image.Rect(60, 10, 280, 230), paper: mint, ink: red, mnist: mn(d)}
		}, jpg(85), nil},
		{"transparent PNG, black strokes", func(d int) scene {
			return scene{w: 256, h: 256, box: image.Rect(0, 0, 256, 256), ink: color.NRGBA{0, 0, 0, 255}, transparent: true, mnist: mn(d)}
		}, png, nil},
		{"transparent PNG, white strokes", func(d int) scene {
			return scene{w: 256, h: 256, box: image.Rect(0, 0, 256, 256), ink: color.NRGBA{255, 255, 255, 255}, transparent: true, mnist: mn(d)}
		}, png, nil},
		{"transparent 1200 px canvas, dark blue brush", func(d int) scene {
			return scene{w: 1200, h: 1000, box: image.Rect(350, 200, 750, 760), ink: color.NRGBA{20, 30, 120, 255}, transparent: true, strokes: penDigits[d], pen: 9}
		}, png, nil},
		{"off-centre in a large canvas", func(d int) scene {
			return scene{w: 1200, h: 900, box: image.Rect(950, 80, 1130, 260), paper: white, ink: black, mnist: mn(d)}
		}, png, nil},
		{"JPEG photo with noise", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(70, 50, 330, 310), paper: color.NRGBA{225, 220, 205, 255}, ink: color.NRGBA{50, 50, 70, 255}, noise: 10, seed: uint64(d), mnist: mn(d)}
		}, jpg(60), nil},
		{"uneven lighting", func(d int) scene {
			return scene{w: 500, h: 400, box: image.Rect(100, 50, 400, 350), paper: white, ink: black, gradient: 0.65, noise: 4, seed: uint64(d), mnist: mn(d)}
		}, jpg(80), nil},
		{"sheet of paper on a dark table", func(d int) scene {
			return scene{w: 640, h: 480, box: image.Rect(230, 130, 410, 350), paper: white, ink: blue, noise: 4, seed: uint64(d),
				sheet: image.Rect(120, 60, 560, 440), table: color.NRGBA{70, 50, 35, 255}, mnist: mn(d)}
		}, jpg(85), nil},
		{"ruled notebook paper", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(100, 60, 300, 340), paper: white, ink: black, noise: 3, seed: uint64(d),
				rules: 36, rule: color.NRGBA{170, 190, 235, 255}, mnist: mn(d)}
		}, jpg(85), nil},
		{"thin pen, 2000 px wide", func(d int) scene {
			return scene{w: 2000, h: 1500, box: image.Rect(700, 300, 1250, 1100), paper: white, ink: black, strokes: penDigits[d], pen: 3}
		}, jpg(90), nil},
		{"hairline pen (3 px) in a 2000 px photo", func(d int) scene {
			return scene{w: 2000, h: 1500, box: image.Rect(660, 370, 1160, 1040), paper: white, ink: black, strokes: penDigits[d], pen: 1}
		}, jpg(90), nil},
		{"pencil, photographed", func(d int) scene {
			return scene{w: 500, h: 400, box: image.Rect(120, 60, 380, 340), paper: white, ink: color.NRGBA{150, 150, 150, 255}, noise: 8, seed: uint64(d), mnist: mn(d)}
		}, jpg(80), nil},
		{"faint pencil", func(d int) scene {
			return scene{w: 500, h: 400, box: image.Rect(120, 60, 380, 340), paper: white, ink: color.NRGBA{185, 185, 185, 255}, noise: 5, seed: uint64(d), mnist: mn(d)}
		}, jpg(80), nil},
		{"out of focus", func(d int) scene {
			return scene{w: 300, h: 300, box: image.Rect(50, 40, 250, 260), paper: white, ink: black, strokes: penDigits[d], pen: 4}
		}, jpg(85), func(img *image.NRGBA, d int) *image.NRGBA { return blur(img, 4) }},
		{"graph paper", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(100, 60, 300, 340), paper: white, ink: black, rules: 20, rule: color.NRGBA{180, 210, 180, 255}, mnist: mn(d)}
		}, jpg(85), func(img *image.NRGBA, d int) *image.NRGBA {
			for y := range 400 {
				for x := 0; x < 400; x += 20 {
					if o := img.PixOffset(x, y); img.Pix[o] > 200 {
						img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 180, 210, 180
					}
				}
			}
			return img
		}},
		{"underlined", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(100, 40, 300, 320), paper: white, ink: black, mnist: mn(d)}
		}, jpg(85), func(img *image.NRGBA, d int) *image.NRGBA {
			return addNote(img, image.Rect(120, 340, 280, 350), [][]point{{{0, 0.5}, {1, 0.5}}}, 3, black)
		}},
		{"small digit in a large photo", func(d int) scene {
			return scene{w: 1600, h: 1200, box: image.Rect(700, 500, 800, 600), paper: white, ink: blue, noise: 4, seed: uint64(d), mnist: mn(d)}
		}, jpg(85), nil},
		{"thick marker", func(d int) scene {
			return scene{w: 400, h: 400, box: image.Rect(110, 60, 290, 340), paper: white, ink: black, strokes: penDigits[d], pen: 22}
		}, png, nil},
		{"pen drawing, tight crop", func(d int) scene {
			return scene{w: 120, h: 160, box: image.Rect(10, 10, 110, 150), paper: white, ink: blue, strokes: penDigits[d], pen: 4, noise: 3, seed: uint64(d)}
		}, jpg(75), nil},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			wrong := ""
			for d := range 10 {
				s := v.scene(d)
				if raceEnabled && s.w*s.h > 1_000_000 && d%3 != 0 {
					continue // digits 0, 3, 6, 9 only; all ten run without -race
				}
				img := s.render()
				if v.post != nil {
					img = v.post(img, d)
				}
				data := v.encode(img)
				p, err := c.Classify(context.Background(), data)
				known := knownUploadMisses[v.name][d]
				switch {
				case err != nil && known:
					t.Logf("known miss: %d: error %v", d, err)
				case err != nil:
					wrong += fmt.Sprintf(" %d: error %v;", d, err)
				case p.Digit != d && known:
					t.Logf("known miss: %d read as %d (%.0f%%)", d, p.Digit, 100*p.Confidence)
				case p.Digit != d:
					wrong += fmt.Sprintf(" %d: got %d (%.0f%%);", d, p.Digit, 100*p.Confidence)
				case known:
					wrong += fmt.Sprintf(" %d: read right now, remove it from knownUploadMisses;", d)
				}
			}
			if wrong != "" {
				t.Errorf("misclassified:%s", wrong)
			}
		})
	}
}

// TestPreprocess_NoDigit: images without writing are refused, never
// guessed.
func TestPreprocess_NoDigit(t *testing.T) {
	computeOnly(t)
	uniform := func(w, h int, c color.Color) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Set(x, y, c)
			}
		}
		return img
	}
	dot := func(w, h int, bg, ink color.Color) *image.NRGBA {
		img := uniform(w, h, bg)
		img.Set(w/2, h/2, ink)
		return img
	}
	cases := map[string]image.Image{
		"white page":                 uniform(300, 300, white),
		"black page":                 uniform(28, 28, color.Black),
		"mid grey":                   uniform(64, 48, color.Gray{128}),
		"one pixel image":            uniform(1, 1, color.Black),
		"one white pixel on black":   dot(28, 28, color.Black, color.White),
		"one black pixel on white":   dot(300, 200, color.White, color.Black),
		"one black pixel, 2000 wide": dot(2000, 1000, color.White, color.Black),
		"fully transparent":          image.NewNRGBA(image.Rect(0, 0, 100, 100)),
		"noisy blank paper":          (&scene{w: 300, h: 300, paper: white, ink: black, noise: 8, seed: 1}).render(),
		"unevenly lit blank paper":   (&scene{w: 400, h: 300, paper: white, ink: black, gradient: 0.7, noise: 3, seed: 2}).render(),
	}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Preprocess(img)
			wantCode(t, err, digitbot.ENODIGIT)
		})
	}
	// Also through JPEG, whose block artefacts must not read as ink, in
	// a small picture and in a large one (reduced 7x7 blocks, where the
	// darkest pixel of each block stands for it).
	for _, s := range []scene{
		{w: 400, h: 300, paper: yellow, ink: blue, noise: 6, seed: 3},
		{w: 2000, h: 1500, paper: white, ink: black, noise: 6, gradient: 0.3, seed: 4},
	} {
		img, err := Decode(encodeJPEG(t, s.render(), 50), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Preprocess(img)
		wantCode(t, err, digitbot.ENODIGIT)
	}
}

// TestPreprocess_MNISTRoundTrip: an MNIST digit is already in the model's
// format, so preprocessing must leave it (almost) unchanged.
func TestPreprocess_MNISTRoundTrip(t *testing.T) {
	m := loadMNISTTest(t)
	const n = 500
	var sumAbs int
	moved := 0
	for i := range n {
		px, err := Preprocess(grayOf(m.images[i]))
		if err != nil {
			t.Fatalf("digit %d: %v", i, err)
		}
		worst := 0
		for j := range px {
			d := int(px[j]) - int(m.images[i][j])
			d = max(d, -d)
			sumAbs += d
			worst = max(worst, d)
		}
		if worst > 64 {
			moved++
		}
	}
	mean := float64(sumAbs) / (n * 784)
	t.Logf("mean |difference| %.3f grey levels per pixel; %d of %d digits moved or rescaled", mean, moved, n)
	if mean > 1 || moved > n/50 {
		t.Errorf("preprocessing changes MNIST digits too much: mean %.3f, %d moved", mean, moved)
	}
}

// TestPreprocess_InputPolarity checks the returned input itself: white ink
// on black, centred, filling a 20-pixel box.
func TestPreprocess_InputPolarity(t *testing.T) {
	s := scene{w: 300, h: 300, box: image.Rect(20, 20, 100, 280), paper: white, ink: black, strokes: penDigits[1], pen: 8}
	px, err := Preprocess(s.render())
	if err != nil {
		t.Fatal(err)
	}
	var mass, mx, my float64
	rows := map[int]bool{}
	for y := range 28 {
		for x := range 28 {
			v := float64(px[y*28+x])
			if v > 0 {
				rows[y] = true
			}
			mass += v
			mx += v * float64(x)
			my += v * float64(y)
		}
	}
	if px[0] != 0 || px[27*28+27] != 0 {
		t.Errorf("corners are %d and %d, want 0 (background black)", px[0], px[27*28+27])
	}
	if cx, cy := mx/mass, my/mass; cx < 13 || cx > 15 || cy < 13 || cy > 15 {
		t.Errorf("centre of mass at (%.1f, %.1f), want about (14, 14)", cx, cy)
	}
	if len(rows) < 19 || len(rows) > 22 {
		t.Errorf("the digit spans %d rows, want about 20", len(rows))
	}
}

// TestPreprocess_DigitWithANote: a smaller mark away from the digit (a
// note in the corner, a second small digit) does not join the crop.
func TestPreprocess_DigitWithANote(t *testing.T) {
	computeOnly(t)
	c := newTestClassifier(t, 1)
	digits := cleanDigits(t, c)
	wrong := ""
	for d := range 10 {
		img := (&scene{w: 500, h: 400, box: image.Rect(150, 80, 390, 320), paper: white, ink: black, mnist: &digits[d]}).render()
		img = addNote(img, image.Rect(20, 310, 60, 370), penDigits[(d+5)%10], 2, blue)
		p, err := c.Classify(context.Background(), encodeJPEG(t, img, 85))
		switch {
		case err != nil:
			wrong += fmt.Sprintf(" %d: error %v;", d, err)
		case p.Digit != d:
			wrong += fmt.Sprintf(" %d: got %d (%.0f%%);", d, p.Digit, 100*p.Confidence)
		}
	}
	if wrong != "" {
		t.Errorf("misclassified:%s", wrong)
	}
}

// TestPreprocess_TranslucentFromMidImage: an image whose first rows are
// opaque white and the rest transparent with black strokes (a canvas
// pasted over part of a page) reads as one white page, in a large image
// where the reduction tracks the extremes of both composites.
func TestPreprocess_TranslucentFromMidImage(t *testing.T) {
	computeOnly(t)
	c := newTestClassifier(t, 1)
	for _, d := range []int{2, 7} {
		img := (&scene{w: 900, h: 900, box: image.Rect(300, 420, 600, 860), ink: color.NRGBA{0, 0, 0, 255}, transparent: true, strokes: penDigits[d], pen: 7}).render()
		for i := 0; i < 400*img.Stride; i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 255, 255, 255, 255
		}
		p, err := c.Classify(context.Background(), encodePNG(t, img))
		if err != nil {
			t.Fatal(err)
		}
		if p.Digit != d {
			t.Errorf("got %d (%.2f), want %d", p.Digit, p.Confidence, d)
		}
	}
}
