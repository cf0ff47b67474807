package deposit_test

import (
	"bytes"
	"testing"
	"time"

	"navette/deposit"
	"navette/sqlite"
)

// BenchmarkDeposit measures whole deposits on SQLite, through the deposit
// service: create, upload a 64 KiB file, submit. It makes b.N of them with
// the journal's Merkle tree and b.N with the store's tree off
// (sqlstore.Store.WithoutTree), alternately, so that both run on the same
// disk at the same time, and reports both costs and their ratio (target:
// at most 1.10):
//
//	go test ./deposit -run '^$' -bench Deposit -benchtime 300x
func BenchmarkDeposit(b *testing.B) {
	ctx := b.Context()
	withTree, without := benchService(b, true), benchService(b, false)
	data := bytes.Repeat([]byte("navette "), 8<<10)
	deposit1 := func(bs *fixture) error {
		v, err := bs.svc.Create(ctx, bs.sender, deposit.Draft{Recipients: []string{bs.recipient.Email}, Reference: "RG 26/1"})
		if err != nil {
			return err
		}
		f, err := bs.svc.StartFile(ctx, bs.sender, v.ID, "conclusions.pdf", int64(len(data)))
		if err != nil {
			return err
		}
		if _, err := bs.svc.Write(ctx, bs.sender, f.ID, 0, bytes.NewReader(data)); err != nil {
			return err
		}
		if err := bs.svc.Finish(ctx, bs.sender, f.ID); err != nil {
			return err
		}
		_, err = bs.svc.Submit(ctx, bs.sender, v.ID)
		return err
	}
	// Some deposits first, so that neither journal is trivially small.
	for range 50 {
		if err := deposit1(withTree); err != nil {
			b.Fatal(err)
		}
		if err := deposit1(without); err != nil {
			b.Fatal(err)
		}
	}
	var tTree, tNo time.Duration
	for b.Loop() {
		start := time.Now()
		if err := deposit1(withTree); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := deposit1(without); err != nil {
			b.Fatal(err)
		}
		tTree, tNo = tTree+mid.Sub(start), tNo+time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tTree.Microseconds())/n/1000, "ms/deposit-tree")
	b.ReportMetric(float64(tNo.Microseconds())/n/1000, "ms/deposit-no-tree")
	b.ReportMetric(float64(tTree)/float64(tNo), "tree/no-tree")
}

// benchService returns a deposit service on SQLite and a disk, with the
// journal's tree on or off.
func benchService(b *testing.B, tree bool) *fixture {
	fx := newFixture(b)
	if !tree {
		fx.svc.Meta.(*sqlite.Store).WithoutTree()
	}
	return fx
}
