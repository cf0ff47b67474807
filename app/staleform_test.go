package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"navette/api"
	"navette/auth"
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
	post := func(path, origin, contentType, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest("POST", e.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		req.Header.Set("Origin", origin)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(out)
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, path, origin, body string
	}{
		{"a form of the session before", "/deposits/x/discard", e.url, url.Values{"csrf": {"stale-token"}}.Encode()},
		{"a form from another origin", "/deposits/x/discard", "https://elsewhere.example", url.Values{"csrf": {b.csrf}}.Encode()},
	} {
		resp, page := post(tc.path, tc.origin, form, tc.body)
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "Formulaire expiré") || !strings.Contains(page, "rechargez-la") || strings.Contains(page, "votre rôle") {
			t.Errorf("%s: got %d %s, want 403 and the page saying to reload:\n%.2000s", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), page)
		}
	}
	resp, body := post(api.PathDeposits, e.url, "application/json", `{}`)
	var p api.Problem
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != api.ProblemContentType || json.Unmarshal([]byte(body), &p) != nil || p.Code != "forbidden" {
		t.Errorf("the API with a stale token: got %d %s %s, want 403 and a problem document", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
