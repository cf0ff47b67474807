package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
)

// slowClients is how many slow connections the flood keeps open.
const slowClients = 1500

// TestSlowClientsAreCut: 1,500 connections from one address dribble a
// request body a byte at a time, or stop sending one, again and again,
// while a client behind a trusted proxy deposits and fetches a 50 MiB
// file. That client succeeds, every slow connection is cut by the server
// (the body idle timeout, the minimum rate, or the upload caps), and the
// server's memory stays bounded.
func TestSlowClientsAreCut(t *testing.T) {
	raiseFileLimit(t, 4*slowClients+1024)
	const idle = 2 * time.Second
	// The server's errors are shown if the test fails: under
	// the race detector on a loaded machine the honest upload once got a
	// 500 that could not be reproduced since.
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server errors:\n%s", logs)
		}
	})
	e := newEnv(t, func(c *app.Config) {
		c.BodyIdleTimeout = idle
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	attacker := e.user("attaquant@avocat.example", "Attaquant", navette.RoleAgent)
	// An upload of its own for each slow client that uploads: two
	// requests on one upload make tusd interrupt the first, which is not
	// what this test is about (and races inside tusd).
	uploads := map[int]string{}
	var d api.Deposit
	for i := 2; i < slowClients; i += 3 {
		if len(uploads)%100 == 0 {
			d = e.createDeposit(attacker, agentEmail)
		}
		// 1 MiB each: 500 uploads of 1 GiB would outgrow the disk's free
		// space, and be refused (507) before any slow client starts.
		uploads[i] = e.createUpload(attacker, d.ID, "f"+itoa(i)+".bin", 1<<20)
	}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peakHeap, peakConns atomic.Uint64
	sampling, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			storeMax(&peakHeap, m.HeapInuse)
			storeMax(&peakConns, uint64(e.app.OpenConns()))
			select {
			case <-sampling.Done():
				return
			case <-tick.C:
			}
		}
	}()

	flood, stopFlood := context.WithCancel(context.Background())
	defer stopFlood()
	var draining atomic.Bool
	var finished atomic.Int64
	var wg sync.WaitGroup
	cuts := make([]atomic.Int64, slowClients)
	var answers sync.Map // status line → count
	var dialErrs atomic.Int64
	for i := range slowClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finished.Add(1)
			var req string
			switch i % 3 {
			case 0: // a public JSON body, a byte a second
				req = fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"email\":\"", api.PathAuthCode)
			case 1: // an upload body that never comes, without credentials
				req = fmt.Sprintf("PATCH %s/nosuch HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n\r\n", strings.TrimSuffix(api.PathUploads, "/"))
			case 2: // an upload body that never comes, signed in
				req = fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 1000000\r\n\r\n", uploads[i], attacker)
			}
			dribble := i%3 == 0
			for flood.Err() == nil && !draining.Load() {
				status, cut, err := slowRequest(flood, e.app.Addr(), req, dribble)
				if err != nil {
					dialErrs.Add(1)
				}
				if status != "" {
					v, _ := answers.LoadOrStore(status, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
				if cut {
					cuts[i].Add(1)
				}
				select {
				case <-flood.Done():
				case <-time.After(time.Duration(300+rand.IntN(700)) * time.Millisecond):
				}
			}
		}()
	}
	// The flood is on before the honest client starts.
	waitLong(t, "the slow connections to open", func() bool { return e.app.OpenConns() >= slowClients*2/3 })

	honest := &http.Client{Transport: forwardedFor{"192.0.2.10"}}
	sum := honestRoundTrip(t, e, honest, 50<<20)
	// No new slow requests; those in progress end when the server cuts
	// them.
	draining.Store(true)
	waitLong(t, "the slow clients to be cut", func() bool { return finished.Load() == slowClients })
	stopFlood()
	wg.Wait()
	stopSampling()
	<-sampled

	var never int
	for i := range cuts {
		if cuts[i].Load() == 0 {
			never++
		}
	}
	var seen []string
	answers.Range(func(k, v any) bool {
		seen = append(seen, fmt.Sprintf("%s ×%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	growth := int64(peakHeap.Load()) - int64(base.HeapInuse)
	t.Logf("honest 50 MiB round trip %x…; slow connections: peak %d open, %d dial errors, answers %v; heap in use %d MiB at rest, peak +%d MiB",
		sum[:4], peakConns.Load(), dialErrs.Load(), seen, base.HeapInuse>>20, growth>>20)
	if never > 0 {
		t.Errorf("%d of %d slow clients were never cut by the server", never, slowClients)
	}
	if peakConns.Load() < slowClients/2 {
		t.Errorf("only %d connections were open at once: the flood did not happen", peakConns.Load())
	}
	// About 30 KiB per connection (the server's and the test's
	// goroutines and buffers) are expected; an upload buffered whole, or
	// a segment pipeline held by every slow upload, would pass the bound.
	if limit := int64(256 << 20); growth > limit {
		t.Errorf("heap in use grew by %d MiB under the flood, more than %d MiB", growth>>20, limit>>20)
	}
	// Every connection the flood opened ends.
	waitLong(t, "the server to close the slow connections", func() bool { return e.app.OpenConns() <= 4 })
}

// slowRequest sends req on a new connection, then a byte a second if
// dribble, else nothing, until the server answers and closes the
// connection (cut) or ctx ends. It returns the answer's status line.
func slowRequest(ctx context.Context, addr, req string, dribble bool) (status string, cut bool, err error) {
	c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", false, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		return "", true, nil
	}
	var got []byte
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if len(got) < 64 {
			got = append(got, buf[:n]...)
		}
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			if dribble {
				if _, err := c.Write([]byte("a")); err != nil {
					return statusLine(got), true, nil
				}
			}
		default: // EOF or reset: the server cut the connection
			return statusLine(got), true, nil
		}
	}
	return statusLine(got), false, nil
}

func statusLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

// honestRoundTrip deposits a file of size random bytes and downloads it,
// streaming both ways, and returns its SHA-256.
func honestRoundTrip(t *testing.T, e *env, c *http.Client, size int64) []byte {
	t.Helper()
	// As any client should, a request answered 503 with Retry-After is
	// sent again (up to three times): under the flood, on a loaded
	// machine, the server may shed a request it has not started.
	call := func(req *http.Request, token string, want int) *http.Response {
		t.Helper()
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		for try := 0; err == nil && resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" && try < 3; try++ {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Logf("%s %s answered 503 (%s): sending it again", req.Method, req.URL.Path, b)
			if req.GetBody != nil {
				req.Body, _ = req.GetBody()
			}
			resp, err = c.Do(req)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
		}
		if resp.StatusCode != want {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL.Path, resp.StatusCode, b, want)
		}
		return resp
	}
	jsonReq := func(method, path string, v any) *http.Request {
		b, _ := json.Marshal(v)
		req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	var d api.Deposit
	resp := call(jsonReq("POST", api.PathDeposits, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "Flood", RetentionDays: 7}), e.agent, http.StatusCreated)
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()

	req, _ := http.NewRequest("POST", e.url+api.PathUploads, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "gros.bin"))
	resp = call(req, e.agent, http.StatusCreated)
	resp.Body.Close()
	loc := resp.Header.Get("Location")

	h := sha256.New()
	src := rand.NewChaCha8([32]byte{7})
	var sent int64
	// As a tus client does, a PATCH answered 503 (with Retry-After) is
	// resumed from the offset the server holds; any other answer but 204
	// fails the test.
	for try := 0; ; try++ {
		body := io.TeeReader(io.LimitReader(src, size-sent), h)
		req, _ = http.NewRequest("PATCH", e.url+loc, body)
		req.ContentLength = size - sent
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", strconv.FormatInt(sent, 10))
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Authorization", "Bearer "+e.agent)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("PATCH %s: %v", loc, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusNoContent {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || try == 3 {
			t.Fatalf("PATCH %s from %d: %d %s, want 204", loc, sent, resp.StatusCode, b)
		}
		t.Logf("PATCH from %d answered 503 (%s): resuming, as a tus client does", sent, b)
		// What the server kept is the offset; the bytes past it were hashed
		// but not kept: start the hash and the stream again from the
		// beginning, up to the offset.
		head, _ := http.NewRequest("HEAD", e.url+loc, nil)
		head.Header.Set("Tus-Resumable", "1.0.0")
		hr := call(head, e.agent, http.StatusOK)
		hr.Body.Close()
		sent, _ = strconv.ParseInt(hr.Header.Get("Upload-Offset"), 10, 64)
		src = rand.NewChaCha8([32]byte{7})
		h.Reset()
		if _, err := io.CopyN(h, src, sent); err != nil {
			t.Fatal(err)
		}
	}
	sum := h.Sum(nil)

	resp = call(jsonReq("POST", api.PathDeposits+"/"+d.ID+"/submit", nil), e.agent, http.StatusOK)
	resp.Body.Close()
	req, _ = http.NewRequest("GET", e.url+api.PathDeposits+"/"+d.ID, nil)
	resp = call(req, e.lawyer, http.StatusOK)
	var got api.Deposit
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if len(got.Files) != 1 {
		t.Fatalf("deposit seen by its recipient: %+v", got)
	}
	req, _ = http.NewRequest("GET", e.url+filePath(got, got.Files[0]), nil)
	resp = call(req, e.lawyer, http.StatusOK)
	defer resp.Body.Close()
	h.Reset()
	n, err := io.Copy(h, resp.Body)
	if err != nil || n != size || !bytes.Equal(h.Sum(nil), sum) {
		t.Fatalf("download: %d bytes (%v), SHA-256 %x, want %d bytes %x", n, err, h.Sum(nil), size, sum)
	}
	return sum
}

