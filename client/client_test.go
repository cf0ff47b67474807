package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/client"
	"navette/internal/testproxy"
	"navette/seal"
)

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
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.sender)
	ctx := context.Background()
	d := e.draft(c)
	content := randomBytes(3<<20 + 17)
	p := &progressRecorder{t: t}
	fid, err := c.Upload(ctx, d.ID, "conclusions.pdf", bytes.NewReader(content), int64(len(content)), p.fn)
	if err != nil {
		t.Fatal(err)
	}
	if p.last() != int64(len(content)) {
		t.Errorf("last progress %d, want %d", p.last(), len(content))
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
	if f := sub.Files[0]; f.Name != "conclusions.pdf" || f.Size != int64(len(content)) || f.SHA256 != sha(content) {
		t.Errorf("file on the server: %+v", f)
	}
	if f := sub.Files[1]; f.Name != "empty.txt" || f.Size != 0 || f.SHA256 != sha(nil) {
		t.Errorf("empty file on the server: %+v", f)
	}

	r := e.client(e.recipient)
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
	none := sha256.Sum256(nil)
	if info, err := r.Download(ctx, d.ID, empty, &buf, 0); err != nil || info.Size != 0 || buf.Len() != 0 || !bytes.Equal(info.SHA256, none[:]) {
		t.Errorf("empty download: %+v, %v", info, err)
	}

	if err := c.Revoke(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	var ne *navette.Error
	if _, err := r.Deposit(ctx, d.ID); !errors.As(err, &ne) || ne.Code != navette.EGONE || ne.Message != "This deposit was withdrawn by its sender." {
		t.Errorf("after revoke: %v", err)
	}
}

func TestUploadResumesAfterCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.proxy()
	c := e.clientAt(p.URL(), e.sender)
	d := e.draft(c)
	content := randomBytes(2<<20 + 5)
	size := int64(len(content))
	// The connection is cut twice mid-PATCH, each time after 700,001 more
	// bytes went to the server.
	const cut = 700_001
	before := p.Forwarded(testproxy.Upstream)
	f := p.Cut(testproxy.Upstream, cut, 2)
	pr := &progressRecorder{t: t}
	fid, err := c.Upload(context.Background(), d.ID, "big.bin", bytes.NewReader(content), size, pr.fn)
	if err != nil {
		t.Fatal(err)
	}
	struck(t, f)

	// Three PATCHes: from 0, then each time from the offset the server
	// held, which the client asked with HEAD; each announced exactly the
	// rest of the file.
	path := api.PathUploads + fid
	patches := p.Requests("PATCH", path)
	offs, lens := header(patches, "Upload-Offset"), header(patches, "Content-Length")
	if len(patches) != 3 || offs[0] != 0 {
		t.Fatalf("PATCHes from offsets %v, want 0 then two resumptions", offs)
	}
	for i := range patches {
		if lens[i] != size-offs[i] {
			t.Errorf("PATCH from %d carried %d bytes", offs[i], lens[i])
		}
	}
	// The server kept every byte that reached it, and the client resumed
	// right after the last of them: nothing was sent twice (had it started
	// over, the second PATCH would be from 0).
	for i := range 2 {
		cutAt := int(before) + (i+1)*cut // where the cut fell in the bytes sent up
		if arrived := int64(cutAt - patches[i].Body); offs[i+1] != offs[i]+arrived {
			t.Errorf("cut %d: %d bytes of the PATCH from %d reached the server, which then stood at %d", i+1, arrived, offs[i], offs[i+1])
		}
	}
	if heads := len(p.Requests("HEAD", path)); heads != 2 {
		t.Errorf("%d HEAD requests; the offset must be asked once after each cut", heads)
	}
	if pr.last() != size {
		t.Errorf("last progress %d", pr.last())
	}
	e.submit(d.ID, map[string][]byte{fid: content})
	if got := e.fetch(d.ID, fid); !bytes.Equal(got, content) {
		t.Fatalf("the server holds %d bytes, not the file", len(got))
	}
}

// patchRecord is what a hookTransport saw of a PATCH.
type patchRecord struct {
	offset, sent int64
	status       int
}

// hookTransport is the client's transport with a hook run before each
// request; it records the PATCHes and how much of their bodies it sent.
type hookTransport struct {
	base   *http.Transport
	before func(*http.Request)

	mu      sync.Mutex
	patches []*patchRecord
}

