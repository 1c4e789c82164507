package onnxplan

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// value is a tensor of the plan: its logical (ONNX) shape and the stride
// of each logical dimension in its buffer. Every value is dense (its
// buffer holds exactly size() elements), but not always row-major: the
// convolution and pooling kernels write channels-last.
type value struct {
	shape   []int
	strides []int
	data    []float32
	ints    []int64 // an int64 constant (a Reshape's shape)
	konst   bool
}

func (v *value) size() int {
	n := 1
	for _, d := range v.shape {
		n *= d
	}
	return n
}

// rowMajor returns the strides of a row-major tensor of this shape.
func rowMajor(shape []int) []int {
	s := make([]int, len(shape))
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

func (v *value) contiguous() bool {
	rm := rowMajor(v.shape)
	for i, d := range v.shape {
		if d > 1 && v.strides[i] != rm[i] {
			return false
		}
	}
	return true
}

// step is one kernel call of the plan, on buffers fixed at compile time.
type step interface {
	run()
	describe() string
}

// plan is a compiled graph.
type plan struct {
	steps        []step
	inputID      int64
	inputShape   []int
	input        *value
	output       *value
	inputTensor  *tensor.Dense
	outputTensor *tensor.Dense
}

// compiler holds the values computed so far, by node.
type compiler struct {
	g      *Graph
	values map[int64]*value
	steps  []step
	// pooledBy is, for a convolution read by one MaxPool and nothing
	// else, that MaxPool: the convolution then computes only the outputs
	// the pooling windows read (a 2x2 pool of 11x11 reads 10x10).
	pooledBy map[int64]*operation
}

func compile(g *Graph, in, out *node, inputShape []int) (*plan, error) {
	c := &compiler{g: g, values: map[int64]*value{}, pooledBy: map[int64]*operation{}}
	readers := map[int64][]*node{}
	for _, n := range g.ops {
		for _, x := range g.inputsOf(n) {
			readers[x.id] = append(readers[x.id], n)
		}
	}
	for _, n := range g.ops {
		if r := readers[n.id]; n.op.name == "Conv" && n.id != out.id && len(r) == 1 && r[0].op.name == "MaxPool" {
			c.pooledBy[n.id] = r[0].op
		}
	}
	input := &value{shape: append([]int(nil), inputShape...), strides: rowMajor(inputShape)}
	input.data = make([]float32, input.size())
	c.values[in.id] = input
	pending := append([]*node(nil), g.ops...)
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			n := pending[i]
			ins := g.inputsOf(n)
			vals := make([]*value, len(ins))
			ready := true
			for j, x := range ins {
				v, err := c.valueOf(x)
				if err != nil {
					return nil, err
				}
				if v == nil {
					ready = false
					break
				}
				vals[j] = v
			}
			if !ready {
				continue
			}
			v, err := c.apply(n, vals)
			if err != nil {
				return nil, fmt.Errorf("onnxplan: %s %q: %w", n.op.name, n.name, err)
			}
			c.values[n.id] = v
			pending = append(pending[:i], pending[i+1:]...)
			i--
			progress = true
		}
		if !progress {
			return nil, errors.New("onnxplan: the graph has a cycle or an operation reads a value that nothing computes")
		}
	}
	result, ok := c.values[out.id]
	if !ok {
		return nil, fmt.Errorf("onnxplan: nothing computes the output %q", out.name)
	}
	if result.konst {
		return nil, fmt.Errorf("onnxplan: the output %q does not depend on the input", out.name)
	}
	if len(result.data) == 0 {
		return nil, fmt.Errorf("onnxplan: the output %q is not a float tensor", out.name)
	}
	result = c.rowMajor(result)
	p := &plan{
		steps:      c.steps,
		inputID:    in.id,
		inputShape: input.shape,
		input:      input,
		output:     result,
	}
	p.inputTensor = tensor.New(tensor.WithShape(input.shape...), tensor.WithBacking(input.data))
	p.outputTensor = tensor.New(tensor.WithShape(result.shape...), tensor.WithBacking(result.data))
	return p, nil
}

