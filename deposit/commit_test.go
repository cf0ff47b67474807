package deposit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"navette"
	"navette/seal"
)

// commitFails is a blob store whose writers' Commit fails from the n-th
// call of the store's life on, standing in for a crash right before that
// commit, or right after it (after: the blob is committed, the offset not
// recorded): a real disk cannot be made to stop at exactly that point of a
// request.
//
// With async, its writers are navette.BlobCheckpointers when the store's
// are, and a checkpoint's sync counts as a commit.
type commitFails struct {
	navette.BlobStore
	n       int // 0: never
	after   bool
	async   bool
	commits int
}

func (b *commitFails) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	w, err := b.BlobStore.Append(ctx, key, off)
	if err != nil {
		return nil, err
	}
	if cp, ok := w.(navette.BlobCheckpointer); ok && b.async {
		return &checkpointFailsWriter{commitFailsWriter{BlobWriter: w, b: b}, cp}, nil
	}
	return &commitFailsWriter{BlobWriter: w, b: b}, nil
}

// commit counts a commit, done by do, and fails it from the n-th on.
func (b *commitFails) commit(do func() error) error {
	b.commits++
	if b.n == 0 || b.commits < b.n {
		return do()
	}
	if b.after && b.commits == b.n {
		if err := do(); err != nil {
			return err
		}
	}
	return errors.New("injected crash at the commit")
}

type commitFailsWriter struct {
	navette.BlobWriter
	b *commitFails
}

func (w *commitFailsWriter) Commit() error { return w.b.commit(w.BlobWriter.Commit) }

type checkpointFailsWriter struct {
	commitFailsWriter
	cp navette.BlobCheckpointer
}

func (w *checkpointFailsWriter) Checkpoint() (func() error, error) {
	sync, err := w.cp.Checkpoint()
	if err != nil {
		return nil, err
	}
	return func() error { return w.b.commit(sync) }, nil
}

// probeReader reads r and, once, when at bytes have been read, calls
// probe before going on.
type probeReader struct {
	r     io.Reader
	n, at int64
	probe func()
}

func (p *probeReader) Read(b []byte) (int, error) {
	if p.n < p.at && p.n+int64(len(b)) > p.at {
		b = b[:p.at-p.n]
	}
	m, err := p.r.Read(b)
	p.n += int64(m)
	if p.n == p.at && p.probe != nil {
		p.probe()
		p.probe = nil
	}
	return m, err
}

// TestWriteCommitsWhileBodyArrives: the offset of an upload moves while
// its body is still arriving, every CommitBytes or every CommitEvery; when
// the request then dies before its end (a commit that fails stands in for
// a crash), the upload resumes from the last commit and the file is whole.
// Each case runs with commits in line and with the disk's checkpoints,
// whose syncs run beside the next writes.
func TestWriteCommitsWhileBodyArrives(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(map[bool]string{false: "in line", true: "checkpoints"}[async], func(t *testing.T) {
			testWriteCommitsWhileBodyArrives(t, async)
		})
	}
}

func testWriteCommitsWhileBodyArrives(t *testing.T, async bool) {
	const S = seal.SegmentSize
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		commitBytes int64
		commitEvery time.Duration
		failAt      int   // the Commit that fails, 0: none
		failAfter   bool  // it fails after committing the blob
		probeAt     int64 // body bytes read when the offset is looked at
		during      int64 // the offset then
		after       int64 // the offset after the request
	}{
		{"every MiB", 1 << 20, time.Hour, 0, false, 3<<20 + 5, 3 << 20, 5<<20 + 12345},
		{"every MiB, then a crash", 1 << 20, time.Hour, 4, false, 3<<20 + 5, 3 << 20, 3 << 20},
		{"every MiB, then a crash after the blob's commit", 1 << 20, time.Hour, 4, true, 3<<20 + 5, 3 << 20, 3 << 20},
		{"every moment", 0, time.Nanosecond, 0, false, 5*S + 100, 5 * S, 5<<20 + 12345},
		{"every moment, then a crash", 0, time.Nanosecond, 10, false, 5*S + 100, 5 * S, 9 * S},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			inj := &commitFails{BlobStore: fx.blobs, n: tc.failAt, after: tc.failAfter, async: async}
			fx.svc.Blobs = inj
			fx.svc.CommitBytes, fx.svc.CommitEvery = tc.commitBytes, tc.commitEvery
			if async && tc.commitBytes > 0 {
				// With checkpoints, marks come at half the commit interval
				// (markEvery): doubled, they fall where the cases expect.
				fx.svc.CommitBytes = 2 * tc.commitBytes
			}
			d := fx.draft(t)
			data := make([]byte, 5<<20+12345)
			rand.NewChaCha8([32]byte{7}).Read(data)
			f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.bin", int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			offset := func() int64 {
				got, err := fx.svc.Upload(ctx, fx.sender, f.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.Offset
			}
			src := &probeReader{r: bytes.NewReader(data), at: tc.probeAt, probe: func() {
				// The stages after the reader commit what they were
				// given while the reader waits here.
				deadline := time.Now().Add(30 * time.Second)
				for offset() < tc.during && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				if got := offset(); got != tc.during {
					t.Errorf("offset while the body arrives: %d, want %d", got, tc.during)
				}
			}}
			n, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, src)
			if (err != nil) != (tc.failAt > 0) || n != tc.after {
				t.Fatalf("write: %d, %v; want %d", n, err, tc.after)
			}
			if got := offset(); got != tc.after {
				t.Fatalf("offset after the request: %d, want %d", got, tc.after)
			}
			inj.n = 0
			if tc.after < int64(len(data)) {
				if n, err := fx.svc.Write(ctx, fx.sender, f.ID, tc.after, bytes.NewReader(data[tc.after:])); err != nil || n != int64(len(data))-tc.after {
					t.Fatalf("resume at %d: %d, %v", tc.after, n, err)
				}
			}
			if _, err := fx.svc.Submit(ctx, fx.sender, d.ID); err != nil {
				t.Fatal(err)
			}
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, d.ID, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); !bytes.Equal(dl.SHA256(), sum[:]) {
				t.Fatalf("sha256: got %x, want %x", dl.SHA256(), sum)
			}
			var buf bytes.Buffer
			if err := dl.WriteRange(ctx, &buf, 0, int64(len(data))); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("read back: %v, equal %v", err, bytes.Equal(buf.Bytes(), data))
			}
		})
	}
}
