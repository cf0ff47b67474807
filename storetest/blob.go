package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"navette"
)

// TestBlobStore runs the conformance suite for navette.BlobStore. open must
// return a new, empty store for each subtest and release it with t.Cleanup.
// The subtests run one after the other; with -short the large blob is 8 MiB
// instead of 64 MiB.
func TestBlobStore(t *testing.T, open func(t *testing.T) navette.BlobStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s navette.BlobStore)
	}{
		{"RoundTrip", testBlobRoundTrip},
		{"OpenUnfinished", testBlobOpenUnfinished},
		{"OpenMissing", testBlobOpenMissing},
		{"AppendFinished", testBlobAppendFinished},
		{"AppendBeyondCommitted", testBlobAppendBeyond},
		{"UncommittedCut", testBlobUncommittedCut},
		{"Ranges", testBlobRanges},
		{"Delete", testBlobDelete},
		{"FinishTwice", testBlobFinishTwice},
		{"FinishMissing", testBlobFinishMissing},
		{"InvalidKeys", testBlobInvalidKeys},
		{"Large", testBlobLarge},
		{"Concurrent", testBlobConcurrent},
		{"Unfinished", testBlobUnfinished},
		{"Ping", testBlobPing},
		{"Checkpoints", testBlobCheckpoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// appendBlob appends data to key at off and commits it.
func appendBlob(t *testing.T, s navette.BlobStore, key string, off int64, data []byte) {
	t.Helper()
	w, err := s.Append(t.Context(), key, off)
	if err != nil {
		t.Fatalf("Append(%d): %v", off, err)
	}
	if n, err := w.Write(data); err != nil || n != len(data) {
		w.Close()
		t.Fatalf("Write: %d, %v", n, err)
	}
	if err := w.Commit(); err != nil {
		w.Close()
		t.Fatalf("Commit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// finishBlob finishes key.
func finishBlob(t *testing.T, s navette.BlobStore, key string) {
	t.Helper()
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatalf("Finish: %v", err)
	}
}

// readBlob reads n bytes of key from off.
func readBlob(t *testing.T, s navette.BlobStore, key string, off, n int64) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), key, off, n)
	if err != nil {
		t.Fatalf("Open(%d, %d): %v", off, n, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read (%d, %d): %v", off, n, err)
	}
	return b
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := navette.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func testBlobRoundTrip(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	parts := [][]byte{[]byte("sealed "), []byte("bytes "), bytes.Repeat([]byte{0, 1, 2, 0xff}, 5000), []byte("end")}
	var want []byte
	for _, p := range parts {
		appendBlob(t, s, key, int64(len(want)), p)
		want = append(want, p...)
	}

	// Several commits through one writer.
	w, err := s.Append(t.Context(), key, int64(len(want)))
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	for i := range 3 {
		p := fmt.Appendf(nil, "[commit %d]", i)
		if _, err := w.Write(p); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		want = append(want, p...)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	finishBlob(t, s, key)
	if got := readBlob(t, s, key, 0, -1); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d bytes\n got %.80q\nwant %.80q", len(got), len(want), got, want)
	}
	if got := readBlob(t, s, key, 0, int64(len(want))); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes with explicit length, want %d", len(got), len(want))
	}

	// An empty blob is a blob too.
	empty := navette.NewID()
	appendBlob(t, s, empty, 0, nil)
	finishBlob(t, s, empty)
	if got := readBlob(t, s, empty, 0, -1); len(got) != 0 {
		t.Fatalf("empty blob: read %q", got)
	}
}

func testBlobOpenUnfinished(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	appendBlob(t, s, key, 0, []byte("not yet"))
	r, err := s.Open(t.Context(), key, 0, -1)
	if err == nil {
		r.Close()
	}
	wantCode(t, "Open unfinished", err, navette.ENOTFOUND)
}

func testBlobOpenMissing(t *testing.T, s navette.BlobStore) {
	for _, n := range []int64{-1, 0, 10} {
		r, err := s.Open(t.Context(), navette.NewID(), 0, n)
		if err == nil {
			r.Close()
		}
		wantCode(t, fmt.Sprintf("Open missing (n=%d)", n), err, navette.ENOTFOUND)
	}
}

func testBlobAppendFinished(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	appendBlob(t, s, key, 0, []byte("final"))
	finishBlob(t, s, key)
	for _, off := range []int64{0, 5} {
		w, err := s.Append(t.Context(), key, off)
		if err == nil {
			w.Close()
		}
		wantCode(t, fmt.Sprintf("Append(%d) to finished", off), err, navette.ECONFLICT)
	}
	if got := readBlob(t, s, key, 0, -1); string(got) != "final" {
		t.Fatalf("finished blob changed: %q", got)
	}
}

func testBlobAppendBeyond(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	appendBlob(t, s, key, 0, []byte("12345"))
	w, err := s.Append(t.Context(), key, 6)
	if err == nil {
		w.Close()
	}
	wantCode(t, "Append beyond committed length", err, navette.ECONFLICT)

	// A missing blob has no byte: only offset 0 creates it.
	w, err = s.Append(t.Context(), navette.NewID(), 10)
	if err == nil {
		w.Close()
	}
	wantCode(t, "Append(10) to missing blob", err, navette.ECONFLICT)

	// The blob is untouched and still usable at its committed length.
	appendBlob(t, s, key, 5, []byte("6"))
	finishBlob(t, s, key)
	if got := readBlob(t, s, key, 0, -1); string(got) != "123456" {
		t.Fatalf("read %q, want %q", got, "123456")
	}
}

func testBlobUncommittedCut(t *testing.T, s navette.BlobStore) {
	// Small and large tails: a large one is sure to reach the storage
	// rather than stay in a buffer.
	for _, size := range []int{7, 3 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			key := navette.NewID()
			w, err := s.Append(t.Context(), key, 0)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if _, err := w.Write([]byte("committed")); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if err := w.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if _, err := w.Write(bytes.Repeat([]byte("x"), size)); err != nil {
				t.Fatalf("Write: %v", err)
			}
			// Closed without Commit: the tail may or may not be stored.
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			appendBlob(t, s, key, int64(len("committed")), []byte("+new"))
			finishBlob(t, s, key)
			if got := readBlob(t, s, key, 0, -1); string(got) != "committed+new" {
				t.Fatalf("read %d bytes %.40q, want %q", len(got), got, "committed+new")
			}
		})
	}

	// Restarting from 0 cuts everything.
	key := navette.NewID()
	appendBlob(t, s, key, 0, []byte("first attempt"))
	appendBlob(t, s, key, 0, []byte("again"))
	finishBlob(t, s, key)
	if got := readBlob(t, s, key, 0, -1); string(got) != "again" {
		t.Fatalf("read %q after Append(0), want %q", got, "again")
	}
}

