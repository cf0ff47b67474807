// Package oidc signs agents in with OpenID Connect: navette is a relying
// party of the ministry's identity provider, using the authorization code
// flow with PKCE (S256) and a nonce, as a confidential client.
//
// A sign-in takes two requests. The first makes a Flow (NewFlow), keeps it
// server-side or sealed in a cookie, and redirects the browser to AuthURL.
// The second receives the provider's redirect, checks that its state equals
// the Flow's, and calls Exchange with the code, which returns the verified
// Claims of the user.
//
// Every request to the provider goes through the http.Client given to New:
// discovery, the token endpoint and the JWKS.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"navette"
)

// Claim names read when Config leaves them empty.
const (
	DefaultEmailClaim  = "email"
	DefaultGroupsClaim = "groups"
)

// DefaultScopes are the scopes asked for when Config.Scopes is empty.
var DefaultScopes = []string{gooidc.ScopeOpenID, "email", "profile"}

// signingAlgs are the ID token signature algorithms accepted, if the
// provider announces them; never "none" nor a shared-secret HMAC.
var signingAlgs = []string{
	gooidc.RS256, gooidc.RS384, gooidc.RS512,
	gooidc.ES256, gooidc.ES384, gooidc.ES512,
	gooidc.PS256, gooidc.PS384, gooidc.PS512,
	gooidc.EdDSA,
}

const defaultTimeout = 30 * time.Second

// Config is navette's registration with an identity provider.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document states it. It must be https, except on a loopback address.
	Issuer string
	// ClientID and ClientSecret are navette's credentials as a confidential
	// client of the provider.
	ClientID, ClientSecret string
	// RedirectURL is navette's callback URL, registered with the provider.
	RedirectURL string
	// Scopes are asked for in the authorization request; DefaultScopes if
	// empty. "openid" is added if missing. Ask for the scope that carries
	// GroupsClaim if the provider needs one (often "groups").
	Scopes []string
	// EmailClaim is the ID token claim that holds the user's e-mail
	// address; DefaultEmailClaim if empty.
	EmailClaim string
	// GroupsClaim is the ID token claim that holds the user's groups, an
	// array of strings or a single string; DefaultGroupsClaim if empty.
	GroupsClaim string
	// RequireVerifiedEmail refuses a user whose ID token does not say
	// email_verified true.
	RequireVerifiedEmail bool
	// Clock tells the time against which ID tokens expire; the system clock
	// if nil.
	Clock navette.Clock
}

// Provider is a discovered identity provider. It is safe for concurrent use.
type Provider struct {
	cfg      Config
	client   *http.Client
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

// Flow holds the secrets of one sign-in, from AuthURL to Exchange. State
// goes to the provider and comes back in the redirect; Nonce comes back in
// the ID token; Verifier is sent only to the token endpoint. All three must
// stay out of reach of the browser's scripts and of other users.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow returns a Flow of new random secrets.
func NewFlow() Flow {
	return Flow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier()}
}

// Claims are what a verified ID token says about the user.
type Claims struct {
	// Subject is the provider's stable identifier of the user.
	Subject string
	// Email is the user's e-mail address, trimmed and in lower case; empty
	// if the token has none.
	Email string
	// EmailVerified tells whether the provider vouches for Email.
	EmailVerified bool
	// Name is the user's display name: the name claim, or the given and
	// family names.
	Name string
	// Groups are the values of the groups claim, if any.
	Groups []string
	// ACR is the authentication context class the provider reports (the
	// acr claim, e.g. "eidas2"), AMR its methods (amr); empty if none.
	ACR string
	AMR []string
}

// New checks cfg and fetches the provider's discovery document through
// client (a client with a 30-second timeout if nil). It returns EINVALID
// for a bad configuration or a discovery document that does not match it,
// and EUNAVAILABLE if the provider cannot be reached or does not answer
// discovery properly.
func New(ctx context.Context, cfg Config, client *http.Client) (*Provider, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	cfg.setDefaults()
	d, err := discover(ctx, cfg.Issuer, client)
	if err != nil {
		return nil, err
	}
	keys := keySet{gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), client), d.jwksURL)}
	return &Provider{
		cfg:    cfg,
		client: client,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     d.endpoint,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		verifier: gooidc.NewVerifier(cfg.Issuer, keys, &gooidc.Config{
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: d.algs,
			Now:                  cfg.Clock.Now,
		}),
	}, nil
}

