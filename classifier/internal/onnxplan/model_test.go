package onnxplan_test

import (
	"math"
	"testing"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/digitbot/digitbot/classifier/internal/onnxplan"
	"github.com/digitbot/digitbot/models"
)

// loadPlan loads the embedded model through onnx-go into a compiled plan.
func loadPlan(tb testing.TB) (*onnx.Model, *onnxplan.Graph) {
	tb.Helper()
	g := onnxplan.NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(models.ONNX()); err != nil {
		tb.Fatal(err)
	}
	if err := g.Compile(m); err != nil {
		tb.Fatal(err)
	}
	return m, g
}

// TestModel_SelfTest runs the model card's self-test digit through the
// plan, set both through onnx-go's SetInput and by writing InputData, and
// compares with the logits recorded by PyTorch at export.
func TestModel_SelfTest(t *testing.T) {
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	m, g := loadPlan(t)
	t.Logf("plan:\n%s", g.Describe())
	in := make([]float32, 784)
	for i, p := range card.SelfTest.Pixels {
		in[i] = (float32(p)/255 - float32(card.Input.Mean)) / float32(card.Input.Std)
	}
	check := func(how string) {
		t.Helper()
		out, err := m.GetOutputTensors()
		if err != nil {
			t.Fatal(err)
		}
		got := out[0].Data().([]float32)
		if len(got) != len(card.SelfTest.Logits) {
			t.Fatalf("%s: %d logits, want %d", how, len(got), len(card.SelfTest.Logits))
		}
		for i, want := range card.SelfTest.Logits {
			if d := math.Abs(float64(got[i]) - want); !(d <= 1e-4) {
				t.Errorf("%s: logit %d = %v, PyTorch said %v (difference %.3g)", how, i, got[i], want, d)
			}
		}
	}
	// Through onnx-go, with a tensor of the caller's.
	if err := m.SetInput(0, tensor.New(tensor.WithShape(1, 1, 28, 28), tensor.WithBacking(append([]float32(nil), in...)))); err != nil {
		t.Fatal(err)
	}
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	check("SetInput")
	// Through the plan's own input buffer, after a run on other data.
	clear(g.InputData())
	g.Run()
	copy(g.InputData(), in)
	if err := g.Run(); err != nil {
		t.Fatal(err)
	}
	check("InputData")
	// An input of another shape is refused.
	if err := m.SetInput(0, tensor.New(tensor.WithShape(1, 1, 28, 27), tensor.WithBacking(make([]float32, 28*27)))); err == nil {
		t.Error("an input of shape (1, 1, 28, 27) was accepted")
	}
}

// TestModel_NoAllocations: a run allocates nothing.
func TestModel_NoAllocations(t *testing.T) {
	_, g := loadPlan(t)
	for i := range g.InputData() {
		g.InputData()[i] = float32(i%7) - 1
	}
	if n := testing.AllocsPerRun(50, func() { g.Run() }); n != 0 {
		t.Errorf("Run allocates %v times, want 0", n)
	}
}

// TestModel_MatchesGorgonnx compares the plan with onnx-go's gorgonia
// backend on varied inputs (the classifier's tests compare them on the
// 10,000 MNIST test digits).
func TestModel_MatchesGorgonnx(t *testing.T) {
	_, g := loadPlan(t)
	ref := gorgonnx.NewGraph()
	rm := onnx.NewModel(ref)
	if err := rm.UnmarshalBinary(models.ONNX()); err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 784)
	input := tensor.New(tensor.WithShape(1, 1, 28, 28), tensor.WithBacking(data))
	for seed := range 20 {
		for i := range data {
			// Smooth blobs and noise within the normalised input range.
			v := float32(math.Sin(float64(i*(seed+1))*0.37)+math.Cos(float64(i/28+seed)*0.5)) * 1.4
			data[i] = v
		}
		copy(g.InputData(), data)
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		if err := rm.SetInput(0, input); err != nil {
			t.Fatal(err)
		}
		if err := ref.Run(); err != nil {
			t.Fatal(err)
		}
		out, _ := rm.GetOutputTensors()
		want := out[0].Data().([]float32)
		got := g.OutputData()
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4) {
				t.Errorf("input %d: logit %d = %v, gorgonnx %v", seed, i, got[i], want[i])
			}
		}
	}
}
