package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"navette/api"
	"navette/client"
)

// cpuPerGiB is the CPU time spent per GiB moved.
func cpuPerGiB(cpu time.Duration, bytes int64) float64 {
	if bytes == 0 {
		return 0
	}
	return cpu.Seconds() / (float64(bytes) / (1 << 30))
}

// hashTime is how long one core takes to compute the SHA-256 of the file at
// path, read from the page cache: the ceiling of a download that verifies
// the hash as it serves.
func hashTime(path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	start := time.Now()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return 0, err
	}
	h.Sum(nil)
	return time.Since(start), nil
}

// profiler drives the CPU profile of a navette built with -tags pprof.
type profiler struct {
	dir, addr string
}

// newProfiler returns a profiler writing into dir, nil if dir is "".
func newProfiler(dir string) (*profiler, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	p := &profiler{dir: abs, addr: freeAddr()}
	fmt.Fprintf(os.Stderr, "profiles in %s; navette's profile listener on %s\n", abs, p.addr)
	return p, nil
}

// tags returns the build flags of a navette with the profile listener.
func (p *profiler) tags() []string {
	if p == nil {
		return nil
	}
	return []string{"-tags", "pprof"}
}

// save writes navette's named runtime profile (block, mutex, goroutine…)
// into the file name, to compare with another one taken earlier
// (go tool pprof -diff_base).
func (p *profiler) save(profile, name string) {
	if p == nil {
		return
	}
	resp, err := http.Get("http://" + p.addr + "/lookup?name=" + url.QueryEscape(profile))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(filepath.Join(p.dir, name))
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

// env returns the environment that turns the profile listener on.
func (p *profiler) env() []string {
	if p == nil {
		return nil
	}
	return []string{"NAVETTE_PPROF=" + p.addr}
}

func (p *profiler) start(name string) {
	if p == nil {
		return
	}
	resp, err := http.Post("http://"+p.addr+"/start?file="+url.QueryEscape(filepath.Join(p.dir, name)), "", nil)
	if err == nil {
		resp.Body.Close()
	}
}

func (p *profiler) stop() {
	if p == nil {
		return
	}
	resp, err := http.Post("http://"+p.addr+"/stop", "", nil)
	if err == nil {
		resp.Body.Close()
	}
}

// freeAddr returns a free loopback host:port.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:6061"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startNavette starts navette serve on data with the profile listener when
// prof is set. The caps on concurrent uploads per person, token and address
// are off: the bench's uploads all come from one token on one address,
// where in use they come from as many people, and with the caps (4 per
// token) the 20 "concurrent" uploads ran 4 at a time, the others waiting
// out a 429's Retry-After of 10 s.
func startNavette(bin, data string, maxSize int64, prof *profiler) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn",
		"--max-file-size", strconv.FormatInt(maxSize, 10), "--antivirus=off",
		"--max-uploads-per-user", "0", "--max-uploads-per-token", "0", "--max-uploads-per-ip", "0")
	cmd.Env = append(os.Environ(), prof.env()...)
	return startCmd(cmd)
}

// concResult is one concurrency level: aggregate throughput, peak memory
// and CPU of n simultaneous uploads, navette's beside the bare handler's.
type concResult struct {
	n               int
	size            int64
	bare, nav       time.Duration // median wall time of a round
	bareRSS, navRSS int64         // KiB
	bareCPU, navCPU time.Duration // over all rounds
	rounds          int
}

