// Package apptest boots a whole navette node for tests: the real server
// on a free port of 127.0.0.1, over a temporary data directory (SQLite and
// a local disk), stopped when the test ends. Only tests import it.
package apptest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testopenapi"
	"navette/internal/testsqlite"
)

// testLogger discards the node's logs, unless NAVETTE_TEST_LOG names a
// level (debug, info, warn, error): then they go to standard error from it.
// Whatever NAVETTE_TEST_LOG says, they are also written at debug level to
// the suite's log (SuiteLog) when NAVETTE_TEST_LOG_DIR is set.
func testLogger() *slog.Logger {
	var hs []slog.Handler
	if v := os.Getenv("NAVETTE_TEST_LOG"); v != "" {
		var level slog.Level
		if err := level.UnmarshalText([]byte(v)); err != nil {
			level = slog.LevelInfo
		}
		hs = append(hs, slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	if w := SuiteLog(); w != nil {
		hs = append(hs, slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	switch len(hs) {
	case 0:
		return slog.New(slog.DiscardHandler)
	case 1:
		return slog.New(hs[0])
	}
	return slog.New(slog.NewMultiHandler(hs...))
}

var suiteLog = sync.OnceValue(func() io.Writer {
	dir := os.Getenv("NAVETTE_TEST_LOG_DIR")
	if dir == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%s-%d.log", filepath.Base(os.Args[0]), os.Getpid())), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		panic(fmt.Sprintf("NAVETTE_TEST_LOG_DIR: %v", err))
	}
	return &lockedWriter{w: f}
})

// SuiteLog returns where the test suite collects the logs of every node
// its tests boot, to search them for the canaries tests plant (a file of
// NAVETTE_TEST_LOG_DIR, shared by the process), or nil when the variable is
// not set. Tests that make their own logger tee it there.
func SuiteLog() io.Writer { return suiteLog() }

// lockedWriter serialises writes from several handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Start boots a node on clock, with the test defaults (temporary data
// directory, free port, no logs, the sweeper left to the test) changed by
// tweak, and stops it when t ends.
func Start(t testing.TB, clock navette.Clock, tweak ...func(*app.Config)) *app.App {
	t.Helper()
	dir := t.TempDir()
	testsqlite.Seed(t, filepath.Join(dir, "navette.db")) // where the node opens its own (app.Config.DB's default)
	cfg := app.Config{
		DataDir:       dir,
		Addr:          "127.0.0.1:0",
		Clock:         clock,
		SweepInterval: time.Hour, // tests sweep by hand
		Logger:        testLogger(),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := app.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	return a
}

// openAPI is the OpenAPI document the first node served, compiled once
// for the process: every node serves the same embedded document.
var openAPI struct {
	once sync.Once
	doc  *testopenapi.Doc
	err  error
}

// Client returns an HTTP client for a's API that holds every answer to the
// OpenAPI document a serves: an answer the document does not allow (a
// status the operation does not list, a JSON body its schema refuses…)
// fails t when it ends, naming the operation, the status and the JSON
// pointer of what differs.
func Client(t testing.TB, a *app.App) *http.Client {
	t.Helper()
	openAPI.once.Do(func() {
		resp, err := http.Get(a.URL() + api.PathOpenAPI)
		if err != nil {
			openAPI.err = err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			openAPI.err = err
			return
		}
		openAPI.doc, openAPI.err = testopenapi.Load(b)
	})
	if openAPI.err != nil {
		t.Fatalf("OpenAPI document: %v", openAPI.err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var order []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range order {
			if n := seen[m]; n > 1 {
				t.Errorf("answer not as the OpenAPI document says (%d times): %s", n, m)
			} else {
				t.Errorf("answer not as the OpenAPI document says: %s", m)
			}
		}
	})
	return &http.Client{Transport: &testopenapi.Transport{Doc: openAPI.doc, Report: func(m testopenapi.Mismatch) {
		mu.Lock()
		defer mu.Unlock()
		s := m.String()
		if seen[s] == 0 {
			order = append(order, s)
		}
		seen[s]++
	}}}
}

// User creates a user of the node and returns an API token of theirs.
func User(t testing.TB, a *app.App, email, name string, role navette.Role) string {
	t.Helper()
	ctx := context.Background()
	if _, err := a.Accounts.CreateUser(ctx, email, name, role); err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.Accounts.CreateToken(ctx, email, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TickingClock is a fake clock that moves one millisecond at each reading:
// independent of the wall clock, yet records made one after the other are
// ordered as with a real clock.
type TickingClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewTickingClock returns a ticking clock starting at t.
func NewTickingClock(t time.Time) *TickingClock { return &TickingClock{t: t} }

// Now returns the next millisecond.
func (c *TickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}
