package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"navette"
	"navette/account"
)

// approveAll approves, as reviewer on the page of pending requests, every
// pending request reviewer may review.
func (f *adminFixture) approveAll(t *testing.T, reviewer *navette.User) {
	t.Helper()
	rs, err := f.accounts.Requests(context.Background(), reviewer, navette.RequestPending)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.accounts.Views(context.Background(), reviewer, rs) {
		if !v.Reviewable {
			continue
		}
		w := f.post(t, reviewer, "/admin/requests/"+v.ID+"/approve", "sha256="+hex.EncodeToString(v.ParamsHash))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("approve %s: %d %s", v.ID, w.Code, w.Body.String())
		}
	}
}

// TestPendingRequestsPage walks the page of pending requests without a
// browser: a court admin's request to add themself to their mailbox shows
// to the other admins with its parameters' hash; the requester cannot
// approve it, another court admin of the court can, with a fresh step-up;
// changed parameters and a second approval are refused.
func TestPendingRequestsPage(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	second, err := f.accounts.Create(ctx, account.NewUser{Email: "ca2@justice.example", Name: "Greffière en chef", Role: navette.RoleCourtAdmin, CourtID: f.courtAdmin.CourtID})
	if err != nil {
		t.Fatal(err)
	}
	svc := "/admin/services/" + f.service.ID
	if w := f.post(t, f.courtAdmin, svc+"/members", "email="+url.QueryEscape(f.courtAdmin.Email)+"&reason=permanence"); w.Code != http.StatusSeeOther {
		t.Fatalf("self-add: %d", w.Code)
	}
	rs, err := f.accounts.Requests(ctx, f.admin, navette.RequestPending)
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests: %v, %v", rs, err)
	}
	r := rs[0]
	hash := hex.EncodeToString(r.ParamsHash)

	mine := f.get(t, f.courtAdmin, "/admin/requests")
	body := mine.Body.String()
	if mine.Code != 200 || !strings.Contains(body, "Demandes en attente") || !strings.Contains(body, hash) || !strings.Contains(body, "permanence") ||
		strings.Contains(body, "/approve") || !strings.Contains(body, "Retirer ma demande") {
		t.Fatalf("the requester's page: %d\n%s", mine.Code, body)
	}
	checkPage(t, "requests", body)
	if w := f.post(t, f.courtAdmin, "/admin/requests/"+r.ID+"/approve", "sha256="+hash); w.Code != http.StatusForbidden ||
		!strings.Contains(w.Body.String(), "propre demande") {
		t.Errorf("the requester approving: %d", w.Code)
	}
	page := f.get(t, second, "/admin/requests")
	body = page.Body.String()
	if !strings.Contains(body, `action="/admin/requests/`+r.ID+`/approve"`) || !strings.Contains(body, f.courtAdmin.Email) {
		t.Fatalf("the reviewer's page has no approval form:\n%s", body)
	}
	if w := f.get(t, f.clerk, "/admin/requests"); w.Code != http.StatusForbidden {
		t.Errorf("an agent on the page: %d", w.Code)
	}
	if w := f.post(t, f.clerk, "/admin/requests/"+r.ID+"/approve", "sha256="+hash); w.Code != http.StatusForbidden {
		t.Errorf("an agent approving: %d", w.Code)
	}

	// (A stale session is asked for a step-up first: TestStalePagesAskForStepUp.)
	if w := f.post(t, second, "/admin/requests/"+r.ID+"/approve", "sha256="+hash); w.Code != http.StatusSeeOther {
		t.Fatalf("approval by another court admin: %d %s", w.Code, w.Body.String())
	}
	in, err := f.meta.Members(ctx, f.service.ID)
	if err != nil || len(in) != 1 || in[0].UserID != f.courtAdmin.ID {
		t.Fatalf("members after approval: %v, %v", in, err)
	}
	done := f.get(t, second, "/admin/requests?done=approved")
	if !strings.Contains(done.Body.String(), "approuvée et exécutée") {
		t.Error("the page does not show the request executed")
	}
	if w := f.post(t, second, "/admin/requests/"+r.ID+"/approve", "sha256="+hash); w.Code != http.StatusConflict {
		t.Errorf("a second approval: %d, want 409", w.Code)
	}
	if w := f.post(t, second, "/admin/requests/"+navette.NewID()+"/approve", ""); w.Code != http.StatusNotFound {
		t.Errorf("an unknown request: %d, want 404", w.Code)
	}
}

// TestTwoPersonOffWarns: with --approvals=1 the admin pages say the rule
// is off, and adding a member acts at once.
func TestTwoPersonOffWarns(t *testing.T) {
	f := newAdminFixture(t)
	f.accounts.Approvals = 1
	for _, path := range []string{"/admin", "/admin/requests"} {
		w := f.get(t, f.admin, path)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "la règle des deux personnes est désactivée") {
			t.Errorf("%s: %d, no warning", path, w.Code)
		}
		checkPage(t, path, w.Body.String())
	}
	if g := newAdminFixture(t); strings.Contains(g.get(t, g.admin, "/admin").Body.String(), "désactivée") {
		t.Error("the warning shows with the rule on")
	}
	w := f.post(t, f.courtAdmin, "/admin/services/"+f.service.ID+"/members", "email="+url.QueryEscape(f.clerk.Email))
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?done=added") {
		t.Errorf("add with the rule off: %d %s", w.Code, w.Header().Get("Location"))
	}
}
