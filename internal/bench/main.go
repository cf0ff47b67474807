// Command bench measures navette's upload and download throughput and the
// server's peak memory against a bare Go HTTP handler that only writes the
// body to disk (with fsync) and serves it back, in the same run, on the same
// disk, over loopback. Run it with "make bench".
//
//	go run ./internal/bench [-sizes 256MiB,1GiB] [-runs 3] [-dir DIR]
//
// With -av ("make bench-av") it measures uploads scanned by a real clamd
// against unscanned ones, in the same run (see av.go).
//
// With -latency ("make bench-latency") it measures how soon a file is
// available after its last byte, beside the bare handler, and the API's
// latency at rest and under transfers (see latency.go).
//
// With -cluster ("make bench-cluster") it measures instead concurrent
// uploads to 1 and to 3 nodes sharing PostgreSQL and an S3 server, beside
// the S3 server's own PUT throughput (see cluster.go):
//
//	go run ./internal/bench -cluster [-uploads 20] [-size 100MiB] [-runs 3]
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette/api"
	"navette/client"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		if err := runBare(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench bare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	sizesFlag := flag.String("sizes", "256MiB,1GiB", "file sizes to transfer, comma-separated")
	runs := flag.Int("runs", 3, "transfers per size and direction (the median is shown)")
	base := flag.String("dir", "", "directory on the disk to measure (default: the system temp dir)")
	cluster := flag.Bool("cluster", false, "measure 1 and 3 nodes on PostgreSQL and S3 instead")
	av := flag.Bool("av", false, "measure uploads scanned by a real clamd against unscanned ones instead (av.go)")
	latency := flag.Bool("latency", false, "measure how soon a file of the largest size is available after its last byte, and the API's latency under -uploads uploads and as many downloads of -concurrent-size, instead (latency.go)")
	uploads := flag.Int("uploads", 20, "with -cluster or -latency: concurrent uploads, each its own deposit")
	sizeFlag := flag.String("size", "100MiB", "with -cluster: size of each upload")
	concFlag := flag.String("concurrent", "20", "concurrent upload counts to measure, comma-separated (empty: none)")
	concSize := flag.String("concurrent-size", "50MiB", "size of each concurrent upload")
	profDir := flag.String("profile", "", "build navette with -tags pprof and write CPU profiles of its upload, download and concurrent phases (with -cluster: of node 1 in the first 1-node run) into this directory")
	storeCore := flag.Bool("store-core", false, "with -cluster: run the S3 server on a core of its own and the rest on the others, as with the object store on machines of its own")
	storeTLS := flag.Bool("store-tls", false, "with -cluster: run the S3 server over HTTPS (the store URL's default), for the raw PUTs and the nodes")
	s3Params := flag.String("s3-params", "", "with -cluster: parameters added to the nodes' S3 blob URL, &-separated (part_buffers=16)")
	binFlag := flag.String("bin", "", "measure this navette binary instead of building one (to compare two builds in alternate runs)")
	flag.Parse()
	if *cluster {
		size, err := parseSize(*sizeFlag)
		if err != nil {
			return err
		}
		prof, err := newProfiler(*profDir)
		if err != nil {
			return err
		}
		return runCluster(clusterBench{base: *base, bin: *binFlag, prof: prof, storeCore: *storeCore, storeTLS: *storeTLS, s3Params: params(*s3Params)}, *uploads, size, *runs)
	}
	var sizes []int64
	for _, s := range strings.Split(*sizesFlag, ",") {
		if s == "" {
			continue
		}
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		sizes = append(sizes, n)
	}
	if *av {
		return runAV(*base, sizes, *runs)
	}
	prof, err := newProfiler(*profDir)
	if err != nil {
		return err
	}
	if *latency {
		csize, err := parseSize(*concSize)
		if err != nil {
			return err
		}
		return runLatency(latencyRun{base: *base, bin: *binFlag, prof: prof}, slices.Max(sizes), *uploads, csize, *runs)
	}
	tmp, err := os.MkdirTemp(*base, "navette-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := *binFlag
	if bin == "" {
		if bin, err = buildNavette(tmp, prof.tags()...); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	var rows []result
	for _, size := range sizes {
		src := filepath.Join(tmp, "source.bin")
		if err := makeSource(src, size); err != nil {
			return err
		}
		r, err := measure(tmp, bin, self, src, size, *runs, prof)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		os.Remove(src)
	}
	var conc []concResult
	if *concFlag != "" {
		csize, err := parseSize(*concSize)
		if err != nil {
			return err
		}
		for _, c := range strings.Split(*concFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || n <= 0 {
				return fmt.Errorf("bad count %q", c)
			}
			r, err := measureConcurrent(tmp, bin, self, n, csize, *runs, prof)
			if err != nil {
				return err
			}
			conc = append(conc, r)
		}
	}
	report(rows, *runs, tmp)
	reportConcurrent(conc)
	return nil
}

// buildNavette builds the navette command into dir.
func buildNavette(dir string, flags ...string) (string, error) {
	fmt.Printf("building navette…\n")
	bin := filepath.Join(dir, "navette")
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, "./cmd/navette")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building navette: %w", err)
	}
	return bin, nil
}

