package storetest

import (
	"sync"
	"testing"

	"navette"
)

// CaseMetaStore is a metadata store that also keeps cases.
type CaseMetaStore interface {
	navette.MetaStore
	navette.CaseStore
}

// TestCaseStore runs the conformance suite for navette.CaseStore. open
// must return a new, empty store for each subtest and release it with
// t.Cleanup.
func TestCaseStore(t *testing.T, open func(t *testing.T) CaseMetaStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, m *metaFixture, s navette.CaseStore)
	}{
		{"ByDigest", testCaseByDigest},
		{"ByDigestConcurrent", testCaseByDigestConcurrent},
		{"Join", testCaseJoin},
		{"CasesOf", testCasesOf},
		{"Deposits", testCaseDeposits},
		{"List", testCaseList},
		{"DepositPages", testCaseDepositPages},
		{"Party", testCaseParty},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.fn(t, &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}, s)
		})
	}
}

// caseByDigest calls CaseByDigest and fails the test on an error.
func (m *metaFixture) caseByDigest(s navette.CaseStore, newID string, digests ...[]byte) string {
	m.t.Helper()
	id, err := s.CaseByDigest(m.ctx, digests, newID, m.now())
	if err != nil {
		m.t.Fatalf("CaseByDigest: %v", err)
	}
	return id
}

func testCaseByDigest(t *testing.T, m *metaFixture, s navette.CaseStore) {
	a, b, c := metaRandom(40), metaRandom(40), metaRandom(40)
	id1 := navette.NewID()
	metaEqual(t, "new case", m.caseByDigest(s, id1, a), id1)
	metaEqual(t, "same digest", m.caseByDigest(s, navette.NewID(), a), id1)
	// A rotated key: the new digest first, the old one after it.
	metaEqual(t, "rotated", m.caseByDigest(s, navette.NewID(), b, a), id1)
	metaEqual(t, "new digest alone", m.caseByDigest(s, navette.NewID(), b), id1)
	id2 := navette.NewID()
	metaEqual(t, "other case", m.caseByDigest(s, id2, c), id2)

	_, err := s.CaseByDigest(m.ctx, nil, navette.NewID(), m.now())
	metaCode(t, "no digest", err, navette.EINVALID)
	_, err = s.CaseByDigest(m.ctx, [][]byte{{}}, navette.NewID(), m.now())
	metaCode(t, "empty digest", err, navette.EINVALID)
	_, err = s.CaseByDigest(m.ctx, [][]byte{a}, "x", m.now())
	metaCode(t, "bad id", err, navette.EINVALID)
}

func testCaseByDigestConcurrent(t *testing.T, m *metaFixture, s navette.CaseStore) {
	d := metaRandom(40)
	at := m.now()
	ids := make([]string, 6)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i], errs[i] = s.CaseByDigest(m.ctx, [][]byte{d}, navette.NewID(), at) })
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("CaseByDigest %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("concurrent calls made cases %s and %s", ids[0], ids[i])
		}
	}
}

func testCaseJoin(t *testing.T, m *metaFixture, s navette.CaseStore) {
	sender, rcpt := m.user("Sender"), m.user("Rcpt")
	d := m.deposit(navette.DepositDraft, sender, rcpt)
	c1 := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	c2 := m.caseByDigest(s, navette.NewID(), metaRandom(40))

	_, err := s.CaseOf(m.ctx, d.ID)
	metaCode(t, "CaseOf before", err, navette.ENOTFOUND)
	before := len(m.events(d.ID))
	ev := m.event(navette.EventDepositCase, sender.ID, d.ID)
	got, err := s.JoinCase(m.ctx, c1, d.ID, m.now(), ev)
	if err != nil || got != c1 {
		t.Fatalf("JoinCase = %q, %v; want %q", got, err, c1)
	}
	if n := len(m.events(d.ID)); n != before+1 {
		t.Errorf("JoinCase appended %d events, want 1", n-before)
	}
	got, err = s.JoinCase(m.ctx, c2, d.ID, m.now(), ev)
	if err != nil || got != c1 {
		t.Fatalf("JoinCase(other case) = %q, %v; want %q, unchanged", got, err, c1)
	}
	if n := len(m.events(d.ID)); n != before+1 {
		t.Errorf("a second JoinCase appended %d events, want none", n-before-1)
	}
	if got, err := s.CaseOf(m.ctx, d.ID); err != nil || got != c1 {
		t.Errorf("CaseOf = %q, %v; want %q", got, err, c1)
	}
	d2 := m.deposit(navette.DepositDraft, sender, rcpt)
	_, err = s.JoinCase(m.ctx, navette.NewID(), d2.ID, m.now())
	metaCode(t, "JoinCase(unknown case)", err, navette.ENOTFOUND)
	_, err = s.JoinCase(m.ctx, c1, navette.NewID(), m.now())
	metaCode(t, "JoinCase(unknown deposit)", err, navette.ENOTFOUND)
	_, err = s.CaseOf(m.ctx, d2.ID)
	metaCode(t, "CaseOf(after failed join)", err, navette.ENOTFOUND)
}

