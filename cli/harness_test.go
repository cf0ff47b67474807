package cli

// The client commands (send, inbox, get, revoke) are tested in process
// against the real navette server, booted whole (app.Listen on 127.0.0.1:0,
// data in a temporary directory). Network faults are injected by a TCP
// proxy between the two (internal/testproxy); the few states the server
// refuses to create are injected into its store, each marked "failure
// injection" with the reason.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/client"
	"navette/internal/testproxy"
	"navette/seal"
)

const (
	agent    = "agent@justice.example"
	lawyer   = "avocat@barreau.example"
	other    = "other@barreau.example"
	stranger = "autre@barreau.example"
)

// testEnv is a navette server running for one test, with four users.
type testEnv struct {
	t   *testing.T
	app *app.App
	url string
	dir string
	// API tokens of the users: an agent (the sender) and three partners.
	agent, lawyer, other, stranger string
}

// newTestEnv boots the real server. tweak may change its configuration.
func newTestEnv(t *testing.T, tweak ...func(*app.Config)) *testEnv {
	t.Helper()
	a := apptest.Start(t, apptest.NewTickingClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), tweak...)
	e := &testEnv{t: t, app: a, url: a.URL(), dir: a.Config.DataDir}
	e.agent = e.user(agent, navette.RoleAgent)
	e.lawyer = e.user(lawyer, navette.RolePartner)
	e.other = e.user(other, navette.RolePartner)
	e.stranger = e.user(stranger, navette.RolePartner)
	return e
}

func (e *testEnv) user(email string, role navette.Role) string {
	e.t.Helper()
	return apptest.User(e.t, e.app, email, email, role)
}

// vars returns the environment of a command run against the server.
func (e *testEnv) vars(token string) map[string]string { return varsAt(e.url, token) }

// varsAt returns the environment of a command run against serverURL.
func varsAt(serverURL, token string) map[string]string {
	return map[string]string{"NAVETTE_SERVER": serverURL, "NAVETTE_TOKEN": token}
}

// client returns an API client of the server.
func (e *testEnv) client(token string) *client.Client {
	e.t.Helper()
	c, err := client.New(e.url, token)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// proxy returns a TCP proxy before the server.
func (e *testEnv) proxy() *testproxy.Proxy { return testproxy.New(e.t, e.app.Addr()) }

// file is a file to deposit.
type file struct {
	name string
	data []byte
}

// deposit makes an available deposit from the agent to the lawyer through
// the API, the files named as given (the server may shorten a name to its
// last path element), and returns its id and the ids of its files.
func (e *testEnv) deposit(reference string, files ...file) (string, []string) {
	e.t.Helper()
	ctx := context.Background()
	c := e.client(e.agent)
	d, err := c.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{lawyer}, Reference: reference})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, f := range files {
		id, err := c.Upload(ctx, d.ID, f.name, bytes.NewReader(f.data), int64(len(f.data)), nil)
		if err != nil {
			e.t.Fatalf("%q: %v", f.name, err)
		}
		ids = append(ids, id)
	}
	sub, err := c.Submit(ctx, d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, f := range sub.Files {
		if f.ID != ids[i] || f.SHA256 != sha(files[i].data) {
			e.t.Fatalf("file %d on the server: %+v", i, f)
		}
	}
	return d.ID, ids
}

// depositKey opens the key that seals a deposit's reference and file names.
func (e *testEnv) depositKey(id string) *seal.Key {
	e.t.Helper()
	rec, err := e.app.Meta.Deposit(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := e.app.Keys.Unwrap(rec.Key, "deposit:"+id)
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := seal.NewKey(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// rename gives files of a deposit new names in the server's store, sealed
// as the server seals them. It is failure injection: the server refuses
// such names at upload (deposit.CleanFileName), so only a compromised or
// buggy server, or a store altered behind its back, serves them; the
// command must hold its ground all the same.
func (e *testEnv) rename(depositID string, names map[string]string) {
	e.t.Helper()
	k := e.depositKey(depositID)
	for id, name := range names {
		err := e.app.Meta.UpdateFile(context.Background(), id, func(f *navette.FileRecord) ([]navette.Event, error) {
			f.Name = k.SealValue("filename", id, []byte(name))
			return nil, nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

// setReference gives a deposit a new reference in the server's store, as
// rename does for names, and is failure injection for the same reason.
func (e *testEnv) setReference(depositID, ref string) {
	e.t.Helper()
	k := e.depositKey(depositID)
	err := e.app.Meta.UpdateDeposit(context.Background(), depositID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.Reference = k.SealValue("reference", depositID, []byte(ref))
		return nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// damage alters the stored (sealed) blob of a file in place.
func (e *testEnv) damage(fileID string, alter func(blob []byte)) {
	e.t.Helper()
	var p string
	_ = filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == fileID {
			p = path
		}
		return nil
	})
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatalf("blob of %s: %v", fileID, err)
	}
	alter(b)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// fileGets returns the requests for a file that went through the proxy.
func fileGets(p *testproxy.Proxy, depositID, fileID string) []testproxy.Request {
	return p.Requests("GET", api.PathDeposits+"/"+depositID+"/files/"+fileID)
}

type run struct {
	code           int
	stdout, stderr string
}

// runCLI runs a command in-process with the given environment variables.
// Its cache directory is XDG_CACHE_HOME among them, else a new one.
func runCLI(t *testing.T, vars map[string]string, terminal bool, args ...string) run {
	t.Helper()
	return runCLIContext(t, context.Background(), vars, terminal, args...)
}

// runCLIContext is runCLI under ctx, which interrupts the command when it
// ends.
func runCLIContext(t *testing.T, ctx context.Context, vars map[string]string, terminal bool, args ...string) run {
	t.Helper()
	cache := vars["XDG_CACHE_HOME"]
	if cache == "" {
		cache = t.TempDir()
	}
	var out, errb bytes.Buffer
	env := &Env{
		CacheDir:   func() (string, error) { return cache, nil },
		Stdin:      strings.NewReader(""),
		Stdout:     &out,
		Stderr:     &errb,
		Getenv:     func(k string) string { return vars[k] },
		IsTerminal: func(w io.Writer) bool { return terminal && w == io.Writer(&errb) },
		Context:    ctx,
	}
	code := Main(args, env)
	return run{code, out.String(), errb.String()}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// tree returns the regular files under root, relative to it.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}
