package classifier

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/digitbot/digitbot"
)

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}

// pngHeader returns a PNG signature and an IHDR for an 8-bit grey image.
func pngHeader(w, h uint32) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 = grey
	pngChunk(&b, "IHDR", ihdr)
	return &b
}

// lyingPNG is 65 KB of valid PNG declaring 100000x100000 pixels: a naive
// decoder allocates 10 GB.
func lyingPNG(t testing.TB) []byte {
	b := pngHeader(100000, 100000)
	pngChunk(b, "IDAT", bytes.Repeat([]byte{0}, 65000))
	return b.Bytes()
}

// bombPNG is a real side x side grey PNG of zero pixels whose data
// compresses about 1000:1: at 20000x20000, 400 MB of pixels in a few
// hundred KB. Compressing 400 MB would take seconds (minutes under -race),
// so it deflates ten rows once, with a sync flush so the block ends
// byte-aligned, and repeats those bytes: each copy decodes to the same
// zeros, back-references included. side must be a multiple of 10.
func bombPNG(t testing.TB, side int) []byte {
	t.Helper()
	const rows = 10
	var chunk bytes.Buffer
	fw, _ := flate.NewWriter(&chunk, flate.BestCompression)
	fw.Write(make([]byte, rows*(side+1))) // filter byte 0, then zero pixels, per row
	fw.Flush()
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda}) // zlib header: deflate, 32K window, best compression
	for range side / rows {
		z.Write(chunk.Bytes())
	}
	z.Write([]byte{0x03, 0x00}) // final empty block (fixed Huffman)
	// Adler-32 of n zero bytes: A = 1, B = n*1 mod 65521.
	n := uint64(side) * uint64(side+1)
	binary.Write(&z, binary.BigEndian, uint32(n%65521)<<16|1)
	b := pngHeader(uint32(side), uint32(side))
	pngChunk(b, "IDAT", z.Bytes())
	pngChunk(b, "IEND", nil)
	return b.Bytes()
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecode_BadInput(t *testing.T) {
	digit := encodePNG(t, grayOf(loadMNISTTest(t).images[0]))
	jpg := encodeJPEG(t, (&scene{w: 200, h: 200, box: image.Rect(20, 20, 180, 180), paper: white, ink: black, strokes: penDigits[7], pen: 6}).render(), 85)
	tiff := []byte("II*\x00\x08\x00\x00\x00" + "\x00\x00")
	heic := append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 32)...)
	cases := []struct {
		name string
		data []byte
		code string
	}{
		{"empty file", nil, digitbot.EINVALIDIMAGE},
		{"text", []byte("this is not an image, just some text\n"), digitbot.EUNSUPPORTED},
		{"HTML error page", []byte("<!DOCTYPE html><html><body>404</body></html>"), digitbot.EUNSUPPORTED},
		{"TIFF", tiff, digitbot.EUNSUPPORTED},
		{"HEIC", heic, digitbot.EUNSUPPORTED},
		{"PNG signature only", digit[:8], digitbot.EINVALIDIMAGE},
		{"truncated PNG", digit[:len(digit)/2], digitbot.EINVALIDIMAGE},
		{"truncated JPEG", jpg[:len(jpg)/2], digitbot.EINVALIDIMAGE},
		{"JPEG header only", jpg[:20], digitbot.EINVALIDIMAGE},
		{"PNG with a corrupted IDAT", corrupt(digit, len(digit)-30), digitbot.EINVALIDIMAGE},
		{"PNG declaring 100000x100000", lyingPNG(t), digitbot.ETOOLARGE},
		{"PNG declaring 0x10", pngHeader(0, 10).Bytes(), digitbot.EINVALIDIMAGE},
		{"GIF declaring 65535x65535", gifHeader(65535, 65535), digitbot.ETOOLARGE},
		{"BMP declaring 100000x100000", bmpHeader(100000, 100000), digitbot.ETOOLARGE},
		{"over the byte cap", append(bytes.Clone(digit), make([]byte, DefaultMaxBytes)...), digitbot.ETOOLARGE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data, 0, 0)
			if img != nil {
				t.Errorf("got an image with the error")
			}
			wantCode(t, err, tc.code)
		})
	}
}

func corrupt(b []byte, at int) []byte {
	c := bytes.Clone(b)
	for i := at; i < at+8 && i < len(c); i++ {
		c[i] ^= 0x5a
	}
	return c
}

func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, ';')
}

func bmpHeader(w, h int32) []byte {
	b := make([]byte, 54)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], 54)
	binary.LittleEndian.PutUint32(b[10:], 54)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], uint32(w))
	binary.LittleEndian.PutUint32(b[22:], uint32(h))
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 24)
	return b
}