func testBlobRanges(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	appendBlob(t, s, key, 0, data[:300])
	appendBlob(t, s, key, 300, data[300:])
	finishBlob(t, s, key)

	for _, c := range []struct{ off, n int64 }{
		{0, 10}, {0, 1000}, {0, -1}, {0, 0},
		{500, 100}, {500, -1}, {500, 0}, {1, 998},
		{990, 10}, {999, 1}, {999, -1}, {1000, -1}, {1000, 0},
	} {
		want := data[c.off:]
		if c.n >= 0 {
			want = want[:c.n]
		}
		if got := readBlob(t, s, key, c.off, c.n); !bytes.Equal(got, want) {
			t.Errorf("Open(%d, %d): read %d bytes, want %d (equal prefix: %t)",
				c.off, c.n, len(got), len(want), bytes.HasPrefix(want, got))
		}
	}
}

func testBlobDelete(t *testing.T, s navette.BlobStore) {
	ctx := t.Context()

	finished := navette.NewID()
	appendBlob(t, s, finished, 0, []byte("finished"))
	finishBlob(t, s, finished)
	if err := s.Delete(ctx, finished); err != nil {
		t.Fatalf("Delete finished: %v", err)
	}
	r, err := s.Open(ctx, finished, 0, -1)
	if err == nil {
		r.Close()
	}
	wantCode(t, "Open after Delete", err, navette.ENOTFOUND)

	unfinished := navette.NewID()
	appendBlob(t, s, unfinished, 0, []byte("unfinished"))
	if err := s.Delete(ctx, unfinished); err != nil {
		t.Fatalf("Delete unfinished: %v", err)
	}
	wantCode(t, "Finish after Delete", s.Finish(ctx, unfinished), navette.ENOTFOUND)
	w, err := s.Append(ctx, unfinished, 10)
	if err == nil {
		w.Close()
	}
	wantCode(t, "Append(10) after Delete", err, navette.ECONFLICT)

	if err := s.Delete(ctx, navette.NewID()); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	if err := s.Delete(ctx, finished); err != nil {
		t.Fatalf("Delete twice: %v", err)
	}

	// A deleted key can be written anew.
	appendBlob(t, s, finished, 0, []byte("reborn"))
	finishBlob(t, s, finished)
	if got := readBlob(t, s, finished, 0, -1); string(got) != "reborn" {
		t.Fatalf("read %q, want %q", got, "reborn")
	}
}