// setDefaults fills the fields of c left empty, and puts the openid scope
// first if c's scopes lack it.
func (c *Config) setDefaults() {
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	if !slices.Contains(c.Scopes, gooidc.ScopeOpenID) {
		c.Scopes = append([]string{gooidc.ScopeOpenID}, c.Scopes...)
	}
	c.Scopes = slices.Clone(c.Scopes)
	if c.EmailClaim == "" {
		c.EmailClaim = DefaultEmailClaim
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = DefaultGroupsClaim
	}
	if c.Clock == nil {
		c.Clock = navette.SystemClock{}
	}
}

// discovery is what navette takes from a provider's discovery document.
type discovery struct {
	endpoint oauth2.Endpoint
	jwksURL  string
	// algs are the ID token signing algorithms both sides accept; nil if
	// the provider announces none.
	algs []string
}

// discover fetches the discovery document of issuer through client and
// checks that navette can use the provider it describes.
func discover(ctx context.Context, issuer string, client *http.Client) (*discovery, error) {
	disc, err := gooidc.NewProvider(gooidc.ClientContext(ctx, client), issuer)
	if err != nil {
		return nil, discoveryError(issuer, err)
	}
	var meta struct {
		JWKSURL     string   `json:"jwks_uri"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		Algs        []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := disc.Claims(&meta); err != nil {
		return nil, navette.WrapError(navette.EUNAVAILABLE, err, "The identity provider at %s is unavailable.", issuer)
	}
	d := &discovery{endpoint: disc.Endpoint(), jwksURL: meta.JWKSURL}
	if d.endpoint.AuthURL == "" || d.endpoint.TokenURL == "" || d.jwksURL == "" {
		return nil, navette.Errorf(navette.EINVALID, "The identity provider at %s does not announce an authorization, token and keys endpoint.", issuer)
	}
	if d.endpoint.AuthStyle, err = authStyle(issuer, meta.AuthMethods); err != nil {
		return nil, err
	}
	if d.algs, err = acceptedAlgs(issuer, meta.Algs); err != nil {
		return nil, err
	}
	return d, nil
}

// discoveryError is the error of a failed discovery of issuer: EINVALID if
// the document names another issuer, else EUNAVAILABLE.
func discoveryError(issuer string, err error) error {
	var mismatch *gooidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return navette.WrapError(navette.EINVALID, err, "The identity provider at %s names another issuer.", issuer)
	}
	return navette.WrapError(navette.EUNAVAILABLE, err, "The identity provider at %s is unavailable.", issuer)
}

// authStyle returns how navette sends its client secret to a token
// endpoint that supports methods: in the header unless only in the body.
func authStyle(issuer string, methods []string) (oauth2.AuthStyle, error) {
	switch {
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader, nil
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams, nil
	}
	return 0, navette.Errorf(navette.EINVALID, "The identity provider at %s accepts neither client_secret_basic nor client_secret_post.", issuer)
}

// acceptedAlgs returns the signing algorithms of announced that navette
// accepts; nil, and no error, if the provider announces none.
func acceptedAlgs(issuer string, announced []string) ([]string, error) {
	var algs []string
	for _, a := range announced {
		if slices.Contains(signingAlgs, a) {
			algs = append(algs, a)
		}
	}
	if len(announced) > 0 && len(algs) == 0 {
		return nil, navette.Errorf(navette.EINVALID, "The identity provider at %s signs ID tokens with no algorithm navette accepts (%s).", issuer, strings.Join(announced, ", "))
	}
	return algs, nil
}

// check returns EINVALID if c lacks a field or has a malformed URL.
func (c *Config) check() error {
	if err := c.checkIssuer(); err != nil {
		return err
	}
	switch {
	case c.ClientID == "":
		return navette.Errorf(navette.EINVALID, "The OIDC client id is missing.")
	case c.ClientSecret == "":
		return navette.Errorf(navette.EINVALID, "The OIDC client secret is missing.")
	}
	if err := c.checkRedirectURL(); err != nil {
		return err
	}
	return checkScopes(c.Scopes)
}

// checkRedirectURL returns EINVALID if c's redirect URL is not an
// absolute http(s) URL without a fragment.
func (c *Config) checkRedirectURL() error {
	r, err := url.Parse(c.RedirectURL)
	if err != nil || (r.Scheme != "https" && r.Scheme != "http") || r.Host == "" || r.Fragment != "" {
		return navette.Errorf(navette.EINVALID, "The OIDC redirect URL %q is not an absolute http(s) URL.", c.RedirectURL)
	}
	return nil
}

// checkScopes returns EINVALID for the first of scopes that is empty or
// holds a space, a quote or a backslash.
func checkScopes(scopes []string) error {
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			return navette.Errorf(navette.EINVALID, "The OIDC scope %q is not valid.", s)
		}
	}
	return nil
}

// checkIssuer returns EINVALID if c's issuer is missing or not an https
// URL (http is for this machine only).
func (c *Config) checkIssuer() error {
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		return navette.Errorf(navette.EINVALID, "The OIDC issuer is missing.")
	case err != nil || !plainURL(u):
		return navette.Errorf(navette.EINVALID, "The OIDC issuer %q is not a valid URL.", c.Issuer)
	case !secureScheme(u):
		return navette.Errorf(navette.EINVALID, "The OIDC issuer %q must use https.", c.Issuer)
	}
	return nil
}

// plainURL reports whether u has a host and no query, fragment or user
// information, as an issuer must.
func plainURL(u *url.URL) bool {
	return u.Host != "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

// secureScheme reports whether u is https, or http to this machine.
func secureScheme(u *url.URL) bool {
	return u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AuthURL returns the provider's authorization URL for a sign-in of the
// code flow with state, nonce and the S256 challenge of verifier, taken
// from a Flow.
func (p *Provider) AuthURL(state, nonce, verifier string) string {
	return p.oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Exchange redeems code at the provider's token endpoint with verifier,
// then verifies the ID token it returns (signature against the provider's
// JWKS, issuer, audience, authorized party, expiry and nonce) and returns
// its claims. The caller must have checked the state of the redirect.
// It returns EUNAUTHORIZED if the provider refuses the code or the
// verifier, if the ID token is missing or fails a check, or if the e-mail
// address is not verified while Config.RequireVerifiedEmail is set; and
// EUNAVAILABLE if the provider or its keys cannot be reached.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (*Claims, error) {
	if code == "" || verifier == "" || nonce == "" {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The sign-in is incomplete: the code, verifier or nonce is missing.")
	}
	tok, err := p.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The identity provider returned no ID token.")
	}
	return p.verify(ctx, raw, tok.AccessToken, nonce)
}

// exchangeError is the error of a failed code exchange: EUNAUTHORIZED if
// the provider refused it, EUNAVAILABLE if it failed or could not be
// reached.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests):
		return navette.WrapError(navette.EUNAVAILABLE, err, "The identity provider is unavailable; try again later.")
	case errors.As(err, &re):
		return navette.WrapError(navette.EUNAUTHORIZED, err, "The identity provider refused the sign-in (%s).", errorCode(re))
	default:
		return navette.WrapError(navette.EUNAVAILABLE, err, "The identity provider is unavailable; try again later.")
	}
}

// errorCode returns the OAuth error code of re, or its HTTP status.
func errorCode(re *oauth2.RetrieveError) string {
	if re.ErrorCode != "" {
		return re.ErrorCode
	}
	if re.Response != nil {
		return re.Response.Status
	}
	return "no response"
}

// verify checks the raw ID token and returns its claims.
func (p *Provider) verify(ctx context.Context, raw, accessToken, nonce string) (*Claims, error) {
	idt, err := p.verifyToken(ctx, raw, accessToken, nonce)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := idt.Claims(&m); err != nil {
		return nil, navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token's claims cannot be read.")
	}
	if err := p.checkAuthorizedParty(m); err != nil {
		return nil, err
	}
	if idt.Subject == "" {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The ID token has no subject.")
	}
	c, err := p.claims(idt.Subject, m)
	if err != nil {
		return nil, err
	}
	if p.cfg.RequireVerifiedEmail && (c.Email == "" || !c.EmailVerified) {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The identity provider does not vouch for your e-mail address.")
	}
	return c, nil
}

// checkAuthorizedParty returns EUNAUTHORIZED if the claims m of an ID
// token name another client as its authorized party (azp).
func (p *Provider) checkAuthorizedParty(m map[string]json.RawMessage) error {
	var azp string
	if err := decodeClaim(m, "azp", &azp); err != nil {
		return err
	}
	if azp != "" && azp != p.cfg.ClientID {
		return navette.Errorf(navette.EUNAUTHORIZED, "The ID token was issued to another client.")
	}
	return nil
}

// verifyToken checks the signature, issuer, audience and expiry of the
// raw ID token, its nonce and, if both are there, its access token hash.
func (p *Provider) verifyToken(ctx context.Context, raw, accessToken, nonce string) (*gooidc.IDToken, error) {
	var fetch fetchError
	idt, err := p.verifier.Verify(context.WithValue(ctx, fetchErrorKey{}, &fetch), raw)
	if err != nil {
		return nil, tokenError(err, fetch.err != nil)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The ID token does not belong to this sign-in (nonce mismatch).")
	}
	if idt.AccessTokenHash != "" && accessToken != "" {
		if err := idt.VerifyAccessToken(accessToken); err != nil {
			return nil, navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token does not match its access token.")
		}
	}
	return idt, nil
}

// tokenError is the error of an ID token that failed verification:
// EUNAVAILABLE if the provider's keys could not be fetched, else
// EUNAUTHORIZED.
func tokenError(err error, fetchFailed bool) error {
	if fetchFailed {
		return navette.WrapError(navette.EUNAVAILABLE, err, "The identity provider's keys are unavailable; try again later.")
	}
	var expired *gooidc.TokenExpiredError
	if errors.As(err, &expired) {
		return navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token has expired; sign in again.")
	}
	return navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token is not valid.")
}

// claims reads the user's claims of m, the claims of a verified ID token
// of subject.
func (p *Provider) claims(subject string, m map[string]json.RawMessage) (*Claims, error) {
	c := &Claims{Subject: subject}
	var email, name, given, family string
	var verified any
	for _, f := range []struct {
		claim string
		dst   any
	}{
		{p.cfg.EmailClaim, &email},
		{"email_verified", &verified},
		{"name", &name},
		{"given_name", &given},
		{"family_name", &family},
		{"acr", &c.ACR},
		{"amr", &c.AMR},
	} {
		if err := decodeClaim(m, f.claim, f.dst); err != nil {
			return nil, err
		}
	}
	c.Email = navette.NormalizeEmail(email)
	c.EmailVerified = isTrue(verified)
	c.Name = strings.TrimSpace(name)
	if c.Name == "" {
		c.Name = strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family))
	}
	var err error
	if c.Groups, err = groups(m[p.cfg.GroupsClaim]); err != nil {
		return nil, navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token's %s claim is neither a string nor an array of strings.", p.cfg.GroupsClaim)
	}
	return c, nil
}

// isTrue reports whether the email_verified claim v is true: the boolean
// true, or the string "true" in any case, as some providers send it.
func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// decodeClaim decodes the claim name of m into dst if present.
func decodeClaim(m map[string]json.RawMessage, name string, dst any) error {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return navette.WrapError(navette.EUNAUTHORIZED, err, "The ID token's %s claim has the wrong type.", name)
	}
	return nil
}

// groups decodes a groups claim: absent, null, a string or an array of
// strings. No group is nil.
func groups(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// fetchErrorKey is the context key of the *fetchError that keySet fills
// when it cannot fetch the provider's keys.
type fetchErrorKey struct{}

// fetchError records a failure to fetch the JWKS during one verification.
type fetchError struct{ err error }

// keySet is the provider's remote key set; it tells a failure to fetch the
// keys, which go-oidc reports only as text, from a bad signature.
type keySet struct{ remote *gooidc.RemoteKeySet }

// VerifySignature verifies the signature of jwt against the provider's keys.
func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "fetching keys") {
			if f, ok := ctx.Value(fetchErrorKey{}).(*fetchError); ok {
				f.err = err
			}
		}
	}
	return payload, err
}
