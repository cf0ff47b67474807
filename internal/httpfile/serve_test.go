package httpfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// memFile is a Content held in memory that remembers what it was asked to
// write and what its writer accepted.
type memFile struct {
	data     []byte
	calls    int
	accepted int64
}

func (f *memFile) Size() int64      { return int64(len(f.data)) }
func (f *memFile) FileName() string { return "pièce.pdf" }
func (f *memFile) SHA256() []byte {
	s := sha256.Sum256(f.data)
	return s[:]
}

func (f *memFile) WriteRange(_ context.Context, w io.Writer, off, n int64) error {
	f.calls++
	k, err := w.Write(f.data[off : off+n])
	f.accepted += int64(k)
	return err
}

func TestServe(t *testing.T) {
	data := []byte("0123456789")
	etag := `"sha256-84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"`
	for _, tc := range []struct {
		name         string
		method       string
		hdr          []string
		status       int
		body         string
		calls        int
		contentRange string
	}{
		{"whole", "GET", nil, 200, "0123456789", 1, ""},
		{"range", "GET", []string{"Range", "bytes=2-4"}, 206, "234", 1, "bytes 2-4/10"},
		{"suffix", "GET", []string{"Range", "bytes=-1"}, 206, "9", 1, "bytes 9-9/10"},
		{"several ranges", "GET", []string{"Range", "bytes=0-1,4-5"}, 200, "0123456789", 1, ""},
		{"matching If-Range", "GET", []string{"Range", "bytes=2-4", "If-Range", etag}, 206, "234", 1, "bytes 2-4/10"},
		{"stale If-Range", "GET", []string{"Range", "bytes=2-4", "If-Range", `"sha256-00"`}, 200, "0123456789", 1, ""},
		{"date If-Range", "GET", []string{"Range", "bytes=2-4", "If-Range", "Tue, 01 Dec 2026 10:00:00 GMT"}, 200, "0123456789", 1, ""},
		{"HEAD", "HEAD", nil, 200, "", 0, ""},
		{"HEAD of a range", "HEAD", []string{"Range", "bytes=2-4"}, 206, "", 0, "bytes 2-4/10"},
		{"unsatisfiable", "GET", []string{"Range", "bytes=10-"}, 416, "refused", 0, "bytes */10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &memFile{data: data}
			req := httptest.NewRequest(tc.method, "/f", nil)
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				req.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			w := httptest.NewRecorder()
			Serve(w, req, f, func(w http.ResponseWriter, r *http.Request, err error) {
				if !errors.Is(err, ErrUnsatisfiable) {
					t.Errorf("error %v, want ErrUnsatisfiable", err)
				}
				w.WriteHeader(416)
				io.WriteString(w, "refused")
			}, nil)
			if w.Code != tc.status || w.Body.String() != tc.body || f.calls != tc.calls {
				t.Errorf("got %d %q after %d reads, want %d %q after %d", w.Code, w.Body.String(), f.calls, tc.status, tc.body, tc.calls)
			}
			h := w.Header()
			if h.Get("Content-Range") != tc.contentRange || h.Get("ETag") != etag || h.Get("Accept-Ranges") != "bytes" {
				t.Errorf("headers %v", h)
			}
			if tc.status/100 == 2 {
				for k, want := range map[string]string{
					"Content-Security-Policy": SandboxCSP,
					"X-Content-Type-Options":  "nosniff",
					"Cache-Control":           "private, no-store",
					"Content-Disposition":     ContentDisposition("pièce.pdf"),
					"Content-Type":            "application/octet-stream",
					"Repr-Digest":             "sha-256=:hNiYd/DUBB77a/kaFvAkjy/Vc+avBcGflr7bn4gveII=:",
				} {
					if got := h.Get(k); got != want {
						t.Errorf("%s: %q, want %q", k, got, want)
					}
				}
			} else if h.Get("Content-Disposition") != "" {
				t.Errorf("an error answer is an attachment: %v", h)
			}
		})
	}
}

// failingFlush is an answer whose connection is gone: writes go to its
// buffer, flushing them fails. A real server cannot be made to fail a flush
// on cue, hence this stand-in.
type failingFlush struct{ *httptest.ResponseRecorder }

func (failingFlush) Flush() {}

func (failingFlush) FlushError() error { return errors.New("connection reset by peer") }

func TestFlushingCountsOnlyFlushedBytes(t *testing.T) {
	var buf bytes.Buffer
	w := Flushing(&buf, failingFlush{httptest.NewRecorder()})
	if n, err := w.Write([]byte("abc")); n != 0 || err == nil {
		t.Errorf("write then failed flush: %d, %v; want 0 and the error", n, err)
	}
	rec := httptest.NewRecorder()
	w = Flushing(rec, rec)
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil || !rec.Flushed {
		t.Errorf("write then flush: %d, %v, flushed %v", n, err, rec.Flushed)
	}
}

// memArchive is an Archive held in memory that counts its writes.
type memArchive struct{ writes int }

func (a *memArchive) Name() string { return "affaire.zip" }
func (a *memArchive) WriteTo(_ context.Context, w io.Writer) error {
	a.writes++
	_, err := w.Write([]byte("PK\x03\x04"))
	return err
}

func TestServeArchive(t *testing.T) {
	failed := func(w http.ResponseWriter, _ *http.Request, err error) { http.Error(w, err.Error(), http.StatusTeapot) }
	for _, tc := range []struct {
		method   string
		err      error
		status   int
		body     string
		writes   int
		attached bool
	}{
		{http.MethodGet, nil, http.StatusOK, "PK\x03\x04", 1, true},
		{http.MethodHead, nil, http.StatusOK, "", 0, true},
		{http.MethodGet, errors.New("no file"), http.StatusTeapot, "no file\n", 0, false},
	} {
		a := &memArchive{}
		rec := httptest.NewRecorder()
		ServeArchive(rec, httptest.NewRequest(tc.method, "/cases/x/zip", nil), a, tc.err, failed, nil)
		cd := rec.Header().Get("Content-Disposition")
		if rec.Code != tc.status || rec.Body.String() != tc.body || a.writes != tc.writes || (cd != "") != tc.attached {
			t.Errorf("%s (err %v): %d %q, %d writes, Content-Disposition %q", tc.method, tc.err, rec.Code, rec.Body, a.writes, cd)
		}
		if tc.err == nil && rec.Header().Get("Content-Type") != "application/zip" {
			t.Errorf("%s: Content-Type %q", tc.method, rec.Header().Get("Content-Type"))
		}
	}
}
