package storetest

import (
	"testing"

	"navette"
)

// manyIDs returns n ids of no record, more than one query's batch when n
// is large, around the given ones (repeated once each).
func manyIDs(n int, ids ...string) []string {
	out := make([]string, 0, n+2*len(ids))
	out = append(out, ids...)
	for range n {
		out = append(out, navette.NewID())
	}
	return append(out, ids...)
}

// testMetaFilesOf checks that FilesOf reads the files of many deposits as
// Files reads each one's, leaving out deposits without files and unknown
// ones, whatever the number of ids and their repeats.
func testMetaFilesOf(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	a, b, empty := m.deposit(navette.DepositDraft, alice), m.deposit(navette.DepositDraft, alice), m.deposit(navette.DepositDraft, alice)
	var want []*navette.FileRecord
	for range 3 {
		want = append(want, m.newFile(a))
	}
	for _, i := range []int{2, 0, 1} { // created out of order: oldest first all the same
		if err := m.s.CreateFile(m.ctx, want[i], 10); err != nil {
			t.Fatalf("CreateFile: %v", err)
		}
	}
	fb := m.file(b)
	for _, tt := range []struct {
		name string
		ids  []string
		want map[string][]*navette.FileRecord
	}{
		{"none", nil, map[string][]*navette.FileRecord{}},
		{"one", []string{b.ID}, map[string][]*navette.FileRecord{b.ID: {fb}}},
		{"page", []string{empty.ID, b.ID, a.ID, navette.NewID()}, map[string][]*navette.FileRecord{a.ID: want, b.ID: {fb}}},
		{"repeats and batches", manyIDs(1200, a.ID, b.ID, empty.ID), map[string][]*navette.FileRecord{a.ID: want, b.ID: {fb}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.s.FilesOf(m.ctx, tt.ids)
			if err != nil {
				t.Fatalf("FilesOf: %v", err)
			}
			metaEqual(t, "FilesOf", got, tt.want)
			for id, fs := range got {
				metaEqual(t, "FilesOf beside Files", fs, m.getFiles(id))
			}
		})
	}
}

// testCasesOf checks that CasesOf gives the case of each deposit in one,
// and leaves out the others, whatever the number of ids and their repeats.
func testCasesOf(t *testing.T, m *metaFixture, s navette.CaseStore) {
	sender, rcpt := m.user("Sender"), m.user("Rcpt")
	d1, d2, d3, out := m.deposit(navette.DepositDraft, sender, rcpt), m.deposit(navette.DepositDraft, sender, rcpt),
		m.deposit(navette.DepositDraft, sender, rcpt), m.deposit(navette.DepositDraft, sender, rcpt)
	c1, c2 := m.caseByDigest(s, navette.NewID(), metaRandom(40)), m.caseByDigest(s, navette.NewID(), metaRandom(40))
	for _, j := range []struct{ c, d string }{{c1, d1.ID}, {c1, d2.ID}, {c2, d3.ID}} {
		if _, err := s.JoinCase(m.ctx, j.c, j.d, m.now()); err != nil {
			t.Fatalf("JoinCase: %v", err)
		}
	}
	all := map[string]string{d1.ID: c1, d2.ID: c1, d3.ID: c2}
	for _, tt := range []struct {
		name string
		ids  []string
		want map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"outside", []string{out.ID}, map[string]string{}},
		{"page", []string{d3.ID, out.ID, d1.ID, d2.ID}, all},
		{"repeats and batches", manyIDs(1200, d1.ID, d2.ID, d3.ID, out.ID), all},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.CasesOf(m.ctx, tt.ids)
			if err != nil {
				t.Fatalf("CasesOf: %v", err)
			}
			metaEqual(t, "CasesOf", got, tt.want)
		})
	}
}
