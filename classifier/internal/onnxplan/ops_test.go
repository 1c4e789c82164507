package onnxplan

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	onnx "github.com/owulveryck/onnx-go"
	"gorgonia.org/tensor"
)

// builder drives a Graph through onnx-go's backend interface the way
// onnx-go's decoder does: a node per value, an edge from each operation's
// output to each of its inputs weighted by position, then ApplyOperation.
type builder struct {
	g     *Graph
	input *node
	rng   *rand.Rand
}

func newBuilder(seed uint64) *builder {
	b := &builder{g: NewGraph(), rng: rand.New(rand.NewPCG(seed, 1))}
	b.input = b.value("x", nil)
	return b
}

func (b *builder) value(name string, t tensor.Tensor) *node {
	n := b.g.NewNode().(*node)
	n.SetName(name)
	b.g.AddNode(n)
	if t != nil {
		if err := n.SetTensor(t); err != nil {
			panic(err)
		}
	}
	return n
}

// constant is a random float tensor.
func (b *builder) constant(shape ...int) *node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(b.random(prod(shape))))
	return b.value("c", t)
}

func (b *builder) random(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(b.rng.NormFloat64())
	}
	return out
}

func (b *builder) op(t *testing.T, name string, attrs map[string]interface{}, ins ...*node) *node {
	t.Helper()
	out := b.value(name, nil)
	for i, in := range ins {
		b.g.SetWeightedEdge(b.g.NewWeightedEdge(out, in, float64(i)))
	}
	if err := b.g.ApplyOperation(onnx.Operation{Name: name, Attributes: attrs}, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// run compiles for input x of the given shape and returns the output.
func (b *builder) run(t *testing.T, out *node, x []float32, shape ...int) []float32 {
	t.Helper()
	m := &onnx.Model{Input: []int64{b.input.id}, Output: []int64{out.id}}
	if err := b.g.Compile(m, shape...); err != nil {
		t.Fatal(err)
	}
	copy(b.g.InputData(), x)
	if err := b.g.Run(); err != nil {
		t.Fatal(err)
	}
	return b.g.OutputData()
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func ints(v ...int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func near(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4*max(1, math.Abs(float64(want[i])))) {
			t.Fatalf("%s: value %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// refConv is a direct NCHW convolution (one group).
func refConv(x []float32, n, c, h, w int, wt []float32, m, kh, kw int, bias []float32, sy, sx, dy, dx, pt, pl, ho, wo int) []float32 {
	out := make([]float32, n*m*ho*wo)
	for b := range n {
		for o := range m {
			for oy := range ho {
				for ox := range wo {
					var s float32
					if bias != nil {
						s = bias[o]
					}
					for ci := range c {
						for ky := range kh {
							for kx := range kw {
								iy, ix := oy*sy-pt+ky*dy, ox*sx-pl+kx*dx
								if iy >= 0 && iy < h && ix >= 0 && ix < w {
									s += x[((b*c+ci)*h+iy)*w+ix] * wt[((o*c+ci)*kh+ky)*kw+kx]
								}
							}
						}
					}
					out[((b*m+o)*ho+oy)*wo+ox] = s
				}
			}
		}
	}
	return out
}

// TestConv covers strides, dilations, explicit and automatic padding,
// bias or none, batch, and shapes that leave kernel tails (odd rows,
// channels not a multiple of 4 or 16), followed by Flatten so the output
// is row-major NCHW.
func TestConv(t *testing.T) {
	cases := []struct {
		name                  string
		n, c, h, w, m, kh, kw int
		sy, sx, dy, dx        int
		pads                  []int
		autoPad               string
		bias                  bool
		wantH, wantW          int
		padT, padL            int
	}{
		{"valid 3x3", 1, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, nil, "", false, 26, 26, 0, 0},
		{"odd channels, bias", 1, 3, 9, 7, 5, 3, 2, 1, 1, 1, 1, nil, "", true, 7, 6, 0, 0},
		{"stride 2, pads", 2, 4, 10, 11, 19, 3, 3, 2, 2, 1, 1, []int{1, 0, 2, 1}, "", true, 6, 5, 1, 0},
		{"dilation 2", 1, 2, 12, 12, 17, 3, 3, 1, 1, 2, 2, nil, "", true, 8, 8, 0, 0},
		{"same upper, stride 2", 1, 3, 7, 8, 33, 3, 3, 2, 2, 1, 1, nil, "SAME_UPPER", false, 4, 4, 1, 0},
		{"same lower", 1, 2, 6, 6, 4, 2, 2, 1, 1, 1, 1, nil, "SAME_LOWER", true, 6, 6, 1, 1},
		{"1x1", 1, 48, 5, 5, 128, 1, 1, 1, 1, 1, 1, nil, "VALID", true, 5, 5, 0, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(uint64(i))
			w := b.constant(tc.m, tc.c, tc.kh, tc.kw)
			attrs := map[string]interface{}{"kernel_shape": ints(tc.kh, tc.kw), "strides": ints(tc.sy, tc.sx), "dilations": ints(tc.dy, tc.dx)}
			if tc.pads != nil {
				attrs["pads"] = ints(tc.pads...)
			}
			if tc.autoPad != "" {
				attrs["auto_pad"] = tc.autoPad
			}
			ins := []*node{b.input, w}
			var bias []float32
			if tc.bias {
				bn := b.constant(tc.m)
				bias = bn.data
				ins = append(ins, bn)
				bias = bn.t.Data().([]float32)
			}
			conv := b.op(t, "Conv", attrs, ins...)
			flat := b.op(t, "Flatten", map[string]interface{}{"axis": int64(0)}, conv)
			x := b.random(tc.n * tc.c * tc.h * tc.w)
			got := b.run(t, flat, x, tc.n, tc.c, tc.h, tc.w)
			want := refConv(x, tc.n, tc.c, tc.h, tc.w, w.t.Data().([]float32), tc.m, tc.kh, tc.kw, bias, tc.sy, tc.sx, tc.dy, tc.dx, tc.padT, tc.padL, tc.wantH, tc.wantW)
			near(t, tc.name, got, want)
		})
	}
}

// TestMaxPoolAddRelu: pooling with strides, padding, dilation and ceil
// mode, then a per-channel bias and ReLU, as the model's blocks do.
func TestMaxPoolAddRelu(t *testing.T) {
	cases := []struct {
		name          string
		h, w, k, s, d int
		pads          []int
		ceil          bool
		ho, wo        int
	}{
		{"2x2 stride 2, floor", 11, 11, 2, 2, 1, nil, false, 5, 5},
		{"2x2 stride 2, ceil", 11, 11, 2, 2, 1, nil, true, 6, 6},
		{"3x3 stride 2, pads", 8, 9, 3, 2, 1, []int{1, 1, 1, 1}, false, 4, 5},
		{"3x3 stride 2, pads, ceil", 8, 8, 3, 2, 1, []int{1, 1, 1, 1}, true, 5, 5},
		{"dilated", 9, 9, 2, 1, 2, nil, false, 7, 7},
	}
	const c = 5
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(uint64(i))
			attrs := map[string]interface{}{"kernel_shape": ints(tc.k, tc.k), "strides": ints(tc.s, tc.s), "dilations": ints(tc.d, tc.d)}
			pads := []int{0, 0, 0, 0}
			if tc.pads != nil {
				attrs["pads"] = ints(tc.pads...)
				pads = tc.pads
			}
			if tc.ceil {
				attrs["ceil_mode"] = int64(1)
			}
			// A conv 1x1 first makes the pooled input channels-last.
			w := b.constant(c, c, 1, 1)
			bias := b.constant(c, 1, 1)
			conv := b.op(t, "Conv", nil, b.input, w)
			pool := b.op(t, "MaxPool", attrs, conv)
			relu := b.op(t, "Relu", nil, b.op(t, "Add", nil, pool, bias))
			x := b.random(c * tc.h * tc.w)
			got := b.run(t, b.op(t, "Reshape", nil, relu, b.value("shape", tensor.New(tensor.WithShape(1), tensor.WithBacking([]int64{-1})))), x, 1, c, tc.h, tc.w)
			y := refConv(x, 1, c, tc.h, tc.w, w.t.Data().([]float32), c, 1, 1, nil, 1, 1, 1, 1, 0, 0, tc.h, tc.w)
			bv := bias.t.Data().([]float32)
			want := make([]float32, c*tc.ho*tc.wo)
			for ch := range c {
				for oy := range tc.ho {
					for ox := range tc.wo {
						m := float32(math.Inf(-1))
						for ky := range tc.k {
							for kx := range tc.k {
								iy, ix := oy*tc.s-pads[0]+ky*tc.d, ox*tc.s-pads[1]+kx*tc.d
								if iy >= 0 && iy < tc.h && ix >= 0 && ix < tc.w {
									m = max(m, y[(ch*tc.h+iy)*tc.w+ix])
								}
							}
						}
						want[(ch*tc.ho+oy)*tc.wo+ox] = max(0, m+bv[ch])
					}
				}
			}
			near(t, tc.name, got, want)
		})
	}
}

// TestBatchNormMul: batch normalisation after a convolution (channels-last)
// and on a row-major input, and Mul by a broadcast constant.
func TestBatchNormMul(t *testing.T) {
	const c, h, w = 3, 4, 5
	for _, afterConv := range []bool{false, true} {
		b := newBuilder(7)
		scale, bias, mean := b.constant(c), b.constant(c), b.constant(c)
		variance := b.value("var", tensor.New(tensor.WithShape(c), tensor.WithBacking([]float32{0.5, 2, 0.01})))
		k := b.constant(1, w)
		x := b.input
		var wt *node
		if afterConv {
			wt = b.constant(c, c, 1, 1)
			x = b.op(t, "Conv", nil, x, wt)
		}
		bn := b.op(t, "BatchNormalization", map[string]interface{}{"epsilon": float32(1e-3), "momentum": float32(0.9)}, x, scale, bias, mean, variance)
		out := b.op(t, "Flatten", nil, b.op(t, "Mul", nil, bn, k))
		in := b.random(c * h * w)
		got := b.run(t, out, in, 1, c, h, w)
		y := in
		if afterConv {
			y = refConv(in, 1, c, h, w, wt.t.Data().([]float32), c, 1, 1, nil, 1, 1, 1, 1, 0, 0, h, w)
		}
		sv, bv, mv, vv, kv := scale.t.Data().([]float32), bias.t.Data().([]float32), mean.t.Data().([]float32), variance.t.Data().([]float32), k.t.Data().([]float32)
		want := make([]float32, c*h*w)
		for ch := range c {
			for i := range h * w {
				v := (y[ch*h*w+i]-mv[ch])/float32(math.Sqrt(float64(vv[ch])+1e-3))*sv[ch] + bv[ch]
				want[ch*h*w+i] = v * kv[i%w]
			}
		}
		near(t, "BatchNormalization", got, want)
	}
}

// TestMatMulGemm: MatMul with a constant and a computed right-hand side,
// and Gemm with transposes, alpha, beta and both kinds of C.
func TestMatMulGemm(t *testing.T) {
	const m, k, n = 3, 7, 5
	ref := func(a []float32, transA bool, bm []float32, transB bool, alpha float32, c []float32, cRows bool, beta float32) []float32 {
		out := make([]float32, m*n)
		for i := range m {
			for j := range n {
				var s float32
				for p := range k {
					av := a[i*k+p]
					if transA {
						av = a[p*m+i]
					}
					bv := bm[p*n+j]
					if transB {
						bv = bm[j*k+p]
					}
					s += av * bv
				}
				s *= alpha
				if c != nil {
					if cRows {
						s += beta * c[i]
					} else {
						s += beta * c[j]
					}
				}
				out[i*n+j] = s
			}
		}
		return out
	}
	t.Run("MatMul constant", func(t *testing.T) {
		b := newBuilder(1)
		w := b.constant(k, n)
		x := b.random(m * k)
		got := b.run(t, b.op(t, "MatMul", nil, b.input, w), x, m, k)
		near(t, "MatMul", got, ref(x, false, w.t.Data().([]float32), false, 1, nil, false, 0))
	})
	t.Run("MatMul folded constant", func(t *testing.T) {
		// An Add of two constants is computed at compile time and its
		// result packed like any constant.
		b := newBuilder(2)
		w := b.constant(k, n)
		zero := b.value("zero", tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{0})))
		wc := b.op(t, "Add", nil, w, zero) // constant-folded
		x := b.random(m * k)
		got := b.run(t, b.op(t, "MatMul", nil, b.input, wc), x, m, k)
		near(t, "MatMul", got, ref(x, false, w.t.Data().([]float32), false, 1, nil, false, 0))
	})
	for _, tc := range []struct {
		transA, transB bool
		cShape         []int
	}{{false, false, []int{n}}, {true, false, []int{1, n}}, {false, true, []int{m, 1}}, {true, true, nil}} {
		b := newBuilder(3)
		shapeB := []int{k, n}
		if tc.transB {
			shapeB = []int{n, k}
		}
		w := b.constant(shapeB...)
		attrs := map[string]interface{}{"alpha": float32(0.5), "beta": float32(2)}
		if tc.transA {
			attrs["transA"] = int64(1)
		}
		if tc.transB {
			attrs["transB"] = int64(1)
		}
		ins := []*node{b.input, w}
		var cv []float32
		if tc.cShape != nil {
			cn := b.constant(tc.cShape...)
			cv = cn.t.Data().([]float32)
			ins = append(ins, cn)
		}
		shapeA := []int{m, k}
		if tc.transA {
			shapeA = []int{k, m}
		}
		x := b.random(m * k)
		got := b.run(t, b.op(t, "Gemm", attrs, ins...), x, shapeA...)
		near(t, "Gemm", got, ref(x, tc.transA, w.t.Data().([]float32), tc.transB, 0.5, cv, len(tc.cShape) == 2 && tc.cShape[1] == 1, 2))
	}
}

