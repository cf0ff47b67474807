package s3_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"navette"
	"navette/internal/tests3"
	"navette/s3"
	"navette/storetest"
)

// openStoreWith opens a Store on bucket of srv with at most buffers part
// buffers, spooling to spool.
func openStoreWith(t testing.TB, srv *tests3.Server, bucket string, buffers int, spool string) *s3.Store {
	t.Helper()
	cfg, err := s3.ParseURL(srv.URL(bucket))
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	cfg.Credentials = s3.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	cfg.PartBuffers, cfg.SpoolDir = buffers, spool
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openSpools returns how many files of the process are open in dir, named
// or not.
func openSpools(t testing.TB, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
			n++
		}
	}
	return n
}

// checkSpoolsGone checks that dir holds no file and that none of it is
// open, and that s lends no buffer.
func checkSpoolsGone(t testing.TB, s *s3.Store, dir string) {
	t.Helper()
	if entries, err := os.ReadDir(dir); err != nil || len(entries) > 0 {
		t.Errorf("the spool directory holds %d files (%v), want none", len(entries), err)
	}
	if n := openSpools(t, dir); n > 0 {
		t.Errorf("%d spool files are still open", n)
	}
	if n := s3.PartBuffersInUse(s); n != 0 {
		t.Errorf("%d part buffers still lent", n)
	}
}

// TestBlobStoreSpooled runs the conformance suite with no part buffer:
// every part and tail goes through a spool file.
func TestBlobStoreSpooled(t *testing.T) {
	srv := tests3.Shared(t)
	storetest.TestBlobStore(t, func(t *testing.T) navette.BlobStore {
		return openStoreWith(t, srv, srv.NewBucket(t), -1, t.TempDir())
	})
}

// segmentSize is the size of a sealed segment, what the upload path
// writes at a time.
const segmentSize = 65536 + 28

// writeSegments writes data through w a sealed segment at a time.
func writeSegments(w io.Writer, data []byte) error {
	for off := 0; off < len(data); off += segmentSize {
		if _, err := w.Write(data[off:min(off+segmentSize, len(data))]); err != nil {
			return err
		}
	}
	return nil
}

// TestPartBufferCap runs more writers at once than there are part
// buffers, all holding bytes together: they never hold more buffers than
// the cap, the others spool, and every blob comes out whole.
func TestPartBufferCap(t *testing.T) {
	srv := tests3.Shared(t)
	spool := t.TempDir()
	checkCap(t, openStoreWith(t, srv, srv.NewBucket(t), 2, spool), spool, 8, 2)
}

// TestPartBuffersURL opens a store as serve does, from a URL with
// part_buffers=1 and credentials from the environment: its writers never
// hold more than that one buffer.
func TestPartBuffersURL(t *testing.T) {
	srv := tests3.Shared(t)
	clearCredentials(t)
	t.Setenv(s3.EnvAccessKey, srv.AccessKey)
	t.Setenv(s3.EnvSecretKey, srv.SecretKey)
	spool := t.TempDir()
	s, err := s3.OpenSpooling(t.Context(), srv.URL(srv.NewBucket(t), "part_buffers=1"), spool)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkCap(t, s, spool, 3, 1)
}

// checkCap runs writers writers on s at once, all holding bytes together,
// and checks that they held at most buffers part buffers, that the others
// spooled to spool, and that every blob came out whole.
func checkCap(t *testing.T, s *s3.Store, spool string, writers, buffers int) {
	t.Helper()
	const size = 21 * mib // two parts and a tail, then a last part
	keys := make([]string, writers)
	errs := make([]error, writers)
	var started, done sync.WaitGroup
	started.Add(writers)
	for i := range writers {
		keys[i] = navette.NewID()
		done.Go(func() {
			errs[i] = capWriter(t, s, keys[i], bytesOf(uint64(40+i), size), &started)
		})
	}
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
		checkBlob(t, s, keys[i], bytesOf(uint64(40+i), size))
	}
	if peak := s3.PartBuffersPeak(s); peak > int64(buffers) || peak == 0 {
		t.Errorf("the writers held up to %d part buffers at once, want 1 to %d", peak, buffers)
	}
	if n := s3.Spooled(s); n < int64(writers-buffers) {
		t.Errorf("%d parts were spooled, want at least %d", n, writers-buffers)
	}
	checkSpoolsGone(t, s, spool)
}

