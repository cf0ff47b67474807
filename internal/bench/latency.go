package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"navette/api"
	"navette/client"
)

// latencyRun is where a latency bench runs: the directory of its files, the
// navette binary to measure ("" builds one) and its profiler (nil: none).
type latencyRun struct {
	base, bin string
	prof      *profiler
}

// runLatency measures, in one run (make bench-latency):
//   - how long after its last byte a file is available: navette's last
//     PATCH answered and the deposit submitted, beside the bare handler's
//     PUT answered after its fsync;
//   - the latency of what a person browsing does (the inbox list and the
//     recipient search) at rest, then while n uploads and n downloads of
//     size bytes run.
func runLatency(lr latencyRun, availSize int64, n int, size int64, runs int) error {
	tmp, err := os.MkdirTemp(lr.base, "navette-bench-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := lr.bin
	if bin == "" {
		if bin, err = buildNavette(tmp, lr.prof.tags()...); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, bareURL, err := start(self, "bare", "-dir", filepath.Join(tmp, "bare"))
	if err != nil {
		return err
	}
	defer stop(bare)
	data := filepath.Join(tmp, "data")
	sender, recipient, err := makeUsers(bin, data)
	if err != nil {
		return err
	}
	nav, navURL, err := startNavette(bin, data, max(availSize, size), lr.prof)
	if err != nil {
		return err
	}
	defer stop(nav)
	up, err := client.New(navURL, sender)
	if err != nil {
		return err
	}
	down, err := client.New(navURL, recipient)
	if err != nil {
		return err
	}
	src := filepath.Join(tmp, "source.bin")
	if err := makeSource(src, max(availSize, size)); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()

	bareAvail, navAvail, err := measureAvailable(bareURL, up, f, availSize, runs)
	if err != nil {
		return err
	}
	fmt.Printf("\n%-34s %10s %10s\n", "after the last byte ("+human(availSize)+")", "bare ms", "navette ms")
	fmt.Printf("%-34s %10.1f %10.1f\n", "available (median of "+strconv.Itoa(runs)+")", ms(bareAvail), ms(navAvail))

	rest, busy, err := measureAPI(navURL, sender, up, down, f, n, size, lr.prof)
	if err != nil {
		return err
	}
	fmt.Printf("\n%-34s %8s %8s %8s %8s\n", "API while browsing", "calls", "p50 ms", "p99 ms", "max ms")
	for _, r := range []struct {
		name string
		d    []time.Duration
	}{{"at rest", rest}, {fmt.Sprintf("%d uploads + %d downloads of %s", n, n, human(size)), busy}} {
		fmt.Printf("%-34s %8d %8.1f %8.1f %8.1f\n", r.name, len(r.d), ms(quantile(r.d, 0.5)), ms(quantile(r.d, 0.99)), ms(quantile(r.d, 1)))
	}
	fmt.Printf("(each call is GET %s?box=inbox or GET %s?q=…, one after the other; load %s)\n", api.PathDeposits, api.PathRecipients, loadAvg())
	return nil
}

// lastByte is a file read by an upload that notes when its last byte was
// read.
type lastByte struct {
	r    io.ReaderAt
	size int64
	at   atomic.Int64 // UnixNano
}

func (l *lastByte) ReadAt(p []byte, off int64) (int, error) {
	if rest := l.size - off; int64(len(p)) > rest {
		p = p[:max(rest, 0)]
	}
	n, err := l.r.ReadAt(p, off)
	if off+int64(n) >= l.size {
		l.at.CompareAndSwap(0, time.Now().UnixNano())
		if err == nil {
			err = io.EOF
		}
	}
	return n, err
}

func (l *lastByte) since() time.Duration { return time.Since(time.Unix(0, l.at.Load())) }

// measureAvailable returns the medians, over runs alternated, of the time
// from the last byte read to the file being available: the bare PUT's
// answer, navette's submitted deposit.
func measureAvailable(bareURL string, up *client.Client, f *os.File, size int64, runs int) (bare, nav time.Duration, err error) {
	ctx := context.Background()
	var bs, ns []time.Duration
	for i := range runs {
		lb := &lastByte{r: f, size: size}
		req, err := http.NewRequest("PUT", bareURL+"/a"+strconv.Itoa(i), io.NewSectionReader(lb, 0, size))
		if err != nil {
			return 0, 0, err
		}
		req.ContentLength = size
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return 0, 0, fmt.Errorf("bare PUT: status %d", resp.StatusCode)
		}
		bs = append(bs, lb.since())

		lb = &lastByte{r: f, size: size}
		d, err := up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "bench"})
		if err != nil {
			return 0, 0, err
		}
		if _, err := up.Upload(ctx, d.ID, "bench.bin", lb, size, nil); err != nil {
			return 0, 0, err
		}
		if _, err := up.Submit(ctx, d.ID); err != nil {
			return 0, 0, err
		}
		ns = append(ns, lb.since())
	}
	return median(bs), median(ns), nil
}

