package deposit_test

import (
	"context"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// revoke withdraws u's access, as a directory sync striking them off does.
func revoke(t *testing.T, meta navette.MetaStore, u *navette.User, now time.Time) {
	t.Helper()
	if err := meta.UpdateUser(context.Background(), u.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled, u.RevokedAt = true, now
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestNoReceiptOrReportToRevokedSender: a sender who lost their access
// after sending (struck off the directory) gets no receipt when a
// recipient downloads, nor an expiry report: the worker refuses to mail
// them, and each notice would only become a dead letter for the admins.
// The download and the expiry are journaled as before.
func TestNoReceiptOrReportToRevokedSender(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fetched, file := f.available(t, deposit.Draft{Reference: "RG 26/1", RetentionDays: 7})
	unfetched, _ := f.available(t, deposit.Draft{Reference: "RG 26/2", RetentionDays: 7})
	revoke(t, f.meta, f.sender, f.svc.Clock.Now())
	f.download(t, fetched.ID, file.ID)
	f.svc.Clock.(*navette.FakeClock).Advance(7*24*time.Hour + time.Second)
	if st, err := f.svc.Sweep(ctx); err != nil || st.Expired != 2 {
		t.Fatalf("sweep at expiry: %+v, %v", st, err)
	}
	for _, id := range []string{fetched.ID, unfetched.ID} {
		ns, _ := f.notices(t, id)
		for _, n := range ns {
			if n.Kind != navette.NoticeDeposit {
				t.Errorf("a %s notice was queued for a sender whose access is revoked", n.Kind)
			}
		}
		evs, err := f.meta.Events(ctx, navette.EventFilter{DepositID: id})
		if err != nil {
			t.Fatal(err)
		}
		if !hasEvent(evs, navette.EventDepositExpired) {
			t.Errorf("deposit %s: no %s event", id, navette.EventDepositExpired)
		}
	}
}

// TestNoForwardedNoticeToRevokedSender: the sender of a deposit forwarded
// after they lost their access is not told of the forward; the forward is
// journaled on the original as before.
func TestNoForwardedNoticeToRevokedSender(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d := c.sendData(t, c.lawyer, "RG 24/00042", 7, randomData(1<<10), c.service)
	revoke(t, c.meta, c.lawyer, c.svc.Clock.Now())
	if _, err := c.svc.Forward(ctx, c.colleague, d.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, RetentionDays: 5}); err != nil {
		t.Fatalf("Forward: %v", err)
	}
	ns, _ := c.notices(t, d.ID)
	for _, n := range ns {
		if n.Kind == navette.NoticeForwarded {
			t.Errorf("a %s notice was queued for a sender whose access is revoked", n.Kind)
		}
	}
	evs, err := c.meta.Events(ctx, navette.EventFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !hasEvent(evs, navette.EventDepositForwarded) {
		t.Errorf("no %s event on the original", navette.EventDepositForwarded)
	}
}

// hasEvent reports whether evs hold one of type typ.
func hasEvent(evs []navette.Event, typ navette.EventType) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}