// valueOf returns a node's value: computed, a constant, or nil if not yet
// computed.
func (c *compiler) valueOf(n *node) (*value, error) {
	if v, ok := c.values[n.id]; ok {
		return v, nil
	}
	if n.op != nil {
		return nil, nil
	}
	if n.t == nil {
		return nil, fmt.Errorf("onnxplan: value %q is neither the input, a constant nor computed", n.name)
	}
	v := &value{shape: append([]int(nil), n.t.Shape()...), konst: true}
	v.strides = rowMajor(v.shape)
	switch d := n.t.Data().(type) {
	case []float32:
		v.data = append([]float32(nil), d...)
	case float32:
		v.data = []float32{d}
	case []int64:
		v.ints = append([]int64(nil), d...)
	case int64:
		v.ints = []int64{d}
	default:
		return nil, fmt.Errorf("onnxplan: constant %q is %T; only float32 (and int64 shapes) are supported", n.name, d)
	}
	if n := max(len(v.data), len(v.ints)); n != v.size() {
		return nil, fmt.Errorf("onnxplan: constant has %d elements for shape %v", n, v.shape)
	}
	c.values[n.id] = v
	return v, nil
}

func (c *compiler) add(s step) { c.steps = append(c.steps, s) }

// floats checks that a value is a float tensor.
func floats(v *value, what string) error {
	if v.data == nil && v.size() > 0 {
		return fmt.Errorf("%s is not a float32 tensor", what)
	}
	return nil
}

func (c *compiler) apply(n *node, in []*value) (*value, error) {
	op := n.op
	arity := map[string][2]int{"Add": {2, 2}, "Mul": {2, 2}, "BatchNormalization": {5, 5}, "Conv": {2, 3}, "Flatten": {1, 1}, "Gemm": {2, 3}, "MatMul": {2, 2}, "MaxPool": {1, 1}, "Relu": {1, 1}, "Reshape": {2, 2}}[op.name]
	if len(in) < arity[0] || len(in) > arity[1] {
		return nil, fmt.Errorf("%d inputs, want %d to %d", len(in), arity[0], arity[1])
	}
	for i, v := range in {
		if len(v.shape) > maxRank {
			return nil, fmt.Errorf("input %d has rank %d; at most %d is supported", i, len(v.shape), maxRank)
		}
	}
	if op.name != "Reshape" {
		for i, v := range in {
			if err := floats(v, fmt.Sprintf("input %d", i)); err != nil {
				return nil, err
			}
		}
	} else if err := floats(in[0], "input 0"); err != nil {
		return nil, err
	}
	switch op.name {
	case "Conv":
		return c.conv(op, in, c.pooledBy[n.id])
	case "MaxPool":
		return c.maxPool(op, in[0])
	case "Add":
		return c.addOp(in[0], in[1])
	case "Mul":
		return c.binary(in[0], in[1], true)
	case "BatchNormalization":
		return c.batchNorm(op, in)
	case "Relu":
		return c.relu(in[0]), nil
	case "MatMul":
		return c.matMul(in[0], in[1], 1, nil, false)
	case "Gemm":
		return c.gemm(op, in)
	case "Flatten":
		return c.flatten(op, in[0])
	case "Reshape":
		return c.reshape(op, in[0], in[1])
	}
	return nil, fmt.Errorf("no kernel")
}

// outputSize is the spatial output size of a window of k (dilated by d)
// sliding with stride s over n values with padding b (begin) and e (end).
func outputSize(n, k, s, d, b, e int, ceil bool) int {
	span := n + b + e - (d*(k-1) + 1)
	if span < 0 {
		return 0
	}
	if ceil {
		o := (span+s-1)/s + 1
		// The last window must start inside the input or the begin padding.
		if (o-1)*s >= n+b {
			o--
		}
		return o
	}
	return span/s + 1
}

// padding resolves auto_pad for one spatial dimension.
func padding(op *operation, dim, n, k int) (begin, end int) {
	s, d := op.strides[dim], op.dilations[dim]
	switch op.autoPad {
	case "VALID":
		return 0, 0
	case "SAME_UPPER", "SAME_LOWER":
		o := (n + s - 1) / s
		total := max(0, (o-1)*s+d*(k-1)+1-n)
		if op.autoPad == "SAME_UPPER" {
			return total / 2, total - total/2
		}
		return total - total/2, total / 2
	}
	return op.pads[dim], op.pads[dim+2]
}

