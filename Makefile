# Conveniences; each target is one command you can also run by hand.
.PHONY: test deb chaos bench bench-av bench-cluster bench-latency bench-mail bench-identity bench-web demo build screenshots

test:
	scripts/test.sh

# The reliability suite (issue 14) at the issue's counts: the real binary
# interrupted by kill -9 (x100 during uploads, downloads, purges and
# directory syncs) and SIGTERM (x20), its disk filled (x10), a flipped byte
# (x10), its SMTP, S3 and PostgreSQL servers stopped and restarted, 1,500
# slow clients; no temporary file left after any kill; prints a table of
# each fault, its tries, failures and what was lost (nothing, or it fails).
# The test suite runs the same test with small counts. Then the disk full
# of the application's own tests. About 20 minutes (17 for the table on 2
# busy cores).
chaos:
	NAVETTE_CHAOS=full go test ./cmd/navette -run '^TestChaos$$' -count=1 -v -timeout 2h
	go test ./app -run '^TestFullDisk$$' -count=1

# Transfers against a bare handler (throughput, server CPU-s per GiB, the
# one-core SHA-256 limit of a download, 20 concurrent 50 MiB uploads' peak
# RSS and aggregate throughput; -profile DIR for CPU profiles, see
# docs/performance.md), then the antivirus's share (bench-av),
# then the proofs (issue 13), each beside its baseline in the same run: a
# whole deposit on SQLite with the journal's Merkle tree against the same
# deposit with the store's tree off (target: ratio <= 1.10); a journal
# append with and without the tree; the p95 of an inclusion proof in a
# tree of a million leaves (target < 5 ms; the tree is built in about 15 s);
# checkpoint signatures beside bare Ed25519 ones, and whole checkpoints.
bench:
	go run ./internal/bench
	go run ./internal/bench -latency
	go run ./internal/bench -av
	go test ./deposit -run '^$$' -bench Deposit -benchtime 300x
	go test ./proof -run '^$$' -bench . -benchtime 2000x

# Uploads scanned by a real clamd (EICAR-only database) against unscanned
# ones in the same run: the throughput ratio (target >= 0.85) and the time
# from the last byte to available (target <= 1 s for 1 GiB), beside clamd
# alone (an INSTREAM of the same bytes: sending vs scanning after the end).
bench-av:
	go run ./internal/bench -av

bench-cluster:
	go run ./internal/bench -cluster

# How soon 1 GiB is available after its last byte (navette's last PATCH and
# submit beside the bare PUT's fsync; target <= 0.2 s), and the API's p50/p99
# at rest and under 20 uploads + 20 downloads of 50 MiB (target p99 < 100 ms).
bench-latency:
	go run ./internal/bench -latency

bench-mail:
	go run ./internal/benchmail

# A 75,000-row lawyers' flow: parsing alone (the baseline), first import,
# unchanged re-import, wall and CPU seconds, on SQLite and on PostgreSQL (a
# server started by internal/testpg); recipient search p95 over 165,000
# users (SQLite).
bench-identity:
	go test ./directory -run '^$$' -bench Import75k -benchtime 1x
	go test ./sqlite -run '^$$' -bench SearchUsers -benchtime 2000x

# Pages of a lawyer with 10,000 deposits: p95 render time (under 50 ms)
# beside an empty inbox measured in the same run; then the inbox query of a
# busy and a quiet user among 100,000 deposits beside a lookup by id
# (SQLite, then PostgreSQL). About 8 minutes.
bench-web:
	go test ./web -run '^$$' -bench Render -benchtime 200x -timeout 30m
	go test ./sqlite -run '^$$' -bench Inbox -benchtime 300x -timeout 30m
	go test ./postgres -run '^$$' -bench Inbox -benchtime 300x -timeout 30m

demo:
	go run ./cmd/navette demo

build:
	CGO_ENABLED=0 go build -trimpath -o navette ./cmd/navette

# The Debian package, in $(DIST)/: the static binary, the hardened unit, the
# default configuration in /etc/navette/ and the data directory
# (deploy/nfpm.yaml). nfpm is a build tool run from the Go module cache,
# not a dependency of navette; the first run downloads and builds it
# (a few minutes).
VERSION ?= 0.1.0
DIST ?= dist
NFPM = github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
deb:
	mkdir -p $(DIST)
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $(DIST)/navette ./cmd/navette
	NAVETTE_BIN=$(DIST)/navette NAVETTE_VERSION=$(VERSION) go run $(NFPM) package --config deploy/nfpm.yaml --packager deb --target $(DIST)/

# Refreshes the PNGs of the main pages under docs/screenshots/ (Chromium).
screenshots:
	go test ./web -run TestScreenshots -screenshots -count=1
