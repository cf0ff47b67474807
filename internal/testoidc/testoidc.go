// Package testoidc runs a real OpenID Provider for tests: the command of
// the nested module navette/internal/oidcprovider (zitadel's op package),
// with one confidential client and the users a test gives, on a free
// loopback port. Only tests import it.
//
// The provider is built once with "go build" into
// $(go env GOPATH)/navette-tools, under a name keyed by a hash of its
// sources and of the Go version, and under a lock file so that test
// packages run in parallel do not build it twice; a change to its sources
// makes a new build. A provider that cannot be built or started fails the
// test: it is never skipped.
package testoidc

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette/internal/testtool"
)

const (
	providerModule = "navette/internal/oidcprovider"

	buildTimeout = 10 * time.Minute // a cold build with an empty module cache takes about a minute
	readyTimeout = 30 * time.Second // for discovery to answer
	maxHops      = 20               // redirects and form posts in one Login
)

// buildArgs are the arguments of the provider's "go build", before the
// output file.
var buildArgs = []string{"build", "-o"}

// User is an account of the provider. Username and Password sign in on its
// form; the other fields become claims of the ID token when the scope that
// carries them is asked for (email, profile, groups).
type User struct {
	Subject       string   `json:"subject"`
	Username      string   `json:"username"`
	Password      string   `json:"password"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	Groups        []string `json:"groups"`
}

// Provider is a running provider process. Its methods are safe for
// concurrent use.
type Provider struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:PORT; its
	// discovery document is at Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the credentials of the provider's one
	// confidential client, new for each provider.
	ClientID, ClientSecret string
	// RedirectURL is the client's only registered redirect URI.
	RedirectURL string

	dir string

	mu   sync.Mutex
	proc *testtool.Process // nil when stopped
}

var binary = sync.OnceValues(buildBinary)

// Binary returns the path of the provider binary, building it on first use
// in this process unless a binary of the same sources is there already.
func Binary() (string, error) { return binary() }

func buildBinary() (string, error) {
	gocmd, tools, env, err := testtool.GoTools("the OIDC provider", "GOMOD", "GOVERSION")
	if err != nil {
		return "", err
	}
	gomod, goversion := env[0], env[1]
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside navette's module: cannot find the OIDC provider's sources")
	}
	src := filepath.Join(filepath.Dir(gomod), "internal", "oidcprovider")
	sum, err := sourceHash(src, goversion)
	if err != nil {
		return "", fmt.Errorf("OIDC provider sources: %w", err)
	}
	bin := filepath.Join(tools, "oidcprovider-"+sum)
	err = testtool.Install(filepath.Join(tools, ".oidcprovider.lock"), "the OIDC provider build", func() bool { return isFile(bin) }, func() error {
		tmp, err := os.CreateTemp(tools, ".oidcprovider-*")
		if err != nil {
			return err
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		env := testtool.Env([]string{"GOFLAGS=-buildvcs=false", "GOWORK=off"}, "GOOS", "GOARCH")
		if out, err := testtool.Run(buildTimeout, src, env, gocmd, slices.Concat(buildArgs, []string{tmp.Name(), "."})...); err != nil {
			return fmt.Errorf("go build %s in %s: %w\n%s", providerModule, src, err, out)
		}
		return os.Rename(tmp.Name(), bin)
	})
	if err != nil {
		return "", err
	}
	return bin, nil
}

// sourceHash returns a short hash of the files under dir, of the Go version
// and of buildArgs, which names the binary built from them.
func sourceHash(dir, goversion string) (string, error) {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	if !bytes.Contains(mod, []byte("module "+providerModule+"\n")) {
		return "", fmt.Errorf("%s/go.mod is not module %s", dir, providerModule)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00", goversion, buildArgs)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// Start builds the provider if needed and starts it on a free port of
// 127.0.0.1, with a new confidential client whose only redirect URI is
// redirectURL and with users as its accounts. The provider stops when t
// ends; its log is shown if t failed. Start fails t if the provider cannot
// be built or started.
func Start(t testing.TB, users []User, redirectURL string) *Provider {
	t.Helper()
	p, err := launch(t.TempDir(), users, redirectURL)
	if err != nil {
		t.Fatalf("OIDC test provider: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("OIDC provider log:\n%s", p.logTail())
		}
	})
	return p
}

func launch(dir string, users []User, redirectURL string) (*Provider, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = []User{}
	}
	b, err := json.Marshal(users)
	if err != nil {
		return nil, err
	}
	usersFile := filepath.Join(dir, "users.json")
	if err := os.WriteFile(usersFile, b, 0o600); err != nil {
		return nil, err
	}
	p := &Provider{
		ClientID:     "navette-" + strings.ToLower(rand.Text()[:10]),
		ClientSecret: rand.Text(),
		RedirectURL:  redirectURL,
		dir:          dir,
	}
	// Another process may take the free port before the provider does:
	// try a few.
	for range 5 {
		var addr string
		if addr, err = testtool.FreeAddr(); err != nil {
			break
		}
		p.Issuer = "http://" + addr
		if err = p.start(bin, addr, usersFile); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start starts the provider on addr and waits until discovery answers with
// its issuer, for at most readyTimeout.
func (p *Provider) start(bin, addr, usersFile string) error {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	proc, err := testtool.Start("OIDC provider", addr, p.logFile(), readyTimeout, func() error { return p.discover(client) }, bin,
		"-addr", addr,
		"-client-id", p.ClientID,
		"-client-secret", p.ClientSecret,
		"-redirect-uri", p.RedirectURL,
		"-users", usersFile,
	)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()
	return nil
}

func (p *Provider) discover(client *http.Client) error {
	resp, err := client.Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery: %s", resp.Status)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	if doc.Issuer != p.Issuer {
		return fmt.Errorf("discovery names issuer %q", doc.Issuer)
	}
	return nil
}

func (p *Provider) logFile() string { return filepath.Join(p.dir, "oidcprovider.log") }

// logTail returns the end of the provider's log.
func (p *Provider) logTail() string {
	b, _ := os.ReadFile(p.logFile())
	return testtool.Tail(b, 8192)
}

// Stop kills the provider and waits for it to exit, so that its address no
// longer answers. Stopping a stopped provider does nothing.
func (p *Provider) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return
	}
	p.proc.Stop()
	p.proc = nil
}

// Login signs username in as a browser would: it follows authURL (an
// authorization request of the provider's client) through the provider's
// redirects, fills and posts the sign-in form, and returns the URL of the
// redirect to RedirectURL, which it does not follow. That URL carries code
// and state, or error if the provider refused the request. client keeps
// its cookies and transport but not its redirect policy; nil means a new
// client. Login fails t if the form is missing or rejects the credentials.
func (p *Provider) Login(t testing.TB, client *http.Client, authURL, username, password string) (callbackURL *url.URL) {
	t.Helper()
	u, err := p.TryLogin(client, authURL, username, password)
	if err != nil {
		t.Fatalf("OIDC sign-in of %q: %v", username, err)
	}
	return u
}

var (
	formRe  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?is)([a-z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	alertRe = regexp.MustCompile(`(?is)<p id="error"[^>]*>(.*?)</p>`)
)

// TryLogin is Login returning an error instead of failing a test: for a
// missing form, credentials the form rejects, or a redirect loop.
func (p *Provider) TryLogin(client *http.Client, authURL, username, password string) (*url.URL, error) {
	target, err := url.Parse(p.RedirectURL)
	if err != nil {
		return nil, fmt.Errorf("redirect URL: %w", err)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	if client != nil {
		c = &http.Client{Transport: client.Transport, Jar: client.Jar, Timeout: client.Timeout}
	}
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, err := c.Get(authURL)
	posted := false
	for range maxHops {
		if err != nil {
			return nil, err
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			next, perr := resp.Request.URL.Parse(loc)
			if perr != nil {
				return nil, fmt.Errorf("redirect to %q: %w", loc, perr)
			}
			if next.Scheme == target.Scheme && next.Host == target.Host && next.Path == target.Path {
				return next, nil
			}
			resp, err = c.Get(next.String())
			continue
		}
		if posted {
			msg := resp.Status
			if m := alertRe.FindSubmatch(body); m != nil {
				msg = html.UnescapeString(string(m[1])) + " (" + resp.Status + ")"
			}
			return nil, fmt.Errorf("sign-in refused: %s", msg)
		}
		form := formRe.FindSubmatch(body)
		if form == nil {
			return nil, fmt.Errorf("%s %s: %s: no sign-in form: %.300s", resp.Request.Method, resp.Request.URL, resp.Status, body)
		}
		attrs := attributes(form[1])
		if !strings.EqualFold(attrs["method"], "post") {
			return nil, fmt.Errorf("sign-in form method %q, want post", attrs["method"])
		}
		action, perr := resp.Request.URL.Parse(attrs["action"])
		if perr != nil {
			return nil, fmt.Errorf("form action %q: %w", attrs["action"], perr)
		}
		values := url.Values{}
		for _, in := range inputRe.FindAllSubmatch(form[2], -1) {
			a := attributes(in[1])
			switch {
			case a["name"] == "":
			case a["name"] == "username":
				values.Set("username", username)
			case a["name"] == "password" || a["type"] == "password":
				values.Set(a["name"], password)
			case slices.Contains([]string{"submit", "button", "checkbox", "radio"}, a["type"]):
			default:
				values.Set(a["name"], a["value"])
			}
		}
		posted = true
		resp, err = c.PostForm(action.String(), values)
	}
	return nil, fmt.Errorf("more than %d redirects or forms from %s", maxHops, authURL)
}

// attributes returns the attributes of an HTML tag, names in lower case
// and values unescaped.
func attributes(tag []byte) map[string]string {
	m := make(map[string]string)
	for _, a := range attrRe.FindAllSubmatch(tag, -1) {
		v := a[2]
		if v == nil {
			v = a[3]
		}
		m[strings.ToLower(string(a[1]))] = html.UnescapeString(string(v))
	}
	return m
}
