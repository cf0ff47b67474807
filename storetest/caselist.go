package storetest

import (
	"testing"

	"navette"
)

// testCaseList pages through a person's cases, most recently active first,
// and checks who sees which case.
func testCaseList(t *testing.T, m *metaFixture, s navette.CaseStore) {
	court := m.court("TJ-L", "Tribunal L")
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	colleague := m.person("Colleague", navette.RoleAgent, inCourt(court.ID))
	svc := m.person("Greffe", navette.RoleService, inCourt(court.ID))
	m.member(svc, colleague)
	m.member(svc, clerk)
	lawyer, other := m.user("Lawyer"), m.user("Other")

	join := func(c string, d *navette.DepositRecord) {
		t.Helper()
		if _, err := s.JoinCase(m.ctx, c, d.ID, m.now()); err != nil {
			t.Fatalf("JoinCase: %v", err)
		}
	}
	// Seven cases of the clerk with the lawyer, the fourth's newest
	// deposit a draft the lawyer may not know of yet.
	var cases []string
	for i := range 7 {
		c := m.caseByDigest(s, navette.NewID(), metaRandom(40))
		cases = append(cases, c)
		join(c, m.deposit(navette.DepositAvailable, clerk, lawyer))
		if i == 3 {
			join(c, m.deposit(navette.DepositChecking, clerk, lawyer))
		}
	}
	// One from the mailbox, one from the lawyer to the mailbox.
	fromSvc := m.newDeposit(clerk, other)
	fromSvc.FromSpaceID = svc.ID
	metaSetState(fromSvc, navette.DepositChecking)
	if err := m.s.CreateDeposit(m.ctx, fromSvc); err != nil {
		t.Fatal(err)
	}
	cOther := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	join(cOther, fromSvc)
	toSvc := m.deposit(navette.DepositAvailable, lawyer, svc)
	join(cases[0], toSvc)

	all := func(userID string, limit int) []string {
		t.Helper()
		var (
			out  []string
			f    = navette.CaseListFilter{UserID: userID, Limit: limit}
			prev navette.CaseRef
		)
		for range 20 {
			page, err := s.CaseList(m.ctx, f)
			if err != nil {
				t.Fatalf("CaseList: %v", err)
			}
			if len(page) > limit {
				t.Fatalf("a page of %d cases, limit %d", len(page), limit)
			}
			for _, r := range page {
				if prev.ID != "" && (r.LastAt.After(prev.LastAt) || r.LastAt.Equal(prev.LastAt) && r.ID >= prev.ID) {
					t.Fatalf("case %s (%v) after %s (%v): not most recent first", r.ID, r.LastAt, prev.ID, prev.LastAt)
				}
				prev = r
				out = append(out, r.ID)
			}
			if len(page) < limit {
				return out
			}
			f.Before, f.BeforeID = page[len(page)-1].LastAt, page[len(page)-1].ID
		}
		t.Fatal("CaseList never ends")
		return nil
	}
	rev := func(ids ...string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}
	// The lawyer's answer made case 0 the most recent.
	lawyerWant := append([]string{cases[0]}, rev(cases[1:]...)...)
	for _, limit := range []int{1, 2, 3, 100} {
		metaEqual(t, "clerk's cases", all(clerk.ID, limit), append([]string{cases[0], cOther}, rev(cases[1:]...)...))
		metaEqual(t, "lawyer's cases", all(lawyer.ID, limit), lawyerWant)
	}
	metaEqual(t, "colleague: the mailbox's sent and received", all(colleague.ID, 2), []string{cases[0], cOther})
	metaEqual(t, "other: not before available", all(other.ID, 2), []string(nil))
	metaEqual(t, "unknown user", all(navette.NewID(), 2), []string(nil))

	// The lawyer's time of case 3 is its available deposit's, not the
	// checking one's.
	page, err := s.CaseList(m.ctx, navette.CaseListFilter{UserID: lawyer.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page {
		if r.ID == cases[3] && !r.LastAt.Equal(m.getDeposit(metaCaseFirst(t, s, m, cases[3])).CreatedAt) {
			t.Errorf("case 3 last at %v for the lawyer: the deposit in checking counted", r.LastAt)
		}
	}
	_, err = s.CaseList(m.ctx, navette.CaseListFilter{UserID: lawyer.ID, Limit: -1})
	metaCode(t, "negative limit", err, navette.EINVALID)

	ids, err := s.CaseDepositIDs(m.ctx, cases[0])
	if err != nil || len(ids) != 2 || ids[1] != toSvc.ID {
		t.Errorf("CaseDepositIDs = %v, %v; want both deposits, oldest first", ids, err)
	}
	ids, err = s.CaseDepositIDs(m.ctx, navette.NewID())
	if err != nil || len(ids) != 0 {
		t.Errorf("CaseDepositIDs(unknown) = %v, %v; want none", ids, err)
	}
}

// metaCaseFirst returns the id of the oldest deposit of case c.
func metaCaseFirst(t *testing.T, s navette.CaseStore, m *metaFixture, c string) string {
	t.Helper()
	ids, err := s.CaseDepositIDs(m.ctx, c)
	if err != nil || len(ids) == 0 {
		t.Fatalf("CaseDepositIDs(%s) = %v, %v", c, ids, err)
	}
	return ids[0]
}
