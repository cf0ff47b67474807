package proof_test

import (
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/keyring"
	"navette/proof"
	"navette/sqlite"
)

// The benchmarks of the journal's proofs, on SQLite:
//
//	go test ./proof -run '^$' -bench . -benchtime 2000x
//
// BenchmarkAppend reports the cost of an appended event with the tree and,
// in the same run, of the same append with the store's tree off (the hash
// chain only); BenchmarkInclusion the p95 of an inclusion proof
// in a tree of a million leaves; BenchmarkCheckpoint the signing rate.

// openBench opens a store, and a plain connection to its file.
func openBench(b *testing.B) (*sqlite.Store, *sql.DB) {
	path := filepath.Join(b.TempDir(), "navette.db")
	s, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	return s, raw
}

func benchEvent(i int) navette.Event {
	return navette.Event{Time: epoch.Add(time.Duration(i) * time.Millisecond), Type: navette.EventFileDownloaded,
		ActorID: "u7zq3yq6ufxqbzxv2j4r3l6qqkh2gkpt", DepositID: "d7zq3yq6ufxqbzxv2j4r3l6qqkh2gkpt", FileID: "f7zq3yq6ufxqbzxv2j4r3l6qqkh2gkpt",
		Size: 1 << 30, SHA256: make([]byte, 32), Detail: "r7zq3yq6ufxqbzxv2j4r3l6qqkh2gkpt"}
}

// BenchmarkAppend appends b.N events with the tree to one store, and b.N
// events to another whose tree is off (sqlstore.Store.WithoutTree: the
// same code, the hash chain only), alternately, and reports both costs and
// their ratio.
func BenchmarkAppend(b *testing.B) {
	ctx := b.Context()
	withTree, _ := openBench(b)
	without, _ := openBench(b)
	without.WithoutTree()
	// A journal of some size already, so that the tree is not trivially
	// small.
	for i := range 2000 {
		if err := withTree.AppendEvents(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
		if err := without.AppendEvents(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
	}
	var tTree, tChain time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := withTree.AppendEvents(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := without.AppendEvents(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
		tTree, tChain = tTree+mid.Sub(start), tChain+time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tTree.Nanoseconds())/n, "ns/event-tree")
	b.ReportMetric(float64(tChain.Nanoseconds())/n, "ns/event-chain-only")
	b.ReportMetric(float64(tTree)/float64(tChain), "tree/chain-only")
}

// million builds, directly in the tables, a journal tree of size leaves
// (the events table holds only the last event, which gives the size).
func million(b *testing.B, size int64) *sqlite.Store {
	ctx := b.Context()
	s, raw := openBench(b)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i := range size {
		e := benchEvent(int(i))
		hs, err := tlog.StoredHashes(i, navette.EventLeaf(&e), r)
		if err != nil {
			b.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 400
	for from := 0; from < len(hashes); from += batch {
		chunk := hashes[from:min(from+batch, len(hashes))]
		var q strings.Builder
		q.WriteString("INSERT INTO journal_hashes (idx, hash) VALUES ")
		args := make([]any, 0, 2*len(chunk))
		for i, h := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d, $%d)", 2*i+1, 2*i+2)
			args = append(args, from+i, h[:])
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	e := benchEvent(int(size - 1))
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (time, type, leaf) VALUES ($1, $2, $3)`, e.Time.UnixMicro(), string(e.Type), size-1); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkInclusion makes inclusion proofs of random leaves in a tree of
// a million leaves, through the store, and reports their p95.
func BenchmarkInclusion(b *testing.B) {
	const size = 1_000_000
	s := million(b, size)
	ctx := b.Context()
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		leaf := rand.Int64N(size)
		start := time.Now()
		if _, err := proof.Inclusion(ctx, s, leaf, size); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	p95 := float64(times[len(times)*95/100].Microseconds()) / 1000
	b.ReportMetric(p95, "ms-p95")
	b.ReportMetric(p95/5, "p95/target-5ms")
}

// BenchmarkCheckpoint reports the rate of checkpoint signatures alone (the
// note built and signed) beside bare Ed25519 signatures of a message of
// the same size in the same run, and of whole checkpoints of a tree of a
// million leaves growing by one leaf each time: proven consistent with the
// previous one, signed, stored.
func BenchmarkCheckpoint(b *testing.B) {
	keys, err := keyring.OpenJournalKeys(filepath.Join(b.TempDir(), "keys"), origin)
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := keys.Signer()
	b.Run("sign", func(b *testing.B) {
		_, bare, err := ed25519.GenerateKey(nil)
		if err != nil {
			b.Fatal(err)
		}
		var tNote, tBare time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			n, err := proof.Sign(signer, int64(i+1), tlog.Hash{byte(i)})
			if err != nil {
				b.Fatal(err)
			}
			mid := time.Now()
			ed25519.Sign(bare, n)
			tNote, tBare = tNote+mid.Sub(start), tBare+time.Since(mid)
		}
		n := float64(b.N)
		b.ReportMetric(n/tNote.Seconds(), "checkpoints/s")
		b.ReportMetric(n/tBare.Seconds(), "bare-ed25519/s")
		b.ReportMetric(float64(tNote)/float64(tBare), "checkpoint/bare")
	})
	b.Run("issue", func(b *testing.B) {
		s := million(b, 1_000_000)
		cp := &proof.Checkpointer{Store: s, Keys: keys, Clock: navette.NewFakeClock(epoch)}
		ctx := b.Context()
		if _, err := cp.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			if err := s.AppendEvents(ctx, benchEvent(i)); err != nil {
				b.Fatal(err)
			}
			if _, err := cp.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkpoints/s")
	})
}
