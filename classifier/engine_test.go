package classifier

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	onnx "github.com/owulveryck/onnx-go"

	"github.com/digitbot/digitbot/models"
)

// newEngineClassifier builds a Classifier on the embedded model with the
// given engine.
func newEngineClassifier(tb testing.TB, engine Engine, workers int) *Classifier {
	tb.Helper()
	card, err := models.Card()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: workers, Engine: engine})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if c.Engine() != engine {
		tb.Fatalf("engine %q, asked for %q", c.Engine(), engine)
	}
	return c
}

// compareEngines runs MNIST test digits first..first+n-1 through both
// engines and fails unless every argmax is equal and every logit and
// probability is within 1e-4 of gorgonnx's. It returns the largest
// differences.
func compareEngines(t *testing.T, first, n int) (maxLogit, maxProb float64) {
	compiled := newEngineClassifier(t, EngineCompiled, 0)
	ref := newEngineClassifier(t, EngineGorgonnx, 0)
	m := loadMNISTTest(t)
	diffLogit := make([]float64, n)
	diffProb := make([]float64, n)
	same := forEachParallel(t, n, func(i int) bool {
		px := &m.images[first+i]
		got, err := compiled.run(context.Background(), px)
		if err != nil {
			t.Error(err)
			return false
		}
		want, err := ref.run(context.Background(), px)
		if err != nil {
			t.Error(err)
			return false
		}
		pg, pw := probabilities(got[0], compiled.temperature), probabilities(want[0], ref.temperature)
		for j := range want[0] {
			diffLogit[i] = max(diffLogit[i], math.Abs(got[0][j]-want[0][j]))
			diffProb[i] = max(diffProb[i], math.Abs(pg[j]-pw[j]))
		}
		return argmax(got[0]) == argmax(want[0])
	})
	for i := range n {
		maxLogit, maxProb = max(maxLogit, diffLogit[i]), max(maxProb, diffProb[i])
	}
	t.Logf("MNIST test digits %d..%d: argmax equal on %d/%d; largest difference to gorgonnx: logit %.3g, probability %.3g", first, first+n-1, same, n, maxLogit, maxProb)
	if same != n {
		t.Errorf("the compiled engine's argmax differs from gorgonnx's on %d of %d digits", n-same, n)
	}
	if !(maxLogit <= 1e-4) || !(maxProb <= 1e-4) {
		t.Errorf("largest difference to gorgonnx: logit %.3g, probability %.3g, want ≤ 1e-4", maxLogit, maxProb)
	}
	return maxLogit, maxProb
}