// capWriter writes data to key through s, each writer holding its first
// bytes until all have theirs (started), then commits at 9 MiB and at the
// end, and finishes the blob.
func capWriter(t *testing.T, s *s3.Store, key string, data []byte, started *sync.WaitGroup) error {
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		started.Done()
		return err
	}
	defer w.Close()
	err = writeSegments(w, data[:1024])
	started.Done()
	started.Wait()
	for _, step := range []func() error{
		func() error { return writeSegments(w, data[1024:9*mib]) },
		w.Commit,
		func() error { return writeSegments(w, data[9*mib:]) },
		w.Commit,
		w.Close,
		func() error { return s.Finish(t.Context(), key) },
	} {
		if err != nil {
			return err
		}
		err = step()
	}
	return err
}

// TestStalledWriter holds the only part buffer in a writer whose source
// stalls in the middle of a part: other writers go on through spool files
// and finish, then the stalled one resumes and finishes too.
func TestStalledWriter(t *testing.T) {
	srv := tests3.Shared(t)
	spool := t.TempDir()
	s := openStoreWith(t, srv, srv.NewBucket(t), 1, spool)

	stalled := navette.NewID()
	data := bytesOf(50, 12*mib)
	w, err := s.Append(t.Context(), stalled, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pr, pw := io.Pipe()
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(w, pr)
		copied <- err
	}()
	if _, err := pw.Write(data[:mib]); err != nil {
		t.Fatal(err)
	}
	if n := s3.PartBuffersInUse(s); n != 1 {
		t.Fatalf("the stalled writer holds %d part buffers, want the only one", n)
	}

	for i := range 3 {
		key, other := navette.NewID(), bytesOf(uint64(51+i), 20*mib)
		write(t, s, key, 0, other)
		if err := s.Finish(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		checkBlob(t, s, key, other)
	}
	if n := s3.Spooled(s); n == 0 {
		t.Error("no part was spooled while the only buffer was held")
	}

	if _, err := pw.Write(data[mib:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-copied; err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(t.Context(), stalled); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, stalled, data)
	if peak := s3.PartBuffersPeak(s); peak != 1 {
		t.Errorf("up to %d part buffers lent at once, want 1", peak)
	}
	checkSpoolsGone(t, s, spool)
}

// TestSpoolLeftovers removes at start the spool files a crash left, and
// only those.
func TestSpoolLeftovers(t *testing.T) {
	srv := tests3.Shared(t)
	spool := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s3part-123", "s3part-456", "other"} {
		if err := os.WriteFile(filepath.Join(spool, name), []byte("sealed bytes"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openStoreWith(t, srv, srv.NewBucket(t), 0, spool)
	entries, err := os.ReadDir(spool)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "other" {
		t.Errorf("the spool directory holds %v, want only other", entries)
	}
	made := filepath.Join(t.TempDir(), "a", "b")
	openStoreWith(t, srv, srv.NewBucket(t), 0, made)
	if fi, err := os.Stat(made); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("the spool directory was not made private: %v, %v", fi, err)
	}
}

// TestBlobStoreWithoutPartCopy runs the conformance suite through a proxy
// that answers UploadPartCopy as a service without it does (501
// NotImplemented): Finish reads the tail back and uploads it instead.
func TestBlobStoreWithoutPartCopy(t *testing.T) {
	srv := tests3.Shared(t)
	target, err := url.Parse("http://" + srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			refused.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotImplemented)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented.</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	storetest.TestBlobStore(t, func(t *testing.T) navette.BlobStore {
		return openStoreAt(t, srv, srv.NewBucket(t), strings.TrimPrefix(front.URL, "http://"))
	})
	if refused.Load() == 0 {
		t.Errorf("no UploadPartCopy was tried")
	}
}