type result struct {
	size                                 int64
	runs                                 int
	bareUp, navUp, bareDown, navDown     time.Duration
	hash                                 time.Duration // one core's SHA-256 of the file
	bareRSSUp, navRSSUp, bareRSS, navRSS int64         // peak RSS after uploads, after everything (KiB)
	bareCPUUp, navCPUUp                  time.Duration // server CPU over all uploads
	bareCPUDown, navCPUDown              time.Duration // server CPU over all downloads
	bareSysUp, navSysUp                  time.Duration // of the uploads' CPU, the kernel's
	bareSysDown, navSysDown              time.Duration // of the downloads' CPU, the kernel's
	bareAllUp, navAllUp                  time.Duration // the machine's CPU but the bench's, over all uploads
	bareAllDown, navAllDown              time.Duration // likewise over all downloads
	bareCSUp, navCSUp                    int64         // server context switches over all uploads
	bareCSDown, navCSDown                int64         // likewise over all downloads
	phases                               []phases      // of each navette upload
}

// phases splits a navette upload's time: the deposit's creation, the
// upload (tus POST and PATCH), the submission.
type phases struct {
	last                   time.Time
	create, upload, submit time.Duration
}

// mark sets *d to the time since the last mark.
func (p *phases) mark(d *time.Duration) {
	now := time.Now()
	*d = now.Sub(p.last)
	p.last = now
}