// countingBody counts the bytes the transport reads from a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.before != nil {
		h.before(r)
	}
	if r.Method != http.MethodPatch {
		return h.base.RoundTrip(r)
	}
	var n atomic.Int64
	off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	r2 := r.Clone(r.Context())
	r2.Body = countingBody{r.Body, &n}
	resp, err := h.base.RoundTrip(r2)
	// Once the answer is in, the transport has sent all it will send.
	rec := &patchRecord{offset: off, sent: n.Load()}
	if resp != nil {
		rec.status = resp.StatusCode
	}
	h.mu.Lock()
	h.patches = append(h.patches, rec)
	h.mu.Unlock()
	return resp, err
}

func TestUploadConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ExpectContinueTimeout = wait // the body waits for the server's go-ahead
	tr := &hookTransport{base: base}
	c := e.client(e.sender, client.WithHTTPClient(&http.Client{Transport: tr}))
	d := e.draft(c)
	content := randomBytes(1 << 20)
	size := int64(len(content))
	// Another process sends the first 1000 bytes after the upload was
	// created and before the client's first PATCH: the server refuses that
	// PATCH at 0 (409) and the client must go on from the server's offset.
	var once sync.Once
	tr.before = func(r *http.Request) {
		if r.Method == http.MethodPatch {
			once.Do(func() { otherProcess(t, e, r.URL.String(), content[:1000]) })
		}
	}
	fid, err := c.Upload(context.Background(), d.ID, "f", bytes.NewReader(content), size, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.patches) != 2 || *tr.patches[0] != (patchRecord{0, 0, http.StatusConflict}) ||
		*tr.patches[1] != (patchRecord{1000, size - 1000, http.StatusNoContent}) {
		for _, p := range tr.patches {
			t.Logf("PATCH from %d: %d bytes sent, answer %d", p.offset, p.sent, p.status)
		}
		t.Fatal("want a refused PATCH from 0 with no data sent, then the rest from 1000")
	}
	e.submit(d.ID, map[string][]byte{fid: content})
	if got := e.fetch(d.ID, fid); !bytes.Equal(got, content) {
		t.Fatal("server data differs")
	}
}

// otherProcess sends data to the start of an upload, as another process
// holding the same token would.
func otherProcess(t *testing.T, e *env, uploadURL string, data []byte) {
	req, err := http.NewRequest(http.MethodPatch, uploadURL, bytes.NewReader(data))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+e.sender)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Errorf("the other process's PATCH: %s, offset %s", resp.Status, resp.Header.Get("Upload-Offset"))
	}
}

func TestResumeUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.proxy()
	ctx := context.Background()
	// A first process, which does not retry, is cut off mid-upload.
	c1 := e.clientAt(p.URL(), e.sender, client.WithRetry(client.RetryPolicy{}))
	d := e.draft(c1)
	content := randomBytes(1<<20 + 3)
	size := int64(len(content))
	const cut = 123_457
	before := p.Forwarded(testproxy.Upstream)
	f := p.Cut(testproxy.Upstream, cut, 1)
	fid, err := c1.Upload(ctx, d.ID, "f", bytes.NewReader(content), size, nil)
	if err == nil || fid == "" {
		t.Fatalf("upload = %q, %v; want an error and the file id", fid, err)
	}
	struck(t, f)
	// A second one, with a Client of its own, resumes with the upload's URL.
	c2 := e.clientAt(p.URL(), e.sender)
	pr := &progressRecorder{t: t}
	if err := c2.ResumeUpload(ctx, api.PathUploads+fid, bytes.NewReader(content), size, pr.fn); err != nil {
		t.Fatal(err)
	}
	// It asked the server's offset, which counts every byte that reached
	// the server, then sent exactly the rest.
	path := api.PathUploads + fid
	patches := p.Requests("PATCH", path)
	offs, lens := header(patches, "Upload-Offset"), header(patches, "Content-Length")
	if len(patches) != 2 || offs[0] != 0 || offs[1] != int64(int(before)+cut-patches[0].Body) || lens[1] != size-offs[1] {
		t.Fatalf("PATCHes from %v carrying %v bytes", offs, lens)
	}
	if len(p.Requests("HEAD", path)) != 1 || pr.first() != offs[1] || pr.last() != size {
		t.Errorf("progress went from %d to %d; resumed at %d", pr.first(), pr.last(), offs[1])
	}
	e.submit(d.ID, map[string][]byte{fid: content})
	if got := e.fetch(d.ID, fid); !bytes.Equal(got, content) {
		t.Fatal("resumed upload differs")
	}

	// A different file (length) is refused.
	if err := c2.ResumeUpload(ctx, api.PathUploads+fid, bytes.NewReader(content), 5, nil); navette.ErrorCode(err) != navette.ECONFLICT {
		t.Errorf("resume with the wrong size: %v", err)
	}
	// The token goes to the server's origin only.
	if err := c2.ResumeUpload(ctx, "https://evil.example"+api.PathUploads+fid, bytes.NewReader(content), size, nil); err == nil {
		t.Error("foreign upload URL accepted")
	}
	for _, id := range []string{"unknown", navette.NewID()} {
		if err := c2.ResumeUpload(ctx, api.PathUploads+id, bytes.NewReader(content), size, nil); navette.ErrorCode(err) != navette.ENOTFOUND {
			t.Errorf("unknown upload %s: %v", id, err)
		}
	}
}

