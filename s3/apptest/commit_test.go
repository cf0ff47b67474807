package apptest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"testing"

	"navette"
	"navette/app"
	"navette/deposit"
	"navette/internal/tests3"
)

// crashAfterCommit is a blob store whose writers' n-th Commit reaches
// the object store, then fails as if the node died before recording the
// offset; every Commit after fails too. A real store cannot be made to
// stop at exactly that point.
type crashAfterCommit struct {
	navette.BlobStore
	n, commits int
}

func (b *crashAfterCommit) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	w, err := b.BlobStore.Append(ctx, key, off)
	if err != nil {
		return nil, err
	}
	return &crashWriter{BlobWriter: w, b: b}, nil
}

type crashWriter struct {
	navette.BlobWriter
	b *crashAfterCommit
}

func (w *crashWriter) Commit() error {
	w.b.commits++
	if w.b.n == 0 || w.b.commits < w.b.n {
		return w.BlobWriter.Commit()
	}
	if w.b.commits == w.b.n {
		if err := w.BlobWriter.Commit(); err != nil {
			return err
		}
	}
	return errors.New("injected crash after the commit")
}

// TestCommitsWhileBodyArrives: on S3, an upload committed every MiB while
// its body arrives (parts and tails) and cut right after a commit that
// reached the store but not the database resumes from the commit before,
// and the file is whole.
func TestCommitsWhileBodyArrives(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	srv.Setenv(t)
	a, err := app.Open(app.Config{
		DataDir: t.TempDir(),
		Blobs:   srv.URL(bucket, "prefix=navette"),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	sender, err := a.Accounts.CreateUser(ctx, "greffe@justice.example", "Greffe", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	recipient, err := a.Accounts.CreateUser(ctx, "avocat@avocat.example", "Avocat", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}
	svc := a.Deposits
	inj := &crashAfterCommit{BlobStore: svc.Blobs, n: 7}
	svc.Blobs, svc.CommitBytes = inj, mib
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
	dl, err := svc.OpenFile(ctx, recipient, d.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := dl.WriteRange(ctx, &got, 0, dl.Size()); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got.Bytes(), data))
	}
	if sum := sha256.Sum256(data); !bytes.Equal(dl.SHA256(), sum[:]) {
		t.Fatalf("sha256: got %x, want %x", dl.SHA256(), sum)
	}
	checkObjects(t, srv, bucket, "navette/blobs/"+f.ID)
}
