package oidc_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/internal/testoidc"
	"navette/oidc"
)

const redirectURL = "http://127.0.0.1:8080/auth/oidc/callback"

var users = []testoidc.User{
	{
		Subject: "sub-alice", Username: "alice", Password: "alice-pw",
		Email: " Alice.Martin@Justice.Example ", EmailVerified: true,
		GivenName: "Alice", FamilyName: "Martin", Groups: []string{"greffe", "tj-amiens"},
	},
	{
		Subject: "sub-bob", Username: "bob", Password: "bob-pw",
		Email: "bob@partner.example", EmailVerified: false,
		GivenName: "Bob", FamilyName: "Durand",
	},
}

var scopes = []string{"openid", "email", "profile", "groups"}

// config returns navette's configuration for op's client.
func config(op *testoidc.Provider) oidc.Config {
	return oidc.Config{
		Issuer:       op.Issuer,
		ClientID:     op.ClientID,
		ClientSecret: op.ClientSecret,
		RedirectURL:  op.RedirectURL,
		Scopes:       scopes,
	}
}

func newRP(t *testing.T, cfg oidc.Config, client *http.Client) *oidc.Provider {
	t.Helper()
	rp, err := oidc.New(t.Context(), cfg, client)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rp
}

// signIn runs the browser's part of a sign-in as username and returns the
// flow and the code of the callback, after checking its state.
func signIn(t *testing.T, op *testoidc.Provider, rp *oidc.Provider, username, password string) (oidc.Flow, string) {
	t.Helper()
	flow := oidc.NewFlow()
	cb := op.Login(t, nil, rp.AuthURL(flow.State, flow.Nonce, flow.Verifier), username, password)
	q := cb.Query()
	if e := q.Get("error"); e != "" {
		t.Fatalf("callback error %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != flow.State {
		t.Fatalf("callback state %q, want %q", q.Get("state"), flow.State)
	}
	if q.Get("code") == "" {
		t.Fatalf("callback without code: %s", cb)
	}
	return flow, q.Get("code")
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !navette.IsCode(err, code) {
		t.Fatalf("error %v (code %q), want code %q", err, navette.ErrorCode(err), code)
	}
	t.Logf("%s: %v", code, err)
}

func TestSignIn(t *testing.T) {
	start := time.Now()
	op := testoidc.Start(t, users, redirectURL)
	t.Logf("provider ready in %v", time.Since(start))
	rp := newRP(t, config(op), nil)

	flow := oidc.NewFlow()
	if flow.State == "" || flow.Nonce == "" || len(flow.Verifier) < 43 || flow == oidc.NewFlow() {
		t.Fatalf("NewFlow: %+v", flow)
	}
	auth, err := url.Parse(rp.AuthURL(flow.State, flow.Nonce, flow.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	q := auth.Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             op.ClientID,
		"redirect_uri":          redirectURL,
		"state":                 flow.State,
		"nonce":                 flow.Nonce,
		"code_challenge_method": "S256",
		"scope":                 "openid email profile groups",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("auth URL %s = %q, want %q", k, got, want)
		}
	}
	if c := q.Get("code_challenge"); c == "" || c == flow.Verifier {
		t.Errorf("auth URL code_challenge %q", c)
	}

	flow, code := signIn(t, op, rp, "alice", "alice-pw")
	claims, err := rp.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := &oidc.Claims{
		Subject:       "sub-alice",
		Email:         "alice.martin@justice.example",
		EmailVerified: true,
		Name:          "Alice Martin",
		Groups:        []string{"greffe", "tj-amiens"},
		ACR:           "eidas2",
		AMR:           []string{"pwd"},
	}
	if !reflect.DeepEqual(claims, want) {
		t.Errorf("claims %+v, want %+v", claims, want)
	}

	_, err = rp.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
	wantCode(t, err, navette.EUNAUTHORIZED)
}

func TestExchangeRejects(t *testing.T) {
	op := testoidc.Start(t, users, redirectURL)
	rp := newRP(t, config(op), nil)

	t.Run("wrong nonce", func(t *testing.T) {
		flow, code := signIn(t, op, rp, "alice", "alice-pw")
		_, err := rp.Exchange(t.Context(), code, flow.Verifier, oidc.NewFlow().Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
	t.Run("wrong verifier", func(t *testing.T) {
		flow, code := signIn(t, op, rp, "alice", "alice-pw")
		_, err := rp.Exchange(t.Context(), code, oidc.NewFlow().Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
		if !strings.Contains(navette.ErrorMessage(err), "invalid_grant") {
			t.Errorf("message %q does not tell the provider refused the grant", navette.ErrorMessage(err))
		}
	})
	t.Run("unknown code", func(t *testing.T) {
		flow := oidc.NewFlow()
		_, err := rp.Exchange(t.Context(), "no-such-code", flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
	t.Run("empty arguments", func(t *testing.T) {
		flow, code := signIn(t, op, rp, "alice", "alice-pw")
		for _, args := range [][3]string{{"", flow.Verifier, flow.Nonce}, {code, "", flow.Nonce}, {code, flow.Verifier, ""}} {
			_, err := rp.Exchange(t.Context(), args[0], args[1], args[2])
			wantCode(t, err, navette.EUNAUTHORIZED)
		}
	})
	t.Run("expired", func(t *testing.T) {
		cfg := config(op)
		cfg.Clock = navette.NewFakeClock(time.Now().Add(2 * time.Hour))
		late := newRP(t, cfg, nil)
		flow, code := signIn(t, op, late, "alice", "alice-pw")
		_, err := late.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
	t.Run("unverified email", func(t *testing.T) {
		flow, code := signIn(t, op, rp, "bob", "bob-pw")
		c, err := rp.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if c.EmailVerified || c.Email != "bob@partner.example" || c.Groups != nil {
			t.Errorf("claims %+v", c)
		}
		cfg := config(op)
		cfg.RequireVerifiedEmail = true
		strict := newRP(t, cfg, nil)
		flow, code = signIn(t, op, strict, "bob", "bob-pw")
		_, err = strict.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
}

// rewriter is a transport that lets a test change the token endpoint's
// requests and responses.
type rewriter struct {
	request  func(*http.Request)
	idToken  func(string) string
	mu       sync.Mutex
	captured []string // ID tokens seen
}

func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	isToken := req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/token")
	if isToken && rw.request != nil {
		req = req.Clone(req.Context())
		rw.request(req)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !isToken || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if tok, ok := m["id_token"].(string); ok {
		rw.mu.Lock()
		rw.captured = append(rw.captured, tok)
		rw.mu.Unlock()
		if rw.idToken != nil {
			m["id_token"] = rw.idToken(tok)
		}
	}
	b, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// editPayload returns the JWT tok with its payload changed by edit and its
// signature kept.
func editPayload(t *testing.T, tok string, edit func(map[string]any)) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token of %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestForgedTokens(t *testing.T) {
	op := testoidc.Start(t, users, redirectURL)
	rp := newRP(t, config(op), nil)

	t.Run("tampered payload", func(t *testing.T) {
		rw := &rewriter{idToken: func(tok string) string {
			return editPayload(t, tok, func(m map[string]any) { m["sub"] = "sub-bob" })
		}}
		forged := newRP(t, config(op), &http.Client{Transport: rw})
		flow, code := signIn(t, op, forged, "alice", "alice-pw")
		_, err := forged.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
	t.Run("unsigned", func(t *testing.T) {
		rw := &rewriter{idToken: func(tok string) string {
			parts := strings.Split(tok, ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		}}
		forged := newRP(t, config(op), &http.Client{Transport: rw})
		flow, code := signIn(t, op, forged, "alice", "alice-pw")
		_, err := forged.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
	t.Run("other audience", func(t *testing.T) {
		// navette is registered as "other-client" but a token for op's
		// client reaches it: the token endpoint is fooled into
		// authenticating op's client, the ID token's audience is not.
		cfg := config(op)
		cfg.ClientID = "other-client"
		rw := &rewriter{request: func(r *http.Request) { r.SetBasicAuth(op.ClientID, op.ClientSecret) }}
		other := newRP(t, cfg, &http.Client{Transport: rw})
		flow, code := signIn(t, op, rp, "alice", "alice-pw")
		_, err := other.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
		if len(rw.captured) != 1 {
			t.Fatalf("the token endpoint returned %d ID tokens, want 1", len(rw.captured))
		}
	})
	t.Run("other issuer", func(t *testing.T) {
		op2 := testoidc.Start(t, users, redirectURL)
		cap2 := &rewriter{}
		rp2 := newRP(t, config(op2), &http.Client{Transport: cap2})
		flow, code := signIn(t, op2, rp2, "alice", "alice-pw")
		if _, err := rp2.Exchange(t.Context(), code, flow.Verifier, flow.Nonce); err != nil {
			t.Fatalf("Exchange at the second provider: %v", err)
		}
		foreign := cap2.captured[0]

		swap := &rewriter{idToken: func(string) string { return foreign }}
		swapped := newRP(t, config(op), &http.Client{Transport: swap})
		cb := op.Login(t, nil, swapped.AuthURL(flow.State, flow.Nonce, flow.Verifier), "alice", "alice-pw")
		_, err := swapped.Exchange(t.Context(), cb.Query().Get("code"), flow.Verifier, flow.Nonce)
		wantCode(t, err, navette.EUNAUTHORIZED)
	})
}

func TestProviderDown(t *testing.T) {
	op := testoidc.Start(t, users, redirectURL)
	rp := newRP(t, config(op), nil)
	flow, code := signIn(t, op, rp, "alice", "alice-pw")
	op.Stop()

	_, err := rp.Exchange(t.Context(), code, flow.Verifier, flow.Nonce)
	wantCode(t, err, navette.EUNAVAILABLE)
	_, err = oidc.New(t.Context(), config(op), nil)
	wantCode(t, err, navette.EUNAVAILABLE)
}

func TestNewRejectsConfig(t *testing.T) {
	op := testoidc.Start(t, users, redirectURL)
	good := config(op)
	for name, edit := range map[string]func(*oidc.Config){
		"no issuer":          func(c *oidc.Config) { c.Issuer = "" },
		"plain http":         func(c *oidc.Config) { c.Issuer = "http://idp.justice.example" },
		"issuer with query":  func(c *oidc.Config) { c.Issuer += "?x=1" },
		"no client id":       func(c *oidc.Config) { c.ClientID = "" },
		"no client secret":   func(c *oidc.Config) { c.ClientSecret = "" },
		"relative redirect":  func(c *oidc.Config) { c.RedirectURL = "/auth/callback" },
		"bad scope":          func(c *oidc.Config) { c.Scopes = []string{"openid", "a b"} },
		"issuer not matched": func(c *oidc.Config) { c.Issuer += "/" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			edit(&cfg)
			_, err := oidc.New(t.Context(), cfg, nil)
			wantCode(t, err, navette.EINVALID)
		})
	}
}
