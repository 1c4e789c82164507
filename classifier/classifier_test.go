package classifier

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/models"
)

func testCard(t *testing.T) digitbot.ModelCard {
	t.Helper()
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	return card
}

// TestNew_RefusesBadModels: whatever is wrong, New fails and says what.
func TestNew_RefusesBadModels(t *testing.T) {
	onnx := models.ONNX()
	flipped := bytes.Clone(onnx)
	// Flip the top bit of 16 KB in the middle of the file: thousands of
	// weights change sign or magnitude, and the protobuf framing (outside
	// the weights' raw data) stays intact, so only the self-test can tell.
	for i := len(flipped) / 2; i < len(flipped)/2+16<<10; i++ {
		flipped[i] ^= 0x80
	}
	cases := []struct {
		name string
		opts func(card digitbot.ModelCard) Options
		want string // a phrase the error must contain
	}{
		{"corrupted model file", func(card digitbot.ModelCard) Options {
			return Options{ONNX: flipped, Card: card}
		}, "does not match its card"},
		{"corrupted model with a matching sha", func(card digitbot.ModelCard) Options {
			card.ONNXSHA256 = sha256Hex(flipped)
			return Options{ONNX: flipped, Card: card}
		}, "self-test"},
		{"wrong self-test logits", func(card digitbot.ModelCard) Options {
			card.SelfTest.Logits = append([]float64(nil), card.SelfTest.Logits...)
			card.SelfTest.Logits[3] += 0.01
			return Options{ONNX: onnx, Card: card}
		}, "logit 3"},
		{"wrong sha256", func(card digitbot.ModelCard) Options {
			card.ONNXSHA256 = strings.Repeat("0", 64)
			return Options{ONNX: onnx, Card: card}
		}, "sha256"},
		{"wrong normalisation", func(card digitbot.ModelCard) Options {
			card.Input.Mean += 0.2
			return Options{ONNX: onnx, Card: card}
		}, "self-test"},
		{"missing self-test", func(card digitbot.ModelCard) Options {
			card.SelfTest.Pixels = nil
			return Options{ONNX: onnx, Card: card}
		}, "self-test input"},
		{"no model", func(card digitbot.ModelCard) Options {
			return Options{Card: card}
		}, "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts(testCard(t)))
			if err == nil {
				c.Close()
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			t.Logf("%v", err)
		})
	}
}

// TestClassifier_Prediction checks every field Classify fills.
func TestClassifier_Prediction(t *testing.T) {
	c := newTestClassifier(t, 1)
	m := loadMNISTTest(t)
	before := time.Now()
	p, err := c.Classify(context.Background(), encodePNG(t, grayOf(m.images[0])))
	if err != nil {
		t.Fatal(err)
	}
	if p.Digit != m.labels[0] {
		t.Errorf("digit = %d, want %d", p.Digit, m.labels[0])
	}
	sum, best := 0.0, 0
	for d, q := range p.Probabilities {
		sum += q
		if q > p.Probabilities[best] {
			best = d
		}
	}
	// They sum to 1, less the "not a digit" share with an 11-class model.
	if sum > 1+1e-9 || sum < 0.5 || (c.classes == 10 && math.Abs(sum-1) > 1e-9) || best != p.Digit || p.Confidence != p.Probabilities[p.Digit] {
		t.Errorf("probabilities %v (sum %v) do not match digit %d / confidence %v", p.Probabilities, sum, p.Digit, p.Confidence)
	}
	if p.Confidence < 0.9 {
		t.Errorf("confidence %.3f for a clean MNIST digit", p.Confidence)
	}
	if p.ModelSHA256 != testCard(t).ONNXSHA256 || p.ModelSHA256 == "" {
		t.Errorf("ModelSHA256 = %q", p.ModelSHA256)
	}
	if p.CreatedAt.Before(before.Add(-time.Second)) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v", p.CreatedAt)
	}
	if p.Input == ([784]uint8{}) {
		t.Error("Input is empty")
	}
	if c.Card().ONNXSHA256 != p.ModelSHA256 {
		t.Error("Card() is not the model's card")
	}
}

