// Package classifier turns the bytes of an uploaded picture into a digit or
// a number: bounded decoding (Decode), MNIST-style preprocessing
// (Preprocess for one digit; segmentation into digits, number.go and
// read.go) and inference through onnx-go on a pool of models, with the
// model card's classes (10, or 11 with "not a digit") and temperature.
// onnx-go loads and checks the model; by default its graph is compiled
// into allocation-free kernels (internal/onnxplan), and onnx-go's gorgonia
// backend remains selectable (Options.Engine) and is the fallback for a
// model those kernels do not support.
//
// onnx-go models are not safe for concurrent use (two goroutines running
// one gorgonia model crash the process, beyond recover; a compiled plan
// owns its buffers), so the Classifier owns one model per worker and hands
// each to one goroutine at a time. Decoding and preprocessing run outside the pool, in the caller's
// goroutine.
package classifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier/internal/onnxplan"
)

// Options configure a Classifier.
type Options struct {
	ONNX []byte             // the model file
	Card digitbot.ModelCard // its model card (sha256, normalisation, self-test)
	// Workers is the number of model instances, 0 = runtime.GOMAXPROCS(0).
	Workers int
	// MaxBytes caps the encoded file, 0 = DefaultMaxBytes (10 MiB).
	MaxBytes int64
	// MaxPixels caps width×height, checked before decoding, 0 = DefaultMaxPixels.
	MaxPixels int
	// MemoryBudget bounds the memory of decodes in flight; share one
	// between the Classifiers of a process. nil = a new budget of
	// DefaultMemoryBudget for this Classifier.
	MemoryBudget *MemoryBudget
	// Engine executes the model: "" = EngineCompiled, or EngineGorgonnx
	// when the compiled engine cannot load the model (see
	// Classifier.EngineFallback); an explicit engine never falls back.
	Engine Engine
}

// SelfTestTolerance is the largest difference allowed between a logit
// computed at start-up and the one recorded in the model card at export.
const SelfTestTolerance = 1e-3

// Classifier classifies images with a pool of onnx-go models. It is safe
// for concurrent use.
type Classifier struct {
	card      digitbot.ModelCard
	onnx      []byte
	maxBytes  int64
	maxPixels int
	mean, std float32
	// classes is 10, or 11 when the last logit means "not a digit";
	// temperature divides the logits before the softmax (1: none).
	classes     int
	temperature float64
	budget      *MemoryBudget
	// fullDecode turns reduced-scale JPEG decoding off (tests compare).
	fullDecode bool
	engine     Engine
	fallback   string // why the default engine fell back to gorgonnx

	workers chan *worker // idle workers
	size    int
	// decoding bounds how many images are decoded and preprocessed at
	// once: a decoded 40-megapixel photo takes up to 160 MB, and a burst of
	// uploads must not multiply that without limit.
	decoding chan struct{}
	closed   chan struct{}
	close    sync.Once
	// scratch lends each decode and preprocessing the buffers of an
	// earlier one (scratch.go).
	scratch sync.Pool
}

var _ digitbot.Classifier = (*Classifier)(nil)

// worker is one model instance and its reusable input.
type worker struct {
	id      int
	model   *onnx.Model
	backend *gorgonnx.Graph // EngineGorgonnx
	plan    *onnxplan.Graph // EngineCompiled
	input   *tensor.Dense   // EngineGorgonnx: the input tensor, backed by data
	data    []float32       // the input, written in place
	logits  []float64       // the last output, reused
}

