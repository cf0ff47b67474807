package disk_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"navette"
	"navette/disk"
	"navette/internal/testtmpfs"
	"navette/storetest"
)

func openStore(t testing.TB) *disk.Store {
	t.Helper()
	s, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestBlobStore(t *testing.T) {
	storetest.TestBlobStore(t, func(t *testing.T) navette.BlobStore { return openStore(t) })
}

// put writes data as the finished blob key.
func put(t *testing.T, s *disk.Store, key string, data []byte, finish bool) {
	t.Helper()
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if finish {
		if err := s.Finish(t.Context(), key); err != nil {
			t.Fatalf("Finish: %v", err)
		}
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestModesAndLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "store")
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	for _, d := range []string{dir, filepath.Join(dir, "uploads"), filepath.Join(dir, "blobs")} {
		wantMode(t, d, 0o700)
	}

	key, other := navette.NewID(), navette.NewID()
	put(t, s, key, []byte("blob"), false)
	put(t, s, other, []byte("other"), false)
	wantMode(t, filepath.Join(dir, "uploads", key), 0o600)

	keys, err := s.Unfinished(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{key, other}; !slices.Equal(keys, slices.Sorted(slices.Values(want))) {
		t.Errorf("Unfinished = %q, want %q", keys, want)
	}

	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(dir, "blobs", key[:2], key)
	wantMode(t, filepath.Dir(final), 0o700)
	wantMode(t, final, 0o600)
	if b, err := os.ReadFile(final); err != nil || string(b) != "blob" {
		t.Errorf("finished blob: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "uploads", key)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload left after Finish: %v", err)
	}

	// Stray names in uploads/ are not keys.
	if err := os.WriteFile(filepath.Join(dir, "uploads", "junk.tmp"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err = s.Unfinished(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{other}) {
		t.Errorf("Unfinished = %q, want %q", keys, []string{other})
	}

	// A store opens again on its own directory.
	if _, err := disk.Open(dir); err != nil {
		t.Fatalf("reopen: %v", err)
	}
}

func TestInvalidKeysStayInside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "store")
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, key := range []string{"../../escape", "../../../escapeescapeescapeescap", "blobs/../../../../escapeescapees"} {
		if w, err := s.Append(ctx, key, 0); err == nil {
			w.Write([]byte("x"))
			w.Commit()
			w.Close()
			t.Errorf("Append(%q) succeeded", key)
		} else if navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("Append(%q): %v, want EINVALID", key, err)
		}
		s.Finish(ctx, key)
	}
	var files []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if len(files) != 0 {
		t.Errorf("files made: %q", files)
	}
}

func TestShortBlob(t *testing.T) {
	s := openStore(t)
	key := navette.NewID()
	data := bytes.Repeat([]byte("0123456789"), 10)
	put(t, s, key, data, true)
	// The blob loses its tail, as a damaged disk might do.
	if err := os.Truncate(filepath.Join(s.Dir(), "blobs", key[:2], key), 60); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		off, n int64
		got    int
	}{
		{0, 100, 60}, {50, 20, 10}, {60, 1, 0}, {70, 10, 0}, {70, -1, 0}, {70, 0, 0},
	} {
		// Read, WriteTo to a ReaderFrom (bytes.Buffer), WriteTo to a plain
		// writer, WriteTo to a file (copy_file_range).
		for _, mode := range []string{"Read", "Buffer", "Writer", "File"} {
			r, err := s.Open(t.Context(), key, c.off, c.n)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			switch mode {
			case "Read":
				var b []byte
				b, err = io.ReadAll(r)
				n = len(b)
			case "Buffer":
				var b bytes.Buffer
				_, err = io.Copy(&b, r)
				n = b.Len()
			case "Writer":
				var b bytes.Buffer
				_, err = io.Copy(struct{ io.Writer }{&b}, r)
				n = b.Len()
			case "File":
				f, ferr := os.Create(filepath.Join(t.TempDir(), "copy"))
				if ferr != nil {
					t.Fatal(ferr)
				}
				_, err = io.Copy(f, r)
				fi, _ := f.Stat()
				n = int(fi.Size())
				f.Close()
			}
			r.Close()
			if !errors.Is(err, io.ErrUnexpectedEOF) || n != c.got {
				t.Errorf("%s (%d, %d): %d bytes, %v; want %d bytes, io.ErrUnexpectedEOF", mode, c.off, c.n, n, err, c.got)
			}
		}
	}

	// Exact reads end cleanly, whatever the path.
	for _, mode := range []string{"Buffer", "File"} {
		r, err := s.Open(t.Context(), key, 10, 50)
		if err != nil {
			t.Fatal(err)
		}
		var w io.Writer = new(bytes.Buffer)
		if mode == "File" {
			f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w = f
		}
		if n, err := io.Copy(w, r); n != 50 || err != nil {
			t.Errorf("%s: copied %d, %v; want 50, nil", mode, n, err)
		}
		r.Close()
	}
}

