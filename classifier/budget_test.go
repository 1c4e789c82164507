package classifier

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/models"
)

// jpegSegment appends one marker segment.
func jpegSegment(b *bytes.Buffer, marker byte, payload []byte) {
	b.Write([]byte{0xff, marker})
	binary.Write(b, binary.BigEndian, uint16(len(payload)+2))
	b.Write(payload)
}

// progressiveJPEG is a valid progressive JPEG of side x side pixels with
// nComp components sampled 1x1 (4 = Adobe CMYK, 3 = JFIF YCbCr 4:4:4)
// and a single DC scan of zeros: one bit per 8x8 block, so 6324x6324 CMYK
// is 313 KB, while image/jpeg keeps 64 int32 coefficients per block of
// every component until the end and then converts to CMYK: about 1 GB.
func progressiveJPEG(side, nComp int) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xd8})
	if nComp == 4 {
		// APP14 "Adobe", version 100, flags, transform 0 (CMYK).
		jpegSegment(&b, 0xee, []byte("Adobe\x00\x64\x00\x00\x00\x00\x00"))
	} else {
		jpegSegment(&b, 0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	}
	jpegSegment(&b, 0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	sof := []byte{8, byte(side >> 8), byte(side), byte(side >> 8), byte(side), byte(nComp)}
	for i := range nComp {
		sof = append(sof, byte(i+1), 0x11, 0)
	}
	jpegSegment(&b, 0xc2, sof)
	// DC table 0: one code, "0", for category 0 (a difference of 0).
	dht := append([]byte{0x00, 1}, make([]byte, 15)...)
	jpegSegment(&b, 0xc4, append(dht, 0))
	sos := []byte{byte(nComp)}
	for i := range nComp {
		sos = append(sos, byte(i+1), 0x00)
	}
	jpegSegment(&b, 0xda, append(sos, 0, 0, 0))
	blocks := ((side + 7) / 8) * ((side + 7) / 8) * nComp
	b.Write(make([]byte, (blocks+7)/8))
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// zeroPNG is a valid side x side PNG of zero pixels of the given colour
// type and depth, deflated once per twelve rows and repeated (as bombPNG):
// a 16-bit RGBA 6324x6324 picture (320 MB decoded) in about 350 KB.
// side must be a multiple of 12.
func zeroPNG(side int, colour, depth byte) []byte {
	const rows = 12
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
	rowBytes := (side*channels*int(depth)+7)/8 + 1
	var chunk bytes.Buffer
	fw, _ := flate.NewWriter(&chunk, flate.BestCompression)
	fw.Write(make([]byte, rows*rowBytes))
	fw.Flush()
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda})
	for range side / rows {
		z.Write(chunk.Bytes())
	}
	z.Write([]byte{0x03, 0x00})
	n := uint64(side) * uint64(rowBytes)
	binary.Write(&z, binary.BigEndian, uint32(n%65521)<<16|1)
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8], ihdr[9] = depth, colour
	pngChunk(&b, "IHDR", ihdr)
	if colour == 3 {
		pngChunk(&b, "PLTE", []byte{0, 0, 0, 255, 255, 255})
	}
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// hostileFiles are the files of the hostile test pass: small uploads,
// under the pixel cap, that decode to hundreds of megabytes.
func hostileFiles() map[string][]byte {
	return map[string][]byte{
		"progressive_CMYK_JPEG_6324x6324": progressiveJPEG(6324, 4),
		"RGBA16_PNG_6324x6324":            zeroPNG(6324, 6, 16),
	}
}

// The constructions are what they claim: small versions decode.
func TestHostileConstructions_AreValidImages(t *testing.T) {
	img, err := jpeg.Decode(bytes.NewReader(progressiveJPEG(64, 4)))
	if err != nil {
		t.Fatalf("progressive CMYK JPEG: %v", err)
	}
	if _, ok := img.(*image.CMYK); !ok || img.Bounds().Dx() != 64 {
		t.Fatalf("progressive CMYK JPEG decodes to %T %v", img, img.Bounds())
	}
	img, err = png.Decode(bytes.NewReader(zeroPNG(120, 6, 16)))
	if err != nil {
		t.Fatalf("16-bit RGBA PNG: %v", err)
	}
	if _, ok := img.(*image.NRGBA64); !ok || img.Bounds().Dx() != 120 {
		t.Fatalf("16-bit RGBA PNG decodes to %T %v", img, img.Bounds())
	}
	for name, data := range hostileFiles() {
		if len(data) > 400<<10 {
			t.Errorf("%s is %d bytes, want the hostile pass's ~350 KB", name, len(data))
		}
	}
}

