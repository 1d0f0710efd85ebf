# The test target is what CI runs (.ci/run) and what the README tells you to run.
GO ?= go

.PHONY: test build run generate lint fuzz

test: lint
	$(GO) test -race -count=1 ./...
	@# Allocation counts and the idle-stream memory budgets are pinned by
	@# tests that skip under the race detector (it allocates and deepens
	@# every frame): run them again without it.
	$(GO) test -count=1 -run 'Allocs|TestNewGenerationID|TestIdleStreamMemory|TestIdleStreamCost' ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/switchyard ./cmd/switchyard

run:
	$(GO) run ./cmd/switchyard serve --demo

generate:
	$(GO) generate ./...

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzReader -fuzztime=30s ./internal/sse/

# bench measures the gateway against a plain reverse proxy and writes the
# tables into BENCHMARKS.md (about 35 minutes; BENCHFLAGS=--quick: about
# two and a half). Linux only: it reads /proc.
.PHONY: bench
bench: build
	./bin/switchyard bench $(BENCHFLAGS) --out BENCHMARKS.md
