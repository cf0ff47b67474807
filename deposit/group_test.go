package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// batchGate is the real store, holding its first UpdateFiles until want
// commits queue behind it, so that they must share the next batch; it
// records the size of every batch.
type batchGate struct {
	deposit.Store
	svc     *deposit.Service
	want    int
	mu      sync.Mutex
	batches []int
}

func (g *batchGate) UpdateFiles(ctx context.Context, ids []string, fn func(int, *navette.FileRecord) ([]navette.Event, error)) ([]error, error) {
	g.mu.Lock()
	first := len(g.batches) == 0
	g.batches = append(g.batches, len(ids))
	g.mu.Unlock()
	if first {
		for g.svc.QueuedCommits() < g.want {
			time.Sleep(time.Millisecond)
		}
	}
	return g.Store.UpdateFiles(ctx, ids, fn)
}

// failCommit is the real blob store whose writers' Commit fails for the
// blob key: a disk cannot be made to fail the fsync of one file.
type failCommit struct {
	navette.BlobStore
	key string
}

func (b *failCommit) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	w, err := b.BlobStore.Append(ctx, key, off)
	if err != nil || key != b.key {
		return w, err
	}
	return failingWriter{w}, nil
}

type failingWriter struct{ navette.BlobWriter }

func (failingWriter) Commit() error { return errors.New("injected fsync failure") }

// TestGroupCommit starts uploads at once while the first commit's record
// is held, so that the commits of all the others wait and run as one
// batch: one fsync each side by side and one transaction. Every upload
// completes and reads back whole, but the one whose blob fails to sync,
// which stays at offset 0 without failing the others of its batch.
func TestGroupCommit(t *testing.T) {
	for _, failing := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing=%v", failing), func(t *testing.T) {
			const n = 6
			ctx := context.Background()
			fx := newFixture(t)
			// The failing upload records nothing: if it comes first, only
			// n-2 others can queue behind the first record.
			want := n - 1 - btoi(failing)
			gate := &batchGate{Store: fx.meta, svc: fx.svc, want: want}
			fx.svc.Meta = gate
			data := make([][]byte, n)
			ids := make([]string, n)
			views := make([]*deposit.View, n)
			for i := range n {
				data[i] = make([]byte, 200_000+i*777)
				rand.NewChaCha8([32]byte{byte(i)}).Read(data[i])
				views[i] = fx.draft(t)
				f, err := fx.svc.StartFile(ctx, fx.sender, views[i].ID, "f.bin", int64(len(data[i])))
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = f.ID
			}
			if failing {
				fx.svc.Blobs = &failCommit{BlobStore: fx.blobs, key: ids[n-1]}
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { _, errs[i] = fx.svc.Write(ctx, fx.sender, ids[i], 0, bytes.NewReader(data[i])) })
			}
			wg.Wait()
			if len(gate.batches) < 2 || gate.batches[1] < want-btoi(failing) {
				t.Fatalf("batches %v: the %d commits held behind the first did not share one", gate.batches, want)
			}
			for i := range n {
				f, err := fx.meta.File(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if failing && i == n-1 {
					if errs[i] == nil || f.Offset != 0 {
						t.Errorf("upload with a failed fsync: err %v, offset %d; want an error and offset 0", errs[i], f.Offset)
					}
					continue
				}
				if errs[i] != nil || f.Offset != f.Size || f.State != navette.FileStored {
					t.Fatalf("upload %d: err %v, offset %d of %d, state %s", i, errs[i], f.Offset, f.Size, f.State)
				}
				if _, err := fx.svc.Submit(ctx, fx.sender, views[i].ID); err != nil {
					t.Fatal(err)
				}
				dl, err := fx.svc.OpenFile(ctx, fx.recipient, views[i].ID, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := dl.WriteRange(ctx, &buf, 0, int64(len(data[i]))); err != nil || !bytes.Equal(buf.Bytes(), data[i]) {
					t.Errorf("download %d: %v, equal %v", i, err, bytes.Equal(buf.Bytes(), data[i]))
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