func TestWriterStates(t *testing.T) {
	s := openStore(t)
	key := navette.NewID()
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	// io.Copy goes through ReadFrom; an error of the source comes back as
	// is and leaves the writer usable.
	errSource := errors.New("client went away")
	n, err := io.Copy(w, io.MultiReader(bytes.NewReader([]byte("partial")), errReader{errSource}))
	if n != 7 || err != errSource {
		t.Fatalf("io.Copy: %d, %v; want 7, the source's error", n, err)
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
	r, err := s.Open(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); string(b) != "partial" || err != nil {
		t.Errorf("read %q, %v; want %q", b, err, "partial")
	}

	// Negative offsets are refused.
	if _, err := s.Append(t.Context(), navette.NewID(), -1); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("Append(-1): %v, want EINVALID", err)
	}
	if _, err := s.Open(t.Context(), key, -1, 1); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("Open(-1): %v, want EINVALID", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// zeros is an endless source of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestFlatMemory checks that writing and reading a large blob allocates a
// bounded amount, whatever its size.
func TestFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 320 MiB")
	}
	const (
		size  = 256 << 20
		limit = 4 << 20
	)
	s := openStore(t)
	ctx := t.Context()
	key := navette.NewID()
	chunk := make([]byte, 32<<10) // what an HTTP body read brings

	before := totalAlloc()
	w, err := s.Append(ctx, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	for written := 0; written < size; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if d := totalAlloc() - before; d > limit {
		t.Errorf("writing %d MiB allocated %d KiB", size>>20, d>>10)
	} else {
		t.Logf("writing %d MiB allocated %d KiB", size>>20, d>>10)
	}

	// The io.Copy path, through ReadFrom, appending to the blob.
	before = totalAlloc()
	w, err = s.Append(ctx, key, size)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(w, io.LimitReader(zeros{}, 64<<20)); n != 64<<20 || err != nil {
		t.Fatalf("io.Copy: %d, %v", n, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if d := totalAlloc() - before; d > limit {
		t.Errorf("io.Copy of 64 MiB allocated %d KiB", d>>10)
	}

	if err := s.Finish(ctx, key); err != nil {
		t.Fatal(err)
	}
	before = totalAlloc()
	r, err := s.Open(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if n, err := io.Copy(h, r); n != size+64<<20 || err != nil {
		t.Fatalf("read: %d, %v", n, err)
	}
	r.Close()
	if d := totalAlloc() - before; d > limit {
		t.Errorf("reading %d MiB allocated %d KiB", (size+64<<20)>>20, d>>10)
	}
}

const benchSize = 256 << 20

// BenchmarkAppendCommit writes 256 MiB in 1 MiB writes through a BlobWriter
// and commits. Compare with BenchmarkBareWriteFsync. The sync-ms metric is
// the time the final Commit (or fsync) takes: the wait a user sees at the
// end of an upload.
func BenchmarkAppendCommit(b *testing.B) {
	s := openStore(b)
	chunk := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	var syncTime time.Duration
	for b.Loop() {
		key := navette.NewID()
		w, err := s.Append(b.Context(), key, 0)
		if err != nil {
			b.Fatal(err)
		}
		for written := 0; written < benchSize; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		syncTime += time.Since(start)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Delete(b.Context(), key); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(syncTime.Milliseconds())/float64(b.N), "sync-ms/op")
}

// BenchmarkBareWriteFsync writes 256 MiB in 1 MiB writes to a plain file and
// fsyncs it: the floor for BenchmarkAppendCommit.
func BenchmarkBareWriteFsync(b *testing.B) {
	dir := b.TempDir()
	chunk := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	var syncTime time.Duration
	for b.Loop() {
		path := filepath.Join(dir, "bare")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		for written := 0; written < benchSize; written += len(chunk) {
			if _, err := f.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		syncTime += time.Since(start)
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.Remove(path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(syncTime.Milliseconds())/float64(b.N), "sync-ms/op")
}

// BenchmarkOpenRead reads a finished 256 MiB blob through a plain writer,
// which takes the copy path of the reader (no sendfile).
func BenchmarkOpenRead(b *testing.B) {
	s := openStore(b)
	key := navette.NewID()
	w, err := s.Append(b.Context(), key, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, io.LimitReader(zeros{}, benchSize)); err != nil {
		b.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	w.Close()
	if err := s.Finish(b.Context(), key); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := s.Open(b.Context(), key, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(struct{ io.Writer }{io.Discard}, r); n != benchSize || err != nil {
			b.Fatalf("read %d, %v", n, err)
		}
		r.Close()
	}
}

// TestFullDisk fills a real tmpfs through a writer: the failure is
// ENOSPACE, the bytes written since the last commit are cut off at once, so
// the space is free again, and the blob goes on from its committed length
// once there is room. Space reports the file system's room.
func TestFullDisk(t *testing.T) {
	const size = 8 << 20
	dir := testtmpfs.Mount(t, size)
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := s.Space(t.Context())
	if err != nil || sp.Total != size || sp.Free <= 0 || sp.Free > size {
		t.Fatalf("Space = %+v, %v; want a total of %d", sp, err, size)
	}
	key := navette.NewID()
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	before := testtmpfs.Free(t, dir)
	_, err = io.Copy(w, io.LimitReader(zeros{}, 2*size))
	if err == nil {
		err = w.Commit()
	}
	if !navette.IsCode(err, navette.ENOSPACE) {
		t.Fatalf("writing past the end of the disk: %v, want ENOSPACE", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if free := testtmpfs.Free(t, dir); free != before {
		t.Errorf("free space after the failed write: %d, want %d as before it", free, before)
	}
	fi, err := os.Stat(filepath.Join(dir, "uploads", key))
	if err != nil || fi.Size() != 1<<20 {
		t.Fatalf("unfinished blob after the failed write: %v, %v; want its committed %d bytes", fi, err, 1<<20)
	}
	w, err = s.Append(t.Context(), key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit once there is room: %v", err)
	}
}

// A checkpoint's sync, run while more is written, commits what was written
// before the checkpoint: Close keeps that and cuts the rest.
func TestCheckpoint(t *testing.T) {
	s := openStore(t)
	key := navette.NewID()
	w, err := s.Append(t.Context(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	cp, ok := w.(navette.BlobCheckpointer)
	if !ok {
		t.Fatal("the disk's writer is not a BlobCheckpointer")
	}
	first := bytes.Repeat([]byte("a"), 3<<20)
	if _, err := w.Write(first); err != nil {
		t.Fatal(err)
	}
	sync, err := cp.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() { synced <- sync() }()
	for range 8 {
		if _, err := w.Write(bytes.Repeat([]byte("b"), 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-synced; err != nil {
		t.Fatalf("sync: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); !bytes.Equal(b, first) || err != nil {
		t.Errorf("read %d bytes, %v; want the %d bytes before the checkpoint", len(b), err, len(first))
	}
}
