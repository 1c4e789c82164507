package classifier

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// photoLike is a w×h picture with smooth light, sharp-edged dark strokes
// and noise: what the reduced decoder must reproduce.
func photoLike(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 150 + 80*float64(x)/float64(w) - 30*float64(y)/float64(h) + rng.NormFloat64()*6
			// A few thick strokes.
			if (x/40)%7 == 3 || (y+x/3)%230 < 25 {
				v -= 110
			}
			c := uint8(max(0, min(255, v)))
			img.Pix[img.PixOffset(x, y)+0] = c
			img.Pix[img.PixOffset(x, y)+1] = uint8(max(0, min(255, v-10)))
			img.Pix[img.PixOffset(x, y)+2] = uint8(max(0, min(255, v+20)))
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	return img
}

// boxMeans averages the full decode's luma over scale×scale blocks.
func boxMeans(img image.Image, scale int) *image.Gray {
	b := img.Bounds()
	ow, oh := (b.Dx()+scale-1)/scale, (b.Dy()+scale-1)/scale
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for oy := range oh {
		for ox := range ow {
			var s, n float64
			for y := oy * scale; y < min(oy*scale+scale, b.Dy()); y++ {
				for x := ox * scale; x < min(ox*scale+scale, b.Dx()); x++ {
					s += float64(color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y)
					n++
				}
			}
			out.Pix[oy*out.Stride+ox] = uint8(math.Round(s / n))
		}
	}
	return out
}

func compareGrey(t *testing.T, name string, got, want *image.Gray, maxMeanDiff float64) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: bounds %v, want %v", name, got.Bounds(), want.Bounds())
	}
	var sum float64
	worst := 0
	for i := range want.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		d = max(d, -d)
		sum += float64(d)
		worst = max(worst, d)
	}
	mean := sum / float64(len(want.Pix))
	t.Logf("%s: mean |diff| %.2f, max %d", name, mean, worst)
	if mean > maxMeanDiff {
		t.Errorf("%s: mean |diff| %.2f over %.2f (max %d)", name, mean, maxMeanDiff, worst)
	}
}

func TestDecodeJPEGReduced_MatchesTheFullDecodeReduced(t *testing.T) {
	computeOnly(t)
	colour := photoLike(1203, 917, 1)
	grey := image.NewGray(colour.Bounds())
	for i := range grey.Pix {
		grey.Pix[i] = colour.Pix[4*i+1]
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"YCbCr 4:2:0", colour}, {"grey", grey}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, c.img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		full, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []int{1, 2, 4, 8} {
			start := time.Now()
			got, err := decodeJPEGReduced(buf.Bytes(), s, DefaultMaxPixels)
			if err != nil {
				t.Fatalf("%s 1/%d: %v", c.name, s, err)
			}
			t.Logf("%s 1/%d: %v", c.name, s, time.Since(start))
			compareGrey(t, c.name+" 1/"+strconv.Itoa(s), got, boxMeans(full, s), 2)
		}
	}
}