// New checks the model against its card and its operators (CheckOps), builds one model per worker and
// runs the card's self-test twice on each. It refuses to return a
// Classifier that would answer wrongly.
func New(opts Options) (*Classifier, error) {
	card := opts.Card
	if len(opts.ONNX) == 0 {
		return nil, errors.New("classifier: no model: the ONNX file is empty")
	}
	sum := sha256.Sum256(opts.ONNX)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, card.ONNXSHA256) {
		return nil, fmt.Errorf("classifier: the model file does not match its card: sha256 is %s, the card says %q", got, card.ONNXSHA256)
	}
	if err := checkCard(card); err != nil {
		return nil, err
	}
	if err := CheckOps(opts.ONNX); err != nil {
		return nil, err
	}
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	c := &Classifier{
		card:        card,
		onnx:        opts.ONNX,
		maxBytes:    opts.MaxBytes,
		maxPixels:   opts.MaxPixels,
		mean:        float32(card.Input.Mean),
		std:         float32(card.Input.Std),
		classes:     classes(card),
		temperature: card.Temperature,
		workers:     make(chan *worker, n),
		size:        n,
		decoding:    make(chan struct{}, 2*n),
		closed:      make(chan struct{}),
		budget:      opts.MemoryBudget,
		engine:      opts.Engine,
	}
	if c.engine == "" {
		c.engine = EngineCompiled
	}
	if c.budget == nil {
		c.budget = NewMemoryBudget(0)
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxBytes
	}
	if c.maxPixels <= 0 {
		c.maxPixels = DefaultMaxPixels
	}
	if c.temperature == 0 {
		c.temperature = 1
	}
	for i := range n {
		w, err := c.newWorker(i)
		var load *loadError
		if i == 0 && opts.Engine == "" && errors.As(err, &load) {
			c.engine, c.fallback = EngineGorgonnx, load.Error()
			w, err = c.newWorker(i)
		}
		if err != nil {
			return nil, err
		}
		c.workers <- w
	}
	return c, nil
}

func checkCard(card digitbot.ModelCard) error {
	switch {
	case card.Input.Std <= 0 || math.IsNaN(card.Input.Std) || math.IsNaN(card.Input.Mean):
		return fmt.Errorf("classifier: the model card's input normalisation is invalid (mean %v, std %v)", card.Input.Mean, card.Input.Std)
	case len(card.Input.Shape) > 0 && !slices.Equal(card.Input.Shape, []int{1, 1, digitbot.InputSide, digitbot.InputSide}):
		return fmt.Errorf("classifier: the model card's input shape is %v, want [1 1 28 28]", card.Input.Shape)
	case len(card.SelfTest.Pixels) != digitbot.InputSide*digitbot.InputSide:
		return fmt.Errorf("classifier: the model card's self-test input has %d pixels, want 784", len(card.SelfTest.Pixels))
	case card.Classes != 0 && card.Classes != 10 && card.Classes != 11:
		return fmt.Errorf("classifier: the model card says %d classes, want 10 (digits) or 11 (digits and \"not a digit\")", card.Classes)
	case len(card.SelfTest.Logits) != classes(card):
		return fmt.Errorf("classifier: the model card's self-test has %d logits, want %d", len(card.SelfTest.Logits), classes(card))
	case !(card.ShiftAverageBelow >= 0 && card.ShiftAverageBelow <= 1):
		return fmt.Errorf("classifier: the model card's shift_average_below is %v, want a probability from 0 (never) to 1", card.ShiftAverageBelow)
	case card.Temperature < 0 || math.IsNaN(card.Temperature) || math.IsInf(card.Temperature, 0):
		return fmt.Errorf("classifier: the model card's temperature is %v, want a positive number (or 0 for none)", card.Temperature)
	}
	return nil
}

// classes is the number of logits the card's model outputs.
func classes(card digitbot.ModelCard) int {
	if card.Classes == 0 {
		return 10
	}
	return card.Classes
}

// loadError is a model the engine could not load or compile.
type loadError struct{ err error }

func (e *loadError) Error() string { return e.err.Error() }
func (e *loadError) Unwrap() error { return e.err }

