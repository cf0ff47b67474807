package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"navette"
)

// TestRequestStore runs the conformance suite for navette.RequestStore:
// the admin requests of the two-person rule. open is as for TestMetaStore.
func TestRequestStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Requests", testMetaRequests},
		{"RequestInvalid", testMetaRequestInvalid},
		{"RequestUpdate", testMetaRequestUpdate},
		{"RequestSingleUse", testMetaRequestSingleUse},
		{"RequestFailed", testMetaRequestFailed},
		{"RequestsExpiredBy", testMetaRequestsExpiredBy},
	})
}

func (m *metaFixture) requestStore() navette.RequestStore {
	m.t.Helper()
	rs, ok := m.s.(navette.RequestStore)
	if !ok {
		m.t.Fatalf("%T does not implement navette.RequestStore", m.s)
	}
	return rs
}

// newRequest returns a pending request by requester to add userID to
// serviceID, not yet stored.
func (m *metaFixture) newRequest(requester *navette.User, serviceID, userID string) *navette.AdminRequest {
	m.t.Helper()
	p, h, err := navette.CanonicalParams(navette.MemberParams{ServiceID: serviceID, UserID: userID})
	if err != nil {
		m.t.Fatal(err)
	}
	now := m.now()
	return &navette.AdminRequest{ID: navette.NewID(), RequesterID: requester.ID, Action: navette.ActionAddMember,
		Params: p, ParamsHash: h, Reason: "renfort", CourtID: "court-1", CreatedAt: now,
		ExpiresAt: now.Add(navette.DefaultRequestTTL), State: navette.RequestPending}
}

// testMetaRequests: a request reads back as stored, with its event in the
// same transaction; listing is newest first and filters by state.
func testMetaRequests(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice := m.user("Alice")
	r1 := m.newRequest(alice, navette.NewID(), navette.NewID())
	ev := navette.Event{Time: r1.CreatedAt, Type: navette.EventRequestCreated, ActorID: alice.ID, Detail: r1.ID + " member.add"}
	if err := rs.CreateRequest(m.ctx, r1, ev); err != nil {
		t.Fatal(err)
	}
	got, err := rs.Request(m.ctx, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r1.ID || got.RequesterID != alice.ID || got.Action != r1.Action || !bytes.Equal(got.Params, r1.Params) ||
		!bytes.Equal(got.ParamsHash, r1.ParamsHash) || got.Reason != r1.Reason || got.CourtID != r1.CourtID ||
		!got.CreatedAt.Equal(r1.CreatedAt) || !got.ExpiresAt.Equal(r1.ExpiresAt) || got.State != navette.RequestPending ||
		got.ReviewerID != "" || !got.ReviewedAt.IsZero() || !got.ExecutedAt.IsZero() {
		t.Errorf("Request = %+v, want %+v", got, r1)
	}
	evs := m.events("")
	if len(evs) != 1 || evs[0].Type != navette.EventRequestCreated || evs[0].Detail != ev.Detail {
		t.Errorf("events = %+v", evs)
	}
	if err := rs.CreateRequest(m.ctx, r1); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("CreateRequest of a known id = %v, want ECONFLICT", err)
	}
	if _, err := rs.Request(m.ctx, navette.NewID()); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Request(unknown) = %v, want ENOTFOUND", err)
	}
	r2 := m.newRequest(alice, navette.NewID(), navette.NewID())
	r2.State = navette.RequestRejected
	if err := rs.CreateRequest(m.ctx, r2); err != nil {
		t.Fatal(err)
	}
	all, err := rs.Requests(m.ctx, navette.RequestFilter{})
	if err != nil || len(all) != 2 || all[0].ID != r2.ID || all[1].ID != r1.ID {
		t.Errorf("Requests = %v, %v; want r2, r1", all, err)
	}
	pending, err := rs.Requests(m.ctx, navette.RequestFilter{State: navette.RequestPending})
	if err != nil || len(pending) != 1 || pending[0].ID != r1.ID {
		t.Errorf("Requests(pending) = %v, %v; want r1", pending, err)
	}
	one, err := rs.Requests(m.ctx, navette.RequestFilter{Limit: 1})
	if err != nil || len(one) != 1 {
		t.Errorf("Requests(limit 1) = %v, %v", one, err)
	}
}

