package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRender renders the inbox and a deposit's page of a lawyer who
// has 10,000 deposits, and reports the 95th percentile, which must stay
// under 50 ms, and its ratio to the baseline measured first in the same
// run: the empty inbox of a user with no deposit (sessions, layout,
// headers, no data). Setting up the deposits takes about seven minutes:
//
//	make bench-web
func BenchmarkRender(b *testing.B) {
	const deposits = 10_000
	f := newFixture(b, "")
	start := time.Now()
	var last string
	for i := range deposits {
		v := f.deposit(b, "RG 26/"+strconv.Itoa(i), map[string][]byte{"conclusions.pdf": {byte(i)}, "pièce.pdf": {1, 2}})
		last = v.ID
		f.clock.Advance(time.Second)
	}
	b.Logf("%d deposits made in %s", deposits, time.Since(start).Round(time.Second))
	var baseline time.Duration
	for _, c := range []struct{ name, path string }{
		{"baseline-empty-inbox", "/inbox"},
		{"inbox", "/inbox"},
		{"inbox-page-2", ""},
		{"sent", "/sent"},
		{"deposit", "/deposits/" + last},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := c.path
			if path == "" {
				path = nextPage(b, f)
			}
			u := f.lawyer
			switch c.name {
			case "sent":
				u = f.agent
			case "baseline-empty-inbox":
				u = f.stranger
			}
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				w := f.get(b, u, path)
				times = append(times, time.Since(t0))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
			slices.Sort(times)
			p95 := times[len(times)*95/100]
			b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
			if c.name == "baseline-empty-inbox" {
				baseline = p95
			} else if baseline > 0 {
				b.ReportMetric(float64(p95)/float64(baseline), "x-baseline")
			}
			if p95 > 50*time.Millisecond {
				b.Errorf("%s: p95 %s, over 50 ms", path, p95)
			}
		})
	}
}

// nextPage returns the link to the inbox's second page.
func nextPage(b *testing.B, f *fixture) string {
	body := f.get(b, f.lawyer, "/inbox").Body.String()
	_, rest, ok := strings.Cut(body, `href="/inbox?before=`)
	if !ok {
		b.Fatal("no second page")
	}
	v, _, _ := strings.Cut(rest, `"`)
	return strings.ReplaceAll("/inbox?before="+v, "&amp;", "&")
}
