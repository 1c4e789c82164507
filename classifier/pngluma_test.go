package classifier

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"reflect"
	"testing"
)

// pngLumaCases are PNGs of the kinds decodePNGLuma reads: RGBA with every
// alpha (a drawing's transparent canvas, antialiased edges), opaque RGB,
// noise and smooth gradients (so the encoder picks every filter), odd
// sizes, every compression level.
func pngLumaCases(t *testing.T) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	out := map[string][]byte{}
	enc := func(name string, img image.Image, level png.CompressionLevel) {
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: level}).Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		out[name] = b.Bytes()
	}
	noise := image.NewNRGBA(image.Rect(0, 0, 67, 41))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	grad := image.NewNRGBA(image.Rect(0, 0, 129, 77))
	for y := range 77 {
		for x := range 129 {
			grad.SetNRGBA(x, y, color.NRGBA{uint8(x * 2), uint8(y * 3), uint8(x + y), uint8([]int{0, 255, x * 2}[(x/9+y/7)%3])})
		}
	}
	drawing := (&scene{w: 300, h: 260, box: image.Rect(40, 30, 260, 230), ink: color.NRGBA{20, 30, 120, 255},
		transparent: true, strokes: penDigits[4], pen: 9}).render()
	photo := (&scene{w: 200, h: 150, box: image.Rect(40, 20, 160, 130), paper: color.NRGBA{225, 220, 205, 255},
		ink: color.NRGBA{40, 40, 60, 255}, noise: 6, seed: 1, strokes: penDigits[5], pen: 4}).render()
	opaque := image.NewRGBA(photo.Bounds()) // image/png writes an opaque RGBA as RGB
	for i := range opaque.Pix {
		opaque.Pix[i] = photo.Pix[i]
	}
	for _, l := range []png.CompressionLevel{png.DefaultCompression, png.NoCompression, png.BestSpeed, png.BestCompression} {
		suffix := map[png.CompressionLevel]string{png.DefaultCompression: "", png.NoCompression: "/store", png.BestSpeed: "/fast", png.BestCompression: "/best"}[l]
		enc("noise"+suffix, noise, l)
		enc("gradient"+suffix, grad, l)
		enc("drawing"+suffix, drawing, l)
		enc("opaque photo"+suffix, opaque, l)
	}
	enc("1x1", image.NewNRGBA(image.Rect(0, 0, 1, 1)), png.DefaultCompression)
	// Larger than workMaxSide: reduced by 3 while decoding.
	enc("big drawing", (&scene{w: 700, h: 500, box: image.Rect(150, 60, 560, 450), ink: color.NRGBA{0, 0, 0, 255},
		transparent: true, strokes: penDigits[7], pen: 5}).render(), png.DefaultCompression)
	return out
}

// TestDecodePNGLuma_SameAsImagePNG checks that the luma decoder gives
// preprocessing exactly what image/png's picture gives it: the same
// reduced grey image, for each kind of PNG it reads.
func TestDecodePNGLuma_SameAsImagePNG(t *testing.T) {
	computeOnly(t)
	// One scratch for every case, as a Classifier's pool lends it: each
	// decode starts from what the previous one left in its buffers.
	sc := &scratch{}
	for name, data := range pngLumaCases(t) {
		ref, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(name, err)
		}
		m, err := decodePNGLuma(data, DefaultMaxPixels)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.Bounds() != ref.Bounds() {
			t.Errorf("%s: bounds %v, want %v", name, m.Bounds(), ref.Bounds())
			continue
		}
		// Row by row, as preprocessing reads them.
		w := ref.Bounds().Dx()
		rl, ra, ml, ma := make([]uint8, w), make([]uint8, w), make([]uint8, w), make([]uint8, w)
		readRef, readM := rowReader(ref), rowReader(m)
		for y := range ref.Bounds().Dy() {
			l1, o1 := readRef(y, rl, ra)
			l2, o2 := readM(y, ml, ma)
			if !bytes.Equal(l1, l2) || o1 != o2 || (!o1 && !bytes.Equal(ra, ma)) {
				t.Fatalf("%s: row %d differs", name, y)
			}
		}
		if g1, g2 := toGrey(ref), toGrey(m); !reflect.DeepEqual(g1, g2) {
			t.Errorf("%s: the reduced grey images differ", name)
		}
		// Reduced row by row as it decodes: the same grey image.
		g, err := decodePNGGrey(data, DefaultMaxPixels, sc)
		if err != nil {
			t.Errorf("%s: decodePNGGrey: %v", name, err)
		} else if !reflect.DeepEqual(g, toGrey(ref)) {
			t.Errorf("%s: decodePNGGrey differs from toGrey of image/png's picture", name)
		}
	}
}

