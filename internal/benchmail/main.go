// Command benchmail measures how fast navette delivers e-mail notices and
// whether its memory stays flat as the outbox grows: for each size it
// queues that many notices in a fresh SQLite outbox, then drains them with
// the delivery worker through a real SMTP server (STARTTLS and AUTH, on
// 127.0.0.1), and reports notices per second with the worker's heap and
// the process's peak RSS. Each size runs in a child process of its own, so
// that its peak RSS is its own; the SMTP server runs in the parent. Run it
// with "make bench-mail".
//
//	go run ./internal/benchmail [-sizes 1000,10000] [-dir DIR]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"navette"
	"navette/internal/testsmtp"
	"navette/keyring"
	"navette/notify"
	"navette/smtp"
	"navette/sqlite"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "drain" {
		if err := drain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "benchmail drain:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmail:", err)
		os.Exit(1)
	}
}

// result is what a child reports, as one JSON line.
type result struct {
	N             int     `json:"n"`
	QueueSeconds  float64 `json:"queue_s"`
	DrainSeconds  float64 `json:"drain_s"`
	HeapQueuedMiB float64 `json:"heap_queued_mib"` // live heap once queued, before draining
	PeakHeapMiB   float64 `json:"peak_heap_mib"`   // highest heap in use while draining
	PeakRSSMiB    float64 `json:"peak_rss_mib"`    // VmHWM of the process
	Sent          int     `json:"sent"`
}

func run() error {
	sizes := flag.String("sizes", "1000,10000", "numbers of queued notices to drain, comma-separated")
	base := flag.String("dir", "", "directory for the databases (default: the system temp dir)")
	flag.Parse()
	tmp, err := os.MkdirTemp(*base, "navette-benchmail-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("navette mail benchmark — %s/%s, %d CPUs, SQLite (synchronous=FULL) in %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), tmp)
	fmt.Printf("worker: batches of %d, %d sends at once; SMTP: go-smtp on 127.0.0.1, STARTTLS + AUTH PLAIN, connections reused\n\n",
		notify.DefaultBatch, notify.DefaultConcurrency)
	fmt.Printf("%8s  %9s  %9s  %11s  %14s  %14s  %12s\n", "queued", "queue s", "drain s", "notices/s", "heap queued", "peak heap", "peak RSS")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad size %q", s)
		}
		srv, err := testsmtp.New(filepath.Join(tmp, "smtp-"+s), testsmtp.Options{Discard: true})
		if err != nil {
			return err
		}
		r, err := child(self, n, srv.URL(), filepath.Join(tmp, "run-"+s))
		got := srv.Count()
		srv.Close()
		if err != nil {
			return err
		}
		if got != n || r.Sent != n {
			return fmt.Errorf("%d queued, %d recorded sent, %d received by the server", n, r.Sent, got)
		}
		fmt.Printf("%8d  %9.2f  %9.2f  %11.0f  %10.1f MiB  %10.1f MiB  %8.1f MiB\n",
			n, r.QueueSeconds, r.DrainSeconds, float64(n)/r.DrainSeconds, r.HeapQueuedMiB, r.PeakHeapMiB, r.PeakRSSMiB)
	}
	fmt.Println("\nEvery notice was received once by the server (counted) and recorded sent.")
	return nil
}

