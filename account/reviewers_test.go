package account_test

import (
	"strings"
	"testing"

	"navette"
)

// TestApprovalNoticesToWhoMayApprove: a request's approval_request notice
// goes to each admin who may approve it and to nobody else: not to its
// requester, nor to the court admin it would make a member of a mailbox
// (who may not approve it), nor to a platform admin whose access was
// revoked, who cannot approve it either.
func TestApprovalNoticesToWhoMayApprove(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	if _, err := f.s.SetDisabled(f.ctx, f.admin, f.admin2.ID, true); err != nil {
		t.Fatal(err)
	}
	r, err := f.s.RequestAddMember(f.ctx, f.ca2, f.svc.ID, f.ca.ID, "renfort")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    *navette.User
		want int
	}{{f.admin, 1}, {f.admin2, 0}, {f.ca, 0}, {f.ca2, 0}, {f.caLille, 0}, {f.clerk, 0}} {
		if got := len(f.noticesOf(c.u, navette.NoticeApproval)); got != c.want {
			t.Errorf("%s got %d approval_request notices, want %d", c.u.Email, got, c.want)
		}
	}
	disabled, err := f.meta.User(f.ctx, f.admin2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approve(f.ctx, disabled, r.ID, r.ParamsHash); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("a revoked admin approving: %v, want EFORBIDDEN", err)
	}
	demoted, err := f.s.SetRole(f.ctx, f.admin, f.ca2.ID, navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := f.s.RequestAddMember(f.ctx, f.admin, f.svc.ID, f.clerk.ID, "renfort")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.noticesOf(demoted, navette.NoticeApproval)); got != 0 {
		t.Errorf("a court admin made an agent got %d approval_request notices, want 0", got)
	}
	if _, err := f.s.Approve(f.ctx, demoted, r2.ID, r2.ParamsHash); err == nil {
		t.Error("a court admin made an agent approved a request")
	}
}

// TestRequestWithNobodyToApprove: a request that no other admin may
// approve (the one other platform admin's access revoked; court admins do
// not review roles) is refused at once, saying so, and nothing is
// recorded: it would otherwise wait, silently, for nobody until it expired.
func TestRequestWithNobodyToApprove(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	if _, err := f.s.SetDisabled(f.ctx, f.admin, f.admin2.ID, true); err != nil {
		t.Fatal(err)
	}
	_, r, err := f.s.RequestSetRole(f.ctx, f.admin, f.clerk.ID, navette.RoleAuditor, "contrôle")
	if !navette.IsCode(err, navette.EFORBIDDEN) || r != nil || !strings.Contains(navette.ErrorMessage(err), "No other administrator") {
		t.Fatalf("a request nobody may approve: %+v, %v; want EFORBIDDEN saying nobody may approve it", r, err)
	}
	rs := f.meta.(navette.RequestStore)
	if all, err := rs.Requests(f.ctx, navette.RequestFilter{}); err != nil || len(all) != 0 {
		t.Errorf("requests stored: %+v, %v; want none", all, err)
	}
	if _, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.clerk.ID, "renfort"); err != nil {
		t.Errorf("a membership another court admin (and the platform admin) may approve: %v", err)
	}
}
