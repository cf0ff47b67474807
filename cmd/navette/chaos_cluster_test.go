package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/internal/testpg"
	"navette/internal/tests3"
)

// pgCluster serves nodes "navette serve" on one PostgreSQL database and one
// S3 bucket, each with a data directory of its own holding the same keys,
// and restarts PostgreSQL (at once, as after a crash) tries times while
// deposits (create, upload, submit, each step on another node) and
// downloads of the deposits acknowledged run against every node. Every
// answer of 500 or more meanwhile must be 503 with Retry-After; every
// deposit whose submission was acknowledged downloads whole from every
// node at the end.
func pgCluster(t *testing.T, row *chaosRow, bin string, pg *testpg.Server, s3 *tests3.Server, nodes, tries int) {
	s3.Setenv(t)
	args := []string{"--db", pg.NewDatabase(t), "--blobs", s3.URL(s3.NewBucket(t))}
	base := t.TempDir()
	first := newChaos(t, bin, filepath.Join(base, "node1"), args...)
	servers := []*server{first.srv}
	for i := 2; i <= nodes; i++ {
		data := filepath.Join(base, "node"+strconv.Itoa(i))
		copyKeys(t, filepath.Join(first.data, "keys"), filepath.Join(data, "keys"))
		servers = append(servers, startServer(t, bin, data, args...))
	}
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.cmd.Process.Kill()
			s.wait(t)
		}
	})

	var (
		mu       sync.Mutex
		answers  = map[string]int{}
		bad      []string
		acked    []ackedDeposit
		serial   atomic.Uint64
		failures atomic.Int64
	)
	watch := &watchingTransport{see: func(r *http.Response) {
		mu.Lock()
		defer mu.Unlock()
		if r.StatusCode >= 500 {
			answers[strconv.Itoa(r.StatusCode)]++
			if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				bad = append(bad, fmt.Sprintf("%s %s: %s, Retry-After %q", r.Request.Method, r.Request.URL.Path, r.Status, r.Header.Get("Retry-After")))
			}
		}
	}}
	clientOf := func(i int, token string) *client.Client {
		cl, err := client.New(servers[i].url, token, client.WithHTTPClient(&http.Client{Transport: watch}))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	var agents, lawyers []*client.Client
	for i := range servers {
		agents, lawyers = append(agents, clientOf(i, first.sender)), append(lawyers, clientOf(i, first.recipient))
	}
	load, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	const size = 1 << 20
	uploader := func() {
		for load.Err() == nil {
			k := serial.Add(1)
			n := int(k) % len(servers)
			src := newStream(7000 + k)
			ctx, cancel := context.WithTimeout(load, 90*time.Second)
			d, err := agents[n].CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: fmt.Sprintf("RG 26/14 cluster %d", k)})
			var fid string
			if err == nil {
				fid, err = agents[(n+1)%len(servers)].Upload(ctx, d.ID, "grappe.bin", io.NewSectionReader(readerAt{src}, 0, size), size, nil)
			}
			if err == nil {
				_, err = agents[(n+2)%len(servers)].Submit(ctx, d.ID)
			}
			cancel()
			if err != nil {
				if load.Err() == nil {
					failures.Add(1)
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			mu.Lock()
			acked = append(acked, ackedDeposit{d.ID, fid, src})
			mu.Unlock()
		}
	}
	downloader := func() {
		for i := 0; load.Err() == nil; i++ {
			mu.Lock()
			var a ackedDeposit
			if len(acked) > 0 {
				a = acked[i%len(acked)]
			}
			mu.Unlock()
			if a.id == "" {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			ctx, cancel := context.WithTimeout(load, 90*time.Second)
			if err := downloadWhole(ctx, lawyers[i%len(servers)], a, size); err != nil && load.Err() == nil {
				if strings.Contains(err.Error(), "differs") {
					row.lose(t, "a download during the restarts: %v", err)
				}
				failures.Add(1)
				time.Sleep(100 * time.Millisecond)
			}
			cancel()
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(uploader)
	}
	wg.Go(downloader)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	for i := range tries {
		before := count()
		if !waitFor(2*time.Minute, func() bool { return count() >= before+3 }) {
			row.fail(t, "try %d: no deposit acknowledged within 2 min", i)
		}
		row.tries++
		if err := pg.Restart(); err != nil {
			t.Fatalf("restarting PostgreSQL: %v", err)
		}
		after := count()
		if !waitFor(3*time.Minute, func() bool { return count() >= after+3 }) {
			row.fail(t, "try %d: no deposit acknowledged within 3 min of the restart", i)
		}
	}
	stopLoad()
	wg.Wait()
	for i, a := range acked {
		if err := downloadWhole(context.Background(), lawyers[i%len(servers)], a, size); err != nil {
			row.lose(t, "deposit %s, acknowledged: %v", a.id, err)
		}
	}
	for _, b := range bad {
		row.fail(t, "an answer during the restarts: %s", b)
	}
	if len(bad) > 0 {
		for i, s := range servers {
			var errs []string
			for _, l := range strings.Split(s.log.String(), "\n") {
				for _, b := range bad {
					for _, seg := range strings.Split(strings.Fields(b)[1], "/") {
						if navette.ValidID(seg) && strings.Contains(l, seg) && !strings.Contains(l, "upload committed") {
							errs = append(errs, l)
						}
					}
				}
			}
			t.Logf("node %d, lines about the requests answered badly:\n%s", i+1, strings.Join(errs, "\n"))
		}
	}
	o := "none"
	for i, k := range slices.Sorted(maps.Keys(answers)) {
		if i == 0 {
			o = ""
		} else {
			o += ", "
		}
		o += fmt.Sprintf("%s ×%d", k, answers[k])
	}
	row.notes = append(row.notes, fmt.Sprintf("%d nodes; %d deposits acknowledged and downloaded whole; %d operations failed and were tried again; answers 5xx: %s",
		len(servers), len(acked), failures.Load(), o))
	first.journalIntactDB(t, row, args[1])
}

// copyKeys copies the key directory from to a new directory to, as an
// operator gives every node the same keys: directories 0700, files 0600.
func copyKeys(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ackedDeposit is a deposit whose submission was acknowledged.
type ackedDeposit struct {
	id, file string
	src      stream
}

// downloadWhole downloads the file of a and compares it with its source.
func downloadWhole(ctx context.Context, cl *client.Client, a ackedDeposit, size int64) error {
	h := sha256.New()
	if _, err := cl.Download(ctx, a.id, a.file, h, 0); err != nil {
		return err
	}
	want := sha256.New()
	if _, err := io.Copy(want, a.src.reader(0, size)); err != nil {
		return err
	}
	if string(h.Sum(nil)) != string(want.Sum(nil)) {
		return navette.Errorf(navette.EINTERNAL, "the file downloaded differs from the one deposited")
	}
	return nil
}

// watchingTransport shows every answer to see.
type watchingTransport struct{ see func(*http.Response) }

func (w *watchingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		w.see(resp)
	}
	return resp, err
}

// journalIntactDB checks the journal kept in the database db.
func (c *chaos) journalIntactDB(t *testing.T, row *chaosRow, db string) {
	out, err := exec.Command(c.bin, "admin", "journal", "verify", "--data", c.data, "--db", db).CombinedOutput()
	if err != nil {
		row.lose(t, "the journal's integrity: %v\n%s", err, out)
	}
}