// conv compiles a convolution; pool, if not nil, is the only reader of its
// output.
func (c *compiler) conv(op *operation, in []*value, pool *operation) (*value, error) {
	x, w := in[0], in[1]
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("input shape %v: only 4-D (N, C, H, W) is supported", x.shape)
	}
	if !w.konst || len(w.shape) != 4 {
		return nil, fmt.Errorf("weights must be a constant of shape (M, C, kH, kW), got %v", w.shape)
	}
	n, ch, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	m, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	if w.shape[1] != ch {
		return nil, fmt.Errorf("weights %v for %d input channels (groups are not supported)", w.shape, ch)
	}
	if op.kernel != nil && (op.kernel[0] != kh || op.kernel[1] != kw) {
		return nil, fmt.Errorf("kernel_shape %v does not match the weights %v", op.kernel, w.shape)
	}
	var bias []float32
	if len(in) == 3 {
		b := in[2]
		if !b.konst || b.size() != m {
			return nil, fmt.Errorf("bias must be a constant of %d values, got %v", m, b.shape)
		}
		bias = b.data
	}
	pt, pb := padding(op, 0, h, kh)
	pl, pr := padding(op, 1, wd, kw)
	ho := outputSize(h, kh, op.strides[0], op.dilations[0], pt, pb, false)
	wo := outputSize(wd, kw, op.strides[1], op.dilations[1], pl, pr, false)
	if ho < 1 || wo < 1 {
		return nil, fmt.Errorf("the %dx%d kernel does not fit the %dx%d input", kh, kw, h, wd)
	}
	k := ch * kh * kw
	// Weights as a K×M matrix, K ordered (ky, kx, c) as im2col writes.
	packed := make([]float32, k*m)
	for o := range m {
		for ci := range ch {
			for y := range kh {
				for xx := range kw {
					packed[((y*kw+xx)*ch+ci)*m+o] = w.data[((o*ch+ci)*kh+y)*kw+xx]
				}
			}
		}
	}
	// The rows and columns the pooling reads; the others are not computed
	// (and the output's strides skip them: only the pooling reads it).
	hNeed, wNeed := ho, wo
	if pool != nil {
		hNeed = min(ho, pooledExtent(pool, 0, ho))
		wNeed = min(wo, pooledExtent(pool, 1, wo))
	}
	rows := n * hNeed * wNeed
	cols := &im2col{
		x: x.data, n: n, c: ch, h: h, w: wd, kh: kh, kw: kw, ho: hNeed, wo: wNeed,
		sn: x.strides[0], sc: x.strides[1], sh: x.strides[2], sw: x.strides[3],
		strideY: op.strides[0], strideX: op.strides[1], dilY: op.dilations[0], dilX: op.dilations[1], padT: pt, padL: pl,
		out: make([]float32, rows*k),
	}
	out := channelsLast(n, m, hNeed, wNeed)
	out.shape[2], out.shape[3] = ho, wo
	c.add(cols)
	c.add(&gemmStep{rows: rows, k: k, m: m, a: cols.out, b: packed, bias: bias, out: out.data, what: fmt.Sprintf("conv %dx%d %d→%d on %dx%d", kh, kw, ch, m, ho, wo)})
	return out, nil
}

// pooledExtent is how many of n values along dim a MaxPool reads (its
// last window's end), or n if that cannot be told.
func pooledExtent(pool *operation, dim, n int) int {
	k := pool.kernel[dim]
	s, d := pool.strides[dim], pool.dilations[dim]
	b, e := padding(pool, dim, n, k)
	o := outputSize(n, k, s, d, b, e, pool.ceilMode)
	if o < 1 {
		return n
	}
	return (o-1)*s - b + (k-1)*d + 1
}

// channelsLast is a new (N, C, H, W) value stored as (N, H, W, C).
func channelsLast(n, ch, h, w int) *value {
	return &value{
		shape:   []int{n, ch, h, w},
		strides: []int{h * w * ch, 1, w * ch, ch},
		data:    make([]float32, n*ch*h*w),
	}
}

func (c *compiler) maxPool(op *operation, x *value) (*value, error) {
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("input shape %v: only 4-D (N, C, H, W) is supported", x.shape)
	}
	n, ch, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw := op.kernel[0], op.kernel[1]
	pt, pb := padding(op, 0, h, kh)
	pl, pr := padding(op, 1, wd, kw)
	ho := outputSize(h, kh, op.strides[0], op.dilations[0], pt, pb, op.ceilMode)
	wo := outputSize(wd, kw, op.strides[1], op.dilations[1], pl, pr, op.ceilMode)
	if ho < 1 || wo < 1 {
		return nil, fmt.Errorf("the %dx%d window does not fit the %dx%d input", kh, kw, h, wd)
	}
	out := channelsLast(n, ch, ho, wo)
	c.add(&maxPoolStep{
		x: x.data, n: n, c: ch, h: h, w: wd, kh: kh, kw: kw, ho: ho, wo: wo,
		sn: x.strides[0], sc: x.strides[1], sh: x.strides[2], sw: x.strides[3],
		strideY: op.strides[0], strideX: op.strides[1], dilY: op.dilations[0], dilX: op.dilations[1], padT: pt, padL: pl,
		out: out.data,
	})
	return out, nil
}

