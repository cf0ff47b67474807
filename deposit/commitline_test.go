package deposit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/seal"
)

// slowRecords is the service's store whose first upload record waits
// until the next commit's blob sync starts (for at most a minute),
// standing in for a database whose commit takes long (a loaded disk),
// which the real SQLite of a test does not do on demand. It counts the
// records done, and keeps the offset recorded last.
type slowRecords struct {
	deposit.Store
	done   atomic.Int32 // records written
	offset atomic.Int64
	waited atomic.Bool
	synced chan struct{} // closed by the first sync that starts before the commit before it is recorded
	once   sync.Once
}

func (s *slowRecords) UpdateFiles(ctx context.Context, ids []string, fn func(i int, f *navette.FileRecord) ([]navette.Event, error)) ([]error, error) {
	defer s.done.Add(1)
	if !s.waited.Swap(true) {
		select {
		case <-s.synced:
		case <-time.After(time.Minute):
		}
	}
	var off int64
	errs, err := s.Store.UpdateFiles(ctx, ids, func(i int, f *navette.FileRecord) ([]navette.Event, error) {
		evs, err := fn(i, f)
		off = f.Offset
		return evs, err
	})
	if err == nil && errs[0] == nil {
		s.offset.Store(off)
	}
	return errs, err
}

// watchedBlobs wraps the disk store's writers to watch the commit line:
// how far the sealed bytes written run ahead of the offset recorded, and
// whether a checkpoint's sync ever starts while a record is written.
type watchedBlobs struct {
	navette.BlobStore
	records  *slowRecords
	ahead    atomic.Int64 // the most sealed bytes written past the recorded offset
	syncs    atomic.Int32 // syncs started
	overlaps atomic.Int32 // syncs started before the commit before theirs was recorded
}

func (b *watchedBlobs) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	w, err := b.BlobStore.Append(ctx, key, off)
	if err != nil {
		return nil, err
	}
	return &watchedWriter{BlobWriter: w, cp: w.(navette.BlobCheckpointer), b: b, pos: off}, nil
}

type watchedWriter struct {
	navette.BlobWriter
	cp  navette.BlobCheckpointer
	b   *watchedBlobs
	pos int64 // sealed bytes in the blob
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.BlobWriter.Write(p)
	w.pos += int64(n)
	recorded := int64(0)
	if off := w.b.records.offset.Load(); off > 0 {
		recorded = seal.SegmentOffset(off / seal.SegmentSize)
	}
	if ahead := w.pos - recorded; ahead > w.b.ahead.Load() {
		w.b.ahead.Store(ahead)
	}
	return n, err
}

func (w *watchedWriter) Checkpoint() (func() error, error) {
	sync, err := w.cp.Checkpoint()
	if err != nil {
		return nil, err
	}
	return func() error {
		// The sync of commit k runs ahead of the record of commit k-1,
		// which may start a moment after it: a flag set while recording
		// missed that order on a loaded machine, and the first record
		// waited a minute for a sync the commit line held back.
		r := w.b.records
		if k := w.b.syncs.Add(1); k >= 2 && r.done.Load() < k-1 {
			w.b.overlaps.Add(1)
			r.once.Do(func() { close(r.synced) })
		}
		return sync()
	}, nil
}

// TestCommitLine: while an upload's body arrives, a commit's blob sync
// runs while the commit before it is being recorded (the first record
// waits for it), yet what is written
// never runs further ahead of the recorded offset than the commit interval
// (DefaultCommitBytes, sealed), and the file is whole.
func TestCommitLine(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	records := &slowRecords{Store: fx.svc.Meta, synced: make(chan struct{})}
	blobs := &watchedBlobs{BlobStore: fx.blobs, records: records}
	fx.svc.Meta, fx.svc.Blobs = records, blobs
	d := fx.draft(t)
	data := make([]byte, 32<<20+777)
	rand.NewChaCha8([32]byte{1, 6}).Read(data)
	f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.bin", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("write: %d, %v", n, err)
	}
	if limit := seal.SegmentOffset(deposit.DefaultCommitBytes / seal.SegmentSize); blobs.ahead.Load() > limit {
		t.Errorf("%d sealed bytes were written past the recorded offset, more than the commit interval (%d)", blobs.ahead.Load(), limit)
	}
	if blobs.overlaps.Load() == 0 {
		t.Error("no commit's sync ran while the one before it was recorded")
	}
	got, err := fx.svc.Upload(ctx, fx.sender, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); got.Offset != int64(len(data)) || !bytes.Equal(got.SHA256, sum[:]) {
		t.Fatalf("upload at %d of %d, sha256 %x, want %x", got.Offset, len(data), got.SHA256, sum)
	}
}
