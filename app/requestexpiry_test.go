package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
)

// TestRequestExpiresOnItsOwn: a court admin's request that nobody reviews
// expires at its time through the node's periodic sweep, with nobody
// touching it: the store says expired, the journal has request.expired,
// and the requester gets one mail saying so, in French, naming the
// action and the person; the admins who were asked to review it get only
// the mail that asked them.
func TestRequestExpiresOnItsOwn(t *testing.T) {
	f := newPolicyFixture(t, func(c *app.Config) { c.SweepInterval = 5 * time.Millisecond })
	e, ctx := f.e, context.Background()
	ca, caTok := f.user[navette.RoleCourtAdmin], f.tok[navette.RoleCourtAdmin]
	admin := f.user[navette.RoleAdmin]
	nu := newUser("lea.morel@justice.example", navette.RoleAgent)
	nu.Name, nu.CourtID = "Léa Morel", f.courtA.ID
	clerk, err := e.app.Accounts.Create(ctx, nu)
	if err != nil {
		t.Fatal(err)
	}
	var req api.Request
	e.doJSON("PUT", api.PathServices+"/"+f.svcA.ID+"/members/"+clerk.ID+"?reason=permanence", caTok, nil, http.StatusAccepted, &req)
	rs := e.app.Meta.(navette.RequestStore)
	r, err := rs.Request(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(r.ExpiresAt.Sub(e.clock.Now()))
	waitFor(t, "the request expired by the sweep", func() bool {
		r, err := rs.Request(ctx, req.ID)
		return err == nil && r.State == navette.RequestExpired
	})
	evs, err := e.app.Meta.Events(ctx, navette.EventFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == navette.EventRequestExpired && ev.Detail == req.ID+" member.add" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d request.expired events, want 1", n)
	}
	m := mailOnly(t, "the requester", e.sentTo(t, ca), navette.NoticeRequestExpired)[navette.NoticeRequestExpired]
	if m != nil {
		says(t, m, "Votre demande d’action d’administration a expiré", "n’a été examinée par aucun autre", "ajout d’une personne à une boîte de service",
			clerk.Name, "Greffe A", "permanence", e.url+"/admin/requests")
	}
	if got := e.sentTo(t, admin)[navette.NoticeRequestExpired]; len(got) != 0 {
		t.Errorf("a reviewer was told of the expiry: %d mail(s)", len(got))
	}
	if got := e.sentTo(t, clerk); len(got) != 0 {
		t.Errorf("the person the request named was mailed: %v", got)
	}
}