// TestUnsupported: operators and attributes outside the kernels fail
// while loading, naming what is missing; shapes that do not fit fail at
// Compile.
func TestUnsupported(t *testing.T) {
	for _, tc := range []struct {
		op    string
		attrs map[string]interface{}
		want  string
	}{
		{"Sigmoid", nil, "operator Sigmoid is not supported"},
		{"Conv", map[string]interface{}{"group": int64(2)}, "group 2"},
		{"Conv", map[string]interface{}{"foo": int64(1)}, `attribute "foo"`},
		{"MaxPool", map[string]interface{}{"kernel_shape": ints(2, 2, 2)}, "only 2-D"},
		{"MaxPool", nil, "without kernel_shape"},
		{"Conv", map[string]interface{}{"auto_pad": "SAME"}, "auto_pad"},
		{"Conv", map[string]interface{}{"strides": ints(0, 1)}, "below 1"},
		{"BatchNormalization", map[string]interface{}{"training_mode": int64(1)}, "training mode"},
	} {
		b := newBuilder(1)
		out := b.value("y", nil)
		err := b.g.ApplyOperation(onnx.Operation{Name: tc.op, Attributes: tc.attrs}, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want one containing %q", tc.op, tc.attrs, err, tc.want)
		}
	}
	// Two outputs (MaxPool's Indices).
	b := newBuilder(1)
	if err := b.g.ApplyOperation(onnx.Operation{Name: "MaxPool"}, b.value("y", nil), b.value("i", nil)); err == nil {
		t.Error("a two-output operation was accepted")
	}
	// A kernel larger than the input.
	b = newBuilder(1)
	out := b.op(t, "Conv", nil, b.input, b.constant(2, 1, 5, 5))
	err := b.g.Compile(&onnx.Model{Input: []int64{b.input.id}, Output: []int64{out.id}}, 1, 1, 4, 4)
	if err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("a 5x5 kernel on a 4x4 input: %v", err)
	}
	// Mismatched channels.
	b = newBuilder(1)
	out = b.op(t, "Conv", nil, b.input, b.constant(2, 3, 1, 1))
	if err := b.g.Compile(&onnx.Model{Input: []int64{b.input.id}, Output: []int64{out.id}}, 1, 1, 4, 4); err == nil {
		t.Error("weights for 3 channels on a 1-channel input were accepted")
	}
	if err := NewGraph().Run(); err == nil {
		t.Error("Run before Compile succeeded")
	}
}
