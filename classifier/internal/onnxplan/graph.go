// Package onnxplan is an onnx-go backend that compiles a small
// convolutional network into a fixed plan of allocation-free kernels.
//
// onnx-go decodes and checks the ONNX file and describes the graph to the
// backend through its interfaces (nodes, weighted edges, ApplyOperation);
// Graph records that description, checks every operator and attribute as
// it arrives, and Compile turns it into a list of steps over buffers
// allocated once: im2col into a reused buffer, then a matrix product
// vectorised over output channels, with activations kept channels-last.
// Run then executes the steps without allocating, without goroutines and
// without locks, so one Graph serves one goroutine at a time (one Graph per
// worker).
//
// The supported operators are those of a small convnet: Conv (2-D, one
// group), MaxPool (2-D), Add and Mul (with broadcasting),
// BatchNormalization (inference), Relu, MatMul, Gemm, Flatten and Reshape. Anything else, or an attribute value outside what is
// implemented, fails while the model is loaded or compiled, with an error
// naming it, so that the caller can use another backend.
package onnxplan

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	onnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"
)

// Graph is an onnx-go backend (onnx.Backend). Build it with NewGraph, pass
// it to onnx.NewModel, unmarshal the model, then call Compile once before
// the first Run.
type Graph struct {
	g *simple.WeightedDirectedGraph
	// ops are the nodes that carry an operation, in the order onnx-go
	// applied them (the ONNX file's node order).
	ops  []*node
	plan *plan
}

var _ onnx.Backend = (*Graph)(nil)

// NewGraph returns an empty backend.
func NewGraph() *Graph {
	return &Graph{g: simple.NewWeightedDirectedGraph(math.MaxFloat64, -1)}
}

// node is a value of the graph: a graph input, a constant (initializer) or
// the output of an operation. It implements onnx.DataCarrier and
// onnx.Namer.
type node struct {
	id    int64
	name  string
	op    *operation
	t     tensor.Tensor
	graph *Graph
	// data is t's float32 backing array, read once when t is set (a
	// tensor's Data() allocates on its first call).
	data []float32
}

func (n *node) ID() int64                { return n.id }
func (n *node) GetName() string          { return n.name }
func (n *node) SetName(name string)      { n.name = name }
func (n *node) GetTensor() tensor.Tensor { return n.t }

// SetTensor sets a constant or, once the graph is compiled, the input. An
// input of another shape than the one compiled for is refused.
func (n *node) SetTensor(t tensor.Tensor) error {
	p := n.graph.plan
	if p == nil {
		n.t = t
		n.data = nil
		return nil
	}
	if n.id != p.inputID {
		return fmt.Errorf("onnxplan: node %q is not the compiled graph's input; constants cannot change after Compile", n.name)
	}
	if t == n.t {
		return nil
	}
	if t == nil {
		return errors.New("onnxplan: the input tensor is nil")
	}
	data, ok := t.Data().([]float32)
	if !ok {
		return fmt.Errorf("onnxplan: the input is %v, want float32", t.Dtype())
	}
	if !slices.Equal([]int(t.Shape()), p.inputShape) || len(data) != p.input.size() {
		return fmt.Errorf("onnxplan: the input's shape is %v, the graph was compiled for %v", t.Shape(), p.inputShape)
	}
	n.t, n.data = t, data
	return nil
}

// NewNode, AddNode, NewWeightedEdge and SetWeightedEdge build the graph
// (graph.DirectedWeightedBuilder); the rest reads it.
func (g *Graph) NewNode() graph.Node  { return &node{id: g.g.NewNode().ID(), graph: g} }
func (g *Graph) AddNode(n graph.Node) { g.g.AddNode(n) }
func (g *Graph) NewWeightedEdge(from, to graph.Node, w float64) graph.WeightedEdge {
	return g.g.NewWeightedEdge(from, to, w)
}
func (g *Graph) SetWeightedEdge(e graph.WeightedEdge)       { g.g.SetWeightedEdge(e) }
func (g *Graph) Node(id int64) graph.Node                   { return g.g.Node(id) }
func (g *Graph) Nodes() graph.Nodes                         { return g.g.Nodes() }
func (g *Graph) From(id int64) graph.Nodes                  { return g.g.From(id) }
func (g *Graph) To(id int64) graph.Nodes                    { return g.g.To(id) }
func (g *Graph) HasEdgeBetween(x, y int64) bool             { return g.g.HasEdgeBetween(x, y) }
func (g *Graph) HasEdgeFromTo(u, v int64) bool              { return g.g.HasEdgeFromTo(u, v) }
func (g *Graph) Edge(u, v int64) graph.Edge                 { return g.g.Edge(u, v) }
func (g *Graph) WeightedEdge(u, v int64) graph.WeightedEdge { return g.g.WeightedEdge(u, v) }
func (g *Graph) Weight(x, y int64) (w float64, ok bool)     { return g.g.Weight(x, y) }