// TestMemoryBudget_RefusesHostileFiles: a file whose decoding could never
// fit the budget is refused from its header, before any pixel buffer.
func TestMemoryBudget_RefusesHostileFiles(t *testing.T) {
	c := newTestClassifier(t, 1)
	for name, data := range hostileFiles() {
		t.Run(name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = c.Classify(context.Background(), data) })
			wantCode(t, err, digitbot.ETOOLARGE)
			if !strings.Contains(digitbot.ErrorMessage(err), "smaller picture") {
				t.Errorf("message %q does not say what to do", digitbot.ErrorMessage(err))
			}
			if n > 4<<20 {
				t.Errorf("refusing it allocated %d bytes, want under 4 MiB", n)
			}
		})
	}
}

// TestDecodeCost_CoversTheDecoder: the estimate is at least what the
// standard decoders really allocate, for every kind of layout; an estimate
// below it would let the budget over-commit.
func TestDecodeCost_CoversTheDecoder(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7)
	}
	cases := map[string][]byte{
		"progressive CMYK JPEG":  progressiveJPEG(240, 4),
		"progressive YCbCr JPEG": progressiveJPEG(240, 3),
		"baseline 4:2:0 JPEG":    encodeJPEG(t, photo, 90),
		"grey JPEG":              encodeJPEG(t, image.NewGray(image.Rect(0, 0, 300, 200)), 90),
		"16-bit RGBA PNG":        zeroPNG(240, 6, 16),
		"16-bit grey PNG":        zeroPNG(240, 0, 16),
		"8-bit RGB PNG":          zeroPNG(240, 2, 8),
		"8-bit grey PNG":         zeroPNG(240, 0, 8),
		"paletted PNG":           zeroPNG(240, 3, 8),
		"RGBA PNG":               encodePNG(t, photo),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			h, err := readHeader(data, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			est := decodeCost(h, data)
			var img image.Image
			got := allocated(func() { img, err = h.decode(data, 0) })
			if err != nil {
				t.Fatal(err)
			}
			runtime.KeepAlive(img)
			t.Logf("%dx%d: estimated %d bytes, allocated %d", h.config.Width, h.config.Height, est, got)
			if int64(got) > est {
				t.Errorf("the decoder allocated %d bytes, more than the estimate of %d", got, est)
			}
			if est > 8*int64(got)+2<<20 {
				t.Errorf("the estimate %d is more than 8 times the %d allocated", est, got)
			}
		})
	}
}