// TestDecode_Bomb: a real decompression bomb is refused from its header,
// without decoding, and allocates almost nothing.
func TestDecode_Bomb(t *testing.T) {
	// The construction is a valid PNG: a small one decodes to zeros.
	small, err := png.Decode(bytes.NewReader(bombPNG(t, 1000)))
	if err != nil {
		t.Fatalf("the bomb construction is not a valid PNG: %v", err)
	}
	if g, ok := small.(*image.Gray); !ok || g.Bounds().Dx() != 1000 || slices.ContainsFunc(g.Pix, func(v uint8) bool { return v != 0 }) {
		t.Fatalf("the small bomb decodes to %T %v, want 1000x1000 zero grey", small, small.Bounds())
	}
	bomb := bombPNG(t, 20000)
	t.Logf("bomb: %d bytes declaring 20000x20000", len(bomb))
	if len(bomb) > DefaultMaxBytes {
		t.Fatalf("the bomb (%d bytes) is over the byte cap; it must pass it to test the pixel cap", len(bomb))
	}
	n := allocated(func() { _, err = Decode(bomb, 0, 0) })
	wantCode(t, err, digitbot.ETOOLARGE)
	if n > 1<<20 {
		t.Errorf("rejecting the bomb allocated %d bytes, want under 1 MiB", n)
	}
	// Through the whole classifier, and for the lying header too: the heap
	// must not grow (a decoded bomb would be 400 MB).
	c := newTestClassifier(t, 1)
	for name, data := range map[string][]byte{"bomb": bomb, "lying header": lyingPNG(t)} {
		var heapBefore, heapAfter runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&heapBefore)
		_, err := c.Classify(context.Background(), data)
		runtime.ReadMemStats(&heapAfter)
		wantCode(t, err, digitbot.ETOOLARGE)
		if grew := int64(heapAfter.HeapAlloc) - int64(heapBefore.HeapAlloc); grew > 50<<20 {
			t.Errorf("%s: heap grew by %d MB", name, grew>>20)
		}
		if total := heapAfter.TotalAlloc - heapBefore.TotalAlloc; total > 10<<20 {
			t.Errorf("%s: allocated %d MB", name, total>>20)
		}
	}
}

// TestDecode_Formats: every supported format decodes and classifies.
func TestDecode_Formats(t *testing.T) {
	c := newTestClassifier(t, 2)
	digits := cleanDigits(t, c)
	seven := (&scene{w: 140, h: 140, box: image.Rect(0, 0, 140, 140), paper: white, ink: black, mnist: &digits[7]}).render()
	var gifBuf, bmpBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, seven, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, seven); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name  string
		data  []byte
		digit int
	}{
		{"PNG", encodePNG(t, seven), 7},
		{"JPEG", encodeJPEG(t, seven, 80), 7},
		{"GIF", gifBuf.Bytes(), 7},
		{"BMP", bmpBuf.Bytes(), 7},
		{"WebP lossy", read("seven-lossy.webp"), 7},
		{"WebP lossless with alpha", read("three-alpha.webp"), 3},
		{"16-bit grey PNG", encodePNG(t, gray16Of(digits[4])), 4},
		{"paletted PNG with a short palette", encodePNG(t, palettedOf(digits[5])), 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Classify(context.Background(), tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Digit != tc.digit {
				t.Errorf("digit = %d (%.2f), want %d", p.Digit, p.Confidence, tc.digit)
			}
		})
	}
}

func gray16Of(px [digitbot.InputSide * digitbot.InputSide]uint8) *image.Gray16 {
	g := image.NewGray16(image.Rect(0, 0, 28, 28))
	for i, v := range px {
		g.SetGray16(i%28, i/28, color.Gray16{Y: uint16(v) * 257})
	}
	return g
}

// palettedOf makes a 2-colour image; the encoder writes a 2-entry palette.
func palettedOf(px [digitbot.InputSide * digitbot.InputSide]uint8) *image.Paletted {
	p := image.NewPaletted(image.Rect(0, 0, 28, 28), color.Palette{color.White, color.Black})
	for i, v := range px {
		if v > 100 {
			p.Pix[i] = 1
		}
	}
	return p
}

// panickyImage panics on pixel access, like a decoder's image with
// inconsistent strides would.
type panickyImage struct{}

func (panickyImage) ColorModel() color.Model { return color.RGBAModel }
func (panickyImage) Bounds() image.Rectangle { return image.Rect(0, 0, 50, 50) }
func (panickyImage) At(x, y int) color.Color { panic("index out of range") }

func TestPreprocess_RecoversPixelPanics(t *testing.T) {
	_, err := Preprocess(panickyImage{})
	wantCode(t, err, digitbot.EINVALIDIMAGE)
	// A paletted image whose indices exceed its palette: image.Paletted.At
	// would panic; the fast path must not.
	p := image.NewPaletted(image.Rect(0, 0, 40, 40), color.Palette{color.White})
	for i := range p.Pix {
		if i%40 > 10 && i%40 < 30 && i/40 > 5 && i/40 < 35 {
			p.Pix[i] = 200
		}
	}
	if _, err := Preprocess(p); err != nil && digitbot.ErrorCode(err) != digitbot.ENODIGIT {
		t.Errorf("paletted image with out-of-range indices: %v", err)
	}
}
