package deposit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"navette"
	"navette/deposit"
)

// purgeDuringFinish is a blob store whose Finish first runs purge, with
// every Delete it makes meanwhile finding nothing: it stands in for a
// sweeper's Delete that ran while Finish was renaming the blob, and found
// it under neither name (disk: blobs/ looked at before the rename,
// uploads/ after). Real parts cannot be made to interleave so.
type purgeDuringFinish struct {
	navette.BlobStore
	purge    func()
	purging  bool
	bypassed []string
}

func (b *purgeDuringFinish) Finish(ctx context.Context, key string) error {
	if p := b.purge; p != nil {
		b.purge, b.purging = nil, true
		p()
		b.purging = false
	}
	return b.BlobStore.Finish(ctx, key)
}

func (b *purgeDuringFinish) Delete(ctx context.Context, key string) error {
	if b.purging {
		b.bypassed = append(b.bypassed, key)
		return nil
	}
	return b.BlobStore.Delete(ctx, key)
}

// TestPurgeDuringFinishLeavesNoBlob: a draft discarded and purged while
// the last bytes of its upload are being made final leaves no blob once
// the upload is done, although the sweeper's Delete missed it.
func TestPurgeDuringFinishLeavesNoBlob(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	inj := &purgeDuringFinish{BlobStore: fx.blobs}
	fx.svc.Blobs = inj
	d := fx.draft(t)
	data := bytes.Repeat([]byte("pièce "), 30000)
	f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.txt", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	inj.purge = func() {
		if err := fx.svc.Discard(ctx, fx.sender, d.ID); err != nil {
			t.Error(err)
		}
		if st, err := fx.svc.Sweep(ctx); err != nil || st.Purged != 1 {
			t.Errorf("sweep: %+v, %v", st, err)
		}
	}
	fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(data)) // its outcome is not the point
	if len(inj.bypassed) == 0 {
		t.Fatal("the sweeper made no Delete while the upload finished")
	}
	if _, err := fx.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := fx.meta.File(ctx, f.ID)
	if err != nil || rec.State != navette.FilePurged || !rec.BlobDeleted {
		t.Fatalf("file after the purge: %+v, %v", rec, err)
	}
	var left []string
	filepath.WalkDir(filepath.Join(filepath.Dir(fx.dbPath), "blobs"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, p)
		}
		return err
	})
	if len(left) > 0 {
		t.Errorf("blobs left after the purge: %q", left)
	}
	if _, err := fx.blobs.Open(ctx, f.ID, 0, -1); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Open of the purged file's blob: %v, want %s", err, navette.ENOTFOUND)
	}
}

// deleteRefused is a blob store that refuses to delete one blob, standing
// in for one the storage will not let go (a file made immutable, an object
// under a legal hold): a real store cannot be made to refuse one blob to a
// test that may run as root.
type deleteRefused struct {
	navette.BlobStore
	key string
}

func (b *deleteRefused) Delete(ctx context.Context, key string) error {
	if key == b.key {
		return navette.Errorf(navette.EINTERNAL, "Blob storage failed.")
	}
	return b.BlobStore.Delete(ctx, key)
}

// TestSweepGoesPastAnUndeletableBlob: a blob the store refuses to delete
// stays recorded as not deleted (its purge is no erasure), and neither
// keeps the sweeper from deleting the other blobs nor from ending proof
// retentions.
func TestSweepGoesPastAnUndeletableBlob(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	a, fa := fx.availableData(t, []byte("refusé"))
	b, fb := fx.availableData(t, []byte("effacé"))
	if fb.ID < fa.ID { // the refused blob comes first
		a, fa, b, fb = b, fb, a, fa
	}
	fx.svc.Blobs = &deleteRefused{BlobStore: fx.blobs, key: fa.ID}
	for _, id := range []string{a.ID, b.ID} {
		if err := fx.svc.Revoke(ctx, fx.sender, id); err != nil {
			t.Fatal(err)
		}
	}
	st, err := fx.svc.Sweep(ctx)
	if err == nil || st.Purged != 2 || st.BlobsDeleted != 1 {
		t.Errorf("sweep: %+v, %v; want 2 purged, 1 blob deleted and an error", st, err)
	}
	for _, tc := range []struct {
		f       *navette.FileRecord
		deleted bool
	}{{fa, false}, {fb, true}} {
		rec, err := fx.meta.File(ctx, tc.f.ID)
		if err != nil || rec.BlobDeleted != tc.deleted {
			t.Errorf("file %s: blob deleted %v (%v), want %v", tc.f.ID, rec.BlobDeleted, err, tc.deleted)
		}
		_, err = fx.blobs.Open(ctx, tc.f.ID, 0, -1)
		if gone := navette.IsCode(err, navette.ENOTFOUND); gone != tc.deleted {
			t.Errorf("blob %s: gone %v (%v), want %v", tc.f.ID, gone, err, tc.deleted)
		}
	}
	fx.svc.Clock.(*navette.FakeClock).Advance(deposit.DefaultProofRetention)
	st, err = fx.svc.Sweep(ctx)
	if err == nil || st.ProofsEnded != 2 {
		t.Errorf("sweep at the end of the proof retention: %+v, %v; want 2 proofs ended and an error", st, err)
	}
}