// measureAPI times browsing calls for ten seconds at rest, then for as
// long as n uploads and n downloads of size bytes run.
func measureAPI(navURL, sender string, up, down *client.Client, f *os.File, n int, size int64, prof *profiler) (rest, busy []time.Duration, err error) {
	ctx := context.Background()
	// An inbox of 100 deposits, and n files to download.
	var fetch []*api.Deposit
	for i := range 100 {
		d, err := up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "inbox " + strconv.Itoa(i)})
		if err != nil {
			return nil, nil, err
		}
		sz := int64(64 << 10)
		if i < n {
			sz = size
		}
		if _, err := up.Upload(ctx, d.ID, "f.bin", f, sz, nil); err != nil {
			return nil, nil, err
		}
		if d, err = up.Submit(ctx, d.ID); err != nil {
			return nil, nil, err
		}
		if i < n {
			fetch = append(fetch, d)
		}
	}
	probe := prober{url: navURL, sender: sender, down: down}
	atRest := make(chan struct{})
	time.AfterFunc(10*time.Second, func() { close(atRest) })
	if rest, err = probe.until(ctx, atRest); err != nil {
		return nil, nil, err
	}
	drafts := make([]*api.Deposit, n)
	for i := range drafts {
		if drafts[i], err = up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "load"}); err != nil {
			return nil, nil, err
		}
	}
	done := make(chan struct{})
	var loadErr error
	for _, p := range []string{"block", "mutex"} {
		prof.save(p, "latency-busy-"+p+"-base.pprof")
	}
	prof.start("latency-busy.pprof")
	schedBase := prof.sched()
	var loadTime time.Duration
	go func() {
		defer close(done)
		start := time.Now()
		defer func() { loadTime = time.Since(start) }()
		loadErr = parallel(2*n, func(i int) error {
			if i < n {
				_, err := up.Upload(ctx, drafts[i].ID, "load.bin", f, size, nil)
				return err
			}
			d := fetch[i-n]
			_, err := down.Download(ctx, d.ID, d.Files[0].ID, io.Discard, 0)
			return err
		})
	}()
	busy, err = probe.until(ctx, done)
	if q, n := prof.sched().quantilesSince(schedBase, 0.5, 0.99, 0.999); n > 0 {
		fmt.Printf("navette's goroutines under load waited to run (runtime/metrics /sched/latencies, %d waits): p50 ≤ %.2f ms, p99 ≤ %.2f ms, p99.9 ≤ %.2f ms\n", n, q[0], q[1], q[2])
	}
	prof.stop()
	fmt.Printf("the %d uploads and %d downloads of %s took %.1f s\n", n, n, human(size), loadTime.Seconds())
	if len(probe.slow) > 0 {
		fmt.Printf("calls over 100 ms under load: %s\n", strings.Join(probe.slow, ", "))
	}
	for _, p := range []string{"block", "mutex"} {
		prof.save(p, "latency-busy-"+p+".pprof")
	}
	if err == nil {
		err = loadErr
	}
	return rest, busy, err
}

// prober makes the calls of a person browsing, one after the other.
type prober struct {
	url, sender string
	down        *client.Client
	hc          http.Client
	// slow are the calls of the last until that took over 100 ms: which
	// one and when, from the start.
	slow []string
}

func (p *prober) until(ctx context.Context, stop <-chan struct{}) ([]time.Duration, error) {
	var ds []time.Duration
	p.slow = nil
	begin := time.Now()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return ds, nil
		default:
		}
		at := time.Since(begin)
		t, err := timed(func() error {
			if i%2 == 0 {
				_, err := p.down.List(ctx, "inbox", "", 50)
				return err
			}
			return p.search(ctx)
		})
		if err != nil {
			return nil, err
		}
		if t > 100*time.Millisecond {
			p.slow = append(p.slow, fmt.Sprintf("%s at +%.1fs: %.0f ms", [2]string{"inbox", "search"}[i%2], at.Seconds(), ms(t)))
		}
		ds = append(ds, t)
	}
}

func (p *prober) search(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", p.url+api.PathRecipients+"?q=avo&limit=10", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.sender)
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("recipient search: status %d", resp.StatusCode)
	}
	return nil
}

// quantile returns the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