// TestClassifier_Concurrent: 100 goroutines at once on a pool of 2 give
// exactly the answers of a serial run.
func TestClassifier_Concurrent(t *testing.T) {
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	n := 100
	if raceEnabled {
		n = 24 // the race pass checks the pool's sharing; all 100 run without -race
	}
	inputs := make([][]byte, n)
	serial := make([]digitbot.Prediction, n)
	for i := range n {
		inputs[i] = encodePNG(t, grayOf(m.images[i]))
		p, err := c.Classify(context.Background(), inputs[i])
		if err != nil {
			t.Fatal(err)
		}
		serial[i] = p
	}
	parallel := make([]digitbot.Prediction, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			parallel[i], errs[i] = c.Classify(context.Background(), inputs[i])
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("image %d: %v", i, errs[i])
		}
		if parallel[i].Digit != serial[i].Digit || parallel[i].Probabilities != serial[i].Probabilities || parallel[i].Input != serial[i].Input {
			t.Errorf("image %d: concurrent %d %v, serial %d %v", i, parallel[i].Digit, parallel[i].Probabilities, serial[i].Digit, serial[i].Probabilities)
		}
	}
}

// TestClassifier_ContextAndClose: a caller waiting for a busy pool (or for
// a decoding slot) gives up with its context; after Close nothing runs.
func TestClassifier_ContextAndClose(t *testing.T) {
	c := newTestClassifier(t, 1)
	data := encodePNG(t, grayOf(loadMNISTTest(t).images[0]))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Classify(ctx, data)
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}

	// Hold the only worker: a caller with a deadline must give up.
	w := <-c.workers
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err = c.Classify(ctx, data)
	cancel()
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	c.workers <- w

	// Fill the decoding slots: decoding waits too, within the context.
	for range cap(c.decoding) {
		c.decoding <- struct{}{}
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err = c.Classify(ctx, data)
	cancel()
	wantCode(t, err, digitbot.EUNAVAILABLE)
	for range cap(c.decoding) {
		<-c.decoding
	}
	if _, err := c.Classify(context.Background(), data); err != nil {
		t.Fatalf("after the slots are free: %v", err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = c.Classify(context.Background(), data)
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestClassifier_MNISTSubset runs a deterministic 300-digit subset of the
// MNIST test set through the whole path (PNG bytes → Classify). It is the
// race-detector-sized version of TestClassifier_MNIST.
func TestClassifier_MNISTSubset(t *testing.T) {
	computeOnly(t)
	c := newTestClassifier(t, 2)
	m := loadMNISTTest(t)
	const n = 300
	correct := 0
	for k := range n {
		i := k * len(m.images) / n
		p, err := c.Classify(context.Background(), encodePNG(t, grayOf(m.images[i])))
		if err != nil {
			t.Fatalf("digit %d: %v", i, err)
		}
		if p.Digit == m.labels[i] {
			correct++
		}
	}
	acc := float64(correct) / n
	t.Logf("MNIST subset accuracy through the Go path: %d/%d = %.2f%%", correct, n, 100*acc)
	if acc < 0.985 {
		t.Errorf("accuracy %.2f%% < 98.5%%", 100*acc)
	}
}

func TestSoftmax(t *testing.T) {
	// Huge logits must not overflow; equal logits give equal shares.
	p := Softmax([10]float64{1000, 1000, -1000})
	if math.Abs(p[0]-0.5) > 1e-12 || math.Abs(p[1]-0.5) > 1e-12 || p[2] != 0 {
		t.Errorf("Softmax = %v", p)
	}
	p = Softmax([10]float64{})
	for _, q := range p {
		if math.Abs(q-0.1) > 1e-12 {
			t.Fatalf("Softmax of zeros = %v", p)
		}
	}
	p = Softmax([10]float64{0, math.Log(3)})
	if r := p[1] / p[0]; math.Abs(r-3) > 1e-9 {
		t.Errorf("ratio = %v, want 3", r)
	}
}
