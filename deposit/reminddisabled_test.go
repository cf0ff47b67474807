package deposit_test

import (
	"context"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestNoReminderToRevokedRecipient: a lawyer struck off the directory while
// a deposit waits for them is not reminded of it, nor told of its extension
// or withdrawal: they cannot sign in, and each notice would only become a
// dead letter for the admins to look at ("The addressee is disabled.").
func TestNoReminderToRevokedRecipient(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.RemindBefore = 3 * 24 * time.Hour
	d, _ := f.available(t, deposit.Draft{Reference: "RG 26/9", RetentionDays: 7})
	if err := f.meta.UpdateUser(ctx, f.recipient.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled, u.RevokedAt = true, f.svc.Clock.Now()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	f.svc.Clock.(*navette.FakeClock).Advance(4*24*time.Hour + time.Second)
	if _, err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Extend(ctx, f.sender, d.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeWithReason(ctx, f.sender, d.ID, "Pièce jointe par erreur"); err != nil {
		t.Fatal(err)
	}
	ns, _ := f.notices(t, d.ID)
	for _, n := range ns {
		if n.Kind != navette.NoticeDeposit {
			t.Errorf("a %s notice was queued for a recipient whose access is revoked", n.Kind)
		}
	}
	evs, err := f.meta.Events(ctx, navette.EventFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == navette.EventDepositReminded {
			t.Errorf("journal says %s %q though nobody could be reminded", e.Type, e.Detail)
		}
	}
}
