//go:build !race

package classifier

import "testing"

// TestEngine_MNISTMatchesGorgonnx runs the 10,000 MNIST test digits
// through the compiled engine and through onnx-go's gorgonia backend: the
// argmax must be equal on every digit, and every logit and probability
// within 1e-4. (Without the race detector, like the other full MNIST runs;
// TestEngine_MatchesGorgonnxSubset is its race-sized version.)
func TestEngine_MNISTMatchesGorgonnx(t *testing.T) {
	t.Parallel() // make accuracy: the long runs overlap where one of them leaves a core idle
	compareEngines(t, 0, 10000)
}
