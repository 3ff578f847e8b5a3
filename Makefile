# terminald — see README.md. The two commands that matter:
#   make run    the whole terminal on this machine (simulator)
#   make test   everything CI runs
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin
PKGS      := ./...

.PHONY: all run build build-sim cross test test-unit test-arm64 stress soak vet fmt-check bench fuzz deb check-deb verify-unit screens clean tools

all: build

# SIMTAGS builds the simulator in: the sim and sandbox commands, the provider sandboxes,
# the panel emulator, the ESC/POS decoder and the QR reader. The production binary
# (build, cross, deb) is built without them; cmd/terminald/deps_test.go holds that.
SIMTAGS   := -tags sim

## run: the simulator, interactive (keys on stdin, screen drawn in the terminal). Its state
## stays in bin/sim-state, so a payment left open resumes at the next make run; the screen
## PNGs of the previous run are removed first. SIMFLAGS adds flags, e.g.
## make run SIMFLAGS='--language da' or SIMFLAGS='--provider accrue'
SIMFLAGS  ?=
run: build-sim
	@mkdir -p $(BIN)/screens && rm -f $(BIN)/screens/screen-*.png $(BIN)/screens/screen.png
	./$(BIN)/terminald-sim sim --state $(BIN)/sim-state --display-dir $(BIN)/screens --receipt-file $(BIN)/receipts.escpos $(SIMFLAGS)

## build: the production binary for this machine (no simulator)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/terminald ./cmd/terminald

## build-sim: terminald-sim, the same daemon with the simulator, sandboxes and emulators
build-sim:
	CGO_ENABLED=0 $(GO) build $(SIMTAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/terminald-sim ./cmd/terminald

## cross: static binaries for the terminal boards
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/terminald-linux-arm64 ./cmd/terminald
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/terminald-linux-armv7 ./cmd/terminald

## test: formatting, vet, the race-enabled suite, arm64 build and emulated arm64 run, unit and package checks
test: tools fmt-check vet test-unit cross verify-unit check-deb test-arm64

tools:
	@scripts/ensure-tools.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
	$(GO) vet $(SIMTAGS) $(PKGS)

test-unit:
	CGO_ENABLED=1 $(GO) test $(SIMTAGS) -race -count=1 -timeout 15m $(PKGS)

## soak: the crash-and-fault soak (not in make test): the built simulator against each
## provider's standalone sandbox behind a fault-injecting proxy (20% of calls, and short
## outages), killed with SIGKILL at random points; the providers run in parallel; prints
## kills, faults, paid share, violations. SOAK_PAYMENTS (per provider, default 10) and
## SOAK_SEED size and seed it; SOAK_LOGDIR keeps every run's log (PROVIDER.log).
soak:
	$(GO) test $(SIMTAGS),soak -run TestSoak -count=1 -parallel 3 -v -timeout 180m ./cmd/terminald

## stress: hunt flaky tests, package by package, with the sim tag and -race: every package
## in STRESS_PKGS (all with tests but STRESS_HOT and STRESS_SKIP) STRESS_COUNT times (20), then STRESS_HOT (the engine and the end-to-end
## daemon) STRESS_COUNT_HOT times (100). Each package prints its own line (ok or FAIL, and
## how long it took); a failure does not stop the others, and the target fails at the end
## naming the packages that failed. STRESS_SKIP leaves packages out of the first pass
## (default: internal/qrread, the QR decoder, hours under -race). Output of a failed
## package is kept in $(BIN)/stress/.
STRESS_COUNT     ?= 20
STRESS_COUNT_HOT ?= 100
STRESS_HOT       ?= ./flow ./cmd/terminald
STRESS_SKIP      ?= ./internal/qrread
STRESS_PKGS      ?= $(filter-out $(STRESS_SKIP) $(STRESS_HOT),$(shell $(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}./{{.ImportPath}}{{end}}' $(SIMTAGS) $(PKGS) | sed 's|^\./github.com/terminald/terminald|.|'))
STRESS_TIMEOUT   ?= 180m
stress:
	@mkdir -p $(BIN)/stress; failed=""; \
	run() { count=$$1; shift; for pkg in "$$@"; do \
	  log=$(BIN)/stress/$$(echo $$pkg | sed 's|^\./||; s|/|_|g').log; start=$$(date +%s); \
	  if CGO_ENABLED=1 $(GO) test $(SIMTAGS) -race -count=$$count -timeout $(STRESS_TIMEOUT) $$pkg >$$log 2>&1; then \
	    echo "ok    $$pkg  -count=$$count  $$(( $$(date +%s) - start ))s"; rm -f $$log; \
	  else \
	    echo "FAIL  $$pkg  -count=$$count  $$(( $$(date +%s) - start ))s  (output: $$log)"; \
	    grep -E -e '--- FAIL|^panic|DATA RACE|timed out' $$log | sort | uniq -c | head -20; failed="$$failed $$pkg"; \
	  fi; done; }; \
	run $(STRESS_COUNT) $(STRESS_PKGS); \
	[ "$(STRESS_COUNT_HOT)" = 0 ] || run $(STRESS_COUNT_HOT) $(STRESS_HOT); \
	if [ -n "$$failed" ]; then echo "stress: failed:$$failed"; exit 1; fi; echo "stress: all passed"

## test-arm64: the suite as linux/arm64 under qemu user-mode emulation (-short: no end-to-end runs)
test-arm64:
	scripts/test-arm64.sh $(SIMTAGS) -short -count=1 -timeout 15m $(PKGS)

bench:
	$(GO) test $(SIMTAGS) -run '^$$' -bench . -benchmem $(PKGS)

## fuzz: each fuzz target for FUZZTIME (default 20s)
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test $(SIMTAGS) -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $(SIMTAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## deb: Debian packages for arm64 and amd64
deb: cross
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/terminald-linux-amd64 ./cmd/terminald
	scripts/build-deb.sh arm64 $(VERSION) $(BIN)/terminald-linux-arm64 $(BIN)
	scripts/build-deb.sh amd64 $(VERSION) $(BIN)/terminald-linux-amd64 $(BIN)

check-deb: deb
	for d in $(BIN)/*.deb; do scripts/check-deb.sh $$d || exit 1; done

verify-unit:
	scripts/verify-unit.sh

## screens: every screen the flow draws, in every language (DIR/LANG), at every size as PNG
screens: build-sim
	./$(BIN)/terminald-sim screens --out $(BIN)/screens-all

clean:
	rm -rf $(BIN)
