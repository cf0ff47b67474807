package account_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/internal/testsqlite"
)

// twoPerson is a platform with two courts, admins and agents, on a real
// SQLite database, for the tests of the two-person rule.
type twoPerson struct {
	t                 *testing.T
	ctx               context.Context
	path              string
	meta              navette.MetaStore
	clock             *navette.FakeClock
	s                 *account.Service
	admin, admin2     *navette.User
	ca, ca2, caLille  *navette.User
	clerk, clerkLille *navette.User
	auditor           *navette.User
	svc, svcLille     *navette.User
}

func newTwoPerson(t *testing.T) *twoPerson {
	t.Helper()
	path := filepath.Join(t.TempDir(), "navette.db")
	meta := testsqlite.Open(t, path)
	return newTwoPersonOn(t, meta, path)
}

// newTwoPersonOn is newTwoPerson on meta, whose SQLite file is path (empty
// for another database).
func newTwoPersonOn(t *testing.T, meta navette.MetaStore, path string) *twoPerson {
	t.Helper()
	ctx := context.Background()
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	f := &twoPerson{t: t, ctx: ctx, path: path, meta: meta, clock: clock, s: &account.Service{Meta: meta, Clock: clock}}
	mk := func(email string, role navette.Role, courtID string) *navette.User {
		t.Helper()
		u, err := f.s.Create(ctx, account.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, CourtID: courtID})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.admin = mk("admin@justice.example", navette.RoleAdmin, "")
	f.admin2 = mk("admin2@justice.example", navette.RoleAdmin, "")
	amiens, err := f.s.CreateCourt(ctx, f.admin, "TJ-AMIENS", "TJ Amiens")
	if err != nil {
		t.Fatal(err)
	}
	lille, err := f.s.CreateCourt(ctx, f.admin, "TJ-LILLE", "TJ Lille")
	if err != nil {
		t.Fatal(err)
	}
	f.ca = mk("ca@justice.example", navette.RoleCourtAdmin, amiens.ID)
	f.ca2 = mk("ca2@justice.example", navette.RoleCourtAdmin, amiens.ID)
	f.caLille = mk("ca-lille@justice.example", navette.RoleCourtAdmin, lille.ID)
	f.clerk = mk("greffe@justice.example", navette.RoleAgent, amiens.ID)
	f.clerkLille = mk("greffe-lille@justice.example", navette.RoleAgent, lille.ID)
	f.auditor = mk("audit@justice.example", navette.RoleAgent, "")
	if f.svc, err = f.s.CreateService(ctx, f.admin, amiens.ID, "Parquet d'Amiens", "parquet@justice.example"); err != nil {
		t.Fatal(err)
	}
	if f.svcLille, err = f.s.CreateService(ctx, f.admin, lille.ID, "Parquet de Lille", "parquet-lille@justice.example"); err != nil {
		t.Fatal(err)
	}
	return f
}

// isMember reports whether u is a member of svc.
func (f *twoPerson) isMember(svc, u *navette.User) bool {
	f.t.Helper()
	ms, err := f.meta.Members(f.ctx, svc.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return slices.ContainsFunc(ms, func(m *navette.Member) bool { return m.UserID == u.ID })
}

// journal returns the events whose detail starts with the request id, and
// those of type typ, in order.
func (f *twoPerson) journal(id string, typ navette.EventType) (linked, ofType []navette.Event) {
	f.t.Helper()
	evs, err := f.meta.Events(f.ctx, navette.EventFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.Detail, id+" ") {
			linked = append(linked, e)
		}
		if e.Type == typ {
			ofType = append(ofType, e)
		}
	}
	return linked, ofType
}

