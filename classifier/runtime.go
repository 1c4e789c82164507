package classifier

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/digitbot/digitbot/classifier/internal/onnxplan"
)

// Runtime describes the inference runtime for the model card's readers,
// e.g. "onnx-go v0.5.0 (compiled kernels: portable; gorgonia backend as
// fallback), pure Go, go1.26.8 linux/amd64".
func Runtime() string {
	version := "(version unknown)"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/owulveryck/onnx-go" {
				version = dep.Version
			}
		}
	}
	return fmt.Sprintf("onnx-go %s (compiled kernels: %s; gorgonia backend as fallback), pure Go, %s %s/%s", version, onnxplan.Kernels, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
