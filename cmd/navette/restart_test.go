package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"navette/api"
	"navette/client"
	"navette/deposit"
)

var (
	restartSize = flag.Int64("restart.size", 300, "MiB uploaded by TestRestartKeepsUploads")
	restartCuts = flag.Int("restart.cuts", 50, "kill -9 and SIGTERM sent during the upload of TestRestartKeepsUploads")
)

// Bounds on what the server reads but does not commit.
const (
	// pipelineBytes bounds the bytes deposit.Write has read but not yet
	// sealed and written: two queues of 32 segments, one segment in each
	// stage's hands.
	pipelineBytes = (2*32 + 3) << 16
	// otherReads bounds what the server reads besides the body of the
	// PATCH during one request: its headers, pages of the database.
	otherReads = 1 << 20
)

// TestRestartKeepsUploads uploads a file of -restart.size MiB (300) in
// PATCHes to the real navette binary, and interrupts it -restart.cuts times
// (50) at random points: kill -9 (two times in three) or SIGTERM. After each
// it restarts the server, asks the offset (HEAD) and checks it against
// what the server had read of the body, as the kernel counts the bytes the
// process read (/proc/PID/io): after kill -9 at most the commit interval
// (deposit.DefaultCommitBytes) and the bytes in the server's pipeline are
// lost; after SIGTERM nothing it read, and it exits 0. Every offset the
// server logged as committed survives. The file is finally downloaded and
// its SHA-256 compared. The contents come from a seeded AES-CTR stream,
// generated at any offset, never held whole.
func TestRestartKeepsUploads(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Fatalf("the test counts the server's reads in /proc/PID/io: %v", err)
	}
	size := *restartSize << 20
	cuts := *restartCuts
	dir := t.TempDir()
	bin := buildNavette(t)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil { // the admin commands take an existing one
		t.Fatal(err)
	}
	admin := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"admin"}, append(args, "--data", data)...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("navette admin %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	admin("user", "add", "--email", "greffe@justice.example", "--name", "Greffe", "--role", "agent")
	admin("user", "add", "--email", "avocat@avocat.example", "--name", "Avocat", "--role", "partner")
	sender := admin("token", "create", "--email", "greffe@justice.example", "--scopes", "read,write", "--ttl", "24h")
	recipient := admin("token", "create", "--email", "avocat@avocat.example", "--scopes", "read", "--ttl", "24h")

	srv := startServer(t, bin, data)
	ctx := context.Background()
	sc, err := client.New(srv.url, sender)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14"})
	if err != nil {
		t.Fatal(err)
	}
	src := newStream(14)
	upload := srv.createUpload(t, sender, d.ID, size)

	// The cuts fall at distinct random points of the file, in order.
	rng := rand.New(rand.NewPCG(14, 4))
	points := map[int64]bool{}
	for len(points) < cuts {
		points[1+rng.Int64N(size-1)] = true
	}
	cutAt := slices.Sorted(maps.Keys(points))
	var kills, terms int
	var maxLag, maxTermLag, sent int64
	offset := int64(0)
	for i := 0; i <= cuts; i++ {
		last := i == cuts
		at := int64(-1) // body bytes before the cut
		term := false
		if !last {
			// A stopped server reads on until it cuts the body: the
			// offset may be past the next point.
			at = cutAt[i] - offset
			if at < 1 {
				at = 1 + rng.Int64N(1<<20)
			}
			if at = min(at, size-offset-1); at < 1 {
				continue
			}
			term = i == 1 || i > 1 && rng.IntN(3) == 0
		}
		t0 := time.Now()
		var readAtCut int64 // the server's reads, from the start of the PATCH to the cut
		r0 := srv.reads(t)
		cutDone := make(chan struct{})
		body := &cutReader{r: src.reader(offset, size), at: at}
		body.cut = func() {
			defer close(cutDone)
			readAtCut = srv.reads(t) - r0
			sig := syscall.SIGKILL
			if term {
				sig = syscall.SIGTERM
			}
			if err := srv.cmd.Process.Signal(sig); err != nil {
				t.Errorf("signal: %v", err)
			}
		}
		status, retryAfter, err := srv.patch(upload, sender, offset, size, body)
		if !last {
			select {
			case <-cutDone:
			case <-time.After(time.Minute):
				t.Fatalf("cut %d: the PATCH from %d ended before its cut at %d: %d, %v", i, offset, offset+at, status, err)
			}
		}
		sent += body.n.Load()
		if last {
			if err != nil || status != http.StatusNoContent {
				t.Fatalf("last PATCH from %d: %d, %v", offset, status, err)
			}
			break
		}
		t1 := time.Now()
		code := srv.wait(t)
		t2 := time.Now()
		if term {
			terms++
			if code != 0 {
				t.Errorf("cut %d: SIGTERM: serve exited with %d:\n%s", i, code, srv.tail())
			}
			if err == nil && (status != http.StatusServiceUnavailable || retryAfter == "") {
				t.Errorf("cut %d: the PATCH cut by SIGTERM got %d, Retry-After %q", i, status, retryAfter)
			}
		} else {
			kills++
		}
		logged := srv.committed.Load()
		srv = startServer(t, bin, data)
		got := srv.head(t, upload, sender)
		lag := offset + readAtCut - got
		t.Logf("cut %2d %-7s at %3d MiB: server had read %8d B of the body, resumes at %9d (%8d B behind); PATCH %v, exit %v, restart %v",
			i, map[bool]string{true: "SIGTERM", false: "kill -9"}[term], (offset+at)>>20, readAtCut, got, max(lag, 0),
			t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
		switch {
		case got < offset || got < logged:
			t.Fatalf("cut %d: resumes at %d, before the offset %d the server logged as committed (was %d)", i, got, max(logged, offset), offset)
		case got > offset+body.n.Load():
			t.Fatalf("cut %d: resumes at %d, past the %d bytes sent", i, got, offset+body.n.Load())
		case term && lag > otherReads:
			t.Errorf("cut %d: SIGTERM lost %d bytes the server had read", i, lag)
		case !term && lag > deposit.DefaultCommitBytes+pipelineBytes+otherReads:
			t.Errorf("cut %d: kill -9 lost %d bytes the server had read, more than the commit interval (%d) and the pipeline (%d)", i, lag, deposit.DefaultCommitBytes, pipelineBytes)
		}
		if term {
			maxTermLag = max(maxTermLag, lag)
		} else {
			maxLag = max(maxLag, lag)
		}
		offset = got
	}
	t.Logf("%d MiB, %d kill -9 and %d SIGTERM: %d MiB sent in all; most lost by a kill -9: %d B; by a SIGTERM: %d B", size>>20, kills, terms, sent>>20, maxLag, maxTermLag)

	if sc, err = client.New(srv.url, sender); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	files, err := sc.Files(ctx, d.ID)
	if err != nil || len(files.Files) != 1 {
		t.Fatalf("files: %+v, %v", files, err)
	}
	rc, err := client.New(srv.url, recipient)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	info, err := rc.Download(ctx, d.ID, files.Files[0].ID, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	if _, err := io.Copy(want, src.reader(0, size)); err != nil {
		t.Fatal(err)
	}
	if got, w := h.Sum(nil), want.Sum(nil); !bytes.Equal(got, w) || !bytes.Equal(info.SHA256, w) {
		t.Fatalf("SHA-256 downloaded %x, announced %x, want %x", got, info.SHA256, w)
	}
}

// server is one run of "navette serve".
type server struct {
	cmd       *exec.Cmd
	url       string
	exited    chan int
	committed atomic.Int64 // the highest offset logged as committed
	sweeps    atomic.Int64 // sweeps ended
	log       *serverLog
}

var servingRE = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
var committedRE = regexp.MustCompile(`msg="upload committed" .*offset=(\d+)`)
var sweptRE = regexp.MustCompile(`msg="sweep done"`)

// startServer starts "navette serve" on a free port, with args added to
// its flags, and waits until it says it serves.
func startServer(t *testing.T, bin, data string, args ...string) *server {
	t.Helper()
	s := &server{exited: make(chan int, 1)}
	served := make(chan string, 1)
	s.log = &serverLog{line: func(l string) {
		if m := servingRE.FindStringSubmatch(l); m != nil {
			served <- m[1]
		}
		if sweptRE.MatchString(l) {
			s.sweeps.Add(1)
		}
		if m := committedRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if n > s.committed.Load() {
				s.committed.Store(n)
			}
		}
	}}
	s.cmd = exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--antivirus=off", "--log-level", "debug", "--sweep-interval", "1h", "--scrub-rate", "0")
	s.cmd.Args = append(s.cmd.Args, args...)
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		s.log.flush()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		s.exited <- code
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
	})
	select {
	case s.url = <-served:
	case code := <-s.exited:
		t.Fatalf("serve exited with %d before serving:\n%s", code, s.log.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not start:\n%s", s.log.String())
	}
	return s
}

