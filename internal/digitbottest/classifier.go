// Package digitbottest holds test doubles of the root interfaces: a
// classifier that answers what a test scripted for each image, and an
// in-memory store with the same rules as the real one (only the poster
// evaluates, the first verdict wins). They make the bot's end-to-end tests
// fast and deterministic, and let them exercise readings (numbers, unsure
// digits) that a real model would only produce for carefully drawn pictures.
package digitbottest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/digitbot/digitbot"
)

// Classifier returns the Prediction scripted for an image's exact bytes.
// Images nobody scripted are refused with ENODIGIT, so a test that forgets
// a script fails loudly instead of reading something arbitrary.
type Classifier struct {
	mu      sync.Mutex
	scripts map[[sha256.Size]byte]result
	card    digitbot.ModelCard
	calls   int
}

type result struct {
	p   digitbot.Prediction
	err error
}

// NewClassifier returns a classifier with no scripts and a minimal card.
func NewClassifier() *Classifier {
	return &Classifier{
		scripts: map[[sha256.Size]byte]result{},
		card:    digitbot.ModelCard{Name: "scripted", Classes: 10, Opset: 13, TestTotal: 1},
	}
}

// Script makes Classify answer p for data.
func (c *Classifier) Script(data []byte, p digitbot.Prediction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scripts[sha256.Sum256(data)] = result{p: p}
}

// ScriptError makes Classify fail with err for data.
func (c *Classifier) ScriptError(data []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scripts[sha256.Sum256(data)] = result{err: err}
}

// Calls is how many times Classify ran.
func (c *Classifier) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Classify answers the script for data.
func (c *Classifier) Classify(ctx context.Context, data []byte) (digitbot.Prediction, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Prediction{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	r, ok := c.scripts[sha256.Sum256(data)]
	if !ok {
		return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENODIGIT, "No digit scripted for this image.")
	}
	if r.err != nil {
		return digitbot.Prediction{}, r.err
	}
	p := r.p
	p.Digits = append([]digitbot.DigitReading(nil), p.Digits...)
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	return p, nil
}

// Card returns the scripted classifier's card.
func (c *Classifier) Card() digitbot.ModelCard { return c.card }

// Digit builds a one-digit reading as the real classifier fills it: Digits
// holds one entry equal to the top-level fields.
func Digit(d int, confidence float64) digitbot.Prediction {
	r := reading(d, confidence)
	return digitbot.Prediction{
		Digit: d, Confidence: confidence, Probabilities: r.Probabilities, Input: r.Input,
		Number: fmt.Sprint(d), Digits: []digitbot.DigitReading{r}, ModelSHA256: "scripted",
	}
}

// Number builds a reading of number with one confidence per digit; the
// number's confidence is their product (the digits are read independently).
// It panics when the lengths differ or number is not 1..MaxNumberDigits
// digits: that is a mistake in the test, not an input to handle.
func Number(number string, confidences ...float64) digitbot.Prediction {
	if !digitbot.ValidNumber(number) || len(confidences) != len(number) {
		panic(fmt.Sprintf("digitbottest.Number(%q) with %d confidences", number, len(confidences)))
	}
	if len(number) == 1 {
		return Digit(int(number[0]-'0'), confidences[0])
	}
	p := digitbot.Prediction{Digit: -1, Number: number, Confidence: 1, ModelSHA256: "scripted"}
	for i := range len(number) {
		r := reading(int(number[i]-'0'), confidences[i])
		r.Box = [4]int{i * 40, 0, 30, 50}
		p.Digits = append(p.Digits, r)
		p.Confidence *= confidences[i]
	}
	return p
}

// reading is one digit with the rest of the probability spread evenly over
// the other nine, and its input drawn in a small block font.
func reading(d int, confidence float64) digitbot.DigitReading {
	r := digitbot.DigitReading{Digit: d, Confidence: confidence, Input: Glyph(d)}
	for k := range r.Probabilities {
		r.Probabilities[k] = (1 - confidence) / 9
	}
	r.Probabilities[d] = confidence
	return r
}

// font is a 3x5 block font of the ten digits, one row a string.
var font = [10][5]string{
	{"###", "#.#", "#.#", "#.#", "###"},
	{".#.", "##.", ".#.", ".#.", "###"},
	{"###", "..#", "###", "#..", "###"},
	{"###", "..#", "###", "..#", "###"},
	{"#.#", "#.#", "###", "..#", "..#"},
	{"###", "#..", "###", "..#", "###"},
	{"###", "#..", "###", "#.#", "###"},
	{"###", "..#", ".#.", ".#.", ".#."},
	{"###", "#.#", "###", "#.#", "###"},
	{"###", "#.#", "###", "..#", "###"},
}

// Glyph draws digit d as a 28x28 model input (white on black, like
// MNIST): 4x4-pixel blocks of the block font, centred.
func Glyph(d int) [digitbot.InputSide * digitbot.InputSide]uint8 {
	var in [digitbot.InputSide * digitbot.InputSide]uint8
	const block, left, top = 4, 8, 4
	for y, row := range font[d] {
		for x, c := range row {
			if c != '#' {
				continue
			}
			for dy := range block {
				for dx := range block {
					in[(top+y*block+dy)*digitbot.InputSide+left+x*block+dx] = 255
				}
			}
		}
	}
	return in
}