// probabilities is the softmax of logits/temperature.
func probabilities(logits []float64, temperature float64) []float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, v/temperature)
	}
	p := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(v/temperature - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// TestEngine_MatchesGorgonnxSubset is the race-detector-sized comparison
// of the compiled engine with gorgonnx (TestEngine_MNISTMatchesGorgonnx
// runs all 10,000 digits without the race detector).
func TestEngine_MatchesGorgonnxSubset(t *testing.T) {
	compareEngines(t, 5000, 200)
}

// TestEngine_Default: the default engine is the compiled one.
func TestEngine_Default(t *testing.T) {
	c := newTestClassifier(t, 1)
	if c.Engine() != EngineCompiled || c.EngineFallback() != "" {
		t.Errorf("default engine %q (fallback %q), want %q", c.Engine(), c.EngineFallback(), EngineCompiled)
	}
	card, _ := models.Card()
	if _, err := New(Options{ONNX: models.ONNX(), Card: card, Workers: 1, Engine: "tpu"}); err == nil {
		t.Error("an unknown engine was accepted")
	}
}

// withIdentityOutput appends to an ONNX model an Identity node that copies
// its input to a second graph output, "copy": protobuf merges a repeated
// message field (ModelProto.graph) by appending its repeated fields (node,
// output). The compiled engine supports neither Identity nor two outputs;
// gorgonnx supports both and still returns the logits first.
func withIdentityOutput(t *testing.T, model []byte) []byte {
	g := newEngineClassifier(t, EngineGorgonnx, 1)
	w := <-g.workers
	defer func() { g.workers <- w }()
	name := w.backend.Node(w.model.Input[0]).(onnx.Namer).GetName()
	str := func(field int, s string) []byte { return protoField(field, []byte(s)) }
	node := append(append(str(1, name), str(2, "copy")...), str(4, "Identity")...)
	valueInfo := str(1, "copy")
	graph := append(protoField(1, node), protoField(12, valueInfo)...)
	return append(append([]byte(nil), model...), protoField(7, graph)...)
}

// protoField encodes a length-delimited protobuf field.
func protoField(field int, b []byte) []byte {
	out := protoVarint(nil, uint64(field)<<3|2)
	out = protoVarint(out, uint64(len(b)))
	return append(out, b...)
}

func protoVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// TestEngine_FallsBackToGorgonnx: a model with an operator the compiled
// engine lacks loads with gorgonnx by default, and says why; asking for
// the compiled engine explicitly fails with the operator's name.
func TestEngine_FallsBackToGorgonnx(t *testing.T) {
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	model := withIdentityOutput(t, models.ONNX())
	card.ONNXSHA256 = sha256Hex(model)
	c, err := New(Options{ONNX: model, Card: card, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Engine() != EngineGorgonnx {
		t.Fatalf("engine %q, want the fallback %q", c.Engine(), EngineGorgonnx)
	}
	t.Logf("fallback: %s", c.EngineFallback())
	if !strings.Contains(c.EngineFallback(), "Identity") {
		t.Errorf("the fallback reason %q does not name the operator", c.EngineFallback())
	}
	m := loadMNISTTest(t)
	logits, err := c.run(context.Background(), &m.images[0])
	if err != nil || argmax(logits[0][:10]) != m.labels[0] {
		t.Errorf("the fallback engine read MNIST #0 (a %d) as %v (%v)", m.labels[0], logits, err)
	}
	if _, err := New(Options{ONNX: model, Card: card, Workers: 1, Engine: EngineCompiled}); err == nil || !strings.Contains(err.Error(), "Identity") {
		t.Errorf("the compiled engine asked for explicitly: %v, want an error naming Identity", err)
	}
}

// BenchmarkInfer is one inference through the classifier's pool (worker
// borrowed and returned, logits copied out) per engine, with the median
// latency; onnxplan's BenchmarkInfer measures the engines alone.
func BenchmarkInfer(b *testing.B) {
	m := loadMNISTTest(b)
	for _, engine := range []Engine{EngineGorgonnx, EngineCompiled} {
		b.Run("engine="+string(engine), func(b *testing.B) {
			c := newEngineClassifier(b, engine, 1)
			benchLatency(b, func() {
				if _, err := c.run(context.Background(), &m.images[0]); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkInferParallel is the pool's inference throughput: GOMAXPROCS
// workers, as many goroutines as the benchmark runs, in images/s.
func BenchmarkInferParallel(b *testing.B) {
	m := loadMNISTTest(b)
	for _, engine := range []Engine{EngineGorgonnx, EngineCompiled} {
		b.Run("engine="+string(engine), func(b *testing.B) {
			c := newEngineClassifier(b, engine, 0)
			b.ReportAllocs()
			b.ResetTimer() // not the models' loading
			start, cpu := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.run(context.Background(), &m.images[0]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, cpu, b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "images/s")
		})
	}
}

// benchLatency runs f as the benchmark's body and reports the CPU time and
// the median wall-clock latency per call.
func benchLatency(b *testing.B, f func()) {
	b.ReportAllocs()
	lat := make([]time.Duration, 0, 1<<12)
	cpu := cpuTime()
	for b.Loop() {
		t := time.Now()
		f()
		lat = append(lat, time.Since(t))
	}
	reportCPU(b, cpu, len(lat))
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
}

// TestEngine_MatchesPyTorch compares the compiled engine with PyTorch on
// the 10,000 MNIST test digits: argmax equal on every digit, every logit
// within 1e-4. PyTorch's logits come from a file that
// models/train/torch_reference.py writes (it needs python3-torch and
// python3-onnx), named by DIGITBOT_TORCH_LOGITS:
//
//	/usr/bin/python3 models/train/torch_reference.py --out /tmp/torch-logits.f32
//	DIGITBOT_TORCH_LOGITS=/tmp/torch-logits.f32 go test -count=1 -run PyTorch ./classifier/
func TestEngine_MatchesPyTorch(t *testing.T) {
	path := os.Getenv("DIGITBOT_TORCH_LOGITS")
	if path == "" {
		t.Skip("DIGITBOT_TORCH_LOGITS is not set: write PyTorch's logits with models/train/torch_reference.py to compare")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := newEngineClassifier(t, EngineCompiled, 0)
	m := loadMNISTTest(t)
	n, k := len(m.images), c.classes
	if len(raw) != n*k*4 {
		t.Fatalf("%s has %d bytes, want %d digits × %d float32 logits", path, len(raw), n, k)
	}
	diff := make([]float64, n)
	same := forEachParallel(t, n, func(i int) bool {
		got, err := c.run(context.Background(), &m.images[i])
		if err != nil {
			t.Error(err)
			return false
		}
		want := make([]float64, k)
		for j := range want {
			want[j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[(i*k+j)*4:])))
			diff[i] = max(diff[i], math.Abs(got[0][j]-want[j]))
		}
		return argmax(got[0]) == argmax(want)
	})
	worst := slices.Max(diff)
	t.Logf("compiled engine vs PyTorch on %d MNIST test digits: argmax equal on %d, largest logit difference %.3g", n, same, worst)
	if same != n || !(worst <= 1e-4) {
		t.Errorf("argmax differs on %d digits, largest difference %.3g (want none, ≤ 1e-4)", n-same, worst)
	}
}

// BenchmarkClassifyEngine is Classify of the 400x400 JPEG photo and of the
// 4-digit number photo (decode, preprocess, segmentation, inference) on
// one goroutine, per engine, with the median latency.
func BenchmarkClassifyEngine(b *testing.B) {
	photo := benchUploads(b)[1].data
	number, _ := numberPhoto(b)
	for _, u := range []struct {
		name string
		data []byte
	}{{"jpeg_400x400", photo}, {"number_400x400", number}} {
		for _, engine := range []Engine{EngineGorgonnx, EngineCompiled} {
			b.Run(u.name+"/engine="+string(engine), func(b *testing.B) {
				c := newEngineClassifier(b, engine, 1)
				benchLatency(b, func() {
					if _, err := c.Classify(context.Background(), u.data); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
