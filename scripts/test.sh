#!/usr/bin/env bash
# The whole test suite of navette, from a fresh machine with Go: installs
# what is missing, checks formatting and static analysis, fuzzes every parser
# of outside input for a short while, then runs every test (unit, integration
# against real servers started here, fuzz seeds) with the race detector
# (navette/app's whole-node tests and navette/web's browser tests without
# it, but for app's concurrent transfer tests; the tests that drive the
# navette binary, built without it, cmd/navette's type-check of every port
# and deposit's case pages without it too).
#   FUZZTIME=30s scripts/test.sh    fuzz longer (default: 20000 inputs per target, a count
#                                   rather than a time, which is steadier on a shared machine)
#   FUZZTIME=0 scripts/test.sh      skip the fuzzing pass
# A target whose every input is costly (a whole PDF) says how many inputs it
# gets by default on the line above it: "// fuzz: 2000x".
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-20000x}
STATICCHECK_VERSION=v0.8.2
export GOFLAGS=${GOFLAGS:--buildvcs=false}

say() { printf '\n== %s (at %ds)\n' "$*" "$SECONDS"; }

# Debian packages the suite needs (gcc for the race detector).
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v pdftotext >/dev/null || need+=(poppler-utils)   # reading receipt PDFs back
if ((${#need[@]})); then
  say "installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Pinned tools, built once into a cache beside the module cache.
TOOLS=${NAVETTE_TOOLS:-$(go env GOPATH)/navette-tools}
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/staticcheck-$STATICCHECK_VERSION" ]; then
  say "installing staticcheck $STATICCHECK_VERSION"
  GOBIN="$TOOLS" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  mv "$TOOLS/staticcheck" "$TOOLS/staticcheck-$STATICCHECK_VERSION"
fi

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-ed:"; echo "$unformatted"; exit 1
fi

say "go vet"
go vet ./...

say "staticcheck"
"$TOOLS/staticcheck-$STATICCHECK_VERSION" ./...

say "go mod tidy check"
cp go.mod /tmp/navette-go.mod.$$; cp go.sum /tmp/navette-go.sum.$$
go mod tidy
if ! cmp -s go.mod /tmp/navette-go.mod.$$ || ! cmp -s go.sum /tmp/navette-go.sum.$$; then
  cp /tmp/navette-go.mod.$$ go.mod; cp /tmp/navette-go.sum.$$ go.sum
  rm -f /tmp/navette-go.mod.$$ /tmp/navette-go.sum.$$
  echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1
fi
rm -f /tmp/navette-go.mod.$$ /tmp/navette-go.sum.$$

if [ "$FUZZTIME" != 0 ]; then
  say "fuzzing each target for $FUZZTIME"
  # One instrumented test binary per package, run once per target: go test
  # would vet, link and start one for each.
  fuzzdir=$(mktemp -d /tmp/navette-fuzz.XXXXXX)
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
    [ -n "$targets" ] || continue
    go test -c -fuzz . -o "$fuzzdir/fuzz.test" "$pkg"
    for target in $targets; do
      budget=$FUZZTIME
      if [ "$FUZZTIME" = 20000x ]; then
        own=$(grep -h -B1 "^func ${target}(" "$dir"/*_test.go | sed -n 's|^// fuzz: \([0-9]*x\)$|\1|p' | head -1)
        budget=${own:-$FUZZTIME}
      fi
      echo "-- $pkg $target ($budget, at ${SECONDS}s)"
      # No minimizing: by default each new input that widens coverage is
      # minimized for up to a minute, and the PDF writer's target finds
      # ~300 in 2,000 runs (measured: over 20 minutes; 35 s without). A
      # failing input is printed and saved whole under testdata/fuzz; run
      # the target again with go test -fuzz to have it minimized.
      (cd "$dir" && "$fuzzdir/fuzz.test" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$budget" \
        -test.fuzzminimizetime 0 -test.timeout 10m -test.fuzzcachedir "$fuzzdir/cache") >"$fuzzdir/out" 2>&1 || { cat "$fuzzdir/out"; exit 1; }
    done
  done
  rm -rf "$fuzzdir"
fi

say "allocation tests (meaningless under the race detector, so run here without it)"
go test -count=1 -run 'Allocs|^TestFlatMemory$' ./seal/ ./s3/

say "go test -race (unit, integration, fuzz seeds); navette/app and navette/web, and the tests of the navette binary, without it"
go build -o "$TOOLS/navette-testreport" ./internal/testreport
# Every node the tests boot (internal/testnode) also writes its logs, at
# debug level, under NAVETTE_TEST_LOG_DIR; tests plant canaries starting
# with CANARY- (file names, references, messages, contents) that no log
# line may hold.
NAVETTE_TEST_LOG_DIR=$(mktemp -d /tmp/navette-test-logs.XXXXXX)
export NAVETTE_TEST_LOG_DIR
# Two lanes, each running two packages at a time (go test -p, the cores),
# written to JSON files the report reads together:
#   - under the race detector, every package but those below;
#   - without it, one after the other: navette/app, which boots whole nodes
#     and walks every route for every role (TestPolicy alone took 19
#     minutes under the detector on two cores, its package 30), and
#     navette/web, which drives real browsers (8 minutes under the
#     detector); then app's tests of concurrent transfers again, under the
#     detector; then the tests that drive the navette binary, built without
#     the detector, so that it would watch only their harness: the three-node
#     clusters (internal/clustertest), the Debian package (deploy), kill -9
#     and restarts (cmd/navette's TestChaos, TestRestartKeepsUploads:
#     252 s under the detector beside the rest); and two tests with nothing
#     concurrent to detect, far slower under it: cmd/navette's type-check of
#     every port, pure computation (107 s against 17 s alone), and
#     deposit's paging through a thousand deposits, SQLite's own code
#     instrumented (81 to 117 s against 3 s).
# go vet ./... above checked every package with its tests: go test does
# not vet them again (-vet=off).
json=$(mktemp -d /tmp/navette-test-json.XXXXXX)
norace_tests='^(TestPortsTypeCheck|TestCasePages|TestChaos|TestRestartKeepsUploads)$'
race_pkgs=$(go list ./... | grep -v -x -e 'navette/app' -e 'navette/web' -e 'navette/internal/clustertest' -e 'navette/deploy')
set +e
{
  go test -race -vet=off -count=1 -timeout 30m -json -skip "$norace_tests" $race_pkgs >"$json/race.json" 2>&1
  echo "(the packages under the race detector were done at ${SECONDS}s)"
} &
race_pid=$!
go test -vet=off -count=1 -timeout 30m -json ./app ./web >"$json/app.json" 2>&1
echo "(navette/app and navette/web without the detector were done at ${SECONDS}s)"
go test -race -vet=off -count=1 -timeout 30m -json \
  -run '^(TestDownloadLimitRace|TestUploadCaps|TestConnectionCap|TestRoundTrip|TestResumeAfterCutConnection|TestAbortedDownloadResumed|TestDownloadsRecordedTruthfully|TestGuessedIDsDoNotFloodTheJournal)$' \
  ./app >"$json/app-race.json" 2>&1
echo "(navette/app's concurrent transfers under the detector were done at ${SECONDS}s)"
go test -vet=off -count=1 -timeout 30m -json ./internal/clustertest ./deploy >"$json/binary.json" 2>&1
go test -vet=off -count=1 -timeout 30m -json -run "$norace_tests" ./cmd/navette ./deposit >"$json/norace.json" 2>&1
echo "(the tests of the navette binary, the port check and deposit's case pages were done at ${SECONDS}s)"
wait "$race_pid"
cat "$json/race.json" "$json/app.json" "$json/app-race.json" "$json/binary.json" "$json/norace.json" | "$TOOLS/navette-testreport"
status=$?
rm -rf "$json"
set -e

say "server logs of the suite: no canary"
lines=$(cat "$NAVETTE_TEST_LOG_DIR"/*.log 2>/dev/null | wc -l)
leaks=$(grep -h -F 'CANARY-' "$NAVETTE_TEST_LOG_DIR"/*.log 2>/dev/null | head -20 || true)
if [ -n "$leaks" ]; then
  echo "log lines holding a planted canary:"; echo "$leaks"
  status=1
elif [ "$lines" -eq 0 ]; then
  echo "no server logs were collected in $NAVETTE_TEST_LOG_DIR"
  status=1
else
  echo "$lines log lines, none with a canary"
fi
rm -rf "$NAVETTE_TEST_LOG_DIR"
echo "suite took ${SECONDS}s"
exit "$status"
