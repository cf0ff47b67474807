package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette"
	"navette/disk"
	"navette/internal/tests3"
	"navette/s3"
	"navette/storetest"
)

func TestMain(m *testing.M) { tests3.Main(m) }

const mib = 1 << 20

// openStore opens a Store on bucket of srv, closed when t ends; extra are
// URL parameters.
func openStore(t testing.TB, srv *tests3.Server, bucket string, extra ...string) *s3.Store {
	t.Helper()
	return openStoreAt(t, srv, bucket, srv.Endpoint, extra...)
}

// openStoreAt is openStore with the S3 service reached at endpoint (a
// proxy in front of srv).
func openStoreAt(t testing.TB, srv *tests3.Server, bucket, endpoint string, extra ...string) *s3.Store {
	t.Helper()
	cfg, err := s3.ParseURL(srv.URL(bucket, extra...))
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	cfg.Endpoint = endpoint
	cfg.Credentials = s3.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBlobStore(t *testing.T) {
	srv := tests3.Shared(t)
	storetest.TestBlobStore(t, func(t *testing.T) navette.BlobStore {
		return openStore(t, srv, srv.NewBucket(t))
	})
}

func TestBlobStorePrefix(t *testing.T) {
	srv := tests3.Shared(t)
	storetest.TestBlobStore(t, func(t *testing.T) navette.BlobStore {
		return openStore(t, srv, srv.NewBucket(t), "prefix=navette/blobs")
	})
}

// source returns size deterministic random bytes.
func source(seed uint64, size int64) io.Reader {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return io.LimitReader(rand.NewChaCha8(s), size)
}

// bytesOf returns size deterministic random bytes.
func bytesOf(seed uint64, size int64) []byte {
	b, _ := io.ReadAll(source(seed, size))
	return b
}

// write appends data to key at off through s and commits it.
func write(t testing.TB, s navette.BlobStore, key string, off int64, data []byte) {
	t.Helper()
	w, err := s.Append(t.Context(), key, off)
	if err != nil {
		t.Fatalf("Append(%d): %v", off, err)
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// read returns n bytes of key from off, and the error that ended them.
func read(t testing.TB, s navette.BlobStore, key string, off, n int64) ([]byte, error) {
	t.Helper()
	r, err := s.Open(t.Context(), key, off, n)
	if err != nil {
		t.Fatalf("Open(%d, %d): %v", off, n, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// checkBlob checks that key holds want, whole and in a few ranges.
func checkBlob(t testing.TB, s navette.BlobStore, key string, want []byte) {
	t.Helper()
	got, err := read(t, s, key, 0, -1)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (%v), want %d; equal prefix: %t", len(got), err, len(want), bytes.HasPrefix(want, got))
	}
	size := int64(len(want))
	for _, c := range []struct{ off, n int64 }{{0, 1}, {size / 3, size / 3}, {size - 1, 1}, {size / 2, -1}} {
		if c.off < 0 || c.off+c.n > size {
			continue
		}
		w := want[c.off:]
		if c.n >= 0 {
			w = w[:c.n]
		}
		if got, err := read(t, s, key, c.off, c.n); err != nil || !bytes.Equal(got, w) {
			t.Errorf("Open(%d, %d): %d bytes (%v), want %d", c.off, c.n, len(got), err, len(w))
		}
	}
}

// objects returns the names of the objects in bucket, sorted, and the
// object names of its multipart uploads in progress.
func objects(t testing.TB, srv *tests3.Server, bucket string) (names, uploads []string) {
	t.Helper()
	for o := range srv.Client().ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list: %v", o.Err)
		}
		names = append(names, o.Key)
	}
	core := &minio.Core{Client: srv.Client()}
	res, err := core.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	for _, u := range res.Uploads {
		uploads = append(uploads, u.Key)
	}
	slices.Sort(names)
	return names, uploads
}

// checkObjects checks that bucket holds exactly the objects named want and
// no multipart upload.
func checkObjects(t testing.TB, srv *tests3.Server, bucket string, want ...string) {
	t.Helper()
	names, uploads := objects(t, srv, bucket)
	slices.Sort(want)
	if !slices.Equal(names, want) || len(uploads) > 0 {
		t.Errorf("bucket holds %q and uploads %q, want %q and none", names, uploads, want)
	}
}

// TestTwoNodes continues an upload through a second Store, as another node
// would, with parts and tails committed by both.
func TestTwoNodes(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	a, b := openStore(t, srv, bucket), openStore(t, srv, bucket)
	key := navette.NewID()
	data := bytesOf(1, 41*mib+12345)
	// Cuts: a tail only, parts and a tail, a part ending on the commit,
	// small appends, the rest.
	cuts := []int64{3 * mib, 11*mib + 7, 16 * mib, 16*mib + 1, 16*mib + 65564, 30 * mib, int64(len(data))}
	var off int64
	for i, end := range cuts {
		s := a
		if i%2 == 1 {
			s = b
		}
		write(t, s, key, off, data[off:end])
		off = end
	}
	if got, err := a.Unfinished(t.Context()); err != nil || !slices.Equal(got, []string{key}) {
		t.Fatalf("Unfinished: %q, %v", got, err)
	}
	if err := b.Finish(t.Context(), key); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if err := a.Finish(t.Context(), key); err != nil {
		t.Fatalf("Finish on the other node: %v", err)
	}
	checkBlob(t, a, key, data)
	checkBlob(t, b, key, data)
	checkObjects(t, srv, bucket, "blobs/"+key)
}

// waitParts polls until the multipart upload of key in bucket has n parts,
// for at most a minute.
func waitParts(t *testing.T, srv *tests3.Server, bucket, key string, n int) {
	t.Helper()
	core := &minio.Core{Client: srv.Client()}
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := core.ListMultipartUploads(t.Context(), bucket, "blobs/"+key, "", "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		if len(res.Uploads) == 1 {
			parts, err := core.ListObjectParts(t.Context(), bucket, "blobs/"+key, res.Uploads[0].UploadID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			got = len(parts.ObjectParts)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upload has %d parts, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWriterCrash drops writers, without Close, after they wrote past the
// committed offset (full parts included), and goes on from the committed
// offset through another Store; with part buffers, and with every part
// spooled.
func TestWriterCrash(t *testing.T) {
	for _, buffers := range []int{0, -1} {
		t.Run(fmt.Sprintf("Buffers%d", buffers), func(t *testing.T) { testWriterCrash(t, buffers) })
	}
}

func testWriterCrash(t *testing.T, buffers int) {
	srv := tests3.Shared(t)
	for _, c := range []struct {
		name      string
		committed int64 // bytes committed before the crash
		lost      int64 // bytes written after, never committed
		parts     int   // parts of the upload once the lost bytes are sent
	}{
		{"Tail", 3 * mib, 20 * mib, 2},
		{"Parts", 13 * mib, 30 * mib, 5},
		{"PartsAndTail", 17*mib + 3, 9 * mib, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			bucket := srv.NewBucket(t)
			key := navette.NewID()
			data := bytesOf(2, c.committed+5*mib)
			crashed := openStoreWith(t, srv, bucket, buffers, t.TempDir())
			write(t, crashed, key, 0, data[:c.committed])
			w, err := crashed.Append(t.Context(), key, c.committed)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(bytesOf(3, c.lost)); err != nil {
				t.Fatal(err)
			}
			// The writer is dropped; its parts land.
			waitParts(t, srv, bucket, key, c.parts)

			s := openStoreWith(t, srv, bucket, buffers, t.TempDir())
			if w, err := s.Append(t.Context(), key, c.committed+1); err == nil {
				w.Close()
				t.Fatal("Append past the committed offset succeeded")
			} else if navette.ErrorCode(err) != navette.ECONFLICT {
				t.Fatalf("Append past the committed offset: %v, want ECONFLICT", err)
			}
			write(t, s, key, c.committed, data[c.committed:])
			if err := s.Finish(t.Context(), key); err != nil {
				t.Fatal(err)
			}
			checkBlob(t, s, key, data)
			checkObjects(t, srv, bucket, "blobs/"+key)
		})
	}
}

// TestResumeAfterLostAnswer goes back to the offset of the commit before the
// last, as a caller must when a Commit reached the store but its answer was
// lost, even when the last commit made a part that straddles that offset.
func TestResumeAfterLostAnswer(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket)
	key := navette.NewID()
	data := bytesOf(4, 20*mib)
	write(t, s, key, 0, data[:3*mib])
	write(t, s, key, 3*mib, bytesOf(5, 10*mib)) // "lost": parts of 8 and 5 MiB
	// Inside a part, and not a previous commit: refused.
	if w, err := s.Append(t.Context(), key, 5*mib); err == nil {
		w.Close()
		t.Fatal("Append inside a part succeeded")
	} else if navette.ErrorCode(err) != navette.ECONFLICT {
		t.Fatalf("Append inside a part: %v, want ECONFLICT", err)
	}
	write(t, s, key, 3*mib, data[3*mib:])
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, key, data)
	checkObjects(t, srv, bucket, "blobs/"+key)
}

// TestInterruptedFinish brings back the state object of a finished blob, as
// a Finish interrupted after completing the upload leaves it.
func TestInterruptedFinish(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket, "prefix=p")
	for _, size := range []int64{100, 12 * mib} {
		key := navette.NewID()
		data := bytesOf(6, size)
		write(t, s, key, 0, data)
		stateName := "p/uploads/" + key + ".json"
		o, err := srv.Client().GetObject(t.Context(), bucket, stateName, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := io.ReadAll(o)
		o.Close()
		if err != nil || !json.Valid(st) {
			t.Fatalf("state %q: %v", st, err)
		}
		if err := s.Finish(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client().PutObject(t.Context(), bucket, stateName, bytes.NewReader(st), int64(len(st)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Unfinished(t.Context()); err != nil || !slices.Equal(got, []string{key}) {
			t.Fatalf("Unfinished: %q, %v", got, err)
		}
		if w, err := s.Append(t.Context(), key, size); err == nil {
			w.Close()
			t.Fatal("Append to a finished blob succeeded")
		}
		if err := s.Finish(t.Context(), key); err != nil {
			t.Fatalf("Finish again: %v", err)
		}
		checkBlob(t, s, key, data)
		checkObjects(t, srv, bucket, "p/blobs/"+key)
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		checkObjects(t, srv, bucket)
	}
}

// TestDeleteUnrecorded deletes a blob whose multipart upload no state
// records, as a writer dying right after making it leaves.
func TestDeleteUnrecorded(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket)
	key := navette.NewID()
	core := &minio.Core{Client: srv.Client()}
	if _, err := core.NewMultipartUpload(t.Context(), bucket, "blobs/"+key, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	write(t, s, key, 0, bytesOf(7, 10*mib))
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkObjects(t, srv, bucket)
}

// TestPrefixes keeps two stores apart in one bucket.
func TestPrefixes(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	a, b := openStore(t, srv, bucket, "prefix=a/"), openStore(t, srv, bucket, "prefix=b")
	ka, kb := navette.NewID(), navette.NewID()
	write(t, a, ka, 0, []byte("a"))
	write(t, b, kb, 0, []byte("b"))
	for _, c := range []struct {
		s    *s3.Store
		want string
	}{{a, ka}, {b, kb}} {
		if got, err := c.s.Unfinished(t.Context()); err != nil || !slices.Equal(got, []string{c.want}) {
			t.Errorf("Unfinished of %s: %q, %v", c.s.Prefix(), got, err)
		}
	}
	if err := a.Finish(t.Context(), kb); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("Finish of the other prefix's blob: %v", err)
	}
	names, _ := objects(t, srv, bucket)
	for _, n := range names {
		if !strings.HasPrefix(n, "a/uploads/"+ka) && !strings.HasPrefix(n, "b/uploads/"+kb) {
			t.Errorf("object %s", n)
		}
	}
}

// TestShortReads checks reads past the end against the disk store's.
func TestShortReads(t *testing.T) {
	srv := tests3.Shared(t)
	stores := map[string]navette.BlobStore{"s3": openStore(t, srv, srv.NewBucket(t))}
	d, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stores["disk"] = d
	key := navette.NewID()
	data := bytesOf(8, 1000)
	for _, s := range stores {
		write(t, s, key, 0, data)
		if err := s.Finish(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		off, n int64
		got    int
		short  bool
	}{
		{0, 1000, 1000, false}, {0, 1001, 1000, true}, {900, 200, 100, true}, {999, 2, 1, true},
		{1000, -1, 0, false}, {1000, 0, 0, false}, {1000, 1, 0, true},
		{1001, -1, 0, true}, {1001, 0, 0, true}, {5000, 10, 0, true},
	} {
		for name, s := range stores {
			got, err := read(t, s, key, c.off, c.n)
			if len(got) != c.got || c.got > 0 && !bytes.Equal(got, data[c.off:c.off+int64(len(got))]) || errors.Is(err, io.ErrUnexpectedEOF) != c.short || err != nil && !c.short {
				t.Errorf("%s: Open(%d, %d): %d bytes, %v; want %d bytes, short %t", name, c.off, c.n, len(got), err, c.got, c.short)
			}
		}
	}
}

// TestWriterStates checks the writer's ends: source errors, use after
// Close, and refused offsets.
func TestWriterStates(t *testing.T) {
	srv := tests3.Shared(t)
	s := openStore(t, srv, srv.NewBucket(t))
	key := navette.NewID()
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	errSource := errors.New("client went away")
	src := io.MultiReader(source(9, 9*mib), errReader{errSource})
	if n, err := io.Copy(w, src); n != 9*mib || err != errSource {
		t.Fatalf("io.Copy: %d, %v; want 9 MiB, the source's error", n, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit after a source error: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if _, err := io.Copy(w, bytes.NewReader([]byte("late"))); err == nil {
		t.Error("ReadFrom after Close succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Close succeeded")
	}
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, key, bytesOf(9, 9*mib))
	if _, err := s.Append(t.Context(), navette.NewID(), -1); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("Append(-1): %v, want EINVALID", err)
	}
	if _, err := s.Open(t.Context(), key, -1, 1); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("Open(-1): %v, want EINVALID", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// memWatch is a source that samples the heap as it is read.
type memWatch struct {
	r        io.Reader
	read     int64
	next     int64
	peakHeap uint64
}

func (m *memWatch) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.read += int64(n)
	if m.read >= m.next {
		m.next += 16 * mib
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.peakHeap = max(m.peakHeap, ms.HeapInuse)
	}
	return n, err
}

// TestFlatMemory writes 256 MiB through one writer: what it allocates and
// the heap in use stay within a few part buffers.
func TestFlatMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (scripts/test.sh runs this test without it)")
	}
	const (
		size  = 256 * mib
		limit = 64 * mib
	)
	srv := tests3.Shared(t)
	s := openStore(t, srv, srv.NewBucket(t))
	key := navette.NewID()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	src := &memWatch{r: source(10, size), peakHeap: before.HeapInuse}
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(w, src); n != size || err != nil {
		t.Fatalf("io.Copy: %d, %v", n, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	heap := int64(src.peakHeap) - int64(before.HeapInuse)
	t.Logf("writing %d MiB allocated %d KiB; heap in use grew by at most %d KiB", size/mib, alloc>>10, heap>>10)
	if alloc > limit || heap > limit {
		t.Errorf("writing %d MiB allocated %d MiB, heap grew by %d MiB; want at most %d MiB", size/mib, alloc/mib, heap/mib, limit/mib)
	}
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, want := sha256.New(), sha256.New()
	io.Copy(want, source(10, size))
	if n, err := io.Copy(h, r); n != size || err != nil || !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read back %d bytes, %v; same SHA-256: %t", n, err, bytes.Equal(h.Sum(nil), want.Sum(nil)))
	}
}

// TestS3Down takes S3 down during a write: Commit fails and loses nothing
// committed before; once S3 is back the upload goes on from the committed
// offset.
func TestS3Down(t *testing.T) {
	srv := tests3.New(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket)
	key := navette.NewID()
	data := bytesOf(11, 30*mib)
	const committed = 11 * mib

	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write(data[:committed]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[committed : 20*mib]); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[20*mib : 25*mib]); err != nil && navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Errorf("Write while S3 is down: %v, want nil or EUNAVAILABLE", err)
	}
	err = w.Commit()
	if code := navette.ErrorCode(err); code != navette.EUNAVAILABLE {
		t.Fatalf("Commit while S3 is down: %v (code %q), want EUNAVAILABLE", err, code)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("a second Commit of the failed writer succeeded")
	}
	w.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Append(ctx, key, committed); navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Errorf("Append while S3 is down: %v, want EUNAVAILABLE", err)
	}
	if err := s.Ping(ctx); navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Errorf("Ping while S3 is down: %v, want EUNAVAILABLE", err)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	write(t, s, key, committed, data[committed:])
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, key, data)
	checkObjects(t, srv, bucket, "blobs/"+key)
}

// TestCorruptState refuses to go on from a state object that does not
// parse, and deletes the blob all the same.
func TestCorruptState(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket)
	key := navette.NewID()
	write(t, s, key, 0, bytesOf(13, 6*mib))
	for _, st := range []string{"{", `{"v":1,"size":5}`, `{"v":2,"size":0}`, `{"v":1,"size":9999999,"tail":"x","tail_size":9999999}`} {
		if _, err := srv.Client().PutObject(t.Context(), bucket, "uploads/"+key+".json", strings.NewReader(st), int64(len(st)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if w, err := s.Append(t.Context(), key, 5); navette.ErrorCode(err) != navette.EINTERNAL {
			if err == nil {
				w.Close()
			}
			t.Errorf("Append with state %s: %v, want EINTERNAL", st, err)
		}
		if err := s.Finish(t.Context(), key); navette.ErrorCode(err) != navette.EINTERNAL {
			t.Errorf("Finish with state %s: %v, want EINTERNAL", st, err)
		}
	}
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkObjects(t, srv, bucket)
}
