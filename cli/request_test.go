package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/account"
)

// TestAdminRequest: an admin's request to grant the auditor role, made
// through the API, is listed by "navette admin request list" for another
// admin, who approves it with "navette admin request approve"; its
// requester cannot; a second approval fails; a rejection works on another.
// The local path (--data) acts at once, journaled as local-operator.
func TestAdminRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	first, second, admin1, target := e.twoAdmins()
	u, r, err := e.app.Accounts.RequestSetRole(ctx, admin1, target.ID, navette.RoleAuditor, "contrôle annuel")
	if err != nil || r == nil || u.Role != navette.RoleAgent {
		t.Fatalf("RequestSetRole: %+v, %+v, %v", u, r, err)
	}
	list := runCLI(t, e.vars(second), false, "admin", "request", "list")
	if list.code != 0 || !strings.Contains(list.stdout, r.ID) || !strings.Contains(list.stdout, "user.role") || !strings.Contains(list.stdout, "pending") {
		t.Fatalf("list: %d %s %s", list.code, list.stdout, list.stderr)
	}
	if own := runCLI(t, e.vars(first), false, "admin", "request", "approve", r.ID); own.code == 0 || !strings.Contains(own.stderr, "own request") {
		t.Errorf("the requester approving: %d %s", own.code, own.stderr)
	}
	if bad := runCLI(t, e.vars(second), false, "admin", "request", "approve", "--sha256", strings.Repeat("0", 64), r.ID); bad.code == 0 {
		t.Error("approving other parameters than the request's succeeded")
	}
	ok := runCLI(t, e.vars(second), false, "admin", "request", "approve", r.ID)
	if ok.code != 0 || !strings.Contains(ok.stdout, "executed") {
		t.Fatalf("approve: %d %s %s", ok.code, ok.stdout, ok.stderr)
	}
	if got, _ := e.app.Meta.User(ctx, target.ID); got.Role != navette.RoleAuditor {
		t.Errorf("role after approval: %s", got.Role)
	}
	if again := runCLI(t, e.vars(second), false, "admin", "request", "approve", r.ID); again.code == 0 {
		t.Error("a second approval succeeded")
	}
	_, r2, err := e.app.Accounts.RequestSetRole(ctx, admin1, target.ID, navette.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	if rej := runCLI(t, e.vars(second), false, "admin", "request", "reject", r2.ID); rej.code != 0 || !strings.Contains(rej.stdout, "rejected") {
		t.Errorf("reject: %d %s %s", rej.code, rej.stdout, rej.stderr)
	}
	if none := runCLI(t, e.vars(second), false, "admin", "request", "list"); none.code != 0 || !strings.Contains(none.stdout, "No requests.") {
		t.Errorf("list after: %s", none.stdout)
	}
}

// TestLocalOperatorActsDirectly: "navette admin member add --data DIR"
// on the server needs no approval, the journal says who acted:
// local-operator, and the agent is told (member_added).
func TestLocalOperatorActsDirectly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	op := &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-X", "Tribunal X")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe X", "greffe.x@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Accounts.Create(ctx, newStaff("clerk.x@justice.example", court.ID)); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, false, "admin", "member", "add", "--data", e.dir, "--service", svc.Email, "--email", "clerk.x@justice.example")
	if r.code != 0 {
		t.Fatalf("member add: %d %s", r.code, r.stderr)
	}
	evs, err := e.app.Meta.Events(ctx, navette.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(evs, func(ev navette.Event) bool {
		return ev.Type == navette.EventMemberAdded && ev.ActorID == navette.LocalOperator && strings.HasPrefix(ev.Detail, svc.ID+" ")
	}) {
		t.Error("no member.added by local-operator in the journal")
	}
	clerk, err := e.app.Meta.UserByEmail(ctx, "clerk.x@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := e.app.Meta.Notices(ctx, navette.NoticeFilter{UserID: clerk.ID})
	if err != nil || len(ns) != 1 || ns[0].Kind != navette.NoticeMemberAdded {
		t.Errorf("the agent added from the shell: notices %v, %v; want one member_added", ns, err)
	}
}

// newStaff describes an agent of court courtID.
func newStaff(email, courtID string) account.NewUser {
	return account.NewUser{Email: email, Name: email, Role: navette.RoleAgent, CourtID: courtID}
}

// twoAdmins adds two admins and returns their tokens, the first of them
// and the agent, whose role their requests of the two-person rule change.
func (e *testEnv) twoAdmins() (first, second string, admin1, target *navette.User) {
	e.t.Helper()
	first = e.user("admin1@justice.example", navette.RoleAdmin)
	second = e.user("admin2@justice.example", navette.RoleAdmin)
	admin1, err := e.app.Meta.UserByEmail(context.Background(), "admin1@justice.example")
	if err != nil {
		e.t.Fatal(err)
	}
	target, err = e.app.Meta.UserByEmail(context.Background(), agent)
	if err != nil {
		e.t.Fatal(err)
	}
	return first, second, admin1, target
}
