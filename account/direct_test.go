package account_test

import (
	"testing"

	"navette"
	"navette/notify"
)

// TestRestoreOfActivePersonTellsNothing: an approved user.restore of a
// person whose access was given back meanwhile (or never removed) fails,
// saying why to its requester; the person is not told their access was
// restored, and no user.restored is journaled for it. The same holds for
// a role the person has been given meanwhile.
func TestRestoreOfActivePersonTellsNothing(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	if _, err := f.s.SetDisabled(f.ctx, f.admin, f.clerk.ID, true); err != nil {
		t.Fatal(err)
	}
	_, r, err := f.s.RequestSetDisabled(f.ctx, f.admin, f.clerk.ID, false, "retour de congé")
	if err != nil || r == nil {
		t.Fatalf("RequestSetDisabled: %v, %v", r, err)
	}
	_, role, err := f.s.RequestSetRole(f.ctx, f.admin, f.auditor.ID, navette.RoleAuditor, "audit")
	if err != nil || role == nil {
		t.Fatalf("RequestSetRole: %v, %v", role, err)
	}
	f.s.Approvals = 1
	if _, err := f.s.SetDisabled(f.ctx, f.admin2, f.clerk.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetRole(f.ctx, f.admin2, f.auditor.ID, navette.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	f.s.Approvals = 0
	restoredBefore := len(f.noticesOf(f.clerk, navette.NoticeAccessRestored))
	grantedBefore := len(f.noticesOf(f.auditor, navette.NoticeRoleGranted))
	_, restoredEvents := f.journal("", navette.EventUserRestored)
	for _, c := range []struct {
		r   *navette.AdminRequest
		msg string
	}{{r, "This person's access is not revoked: there is nothing to restore."}, {role, "This person has this role already."}} {
		if _, err := f.s.Approve(f.ctx, f.admin2, c.r.ID, c.r.ParamsHash); !navette.IsCode(err, navette.ECONFLICT) || navette.ErrorMessage(err) != c.msg {
			t.Errorf("approving %s of what is so already: %v, want ECONFLICT %q", c.r.Action, err, c.msg)
		}
		got, err := f.s.Request(f.ctx, f.admin, c.r.ID)
		if err != nil || got.State != navette.RequestFailed || got.Error != c.msg {
			t.Errorf("%s after approval: %+v, %v; want failed", c.r.Action, got, err)
		}
	}
	if n := len(f.noticesOf(f.clerk, navette.NoticeAccessRestored)); n != restoredBefore {
		t.Errorf("the person whose access was not removed was told it was restored (%d notices, %d before)", n, restoredBefore)
	}
	if n := len(f.noticesOf(f.auditor, navette.NoticeRoleGranted)); n != grantedBefore {
		t.Errorf("the person who had the role was told it was given (%d notices, %d before)", n, grantedBefore)
	}
	if _, evs := f.journal("", navette.EventUserRestored); len(evs) != len(restoredEvents) {
		t.Errorf("user.restored events: %d, want %d (none for the request)", len(evs), len(restoredEvents))
	}
	failed := f.noticesOf(f.admin, navette.NoticeRequestFailed)
	if len(failed) != 2 {
		t.Fatalf("the requester got %d request_failed notices, want 2", len(failed))
	}
	if d, err := notify.Open(keys, failed[0]); err != nil || d.Request == nil || d.Request.Error == "" {
		t.Errorf("request_failed data %+v, %v", d, err)
	}
}

// TestDirectChangesTellThePerson: with the two-person rule off, or from
// the server's shell (the local operator), adding someone to a mailbox,
// giving them the admin or auditor role and restoring their access tell
// them, once, as an approved request does, naming the admin (nobody by
// name for the local operator) and what changed; a change that changes
// nothing, a role that gives no access, and an admin adding themself tell
// nobody.
func TestDirectChangesTellThePerson(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	f.s.Approvals = 1
	operator := &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}
	if _, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.clerk.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddMember(f.ctx, operator, f.svcLille.ID, f.clerkLille.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.ca.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.RequestSetRole(f.ctx, f.admin, f.auditor.ID, navette.RoleAuditor, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetRole(f.ctx, f.admin, f.auditor.ID, navette.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetRole(f.ctx, operator, f.caLille.ID, navette.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetDisabled(f.ctx, f.admin, f.clerk.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.RequestSetDisabled(f.ctx, f.admin, f.clerk.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetDisabled(f.ctx, operator, f.clerk.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, off := range []bool{true, false} {
		if _, err := f.s.SetDisabled(f.ctx, operator, f.clerkLille.ID, off); err != nil {
			t.Fatal(err)
		}
	}
	one := func(u *navette.User, kind navette.NoticeKind) *notify.Data {
		t.Helper()
		ns := f.noticesOf(u, kind)
		if len(ns) != 1 {
			t.Errorf("%s got %d %s notices, want 1", u.Email, len(ns), kind)
			return nil
		}
		d, err := notify.Open(keys, ns[0])
		if err != nil {
			t.Fatal(err)
		}
		if d.Admin == nil || (d.Request != nil && d.Request.ID != "") {
			t.Errorf("%s's %s names no admin, or a request: %+v", u.Email, kind, d)
		}
		return d
	}
	if d := one(f.clerk, navette.NoticeMemberAdded); d != nil && (d.Admin.Email != f.ca.Email || d.Request.Mailbox.Email != f.svc.Email || d.Request.At.IsZero()) {
		t.Errorf("member_added by the court admin: %+v %+v", d.Admin, d.Request)
	}
	if d := one(f.clerkLille, navette.NoticeMemberAdded); d != nil && (d.Admin.Email != "" || d.Request.Mailbox.Email != f.svcLille.Email) {
		t.Errorf("member_added by the local operator: %+v %+v", d.Admin, d.Request)
	}
	if d := one(f.auditor, navette.NoticeRoleGranted); d != nil && (d.Admin.Email != f.admin.Email || d.Request.Role != string(navette.RoleAuditor)) {
		t.Errorf("role_granted: %+v %+v", d.Admin, d.Request)
	}
	if d := one(f.clerk, navette.NoticeAccessRestored); d != nil && d.Admin.Email != f.admin.Email {
		t.Errorf("access_restored by the admin, the rule off, names %+v", d.Admin)
	}
	if d := one(f.clerkLille, navette.NoticeAccessRestored); d != nil && d.Admin.Email != "" {
		t.Errorf("access_restored by the local operator names %+v", d.Admin)
	}
	for _, u := range []*navette.User{f.ca, f.caLille} {
		if ns, err := f.meta.Notices(f.ctx, navette.NoticeFilter{UserID: u.ID}); err != nil || len(ns) != 0 {
			t.Errorf("%s was told %d things (%v), want none", u.Email, len(ns), err)
		}
	}
}