// newWorker loads the model with c's engine and self-tests it.
func (c *Classifier) newWorker(id int) (w *worker, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &loadError{fmt.Errorf("classifier: loading the model (worker %d) panicked: %v", id, r)}
		}
	}()
	w = &worker{id: id}
	if err := c.loadModel(w); err != nil {
		return nil, &loadError{err}
	}
	var px [digitbot.InputSide * digitbot.InputSide]uint8
	copy(px[:], c.card.SelfTest.Pixels)
	// Twice: onnx-go's known failure (Gemm accumulating into its bias) only
	// shows from the second run on.
	for run := 1; run <= 2; run++ {
		logits, err := c.infer(w, &px)
		if err != nil {
			return nil, fmt.Errorf("classifier: self-test run %d on worker %d failed: %w", run, id, err)
		}
		for d, want := range c.card.SelfTest.Logits {
			if diff := math.Abs(logits[d] - want); !(diff <= SelfTestTolerance) {
				return nil, fmt.Errorf("classifier: self-test failed on worker %d, run %d: logit %d is %.6f, the model card says %.6f (difference %.3g > %g): the model or onnx-go computes something else than the exported model did; refusing to start",
					id, run, d, logits[d], want, diff, SelfTestTolerance)
			}
		}
	}
	return w, nil
}

// infer runs one normalised input through w's model and returns a copy of
// the logits (the output tensor belongs to the graph and is reused).
func (c *Classifier) infer(w *worker, px *[digitbot.InputSide * digitbot.InputSide]uint8) (logits []float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("onnx-go panicked: %v", r)
		}
	}()
	for i, v := range px {
		w.data[i] = (float32(v)/255 - c.mean) / c.std
	}
	vals, err := c.runEngine(w)
	if err != nil {
		return logits, err
	}
	if len(vals) != c.classes {
		return logits, fmt.Errorf("the model outputs %d values, want %d logits", len(vals), c.classes)
	}
	logits = make([]float64, len(vals))
	for i, v := range vals {
		logits[i] = float64(v)
	}
	return logits, nil
}

// Logits runs the model on one 28x28 input as the classifier's
// preprocessing leaves it (white on black, MNIST-centred), normalised by
// the card, and returns the raw logits (10, or 11 with "not a digit"),
// before the temperature: the mean over the shift average when the card
// asks for it, as Classify reads a digit. It is for measuring a model on
// stored inputs (MNIST, confirmed samples); uploads go through Classify.
func (c *Classifier) Logits(ctx context.Context, px *[digitbot.InputSide * digitbot.InputSide]uint8) ([]float64, error) {
	out, err := c.readLogits(ctx, px)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Card returns the model card.
func (c *Classifier) Card() digitbot.ModelCard { return c.card }

// run borrows a worker for the inference of each input, in order, and
// returns their logits.
func (c *Classifier) run(ctx context.Context, inputs ...*[digitbot.InputSide * digitbot.InputSide]uint8) ([][]float64, error) {
	var w *worker
	select {
	case <-c.closed:
		return nil, digitbot.Errorf(digitbot.EUNAVAILABLE, "The classifier is shutting down.")
	case <-ctx.Done():
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "The classifier is busy; please try again.", ctx.Err())
	case w = <-c.workers:
	}
	out := make([][]float64, len(inputs))
	for i, px := range inputs {
		logits, err := c.infer(w, px)
		if err != nil {
			// A model that failed mid-run may be left in any state: replace it.
			if fresh, rerr := c.newWorker(w.id); rerr == nil {
				w = fresh
			}
			c.workers <- w
			return nil, digitbot.WrapError(digitbot.EINTERNAL, "The model failed on this image.", err)
		}
		for _, v := range logits {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				c.workers <- w
				return nil, digitbot.Errorf(digitbot.EINTERNAL, "The model produced an invalid result.")
			}
		}
		out[i] = logits
	}
	c.workers <- w
	return out, nil
}

// Close waits for running inferences to finish and releases the models.
// Classify calls after Close fail with EUNAVAILABLE.
func (c *Classifier) Close() error {
	c.close.Do(func() {
		close(c.closed)
		for range c.size {
			<-c.workers
		}
	})
	return nil
}

// Softmax converts logits to probabilities in float64, subtracting the
// largest logit first so exp cannot overflow.
func Softmax(logits [10]float64) [10]float64 {
	m := logits[0]
	for _, v := range logits[1:] {
		m = max(m, v)
	}
	var p [10]float64
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(v - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
