package account_test

import (
	"path/filepath"
	"slices"
	"testing"

	"navette"
	"navette/internal/testpg"
	"navette/keyring"
	"navette/notify"
	"navette/postgres"
)

// newTwoPersonPG is newTwoPerson on a real PostgreSQL database.
func newTwoPersonPG(t *testing.T) *twoPerson {
	t.Helper()
	pg := testpg.Start(t)
	meta, err := postgres.Open(t.Context(), pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	return newTwoPersonOn(t, meta, "")
}

// TestTwoPersonFailed: an approved request whose action fails (the agent
// became a member some other way meanwhile) is marked failed with the
// error's message, journaled, its requester told by e-mail, listed as
// failed; it cannot be approved again, and a new request can be made and
// carried out, which tells its requester and the new member. On SQLite and
// PostgreSQL.
func TestTwoPersonFailed(t *testing.T) { onBothStores(t, testTwoPersonFailed) }

// onBothStores runs test on a twoPerson fixture on SQLite, then on
// PostgreSQL.
func onBothStores(t *testing.T, test func(*testing.T, *twoPerson)) {
	for _, db := range []struct {
		name string
		open func(t *testing.T) *twoPerson
	}{{"SQLite", newTwoPerson}, {"PostgreSQL", newTwoPersonPG}} {
		t.Run(db.name, func(t *testing.T) { test(t, db.open(t)) })
	}
}

func testTwoPersonFailed(t *testing.T, f *twoPerson) {
	keys, err := keyring.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	f.s.Keys = keys
	r, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.clerk.ID, "renfort")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddMember(f.ctx, f.admin, f.svc.ID, f.clerk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approve(f.ctx, f.ca2, r.ID, r.ParamsHash); !navette.IsCode(err, navette.ECONFLICT) {
		t.Fatalf("approving a request whose action fails: %v, want the action's ECONFLICT", err)
	}
	got, err := f.s.Request(f.ctx, f.ca, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != navette.RequestFailed || got.Error != "This agent is a member of the service already." || got.ExecutedAt.IsZero() || got.ReviewerID != f.ca2.ID {
		t.Fatalf("after the failed execution: %+v", got)
	}
	linked, _ := f.journal(r.ID, "")
	var types []navette.EventType
	for _, e := range linked {
		types = append(types, e.Type)
	}
	if want := []navette.EventType{navette.EventRequestCreated, navette.EventRequestApproved, navette.EventRequestFailed}; !slices.Equal(types, want) {
		t.Errorf("journal of the request: %v, want %v", types, want)
	} else if last := linked[2]; last.ActorID != f.ca.ID || last.Detail != r.ID+" member.add "+navette.ECONFLICT {
		t.Errorf("request.failed event: %+v", last)
	}
	ns, err := f.meta.Notices(f.ctx, navette.NoticeFilter{UserID: f.ca.ID})
	if err != nil {
		t.Fatal(err)
	}
	var told bool
	for _, n := range ns {
		if n.Kind != navette.NoticeRequestFailed {
			continue
		}
		d, err := notify.Open(keys, n)
		if err != nil || d.Request == nil || d.Request.ID != r.ID || d.Request.Error != got.Error || d.Request.Reviewer.Email != f.ca2.Email {
			t.Errorf("request_failed notice data %+v, %v", d, err)
		}
		told = true
	}
	if !told {
		t.Error("the requester was not told the request failed")
	}
	if _, err := f.s.Approve(f.ctx, f.admin, r.ID, nil); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("approving a failed request: %v, want ECONFLICT", err)
	}
	if _, err := f.s.Reject(f.ctx, f.admin, r.ID); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("rejecting a failed request: %v, want ECONFLICT", err)
	}
	failed, err := f.s.Requests(f.ctx, f.admin, navette.RequestFailed)
	if err != nil || len(failed) != 1 || failed[0].ID != r.ID {
		t.Errorf("Requests(failed) = %v, %v", failed, err)
	}

	if err := f.s.RemoveMember(f.ctx, f.admin, f.svc.ID, f.clerk.ID); err != nil {
		t.Fatal(err)
	}
	again, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, f.clerk.ID, "renfort, à nouveau")
	if err != nil {
		t.Fatalf("a new request after a failed one: %v", err)
	}
	if done, err := f.s.Approve(f.ctx, f.ca2, again.ID, again.ParamsHash); err != nil || done.State != navette.RequestExecuted || !f.isMember(f.svc, f.clerk) {
		t.Fatalf("the new request: %+v, %v; member %v", done, err, f.isMember(f.svc, f.clerk))
	}
	for who, kind := range map[*navette.User]navette.NoticeKind{f.ca: navette.NoticeRequestApproved, f.clerk: navette.NoticeMemberAdded} {
		ns, err := f.meta.Notices(f.ctx, navette.NoticeFilter{UserID: who.ID})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for _, x := range ns {
			if x.Kind == kind {
				d, err := notify.Open(keys, x)
				if err == nil && d.Admin != nil {
					continue // the admin's addition by hand, which told the agent too
				}
				if err != nil || d.Request.ID != again.ID || d.Request.Reviewer.Email != f.ca2.Email || d.Sender.Email != f.ca.Email || d.Request.Mailbox.Email != f.svc.Email {
					t.Errorf("%s notice data %+v, %v", kind, d, err)
				}
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d notices of kind %s, want 1", who.Email, n, kind)
		}
	}
}