func testBlobFinishTwice(t *testing.T, s navette.BlobStore) {
	key := navette.NewID()
	appendBlob(t, s, key, 0, []byte("twice"))
	finishBlob(t, s, key)
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatalf("second Finish: %v", err)
	}
	if got := readBlob(t, s, key, 0, -1); string(got) != "twice" {
		t.Fatalf("read %q, want %q", got, "twice")
	}
}

func testBlobFinishMissing(t *testing.T, s navette.BlobStore) {
	wantCode(t, "Finish missing", s.Finish(t.Context(), navette.NewID()), navette.ENOTFOUND)
}

func testBlobInvalidKeys(t *testing.T, s navette.BlobStore) {
	ctx := t.Context()
	valid := navette.NewID()
	appendBlob(t, s, valid, 0, []byte("valid"))
	finishBlob(t, s, valid)

	bad := []string{
		"",
		"../../etc/passwd",
		"../../../../../../../../tmp/navette-escape",
		strings.ToUpper(navette.NewID()),
		valid[:15] + "/" + valid[16:],
		"../" + valid[3:],
		valid[:30] + "..",
		valid + "a",
		valid[:31],
		valid[:31] + "\x00",
		valid[:31] + "1",
		".",
		"..",
		"/" + valid[1:],
	}
	for _, key := range bad {
		w, err := s.Append(ctx, key, 0)
		if err == nil {
			w.Write([]byte("escape"))
			w.Commit()
			w.Close()
		}
		wantCode(t, fmt.Sprintf("Append(%q)", key), err, navette.EINVALID)
		wantCode(t, fmt.Sprintf("Finish(%q)", key), s.Finish(ctx, key), navette.EINVALID)
		r, err := s.Open(ctx, key, 0, -1)
		if err == nil {
			r.Close()
		}
		wantCode(t, fmt.Sprintf("Open(%q)", key), err, navette.EINVALID)
		wantCode(t, fmt.Sprintf("Delete(%q)", key), s.Delete(ctx, key), navette.EINVALID)
	}
	if got := readBlob(t, s, valid, 0, -1); string(got) != "valid" {
		t.Fatalf("valid blob changed: %q", got)
	}
}

