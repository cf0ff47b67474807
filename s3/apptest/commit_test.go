package apptest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/app"
	"navette/deposit"
	"navette/internal/tests3"
	"navette/internal/testsqlite"
	"navette/seal"
)

// crashAfterCommit is a blob store whose writers' n-th commit reaches
// the object store, then fails as if the node died before recording the
// offset; every commit after fails too. Its writers commit with Commit
// only, or, with checkpoints, also with the S3 writer's Checkpoint. A real
// store cannot be made to stop at exactly that point.
type crashAfterCommit struct {
	navette.BlobStore
	checkpoints bool
	mu          sync.Mutex
	n, commits  int
}

func (b *crashAfterCommit) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	w, err := b.BlobStore.Append(ctx, key, off)
	if err != nil {
		return nil, err
	}
	if b.checkpoints {
		return &crashCheckpointer{crashWriter{BlobWriter: w, b: b}}, nil
	}
	return &crashWriter{BlobWriter: w, b: b}, nil
}

// commit runs the commit sync unless the crash came before it, and fails
// from the n-th on.
func (b *crashAfterCommit) commit(sync func() error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.commits++
	if b.n == 0 || b.commits < b.n {
		return sync()
	}
	if b.commits == b.n {
		if err := sync(); err != nil {
			return err
		}
	}
	return errors.New("injected crash after the commit")
}

type crashWriter struct {
	navette.BlobWriter
	b *crashAfterCommit
}

func (w *crashWriter) Commit() error { return w.b.commit(w.BlobWriter.Commit) }

type crashCheckpointer struct{ crashWriter }

func (w *crashCheckpointer) Checkpoint() (func() error, error) {
	sync, err := w.BlobWriter.(navette.BlobCheckpointer).Checkpoint()
	if err != nil {
		return nil, err
	}
	return func() error { return w.b.commit(sync) }, nil
}

func (w *crashCheckpointer) CommitSize() int64 {
	return w.BlobWriter.(navette.CommitSizer).CommitSize()
}