// TestTwoPersonMember: a court admin's request to add themself to a
// mailbox gives nothing until another admin of the court approves it; the
// requester cannot approve it; it runs once; the journal links request,
// approval and execution.
func TestTwoPersonMember(t *testing.T) {
	f := newTwoPerson(t)
	r, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.ca.ID, "renfort de permanence")
	if err != nil {
		t.Fatal(err)
	}
	if r == nil || r.State != navette.RequestPending || r.CourtID != f.svc.CourtID || f.isMember(f.svc, f.ca) {
		t.Fatalf("request %+v; member already: %v", r, f.isMember(f.svc, f.ca))
	}
	if _, err := f.s.Approve(f.ctx, f.ca, r.ID, nil); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("the requester approving their own request: %v, want EFORBIDDEN", err)
	}
	if _, err := f.s.Approve(f.ctx, f.caLille, r.ID, nil); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("another court's admin approving: %v, want ENOTFOUND", err)
	}
	if _, err := f.s.Approve(f.ctx, f.clerk, r.ID, nil); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("an agent approving: %v, want ENOTFOUND", err)
	}
	if _, err := f.s.Approve(f.ctx, f.ca2, r.ID, []byte("not the hash")); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("approving other parameters than the request's: %v, want ECONFLICT", err)
	}
	if f.isMember(f.svc, f.ca) {
		t.Fatal("member before approval")
	}
	got, err := f.s.Approve(f.ctx, f.ca2, r.ID, r.ParamsHash)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != navette.RequestExecuted || got.ReviewerID != f.ca2.ID || !f.isMember(f.svc, f.ca) {
		t.Fatalf("after approval: %+v, member %v", got, f.isMember(f.svc, f.ca))
	}
	if _, err := f.s.Approve(f.ctx, f.admin, r.ID, nil); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("a second approval (execution): %v, want ECONFLICT", err)
	}
	if _, err := f.s.Reject(f.ctx, f.admin, r.ID); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("rejecting an executed request: %v, want ECONFLICT", err)
	}
	linked, added := f.journal(r.ID, navette.EventMemberAdded)
	var types []navette.EventType
	for _, e := range linked {
		types = append(types, e.Type)
	}
	want := []navette.EventType{navette.EventRequestCreated, navette.EventRequestApproved, navette.EventRequestExecuted}
	if !slices.Equal(types, want) {
		t.Errorf("journal of the request: %v, want %v", types, want)
	} else if linked[0].ActorID != f.ca.ID || linked[1].ActorID != f.ca2.ID || linked[2].ActorID != f.ca.ID {
		t.Errorf("actors: %s %s %s", linked[0].ActorID, linked[1].ActorID, linked[2].ActorID)
	}
	if len(added) != 1 || added[0].ActorID != f.ca.ID || added[0].Detail != f.svc.ID+" "+f.ca.ID || added[0].Seq > linked[2].Seq || added[0].Seq < linked[1].Seq {
		t.Errorf("member.added events %+v: want one, by the requester, between approval and execution", added)
	}
}

// TestMemberOfNoCourt: a court admin who asks to add to a mailbox an
// agent of no court (central administration) is told so: before, they
// read that the agent belonged to another court.
func TestMemberOfNoCourt(t *testing.T) {
	f := newTwoPerson(t)
	for _, tt := range []struct {
		who  *navette.User
		want string
	}{
		{f.auditor, "This agent belongs to no court: only a platform admin can add them to a service mailbox."},
		{f.clerkLille, "This agent belongs to another court."},
	} {
		_, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, tt.who.ID, "")
		if got := navette.ErrorMessage(err); !navette.IsCode(err, navette.EINVALID) || got != tt.want {
			t.Errorf("%q: got %v, want %q", tt.who.Email, err, tt.want)
		}
	}
}