func measure(tmp, bin, self, src string, size int64, runs int, prof *profiler) (result, error) {
	r := result{size: size, runs: runs}
	ctx := context.Background()

	// A fresh pair of servers for each size, so peak memory is per size.
	bareDir := filepath.Join(tmp, "bare")
	navDir := filepath.Join(tmp, "data")
	os.RemoveAll(bareDir)
	os.RemoveAll(navDir)
	bare, bareURL, err := start(self, "bare", "-dir", bareDir)
	if err != nil {
		return r, err
	}
	defer stop(bare)

	sender, recipient, err := makeUsers(bin, navDir)
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
	down, err := client.New(navURL, recipient)
	if err != nil {
		return r, err
	}
	f, err := os.Open(src)
	if err != nil {
		return r, err
	}
	defer f.Close()

	var bu, nu, bd, nd, ht []time.Duration
	var deposits []*api.Deposit
	for i := 0; i < runs; i++ {
		c0, s0, a0, x0 := cpuTime(bare.Process.Pid), sysTime(bare.Process.Pid), outside(), switches(bare.Process.Pid)
		t, err := timed(func() error { return barePut(bareURL+"/f"+strconv.Itoa(i), f, size) })
		if err != nil {
			return r, fmt.Errorf("bare upload: %w", err)
		}
		r.bareCPUUp += cpuTime(bare.Process.Pid) - c0
		r.bareSysUp += sysTime(bare.Process.Pid) - s0
		r.bareAllUp += outside() - a0
		r.bareCSUp += switches(bare.Process.Pid) - x0
		bu = append(bu, t)
		if i == 0 {
			prof.save("block", fmt.Sprintf("up-%s-block-base.pprof", human(size)))
			prof.start(fmt.Sprintf("up-%s.pprof", human(size)))
		}
		c0, s0, a0, x0 = cpuTime(nav.Process.Pid), sysTime(nav.Process.Pid), outside(), switches(nav.Process.Pid)
		var d *api.Deposit
		var ph phases
		t, err = timed(func() error {
			ph.last = time.Now()
			d, err = up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "bench"})
			if err != nil {
				return err
			}
			ph.mark(&ph.create)
			if _, err := up.Upload(ctx, d.ID, "bench.bin", f, size, nil); err != nil {
				return err
			}
			ph.mark(&ph.upload)
			d, err = up.Submit(ctx, d.ID)
			ph.mark(&ph.submit)
			return err
		})
		if i == 0 {
			prof.stop()
			prof.save("block", fmt.Sprintf("up-%s-block.pprof", human(size)))
		}
		r.phases = append(r.phases, ph)
		if err != nil {
			return r, fmt.Errorf("navette upload: %w", err)
		}
		r.navCPUUp += cpuTime(nav.Process.Pid) - c0
		r.navSysUp += sysTime(nav.Process.Pid) - s0
		r.navAllUp += outside() - a0
		r.navCSUp += switches(nav.Process.Pid) - x0
		nu = append(nu, t)
		deposits = append(deposits, d)
		if t, err = hashTime(src); err != nil {
			return r, err
		}
		ht = append(ht, t)
	}
	r.bareRSSUp, r.navRSSUp = peakRSS(bare), peakRSS(nav)
	for i := 0; i < runs; i++ {
		c0, s0, a0, x0 := cpuTime(bare.Process.Pid), sysTime(bare.Process.Pid), outside(), switches(bare.Process.Pid)
		t, err := timed(func() error { return bareGet(bareURL + "/f" + strconv.Itoa(i)) })
		if err != nil {
			return r, fmt.Errorf("bare download: %w", err)
		}
		r.bareCPUDown += cpuTime(bare.Process.Pid) - c0
		r.bareSysDown += sysTime(bare.Process.Pid) - s0
		r.bareAllDown += outside() - a0
		r.bareCSDown += switches(bare.Process.Pid) - x0
		bd = append(bd, t)
		d := deposits[i]
		if i == 0 {
			prof.start(fmt.Sprintf("down-%s.pprof", human(size)))
		}
		c0, s0, a0, x0 = cpuTime(nav.Process.Pid), sysTime(nav.Process.Pid), outside(), switches(nav.Process.Pid)
		t, err = timed(func() error {
			info, err := down.Download(ctx, d.ID, d.Files[0].ID, io.Discard, 0)
			if err == nil && info.Size != size {
				err = fmt.Errorf("downloaded %d bytes, want %d", info.Size, size)
			}
			return err
		})
		if i == 0 {
			prof.stop()
		}
		if err != nil {
			return r, fmt.Errorf("navette download: %w", err)
		}
		r.navCPUDown += cpuTime(nav.Process.Pid) - c0
		r.navSysDown += sysTime(nav.Process.Pid) - s0
		r.navAllDown += outside() - a0
		r.navCSDown += switches(nav.Process.Pid) - x0
		nd = append(nd, t)
	}
	r.bareRSS, r.navRSS = peakRSS(bare), peakRSS(nav)
	r.bareUp, r.navUp, r.bareDown, r.navDown = median(bu), median(nu), median(bd), median(nd)
	r.hash = median(ht)
	return r, nil
}

