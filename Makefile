# Conveniences; each target is one command you can also run by hand.
.PHONY: test bench bench-cluster bench-mail demo build screenshots

test:
	scripts/test.sh

bench:
	go run ./internal/bench

bench-cluster:
	go run ./internal/bench -cluster

bench-mail:
	go run ./internal/benchmail

demo:
	go run ./cmd/navette demo

build:
	CGO_ENABLED=0 go build -trimpath -o navette ./cmd/navette

# Refreshes the PNGs of the main pages under docs/screenshots/ (Chromium).
screenshots:
	go test ./web -run TestScreenshots -screenshots -count=1
