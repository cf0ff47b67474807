package deposit_test

import (
	"context"
	"testing"

	"navette"
	"navette/deposit"
	"navette/sqlite"
)

// TestForwardsListed: a clerk forwards, in person, a deposit that came to
// their mailbox; their colleague of the mailbox and the deposit's sender
// see the forward on the original (who, to whom, when, its state) without
// being given the forward itself; a lawyer who received the original
// alongside the mailbox sees nothing of it.
func TestForwardsListed(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d1 := c.sendData(t, c.lawyer, "RG 24/00042", 7, []byte("pv"), c.service)
	fw, err := c.svc.Forward(ctx, c.colleague, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, Message: "Pour attribution"})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []*navette.User{c.clerk, c.lawyer, c.colleague} {
		got, err := forwardsOf(ctx, c, who, d1.ID)
		if err != nil {
			t.Fatalf("%s: Get: %v", who.Email, err)
		}
		if len(got) != 1 || got[0].ID != fw.ID || got[0].Forwarder.ID != c.colleague.ID || len(got[0].Recipients) != 1 ||
			got[0].Recipients[0].Email != c.stranger.Email || !got[0].At.Equal(fw.CreatedAt) || got[0].State != navette.DepositAvailable {
			t.Fatalf("%s: Forwards = %+v; want the colleague's forward to the stranger", who.Email, got)
		}
		if got[0].Open != (who == c.colleague) {
			t.Errorf("%s: Open = %v", who.Email, got[0].Open)
		}
	}
	for _, who := range []*navette.User{c.clerk, c.lawyer} {
		if _, err := c.svc.Get(ctx, who, fw.ID); !navette.IsCode(err, navette.ENOTFOUND) {
			t.Errorf("%s opens the forward itself: %v, want ENOTFOUND", who.Email, err)
		}
	}
	if _, err := forwardsOf(ctx, c, c.stranger, d1.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("someone who cannot see the original: %v, want ENOTFOUND", err)
	}

	d2 := c.sendData(t, c.clerk, "RG 24/00043", 7, []byte("pv"), c.lawyer, c.service)
	if _, err := c.svc.Forward(ctx, c.colleague, d2.ID, deposit.Onward{Recipients: []string{c.stranger.Email}}); err != nil {
		t.Fatal(err)
	}
	if got, err := forwardsOf(ctx, c, c.lawyer, d2.ID); err != nil || len(got) != 0 {
		t.Errorf("a lawyer who received the original: Forwards = %+v, %v; want none", got, err)
	}
	if got, err := forwardsOf(ctx, c, c.clerk, d2.ID); err != nil || len(got) != 1 {
		t.Errorf("the original's sender: Forwards = %+v, %v; want one", got, err)
	}
	if err := c.svc.Revoke(ctx, c.colleague, fwOf(t, c, d2.ID)); err != nil {
		t.Fatal(err)
	}
	if got, err := forwardsOf(ctx, c, c.clerk, d2.ID); err != nil || len(got) != 1 || got[0].State != navette.DepositRevoked {
		t.Errorf("once the forward is withdrawn: Forwards = %+v, %v; want it revoked", got, err)
	}
}

// fwOf returns the id of the only forward of deposit id, as its sender
// sees it.
func fwOf(t *testing.T, c *caseFixture, id string) string {
	t.Helper()
	got, err := forwardsOf(context.Background(), c, c.clerk, id)
	if err != nil || len(got) != 1 {
		t.Fatalf("Forwards = %+v, %v", got, err)
	}
	return got[0].ID
}

// forwardsOf returns the forwards of deposit id as who sees them on its
// view.
func forwardsOf(ctx context.Context, c *caseFixture, who *navette.User, id string) ([]deposit.ForwardView, error) {
	v, err := c.svc.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return v.Forwards, nil
}

// failingForwards is a store whose list of forwards fails: a fault the
// real store cannot be made to produce on demand.
type failingForwards struct{ *sqlite.Store }

func (failingForwards) DepositForwards(context.Context, string) ([]navette.ForwardRecord, error) {
	return nil, navette.Errorf(navette.EINTERNAL, "the forwards cannot be read")
}

// TestGetFailsWithoutForwards: the view of a deposit is one read, so when
// its forwards cannot be listed Get fails for those who would see them (the
// API and the web page answer the same error) rather than showing the
// deposit as if it had none. A draft, which cannot have been forwarded,
// is shown without asking.
func TestGetFailsWithoutForwards(t *testing.T) {
	fx := newFixture(t)
	fc := sentToAgent(t, fx)
	fc.forward(t, fx)
	ctx := context.Background()
	fx.svc.Meta = failingForwards{fx.meta}
	for _, who := range []*navette.User{fx.sender, fc.agent} {
		if _, err := fx.svc.Get(ctx, who, fc.id); !navette.IsCode(err, navette.EINTERNAL) {
			t.Errorf("%s: Get = %v, want the forwards' failure", who.Email, err)
		}
	}
	d := fx.draft(t)
	if _, err := fx.svc.Get(ctx, fx.sender, d.ID); err != nil {
		t.Errorf("a draft, never forwarded: Get = %v", err)
	}
}
