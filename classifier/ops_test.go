package classifier

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/digitbot/digitbot/models"
)

// onnxWithOps builds the smallest ModelProto whose graph has one node per
// op (with an optional domain).
func onnxWithOps(ops ...string) []byte {
	var graph []byte
	for _, op := range ops {
		var node []byte
		domain := ""
		if d, o, ok := strings.Cut(op, ":"); ok {
			domain, op = d, o
		}
		node = protowire.AppendTag(node, fieldNodeOpType, protowire.BytesType)
		node = protowire.AppendString(node, op)
		if domain != "" {
			node = protowire.AppendTag(node, fieldNodeDomain, protowire.BytesType)
			node = protowire.AppendString(node, domain)
		}
		graph = protowire.AppendTag(graph, fieldGraphNode, protowire.BytesType)
		graph = protowire.AppendBytes(graph, node)
	}
	var model []byte
	model = protowire.AppendTag(model, 1, protowire.VarintType) // ir_version
	model = protowire.AppendVarint(model, 7)
	model = protowire.AppendTag(model, fieldModelGraph, protowire.BytesType)
	return protowire.AppendBytes(model, graph)
}

func TestCheckOps_EmbeddedModelPasses(t *testing.T) {
	if err := CheckOps(models.ONNX()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckOps_RefusesOtherOps(t *testing.T) {
	if err := CheckOps(onnxWithOps("Conv", "Relu", "Add")); err != nil {
		t.Fatalf("allowed ops refused: %v", err)
	}
	for _, tc := range []struct {
		model []byte
		want  string
	}{
		{onnxWithOps("Conv", "Gemm", "Relu", "Gemm"), "uses Gemm,"},
		{onnxWithOps("MatMul", "com.microsoft:Add"), "com.microsoft.Add"},
		{onnxWithOps(), "no operators"},
		{[]byte("not a protobuf at all"), "not an ONNX model"},
		{protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7), "no graph"},
	} {
		err := CheckOps(tc.model)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want one mentioning %q", err, tc.want)
		}
	}
}
