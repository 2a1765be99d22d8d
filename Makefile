# scimreplay — the two commands a user needs are `make gate` and `make test`.
# No container registry is reachable here: Ryuk (the reaper image) cannot be pulled, so it is off
# and the harness removes its own containers; testcontainers must not guess a bridge address.
export TESTCONTAINERS_RYUK_DISABLED ?= true
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1

GO        ?= go
BIN       := bin/scimreplay
REPORTS   ?= reports
GATE_FLAGS ?=
# The reference directory image is built FROM scratch around this static binary.
export SCIMREPLAY_BINARY ?= $(CURDIR)/$(BIN)

.PHONY: all build gate reproduce conformance matrix test lint clean

all: lint test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/scimreplay

## gate: the main job — gate the reference directory (or a target given in GATE_FLAGS) with the
## Okta force-sync catalogue; writes $(REPORTS)/junit.xml, summary.md and report.html;
## exit 0 pass, 1 regression, 2 could not run.
gate: build
	./$(BIN) gate --junit $(REPORTS)/junit.xml $(GATE_FLAGS)

## reproduce: ACCESS-1003 on a laptop — the same gate with the directory's access-1003 fault on.
## It goes red (exit 1) and names every unmanaged user whose link or groups changed.
reproduce: build
	./$(BIN) gate --reference-faults access-1003 --junit $(REPORTS)/junit-reproduce.xml \
		--reports-dir $(REPORTS)/runs/reproduce $(GATE_FLAGS)

## conformance: what Okta requires of a SCIM server before any sync can be trusted, one labelled
## check each, against the reference directory or the target in GATE_FLAGS (the same --target-* flags).
conformance: build
	./$(BIN) conformance --junit $(REPORTS)/junit-conformance.xml $(GATE_FLAGS)

## matrix: the detection matrix — the gate once per fault mode of the reference directory and once
## with none; prints which scenarios catch each fault to $(REPORTS)/matrix.txt (make test runs it too).
matrix: build
	./$(BIN) matrix --out $(REPORTS)

## test: every test — unit tests (no Docker) and the Ginkgo suites (Docker).
test: build
	$(GO) test -race -count=1 -timeout 9m ./...

lint:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin $(REPORTS)/junit*.xml $(REPORTS)/summary.md $(REPORTS)/report.html $(REPORTS)/matrix.txt $(REPORTS)/runs