// forwardedFor sends requests as a trusted proxy would for client ip.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

func storeMax(v *atomic.Uint64, n uint64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// waitLong polls cond until it holds; the bound only keeps a broken server
// from hanging the test, and is generous for a loaded machine.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// raiseFileLimit raises the soft limit on open files to n, as far as the
// hard limit allows, and fails if that is not enough.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	lim.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < n {
		t.Fatalf("open files limited to %d (hard limit %d), %d needed: %v", lim.Cur, lim.Max, n, err)
	}
}

// TestStalledUploadKeepsItsBytes: a PATCH whose body stops arriving is cut
// after the idle timeout, answered 408 with a problem document, and the
// upload keeps the bytes received; the client resumes from there.
func TestStalledUploadKeepsItsBytes(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.BodyIdleTimeout = time.Second })
	data := randomBytes(300<<10, 3)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "coupé.bin", int64(len(data)))
	const sent = 100 << 10
	c, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n", path, e.agent, len(data))
	if _, err := c.Write(data[:sent]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Content-Type") != api.ProblemContentType || json.Unmarshal(b, &p) != nil || p.Status != http.StatusRequestTimeout {
		t.Fatalf("stalled PATCH: %d %s", resp.StatusCode, b)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("the stalled connection stays open: %d, %v", n, err)
	}
	if off := waitOffset(t, e, path, sent); off != sent {
		t.Fatalf("offset after the stall: %d, want %d", off, sent)
	}
	e.patch(e.agent, path, sent, data[sent:])
	sub := e.submit(e.agent, d.ID)
	if sub.Files[0].SHA256 != sha(data) {
		t.Errorf("resumed file: %+v", sub.Files[0])
	}
}

// TestStalledDownloadIsCut: a client that reads nothing of a download for
// the idle timeout is cut, however long downloads may take otherwise.
func TestStalledDownloadIsCut(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.BodyIdleTimeout = time.Second })
	data := randomBytes(16<<20, 4)
	d := e.send(map[string][]byte{"gros.bin": data})
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "the test's other connections to end", func() bool { return e.app.OpenConns() == 0 })
	c, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A small receive buffer, as a slow reader's: the server's writes
	// stall once it and the server's send buffer are full.
	if err := c.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", filePath(d, d.Files[0]), e.lawyer)
	if _, err := io.ReadFull(c, make([]byte, 12)); err != nil {
		t.Fatal(err)
	}
	// Then the client reads nothing.
	waitFor(t, "the server to cut the stalled download", func() bool { return e.app.OpenConns() == 0 })
	n, _ := io.Copy(io.Discard, c)
	if n >= int64(len(data)) {
		t.Errorf("the whole file (%d bytes) reached the stalled client", n)
	}
}
