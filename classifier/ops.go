package classifier

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// AllowedOps are the ONNX operators a model may use: those onnx-go v0.5.0
// (gorgonnx) computes correctly, and that models/train/train.py exports.
// Gemm in particular gives wrong results from the second run on, which a
// self-test run once per worker could miss on a later image.
func AllowedOps() []string {
	return []string{"Add", "Conv", "Flatten", "MatMul", "MaxPool", "Relu"}
}

// Field numbers of onnx.proto (ModelProto.graph, GraphProto.node,
// NodeProto.op_type, NodeProto.domain).
const (
	fieldModelGraph = 7
	fieldGraphNode  = 1
	fieldNodeOpType = 4
	fieldNodeDomain = 7
)

// CheckOps reads the operators of an ONNX model's graph and refuses a
// model that uses one outside AllowedOps (or a custom domain), naming it.
func CheckOps(model []byte) error {
	graph, err := protoField(model, fieldModelGraph)
	if err != nil {
		return fmt.Errorf("classifier: the model file is not an ONNX model: %w", err)
	}
	if graph == nil {
		return errors.New("classifier: the model file has no graph")
	}
	var bad []string
	nodes := 0
	for b := graph; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("classifier: the model's graph is corrupt: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num != fieldGraphNode || typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return fmt.Errorf("classifier: the model's graph is corrupt: %w", protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		node, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("classifier: the model's graph is corrupt: %w", protowire.ParseError(n))
		}
		b = b[n:]
		nodes++
		opType, err := protoField(node, fieldNodeOpType)
		if err != nil {
			return fmt.Errorf("classifier: a node of the model's graph is corrupt: %w", err)
		}
		domain, err := protoField(node, fieldNodeDomain)
		if err != nil {
			return fmt.Errorf("classifier: a node of the model's graph is corrupt: %w", err)
		}
		op := string(opType)
		if len(domain) > 0 && string(domain) != "ai.onnx" {
			op = string(domain) + "." + op
		}
		if !slices.Contains(AllowedOps(), op) && !slices.Contains(bad, op) {
			bad = append(bad, op)
		}
	}
	if nodes == 0 {
		return errors.New("classifier: the model's graph has no operators")
	}
	if len(bad) > 0 {
		return fmt.Errorf("classifier: the model uses %s, which onnx-go does not run correctly here; allowed: %s (export it with models/train/train.py)",
			strings.Join(bad, ", "), strings.Join(AllowedOps(), ", "))
	}
	return nil
}

// protoField returns the last length-delimited value of field num in a
// protobuf message (nil if absent).
func protoField(b []byte, num protowire.Number) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, protowire.ParseError(l)
			}
			out = v
			b = b[l:]
			continue
		}
		if l = protowire.ConsumeFieldValue(n, typ, b); l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
	}
	return out, nil
}
