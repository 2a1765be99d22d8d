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

.PHONY: all build gate reproduce conformance matrix test bench soak fuzz lint clean

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

## conformance: what Okta and Entra require of a SCIM server before any sync can be trusted, one labelled
## check each, against the reference directory or the target in GATE_FLAGS (the same --target-* flags).
conformance: build
	./$(BIN) conformance --junit $(REPORTS)/junit-conformance.xml $(GATE_FLAGS)

## matrix: the detection matrix — the gate once per fault mode of the reference directory and once
## with none; prints which scenarios catch each fault to $(REPORTS)/matrix.txt (make test runs it too).
matrix: build
	./$(BIN) matrix --out $(REPORTS)

## test: every test — unit tests (no Docker) and the Ginkgo suites (Docker) — then the slowest
## packages. Most of the long packages wait (on settle windows, containers, the CLI they run)
## rather than compute, so 4 test binaries run at once on 2 cores (go test's default -p is
## GOMAXPROCS, 2 here); TEST_P changes it. go test builds and starts packages in the order it is
## given them: the long ones (TEST_FIRST) come first, so that their waiting overlaps the
## building and running of the short ones rather than running on alone at the end.
## The test binaries run with GOGC=400 (TEST_GOGC), the setting scimreplay's own processes
## use (internal/gctune): on these two cores a run took 6% less CPU (158–161 core-seconds
## against 170), and a cold make test is bound by its CPU.
TEST_P     ?= 4
TEST_GOGC  ?= 400
TEST_FIRST ?= ./cmd/scimreplay ./reports/matrix ./harness ./scenarios ./suites/forcesync ./fakes/directory ./fakes/elimity
test: build
	$(GO) build -o bin/slowest ./internal/slowest
	GOGC=$(TEST_GOGC) ./bin/slowest $(GO) test -race -count=1 -p $(TEST_P) -timeout 9m $(TEST_FIRST) ./...

## bench: measure scimreplay itself on this machine, in under 5 minutes: one figure per line,
## `name value unit` (the replay engine against plain net/http on the same container, a 100k-user
## diff, provisioning and force syncs of generated 1k, 10k and 100k-user orgs with the harness's
## peak RSS and each party's CPU, the whole gate, and how each grows from 1k to 10k to 100k);
## progress goes to stderr. Not a timed test: nothing fails on a figure. BENCH_FLAGS: see
## `go run ./bench/cmd/benchdriver -h` (-orgs 1000:50,10000:500 leaves the 100k org out).
BENCH_FLAGS ?=
bench: build
	@$(GO) run ./bench/cmd/benchdriver -scimreplay ./$(BIN) $(BENCH_FLAGS)

## soak: the same gate SOAK_RUNS times against the clean directory (green every time) and with
## access-1003 (red every time, the same diff, ids normalised); no container may survive a run.
## make test runs 3 runs of one scenario; this runs the whole catalogue (SOAK_FILTER: a label filter).
SOAK_RUNS    ?= 20
SOAK_FILTER  ?=
SOAK_FLAGS   ?= --parallel 4
SOAK_TIMEOUT ?= 45m
soak: build
	SCIMREPLAY_SOAK_RUNS=$(SOAK_RUNS) SCIMREPLAY_SOAK_FILTER='$(SOAK_FILTER)' SCIMREPLAY_SOAK_FLAGS='$(SOAK_FLAGS)' \
		$(GO) test -count=1 -timeout $(SOAK_TIMEOUT) -run '^TestSoak$$' -v ./cmd/scimreplay

## fuzz: every Fuzz target of the module for FUZZTIME each (make test runs them over their
## committed corpora only). A failing input is written to the package's testdata/fuzz: commit it.
## Go 1.26's fuzz coordinator can end a clean run with a bare "context deadline exceeded" when a
## loaded machine's worker misses the -fuzztime deadline (golang/go#75804):
## with no failing input written, that is reported and the corpus replayed instead of failing.
FUZZTIME ?= 20s
fuzz:
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		dir=$$(dirname $$file); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "== $$dir $$target ($(FUZZTIME))"; \
			if out=$$($(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir 2>&1); then \
				echo "$$out" | tail -n 1; continue; \
			fi; \
			echo "$$out" | grep -v '^fuzz: elapsed'; \
			if echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q 'context deadline exceeded'; then exit 1; fi; \
			echo "   (golang/go#75804 at the -fuzztime deadline, no failing input: replaying the corpus)"; \
			$(GO) test -count=1 -run "^$$target\$$" $$dir; \
		done; \
	done

lint:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin $(REPORTS)/junit*.xml $(REPORTS)/summary.md $(REPORTS)/report.html $(REPORTS)/matrix.txt $(REPORTS)/runs