// TestTwoPersonNotForOneself: the person a request gives access to cannot
// approve it, though another admin asked for it: a court admin would
// otherwise give themself a mailbox with a colleague's mere request.
func TestTwoPersonNotForOneself(t *testing.T) {
	f := newTwoPerson(t)
	r, err := f.s.RequestAddMember(f.ctx, f.ca2, f.svc.ID, f.ca.ID, "renfort")
	if err != nil {
		t.Fatal(err)
	}
	if views := f.s.Views(f.ctx, f.ca, []*navette.AdminRequest{r}); views[0].Reviewable {
		t.Error("the request's own subject is offered to review it")
	}
	if _, err := f.s.Approve(f.ctx, f.ca, r.ID, r.ParamsHash); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("the person a request gives access to approving it: %v, want EFORBIDDEN", err)
	}
	if f.isMember(f.svc, f.ca) {
		t.Fatal("member after their own approval")
	}
	if views := f.s.Views(f.ctx, f.admin, []*navette.AdminRequest{r}); !views[0].Reviewable {
		t.Error("a platform admin is not offered to review it")
	}
	if got, err := f.s.Approve(f.ctx, f.admin, r.ID, r.ParamsHash); err != nil || got.State != navette.RequestExecuted || !f.isMember(f.svc, f.ca) {
		t.Fatalf("a third admin approving: %+v, %v", got, err)
	}
}

// TestTwoPersonExpiry: a request not approved within its lifetime is
// refused, and shown expired.
func TestTwoPersonExpiry(t *testing.T) {
	f := newTwoPerson(t)
	r, err := f.s.RequestAddMember(f.ctx, f.admin, f.svc.ID, f.clerk.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(navette.DefaultRequestTTL)
	if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, nil); !navette.IsCode(err, navette.EGONE) {
		t.Fatalf("approving an expired request: %v, want EGONE", err)
	}
	if f.isMember(f.svc, f.clerk) {
		t.Error("an expired request was executed")
	}
	got, err := f.s.Request(f.ctx, f.admin, r.ID)
	if err != nil || got.State != navette.RequestExpired {
		t.Errorf("Request = %+v, %v; want expired", got, err)
	}
	if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, nil); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("approving it again: %v, want ECONFLICT", err)
	}
	if pending, err := f.s.Requests(f.ctx, f.admin2, navette.RequestPending); err != nil || len(pending) != 0 {
		t.Errorf("pending requests: %v, %v", pending, err)
	}
}

// TestTwoPersonChangedParams: parameters changed in the database after
// the request was made (here by SQL, as someone with access to the
// database would) are refused at execution, and the request is rejected.
func TestTwoPersonChangedParams(t *testing.T) {
	f := newTwoPerson(t)
	r, err := f.s.RequestAddMember(f.ctx, f.admin, f.svc.ID, f.clerk.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+f.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	forged, _, err := navette.CanonicalParams(navette.MemberParams{ServiceID: f.svc.ID, UserID: f.admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(f.ctx, `UPDATE admin_requests SET params = $1 WHERE id = $2`, forged, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, r.ParamsHash); !navette.IsCode(err, navette.ECONFLICT) {
		t.Fatalf("executing changed parameters: %v, want ECONFLICT", err)
	}
	if f.isMember(f.svc, f.admin) || f.isMember(f.svc, f.clerk) {
		t.Error("changed parameters were executed")
	}
	got, err := f.s.Request(f.ctx, f.admin, r.ID)
	if err != nil || got.State != navette.RequestRejected {
		t.Errorf("Request = %+v, %v; want rejected", got, err)
	}
	if linked, _ := f.journal(r.ID, ""); len(linked) != 3 || linked[2].Type != navette.EventRequestRejected || !strings.HasSuffix(linked[2].Detail, "params_changed") {
		t.Errorf("journal: %+v", linked)
	}
}

// TestTwoPersonRoles: granting the admin or auditor role and restoring a
// revoked person wait for a second platform admin; court admins cannot
// review them; other role changes and revocations act at once.
func TestTwoPersonRoles(t *testing.T) {
	f := newTwoPerson(t)
	u, r, err := f.s.RequestSetRole(f.ctx, f.admin, f.clerk.ID, navette.RoleAdmin, "nouvel exploitant")
	if err != nil || r == nil || u.Role != navette.RoleAgent {
		t.Fatalf("RequestSetRole(admin) = %+v, %+v, %v", u, r, err)
	}
	if got, _ := f.meta.User(f.ctx, f.clerk.ID); got.Role != navette.RoleAgent {
		t.Fatalf("role changed before approval: %s", got.Role)
	}
	if _, err := f.s.Approve(f.ctx, f.ca, r.ID, nil); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a court admin approving a role: %v, want ENOTFOUND", err)
	}
	if _, err := f.s.Approve(f.ctx, f.admin, r.ID, nil); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("self-approval: %v, want EFORBIDDEN", err)
	}
	if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.meta.User(f.ctx, f.clerk.ID); got.Role != navette.RoleAdmin {
		t.Errorf("role after approval: %s", got.Role)
	}
	if u, r, err := f.s.RequestSetRole(f.ctx, f.admin, f.auditor.ID, navette.RoleCourtAdmin, ""); err != nil || r != nil || u.Role != navette.RoleCourtAdmin {
		t.Errorf("a role that grants no reading acts at once: %+v, %+v, %v", u, r, err)
	}
	if _, r, err := f.s.RequestSetDisabled(f.ctx, f.admin, f.clerkLille.ID, true, ""); err != nil || r != nil {
		t.Fatalf("revoking acts at once: %+v, %v", r, err)
	}
	u, r, err = f.s.RequestSetDisabled(f.ctx, f.admin, f.clerkLille.ID, false, "")
	if err != nil || r == nil || !u.Disabled {
		t.Fatalf("restoring: %+v, %+v, %v", u, r, err)
	}
	if _, err := f.s.Reject(f.ctx, f.admin2, r.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.meta.User(f.ctx, f.clerkLille.ID); !got.Disabled {
		t.Error("a rejected restoration was executed")
	}
	if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, nil); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("approving a rejected request: %v, want ECONFLICT", err)
	}
}

