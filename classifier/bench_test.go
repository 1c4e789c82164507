package classifier

import (
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// benchUploads are the benchmark inputs: an MNIST-sized PNG, a typical
// phone upload (400x400 JPEG, dark ink on light paper, sensor noise), a
// full 12-megapixel photo, the 400x400 photo under uneven light, and a
// 400x400 photo under a hard shadow across the page and the digit (the
// paper estimated by a grey-level opening; read the first time).
func benchUploads(b *testing.B) []struct {
	name string
	data []byte
} {
	b.Helper()
	m := loadMNISTTest(b)
	photo := func(w, h int, box image.Rectangle) []byte {
		s := scene{w: w, h: h, box: box, paper: color.NRGBA{225, 220, 205, 255}, ink: color.NRGBA{40, 40, 60, 255}, noise: 6, seed: 1, mnist: &m.images[0]}
		return encodeJPEG(b, s.render(), 85)
	}
	// Unevenly lit, as bench/python_peer.py's photo: the background is a
	// fitted surface rather than one level.
	lit := scene{w: 400, h: 400, box: image.Rect(60, 40, 340, 360), paper: color.NRGBA{225, 220, 205, 255}, ink: color.NRGBA{40, 40, 60, 255},
		gradient: 0.3, noise: 6, seed: 1, mnist: &m.images[0]}
	shadowed := scene{w: 400, h: 400, box: image.Rect(90, 80, 310, 320), paper: color.NRGBA{235, 235, 235, 255}, ink: color.NRGBA{40, 40, 40, 255},
		gradient: 0.7, noise: 3, seed: 1, mnist: &m.images[0]}
	shadow := shadowed.render()
	castHardShadow(shadow, 150, 250)
	return []struct {
		name string
		data []byte
	}{
		{"png_28x28", encodePNG(b, grayOf(m.images[0]))},
		{"jpeg_400x400", photo(400, 400, image.Rect(60, 40, 340, 360))},
		{"jpeg_4000x3000", photo(4000, 3000, image.Rect(1200, 600, 2800, 2400))},
		{"jpeg_400x400_gradient", encodeJPEG(b, lit.render(), 85)},
		{"jpeg_400x400_shadow", encodeJPEG(b, shadow, 85)},
	}
}

// BenchmarkClassify measures one image end to end (decode, preprocess,
// inference) on one goroutine.
func BenchmarkClassify(b *testing.B) {
	c := newTestClassifier(b, 1)
	for _, u := range benchUploads(b) {
		b.Run(u.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := c.Classify(context.Background(), u.data); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, b.N)
		})
	}
}

// cpuTime is the CPU time (user + system) the process has used. The
// machine the benchmarks run on is shared, so wall-clock ns/op depends on
// the neighbours; CPU time per image does not (much), and 2 cores divided by
// it is the throughput the pool can reach on an otherwise idle machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64((cpuTime()-since).Microseconds())/float64(n), "cpu-µs/op")
	}
}

// BenchmarkStages splits the 400x400 upload into its stages.
func BenchmarkStages(b *testing.B) {
	c := newTestClassifier(b, 1)
	data := benchUploads(b)[1].data
	img, err := Decode(data, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	px, err := Preprocess(img)
	if err != nil {
		b.Fatal(err)
	}
	stage := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				f()
			}
			reportCPU(b, cpu, b.N)
		})
	}
	stage("decode", func() { Decode(data, 0, 0) })
	stage("preprocess", func() { Preprocess(img) })
	stage("inference", func() { c.run(context.Background(), &px) })
}

// BenchmarkClassifyParallel is the sustained throughput of the pool: as
// many goroutines as the benchmark chooses, a pool of GOMAXPROCS models.
// It reports images/s and the median and 99th-percentile latency.
func BenchmarkClassifyParallel(b *testing.B) {
	c := newTestClassifier(b, 0)
	for _, u := range benchUploads(b)[:2] {
		b.Run(u.name, func(b *testing.B) {
			b.ReportAllocs()
			var mu sync.Mutex
			var lat []time.Duration
			start, cpu := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					t := time.Now()
					if _, err := c.Classify(context.Background(), u.data); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			reportCPU(b, cpu, len(lat))
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "images/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// BenchmarkRejectBomb: the 20000x20000 decompression bomb and the
// 100000x100000 lying header are refused from their headers.
func BenchmarkRejectBomb(b *testing.B) {
	for name, data := range map[string][]byte{"bomb_20000x20000": bombPNG(b, 20000), "header_100000x100000": lyingPNG(b)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data, 0, 0); digitbot.ErrorCode(err) != digitbot.ETOOLARGE {
					b.Fatal(err)
				}
			}
		})
	}
}

// numberPhoto is a 400x400 JPEG photo of a 4-digit number: MNIST test
// digits on unevenly lit paper, with sensor noise.
func numberPhoto(b *testing.B) (data []byte, want string) {
	m := loadMNISTTest(b)
	rng := rand.New(rand.NewPCG(7, 7))
	digits := []*input{&m.images[1], &m.images[2], &m.images[3], &m.images[4]}
	for _, i := range []int{1, 2, 3, 4} {
		want += string(rune('0' + m.labels[i]))
	}
	cov, w, h := composeNumber(rng, digits, 0)
	const side = 400
	page := make([]float64, side*side)
	ox, oy := (side-w)/2, (side-h)/2
	for y := range h {
		for x := range w {
			if px, py := x+ox, y+oy; px >= 0 && py >= 0 && px < side && py < side {
				page[py*side+px] = cov[y*w+x]
			}
		}
	}
	return renderUpload(b, rng, page, side, side, paperPhoto), want
}

// BenchmarkClassifyNumber is a 400x400 JPEG photo of a 4-digit number
// through Classify on one goroutine, with the median latency.
func BenchmarkClassifyNumber(b *testing.B) {
	c := newTestClassifier(b, 1)
	data, want := numberPhoto(b)
	if p, err := c.Classify(context.Background(), data); err != nil || p.Number != want {
		b.Fatalf("read %q (%v), want %q", p.Number, err, want)
	}
	b.ReportAllocs()
	var lat []time.Duration
	cpu := cpuTime()
	for b.Loop() {
		t := time.Now()
		if _, err := c.Classify(context.Background(), data); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	reportCPU(b, cpu, len(lat))
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkPrepare is decoding and preprocessing without inference
// (Classifier.Prepare) on the two uploads issue 18's targets name apart
// from phone photos: a 400x400 photo JPEG and a drawing app's 1080x1080
// PNG (black strokes on a transparent canvas, an MNIST 7 scaled up as
// bench/python_peer.py draws it).
func BenchmarkPrepare(b *testing.B) {
	c := newTestClassifier(b, 1)
	m := loadMNISTTest(b)
	drawing := (&scene{w: 1080, h: 1080, box: image.Rect(135, 135, 945, 945), ink: color.NRGBA{0, 0, 0, 255},
		transparent: true, mnist: &m.images[0]}).render()
	cases := []struct {
		name string
		data []byte
	}{
		{"jpeg_400x400", benchUploads(b)[1].data},
		{"png_drawing_1080x1080", encodePNG(b, drawing)},
	}
	for _, u := range cases {
		b.Run(u.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := c.Prepare(context.Background(), u.data); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, b.N)
		})
	}
}
