# acsharness: the two commands are `make run` and `make test`.
GO      ?= go
BIN     ?= bin/acsharness
OUT     ?= out
PKGS    := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build bench lint fmt fuzz clean

## run: the main job: demonstrate every step of a signature on the official vector
run: build
	ALIBABA_CLOUD_ACCESS_KEY_SECRET=testsecret ./$(BIN) sign --style rpc --method GET \
	  --endpoint http://ecs.aliyuncs.com --access-key-id testid \
	  --action DescribeDedicatedHosts --version 2014-05-26 \
	  --param Format=JSON --param RegionId=cn-beijing \
	  --timestamp 2023-03-13T08:34:30Z --nonce edb2b34af0af9a6d14deaf7c1a5315eb

## test: every test: format check, vet, staticcheck, and go test -race (fuzz seed corpora included)
test: lint
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

## build: the one binary, into bin/
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/acsharness

## bench: the benchmarks behind the README's performance table (medians of 10 runs via benchstat)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 10 ./signature/ | tee $(OUT)/bench.txt
	$(GO) tool benchstat $(OUT)/bench.txt

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
