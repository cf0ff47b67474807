package deposit_test

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkDownload measures the downloads of a 200 KiB file (four
// segments) by its recipient, with their allocations: "whole" opens the
// file and reads it all, as a GET does; "range" reads 100 KiB from the
// middle of a file opened once, as a Range request does after its first.
//
//	go test ./deposit -run '^$' -bench Download -benchtime 300x
func BenchmarkDownload(b *testing.B) {
	fx := newFixture(b)
	data := bytes.Repeat([]byte("navette "), 25<<10)
	v, file := fx.availableData(b, data)
	ctx := b.Context()
	size := int64(len(data))
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			d, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
			if err != nil {
				b.Fatal(err)
			}
			if err := d.WriteRange(ctx, io.Discard, 0, size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("range", func(b *testing.B) {
		d, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(size / 2)
		for b.Loop() {
			if err := d.WriteRange(ctx, io.Discard, size/4, size/2); err != nil {
				b.Fatal(err)
			}
		}
	})
}
