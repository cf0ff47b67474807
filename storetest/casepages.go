package storetest

import (
	"slices"
	"testing"

	"navette"
)

// testCaseDepositPages pages through the deposits of one case, newest and
// oldest first, with deposits made at the same time, drafts and deposits
// still being checked that a recipient may not know of, and deposits of
// another case.
func testCaseDepositPages(t *testing.T, m *metaFixture, s navette.CaseStore) {
	court := m.court("TJ-P", "Tribunal P")
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	lawyer := m.user("Lawyer")
	c := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	other := m.caseByDigest(s, navette.NewID(), metaRandom(40))
	join := func(c string, d *navette.DepositRecord) {
		t.Helper()
		if _, err := s.JoinCase(m.ctx, c, d.ID, m.now()); err != nil {
			t.Fatalf("JoinCase: %v", err)
		}
	}
	var all, known []string // newest first, for the clerk and the lawyer
	for i := range 23 {
		state := navette.DepositAvailable
		switch i % 5 {
		case 1:
			state = navette.DepositDraft
		case 2:
			state = navette.DepositChecking
		}
		d := m.newDeposit(clerk, lawyer)
		if i%4 == 3 { // the same time as the one before
			d.CreatedAt = m.getDeposit(all[0]).CreatedAt
		}
		metaSetState(d, state)
		if err := m.s.CreateDeposit(m.ctx, d); err != nil {
			t.Fatal(err)
		}
		join(c, d)
		join(other, m.deposit(navette.DepositAvailable, clerk, lawyer))
		all = slices.Insert(all, 0, d.ID)
		if state == navette.DepositAvailable {
			known = slices.Insert(known, 0, d.ID)
		}
	}
	// Ties are newest first by id, descending.
	slices.SortStableFunc(all, func(a, b string) int { return m.order(a, b) })
	slices.SortStableFunc(known, func(a, b string) int { return m.order(a, b) })

	for _, tc := range []struct {
		name   string
		user   string
		oldest bool
		want   []string
	}{
		{"sender, newest first", clerk.ID, false, all},
		{"sender, oldest first", clerk.ID, true, reversed(all)},
		{"recipient, newest first", lawyer.ID, false, known},
		{"recipient, oldest first", lawyer.ID, true, reversed(known)},
	} {
		for _, size := range []int{1, 4, 7, 100} {
			var got []string
			f := navette.CaseFilter{UserID: tc.user, CaseID: c, Limit: size, Oldest: tc.oldest}
			for range 50 {
				page, err := s.CaseDeposits(m.ctx, f)
				if err != nil {
					t.Fatalf("%s: CaseDeposits: %v", tc.name, err)
				}
				for _, cd := range page {
					if cd.CaseID != c {
						t.Fatalf("%s: deposit %s of case %s", tc.name, cd.Deposit.ID, cd.CaseID)
					}
					got = append(got, cd.Deposit.ID)
				}
				if len(page) < size {
					break
				}
				last := page[len(page)-1].Deposit
				f.After, f.AfterID = last.CreatedAt, last.ID
			}
			metaEqual(t, tc.name, got, tc.want)
		}
	}
}

// order compares two deposits as a case's page lists them: newest first,
// then by id, descending.
func (m *metaFixture) order(a, b string) int {
	da, db := m.getDeposit(a), m.getDeposit(b)
	if c := db.CreatedAt.Compare(da.CreatedAt); c != 0 {
		return c
	}
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// testCaseParty checks that the parties of a case's deposits, and only
// they, reach its deposits through the probe that decides first: the
// sender, a recipient, the members of a recipient mailbox and of the
// mailbox it was sent from, and the recipient mailbox itself.
func testCaseParty(t *testing.T, m *metaFixture, s navette.CaseStore) {
	court := m.court("TJ-Q", "Tribunal Q")
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	sending := m.person("Sending", navette.RoleAgent, inCourt(court.ID))
	receiving := m.person("Receiving", navette.RoleAgent, inCourt(court.ID))
	from := m.person("Greffe", navette.RoleService, inCourt(court.ID))
	to := m.person("Parquet", navette.RoleService, inCourt(court.ID))
	m.member(from, sending)
	m.member(to, receiving)
	lawyer, stranger := m.user("Lawyer"), m.user("Stranger")
	c := m.caseByDigest(s, navette.NewID(), metaRandom(40))

	d := m.newDeposit(clerk, lawyer, to)
	d.FromSpaceID = from.ID
	metaSetState(d, navette.DepositAvailable)
	if err := m.s.CreateDeposit(m.ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JoinCase(m.ctx, c, d.ID, m.now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		user *navette.User
		want int
	}{
		{"sender", clerk, 1},
		{"member of the sending mailbox", sending, 1},
		{"recipient", lawyer, 1},
		{"member of the recipient mailbox", receiving, 1},
		{"the recipient mailbox", to, 1},
		{"stranger", stranger, 0},
	} {
		got, err := s.CaseDeposits(m.ctx, navette.CaseFilter{UserID: tc.user.ID, CaseID: c})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		metaEqual(t, tc.name, len(got), tc.want)
	}
}
