package deposit_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"navette/deposit"
)

// TestConcurrentTransfers runs 50 uploads at once, each in two requests
// with commits (and so the disk's checkpoints) every 64 KiB, then 50
// downloads at once, and checks every file; scripts/test.sh runs it under
// the race detector with the rest of the package.
func TestConcurrentTransfers(t *testing.T) {
	const n = 50
	ctx := context.Background()
	fx := newFixture(t)
	fx.svc.CommitBytes = 64 << 10
	type upload struct {
		v    *deposit.View
		id   string
		data []byte
	}
	ups := make([]upload, n)
	for i := range ups {
		data := make([]byte, 300_000+i*1_001)
		rand.NewChaCha8([32]byte{byte(i)}).Read(data)
		v := fx.draft(t)
		f, err := fx.svc.StartFile(ctx, fx.sender, v.ID, fmt.Sprintf("f%d.bin", i), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		ups[i] = upload{v: v, id: f.ID, data: data}
	}
	var wg sync.WaitGroup
	for _, u := range ups {
		wg.Go(func() {
			cut := int64(len(u.data)) / 3
			if m, err := fx.svc.Write(ctx, fx.sender, u.id, 0, bytes.NewReader(u.data[:cut])); err != nil || m != cut {
				t.Errorf("first write: %d, %v", m, err)
				return
			}
			if _, err := fx.svc.Write(ctx, fx.sender, u.id, cut, bytes.NewReader(u.data[cut:])); err != nil {
				t.Errorf("second write: %v", err)
				return
			}
			if err := fx.svc.Finish(ctx, fx.sender, u.id); err != nil {
				t.Errorf("finish: %v", err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Every upload gave back every segment buffer it took.
	if n := deposit.SegmentsOut(); n != 0 {
		t.Errorf("%d upload segments still out after every upload ended", n)
	}
	for _, u := range ups {
		if _, err := fx.svc.Submit(ctx, fx.sender, u.v.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range ups {
		wg.Go(func() {
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, u.v.ID, u.id)
			if err != nil {
				t.Error(err)
				return
			}
			var buf bytes.Buffer
			if err := dl.WriteRange(ctx, &buf, 0, int64(len(u.data))); err != nil || !bytes.Equal(buf.Bytes(), u.data) {
				t.Errorf("download of %s: %v, equal %v", u.id, err, bytes.Equal(buf.Bytes(), u.data))
			}
		})
	}
	wg.Wait()
}