// An upload created apart (CreateUpload) holds nothing until sent; its
// offset is the server's (UploadOffset); DeleteUpload removes it from its
// draft, and a second time finds nothing. The token goes to the server's
// origin only.
func TestCreateOffsetDeleteUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.clientAt(e.url, e.sender)
	d := e.draft(c)
	content := randomBytes(300_001)
	size := int64(len(content))
	u, err := c.CreateUpload(ctx, d.ID, "f", size)
	if err != nil {
		t.Fatal(err)
	}
	if off, err := c.UploadOffset(ctx, u, size); off != 0 || err != nil {
		t.Fatalf("offset of a new upload: %d, %v", off, err)
	}
	if err := c.ResumeUpload(ctx, u, bytes.NewReader(content[:size]), size, nil); err != nil {
		t.Fatal(err)
	}
	if off, err := c.UploadOffset(ctx, u, size); off != size || err != nil {
		t.Fatalf("offset of a sent upload: %d, %v", off, err)
	}
	stray, err := c.CreateUpload(ctx, d.ID, "g", 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUpload(ctx, stray); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUpload(ctx, stray); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("deleting it again: %v", err)
	}
	if got, err := c.Deposit(ctx, d.ID); err != nil || len(got.Files) != 1 || got.Files[0].Name != "f" {
		t.Errorf("the draft's files: %+v, %v", got, err)
	}
	if err := c.DeleteUpload(ctx, "https://evil.example"+api.PathUploads+path.Base(u)); err == nil {
		t.Error("foreign upload URL accepted")
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Limits.MaxFileSize = 10 })
	ctx := context.Background()
	c := e.client(e.sender)
	_, err := c.CreateDeposit(ctx, api.CreateDeposit{Recipients: nil, Reference: "x"})
	var ne *navette.Error
	if !errors.As(err, &ne) || ne.Code != navette.EINVALID || ne.Message != "At least one recipient is required." {
		t.Errorf("create: %#v", err)
	}
	bad := e.client("wrong-token")
	if _, err := bad.List(ctx, client.BoxInbox, "", 0); !errors.As(err, &ne) || ne.Code != navette.EUNAUTHORIZED ||
		ne.Message != "The API token is missing, unknown, expired or revoked." {
		t.Errorf("bad token: %v", err)
	} else if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("error shows the token: %v", err)
	}
	d := e.draft(c)
	if _, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(make([]byte, 11)), 11, nil); navette.ErrorCode(err) != navette.ETOOLARGE {
		t.Errorf("too large: %v", err)
	}
	if _, err := c.Upload(ctx, navette.NewID(), "f", bytes.NewReader(make([]byte, 1)), 1, nil); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("unknown deposit: %v", err)
	}
	if _, err := c.Submit(ctx, d.ID); navette.ErrorCode(err) != navette.ECONFLICT {
		t.Errorf("submit without files: %v", err)
	}
	if _, err := e.client(e.recipient).Deposit(ctx, d.ID); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("recipient reads a draft: %v", err)
	}
	// Someone else's deposit looks like one that does not exist.
	fid, err := c.Upload(ctx, d.ID, "f", bytes.NewReader([]byte("12345")), 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.submit(d.ID, map[string][]byte{fid: []byte("12345")})
	s := e.client(e.stranger)
	for _, id := range []string{d.ID, navette.NewID()} {
		if _, err := s.Deposit(ctx, id); !errors.As(err, &ne) || ne.Code != navette.ENOTFOUND || ne.Message != "No such deposit." {
			t.Errorf("stranger reads %s: %v", id, err)
		}
	}
	if _, err := s.Download(ctx, d.ID, fid, io.Discard, 0); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("stranger downloads: %v", err)
	}
}

func TestNetworkErrorsStayGoErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
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

func TestDownloadFromOffset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := randomBytes(1<<20 + 1)
	size := int64(len(content))
	id, fid := e.send("f.bin", content)
	sum := sha256.Sum256(content)
	p := e.proxy()
	ignoring := ignoreRange(t, e.url)
	for _, server := range []string{p.URL(), ignoring.URL} {
		var buf bytes.Buffer
		before := p.Forwarded(testproxy.Downstream)
		info, err := e.clientAt(server, e.recipient).Download(context.Background(), id, fid, &buf, 400_000)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), content[400_000:]) || info.Size != size || !bytes.Equal(info.SHA256, sum[:]) {
			t.Errorf("from %s: got %d bytes, info %+v", server, buf.Len(), info)
		}
		if server == p.URL() {
			// The server sent the range only.
			if n := p.Forwarded(testproxy.Downstream) - before; n > size-400_000+4096 {
				t.Errorf("%d bytes came for a range of %d", n, size-400_000)
			}
		}
	}
	if got := ignoring.statuses(); len(got) != 1 || got[0] != http.StatusOK {
		t.Errorf("the range-ignoring proxy answered %v, want one 200", got)
	}
	// Everything is there already: the server says so (416), nothing comes.
	var buf bytes.Buffer
	if info, err := e.client(e.recipient).Download(context.Background(), id, fid, &buf, size); err != nil || buf.Len() != 0 || info.Size != size {
		t.Errorf("complete: %+v %v", info, err)
	}
}

func TestDownloadResumesAfterCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := randomBytes(2 << 20)
	size := int64(len(content))
	id, fid := e.send("f.bin", content)
	p := e.proxy()
	c := e.clientAt(p.URL(), e.recipient)
	const cut = 300_000
	f := p.Cut(testproxy.Downstream, cut, 1)
	var buf bytes.Buffer
	info, err := c.Download(context.Background(), id, fid, &buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	struck(t, f)
	if !bytes.Equal(buf.Bytes(), content) || sha(buf.Bytes()) != sha(content) {
		t.Fatalf("got %d bytes, not the file", buf.Len())
	}
	// Two requests: the whole file, then the rest from where the cut left
	// it, provided the file is still the same.
	gets := p.Requests("GET", api.PathDeposits+"/"+id+"/files/"+fid)
	if len(gets) != 2 || gets[0].Header.Get("Range") != "" {
		t.Fatalf("%d requests: %v", len(gets), gets)
	}
	head := bytes.Index(p.Transcript(testproxy.Downstream), []byte("\r\n\r\n")) + 4 // of the first answer
	if want := "bytes=" + strconv.Itoa(cut-head) + "-"; gets[1].Header.Get("Range") != want || gets[1].Header.Get("If-Range") != info.ETag || info.ETag == "" {
		t.Errorf("resumed with Range %q (want %q), If-Range %q (ETag %q)", gets[1].Header.Get("Range"), want, gets[1].Header.Get("If-Range"), info.ETag)
	}
	if n := p.Forwarded(testproxy.Downstream); n >= size+cut {
		t.Errorf("%d bytes came for a %d-byte file: the download started over", n, size)
	}

	// Without retries, a short body is an error.
	c0 := e.clientAt(p.URL(), e.recipient, client.WithRetry(client.RetryPolicy{}))
	f = p.Cut(testproxy.Downstream, 4000, 1)
	buf.Reset()
	if _, err := c0.Download(context.Background(), id, fid, &buf, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
	struck(t, f)
}

func TestDownloadWriteErrorNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, fid := e.send("f.bin", randomBytes(1<<20))
	p := e.proxy()
	boom := errors.New("disk full")
	_, err := e.clientAt(p.URL(), e.recipient).Download(context.Background(), id, fid, failingWriter{boom}, 0)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if n := len(p.Requests("GET", api.PathDeposits+"/"+id+"/files/"+fid)); n != 1 {
		t.Errorf("%d requests", n)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestDownloadStall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := randomBytes(300_000)
	id, fid := e.send("f.bin", content)
	p := e.proxy()
	// One second without a byte: long enough that a server slowed by a
	// loaded machine is not taken for a dead one, short enough for a test.
	c := e.clientAt(p.URL(), e.recipient, client.WithStallTimeout(time.Second))
	// The connection freezes after a few kilobytes, as with a dead peer.
	f := p.Stall(testproxy.Downstream, 5000)
	var buf bytes.Buffer
	var err error
	within(t, "a download from a dead peer", func() { _, err = c.Download(context.Background(), id, fid, &buf, 0) })
	if err != nil {
		t.Fatal(err)
	}
	struck(t, f) // the client dropped the frozen connection itself
	if !bytes.Equal(buf.Bytes(), content) {
		t.Errorf("got %d bytes", buf.Len())
	}
	// The whole file was asked, then the rest from where the connection
	// froze. The watchdog counts time, so on a loaded machine it may also
	// fire before the stall: then the download must still have resumed
	// from a byte it had, never started over after receiving some.
	tr := p.Transcript(testproxy.Downstream)
	got := 5000 - (bytes.Index(tr, []byte("\r\n\r\n")) + 4) // bytes of the body before the stall
	gets := p.Requests("GET", api.PathDeposits+"/"+id+"/files/"+fid)
	if len(gets) < 2 || gets[0].Header.Get("Range") != "" {
		t.Fatalf("%d requests: %v", len(gets), gets)
	}
	if len(gets) == 2 {
		if r := gets[1].Header.Get("Range"); r != "bytes="+strconv.Itoa(got)+"-" {
			t.Errorf("resumed with Range %q, want bytes=%d-", r, got)
		}
		return
	}
	resumed := false
	for _, g := range gets[1:] {
		r := g.Header.Get("Range")
		resumed = resumed || (r != "" && r != "bytes=0-")
	}
	if !resumed {
		t.Errorf("%d requests, none resumed: %v", len(gets), gets)
	}
}

func TestUploadContextCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.proxy()
	c := e.clientAt(p.URL(), e.sender, client.WithRetry(client.RetryPolicy{InitialDelay: time.Hour, MaxDelay: time.Hour, Budget: 10 * time.Hour}))
	d := e.draft(c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The PATCH is cut; the client would wait an hour before trying again,
	// but the context ends as soon as the cut happened.
	f := p.Cut(testproxy.Upstream, 50_000, 1)
	go func() {
		select {
		case <-f.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	content := randomBytes(100_000)
	var err error
	within(t, "an upload whose context ended", func() {
		_, err = c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// The server refuses a file whose blob fails its integrity check: with a
// problem document when the damage is in the first segment it reads, by
// cutting the connection when it comes later. The client must neither pass
// on altered bytes nor keep retrying: retrying cannot mend the file.
func TestDownloadOfCorruptBlob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.proxy()
	c := e.clientAt(p.URL(), e.recipient)
	content := randomBytes(3*seal.SegmentSize + 500)
	for _, tc := range []struct {
		name string
		at   func(blob []byte) int // the byte to alter
		gets int                   // requests the client makes
		got  int                   // bytes it receives
	}{
		{"first segment", func([]byte) int { return seal.HeaderSize + 100 }, 1, 0},
		{"last segment", func(b []byte) int { return len(b) - 20 }, 2, 3 * seal.SegmentSize},
	} {
		id, fid := e.send("f.bin", content)
		e.damage(fid, func(b []byte) { b[tc.at(b)] ^= 0x80 })
		var buf bytes.Buffer
		var err error
		within(t, "a download of a corrupt file", func() { _, err = c.Download(context.Background(), id, fid, &buf, 0) })
		var ne *navette.Error
		if !errors.As(err, &ne) || ne.Code != navette.EINTERNAL || ne.Message != "The stored file failed its integrity check." {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if n := len(p.Requests("GET", api.PathDeposits+"/"+id+"/files/"+fid)); n != tc.gets {
			t.Errorf("%s: %d requests, want %d", tc.name, n, tc.gets)
		}
		if buf.Len() != tc.got || !bytes.Equal(buf.Bytes(), content[:buf.Len()]) {
			t.Errorf("%s: received %d bytes (want %d), original: %v", tc.name, buf.Len(), tc.got, bytes.Equal(buf.Bytes(), content[:buf.Len()]))
		}
	}
}
