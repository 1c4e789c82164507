package classifier

import (
	"context"
	"math"
	"slices"

	"github.com/digitbot/digitbot"
)

// shiftMoves are the moves of the shift average (ModelCard.ShiftAverageBelow),
// as dx right and dy down: the input itself, then one pixel right, left,
// down and up; models/train/train.py's SHIFTS.
var shiftMoves = [...]struct{ dx, dy int }{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}}

// shiftedInput writes px moved dx pixels right and dy down into out; what
// moves in from the edge is background (no ink).
func shiftedInput(out, px *input, dx, dy int) {
	const side = digitbot.InputSide
	*out = input{}
	for y := max(dy, 0); y < side+min(dy, 0); y++ {
		copy(out[y*side+max(dx, 0):y*side+side+min(dx, 0)], px[(y-dy)*side+max(-dx, 0):(y-dy)*side+side+min(-dx, 0)])
	}
}

// inDoubt reports whether one pass's logits leave the model unsure enough
// that the card asks for the shift average: the top class's softmax
// probability, before the temperature, is below ShiftAverageBelow.
func (c *Classifier) inDoubt(logits []float64) bool {
	below := c.card.ShiftAverageBelow
	if below <= 0 || len(logits) == 0 {
		return false
	}
	top := logits[0]
	for _, v := range logits[1:] {
		top = max(top, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(v - top)
	}
	return 1/sum < below
}

// shiftAverage replaces the one-pass logits of the inputs in doubt by the
// mean of the model's logits for the input and its four one-pixel moves,
// and returns their indices. Preprocessing centres a digit by its centre
// of mass, which leaves a pixel of doubt: averaging over it read 8 more of
// 5,000 held-out training digits right and 17 more of the 10,000 MNIST
// test digits with the first 11-class model (4 more with the wider one),
// and with the gate it costs four more inferences for about one digit in
// sixteen.
func (c *Classifier) shiftAverage(ctx context.Context, inputs []*input, onePass [][]float64) (doubt []int, err error) {
	for i, logits := range onePass {
		if c.inDoubt(logits) {
			doubt = append(doubt, i)
		}
	}
	if len(doubt) == 0 {
		return nil, nil
	}
	n := len(shiftMoves) - 1
	moved := make([]input, len(doubt)*n)
	all := make([]*input, len(moved))
	for k, i := range doubt {
		for j, m := range shiftMoves[1:] {
			all[k*n+j] = &moved[k*n+j]
			shiftedInput(all[k*n+j], inputs[i], m.dx, m.dy)
		}
	}
	out, err := c.run(ctx, all...)
	if err != nil {
		return nil, err
	}
	for k, i := range doubt {
		mean := slices.Clone(onePass[i])
		for _, logits := range out[k*n : (k+1)*n] {
			for j, v := range logits {
				mean[j] += v
			}
		}
		for j := range mean {
			mean[j] /= float64(len(shiftMoves))
		}
		onePass[i] = mean
	}
	return doubt, nil
}

// readLogits returns the logits the classifier reads each input by: one
// pass, and the shift average for those the card's gate finds in doubt.
func (c *Classifier) readLogits(ctx context.Context, inputs ...*input) ([][]float64, error) {
	out, err := c.run(ctx, inputs...)
	if err != nil {
		return nil, err
	}
	if _, err := c.shiftAverage(ctx, inputs, out); err != nil {
		return nil, err
	}
	return out, nil
}
