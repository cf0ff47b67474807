package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
)

// TestShutdownCutsUploadsThenEnds: once Run's context is done, an upload
// whose body stalls is cut at once and answered 503 with a Retry-After,
// keeping what it received; a download its client stopped reading is cut
// when the grace is over; Run returns nil and no connection is taken any
// more. The upload then resumes on a node over the same data and the file
// is whole.
func TestShutdownCutsUploadsThenEnds(t *testing.T) {
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	a, err := app.Listen(app.Config{DataDir: dir, Addr: "127.0.0.1:0", Clock: clock, SweepInterval: time.Hour,
		Logger: slog.New(slog.DiscardHandler), ShutdownGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A commit at every segment shows when the server has read them.
	a.Deposits.CommitEvery = time.Nanosecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e := &env{t: t, app: a, clock: clock, url: a.URL(), dir: dir}
	e.checkAnswers()
	e.agent = e.user(agentEmail, "Greffe", navette.RoleAgent)
	e.lawyer = e.user(lawyerEmail, "Maître Avocat", navette.RolePartner)

	big := randomBytes(16<<20, 8)
	sent := e.send(map[string][]byte{"gros.bin": big})
	get, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer get.Close()
	fmt.Fprintf(get, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", filePath(sent, sent.Files[0]), e.lawyer)

	data := randomBytes(1<<20, 9)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "coupé.bin", int64(len(data)))
	const part = 2 << 16 // two segments: the second's commit tells they were read
	patch, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer patch.Close()
	fmt.Fprintf(patch, "PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n", path, e.agent, len(data))
	if _, err := patch.Write(data[:part]); err != nil {
		t.Fatal(err)
	}
	// The store, not HEAD, which would take the upload's lock from the PATCH.
	id := path[strings.LastIndexByte(path, '/')+1:]
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		f, err := a.Meta.File(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if f.Offset == part {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not commit the first bytes: offset %d", f.Offset)
		}
	}

	cancel()
	resp, err := http.ReadResponse(bufio.NewReader(patch), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || json.Unmarshal(b, &p) != nil || p.Status != http.StatusServiceUnavailable {
		t.Errorf("PATCH cut by the shutdown: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(time.Minute): // far past the grace: a hang
		t.Fatal("Run did not return")
	}
	if n, _ := io.Copy(io.Discard, get); n >= int64(len(big)) {
		t.Errorf("the stalled download was not cut: %d bytes", n)
	}
	if c, err := net.DialTimeout("tcp", a.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("a connection is taken after the shutdown")
	}
	a.Close()

	b2 := apptest.Start(t, clock, func(c *app.Config) { c.DataDir = dir })
	e2 := &env{t: t, app: b2, clock: clock, url: b2.URL(), dir: dir, agent: e.agent}
	e2.checkAnswers()
	if off := e2.head(e.agent, path); off != part {
		t.Fatalf("offset after the shutdown: %d, want %d", off, part)
	}
	if off := e2.patch(e.agent, path, part, data[part:]); off != int64(len(data)) {
		t.Fatalf("offset after resuming: %s", strconv.FormatInt(off, 10))
	}
	if sub := e2.submit(e.agent, d.ID); sub.Files[0].SHA256 != sha(data) {
		t.Errorf("resumed file: %+v", sub.Files[0])
	}
}