// child runs one size in a child process and returns its result.
func child(self string, n int, url, dir string) (result, error) {
	cmd := exec.Command(self, "drain", "-n", strconv.Itoa(n), "-smtp", url, "-dir", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var r result
	sc := bufio.NewScanner(out)
	found := false
	for sc.Scan() {
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.N == n {
			found = true
		}
	}
	if err := cmd.Wait(); err != nil {
		return r, fmt.Errorf("drain of %d: %w", n, err)
	}
	if !found {
		return r, fmt.Errorf("drain of %d printed no result", n)
	}
	return r, nil
}

// drain queues n notices and delivers them, then prints its result.
func drain(args []string) error {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	n := fs.Int("n", 1000, "notices to queue")
	url := fs.String("smtp", "", "SMTP server URL")
	dir := fs.String("dir", "", "directory of the outbox")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	meta, err := sqlite.Open(filepath.Join(*dir, "navette.db"))
	if err != nil {
		return err
	}
	defer meta.Close()
	keys, err := keyring.Open(filepath.Join(*dir, "keys"))
	if err != nil {
		return err
	}
	clock := navette.SystemClock{}

	// A sender and 100 recipients; each notice to one of them.
	sender := &navette.User{ID: navette.NewID(), Email: "greffe@justice.example", Name: "Greffe correctionnel, TJ Amiens", Role: navette.RoleAgent, CreatedAt: clock.Now()}
	if err := meta.CreateUser(ctx, sender); err != nil {
		return err
	}
	var users []*navette.User
	for i := range 100 {
		u := &navette.User{ID: navette.NewID(), Email: fmt.Sprintf("avocat%03d@avocat.example", i), Name: fmt.Sprintf("Maître %03d", i), Role: navette.RolePartner, CreatedAt: clock.Now()}
		if err := meta.CreateUser(ctx, u); err != nil {
			return err
		}
		users = append(users, u)
	}
	start := time.Now()
	const perTx = 500
	for done := 0; done < *n; {
		ev := navette.Event{Time: clock.Now(), Type: navette.EventDepositAvailable, DepositID: navette.NewID()}
		for i := 0; i < perTx && done < *n; i, done = i+1, done+1 {
			d := &notify.Data{Reference: fmt.Sprintf("Parquet 26/%05d", done), Files: 3, ExpiresAt: clock.Now().Add(7 * 24 * time.Hour),
				Sender: notify.Person{Name: sender.Name, Email: sender.Email}}
			nt, err := notify.NewNotice(keys, navette.NoticeDeposit, users[done%len(users)].ID, ev.DepositID, clock.Now(), d)
			if err != nil {
				return err
			}
			ev.Notices = append(ev.Notices, nt)
		}
		if err := meta.AppendEvents(ctx, ev); err != nil {
			return err
		}
	}
	queued := time.Since(start)
	// Twice: the schema migration leaves large buffers in a sync.Pool,
	// which only a second collection frees.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapQueued := ms.HeapAlloc

	m, err := smtp.New(smtp.Config{URL: *url})
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := notify.NewRenderer("https://navette.justice.example", notify.Address{Name: "navette", Email: "noreply@justice.example"}, false)
	if err != nil {
		return err
	}
	w := &notify.Worker{Meta: meta, Keys: keys, Mailer: m, Renderer: r, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	// Sample the heap while draining.
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	start = time.Now()
	for {
		claimed, err := w.RunOnce(ctx)
		if err != nil {
			return err
		}
		if claimed == 0 {
			break
		}
	}
	drained := time.Since(start)
	close(stop)
	wg.Wait()
	rss := peakRSS() // before the checks below, which read much

	ns, err := meta.Notices(ctx, navette.NoticeFilter{State: navette.NoticePending, Limit: 1})
	if err != nil {
		return err
	}
	if len(ns) > 0 {
		return fmt.Errorf("notice %s still pending after the drain (%s)", ns[0].ID, ns[0].LastError)
	}
	sent := 0
	for after := int64(0); ; {
		evs, err := meta.Events(ctx, navette.EventFilter{AfterSeq: after, Limit: 1000})
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Type == navette.EventNoticeSent {
				sent++
			}
		}
		after = evs[len(evs)-1].Seq
	}
	return json.NewEncoder(os.Stdout).Encode(result{
		N: *n, QueueSeconds: queued.Seconds(), DrainSeconds: drained.Seconds(),
		HeapQueuedMiB: mib(heapQueued), PeakHeapMiB: mib(peak.Load()), PeakRSSMiB: mib(rss), Sent: sent,
	})
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// peakRSS returns the process's peak resident set (VmHWM), or 0 where
// /proc does not tell.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