// BenchmarkJPEGDecode compares the standard decoder with the luma
// decoder, at full size and reduced, on photo-like JPEGs (quality 90):
//
//	go test -run '^$' -bench JPEGDecode -benchtime 20x ./classifier/
func BenchmarkJPEGDecode(b *testing.B) {
	for _, sz := range []image.Point{{400, 400}, {640, 480}, {4000, 3000}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, photoLike(sz.X, sz.Y, 2), &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		name := strconv.Itoa(sz.X) + "x" + strconv.Itoa(sz.Y)
		b.Run(name+"/image-jpeg", func(b *testing.B) {
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, s := range []int{1, 2, 4, 8} {
			if s > 1 && sz.X < 1000 {
				continue
			}
			b.Run(name+"/luma-1:"+strconv.Itoa(s), func(b *testing.B) {
				sc := &scratch{} // the plane reused, as a Classifier's pool does
				cpu := cpuTime()
				for b.Loop() {
					if _, err := decodeJPEGReducedInto(data, s, DefaultMaxPixels, sc); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu, b.N)
			})
		}
	}
}

// TestClassify_BigJPEG_ReducedDecodeReadsAsTheFullDecode: photos far
// larger than needed are decoded at 1/2 or 1/4 scale; the digits read, and
// where they are (in the photo's pixels), must be those of the full
// decode.
func TestClassify_BigJPEG_ReducedDecodeReadsAsTheFullDecode(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	computeOnly(t)
	c := newTestClassifier(t, 1)
	full := newTestClassifier(t, 1)
	full.fullDecode = true
	m := loadMNISTTest(t)
	sizes := []struct{ w, h, scale int }{{1440, 1080, 2}, {4000, 3000, 4}, {5120, 3840, 8}}
	for i := range 6 {
		sz := sizes[i%len(sizes)]
		if raceEnabled && sz.w > 2000 {
			continue // the 12- and 20-megapixel photos run without -race
		}
		// The digit takes a third of the height, off-centre, on uneven paper.
		side := sz.h / 3
		box := image.Rect(sz.w/3, sz.h/4, sz.w/3+side, sz.h/4+side)
		s := scene{w: sz.w, h: sz.h, box: box, paper: color.NRGBA{225, 220, 205, 255}, ink: color.NRGBA{40, 40, 60, 255},
			gradient: 0.2, noise: 5, seed: uint64(i), mnist: &m.images[i]}
		data := encodeJPEG(t, s.render(), 85)
		img, scale, _, release, err := c.budget.decodeForReading(context.Background(), data, 0, 0, true, nil)
		if err != nil || scale != sz.scale {
			t.Fatalf("%dx%d: decoded at 1/%d (%v), want 1/%d", sz.w, sz.h, scale, err, sz.scale)
		}
		if b := img.Bounds(); b.Dx() != sz.w/sz.scale || b.Dy() != sz.h/sz.scale {
			t.Errorf("%dx%d at 1/%d decoded to %v", sz.w, sz.h, scale, b)
		}
		release()
		got, err := c.Classify(context.Background(), data)
		if err != nil {
			t.Fatalf("MNIST #%d in %dx%d: %v", i, sz.w, sz.h, err)
		}
		want, err := full.Classify(context.Background(), data)
		if err != nil {
			t.Fatalf("MNIST #%d in %dx%d, full decode: %v", i, sz.w, sz.h, err)
		}
		if got.Number != want.Number || got.Number != strconv.Itoa(m.labels[i]) {
			t.Errorf("MNIST #%d (a %d) in %dx%d: reduced decode reads %q, full decode %q", i, m.labels[i], sz.w, sz.h, got.Number, want.Number)
			continue
		}
		// The boxes agree within a fifth of the digit and two working
		// pixels: the two decodes reduce on different grids, and the
		// reduced one sees block means where the full one sees extremes,
		// which reach further into a stroke's soft edge.
		gb, wb := got.Digits[0].Box, want.Digits[0].Box
		tol := max(wb[2], wb[3])/5 + 2*((sz.w+workMaxSide-1)/workMaxSide)
		for k := range gb {
			if d := gb[k] - wb[k]; max(d, -d) > tol {
				t.Errorf("MNIST #%d in %dx%d: box %v, full decode %v", i, sz.w, sz.h, gb, wb)
				break
			}
		}
		t.Logf("MNIST #%d in %dx%d: %s (%.3f; full decode %.3f), box %v (full %v)", i, sz.w, sz.h, got.Number, got.Confidence, want.Confidence, gb, wb)
	}
}

func TestJPEGReducible_OnlyWhatTheReducedDecoderReads(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(64, 64, 3), nil); err != nil {
		t.Fatal(err)
	}
	if !jpegReducible(buf.Bytes()) {
		t.Error("a baseline YCbCr JPEG is not reducible")
	}
	if jpegReducible(progressiveJPEG(64, 3)) || jpegReducible(progressiveJPEG(64, 4)) {
		t.Error("a progressive JPEG is reducible")
	}
	// Damaged files end in an error, never a panic or a hang.
	data := buf.Bytes()
	for _, cut := range []int{len(data) / 2, 200} {
		for _, s := range []int{1, 2} {
			if _, err := decodeJPEGReduced(data[:cut], s, DefaultMaxPixels); err == nil {
				t.Errorf("cut at %d of %d, 1/%d: decoded without an error", cut, len(data), s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		bad := bytes.Clone(data)
		for range 1 + rng.IntN(8) {
			bad[rng.IntN(len(bad))] = byte(rng.IntN(256))
		}
		_, _ = decodeJPEGReduced(bad, 2<<rng.IntN(3), DefaultMaxPixels)
	}
}

// FuzzDecodeJPEGReduced: whatever the bytes, the luma decoder returns an
// image of the size the header says, or an error; never a panic (which it
// would report as an error saying so).
//
//	go test -run '^$' -fuzz FuzzDecodeJPEGReduced -fuzztime 60s ./classifier/
func FuzzDecodeJPEGReduced(f *testing.F) {
	for _, img := range []image.Image{photoLike(40, 24, 4), image.NewGray(image.Rect(0, 0, 17, 9))} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, scale uint8) {
		s := 1 << (scale % 4)
		img, err := decodeJPEGReduced(data, s, 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("1/%d: %v", s, err)
			}
			return
		}
		cfg, cerr := jpeg.DecodeConfig(bytes.NewReader(data))
		if cerr == nil && (img.Bounds().Dx() != (cfg.Width+s-1)/s || img.Bounds().Dy() != (cfg.Height+s-1)/s) {
			t.Fatalf("1/%d of %dx%d decoded to %v", s, cfg.Width, cfg.Height, img.Bounds())
		}
	})
}
