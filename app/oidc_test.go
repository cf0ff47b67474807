package app_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/internal/testoidc"
	"navette/oidc"
)

// TestOIDCSignIn signs agents in through a real OpenID Connect provider:
// discovery, the authorization endpoint and its login form, the code
// exchange with PKCE, the ID token checked against JWKS with its nonce.
func TestOIDCSignIn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	idp := testoidc.Start(t, []testoidc.User{
		{Subject: "a1", Username: "greffe", Password: "Mot-de-passe-1", Email: agentEmail, EmailVerified: true, GivenName: "Claire", FamilyName: "Martin"},
		{Subject: "a2", Username: "avocat", Password: "Mot-de-passe-2", Email: lawyerEmail, EmailVerified: true},
		{Subject: "a3", Username: "inconnu", Password: "Mot-de-passe-3", Email: "inconnu@justice.example", EmailVerified: true},
		// Another account of the provider with the agent's address, as after
		// the address was given to someone else there.
		{Subject: "a4", Username: "homonyme", Password: "Mot-de-passe-4", Email: agentEmail, EmailVerified: true},
	}, "http://"+addr+api.PathAuthOIDCReturn)
	e := newEnv(t, func(c *app.Config) {
		c.Addr = addr
		c.OIDC = oidc.Config{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret}
	})

	var lastBody []byte
	signIn := func(username, password string, tamper bool) (*http.Response, *browser) {
		t.Helper()
		resp, err := e.noRedirect.Get(e.url + api.PathAuthOIDC)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		var flow *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == auth.FlowCookieName {
				flow = c
			}
		}
		if flow == nil || !flow.Secure || !flow.HttpOnly {
			t.Fatalf("flow cookie: %+v", flow)
		}
		jar, _ := cookiejar.New(nil)
		cb := idp.Login(t, &http.Client{Jar: jar}, resp.Header.Get("Location"), username, password)
		if tamper {
			q := cb.Query()
			q.Set("state", "forged")
			cb.RawQuery = q.Encode()
		}
		req, _ := http.NewRequest("GET", cb.String(), nil)
		req.AddCookie(flow)
		back, err := e.noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		lastBody, _ = io.ReadAll(back.Body)
		back.Body.Close()
		b := e.browser()
		for _, c := range back.Cookies() {
			if c.Name == auth.CookieName && c.MaxAge >= 0 {
				b.cookie = c.Value
			}
		}
		return back, b
	}

	resp, b := signIn("greffe", "Mot-de-passe-1", false)
	if resp.StatusCode != http.StatusSeeOther || b.cookie == "" {
		t.Fatalf("callback: %d, cookie %q", resp.StatusCode, b.cookie)
	}
	r, body := b.do(t, "GET", api.PathMe, nil)
	if r.StatusCode != 200 {
		t.Fatalf("me: %d %s", r.StatusCode, body)
	}
	evs, _ := e.app.Meta.Events(t.Context(), navette.EventFilter{Limit: 1000})
	// The provider reports its authentication context class (acr
	// "eidas2"): the session's method keeps it.
	if last := evs[len(evs)-1]; last.Type != navette.EventSignIn || last.Detail != "oidc:eidas2" {
		t.Errorf("last event: %+v", last)
	}

	// Whoever the provider vouches for, a refusal is the same problem, byte
	// for byte.
	var refusal string
	for _, tt := range []struct {
		name, user, pass string
		tamper           bool
	}{
		{"partner", "avocat", "Mot-de-passe-2", false},
		{"not in the directory", "inconnu", "Mot-de-passe-3", false},
		{"forged state", "greffe", "Mot-de-passe-1", true},
		{"another account with the same address", "homonyme", "Mot-de-passe-4", false},
	} {
		resp, b := signIn(tt.user, tt.pass, tt.tamper)
		if resp.StatusCode != http.StatusUnauthorized || b.cookie != "" {
			t.Errorf("%q: got %d, cookie %q, want 401 and none", tt.name, resp.StatusCode, b.cookie)
		}
		if tt.tamper {
			continue // not about who signs in
		}
		if refusal == "" {
			refusal = string(lastBody)
		} else if string(lastBody) != refusal {
			t.Errorf("%q: refused with %s, another refusal was %s", tt.name, lastBody, refusal)
		}
	}
	agent, err := e.app.Meta.UserByEmail(t.Context(), agentEmail)
	if err != nil || agent.OIDCSubject != "a1" {
		t.Fatalf("the agent's bound subject: %+v, %v", agent, err)
	}

	// Once an admin unbinds it, the next account through the provider is
	// bound, and the first one is refused in turn.
	if err := e.app.Auth.ResetOIDCSubject(t.Context(), nil, agent.ID); err != nil {
		t.Fatal(err)
	}
	if resp, b := signIn("homonyme", "Mot-de-passe-4", false); resp.StatusCode != http.StatusSeeOther || b.cookie == "" {
		t.Errorf("after the reset: %d", resp.StatusCode)
	}
	if resp, _ := signIn("greffe", "Mot-de-passe-1", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the first account after the rebinding: %d, want 401", resp.StatusCode)
	}
}
