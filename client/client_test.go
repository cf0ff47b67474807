package client_test

// These tests run the client against clienttest.Server, an in-memory
// stand-in for the navette server written before the real one exists. They
// check the client's side of the protocol; integration tests against the
// real server are still needed.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/client/clienttest"
)

const (
	senderToken    = "tok-sender-0123456789"
	recipientToken = "tok-recipient-0123456789"
	sender         = "greffe@justice.example"
	recipient      = "avocat@barreau.example"
)

var fastRetry = client.RetryPolicy{InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, Budget: 5 * time.Second}

func newServer(t *testing.T) *clienttest.Server {
	t.Helper()
	s := clienttest.NewServer(t)
	s.AddUser(senderToken, sender)
	s.AddUser(recipientToken, recipient)
	return s
}

func newClient(t *testing.T, s *clienttest.Server, token string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(s.URL, token, append([]client.Option{client.WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 42))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func draft(t *testing.T, c *client.Client) *api.Deposit {
	t.Helper()
	d, err := c.CreateDeposit(context.Background(), api.CreateDeposit{Recipients: []string{recipient}, Reference: "RG 24/001"})
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "draft" || d.ID == "" {
		t.Fatalf("draft = %+v", d)
	}
	return d
}

// progressRecorder records progress calls, failing on concurrent calls.
type progressRecorder struct {
	mu   sync.Mutex
	last int64
	n    int
	t    *testing.T
}

func (p *progressRecorder) fn(done int64) {
	if !p.mu.TryLock() {
		p.t.Error("concurrent progress calls")
		return
	}
	defer p.mu.Unlock()
	p.last = done
	p.n++
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "https:///x", "x.example", "https://user:pw@x.example", "https://x.example/?a=b", "https://x.example/#f"} {
		if _, err := client.New(u, "t"); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	for _, tok := range []string{"", "a b", "a\r\nX-Evil: 1"} {
		_, err := client.New("https://x.example", tok)
		if err == nil {
			t.Errorf("token %q accepted", tok)
		} else if tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	c, err := client.New("https://Navette.Example/prefix/", "t")
	if err != nil || c.ServerURL() != "https://navette.example/prefix" {
		t.Errorf("New = %v, %v", c, err)
	}
}

func TestRoundTrip(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s, senderToken)
	ctx := context.Background()
	d := draft(t, c)
	content := randomBytes(3<<20 + 17)
	p := &progressRecorder{t: t}
	fid, err := c.Upload(ctx, d.ID, "conclusions.pdf", bytes.NewReader(content), int64(len(content)), p.fn)
	if err != nil {
		t.Fatal(err)
	}
	if p.last != int64(len(content)) {
		t.Errorf("last progress %d, want %d", p.last, len(content))
	}
	empty, err := c.Upload(ctx, d.ID, "empty.txt", bytes.NewReader(nil), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.Submit(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != "available" || len(sub.Files) != 2 || sub.Files[0].ID != fid || sub.Files[1].ID != empty {
		t.Fatalf("submitted = %+v", sub)
	}

	r := newClient(t, s, recipientToken)
	list, err := r.List(ctx, client.BoxInbox, "", 0)
	if err != nil || len(list.Deposits) != 1 || list.Deposits[0].ID != d.ID {
		t.Fatalf("inbox = %+v, %v", list, err)
	}
	files, err := r.Files(ctx, d.ID)
	if err != nil || len(files.Files) != 2 {
		t.Fatalf("files = %+v, %v", files, err)
	}
	var buf bytes.Buffer
	info, err := r.Download(ctx, d.ID, fid, &buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if !bytes.Equal(buf.Bytes(), content) || !bytes.Equal(info.SHA256, sum[:]) || info.Size != int64(len(content)) || info.Name != "conclusions.pdf" || info.ETag == "" {
		t.Errorf("download: %d bytes, info %+v", buf.Len(), info)
	}
	buf.Reset()
	if info, err := r.Download(ctx, d.ID, empty, &buf, 0); err != nil || info.Size != 0 || buf.Len() != 0 {
		t.Errorf("empty download: %+v, %v", info, err)
	}

	if err := c.Revoke(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Deposit(ctx, d.ID); navette.ErrorCode(err) != navette.EGONE {
		t.Errorf("after revoke: %v", err)
	}
}

func TestUploadResumesAfterCut(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s, senderToken)
	d := draft(t, c)
	content := randomBytes(2<<20 + 5)
	s.CutNextPatch(700_001)
	p := &progressRecorder{t: t}
	fid, err := c.Upload(context.Background(), d.ID, "big.bin", bytes.NewReader(content), int64(len(content)), p.fn)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.UploadData(fid); !bytes.Equal(got, content) {
		t.Fatalf("server holds %d bytes, not the file", len(got))
	}
	if got := s.UploadReceived(fid); got != int64(len(content)) {
		t.Errorf("server received %d bytes for a %d-byte file: data was sent twice", got, len(content))
	}
	heads, patches, _ := s.Counts()
	if heads < 1 || patches != 2 {
		t.Errorf("heads %d, patches %d; want >= 1 and 2", heads, patches)
	}
	if p.last != int64(len(content)) {
		t.Errorf("last progress %d", p.last)
	}
}

func TestUploadConflict(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s, senderToken)
	d := draft(t, c)
	content := randomBytes(1 << 20)
	var once sync.Once
	// Another process already sent the first 1000 bytes: the client's PATCH
	// at 0 gets 409 and must continue from the server's offset.
	s.SetBeforePatch(func(id string, off int64) {
		once.Do(func() { s.SetUploadData(id, content[:1000]) })
	})
	fid, err := c.Upload(context.Background(), d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.UploadData(fid), content) {
		t.Fatal("server data differs")
	}
	if got, want := s.UploadReceived(fid), int64(len(content)-1000); got != want {
		t.Errorf("received %d, want %d", got, want)
	}
}

func TestResumeUpload(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	// A first process, which does not retry, is cut off.
	c1 := newClient(t, s, senderToken, client.WithRetry(client.RetryPolicy{}))
	d := draft(t, c1)
	content := randomBytes(1<<20 + 3)
	s.CutNextPatch(123_457)
	fid, err := c1.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
	if err == nil || fid == "" {
		t.Fatalf("upload = %q, %v; want an error and the file id", fid, err)
	}
	// A second one resumes with the upload's URL.
	c2 := newClient(t, s, senderToken)
	p := &progressRecorder{t: t}
	if err := c2.ResumeUpload(ctx, api.PathUploads+fid, bytes.NewReader(content), int64(len(content)), p.fn); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.UploadData(fid), content) || s.UploadReceived(fid) != int64(len(content)) {
		t.Error("resumed upload differs or was resent")
	}
	// A different file (length) is refused.
	if err := c2.ResumeUpload(ctx, api.PathUploads+fid, bytes.NewReader(content), 5, nil); navette.ErrorCode(err) != navette.ECONFLICT {
		t.Errorf("resume with the wrong size: %v", err)
	}
	// The token goes to the server's origin only.
	if err := c2.ResumeUpload(ctx, "https://evil.example"+api.PathUploads+fid, bytes.NewReader(content), int64(len(content)), nil); err == nil {
		t.Error("foreign upload URL accepted")
	}
	if err := c2.ResumeUpload(ctx, api.PathUploads+"unknown", bytes.NewReader(content), int64(len(content)), nil); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("unknown upload: %v", err)
	}
}

func TestProblems(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	c := newClient(t, s, senderToken)
	_, err := c.CreateDeposit(ctx, api.CreateDeposit{Recipients: nil, Reference: "x"})
	var e *navette.Error
	if !errors.As(err, &e) || e.Code != navette.EINVALID || e.Message != "A deposit needs recipients and a reference." {
		t.Errorf("create: %#v", err)
	}
	bad := newClient(t, s, "wrong-token")
	if _, err := bad.List(ctx, client.BoxInbox, "", 0); navette.ErrorCode(err) != navette.EUNAUTHORIZED {
		t.Errorf("bad token: %v", err)
	} else if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("error shows the token: %v", err)
	}
	s.SetMaxUploadSize(10)
	d := draft(t, c)
	if _, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(make([]byte, 11)), 11, nil); navette.ErrorCode(err) != navette.ETOOLARGE {
		t.Errorf("too large: %v", err)
	}
	if _, err := c.Upload(ctx, navette.NewID(), "f", bytes.NewReader(make([]byte, 1)), 1, nil); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("unknown deposit: %v", err)
	}
	if _, err := c.Submit(ctx, d.ID); navette.ErrorCode(err) != navette.ECONFLICT {
		t.Errorf("submit without files: %v", err)
	}
	if _, err := newClient(t, s, recipientToken).Deposit(ctx, d.ID); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("recipient reads a draft: %v", err)
	}
}

func TestNetworkErrorsStayGoErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := client.New(url, "secret-token-123", client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Deposit(context.Background(), navette.NewID())
	var e *navette.Error
	if err == nil || errors.As(err, &e) || strings.Contains(err.Error(), "secret-token-123") {
		t.Errorf("err = %v", err)
	}
}

func TestNotJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>portal</html>")
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "t")
	if _, err := c.List(context.Background(), client.BoxInbox, "", 0); err == nil || !strings.Contains(err.Error(), "text/html") {
		t.Errorf("err = %v", err)
	}
}

func setupFile(t *testing.T, s *clienttest.Server, content []byte) (string, string) {
	t.Helper()
	id, fids := s.AddDeposit(sender, []string{recipient}, "ref", clienttest.File{Name: "f.bin", Data: content})
	return id, fids[0]
}

func TestDownloadFromOffset(t *testing.T) {
	s := newServer(t)
	content := randomBytes(1<<20 + 1)
	id, fid := setupFile(t, s, content)
	c := newClient(t, s, recipientToken)
	for _, ignore := range []bool{false, true} {
		s.SetIgnoreRange(ignore)
		var buf bytes.Buffer
		info, err := c.Download(context.Background(), id, fid, &buf, 400_000)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), content[400_000:]) || info.Size != int64(len(content)) {
			t.Errorf("ignoreRange=%v: got %d bytes, size %d", ignore, buf.Len(), info.Size)
		}
		sum := sha256.Sum256(content)
		if !bytes.Equal(info.SHA256, sum[:]) {
			t.Error("digest")
		}
	}
	// Everything already there.
	var buf bytes.Buffer
	s.SetIgnoreRange(false)
	if info, err := c.Download(context.Background(), id, fid, &buf, int64(len(content))); err != nil || buf.Len() != 0 || info.Size != int64(len(content)) {
		t.Errorf("complete: %+v %v", info, err)
	}
}