// TestTwoPersonVisibility: court admins list their court's requests and
// their own; others are refused.
func TestTwoPersonVisibility(t *testing.T) {
	f := newTwoPerson(t)
	amiens, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.clerk.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	lille, err := f.s.RequestAddMember(f.ctx, f.admin, f.svcLille.ID, f.clerkLille.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.RequestSetRole(f.ctx, f.admin, f.clerk.ID, navette.RoleAuditor, ""); err != nil {
		t.Fatal(err)
	}
	ids := func(u *navette.User) []string {
		rs, err := f.s.Requests(f.ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(f.admin2); len(got) != 3 {
		t.Errorf("a platform admin sees %d requests, want 3", len(got))
	}
	if got := ids(f.ca2); !slices.Equal(got, []string{amiens.ID}) {
		t.Errorf("Amiens' court admin sees %v, want %v", got, amiens.ID)
	}
	if got := ids(f.caLille); !slices.Equal(got, []string{lille.ID}) {
		t.Errorf("Lille's court admin sees %v, want %v", got, lille.ID)
	}
	if _, err := f.s.Requests(f.ctx, f.clerk, ""); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("an agent listing requests: %v", err)
	}
	if _, err := f.s.Request(f.ctx, f.caLille, amiens.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("another court's request: %v, want ENOTFOUND", err)
	}
	if _, err := f.s.Reject(f.ctx, f.ca, amiens.ID); err != nil {
		t.Errorf("the requester withdrawing their request: %v", err)
	}
}

// TestTwoPersonOff: with one approval (a site with one admin) the actions
// take effect at once.
func TestTwoPersonOff(t *testing.T) {
	f := newTwoPerson(t)
	f.s.Approvals = 1
	if r, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.ca.ID, ""); err != nil || r != nil || !f.isMember(f.svc, f.ca) {
		t.Errorf("RequestAddMember = %+v, %v; member %v", r, err, f.isMember(f.svc, f.ca))
	}
	if u, r, err := f.s.RequestSetRole(f.ctx, f.admin, f.clerk.ID, navette.RoleAdmin, ""); err != nil || r != nil || u.Role != navette.RoleAdmin {
		t.Errorf("RequestSetRole = %+v, %+v, %v", u, r, err)
	}
}
