package web

import (
	"context"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"navette"
	"navette/account"
)

// TestFailedRequestShown: an approved request whose action failed (the
// agent became a member meanwhile) shows among the reviewed requests as
// failed, with why (in French), and nothing to approve.
func TestFailedRequestShown(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	second, err := f.accounts.Create(ctx, account.NewUser{Email: "ca2@justice.example", Name: "Greffière en chef", Role: navette.RoleCourtAdmin, CourtID: f.courtAdmin.CourtID})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.post(t, f.courtAdmin, "/admin/services/"+f.service.ID+"/members", "email="+url.QueryEscape(f.clerk.Email)+"&reason=renfort"); w.Code != 303 {
		t.Fatalf("member request: %d", w.Code)
	}
	rs, err := f.accounts.Requests(ctx, f.admin, navette.RequestPending)
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests: %v, %v", rs, err)
	}
	if err := f.accounts.AddMember(ctx, f.admin, f.service.ID, f.clerk.ID); err != nil {
		t.Fatal(err)
	}
	if w := f.post(t, second, "/admin/requests/"+rs[0].ID+"/approve", "sha256="+hex.EncodeToString(rs[0].ParamsHash)); w.Code != 409 {
		t.Errorf("approving a request whose action fails: %d, want 409", w.Code)
	}
	body := f.get(t, second, "/admin/requests").Body.String()
	done := body[strings.Index(body, "Demandes traitées"):]
	for _, want := range []string{"exécution a échoué", "Cette personne est déjà membre de ce service.", "faites une nouvelle demande"} {
		if !strings.Contains(done, want) {
			t.Errorf("the reviewed requests lack %q:\n%s", want, done)
		}
	}
	if strings.Contains(body, "/approve") {
		t.Error("a failed request can be approved again on the page")
	}
	checkPage(t, "requests-failed", body)
	if got := failureText(navette.LangEnglish, "This agent is a member of the service already."); got != "This agent is a member of the service already." {
		t.Errorf("the failure in English: %q", got)
	}
}

// TestRequestStateRefusalsInFrench: refusing to review a request already
// decided reads in French whatever its state, failed too.
func TestRequestStateRefusalsInFrench(t *testing.T) {
	h := &Handler{}
	for _, state := range []navette.RequestState{navette.RequestApproved, navette.RequestRejected, navette.RequestExecuted, navette.RequestExpired, navette.RequestFailed} {
		for _, format := range []string{"This request was %s already: a request is reviewed and executed once.", "This request was %s already."} {
			err := navette.Errorf(navette.ECONFLICT, format, state)
			if got := h.message(navette.LangFrench, err); !strings.HasPrefix(got, "Cette demande a déjà") {
				t.Errorf("%q reads %q in French", navette.ErrorMessage(err), got)
			}
		}
	}
}
