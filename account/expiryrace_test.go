package account_test

import (
	"sync"
	"testing"
	"time"

	"navette"
	"navette/account"
)

// TestApprovalRacesExpiry: a node whose clock is a moment before a
// request's expiry approves it while another, at its expiry, sweeps: one
// of them wins, on SQLite and on PostgreSQL. Either the request ran and
// nothing says it expired, or it expired and nothing ran: never an expired
// request executed, nor one approved and expired both. An attack that held,
// kept as a regression.
func TestApprovalRacesExpiry(t *testing.T) { onBothStores(t, testApprovalRacesExpiry) }

func testApprovalRacesExpiry(t *testing.T, f *twoPerson) {
	f.withKeys()
	for i := range 4 {
		r := f.ask(f.clerk, "renfort")
		f.clock.Advance(navette.DefaultRequestTTL - time.Nanosecond)
		late := navette.NewFakeClock(f.clock.Now().Add(time.Nanosecond))
		sweeper := &account.Service{Meta: f.meta, Clock: late, Keys: f.s.Keys}
		var wg sync.WaitGroup
		var approveErr, sweepErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, approveErr = f.s.Approve(f.ctx, f.ca2, r.ID, r.ParamsHash) }()
		go func() { defer wg.Done(); _, sweepErr = sweeper.ExpireRequests(f.ctx) }()
		wg.Wait()
		if sweepErr != nil {
			t.Fatal(sweepErr)
		}
		got, err := f.s.Request(f.ctx, f.ca, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		linked, _ := f.journal(r.ID, "")
		var expired, approved int
		for _, e := range linked {
			switch e.Type {
			case navette.EventRequestExpired:
				expired++
			case navette.EventRequestApproved:
				approved++
			}
		}
		member := f.isMember(f.svc, f.clerk)
		switch {
		case approveErr == nil && (got.State != navette.RequestExecuted || expired != 0 || !member):
			t.Errorf("round %d: approved, then %s, %d expiry events, member %v", i, got.State, expired, member)
		case approveErr != nil && (got.State != navette.RequestExpired || approved != 0 || member || expired != 1):
			t.Errorf("round %d: approval refused (%v), then %s, %d approvals, %d expiries, member %v", i, approveErr, got.State, approved, expired, member)
		}
		if member {
			op := &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}
			if err := f.s.RemoveMember(f.ctx, op, f.svc.ID, f.clerk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
