# acsharness: the two commands are `make run` and `make test`.
GO      ?= go
BIN     ?= bin/acsharness
OUT     ?= out
PKGS    := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build bench lint fmt fuzz clean

## run: the main job: the whole conformance suite, then a short signed load run
## (all three styles), each against the reference gateway started in-process;
## the reports go to $(OUT)/. The exit status is conform's, else load's.
run: build
	@mkdir -p $(OUT)
	@./$(BIN) conform --report-dir $(OUT)/conformance; c=$$?; \
	./$(BIN) load --style rpc,roa,v3 --rate 300/s --duration 5s \
	  --slo 'success>=99.9%' --slo 'p99<250ms' --report-dir $(OUT)/load; l=$$?; \
	echo; echo "conformance report: $(OUT)/conformance/report.html"; \
	echo "load report:        $(OUT)/load/load.html"; \
	if [ $$c -ne 0 ]; then exit $$c; fi; exit $$l

# NORACE_TESTS are the tests that skip themselves under -race (race.Skip):
# allocation budgets, which the race detector's own allocations break, and
# CPU-heavy tests of pure logic, which it only slows. make test runs them
# without -race, in NORACE_PKGS (the packages that hold them), beside the
# -race pass; internal/race's test keeps both lists in step with the code.
NORACE_TESTS := ^(TestTemplatesDoNotAllocate|TestVerifierAllocations|TestSelfTest|TestOneLineBreaks|TestOracle|TestBootstrapCoverage|TestNonceStoreMemory|TestTargeterAllocations|TestResultPathAllocations|TestHandlerAllocations|TestParseSummaryRejectsHostileInput|TestGoOpenAPIUtil|TestNodeOpenAPIUtil|TestPythonExample|TestSecretsNeverLeak|TestSelftestOneFault|TestConformClockOffsetBound|TestBenchLoadCommand|TestBenchGatewayCommand|TestExportVerifiedBySDKs|TestProtocolCitations|TestCompareRealRuns|TestValidRequestsMatchOfficialSigners)$$
NORACE_PKGS := ./cmd/acsharness ./conformance ./corpus ./examples/signers ./gateway ./load ./reports ./signature

## test: every test: format check, vet, staticcheck, go test -race (fuzz seed
## corpora included) and, at the same time, the NORACE_TESTS without -race
## (its output follows the -race pass's). GORACE's atexit_sleep_ms=0 spares
## each -race test binary the detector's one-second wait at exit.
test: lint
	$(GO) vet $(PKGS)
	@mkdir -p $(OUT)
	@$(GO) test -count=1 -p 4 -parallel 8 -run '$(NORACE_TESTS)' $(NORACE_PKGS) > $(OUT)/norace.log 2>&1 & norace=$$!; \
	  echo "$(GO) test -race -count=1 -p 4 -parallel 8 $(PKGS)  (and the NORACE_TESTS without -race, beside it)"; \
	  GORACE=atexit_sleep_ms=0 $(GO) test -race -count=1 -p 4 -parallel 8 $(PKGS); r=$$?; \
	  wait $$norace; n=$$?; \
	  echo "$(GO) test -count=1 -run '$(NORACE_TESTS)' $(NORACE_PKGS)"; cat $(OUT)/norace.log; \
	  if [ $$r -ne 0 ]; then exit $$r; fi; exit $$n

## build: the one binary, into bin/
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/acsharness

## bench: the benchmarks behind the README's performance tables (medians of 6 runs via benchstat),
## then each signer against the naive HMAC floor (9 interleaved rounds),
## the gateway against a bare net/http handler (throughput and server CPU per request, 7 rounds)
## and the load generator against vegeta's static attack (medians of 7 interleaved rounds)
bench: build
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./signature/ ./gateway/ ./load/ | tee $(OUT)/bench.txt
	$(GO) tool benchstat $(OUT)/bench.txt
	./$(BIN) bench signer --count 9 | tee $(OUT)/bench-signer.txt
	./$(BIN) bench gateway | tee $(OUT)/bench-gateway.txt
	./$(BIN) bench load | tee $(OUT)/bench-load.txt

## lint: gofmt and staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) tool staticcheck $(PKGS)

## fmt: rewrite every Go file with gofmt
fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin $(OUT)