// depositsOnS3 opens a node whose blobs go to bucket of srv, with a clerk
// and a lawyer, and returns its deposit service and the two.
func depositsOnS3(t *testing.T, srv *tests3.Server, bucket string) (svc *deposit.Service, sender, recipient *navette.User) {
	t.Helper()
	srv.Setenv(t)
	dir := t.TempDir()
	testsqlite.Seed(t, filepath.Join(dir, "navette.db")) // app.Config.DB's default
	a, err := app.Open(app.Config{
		DataDir: dir,
		Blobs:   srv.URL(bucket, "prefix=navette"),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if sender, err = a.Accounts.CreateUser(t.Context(), "greffe@justice.example", "Greffe", navette.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if recipient, err = a.Accounts.CreateUser(t.Context(), "avocat@avocat.example", "Avocat", navette.RolePartner); err != nil {
		t.Fatal(err)
	}
	return a.Deposits, sender, recipient
}

// checkFile checks that the file fileID of deposit depositID, read by
// recipient, holds data and has its SHA-256.
func checkFile(t *testing.T, svc *deposit.Service, recipient *navette.User, depositID, fileID string, data []byte) {
	t.Helper()
	dl, err := svc.OpenFile(t.Context(), recipient, depositID, fileID)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := dl.WriteRange(t.Context(), &got, 0, dl.Size()); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("file %s read back: %v, equal %v", fileID, err, bytes.Equal(got.Bytes(), data))
	}
	if sum := sha256.Sum256(data); !bytes.Equal(dl.SHA256(), sum[:]) {
		t.Fatalf("file %s sha256: got %x, want %x", fileID, dl.SHA256(), sum)
	}
}

// TestCommitsWhileBodyArrives: on S3, an upload committed every MiB while
// its body arrives (parts and tails) and cut right after a commit that
// reached the store but not the database resumes from the commit before,
// and the file is whole.
func TestCommitsWhileBodyArrives(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	svc, sender, recipient := depositsOnS3(t, srv, bucket)
	ctx := t.Context()
	inj := &crashAfterCommit{BlobStore: svc.Blobs, n: 7}
	svc.Blobs, svc.CommitBytes, svc.CommitEvery = inj, mib, time.Hour
	d, err := svc.Create(ctx, sender, deposit.Draft{Recipients: []string{recipient.Email}, Reference: "RG 26/7"})
	if err != nil {
		t.Fatal(err)
	}
	data := bytesOf(7, 12*mib+345)
	f, err := svc.StartFile(ctx, sender, d.ID, "scelles.bin", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Commits at 1 … 6 MiB land (a part once 5 MiB are in), the one at
	// 7 MiB reaches the store only.
	if n, err := svc.Write(ctx, sender, f.ID, 0, bytes.NewReader(data)); err == nil || n != 6*mib {
		t.Fatalf("write: %d, %v; want %d and the crash", n, err, 6*mib)
	}
	inj.n = 0
	if n, err := svc.Write(ctx, sender, f.ID, 6*mib, bytes.NewReader(data[6*mib:])); err != nil || n != int64(len(data))-6*mib {
		t.Fatalf("resume at 6 MiB: %d, %v", n, err)
	}
	if _, err := svc.Submit(ctx, sender, d.ID); err != nil {
		t.Fatal(err)
	}
	checkFile(t, svc, recipient, d.ID, f.ID, data)
	checkObjects(t, srv, bucket, "navette/blobs/"+f.ID)
}

// TestCheckpointsWhileBodyArrives: on S3, whose writers checkpoint (the
// commit's parts, tail and state go up while the next part fills), an
// upload cut right after a commit that reached the store but not the
// database resumes from the offset the write returned, and the file is
// whole; an upload not cut is whole too.
func TestCheckpointsWhileBodyArrives(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	svc, sender, recipient := depositsOnS3(t, srv, bucket)
	ctx := t.Context()
	inj := &crashAfterCommit{BlobStore: svc.Blobs, checkpoints: true, n: 4}
	// Commits by bytes only: one due to time on a slow machine would move
	// the offsets below.
	svc.Blobs, svc.CommitEvery = inj, time.Hour
	d, err := svc.Create(ctx, sender, deposit.Draft{Recipients: []string{recipient.Email}, Reference: "RG 26/8"})
	if err != nil {
		t.Fatal(err)
	}
	data := bytesOf(8, 45*mib+678)
	cut, err := svc.StartFile(ctx, sender, d.ID, "cut.bin", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Commits every 127 segments (7.94 MiB: their sealed bytes fill one
	// 8 MiB part): the 4th reaches the store only; the offset recorded is
	// that of the 2nd or the 3rd.
	const span = 127 * seal.SegmentSize
	n, err := svc.Write(ctx, sender, cut.ID, 0, bytes.NewReader(data))
	if err == nil || (n != 2*span && n != 3*span) {
		t.Fatalf("write: %d, %v; want %d or %d and the crash", n, err, 2*span, 3*span)
	}
	inj.mu.Lock()
	inj.n = 0
	inj.mu.Unlock()
	if m, err := svc.Write(ctx, sender, cut.ID, n, bytes.NewReader(data[n:])); err != nil || m != int64(len(data))-n {
		t.Fatalf("resume at %d: %d, %v", n, m, err)
	}
	whole, err := svc.StartFile(ctx, sender, d.ID, "whole.bin", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Write(ctx, sender, whole.ID, 0, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("write: %d, %v", n, err)
	}
	if _, err := svc.Submit(ctx, sender, d.ID); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*navette.FileRecord{cut, whole} {
		checkFile(t, svc, recipient, d.ID, f.ID, data)
	}
	want := []string{"navette/blobs/" + cut.ID, "navette/blobs/" + whole.ID}
	slices.Sort(want)
	checkObjects(t, srv, bucket, want...)
}
