package bot_test

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/digitbot/digitbot/fakediscord"
)

// BenchmarkUploadsRSS posts 200 mixed uploads, 50 of them 12-megapixel
// phone photos, through the fake Discord to a bot with 4 workers, and
// reports the process's resident memory once every one is answered
// (rss-MB), its peak while they were (peak-rss-MB, from a reset high-water
// mark), and before the first (idle-rss-MB). The fake server keeps the
// last 200 messages, as the playground's does. Run each case in its own
// process, the peak being the process's:
//
//	go test -run '^$' -bench 'UploadsRSS/via_proxy' -benchtime 1x ./bot/
//	go test -run '^$' -bench 'UploadsRSS/originals' -benchtime 1x ./bot/
//
// via_proxy: photos come downscaled from the media proxy; originals: the
// proxy fails, so every photo is downloaded and decoded whole.
func BenchmarkUploadsRSS(b *testing.B) {
	for _, c := range []struct {
		name  string
		fault fakediscord.MediaProxyFault
	}{{"via_proxy", fakediscord.MediaProxyOK}, {"originals", fakediscord.MediaProxyError}} {
		b.Run(c.name, func(b *testing.B) {
			uploads := mixedUploads(b)
			for b.Loop() {
				o := realHarness()
				o.workers, o.queue = 4, 64
				o.ratePerMinute, o.rateBurst = 1e6, 1000
				o.maxMessages = 200
				h := newHarness(b, o)
				h.srv.SetMediaProxyFault(c.fault)
				runtime.GC()
				debug.FreeOSMemory()
				idle, _ := residentMB()
				resetPeakRSS()
				// Eight messages in flight at a time: a busy channel, not a
				// queue overflow.
				for i := 0; i < len(uploads); i += 8 {
					var ids []string
					for _, f := range uploads[i:min(i+8, len(uploads))] {
						ids = append(ids, h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{f}}).ID)
					}
					for _, id := range ids {
						h.replyTo(id)
					}
				}
				rss, peak := residentMB()
				b.ReportMetric(idle, "idle-rss-MB")
				b.ReportMetric(rss, "rss-MB")
				b.ReportMetric(peak, "peak-rss-MB")
				st := h.srv.CDNStats()
				b.ReportMetric(float64(st.Resized), "proxy-copies")
				b.ReportMetric(float64(st.Originals), "originals")
			}
		})
	}
}

// mixedUploads: 50 phone photos (4000x3000 JPEG, quality 85), 50 cropped
// photos (400x400 JPEG), 50 drawings (1080x1080 PNG, strokes on a
// transparent canvas) and 50 small PNGs, interleaved.
func mixedUploads(tb testing.TB) []fakediscord.File {
	digit, err := png.Decode(bytes.NewReader(testImage(tb, "digit-7.png").Data))
	if err != nil {
		tb.Fatal(err)
	}
	phone := photoJPEG(tb, 4000, 3000, image.Rect(1300, 700, 2700, 2300), digit)
	crop := photoJPEG(tb, 400, 400, image.Rect(60, 40, 340, 360), digit)
	canvas := image.NewNRGBA(image.Rect(0, 0, 1080, 1080))
	db := digit.Bounds()
	for y := 135; y < 945; y++ {
		for x := 135; x < 945; x++ {
			g, _, _, _ := digit.At(db.Min.X+(x-135)*db.Dx()/810, db.Min.Y+(y-135)*db.Dy()/810).RGBA()
			canvas.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255 - uint8(g>>8)}) // dark ink on light paper in the test picture
		}
	}
	var drawing bytes.Buffer
	if err := png.Encode(&drawing, canvas); err != nil {
		tb.Fatal(err)
	}
	small := testImage(tb, "digit-3.png")
	var out []fakediscord.File
	for range 50 {
		out = append(out,
			fakediscord.File{Name: "phone.jpg", ContentType: "image/jpeg", Data: phone},
			fakediscord.File{Name: "crop.jpg", ContentType: "image/jpeg", Data: crop},
			fakediscord.File{Name: "drawing.png", ContentType: "image/png", Data: drawing.Bytes()},
			fakediscord.File{Name: "small.png", ContentType: "image/png", Data: small.Data})
	}
	return out
}

// photoJPEG draws the digit, dark on paper with noise, into box of a w×h
// 4:2:0 photo: written as YCbCr so that no RGBA copy of 12 megapixels is
// made in the benchmark's own process.
func photoJPEG(tb testing.TB, w, h int, box image.Rectangle, digit image.Image) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 124, 132
	}
	rng := rand.New(rand.NewPCG(1, 2))
	db := digit.Bounds()
	for y := range h {
		for x := range w {
			v := 220 - 30*float64(x)/float64(w) + rng.NormFloat64()*5
			if (image.Point{x, y}).In(box) {
				g, _, _, _ := digit.At(db.Min.X+(x-box.Min.X)*db.Dx()/box.Dx(), db.Min.Y+(y-box.Min.Y)*db.Dy()/box.Dy()).RGBA()
				ink := 1 - float64(g)/0xffff // the test digit is dark on light
				v = v*(1-ink) + 40*ink
			}
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v)))
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// residentMB reads the resident set size and its high-water mark (Linux).
func residentMB() (rss, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0 and later; a
// no-op elsewhere, when the peak then includes the set-up).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