func testCaseDeposits(t *testing.T, m *metaFixture, s navette.CaseStore) {
	court := m.court("TJ-X", "Tribunal X")
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	colleague := m.person("Colleague", navette.RoleAgent, inCourt(court.ID))
	svc := m.person("Greffe", navette.RoleService, inCourt(court.ID))
	m.member(svc, colleague)
	lawyer, other := m.user("Lawyer"), m.user("Other")

	c1 := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	c2 := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	join := func(c string, d *navette.DepositRecord) {
		t.Helper()
		if _, err := s.JoinCase(m.ctx, c, d.ID, m.now()); err != nil {
			t.Fatalf("JoinCase: %v", err)
		}
	}
	d1 := m.deposit(navette.DepositAvailable, clerk, lawyer) // clerk → lawyer
	join(c1, d1)
	d2 := m.deposit(navette.DepositAvailable, lawyer, svc) // lawyer → service
	join(c1, d2)
	d3 := m.deposit(navette.DepositAvailable, clerk, other) // another case
	join(c2, d3)
	m.deposit(navette.DepositAvailable, clerk, lawyer) // in no case

	ids := func(cds []navette.CaseDeposit, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatalf("CaseDeposits: %v", err)
		}
		var out []string
		for _, cd := range cds {
			out = append(out, cd.CaseID+"/"+cd.Deposit.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    navette.CaseFilter
		want []string
	}{
		{"clerk", navette.CaseFilter{UserID: clerk.ID}, []string{c2 + "/" + d3.ID, c1 + "/" + d1.ID}},
		{"lawyer", navette.CaseFilter{UserID: lawyer.ID}, []string{c1 + "/" + d2.ID, c1 + "/" + d1.ID}},
		{"member of the service", navette.CaseFilter{UserID: colleague.ID}, []string{c1 + "/" + d2.ID}},
		{"other", navette.CaseFilter{UserID: other.ID}, []string{c2 + "/" + d3.ID}},
		{"other in case 1", navette.CaseFilter{UserID: other.ID, CaseID: c1}, nil},
		{"clerk in case 1", navette.CaseFilter{UserID: clerk.ID, CaseID: c1}, []string{c1 + "/" + d1.ID}},
		{"lawyer, limit 1", navette.CaseFilter{UserID: lawyer.ID, Limit: 1}, []string{c1 + "/" + d2.ID}},
		{"unknown user", navette.CaseFilter{UserID: navette.NewID()}, nil},
		{"member of the service in case 1", navette.CaseFilter{UserID: colleague.ID, CaseID: c1}, []string{c1 + "/" + d2.ID}},
		{"lawyer in case 2", navette.CaseFilter{UserID: lawyer.ID, CaseID: c2}, nil},
		{"unknown case", navette.CaseFilter{UserID: clerk.ID, CaseID: navette.NewID()}, nil},
	} {
		metaEqual(t, tc.name, ids(s.CaseDeposits(m.ctx, tc.f)), tc.want)
	}
	cds, err := s.CaseDeposits(m.ctx, navette.CaseFilter{UserID: lawyer.ID, CaseID: c1})
	if err != nil || len(cds) != 2 {
		t.Fatalf("CaseDeposits = %d, %v", len(cds), err)
	}
	metaEqual(t, "deposit as stored", cds[1].Deposit, m.getDeposit(d1.ID))
	_, err = s.CaseDeposits(m.ctx, navette.CaseFilter{UserID: lawyer.ID, Limit: -1})
	metaCode(t, "negative limit", err, navette.EINVALID)
}