func report(rows []result, runs int, dir string) {
	fmt.Printf("\nnavette bench: median of %d transfers per figure, loopback, same disk (%s), load %s\n", runs, dir, loadAvg())
	fmt.Printf("baseline: a bare Go handler that writes the body to a file with fsync, and serves it with http.ServeFile;\n")
	fmt.Printf("the download's limit is the slower of that ServeFile and one core's SHA-256 of the file (navette verifies it as it serves)\n")
	fmt.Printf("CPU: the server's (sys: its kernel share); all: the whole machine's but the bench's own, with the kernel's threads (writeback, network)\n\n")
	fmt.Printf("%-9s %-9s %12s %12s %12s %7s %11s %11s %9s %9s %9s %9s\n", "size", "transfer", "bare MB/s", "limit MB/s", "navette MB/s", "ratio", "bare CPU", "navette CPU", "bare sys", "nav sys", "bare all", "nav all")
	fmt.Printf("%-9s %-9s %12s %12s %12s %7s %11s %11s %9s %9s %9s %9s\n", "", "", "", "", "", "", "s/GiB", "s/GiB", "s/GiB", "s/GiB", "s/GiB", "s/GiB")
	for _, r := range rows {
		moved := r.size * int64(r.runs)
		for _, x := range []struct {
			name             string
			bare, limit, nav time.Duration
			bareCPU, navCPU  time.Duration
			bareSys, navSys  time.Duration
			bareAll, navAll  time.Duration
		}{{"upload", r.bareUp, r.bareUp, r.navUp, r.bareCPUUp, r.navCPUUp, r.bareSysUp, r.navSysUp, r.bareAllUp, r.navAllUp},
			{"download", r.bareDown, max(r.bareDown, r.hash), r.navDown, r.bareCPUDown, r.navCPUDown, r.bareSysDown, r.navSysDown, r.bareAllDown, r.navAllDown}} {
			b, l, n := mbps(r.size, x.bare), mbps(r.size, x.limit), mbps(r.size, x.nav)
			fmt.Printf("%-9s %-9s %12.0f %12.0f %12.0f %7.2f %11.2f %11.2f %9.2f %9.2f %9.2f %9.2f\n", human(r.size), x.name, b, l, n, n/l, cpuPerGiB(x.bareCPU, moved), cpuPerGiB(x.navCPU, moved), cpuPerGiB(x.bareSys, moved), cpuPerGiB(x.navSys, moved), cpuPerGiB(x.bareAll, moved), cpuPerGiB(x.navAll, moved))
		}
		fmt.Printf("%-9s %-9s %12s %12.0f\n", human(r.size), "sha-256", "", mbps(r.size, r.hash))
	}
	fmt.Printf("\nserver context switches per MiB moved (every thread's, voluntary and not)\n")
	fmt.Printf("%-9s %-9s %12s %12s\n", "size", "transfer", "bare", "navette")
	for _, r := range rows {
		mib := float64(r.size*int64(r.runs)) / (1 << 20)
		fmt.Printf("%-9s %-9s %12.1f %12.1f\n", human(r.size), "upload", float64(r.bareCSUp)/mib, float64(r.navCSUp)/mib)
		fmt.Printf("%-9s %-9s %12.1f %12.1f\n", human(r.size), "download", float64(r.bareCSDown)/mib, float64(r.navCSDown)/mib)
	}
	fmt.Printf("\nnavette uploads, ms: creating the deposit, uploading (tus POST + PATCH), submitting\n")
	for _, r := range rows {
		for _, p := range r.phases {
			fmt.Printf("%-9s %8d %8d %8d\n", human(r.size), p.create.Milliseconds(), p.upload.Milliseconds(), p.submit.Milliseconds())
		}
	}
	fmt.Printf("\n%-9s %22s %22s\n", "size", "bare peak RSS MiB", "navette peak RSS MiB")
	fmt.Printf("%-9s %11s %10s %11s %10s\n", "", "uploads", "all", "uploads", "all")
	for _, r := range rows {
		fmt.Printf("%-9s %11.1f %10.1f %11.1f %10.1f\n", human(r.size), kib(r.bareRSSUp), kib(r.bareRSS), kib(r.navRSSUp), kib(r.navRSS))
	}
}