// broadcastShape is the multidirectional (numpy) broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// stridesIn returns v's strides for iterating a broadcast shape of rank r:
// 0 on broadcast dimensions.
func stridesIn(v *value, shape []int) []int {
	r := len(shape)
	s := make([]int, r)
	for i := range r {
		if j := i - (r - len(v.shape)); j >= 0 && v.shape[j] != 1 {
			s[i] = v.strides[j]
		}
	}
	return s
}

func (c *compiler) addOp(a, b *value) (*value, error) { return c.binary(a, b, false) }

func (c *compiler) binary(a, b *value, mul bool) (*value, error) {
	shape, err := broadcastShape(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	if len(shape) > maxRank {
		return nil, fmt.Errorf("rank %d: at most %d is supported", len(shape), maxRank)
	}
	// Keep the layout of an input that has the output's shape, so that a
	// channels-last activation plus a bias stays channels-last.
	out := &value{shape: shape, strides: rowMajor(shape)}
	for _, v := range []*value{a, b} {
		if !v.konst && slices.Equal(v.shape, shape) {
			out.strides = append([]int(nil), v.strides...)
			break
		}
	}
	out.data = make([]float32, out.size())
	if a.konst && b.konst {
		s := newBinary(shape, out, a, b, mul)
		s.run()
		out.konst = true
		return out, nil
	}
	c.add(newBinary(shape, out, a, b, mul))
	return out, nil
}

func (c *compiler) relu(x *value) *value {
	out := &value{shape: x.shape, strides: x.strides, data: make([]float32, len(x.data))}
	s := &reluStep{x: x.data, out: out.data}
	if x.konst {
		s.run()
		out.konst = true
		return out
	}
	c.add(s)
	return out
}

// rowMajor returns v itself if it is row-major, else a row-major copy
// made by a new step.
func (c *compiler) rowMajor(v *value) *value {
	if v.contiguous() {
		return v
	}
	out := &value{shape: v.shape, strides: rowMajor(v.shape), data: make([]float32, len(v.data)), konst: v.konst}
	s := newCopy(out, v)
	if v.konst {
		s.run()
		return out
	}
	c.add(s)
	return out
}

// matMul computes a·(alpha·b) + bias for a of shape (..., K) and b of
// shape (K, N), or with b given as (N, K) when transB.
func (c *compiler) matMul(a, b *value, alpha float32, bias []float32, transB bool) (*value, error) {
	if len(a.shape) < 1 || len(b.shape) != 2 {
		return nil, fmt.Errorf("shapes %v × %v: only (…, K) × (K, N) is supported", a.shape, b.shape)
	}
	k := a.shape[len(a.shape)-1]
	kb, n := b.shape[0], b.shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		return nil, fmt.Errorf("shapes %v × %v do not agree", a.shape, b.shape)
	}
	var packed []float32
	switch {
	case b.konst:
		packed = make([]float32, k*n)
		for i := range k {
			for j := range n {
				idx := i*b.strides[0] + j*b.strides[1]
				if transB {
					idx = j*b.strides[0] + i*b.strides[1]
				}
				packed[i*n+j] = alpha * b.data[idx]
			}
		}
	case !transB && alpha == 1:
		packed = c.rowMajor(b).data
	default:
		return nil, errors.New("a computed right-hand side must be used as is (no transB, alpha 1)")
	}
	a = c.rowMajor(a)
	rows := a.size() / max(k, 1)
	shape := append(append([]int(nil), a.shape[:len(a.shape)-1]...), n)
	out := &value{shape: shape, strides: rowMajor(shape), data: make([]float32, rows*n)}
	s := &gemmStep{rows: rows, k: k, m: n, a: a.data, b: packed, bias: bias, out: out.data, what: fmt.Sprintf("matmul %dx%d · %dx%d", rows, k, k, n)}
	if a.konst && b.konst {
		s.run()
		out.konst = true
		return out, nil
	}
	c.add(s)
	return out, nil
}

