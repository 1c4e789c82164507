package classifier

import (
	"fmt"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier/internal/onnxplan"
)

// Engine names the onnx-go backend that executes the model.
type Engine string

const (
	// EngineCompiled compiles the graph into allocation-free kernels
	// (Conv, MaxPool, Add, Mul, BatchNormalization, Relu, MatMul, Gemm,
	// Flatten, Reshape): faster than gorgonia (several times with
	// GOEXPERIMENT=simd), no allocation per image.
	EngineCompiled Engine = "compiled"
	// EngineGorgonnx is onnx-go's gorgonia backend, the reference the
	// compiled engine is verified against.
	EngineGorgonnx Engine = "gorgonnx"
)

// Engine returns the engine c's workers use.
func (c *Classifier) Engine() Engine { return c.engine }

// EngineFallback is why the default engine could not compile the model
// and gorgonnx runs it instead ("" when it did not fall back).
func (c *Classifier) EngineFallback() string { return c.fallback }

// loadModel decodes the model with the classifier's engine into w.
func (c *Classifier) loadModel(w *worker) error {
	switch c.engine {
	case EngineGorgonnx:
		backend := gorgonnx.NewGraph()
		model := onnx.NewModel(backend)
		if err := model.UnmarshalBinary(c.onnx); err != nil {
			return fmt.Errorf("classifier: the model file cannot be loaded by onnx-go: %w", err)
		}
		if len(model.Input) != 1 {
			return fmt.Errorf("classifier: the model has %d inputs, want 1", len(model.Input))
		}
		w.model, w.backend = model, backend
		w.data = make([]float32, digitbot.InputSide*digitbot.InputSide)
		w.input = tensor.New(tensor.WithShape(1, 1, digitbot.InputSide, digitbot.InputSide), tensor.WithBacking(w.data))
		return nil
	case EngineCompiled:
		plan := onnxplan.NewGraph()
		model := onnx.NewModel(plan)
		if err := model.UnmarshalBinary(c.onnx); err != nil {
			return fmt.Errorf("classifier: the model file cannot be loaded by onnx-go with the compiled engine: %w", err)
		}
		if err := plan.Compile(model, 1, 1, digitbot.InputSide, digitbot.InputSide); err != nil {
			return fmt.Errorf("classifier: the compiled engine cannot run this model: %w", err)
		}
		w.model, w.plan = model, plan
		w.data = plan.InputData()
		return nil
	}
	return fmt.Errorf("classifier: unknown engine %q (want %q or %q)", c.engine, EngineCompiled, EngineGorgonnx)
}

// runEngine runs w's model on w.data and returns its output, which
// belongs to the model and is overwritten by the next run.
func (c *Classifier) runEngine(w *worker) ([]float32, error) {
	if w.plan != nil {
		if err := w.plan.Run(); err != nil {
			return nil, fmt.Errorf("running the model: %w", err)
		}
		return w.plan.OutputData(), nil
	}
	if err := w.model.SetInput(0, w.input); err != nil {
		return nil, fmt.Errorf("setting the input: %w", err)
	}
	if err := w.backend.Run(); err != nil {
		return nil, fmt.Errorf("running the model: %w", err)
	}
	out, err := w.model.GetOutputTensors()
	if err != nil {
		return nil, fmt.Errorf("reading the output: %w", err)
	}
	if len(out) == 0 || out[0] == nil {
		return nil, fmt.Errorf("the model produced no output")
	}
	vals, ok := out[0].Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("the model's output is %v %T, want float32 logits", out[0].Shape(), out[0].Data())
	}
	return vals, nil
}