// wait returns the exit code of the server, which was sent a signal.
func (s *server) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.exited:
		return code
	case <-time.After(2 * time.Minute): // far past the 15 s grace
		t.Fatalf("serve did not exit:\n%s", s.tail())
	}
	return 0
}

func (s *server) tail() string {
	l := s.log.String()
	if len(l) > 4000 {
		l = l[len(l)-4000:]
	}
	return l
}

// reads returns the bytes the server process has read so far, from any
// file or socket, as the kernel counts them.
func (s *server) reads(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", s.cmd.Process.Pid))
	if err != nil {
		t.Errorf("reading the server's I/O counters: %v", err)
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Errorf("no rchar in /proc/PID/io")
	return 0
}

func (s *server) request(method, path, token string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	return req, nil
}

func (s *server) createUpload(t *testing.T, token, depositID string, size int64) string {
	t.Helper()
	req, err := s.request(http.MethodPost, api.PathUploads, token, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", api.MetaDeposit+" "+b64([]byte(depositID))+","+api.MetaFilename+" "+b64([]byte("scellés.bin")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), api.PathUploads) {
		t.Fatalf("creating the upload: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	return resp.Header.Get("Location")
}

func (s *server) head(t *testing.T, upload, token string) int64 {
	t.Helper()
	req, err := s.request(http.MethodHead, upload, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("HEAD: %s, Upload-Offset %q", resp.Status, resp.Header.Get("Upload-Offset"))
	}
	return off
}

// patch sends the rest of the file from offset; a connection cut by a
// kill is no error of the test.
func (s *server) patch(upload, token string, offset, size int64, body io.Reader) (int, string, error) {
	req, err := s.request(http.MethodPatch, upload, token, body)
	if err != nil {
		return 0, "", err
	}
	req.ContentLength = size - offset
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// serverLog keeps the server's standard error and passes each line to
// line.
type serverLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	part []byte
	line func(string)
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.part[:i]))
		l.part = l.part[i+1:]
	}
	if l.buf.Len() > 1<<20 {
		l.buf.Next(l.buf.Len() - 64<<10)
	}
	return len(p), nil
}

