package deposit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"navette"
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
