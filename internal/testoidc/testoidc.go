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
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	providerModule = "navette/internal/oidcprovider"

	buildTimeout = 10 * time.Minute // a cold build with an empty module cache takes about a minute
	readyTimeout = 30 * time.Second // for discovery to answer
	pollEvery    = 20 * time.Millisecond
	maxHops      = 20 // redirects and form posts in one Login
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
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var build struct {
	once sync.Once
	bin  string
	err  error
}

// Binary returns the path of the provider binary, building it on first use
// in this process unless a binary of the same sources is there already.
func Binary() (string, error) {
	build.once.Do(func() { build.bin, build.err = buildBinary() })
	return build.bin, build.err
}

func buildBinary() (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			gocmd = filepath.Join(root, "bin", "go")
		} else {
			return "", fmt.Errorf("no go command to build the OIDC provider: %w", err)
		}
	}
	out, err := exec.Command(gocmd, "env", "GOPATH", "GOMOD", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		return "", fmt.Errorf("go env GOPATH GOMOD GOVERSION printed %q", out)
	}
	gopath, gomod, goversion := strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1]), strings.TrimSpace(lines[2])
	if i := strings.IndexByte(gopath, os.PathListSeparator); i >= 0 {
		gopath = gopath[:i]
	}
	if gopath == "" {
		return "", errors.New("go env GOPATH is empty")
	}
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside navette's module: cannot find the OIDC provider's sources")
	}
	src := filepath.Join(filepath.Dir(gomod), "internal", "oidcprovider")
	sum, err := sourceHash(src, goversion)
	if err != nil {
		return "", fmt.Errorf("OIDC provider sources: %w", err)
	}
	gobin := filepath.Join(gopath, "navette-tools")
	bin := filepath.Join(gobin, "oidcprovider-"+sum)
	if isFile(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(gobin, ".oidcprovider.lock"))
	if err != nil {
		return "", fmt.Errorf("lock the OIDC provider build: %w", err)
	}
	defer unlock()
	if isFile(bin) { // built by another test process while we waited
		return bin, nil
	}
	tmp, err := os.CreateTemp(gobin, ".oidcprovider-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, slices.Concat(buildArgs, []string{tmp.Name(), "."})...)
	cmd.Dir = src
	env := []string{"GOFLAGS=-buildvcs=false", "GOWORK=off"}
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "GOFLAGS", "GOWORK", "GOOS", "GOARCH":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s in %s: %w\n%s", providerModule, src, err, out)
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
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
		if addr, err = freePort(); err != nil {
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

// freePort returns 127.0.0.1:PORT for a port that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

func (p *Provider) start(bin, addr, usersFile string) error {
	logf, err := os.OpenFile(p.logFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin,
		"-addr", addr,
		"-client-id", p.ClientID,
		"-client-secret", p.ClientSecret,
		"-redirect-uri", p.RedirectURL,
		"-users", usersFile,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the OIDC provider: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	if err := p.waitReady(done); err != nil {
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("OIDC provider on %s: %w\n%s", addr, err, p.logTail())
	}
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	return nil
}

// waitReady polls discovery until it answers with the provider's issuer,
// the process exits, or readyTimeout passes.
func (p *Provider) waitReady(exited <-chan struct{}) error {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	deadline := time.Now().Add(readyTimeout)
	for {
		err := p.discover(client)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no discovery after %v: %w", readyTimeout, err)
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		case <-time.After(pollEvery):
		}
	}
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
	if len(b) > 8192 {
		b = b[len(b)-8192:]
	}
	return string(bytes.TrimSpace(b))
}

// Stop kills the provider and waits for it to exit, so that its address no
// longer answers. Stopping a stopped provider does nothing.
func (p *Provider) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
	p.cmd, p.done = nil, nil
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