func TestDownloadResumesAfterCut(t *testing.T) {
	s := newServer(t)
	content := randomBytes(2 << 20)
	id, fid := setupFile(t, s, content)
	c := newClient(t, s, recipientToken)
	s.CutNextDownload(300_000)
	var buf bytes.Buffer
	if _, err := c.Download(context.Background(), id, fid, &buf, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("got %d bytes, not the file", buf.Len())
	}
	if _, _, n := s.Counts(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	// Without retries, a short body is an error.
	c0 := newClient(t, s, recipientToken, client.WithRetry(client.RetryPolicy{}))
	s.CutNextDownload(1000)
	buf.Reset()
	if _, err := c0.Download(context.Background(), id, fid, &buf, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
}

func TestDownloadWriteErrorNotRetried(t *testing.T) {
	s := newServer(t)
	id, fid := setupFile(t, s, randomBytes(1<<20))
	c := newClient(t, s, recipientToken)
	boom := errors.New("disk full")
	_, err := c.Download(context.Background(), id, fid, failingWriter{boom}, 0)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if _, _, n := s.Counts(); n != 1 {
		t.Errorf("%d requests", n)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestDownloadStall(t *testing.T) {
	content := randomBytes(100_000)
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		w.Header().Set("ETag", `"x"`)
		if n == 1 {
			w.Header().Set("Content-Length", "100000")
			_, _ = w.Write(content[:1000])
			_ = http.NewResponseController(w).Flush()
			select { // hang, as a dead peer would
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "t", client.WithRetry(fastRetry), client.WithStallTimeout(200*time.Millisecond))
	var buf bytes.Buffer
	start := time.Now()
	if _, err := c.Download(context.Background(), "d", "f", &buf, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), content) || time.Since(start) > 5*time.Second {
		t.Errorf("got %d bytes after %v", buf.Len(), time.Since(start))
	}
}

func TestUploadContextCancel(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s, senderToken, client.WithRetry(client.RetryPolicy{InitialDelay: time.Hour, MaxDelay: time.Hour, Budget: 10 * time.Hour}))
	d := draft(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	s.CutNextPatch(10)
	s.SetBeforePatch(func(string, int64) { time.AfterFunc(50*time.Millisecond, cancel) })
	content := randomBytes(100_000)
	_, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestUploadLocation(t *testing.T) {
	s := newServer(t)
	c := newClient(t, s, senderToken)
	ctx := context.Background()
	content := randomBytes(1000)
	// Absolute on the server's origin; then on its host but another scheme
	// and port, as tusd behind a TLS proxy says: moved to the server's origin.
	for _, origin := range []string{s.URL, strings.Replace(s.URL, "http://", "https://", 1) + "1"} {
		s.SetLocationOrigin(origin)
		d := draft(t, c)
		fid, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
		if err != nil || !bytes.Equal(s.UploadData(fid), content) {
			t.Errorf("origin %s: %v", origin, err)
		}
	}
	// Another host never gets the token.
	s.SetLocationOrigin("http://evil.example")
	d := draft(t, c)
	if _, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil); err == nil {
		t.Error("foreign Location followed")
	}
	if _, patches, _ := s.Counts(); patches != 2 {
		t.Errorf("%d PATCHes", patches)
	}
}

func TestRedirectsKeepTheToken(t *testing.T) {
	var leaked bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = leaked || r.Header.Get("Authorization") != ""
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"deposits":[]}`)
	}))
	defer evil.Close()
	srv := httptest.NewServer(http.RedirectHandler(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound))
	defer srv.Close()
	c, _ := client.New(srv.URL, "secret-token-123")
	if _, err := c.List(context.Background(), client.BoxInbox, "", 0); err == nil || leaked {
		t.Errorf("err = %v, leaked = %v", err, leaked)
	}
}
