package onnxplan

import (
	"fmt"
	"slices"
	"strings"

	onnx "github.com/owulveryck/onnx-go"
)

// operation is an ONNX operator with its attributes checked and typed.
type operation struct {
	name string
	// Conv and MaxPool.
	autoPad                    string
	kernel, strides, dilations []int
	pads                       []int // [top, left, bottom, right]
	ceilMode                   bool
	// Flatten.
	axis int
	// Gemm.
	alpha, beta    float32
	transA, transB bool
	// Reshape.
	allowZero bool
	// BatchNormalization.
	epsilon float32
}

// supported lists, per operator, the attributes the kernels implement.
func supported() map[string][]string {
	return map[string][]string{
		"Add":                nil,
		"BatchNormalization": {"epsilon", "momentum", "spatial", "training_mode"},
		"Mul":                nil,
		"Conv":               {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
		"Flatten":            {"axis"},
		"Gemm":               {"alpha", "beta", "transA", "transB"},
		"MatMul":             nil,
		"MaxPool":            {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"},
		"Relu":               nil,
		"Reshape":            {"allowzero"},
	}
}

// parseOperation checks an operator and its attributes.
func parseOperation(o onnx.Operation) (*operation, error) {
	all := supported()
	allowed, ok := all[o.Name]
	if !ok {
		names := make([]string, 0, len(all))
		for k := range all {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("onnxplan: operator %s is not supported (supported: %s)", o.Name, strings.Join(names, ", "))
	}
	for k := range o.Attributes {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("onnxplan: attribute %q of %s is not supported", k, o.Name)
		}
	}
	op := &operation{name: o.Name, axis: 1, alpha: 1, beta: 1}
	a := attrs{op: o.Name, m: o.Attributes}
	var err error
	switch o.Name {
	case "Conv", "MaxPool":
		if op.autoPad, err = a.str("auto_pad", "NOTSET"); err != nil {
			return nil, err
		}
		switch op.autoPad {
		case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
		default:
			return nil, fmt.Errorf("onnxplan: %s auto_pad %q is not supported", o.Name, op.autoPad)
		}
		if op.kernel, err = a.ints("kernel_shape", nil); err != nil {
			return nil, err
		}
		if op.strides, err = a.ints("strides", []int{1, 1}); err != nil {
			return nil, err
		}
		if op.dilations, err = a.ints("dilations", []int{1, 1}); err != nil {
			return nil, err
		}
		if op.pads, err = a.ints("pads", []int{0, 0, 0, 0}); err != nil {
			return nil, err
		}
		if o.Name == "MaxPool" && op.kernel == nil {
			return nil, fmt.Errorf("onnxplan: MaxPool without kernel_shape")
		}
		if op.kernel != nil && len(op.kernel) != 2 {
			return nil, fmt.Errorf("onnxplan: %s kernel_shape %v: only 2-D is supported", o.Name, op.kernel)
		}
		if len(op.strides) != 2 || len(op.dilations) != 2 || len(op.pads) != 4 {
			return nil, fmt.Errorf("onnxplan: %s strides %v, dilations %v, pads %v: only 2-D is supported", o.Name, op.strides, op.dilations, op.pads)
		}
		for _, v := range append(append(slices.Clone(op.strides), op.dilations...), op.kernel...) {
			if v < 1 {
				return nil, fmt.Errorf("onnxplan: %s has a kernel size, stride or dilation below 1", o.Name)
			}
		}
		for _, v := range op.pads {
			if v < 0 {
				return nil, fmt.Errorf("onnxplan: %s has negative pads %v", o.Name, op.pads)
			}
		}
		if o.Name == "Conv" {
			group, err := a.int("group", 1)
			if err != nil {
				return nil, err
			}
			if group != 1 {
				return nil, fmt.Errorf("onnxplan: Conv group %d is not supported (only 1)", group)
			}
		} else {
			ceil, err := a.int("ceil_mode", 0)
			if err != nil {
				return nil, err
			}
			op.ceilMode = ceil != 0
			// storage_order only matters for the Indices output, which
			// is refused (single output only).
		}
	case "Flatten":
		if op.axis, err = a.int("axis", 1); err != nil {
			return nil, err
		}
	case "Gemm":
		if op.alpha, err = a.float("alpha", 1); err != nil {
			return nil, err
		}
		if op.beta, err = a.float("beta", 1); err != nil {
			return nil, err
		}
		ta, err := a.int("transA", 0)
		if err != nil {
			return nil, err
		}
		tb, err := a.int("transB", 0)
		if err != nil {
			return nil, err
		}
		op.transA, op.transB = ta != 0, tb != 0
	case "BatchNormalization":
		if op.epsilon, err = a.float("epsilon", 1e-5); err != nil {
			return nil, err
		}
		training, err := a.int("training_mode", 0)
		if err != nil {
			return nil, err
		}
		spatial, err := a.int("spatial", 1)
		if err != nil {
			return nil, err
		}
		if training != 0 || spatial != 1 {
			return nil, fmt.Errorf("onnxplan: BatchNormalization in training mode or with spatial=0 is not supported")
		}
	case "Reshape":
		az, err := a.int("allowzero", 0)
		if err != nil {
			return nil, err
		}
		op.allowZero = az != 0
	}
	return op, nil
}

// attrs reads typed attributes as onnx-go decodes them (INT as int64,
// INTS as []int64, FLOAT as float32, STRING as string).
type attrs struct {
	op string
	m  map[string]interface{}
}

func (a attrs) int(name string, def int) (int, error) {
	v, ok := a.m[name]
	if !ok {
		return def, nil
	}
	i, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("onnxplan: %s attribute %s is %T, want an int", a.op, name, v)
	}
	return int(i), nil
}

func (a attrs) ints(name string, def []int) ([]int, error) {
	v, ok := a.m[name]
	if !ok {
		return def, nil
	}
	is, ok := v.([]int64)
	if !ok {
		return nil, fmt.Errorf("onnxplan: %s attribute %s is %T, want ints", a.op, name, v)
	}
	out := make([]int, len(is))
	for i, x := range is {
		out[i] = int(x)
	}
	return out, nil
}

func (a attrs) float(name string, def float32) (float32, error) {
	v, ok := a.m[name]
	if !ok {
		return def, nil
	}
	f, ok := v.(float32)
	if !ok {
		return 0, fmt.Errorf("onnxplan: %s attribute %s is %T, want a float", a.op, name, v)
	}
	return f, nil
}

func (a attrs) str(name, def string) (string, error) {
	v, ok := a.m[name]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("onnxplan: %s attribute %s is %T, want a string", a.op, name, v)
	}
	return s, nil
}