func kib(k int64) float64 { return float64(k) / 1024 }

func mbps(size int64, d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func timed(f func() error) (time.Duration, error) {
	t := time.Now()
	err := f()
	return time.Since(t), err
}

func human(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return strconv.FormatInt(n>>30, 10) + "GiB"
	}
	return strconv.FormatInt(n>>20, 10) + "MiB"
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// makeSource writes size random bytes.
func makeSource(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.CopyN(w, rand.Reader, size); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// makeUsers creates a sender and a recipient with the admin CLI, as an
// operator would, and returns their tokens. extra is added to the admin
// commands' flags (e.g. --db URL).
func makeUsers(bin, data string, extra ...string) (sender, recipient string, err error) {
	if err := os.MkdirAll(data, 0o700); err != nil { // as the package makes it: admin takes an existing one
		return "", "", err
	}
	for _, u := range [][]string{{"greffe@bench.example", "agent"}, {"avocat@bench.example", "partner"}} {
		args := append([]string{"admin", "user", "add", "--data", data, "--email", u[0], "--name", "Bench", "--role", u[1]}, extra...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("user add: %v: %s", err, out)
		}
	}
	tok := func(email string) (string, error) {
		out, err := exec.Command(bin, append([]string{"admin", "token", "create", "--data", data, "--email", email}, extra...)...).Output()
		lines := strings.Fields(string(out))
		if err != nil || len(lines) == 0 {
			return "", fmt.Errorf("token create: %v", err)
		}
		return lines[len(lines)-1], nil
	}
	if sender, err = tok("greffe@bench.example"); err != nil {
		return "", "", err
	}
	recipient, err = tok("avocat@bench.example")
	return sender, recipient, err
}

// start runs a server and waits for the URL it prints on stderr.
func start(bin string, args ...string) (*exec.Cmd, string, error) {
	return startCmd(exec.Command(bin, args...))
}

// startCmd is start for a command set up by the caller.
func startCmd(cmd *exec.Cmd) (*exec.Cmd, string, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "http://"); i >= 0 && !sent {
				u := strings.Fields(line[i:])[0]
				urls <- u
				sent = true
			} else if sent {
				fmt.Fprintln(os.Stderr, "server:", line)
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return nil, "", errors.New("server did not start")
	}
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

// peakRSS returns the process's peak resident set size in KiB (VmHWM).
func peakRSS(cmd *exec.Cmd) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func barePut(url string, f *os.File, size int64) error {
	req, err := http.NewRequest("PUT", url, io.NewSectionReader(f, 0, size))
	if err != nil {
		return err
	}
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func bareGet(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// runBare is the baseline server: PUT writes the body to a file, fsyncs it,
// renames it into place and fsyncs the directory; GET serves it.
func runBare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	dir := fs.String("dir", "", "directory")
	fs.Parse(args)
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bare: serving http://%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /{name}", func(w http.ResponseWriter, r *http.Request) {
		final := filepath.Join(*dir, filepath.Base(r.PathValue("name")))
		f, err := os.CreateTemp(*dir, "up-")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_, err = io.Copy(f, r.Body)
		if err == nil {
			err = f.Sync()
		}
		if e := f.Close(); err == nil {
			err = e
		}
		if err == nil {
			err = os.Rename(f.Name(), final)
		}
		if err == nil {
			var d *os.File
			if d, err = os.Open(*dir); err == nil {
				err = d.Sync()
				d.Close()
			}
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /{name}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(*dir, filepath.Base(r.PathValue("name"))))
	})
	return http.Serve(ln, mux)
}

// params splits the &-separated parameters of -s3-params; none for "".
func params(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "&")
}
