package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"navette/api"
)

// TestStaleFormPage: a page's form posted with a CSRF token that is not
// the session's (the form of the session before, left open in a tab while
// the person signed in again in another), or from another origin, is
// refused, and a browser gets the web's page saying to reload it, in the
// page's language, not a problem document, nor "your role does not allow
// this". The API keeps answering a problem document.
func TestStaleFormPage(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	stale, foreign := *b, *b
	stale.csrf = "stale-token"
	foreign.origin = "https://elsewhere.example"
	for _, tc := range []struct {
		name string
		b    *browser
	}{
		{"a form of the session before", &stale},
		{"a form from another origin", &foreign},
	} {
		resp, page := tc.b.formBody(t, "/deposits/x/discard", url.Values{})
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "Formulaire expiré") || !strings.Contains(page, "rechargez-la") || strings.Contains(page, "votre rôle") {
			t.Errorf("%s: got %d %s, want 403 and the page saying to reload:\n%.2000s", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), page)
		}
	}
	resp, body := stale.do(t, "POST", api.PathDeposits, map[string]any{})
	var p api.Problem
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != api.ProblemContentType || json.Unmarshal(body, &p) != nil || p.Code != "forbidden" {
		t.Errorf("the API with a stale token: got %d %s %s, want 403 and a problem document", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
