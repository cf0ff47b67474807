package storetest

import (
	"testing"

	"navette"
)

// testMetaFromSpace checks deposits sent on behalf of a service mailbox:
// the mailbox is kept, and its members see the deposit as its sender does
// (DepositFor, the sent list) once it is no longer a draft; others do not.
func testMetaFromSpace(t *testing.T, m *metaFixture) {
	court := m.court("TJ-F", "Tribunal F")
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	colleague := m.person("Colleague", navette.RoleAgent, inCourt(court.ID))
	outsider := m.person("Outsider", navette.RoleAgent, inCourt(court.ID))
	svc := m.person("Greffe", navette.RoleService, inCourt(court.ID))
	m.member(svc, clerk)
	m.member(svc, colleague)
	lawyer := m.user("Lawyer")

	sent := m.newDeposit(clerk, lawyer)
	sent.FromSpaceID = svc.ID
	metaSetState(sent, navette.DepositAvailable)
	if err := m.s.CreateDeposit(m.ctx, sent); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	draft := m.newDeposit(clerk, lawyer)
	draft.FromSpaceID = svc.ID
	if err := m.s.CreateDeposit(m.ctx, draft); err != nil {
		t.Fatalf("CreateDeposit(draft): %v", err)
	}
	personal := m.deposit(navette.DepositAvailable, clerk, lawyer)

	metaEqual(t, "stored", m.getDeposit(sent.ID), sent)
	metaEqual(t, "from space kept", m.getDeposit(sent.ID).FromSpaceID, svc.ID)
	metaEqual(t, "personal", m.getDeposit(personal.ID).FromSpaceID, "")

	for _, tc := range []struct {
		name string
		dep  *navette.DepositRecord
		user *navette.User
		sees bool
	}{
		{"sender", sent, clerk, true},
		{"member of the sending mailbox", sent, colleague, true},
		{"recipient", sent, lawyer, true},
		{"non-member", sent, outsider, false},
		{"the mailbox itself is no member", sent, svc, false},
		{"member, draft", draft, colleague, false},
		{"sender, draft", draft, clerk, true},
		{"member, personal deposit", personal, colleague, false},
	} {
		got, err := m.s.DepositFor(m.ctx, tc.dep.ID, tc.user.ID)
		if tc.sees {
			if err != nil {
				t.Errorf("%s: DepositFor: %v", tc.name, err)
			} else {
				metaEqual(t, tc.name, got.FromSpaceID, tc.dep.FromSpaceID)
			}
			continue
		}
		metaCode(t, tc.name, err, navette.ENOTFOUND)
	}

	metaEqual(t, "colleague's sent list", metaIDs(m.list(navette.DepositFilter{UserID: colleague.ID, Box: navette.BoxSent})), []string{sent.ID})
	metaEqual(t, "clerk's sent list", metaIDs(m.list(navette.DepositFilter{UserID: clerk.ID, Box: navette.BoxSent})), []string{personal.ID, draft.ID, sent.ID})
	metaEqual(t, "outsider's sent list", metaIDs(m.list(navette.DepositFilter{UserID: outsider.ID, Box: navette.BoxSent})), []string{})

	bad := m.newDeposit(clerk, lawyer)
	bad.FromSpaceID = navette.NewID()
	metaCode(t, "unknown mailbox", m.s.CreateDeposit(m.ctx, bad), navette.ENOTFOUND)
}