// randomChunks returns a deterministic stream of random bytes.
func randomChunks(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// hashBlob returns the SHA-256 of the finished blob key, read to the end.
func hashBlob(t *testing.T, s navette.BlobStore, key string) ([]byte, int64) {
	t.Helper()
	r, err := s.Open(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("read after %d bytes: %v", n, err)
	}
	return h.Sum(nil), n
}

func testBlobLarge(t *testing.T, s navette.BlobStore) {
	const chunk = 1 << 20
	chunks := 64
	if testing.Short() {
		chunks = 8
	}
	key := navette.NewID()
	src := randomChunks(64)
	buf := make([]byte, chunk)
	h := sha256.New()
	for i := range chunks {
		src.Read(buf)
		h.Write(buf)
		appendBlob(t, s, key, int64(i)*chunk, buf)
	}
	finishBlob(t, s, key)
	got, n := hashBlob(t, s, key)
	if n != int64(chunks)*chunk {
		t.Fatalf("read %d bytes, want %d", n, chunks*chunk)
	}
	if !bytes.Equal(got, h.Sum(nil)) {
		t.Fatalf("SHA-256 of the blob read back differs from what was written")
	}
}

func testBlobConcurrent(t *testing.T, s navette.BlobStore) {
	const (
		writers = 8
		appends = 4
		size    = 300 << 10
	)
	keys := make([]string, writers)
	sums := make([]hash.Hash, writers)
	var wg sync.WaitGroup
	for i := range writers {
		keys[i], sums[i] = navette.NewID(), sha256.New()
		wg.Go(func() {
			if err := writeConcurrent(t.Context(), s, keys[i], sums[i], uint64(i), appends, size); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, key := range keys {
		got, n := hashBlob(t, s, key)
		if n != appends*size {
			t.Errorf("blob %d: read %d bytes, want %d", i, n, appends*size)
		} else if !bytes.Equal(got, sums[i].Sum(nil)) {
			t.Errorf("blob %d: SHA-256 differs from what was written", i)
		}
	}
}

// writeConcurrent writes appends random chunks of size bytes to key, then
// finishes it. It may run in any goroutine, so it returns errors.
func writeConcurrent(ctx context.Context, s navette.BlobStore, key string, h hash.Hash, seed uint64, appends, size int) error {
	src := randomChunks(seed)
	buf := make([]byte, size)
	for i := range appends {
		src.Read(buf)
		h.Write(buf)
		w, err := s.Append(ctx, key, int64(i*size))
		if err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
		_, err = w.Write(buf)
		if err == nil {
			err = w.Commit()
		}
		err = errors.Join(err, w.Close())
		if err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
	}
	return s.Finish(ctx, key)
}

func testBlobUnfinished(t *testing.T, s navette.BlobStore) {
	a, b, c := navette.NewID(), navette.NewID(), navette.NewID()
	appendBlob(t, s, a, 0, []byte("a"))
	appendBlob(t, s, b, 0, []byte("b"))
	appendBlob(t, s, c, 0, []byte("c"))
	finishBlob(t, s, b)
	if err := s.Delete(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Unfinished(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != a {
		t.Errorf("Unfinished: got %q, want [%q]", got, a)
	}
}

func testBlobPing(t *testing.T, s navette.BlobStore) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// testBlobCheckpoints: a checkpoint's sync, run while more is written,
// commits what was written before the checkpoint, and an Append may go
// back to any of the last three commits, since an upload records the
// offset of a commit while the next is synced (deposit's commit line).
func testBlobCheckpoints(t *testing.T, s navette.BlobStore) {
	const mib = 1 << 20
	data := make([]byte, 12*mib)
	_, _ = randomChunks(5).Read(data)
	commits := []int{3 * mib, 9*mib + 17, 11 * mib} // across parts of 8 MiB
	for back := range commits {
		t.Run(fmt.Sprint(back), func(t *testing.T) {
			key := navette.NewID()
			w, err := s.Append(t.Context(), key, 0)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			cp, ok := w.(navette.BlobCheckpointer)
			if !ok {
				w.Close()
				t.Skip("the store's writers do not checkpoint")
			}
			// As deposit's commit line does: each checkpoint is taken while
			// the sync before it may still run, its sync starts once that
			// one is done, and the next bytes go in meanwhile.
			from := 0
			var synced chan error
			wait := func() {
				if synced != nil {
					if err := <-synced; err != nil {
						t.Fatalf("sync: %v", err)
					}
				}
			}
			for _, to := range append(commits, len(data)) {
				if _, err := w.Write(data[from:to]); err != nil {
					t.Fatalf("Write: %v", err)
				}
				from = to
				if to == len(data) {
					break // the last bytes are not committed
				}
				sync, err := cp.Checkpoint()
				if err != nil {
					t.Fatalf("Checkpoint at %d: %v", to, err)
				}
				wait()
				synced = make(chan error, 1)
				go func() { synced <- sync() }()
			}
			wait()
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			off := commits[len(commits)-1-back]
			appendBlob(t, s, key, int64(off), []byte("resumed"))
			finishBlob(t, s, key)
			want := append(bytes.Clone(data[:off]), "resumed"...)
			if got := readBlob(t, s, key, 0, -1); !bytes.Equal(got, want) {
				t.Fatalf("resumed %d commits back at %d: read %d bytes, want %d (equal prefix: %v)",
					back, off, len(got), len(want), len(got) >= off && bytes.Equal(got[:off], data[:off]))
			}
		})
	}
}
