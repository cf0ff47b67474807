package app_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/deposit"
	"navette/internal/testpg"
	"navette/seal"
)

// TestDownloadLimitRace: downloads of a file capped at one complete
// download, by the same recipient, that all start below the cap at once
// (every answer's headers and first bytes received before any reads on),
// end with exactly one complete body and one download recorded; the
// others are cut before their last bytes and refused for the cap. On
// SQLite and on PostgreSQL, for two and for ten downloads, and on two
// nodes sharing a PostgreSQL database, the downloads spread over both.
func TestDownloadLimitRace(t *testing.T) {
	pg := testpg.Start(t)
	for _, db := range []struct {
		name  string
		tweak func(*app.Config)
	}{
		{"sqlite", func(*app.Config) {}},
		{"postgres", func(c *app.Config) { c.DB = pg.NewDatabase(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			e := newEnv(t, db.tweak)
			for _, n := range []int{2, 10} {
				e.raceDownloads(t, n, e.url)
			}
		})
	}
	t.Run("two nodes", func(t *testing.T) {
		dsn := pg.NewDatabase(t)
		e := newEnv(t, func(c *app.Config) { c.DB = dsn })
		other := apptest.Start(t, e.clock, func(c *app.Config) { c.DB, c.DataDir = dsn, e.dir })
		for _, n := range []int{2, 10} {
			e.raceDownloads(t, n, e.url, other.URL())
		}
	})
}

// raceDownloads sends a deposit capped at one download and fetches its
// file n times at once through the API of the nodes at urls in turn, as
// told for TestDownloadLimitRace.
func (e *env) raceDownloads(t *testing.T, n int, urls ...string) {
	// Larger than what the sockets hold (the client's receive buffer is
	// set small, the server's send buffer grows to 4 MiB at most), so that
	// no answer can reach its last segment before its client reads on.
	size := 12<<20 + seal.SegmentSize/2
	// A new window of refusals, so that this round's first is journaled
	// at once (deposit.DenyWindow).
	e.clock.Advance(deposit.DenyWindow)
	data := randomBytes(size, uint64(40+n))
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "Parquet 26/00044",
		RetentionDays: 7, MaxDownloads: 1}, http.StatusCreated, &d)
	e.upload(e.agent, d.ID, "scellé.bin", data)
	d = e.submit(e.agent, d.ID)
	f := d.Files[0]

	client := &http.Client{Transport: &http.Transport{DialContext: smallWindowDialer().DialContext, DisableKeepAlives: true}}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var (
		started, done sync.WaitGroup
		release       = make(chan struct{})
		mu            sync.Mutex
		complete, cut int
	)
	for i := range n {
		started.Add(1)
		done.Go(func() {
			body, ok := e.slowFetch(ctx, t, client, urls[i%len(urls)]+filePath(d, f), &started, release)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ok && bytes.Equal(body, data):
				complete++
			case !ok && len(body) < size:
				cut++
			default:
				t.Errorf("a download ended with %d bytes, complete: %v", len(body), ok)
			}
		})
	}
	started.Wait()
	close(release)
	done.Wait()
	if complete != 1 || cut != n-1 {
		t.Errorf("%d downloads at once under a cap of 1: %d complete, %d cut; want 1 and %d", n, complete, cut, n-1)
	}
	waitFor(t, "the download recorded", func() bool { return len(e.downloads(t, f.ID)) >= 1 })
	if got := len(e.downloads(t, f.ID)); got != 1 {
		t.Errorf("%d downloads at once under a cap of 1: %d recorded, want 1", n, got)
	}
	denied := false
	evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		denied = denied || ev.Type == navette.EventAccessDenied && ev.Detail == "download_limit"
	}
	if !denied {
		t.Errorf("no refusal for the cap journaled for the downloads cut")
	}
	resp, body := e.fetch(t, route{"api", filePath, func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+e.lawyer) }}, "GET", d, f)
	if p := e.problem(resp, body, http.StatusGone); p.Type != navette.ProblemDownloadLimit {
		t.Errorf("a download after the race: %+v", p)
	}
}

// slowFetch GETs url as the lawyer, tells started once the answer's
// headers came (the download started), reads on only once release is
// closed, and returns the body and whether it came whole.
func (e *env) slowFetch(ctx context.Context, t *testing.T, client *http.Client, url string, started *sync.WaitGroup, release <-chan struct{}) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Error(err)
		started.Done()
		return nil, false
	}
	req.Header.Set("Authorization", "Bearer "+e.lawyer)
	resp, err := client.Do(req)
	started.Done()
	if err != nil {
		t.Errorf("a download did not start: %v", err)
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a download did not start: %d", resp.StatusCode)
		return nil, false
	}
	<-release
	body, err := io.ReadAll(resp.Body)
	return body, err == nil
}

// smallWindowDialer dials with a small receive buffer, so that a server
// writing to a client that reads nothing blocks soon.
func smallWindowDialer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}
