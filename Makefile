# The README's test command is `make test`; .ci/run calls exactly that.
GO ?= go

.PHONY: test vet fmt-check race accuracy build bench

test: fmt-check vet race accuracy

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

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o digitbot ./cmd/digitbot

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