// ApplyOperation records an operation on its output node, checking the
// operator and its attributes now so that an unsupported model fails to
// load.
func (g *Graph) ApplyOperation(o onnx.Operation, ns ...graph.Node) error {
	if len(ns) != 1 {
		return fmt.Errorf("onnxplan: operator %s has %d outputs; only single-output operators are supported", o.Name, len(ns))
	}
	n, ok := ns[0].(*node)
	if !ok {
		return fmt.Errorf("onnxplan: operator %s applied to a foreign node %T", o.Name, ns[0])
	}
	op, err := parseOperation(o)
	if err != nil {
		return err
	}
	if n.op != nil {
		return fmt.Errorf("onnxplan: value %q is the output of two operations", n.name)
	}
	n.op = op
	g.ops = append(g.ops, n)
	return nil
}

// inputsOf returns the nodes an operation reads, in the operator's order
// (onnx-go weights each edge with the input's position).
func (g *Graph) inputsOf(n *node) []*node {
	it := g.g.From(n.id)
	var edges []graph.WeightedEdge
	for it.Next() {
		edges = append(edges, g.g.WeightedEdge(n.id, it.Node().ID()))
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].Weight() < edges[j].Weight() })
	out := make([]*node, len(edges))
	for i, e := range edges {
		out[i] = e.To().(*node)
	}
	return out
}

// Compile turns the recorded graph into a plan for one input of the given
// shape (by default the shape the model declares). m is the model this
// Graph was given to; its Input and Output name the graph's input and
// output. It fails, naming the operation, on anything the kernels do not
// implement.
func (g *Graph) Compile(m *onnx.Model, inputShape ...int) error {
	if g.plan != nil {
		return errors.New("onnxplan: already compiled")
	}
	if len(m.Input) != 1 || len(m.Output) != 1 {
		return fmt.Errorf("onnxplan: the model has %d inputs and %d outputs, want 1 and 1", len(m.Input), len(m.Output))
	}
	in, ok := g.g.Node(m.Input[0]).(*node)
	if !ok {
		return errors.New("onnxplan: the model's input is not a node of this graph")
	}
	out, ok := g.g.Node(m.Output[0]).(*node)
	if !ok {
		return errors.New("onnxplan: the model's output is not a node of this graph")
	}
	if len(inputShape) == 0 && in.t != nil {
		inputShape = []int(in.t.Shape())
	}
	if len(inputShape) == 0 {
		return fmt.Errorf("onnxplan: the model does not declare its input's shape; pass it to Compile")
	}
	for _, d := range inputShape {
		if d <= 0 {
			return fmt.Errorf("onnxplan: input shape %v has a dimension that is not positive", inputShape)
		}
	}
	p, err := compile(g, in, out, inputShape)
	if err != nil {
		return err
	}
	g.plan = p
	in.t, in.data = p.inputTensor, p.input.data
	out.t = p.outputTensor
	return nil
}

// Run executes the compiled plan on the input last set with
// onnx.Model.SetInput (or written into InputData); the output tensor of
// the model then holds the result, valid until the next Run.
func (g *Graph) Run() error {
	p := g.plan
	if p == nil {
		return errors.New("onnxplan: Run before Compile")
	}
	in := g.g.Node(p.inputID).(*node)
	if &in.data[0] != &p.input.data[0] {
		copy(p.input.data, in.data)
	}
	for _, s := range p.steps {
		s.run()
	}
	return nil
}

// InputData is the compiled plan's input buffer, in the input's logical
// (row-major) order: writing it and calling Run avoids SetInput. It is nil
// before Compile.
func (g *Graph) InputData() []float32 {
	if g.plan == nil {
		return nil
	}
	return g.plan.input.data
}

// OutputData is the compiled plan's output buffer, row-major, overwritten
// by every Run. It is nil before Compile.
func (g *Graph) OutputData() []float32 {
	if g.plan == nil {
		return nil
	}
	return g.plan.output.data
}

// Describe lists the compiled steps, one per line, for logs and tests.
func (g *Graph) Describe() string {
	if g.plan == nil {
		return "(not compiled)"
	}
	var b strings.Builder
	for _, s := range g.plan.steps {
		fmt.Fprintln(&b, s.describe())
	}
	return b.String()
}