// measureConcurrent starts fresh servers and runs rounds of n simultaneous
// uploads of size bytes to each, interleaved.
func measureConcurrent(tmp, bin, self string, n int, size int64, runs int, prof *profiler) (concResult, error) {
	r := concResult{n: n, size: size, rounds: runs}
	ctx := context.Background()
	src := filepath.Join(tmp, "conc.bin")
	if err := makeSource(src, size); err != nil {
		return r, err
	}
	defer os.Remove(src)
	f, err := os.Open(src)
	if err != nil {
		return r, err
	}
	defer f.Close()
	bareDir := filepath.Join(tmp, "bare-conc")
	navDir := filepath.Join(tmp, "data-conc")
	os.RemoveAll(bareDir)
	os.RemoveAll(navDir)
	defer os.RemoveAll(bareDir)
	defer os.RemoveAll(navDir)
	bare, bareURL, err := start(self, "bare", "-dir", bareDir)
	if err != nil {
		return r, err
	}
	defer stop(bare)
	sender, _, err := makeUsers(bin, navDir)
	if err != nil {
		return r, err
	}
	nav, navURL, err := startNavette(bin, navDir, size, prof)
	if err != nil {
		return r, err
	}
	defer stop(nav)
	up, err := client.New(navURL, sender)
	if err != nil {
		return r, err
	}
	var bt, nt []time.Duration
	for round := 0; round < runs; round++ {
		c0 := cpuTime(bare.Process.Pid)
		t, err := timed(func() error {
			return parallel(n, func(i int) error {
				return barePut(bareURL+"/c"+strconv.Itoa(i), f, size)
			})
		})
		if err != nil {
			return r, fmt.Errorf("bare concurrent upload: %w", err)
		}
		r.bareCPU += cpuTime(bare.Process.Pid) - c0
		bt = append(bt, t)
		deposits := make([]*api.Deposit, n)
		for i := range deposits {
			if deposits[i], err = up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "bench"}); err != nil {
				return r, err
			}
		}
		if round == 0 {
			prof.start(fmt.Sprintf("conc%d.pprof", n))
		}
		c0 = cpuTime(nav.Process.Pid)
		t, err = timed(func() error {
			return parallel(n, func(i int) error {
				_, err := up.Upload(ctx, deposits[i].ID, "bench.bin", f, size, nil)
				return err
			})
		})
		if round == 0 {
			prof.stop()
		}
		if err != nil {
			return r, fmt.Errorf("navette concurrent upload: %w", err)
		}
		r.navCPU += cpuTime(nav.Process.Pid) - c0
		nt = append(nt, t)
	}
	r.bareRSS, r.navRSS = peakRSS(bare), peakRSS(nav)
	r.bare, r.nav = median(bt), median(nt)
	return r, nil
}

// parallel runs f(0) … f(n-1) at once and returns the first error.
func parallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func reportConcurrent(rows []concResult) {
	if len(rows) == 0 {
		return
	}
	fmt.Printf("\n%-22s %10s %10s %7s %9s %9s %9s %9s\n", "concurrent uploads", "bare MB/s", "nav MB/s", "ratio", "bare RSS", "nav RSS", "bare CPU", "nav CPU")
	fmt.Printf("%-22s %10s %10s %7s %9s %9s %9s %9s\n", "", "aggregate", "aggregate", "", "MiB", "MiB", "s/GiB", "s/GiB")
	for _, r := range rows {
		total := int64(r.n) * r.size
		b, v := mbps(total, r.bare), mbps(total, r.nav)
		moved := total * int64(r.rounds)
		fmt.Printf("%-22s %10.0f %10.0f %7.2f %9.1f %9.1f %9.2f %9.2f\n", fmt.Sprintf("%d x %s", r.n, human(r.size)), b, v, v/b,
			kib(r.bareRSS), kib(r.navRSS), cpuPerGiB(r.bareCPU, moved), cpuPerGiB(r.navCPU, moved))
	}
}

// schedHist is navette's histogram of goroutine scheduling latencies: the
// count of waits up to each bound, in seconds.
type schedHist struct {
	bounds []float64
	counts []uint64
}

// sched reads navette's scheduling latency histogram (nil without the
// profile listener).
func (p *profiler) sched() *schedHist {
	if p == nil {
		return nil
	}
	resp, err := http.Get("http://" + p.addr + "/sched")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	h := &schedHist{}
	for {
		var b float64
		var c uint64
		if _, err := fmt.Fscan(resp.Body, &b, &c); err != nil {
			break
		}
		h.bounds, h.counts = append(h.bounds, b), append(h.counts, c)
	}
	return h
}

// quantilesSince returns the q-quantiles, in ms, of the waits counted
// since the earlier histogram base, and their number.
func (h *schedHist) quantilesSince(base *schedHist, qs ...float64) ([]float64, uint64) {
	if h == nil || base == nil || len(base.counts) != len(h.counts) {
		return nil, 0
	}
	d := make([]uint64, len(h.counts))
	var total uint64
	for i := range d {
		d[i] = h.counts[i] - base.counts[i]
		total += d[i]
	}
	out := make([]float64, len(qs))
	for j, q := range qs {
		need, seen := uint64(q*float64(total)+0.5), uint64(0)
		for i, c := range d {
			if seen += c; seen >= need {
				out[j] = h.bounds[i] * 1000
				break
			}
		}
	}
	return out, total
}