// TestDecodePNGLuma_RefusesOtherKinds checks that what the luma decoder
// does not read, and damaged files, end in an error (image/png then
// decides), never in a wrong picture.
func TestDecodePNGLuma_RefusesOtherKinds(t *testing.T) {
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	r := image.Rect(0, 0, 20, 10)
	for name, data := range map[string][]byte{
		"grey":      enc(image.NewGray(r)),
		"16-bit":    enc(image.NewNRGBA64(r)),
		"palette":   enc(image.NewPaletted(r, color.Palette{color.White, color.Black})),
		"not a png": []byte("GIF89a"),
	} {
		if _, err := decodePNGLuma(data, DefaultMaxPixels); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	good := pngLumaCases(t)["drawing"]
	if _, err := decodePNGLuma(good, 300*260-1); err == nil {
		t.Error("a picture over maxPixels decoded")
	}
	for _, cut := range []int{len(good) - 1, len(good) - 12, len(good) / 2, 40} {
		if _, err := decodePNGLuma(good[:cut], DefaultMaxPixels); err == nil {
			t.Errorf("truncated to %d bytes: decoded", cut)
		}
	}
	for _, at := range []int{20, len(good) / 2, len(good) - 30} {
		bad := bytes.Clone(good)
		bad[at] ^= 0x10
		if _, err := decodePNGLuma(bad, DefaultMaxPixels); err == nil {
			t.Errorf("byte %d flipped: decoded", at)
		}
	}
}

// TestUnpaeth_SkipsOnlyZeros checks the zero-run shortcut against the
// filter's definition on rows that are mostly zero with scattered bytes
// (a run's first byte, its last, the left pixel just before it), and on
// dense rows.
func TestUnpaeth_SkipsOnlyZeros(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	paeth := func(a, b, c uint8) uint8 {
		p := int(a) + int(b) - int(c)
		pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
		switch {
		case pa <= pb && pa <= pc:
			return a
		case pb <= pc:
			return b
		}
		return c
	}
	for it := range 20000 {
		bpp := 3 + it%2
		n := bpp * (1 + rng.IntN(100))
		prev, cur := make([]uint8, n), make([]uint8, n)
		for range rng.IntN(4) {
			prev[rng.IntN(n)] = uint8(rng.IntN(256))
		}
		for range rng.IntN(4) {
			cur[rng.IntN(n)] = uint8(rng.IntN(256))
		}
		if it%3 == 2 { // dense rows: every pixel through the predictor
			for i := range n {
				prev[i], cur[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
			}
		}
		want := bytes.Clone(cur)
		for i := range want {
			var a, c uint8
			if i >= bpp {
				a, c = want[i-bpp], prev[i-bpp]
			}
			want[i] += paeth(a, prev[i], c)
		}
		unpaeth(cur, prev, bpp)
		if !bytes.Equal(cur, want) {
			t.Fatalf("case %d (bpp %d, %d bytes) differs", it, bpp, n)
		}
	}
}

// FuzzDecodePNGLuma checks that whatever the luma decoder accepts,
// image/png accepts too, with the same picture.
func FuzzDecodePNGLuma(f *testing.F) {
	for _, img := range []image.Image{image.NewNRGBA(image.Rect(0, 0, 9, 5)), image.NewRGBA(image.Rect(0, 0, 7, 3))} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodePNGLuma(data, 1<<20)
		if err != nil {
			return
		}
		ref, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("the luma decoder read what image/png refuses: %v", err)
		}
		if m.Bounds() != ref.Bounds() {
			t.Fatalf("bounds %v, image/png %v", m.Bounds(), ref.Bounds())
		}
		w := m.w
		rl, ra, ml, ma := make([]uint8, w), make([]uint8, w), make([]uint8, w), make([]uint8, w)
		readRef, readM := rowReader(ref), rowReader(m)
		for y := range m.h {
			l1, o1 := readRef(y, rl, ra)
			l2, o2 := readM(y, ml, ma)
			if !bytes.Equal(l1, l2) || o1 != o2 || (!o1 && !bytes.Equal(ra, ma)) {
				t.Fatalf("row %d differs", y)
			}
		}
		g, err := decodePNGGrey(data, 1<<20, nil)
		if err != nil {
			t.Fatalf("decodePNGGrey refuses what decodePNGLuma reads: %v", err)
		}
		if !reflect.DeepEqual(g, toGrey(ref)) {
			t.Fatal("decodePNGGrey differs from toGrey of image/png's picture")
		}
	})
}
