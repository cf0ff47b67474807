package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"navette/deposit"
	"navette/seal"
)

// TestDownloadGivesBuffersBack checks that every download gives back the
// buffers of its stages, however it ends: read whole, cut by the client
// early or at its last segment, a range, a range cut short.
func TestDownloadGivesBuffersBack(t *testing.T) {
	S := int64(seal.SegmentSize)
	size := 40*S + 123 // more segments than the stages queue
	fx := newFixture(t)
	ctx := context.Background()
	v, file, _ := fx.availableRandom(t, size)
	tests := []struct {
		name    string
		off, n  int64
		w       io.Writer
		wantCut bool
	}{
		{"whole", 0, size, io.Discard, false},
		{"cut after one segment", 0, size, &cutWriter{limit: int(S)}, true},
		{"cut at once", 0, size, &cutWriter{limit: 0}, true},
		{"cut before the last byte", 0, size, &cutWriter{limit: int(size - 1)}, true},
		{"range", 3*S + 5, 20 * S, io.Discard, false},
		{"range cut", 3*S + 5, 20 * S, &cutWriter{limit: int(2 * S)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
			if err != nil {
				t.Fatal(err)
			}
			err = dl.WriteRange(ctx, tt.w, tt.off, tt.n)
			if tt.wantCut && !errors.Is(err, errCut) || !tt.wantCut && err != nil {
				t.Fatalf("WriteRange: %v", err)
			}
			if n := deposit.DownloadBuffersOut(); n != 0 {
				t.Errorf("%d download buffers still out after WriteRange returned", n)
			}
		})
	}
}

// TestDownloadWithoutSharedBuffers: with every shared download buffer held,
// as by clients that stopped reading, a download still goes to its end on
// its own buffers instead of waiting for theirs.
func TestDownloadWithoutSharedBuffers(t *testing.T) {
	S := int64(seal.SegmentSize)
	size := 20*S + 7
	fx := newFixture(t)
	ctx := context.Background()
	v, file, data := fx.availableRandom(t, size)
	deposit.HoldDownloadBuffers(t)
	for _, r := range []struct{ off, n int64 }{{0, size}, {S + 3, 5 * S}} {
		dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := dl.WriteRange(ctx, &got, r.off, r.n); err != nil {
			t.Fatalf("WriteRange(%d, %d): %v", r.off, r.n, err)
		}
		if !bytes.Equal(got.Bytes(), data[r.off:r.off+r.n]) {
			t.Errorf("WriteRange(%d, %d): other bytes", r.off, r.n)
		}
	}
}
