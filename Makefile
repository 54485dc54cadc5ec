# netio: common tasks. `make help` lists them.
GO ?= go

.PHONY: help build test cross proofs lessons lessons-soak fuzz vet fmt-check serve weather netio-bench strategies serve-bench peer-compare bench compare clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/netio (it records its commit, wherever it runs)
	$(GO) build -buildvcs=true -o bin/netio ./cmd/netio

test: fmt-check vet cross ## format check, go vet (also for macOS and Windows), every test under the race detector, each benchmark once, the proofs alone, every lesson --quick, then make fuzz
	$(GO) test -race -count=1 -skip '$(PROOFS)' ./...
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
	@$(MAKE) --no-print-directory proofs
	@$(MAKE) --no-print-directory lessons
	@$(MAKE) --no-print-directory fuzz

# Students bring macOS and Windows laptops: netio must build and vet there
# (epoll and its probes are Linux's; elsewhere they say "unavailable", and
# Windows counts no context switches per process: docs/lessons/README.md).
cross: ## go vet for darwin and windows, amd64 and arm64
	GOOS=darwin GOARCH=amd64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=windows GOARCH=arm64 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/netio # the container image's static binary (Dockerfile)

# The proofs measure latency, efficiency and memory against bounds a busy
# machine could push them past (the freeze test's p90 within 15 % of
# 1,000 ms, the hostile-clients bench within 10 % of its undisturbed
# efficiency and the server's peak RSS under 40 MB, netio and vegeta
# within 10 % of each other), so they run after the other tests, one
# package at a time, rather than beside them (`go test ./...` runs two
# packages at once on two cores), and in the build users run, not under
# the race detector, which makes the server's memory several times larger
# and a net/http client's drain after the freeze 40-90 ms slower. The code
# they drive runs under -race in the other tests.
PROOFS = ^(TestFreezeOpen|TestFreezeClosed|TestHostileClients|TestPeerAgreesOnTheServersModel)$$
proofs: ## the freeze test, the hostile-clients test and the peer test, one package at a time, without the race detector
	$(GO) test -count=1 -p 1 -run '$(PROOFS)' ./cmd/netio ./internal/bench

lessons: ## run every classroom lesson as netio demo NAME --quick: exit 1 if a lesson's claim does not hold
	$(GO) build -o bin/netio ./cmd/netio
	for l in $$(bin/netio demo --names); do out=$$(bin/netio demo $$l --quick --no-pause --width 200 2>&1) || { echo "$$out"; exit 1; }; \
	  if echo "$$out" | grep -q 'inconclusive on this machine'; then echo "lesson $$l: no claim failed; $$(echo "$$out" | grep 'inconclusive on this machine')"; else echo "lesson $$l: its claims hold"; fi; done

# The evidence that no lesson's claim is flipped by noise: N runs of every
# lesson --quick, round-robin, counted lesson by lesson (held, inconclusive
# on this machine, NO, could not run); BUSY=1 keeps one core busy with a
# spinning thread throughout, as yes > /dev/null would. About 20 s a round.
N ?= 20
lessons-soak: ## run every lesson --quick N times (N=20) and count how often its claims held; BUSY=1 with a core busy
	$(GO) build -o bin/netio ./cmd/netio
	$(GO) run ./internal/cmd/lessonsoak --netio bin/netio --n $(N) $(if $(BUSY),--busy)

# Each fuzz target runs for a count of executions, not a -fuzztime duration:
# at the end of a duration Go 1.26's fuzz coordinator can race its own
# deadline and fail with a bare "context deadline exceeded", no input
# written, on a loaded machine (golang/go#75804, fixed in Go 1.27). A count
# has no deadline. The counts come from -fuzztime 10s runs on the 2-core
# development machine while it was busy (load 6-10): every target ran
# about 10,000 execs/s (9,100 to 11,500; 5 s runs read lower, start-up
# weighing more), so 200000x is about 20 s and 100000x about 10 s.
fuzz: ## fuzz every fuzz target for a fixed number of runs, about 70 s in all
	$(GO) test -run '^$$' -fuzz '^FuzzReadRequest$$' -fuzztime 200000x ./mockserver
	$(GO) test -run '^$$' -fuzz '^FuzzApplyQuery$$' -fuzztime 100000x ./mockserver
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime 100000x ./strategies
	$(GO) test -run '^$$' -fuzz '^FuzzParseTemperatureMatchesPattern$$' -fuzztime 100000x ./strategies
	$(GO) test -run '^$$' -fuzz '^FuzzParser$$' -fuzztime 200000x ./strategies/internal/httpparse

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

serve: ## run the mock NOAA server on 127.0.0.1:8080 (ARGS="--latency 50ms" for more)
	$(GO) run ./cmd/netio serve $(ARGS)

weather: ## the article's weather reader (ARGS="--strategy sequential" for more)
	$(GO) run ./cmd/netio weather $(ARGS)

netio-bench: ## every strategy side by side, each in its own process (ARGS="--concurrency 10,100,1000" for more)
	$(GO) run ./cmd/netio bench $(ARGS)

strategies: ## list the fetch strategies
	$(GO) run ./cmd/netio strategies

serve-bench: build ## measure the mock server's capacity and accuracy with wrk, about 50 s (ARGS="--engine goroutines")
	$(GO) build -o bin/hellohttp ./internal/cmd/hellohttp
	$(GO) run ./internal/cmd/servebench --netio bin/netio --hello bin/hellohttp $(ARGS)

peer-compare: build ## event-loop strategies vs wrk and bombardier against nginx, and the 10k × 50 ms run (needs wrk, nginx-light)
	GOBIN=$(CURDIR)/bin $(GO) install github.com/codesenberg/bombardier@v1.2.6
	$(GO) run ./internal/cmd/peercompare --netio bin/netio --bombardier bin/bombardier $(ARGS)

BENCH ?= Fetch
bench: ## run BenchmarkFetch 6 times into results/bench/DATE.txt (BENCH=regexp to narrow)
	mkdir -p results/bench
	$(GO) test -run '^$$' -bench '$(BENCH)' -count 6 ./strategies | tee results/bench/$$(date -u +%Y-%m-%dT%H%M%S).txt

# -ignore commit: two files made at different commits would otherwise land
# in separate tables, side by side with nothing.
compare: ## compare two benchmark files: make compare OLD=a.txt NEW=b.txt
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=old.txt NEW=new.txt"; exit 2; }
	$(GO) tool benchstat -ignore commit $(OLD) $(NEW)

clean: ## remove built binaries
	rm -rf bin
