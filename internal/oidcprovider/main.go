// Command oidcprovider is an OpenID Provider for navette's tests: zitadel's
// certified op package over an in-memory store of one confidential client
// and the users of a JSON file, with a plain HTML sign-in form.
//
// It serves discovery, the JWKS (RS256), the authorization endpoint (code
// flow only, PKCE S256 required), the token endpoint (client_secret_basic or
// client_secret_post), userinfo, introspection and revocation, on the
// loopback address it is given, over plain HTTP. Its issuer is
// http://ADDR unless -issuer says otherwise. When it listens it prints
// "oidcprovider ready ISSUER" on standard output.
//
// The users file is a JSON array of objects with the fields subject,
// username, password, email, email_verified, given_name, family_name and
// groups. The ID token carries the nonce of the authorization request and
// the claims of the scopes asked for: email and email_verified (email),
// name, given_name, family_name and preferred_username (profile), and
// groups (groups).
//
// It lives in a module of its own so that navette's go.mod does not depend
// on zitadel; package navette/internal/testoidc builds and runs it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

const (
	loginPath          = "/login"
	queryAuthRequestID = "authRequestID"
)

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		addr         = flag.String("addr", "", "`host:port` to listen on, such as 127.0.0.1:9998 (required)")
		issuer       = flag.String("issuer", "", "issuer `URL`; http://ADDR if empty")
		clientID     = flag.String("client-id", "", "`id` of the confidential client (required)")
		clientSecret = flag.String("client-secret", "", "`secret` of the confidential client (required)")
		usersFile    = flag.String("users", "", "JSON `file` of the users (required)")
		idTokenLife  = flag.Duration("id-token-lifetime", time.Hour, "lifetime of ID tokens")
		redirectURIs listFlag
	)
	flag.Var(&redirectURIs, "redirect-uri", "redirect `URI` of the client (required; repeat for several)")
	flag.Parse()
	if *addr == "" || *clientID == "" || *clientSecret == "" || *usersFile == "" || len(redirectURIs) == 0 || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("missing or extra arguments")
	}
	if *issuer == "" {
		*issuer = "http://" + *addr
	}
	users, err := readUsers(*usersFile)
	if err != nil {
		return err
	}
	store, err := newStorage(&client{
		id:           *clientID,
		secret:       *clientSecret,
		redirectURIs: redirectURIs,
		idTokenLife:  *idTokenLife,
	}, users)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	handler, err := newHandler(*issuer, store, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	fmt.Printf("oidcprovider ready %s\n", *issuer)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readUsers reads the users file.
func readUsers(path string) ([]*user, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var users []*user
	if err := json.Unmarshal(b, &users); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := make(map[string]bool)
	for i, u := range users {
		if u == nil || u.Subject == "" || u.Username == "" {
			return nil, fmt.Errorf("%s: user %d has no subject or username", path, i)
		}
		if seen["s:"+u.Subject] || seen["u:"+u.Username] {
			return nil, fmt.Errorf("%s: user %d repeats a subject or username", path, i)
		}
		seen["s:"+u.Subject], seen["u:"+u.Username] = true, true
	}
	return users, nil
}

// newHandler returns the provider's HTTP handler: the sign-in form at
// loginPath and the OpenID endpoints everywhere else.
func newHandler(issuer string, store *storage, logger *slog.Logger) (http.Handler, error) {
	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
		AuthMethodPost: true,
		SupportedUILocales: []language.Tag{
			language.English,
		},
		SupportedScopes: []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, scopeGroups},
		SupportedClaims: []string{
			"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "c_hash", "at_hash", "azp",
			"name", "given_name", "family_name", "preferred_username", "email", "email_verified", scopeGroups,
		},
	}, store, op.StaticIssuer(issuer), op.WithAllowInsecure(), op.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	l := &login{store: store, callback: op.AuthCallbackURL(provider)}
	mux := http.NewServeMux()
	mux.Handle("GET "+loginPath, http.HandlerFunc(l.form))
	mux.Handle("POST "+loginPath, op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(l.submit))
	mux.Handle("/", provider)
	return mux, nil
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="` + loginPath + `">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input type="text" name="username" value="{{.Username}}" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`))

// login serves the sign-in form of an authorization request.
type login struct {
	store    *storage
	callback func(context.Context, string) string
}

func (l *login) form(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, r.FormValue(queryAuthRequestID), "", "")
}

func (l *login) submit(w http.ResponseWriter, r *http.Request) {
	id, username := r.PostFormValue("id"), r.PostFormValue("username")
	if msg := l.store.checkPassword(id, username, r.PostFormValue("password")); msg != "" {
		l.render(w, http.StatusUnauthorized, id, username, msg)
		return
	}
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

func (l *login) render(w http.ResponseWriter, status int, id, username, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	loginPage.Execute(w, struct{ ID, Username, Error string }{id, username, msg})
}
