# livesell: `make run` serves everything on one machine; `make test` runs the
# whole test suite (unit, storage against real PostgreSQL/Redis/NATS, media
# with real Pion peers, and the headless-Chromium browser tests).
GO ?= go
RACE ?= -race

.PHONY: run build test test-go test-browser vet fuzz-smoke

run:
	$(GO) run ./cmd/livesell

build:
	$(GO) build -o bin/livesell ./cmd/livesell

test: vet test-go test-browser

vet:
	$(GO) mod download
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

test-go:
	bash .ci/services.sh
	bash .ci/tools.sh
	$(GO) test $(RACE) -count=1 -timeout 30m ./...

test-browser:
	@if [ -x .ci/browser.sh ]; then bash .ci/browser.sh; else echo "no browser tests yet"; fi