// testMetaRequestsExpiredBy: a filter's ExpiredBy keeps the requests
// whose expiry is at or before it, with its state and action if they are
// given: what an expiry sweep asks for.
func testMetaRequestsExpiredBy(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice := m.user("Alice")
	due, later, done := m.newRequest(alice, navette.NewID(), navette.NewID()), m.newRequest(alice, navette.NewID(), navette.NewID()), m.newRequest(alice, navette.NewID(), navette.NewID())
	at := due.ExpiresAt
	later.ExpiresAt = at.Add(time.Second)
	done.State, done.ExpiresAt = navette.RequestRejected, at
	for _, r := range []*navette.AdminRequest{due, later, done} {
		if err := rs.CreateRequest(m.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rs.Requests(m.ctx, navette.RequestFilter{State: navette.RequestPending, ExpiredBy: at})
	if err != nil || len(got) != 1 || got[0].ID != due.ID {
		t.Errorf("Requests(pending, expired by its expiry) = %v, %v; want the one due", got, err)
	}
	if got, err := rs.Requests(m.ctx, navette.RequestFilter{ExpiredBy: at}); err != nil || len(got) != 2 {
		t.Errorf("Requests(expired by, any state) = %v, %v; want 2", got, err)
	}
	if got, err := rs.Requests(m.ctx, navette.RequestFilter{State: navette.RequestPending, ExpiredBy: at.Add(-time.Second)}); err != nil || len(got) != 0 {
		t.Errorf("Requests(pending, expired before any) = %v, %v; want none", got, err)
	}
	dir := m.newRequest(alice, navette.NewID(), navette.NewID())
	dir.Action, dir.ExpiresAt = navette.ActionForceDirectory, at
	if err := rs.CreateRequest(m.ctx, dir); err != nil {
		t.Fatal(err)
	}
	got, err = rs.Requests(m.ctx, navette.RequestFilter{State: navette.RequestPending, Action: navette.ActionForceDirectory, ExpiredBy: at})
	if err != nil || len(got) != 1 || got[0].ID != dir.ID {
		t.Errorf("Requests(pending, directory, expired by its expiry) = %v, %v; want the directory request alone", got, err)
	}
}

// testMetaRequestInvalid: storage refuses requests it cannot keep, and
// requests of unknown users.
func testMetaRequestInvalid(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice := m.user("Alice")
	tests := []struct {
		name string
		mod  func(r *navette.AdminRequest)
		code string
	}{
		{"no action", func(r *navette.AdminRequest) { r.Action = "" }, navette.EINVALID},
		{"unknown action", func(r *navette.AdminRequest) { r.Action = "key.export" }, navette.EINVALID},
		{"no params", func(r *navette.AdminRequest) { r.Params = nil }, navette.EINVALID},
		{"no hash", func(r *navette.AdminRequest) { r.ParamsHash = nil }, navette.EINVALID},
		{"no expiry", func(r *navette.AdminRequest) { r.ExpiresAt = time.Time{} }, navette.EINVALID},
		{"bad state", func(r *navette.AdminRequest) { r.State = "done" }, navette.EINVALID},
		{"unknown requester", func(r *navette.AdminRequest) { r.RequesterID = navette.NewID() }, navette.ENOTFOUND},
	}
	for _, tt := range tests {
		r := m.newRequest(alice, navette.NewID(), navette.NewID())
		tt.mod(r)
		if err := rs.CreateRequest(m.ctx, r); !navette.IsCode(err, tt.code) {
			t.Errorf("%s: CreateRequest = %v, want %s", tt.name, err, tt.code)
		}
	}
	if all, err := rs.Requests(m.ctx, navette.RequestFilter{}); err != nil || len(all) != 0 {
		t.Errorf("after refusals, Requests = %v, %v", all, err)
	}
}

// testMetaRequestUpdate: UpdateRequest writes state, reviewer and times
// with its events, and nothing when fn fails; the parameters, their hash
// and the requester never change.
func testMetaRequestUpdate(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	r := m.newRequest(alice, navette.NewID(), navette.NewID())
	if err := rs.CreateRequest(m.ctx, r); err != nil {
		t.Fatal(err)
	}
	err := rs.UpdateRequest(m.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		x.State = navette.RequestRejected
		return nil, navette.Errorf(navette.ECONFLICT, "no")
	})
	if !navette.IsCode(err, navette.ECONFLICT) {
		t.Fatalf("UpdateRequest with a failing fn = %v", err)
	}
	if got, _ := rs.Request(m.ctx, r.ID); got.State != navette.RequestPending {
		t.Errorf("a failed update wrote state %s", got.State)
	}
	at := m.now()
	err = rs.UpdateRequest(m.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		x.State, x.ReviewerID, x.ReviewedAt, x.ExecutedAt = navette.RequestExecuted, bob.ID, at, at
		x.Params, x.ParamsHash, x.RequesterID = []byte(`{}`), []byte("x"), bob.ID
		return []navette.Event{{Time: at, Type: navette.EventRequestApproved, ActorID: bob.ID, Detail: x.ID}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := rs.Request(m.ctx, r.ID)
	if got.State != navette.RequestExecuted || got.ReviewerID != bob.ID || !got.ReviewedAt.Equal(at) || !got.ExecutedAt.Equal(at) {
		t.Errorf("after update: %+v", got)
	}
	if !bytes.Equal(got.Params, r.Params) || !bytes.Equal(got.ParamsHash, r.ParamsHash) || got.RequesterID != alice.ID {
		t.Errorf("UpdateRequest changed the parameters or requester: %+v", got)
	}
	if evs := m.events(""); len(evs) != 1 || evs[0].Type != navette.EventRequestApproved {
		t.Errorf("events = %+v", evs)
	}
	err = rs.UpdateRequest(m.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		x.State = "done"
		return nil, nil
	})
	if !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("UpdateRequest to an unknown state = %v, want EINVALID", err)
	}
	if err := rs.UpdateRequest(m.ctx, navette.NewID(), func(*navette.AdminRequest) ([]navette.Event, error) { return nil, nil }); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("UpdateRequest(unknown) = %v, want ENOTFOUND", err)
	}
}

// testMetaRequestSingleUse: of concurrent updates that each move a
// pending request on only if it is still pending, exactly one does.
func testMetaRequestSingleUse(t *testing.T, m *metaFixture) {
	rs := m.requestStore()
	alice := m.user("Alice")
	r := m.newRequest(alice, navette.NewID(), navette.NewID())
	if err := rs.CreateRequest(m.ctx, r); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range n {
		wg.Go(func() {
			err := rs.UpdateRequest(m.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
				if x.State != navette.RequestPending {
					return nil, navette.Errorf(navette.ECONFLICT, "reviewed already")
				}
				x.State = navette.RequestApproved
				return nil, nil
			})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !navette.IsCode(err, navette.ECONFLICT) && !navette.IsCode(err, navette.EUNAVAILABLE) {
				t.Errorf("UpdateRequest = %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent approvals succeeded, want 1", wins)
	}
}
