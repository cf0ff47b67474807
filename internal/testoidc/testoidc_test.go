package testoidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"navette/internal/testoidc"
)

const redirectURL = "http://127.0.0.1:8080/callback"

var users = []testoidc.User{{Subject: "s1", Username: "alice", Password: "pw", Email: "alice@example.org", EmailVerified: true}}

// authURL returns an authorization request of op's client, with PKCE S256
// unless pkce is false.
func authURL(op *testoidc.Provider, pkce bool) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {op.ClientID},
		"redirect_uri":  {op.RedirectURL},
		"scope":         {"openid email"},
		"state":         {"st"},
		"nonce":         {"no"},
	}
	if pkce {
		q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
		q.Set("code_challenge_method", "S256")
	}
	return op.Issuer + "/authorize?" + q.Encode()
}

func TestProvider(t *testing.T) {
	start := time.Now()
	if _, err := testoidc.Binary(); err != nil {
		t.Fatal(err)
	}
	t.Logf("binary ready in %v", time.Since(start))
	start = time.Now()
	op := testoidc.Start(t, users, redirectURL)
	t.Logf("provider started in %v", time.Since(start))

	resp, err := http.Get(op.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer     string   `json:"issuer"`
		JWKS       string   `json:"jwks_uri"`
		Token      string   `json:"token_endpoint"`
		Challenges []string `json:"code_challenge_methods_supported"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != op.Issuer || doc.JWKS == "" || doc.Token == "" ||
		strings.Join(doc.Challenges, ",") != "S256" || strings.Join(doc.Algs, ",") != "RS256" {
		t.Errorf("discovery %+v", doc)
	}

	cb := op.Login(t, nil, authURL(op, true), "alice", "pw")
	if q := cb.Query(); q.Get("code") == "" || q.Get("state") != "st" || !strings.HasPrefix(cb.String(), redirectURL+"?") {
		t.Errorf("callback %s", cb)
	}

	if _, err := op.TryLogin(nil, authURL(op, true), "alice", "wrong"); err == nil || !strings.Contains(err.Error(), "Wrong username or password") {
		t.Errorf("wrong password: %v", err)
	}

	cb, err = op.TryLogin(nil, authURL(op, false), "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if q := cb.Query(); q.Get("error") != "invalid_request" || q.Get("code") != "" {
		t.Errorf("without PKCE: callback %s", cb)
	}

	op.Stop()
	if _, err := http.Get(op.Issuer + "/.well-known/openid-configuration"); err == nil {
		t.Error("the provider answers after Stop")
	}
}
