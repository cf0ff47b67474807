package storetest

import (
	"testing"

	"navette"
)

// testMetaRequestFailed: an approved request whose action failed keeps
// the state failed, its error and the time of the attempt, and is listed
// by that state.
func testMetaRequestFailed(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	r := m.newRequest(alice, navette.NewID(), navette.NewID())
	r.State, r.ReviewerID, r.ReviewedAt = navette.RequestApproved, bob.ID, m.now()
	if err := rs.CreateRequest(m.ctx, r); err != nil {
		t.Fatal(err)
	}
	at := m.now()
	const msg = "This agent is a member of the service already."
	err := rs.UpdateRequest(m.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		x.State, x.ExecutedAt, x.Error = navette.RequestFailed, at, msg
		return []navette.Event{{Time: at, Type: navette.EventRequestFailed, ActorID: alice.ID, Detail: x.ID + " member.add " + navette.ECONFLICT}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rs.Request(m.ctx, r.ID)
	if err != nil || got.State != navette.RequestFailed || got.Error != msg || !got.ExecutedAt.Equal(at) || got.ReviewerID != bob.ID {
		t.Fatalf("failed request reads back as %+v, %v", got, err)
	}
	list, err := rs.Requests(m.ctx, navette.RequestFilter{State: navette.RequestFailed})
	if err != nil || len(list) != 1 || list[0].ID != r.ID || list[0].Error != msg {
		t.Fatalf("Requests(failed) = %v, %v", list, err)
	}
	if evs := m.events(""); evs[len(evs)-1].Type != navette.EventRequestFailed {
		t.Errorf("last event %s, want request.failed", evs[len(evs)-1].Type)
	}
	other := m.newRequest(alice, navette.NewID(), navette.NewID())
	other.Error = "set at creation"
	if err := rs.CreateRequest(m.ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, _ := rs.Request(m.ctx, other.ID); got.Error != "set at creation" {
		t.Errorf("Error at creation reads back as %q", got.Error)
	}
}