func (c *compiler) gemm(op *operation, in []*value) (*value, error) {
	a, b := in[0], in[1]
	if len(a.shape) != 2 {
		return nil, fmt.Errorf("A has shape %v, want 2-D", a.shape)
	}
	if op.transA {
		t := &value{shape: []int{a.shape[1], a.shape[0]}, strides: []int{a.strides[1], a.strides[0]}, data: a.data, konst: a.konst}
		a = c.rowMajor(t)
	}
	var bias []float32
	var cv *value
	if len(in) == 3 && op.beta != 0 {
		cv = in[2]
		n := b.shape[1]
		if op.transB {
			n = b.shape[0]
		}
		// A bias of N values (shape (N) or (1, N)) is added by the matrix
		// product itself; anything else by a broadcast Add.
		if cv.konst && cv.size() == n && (len(cv.shape) == 1 || len(cv.shape) == 2 && cv.shape[0] == 1) {
			bias = make([]float32, n)
			for i := range bias {
				bias[i] = op.beta * cv.data[i]
			}
			cv = nil
		} else if op.beta != 1 {
			if !cv.konst {
				return nil, errors.New("a computed C with beta ≠ 1 is not supported")
			}
			scaled := &value{shape: cv.shape, strides: cv.strides, data: make([]float32, len(cv.data)), konst: true}
			for i, x := range cv.data {
				scaled.data[i] = op.beta * x
			}
			cv = scaled
		}
	}
	out, err := c.matMul(a, b, op.alpha, bias, op.transB)
	if err != nil {
		return nil, err
	}
	if cv != nil {
		if s, err := broadcastShape(out.shape, cv.shape); err != nil || !slices.Equal(s, out.shape) {
			return nil, fmt.Errorf("C of shape %v does not broadcast to %v", cv.shape, out.shape)
		}
		return c.addOp(out, cv)
	}
	return out, nil
}

// view returns v under a new shape, made row-major first if needed.
func (c *compiler) view(v *value, shape []int) *value {
	v = c.rowMajor(v)
	return &value{shape: shape, strides: rowMajor(shape), data: v.data, konst: v.konst}
}

func (c *compiler) flatten(op *operation, x *value) (*value, error) {
	axis := op.axis
	if axis < 0 {
		axis += len(x.shape)
	}
	if axis < 0 || axis > len(x.shape) {
		return nil, fmt.Errorf("axis %d out of range for shape %v", op.axis, x.shape)
	}
	outer := 1
	for _, d := range x.shape[:axis] {
		outer *= d
	}
	return c.view(x, []int{outer, x.size() / max(outer, 1)}), nil
}

func (c *compiler) reshape(op *operation, x, shape *value) (*value, error) {
	if !shape.konst || shape.ints == nil || len(shape.shape) != 1 {
		return nil, errors.New("the shape must be a constant 1-D int64 tensor")
	}
	out := make([]int, len(shape.ints))
	infer := -1
	known := 1
	for i, d := range shape.ints {
		switch {
		case d == 0 && !op.allowZero:
			if i >= len(x.shape) {
				return nil, fmt.Errorf("shape %v copies dimension %d of %v", shape.ints, i, x.shape)
			}
			out[i] = x.shape[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has two -1", shape.ints)
			}
			infer = i
			continue
		case d < 0 || d > math.MaxInt32:
			return nil, fmt.Errorf("shape %v has an invalid dimension", shape.ints)
		default:
			out[i] = int(d)
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || x.size()%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", x.shape, shape.ints)
		}
		out[infer] = x.size() / known
		known *= out[infer]
	}
	if known != x.size() {
		return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", x.shape, x.size(), shape.ints)
	}
	return c.view(x, out), nil
}

// batchNorm is inference-mode batch normalisation, y = s·x + t per channel
// (dimension 1) with s = scale/√(var+ε) and t = B − mean·s computed now.
func (c *compiler) batchNorm(op *operation, in []*value) (*value, error) {
	x := in[0]
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("input shape %v: want (N, C, …)", x.shape)
	}
	ch := x.shape[1]
	for i, v := range in[1:] {
		if !v.konst || v.size() != ch {
			return nil, fmt.Errorf("input %d must be a constant of %d values, got %v", i+1, ch, v.shape)
		}
	}
	scale, bias, mean, variance := in[1].data, in[2].data, in[3].data, in[4].data
	shape := make([]int, len(x.shape)-1)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = ch
	s := &value{shape: shape, strides: rowMajor(shape), data: make([]float32, ch), konst: true}
	t := &value{shape: shape, strides: rowMajor(shape), data: make([]float32, ch), konst: true}
	for i := range ch {
		s.data[i] = scale[i] / float32(math.Sqrt(float64(variance[i])+float64(op.epsilon)))
		t.data[i] = bias[i] - mean[i]*s.data[i]
	}
	y, err := c.binary(x, s, true)
	if err != nil {
		return nil, err
	}
	return c.binary(y, t, false)
}
