# The README's test command is `make test`; .ci/run calls exactly that.
GO ?= go

.PHONY: test vet fmt-check race accuracy simd build bench

test: fmt-check vet race accuracy simd

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Every package under the race detector. The output is plain go test's,
# plus, at the end, every skipped test with its reason (a test that needs
# Chromium or Node skips outside CI, and says how to enable it).
race:
	$(GO) test -race -count=1 -timeout 15m -json ./... | $(GO) run ./internal/testsummary

# The classifier and chart packages again without -race: the full
# 10,000-digit MNIST accuracy check (a !race file) and the tests that only
# compute (computeOnly: they skip under -race, where gorgonia and rendering
# are 10-30x slower and the race detector has no goroutines of theirs to
# watch). The race pass above covers the concurrency of the same code.
accuracy:
	$(GO) test -count=1 -timeout 20m ./classifier/ ./chart/

# The compiled inference engine has AVX2/AVX-512 kernels behind Go's experimental
# SIMD package (GOEXPERIMENT=simd), chosen at run time from the CPU, with a
# portable fallback. The race pass above tests the portable build; this tests
# the SIMD build's kernels (inference, the JPEG decoder's inverse DCT, the 2x2
# reduction, the ink strengths, threshold and background surface under
# uneven light) and its agreement with gorgonnx.
simd:
	GOEXPERIMENT=simd $(GO) vet ./classifier/...
	GOEXPERIMENT=simd $(GO) test -race -count=1 ./classifier/internal/onnxplan/
	GOEXPERIMENT=simd $(GO) test -count=1 -run 'Engine|MNISTRawFidelity|WriteFullBlock|Reduce2|StrengthsOverSurface|SurfaceRow|Threshold_SameAsPerPixel|Intensities_SameAsRender' ./classifier/

build:
	GOEXPERIMENT=simd CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o digitbot ./cmd/digitbot

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