// TestDecodeCost_PhotoWithoutJFIF: a phone photo (Exif, no JFIF marker,
// 4:2:0 YCbCr) costs its planes, not an RGB conversion it does not get: a
// 40-megapixel one must fit the default budget.
func TestDecodeCost_PhotoWithoutJFIF(t *testing.T) {
	photo := image.NewYCbCr(image.Rect(0, 0, 1600, 1200), image.YCbCrSubsampleRatio420)
	data := encodeJPEG(t, photo, 80)
	if bytes.Contains(data[:64], []byte("JFIF")) {
		t.Fatal("the encoder wrote a JFIF marker; the case needs a file without")
	}
	h, err := readHeader(data, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	perPixel := float64(decodeCost(h, data)-decoderOverhead) / (1600 * 1200)
	if perPixel > 1.6 {
		t.Errorf("%.2f bytes a pixel estimated for a 4:2:0 photo, want about 1.5", perPixel)
	}
	if cost := int64(perPixel*40e6) + decoderOverhead + preprocessReserve; cost > DefaultMemoryBudget {
		t.Errorf("a 40-megapixel photo would cost %d bytes, over the default budget", cost)
	}
	// The same file with an Adobe APP14 marker saying RGB, placed after
	// the frame header, is converted by image/jpeg: the estimate counts it.
	adobe := []byte("\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00")
	sos := bytes.Index(data, []byte{0xff, 0xda})
	rgb := append(append(append([]byte(nil), data[:sos]...), adobe...), data[sos:]...)
	h, err = readHeader(rgb, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if perPixel := float64(decodeCost(h, rgb)-decoderOverhead) / (1600 * 1200); perPixel < 5 {
		t.Errorf("%.2f bytes a pixel estimated with an RGB conversion, want at least 5.5", perPixel)
	}
	img, err := h.decode(rgb, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.RGBA); !ok {
		t.Errorf("with the Adobe marker image/jpeg returned %T, want *image.RGBA (the test's premise)", img)
	}
}

// TestMemoryBudget_WaitsThenAdmits: a decode that does not fit now waits
// for memory, first come first served, as long as its context allows, and
// every reservation is returned.
func TestMemoryBudget_WaitsThenAdmits(t *testing.T) {
	data := zeroPNG(240, 6, 8) // 240x240 RGBA: 230 KB + the preprocessing reserve
	h, err := readHeader(data, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cost := decodeCost(h, data) + preprocessReserve
	b := NewMemoryBudget(cost + cost/2) // room for one decode at a time

	_, release1, err := b.Decode(context.Background(), data, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.InUse(); got != cost {
		t.Fatalf("in use = %d, want %d", got, cost)
	}

	// A second decode waits; when its context ends it gives up with
	// EUNAVAILABLE and leaves nothing reserved.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := b.Decode(ctx, data, 0, 0)
		done <- err
	}()
	waitFor(t, func() bool { return b.waiting() == 1 })
	cancel()
	err = <-done
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap the context's", err)
	}

	// A third waits and is admitted when the first releases.
	type result struct {
		release func()
		err     error
	}
	admitted := make(chan result, 1)
	go func() {
		_, release, err := b.Decode(context.Background(), data, 0, 0)
		admitted <- result{release, err}
	}()
	waitFor(t, func() bool { return b.waiting() == 1 })
	select {
	case r := <-admitted:
		t.Fatalf("admitted over the budget: %v", r.err)
	default:
	}
	release1()
	release1() // releasing twice is harmless
	r := <-admitted
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.release()
	if got := b.InUse(); got != 0 {
		t.Errorf("in use after every release = %d, want 0", got)
	}
}

// TestMemoryBudget_SharedAndFailedDecodes: Classifiers sharing a budget
// draw from it, and a decode that fails returns its reservation.
func TestMemoryBudget_SharedAndFailedDecodes(t *testing.T) {
	b := NewMemoryBudget(0)
	card := testCard(t)
	var wg sync.WaitGroup
	for range 2 {
		c, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: 1, MemoryBudget: b})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		broken := zeroPNG(240, 6, 8)
		broken = broken[:len(broken)-40] // the end of the pixel data is missing
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Classify(context.Background(), broken)
				if digitbot.ErrorCode(err) != digitbot.EINVALIDIMAGE {
					t.Errorf("broken PNG: %v, want invalid_image", err)
				}
			}()
		}
	}
	wg.Wait()
	if got := b.InUse(); got != 0 {
		t.Errorf("in use after failed decodes = %d, want 0", got)
	}
}

// waitFor waits until cond holds, yielding between checks: it waits on
// the state it observes, not for a time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}

// BenchmarkHostileDecodesRSS runs every decoding slot of a Classifier on
// the hostile files and on the largest files the budget admits, for
// b.N rounds, and reports the process's peak resident size (VmHWM). Run it
// alone, so that nothing else raised the peak first:
//
//	go test -run '^$' -bench HostileDecodesRSS -benchtime 3x ./classifier/
func BenchmarkHostileDecodesRSS(b *testing.B) {
	c := newTestClassifier(b, 0)
	files := hostileFiles()
	// Admitted, near the budget: 40 MP 4:4:4 progressive YCbCr (about
	// 150 MB with its coefficients) and a 6000x6000 RGBA PNG (144 MB).
	files["progressive_YCbCr_JPEG_3200x3200"] = progressiveJPEG(3200, 3)
	files["RGBA_PNG_6000x6000"] = zeroPNG(6000, 6, 8)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slots := cap(c.decoding)
	codes := make(map[string]string)
	var mu sync.Mutex
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 2 * slots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := names[i%len(names)]
				_, err := c.Classify(context.Background(), files[name])
				mu.Lock()
				codes[name] = digitbot.ErrorCode(err)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.Logf("outcomes (empty = decoded): %v", codes)
	if kb := peakRSSKiB(b); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}

// peakRSSKiB reads VmHWM, the peak resident set size, from /proc.
func peakRSSKiB(tb testing.TB) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Logf("no /proc: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
