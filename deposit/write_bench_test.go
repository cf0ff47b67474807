package deposit_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"navette/deposit"
)

// BenchmarkWrite uploads 64 MiB files in one Write each, from memory, to
// the disk store and SQLite, with the default commits (every 8 MiB): with
// no network in the way, the time is the pipeline's (hash, seal, write)
// and the waits for its commits. Compare builds with -count and benchstat.
func BenchmarkWrite(b *testing.B) {
	ctx := b.Context()
	fx := newFixture(b)
	data := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{16}).Read(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/1"})
		if err != nil {
			b.Fatal(err)
		}
		f, err := fx.svc.StartFile(ctx, fx.sender, v.ID, "f.bin", int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
			b.Fatalf("write: %d, %v", n, err)
		}
	}
}