func (l *serverLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.part) > 0 {
		l.line(string(l.part))
		l.part = nil
	}
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	var out []string
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `msg="upload committed"`) {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}

// stream is the file's contents: the AES-CTR key stream of a seeded key,
// which can be read from any offset.
type stream struct{ block cipher.Block }

func newStream(seed uint64) stream {
	var key [32]byte
	binary.BigEndian.PutUint64(key[:], seed)
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	return stream{b}
}

// reader reads the stream from off to end.
func (s stream) reader(off, end int64) io.Reader {
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(off/aes.BlockSize))
	ctr := cipher.NewCTR(s.block, iv[:])
	var skip [aes.BlockSize]byte
	ctr.XORKeyStream(skip[:off%aes.BlockSize], skip[:off%aes.BlockSize])
	return io.LimitReader(&keyStream{ctr}, end-off)
}

type keyStream struct{ ctr cipher.Stream }

func (k *keyStream) Read(p []byte) (int, error) {
	clear(p)
	k.ctr.XORKeyStream(p, p)
	return len(p), nil
}

// cutReader reads r and calls cut once, when at bytes have been read
// (never if at is negative).
type cutReader struct {
	r   io.Reader
	n   atomic.Int64 // read so far
	at  int64
	cut func()
}

func (c *cutReader) Read(p []byte) (int, error) {
	n := c.n.Load()
	if c.at >= 0 && n < c.at && n+int64(len(p)) > c.at {
		p = p[:c.at-n]
	}
	m, err := c.r.Read(p)
	n = c.n.Add(int64(m))
	if n == c.at && c.cut != nil {
		c.cut()
		c.cut = nil
	}
	return m, err
}
