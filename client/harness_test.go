package client_test

// The client is tested against the real navette server, booted whole in
// process (app.Listen on 127.0.0.1:0, data in a temporary directory).
// Network faults are injected by a TCP proxy between the two
// (internal/testproxy); the few faults neither can produce are injected by
// small wrappers or stand-ins, each marked "failure injection" with the
// reason.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/client"
	"navette/internal/testproxy"
)

const (
	sender    = "greffe@justice.example"
	recipient = "avocat@barreau.example"
	stranger  = "autre@barreau.example"
)

// wait bounds every wait of these tests for something that should happen
// at once: reached only when the behaviour under test is broken.
const wait = 30 * time.Second

var fastRetry = client.RetryPolicy{InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, Budget: 5 * time.Second}

// env is a navette server running for one test, with three users.
type env struct {
	t   *testing.T
	app *app.App
	url string
	dir string
	// API tokens of the users.
	sender, recipient, stranger string
}

// newEnv boots the real server. tweak may change its configuration.
func newEnv(t *testing.T, tweak ...func(*app.Config)) *env {
	t.Helper()
	a := apptest.Start(t, apptest.NewTickingClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), tweak...)
	e := &env{t: t, app: a, url: a.URL(), dir: a.Config.DataDir}
	e.sender = e.user(sender, navette.RoleAgent)
	e.recipient = e.user(recipient, navette.RolePartner)
	e.stranger = e.user(stranger, navette.RolePartner)
	return e
}

func (e *env) user(email string, role navette.Role) string {
	e.t.Helper()
	return apptest.User(e.t, e.app, email, email, role)
}

// client returns a client of the server with the fast retry policy.
func (e *env) client(token string, opts ...client.Option) *client.Client {
	e.t.Helper()
	return e.clientAt(e.url, token, opts...)
}

// clientAt returns a client of serverURL (a proxy before the server).
func (e *env) clientAt(serverURL, token string, opts ...client.Option) *client.Client {
	e.t.Helper()
	c, err := client.New(serverURL, token, append([]client.Option{client.WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// proxy returns a TCP proxy before the server.
func (e *env) proxy() *testproxy.Proxy { return testproxy.New(e.t, e.app.Addr()) }

// draft creates a draft deposit from the sender to the recipient.
func (e *env) draft(c *client.Client) *api.Deposit {
	e.t.Helper()
	d, err := c.CreateDeposit(context.Background(), api.CreateDeposit{Recipients: []string{recipient}, Reference: "RG 24/001"})
	if err != nil {
		e.t.Fatal(err)
	}
	if d.State != "draft" || d.ID == "" {
		e.t.Fatalf("draft = %+v", d)
	}
	return d
}

// send makes an available deposit of one file and returns the ids.
func (e *env) send(name string, content []byte) (depositID, fileID string) {
	e.t.Helper()
	c := e.client(e.sender)
	d := e.draft(c)
	fid, err := c.Upload(context.Background(), d.ID, name, bytes.NewReader(content), int64(len(content)), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.submit(d.ID, map[string][]byte{fid: content})
	return d.ID, fid
}

// submit submits a draft and checks that the server holds the files with
// the given contents (by SHA-256 and size, as the server computed them).
func (e *env) submit(depositID string, want map[string][]byte) *api.Deposit {
	e.t.Helper()
	d, err := e.client(e.sender).Submit(context.Background(), depositID)
	if err != nil {
		e.t.Fatal(err)
	}
	if d.State != "available" || len(d.Files) != len(want) {
		e.t.Fatalf("submitted: %+v", d)
	}
	for _, f := range d.Files {
		content, ok := want[f.ID]
		if !ok || f.Size != int64(len(content)) || f.SHA256 != sha(content) {
			e.t.Fatalf("file %s on the server: %+v, not the file sent", f.ID, f)
		}
	}
	return d
}

// fetch downloads a file as the recipient, directly, and checks its digest.
func (e *env) fetch(depositID, fileID string) []byte {
	e.t.Helper()
	var buf bytes.Buffer
	info, err := e.client(e.recipient).Download(context.Background(), depositID, fileID, &buf, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if hex.EncodeToString(info.SHA256) != sha(buf.Bytes()) {
		e.t.Fatal("downloaded bytes do not match the server's Repr-Digest")
	}
	return buf.Bytes()
}

// blobFile returns the path of the stored (sealed) blob of a file.
func (e *env) blobFile(fileID string) string {
	e.t.Helper()
	var found string
	_ = filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == fileID {
			found = p
		}
		return nil
	})
	if found == "" {
		e.t.Fatalf("no blob for file %s", fileID)
	}
	return found
}

// damage alters the stored blob of a file in place.
func (e *env) damage(fileID string, alter func(blob []byte)) {
	e.t.Helper()
	p := e.blobFile(fileID)
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	alter(b)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 42))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// progressRecorder records progress calls, failing on concurrent calls.
type progressRecorder struct {
	mu    sync.Mutex
	calls []int64
	t     *testing.T
}

func (p *progressRecorder) fn(done int64) {
	if !p.mu.TryLock() {
		p.t.Error("concurrent progress calls")
		return
	}
	defer p.mu.Unlock()
	p.calls = append(p.calls, done)
}

func (p *progressRecorder) first() int64 {
	if len(p.calls) == 0 {
		return -1
	}
	return p.calls[0]
}

func (p *progressRecorder) last() int64 {
	if len(p.calls) == 0 {
		return -1
	}
	return p.calls[len(p.calls)-1]
}

// within runs f and fails the test if it does not return within the bound.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("%s did not return within %v", what, wait)
	}
}

// struck fails the test unless the fault has run its course.
func struck(t *testing.T, f *testproxy.Fault) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(wait):
		t.Fatal("the proxy's fault never struck")
	}
}

// header returns the value of a header in each request, parsed as an
// integer (-1 when absent or malformed).
func header(reqs []testproxy.Request, name string) []int64 {
	var v []int64
	for _, r := range reqs {
		n, err := strconv.ParseInt(r.Header.Get(name), 10, 64)
		if err != nil {
			n = -1
		}
		v = append(v, n)
	}
	return v
}
