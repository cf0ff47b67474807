// Command testreport reads "go test -json" on standard input and prints what
// a person needs: one line per package as go test prints it, the full output
// of every failing test, every skipped test with its reason, and a closing
// line "tests: N passed, N failed, N skipped" after the slowest top-level
// tests and packages (where a run's time goes; a package's line also says
// when its tests ran, in seconds from the earliest event read, as several runs
// overlap). It exits non-zero if anything failed. scripts/test.sh pipes the
// suite through it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
	Time    time.Time
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	outputs := map[string]*strings.Builder{} // package/test → output
	var passed, failed, skipped int
	var failures, skips []string
	failedPkgs := map[string]bool{}
	var times, pkgTimes []timing
	var first time.Time // of the first event read
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Fprintln(out, string(line)) // build errors come as plain text
			continue
		}
		if !e.Time.IsZero() && (first.IsZero() || e.Time.Before(first)) {
			first = e.Time
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				pkgTimes = append(pkgTimes, timing{e.Package, e.Elapsed, e.Time})
				switch e.Action {
				case "pass":
					fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
				case "fail":
					failedPkgs[e.Package] = true
					fmt.Fprintf(out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
					if b := outputs[key]; b != nil && !strings.Contains(b.String(), "--- FAIL") {
						failures = append(failures, b.String()) // a panic or build failure
					}
				}
				continue
			}
			if !strings.Contains(e.Test, "/") {
				times = append(times, timing{name: e.Package + " " + e.Test, seconds: e.Elapsed})
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				if b := outputs[key]; b != nil {
					failures = append(failures, b.String())
				}
			case "skip":
				skipped++
				reason := ""
				if b := outputs[key]; b != nil {
					reason = strings.TrimSpace(b.String())
				}
				skips = append(skips, e.Package+" "+e.Test+": "+reason)
			}
			delete(outputs, key)
		}
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Fprintln(out, "SKIP", s)
	}
	for _, f := range failures {
		fmt.Fprint(out, "\n", f)
	}
	printSlowest(out, "packages", pkgTimes, 20, first)
	printSlowest(out, "tests", times, 15, first)
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(failedPkgs) > 0 {
		return 1
	}
	return 0
}

// timing is how long one top-level test or one package took, and when a
// package ended (zero for a test, or if the run did not say).
type timing struct {
	name    string
	seconds float64
	end     time.Time
}

// printSlowest prints the n slowest of times, slowest first, under the
// heading "slowest what:", with when each ran in seconds from first.
func printSlowest(out io.Writer, what string, times []timing, n int, first time.Time) {
	sort.SliceStable(times, func(i, j int) bool { return times[i].seconds > times[j].seconds })
	if len(times) > n {
		times = times[:n]
	}
	if len(times) == 0 {
		return
	}
	fmt.Fprintf(out, "\nslowest %s:\n", what)
	for _, t := range times {
		if t.end.IsZero() {
			fmt.Fprintf(out, "%8.1fs  %s\n", t.seconds, t.name)
			continue
		}
		end := t.end.Sub(first).Seconds()
		fmt.Fprintf(out, "%8.1fs  %s (from %.0fs to %.0fs)\n", t.seconds, t.name, end-t.seconds, end)
	}
}
