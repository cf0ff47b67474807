package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/cli"
	"navette/keyring"
	"navette/notify"
	"navette/receipt/receipttest"
)

// admin runs "navette admin ARGS" and returns its exit status and output.
func admin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		IsTerminal: func(io.Writer) bool { return false }, Context: t.Context()}
	code := cli.Main(append([]string{"admin"}, args...), env)
	return code, out.String(), errb.String()
}

// keyEvents returns the details of the key.* events of the journal, in
// order, each prefixed by its type.
func keyEvents(t *testing.T, a *app.App) []string {
	t.Helper()
	evs, err := a.Meta.Events(t.Context(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if strings.HasPrefix(string(e.Type), "key.") {
			got = append(got, string(e.Type)+" "+e.Detail)
		}
	}
	return got
}

// TestKeyRotationLive rotates the key-encryption key under a running node
// that keeps serving, re-wraps the stored keys (interrupted once, then
// resumed), retires the old key, and downloads an old deposit after.
func TestKeyRotationLive(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.KeyringInterval = 5 * time.Millisecond })
	ctx := t.Context()
	old := e.app.Keys.ActiveID()

	purged := e.send(map[string][]byte{"ancien.pdf": randomBytes(1000, 1)})
	e.clock.Advance(8 * 24 * time.Hour)
	if st, err := e.app.Deposits.Sweep(ctx); err != nil || st.Purged != 1 {
		t.Fatalf("Sweep = %+v, %v; want one purge", st, err)
	}
	data := randomBytes(70_000, 2)
	want := sha256.Sum256(data)
	d1 := e.send(map[string][]byte{"pv.pdf": data, "annexe.txt": []byte("annexe")})
	var f1 api.File
	for _, f := range d1.Files {
		if f.Size == int64(len(data)) {
			f1 = f
		}
	}

	// Downloads go on while the key is rotated.
	var code int
	var out, errs string
	e.serving(d1, f1, want, func() {
		code, out, errs = admin(t, "key", "rotate", "--data", e.dir)
		if code != 0 {
			t.Fatalf("key rotate: %d %s %s", code, out, errs)
		}
		waitFor(t, "the running node picks up the new key", func() bool { return e.app.Keys.ActiveID() != old })
	})
	fresh := e.app.Keys.ActiveID()
	if !strings.Contains(out, fresh) {
		t.Errorf("rotate printed %q, want the new key %s", out, fresh)
	}

	// A deposit made now has its keys under the new key, without restart.
	d2 := e.send(map[string][]byte{"nouveau.pdf": randomBytes(5000, 3)})
	rec, err := e.app.Meta.Deposit(ctx, d2.ID)
	if err != nil {
		t.Fatal(err)
	}
	files, err := e.app.Meta.Files(ctx, d2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Key.KeyID != fresh || rec.ProofKey.KeyID != fresh || files[0].Key.KeyID != fresh {
		t.Errorf("new deposit's keys under %s, %s, %s; want %s", rec.Key.KeyID, rec.ProofKey.KeyID, files[0].Key.KeyID, fresh)
	}
	if rec, _ := e.app.Meta.Deposit(ctx, d1.ID); rec.Key.KeyID != old {
		t.Errorf("old deposit's key under %s before the rewrap, want %s", rec.Key.KeyID, old)
	}

	// Retiring the old key is refused right after the rotation, as servers
	// may not have reloaded yet, then while stored keys need it; and so is
	// retiring the active key.
	code, _, errs = admin(t, "key", "retire", "--data", e.dir, old)
	active, err := os.Stat(filepath.Join(e.dir, "keys", "active"))
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if changed := "active key changed at " + active.ModTime().In(paris).Format(time.TimeOnly) + " (Paris time)"; code != 1 || !strings.Contains(errs, changed) {
		t.Errorf("retire right after the rotation: %d %q; want refused, saying %q", code, errs, changed)
	}
	// The node reloaded (above): make the rotation look as old as it would
	// be after the servers' reload delay, rather than wait for it.
	ago := time.Now().Add(-2 * app.RetireAfter)
	if err := os.Chtimes(filepath.Join(e.dir, "keys", "active"), ago, ago); err != nil {
		t.Fatal(err)
	}
	code, out, errs = admin(t, "key", "retire", "--data", e.dir, old)
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "deposit=") || !strings.Contains(errs, "file=2") || !strings.Contains(errs, "rewrap") {
		t.Errorf("retire before rewrap: %d %q %q; want exit 1 and one line counting the keys", code, out, errs)
	}
	if code, _, errs := admin(t, "key", "retire", "--data", e.dir, fresh); code != 1 || !strings.Contains(errs, "active") {
		t.Errorf("retire the active key: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "keys", old+".key")); err != nil {
		t.Fatalf("a refused retire removed the key: %v", err)
	}

	code, out, _ = admin(t, "key", "status", "--data", e.dir)
	if code != 0 || !strings.Contains(out, old+": deposit=") || !strings.Contains(out, fresh+" (active): deposit=") {
		t.Errorf("key status before rewrap: %d %q", code, out)
	}

	// A rewrap interrupted after its first batch, from another process.
	other, err := app.Open(app.Config{DataDir: e.dir, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	st, err := other.RewrapKeys(cctx, 1, func(app.RewrapStats) { cancel() })
	other.Close()
	if err == nil || st.Rewrapped != 1 || st.Left == 0 || st.Left != st.Stale-1 {
		t.Fatalf("interrupted rewrap = %+v, %v; want one key done and an error", st, err)
	}
	e.serving(d1, f1, want, func() {
		code, out, errs = admin(t, "key", "rewrap", "--data", e.dir, "--batch", "2")
	})
	if code != 0 || !strings.Contains(out, "0 left") {
		t.Fatalf("rewrap: %d %q %q", code, out, errs)
	}
	code, out, _ = admin(t, "key", "rewrap", "--data", e.dir)
	if code != 0 || !strings.Contains(out, "re-wrapped 0 of 0") {
		t.Errorf("second rewrap: %d %q; want nothing to do", code, out)
	}
	counts, err := e.app.KeyCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.KeyID != fresh {
			t.Errorf("after rewrap, %d %s keys under %s", c.N, c.Column, c.KeyID)
		}
	}

	code, out, _ = admin(t, "key", "status", "--data", e.dir)
	if code != 0 || !strings.Contains(out, old+": nothing\n") || strings.Contains(out, "MISSING") {
		t.Errorf("key status after rewrap: %d %q", code, out)
	}
	code, out, errs = admin(t, "key", "retire", "--data", e.dir, old)
	if code != 0 {
		t.Fatalf("retire after rewrap: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "keys", old+".key")); !os.IsNotExist(err) {
		t.Errorf("the retired key file is still there: %v", err)
	}
	waitFor(t, "the running node drops the retired key", func() bool { return !slices.Contains(e.app.Keys.IDs(), old) })

	// The old deposit still downloads, whole and the same; the purged one
	// was no obstacle.
	resp, body := e.do("GET", filePath(d1, f1), e.lawyer, nil)
	if resp.StatusCode != http.StatusOK || sha256.Sum256(body) != want {
		t.Errorf("old deposit after retire: %d, %d bytes", resp.StatusCode, len(body))
	}
	var seen api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d1.ID, e.lawyer, nil, 200, &seen)
	if len(seen.Files) != 2 {
		t.Errorf("old deposit after retire: %+v", seen)
	}
	if rec, _ := e.app.Meta.Deposit(ctx, purged.ID); !rec.Key.IsZero() {
		t.Errorf("purged deposit has a key again: %+v", rec.Key)
	}

	got := keyEvents(t, e.app)
	wantEv := []string{
		"key.rotated " + fresh,
		"key.rewrap start to=" + fresh,
		"key.rewrap interrupted to=" + fresh + " rewrapped=1",
		"key.rewrap start to=" + fresh,
		"key.rewrap done to=" + fresh,
		"key.rewrap start to=" + fresh + " stale=0",
		"key.rewrap done to=" + fresh + " rewrapped=0 changed=0 failed=0 left=0",
		"key.retired " + old,
	}
	if len(got) != len(wantEv) {
		t.Fatalf("key events:\n%s\nwant %d", strings.Join(got, "\n"), len(wantEv))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantEv[i]) {
			t.Errorf("key event %d = %q, want %q…", i, got[i], wantEv[i])
		}
	}
}

// serving runs fn while a recipient downloads file f of deposit d over and
// over, and fails the test if a download fails or differs.
func (e *env) serving(d api.Deposit, f api.File, want [32]byte, fn func()) {
	e.t.Helper()
	stop := make(chan struct{})
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if !downloads(e.url+filePath(d, f), e.lawyer, want) {
				failed.Add(1)
			}
			served.Add(1)
		}
	})
	fn()
	waitFor(e.t, "downloads", func() bool { return served.Load() >= 3 })
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		e.t.Errorf("%d of %d downloads failed meanwhile", failed.Load(), served.Load())
	}
}

// downloads reports whether GET url with token answers 200 with content
// of SHA-256 want.
func downloads(url, token string, want [32]byte) bool {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return false
	}
	return resp.StatusCode == http.StatusOK && [32]byte(h.Sum(nil)) == want
}

// TestMissingKEKOnNode runs a second node on the same database and blobs
// but its own key directory, as a cluster node the new key was not copied
// to yet: what needs the key is refused as unavailable, saying so, until
// the key file is copied. (A node with no key-encryption key at all is
// refused at start: TestRefusesNewKeysBesideData.)
func TestMissingKEKOnNode(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(3000, 4)
	d := e.send(map[string][]byte{"pv.pdf": data})
	var logs syncLog
	bDir := t.TempDir()
	if _, err := keyring.Open(filepath.Join(bDir, "keys")); err != nil {
		t.Fatal(err)
	}
	copyJournalKeys(t, e.dir, bDir)
	b := apptest.Start(t, e.clock, func(c *app.Config) {
		c.DataDir = bDir
		c.DB = "sqlite:" + filepath.Join(e.dir, "navette.db")
		c.Blobs = "file://" + filepath.Join(e.dir, "blobs")
		c.KeyringInterval = 5 * time.Millisecond
		c.Logger = logs.logger()
	})
	kek := e.app.Keys.ActiveID()
	url := b.URL()
	get := func() (*http.Response, []byte) {
		e.t.Helper()
		saved := e.url
		e.url = url
		defer func() { e.url = saved }()
		return e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil)
	}
	resp, body := get()
	p := e.problem(resp, body, http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, kek) {
		t.Errorf("problem = %+v, want it to name the missing key %s", p, kek)
	}
	if !strings.Contains(logs.String(), kek) || !strings.Contains(logs.String(), "lacks") {
		t.Errorf("logs = %q, want the missing key named", logs.String())
	}

	raw, err := os.ReadFile(filepath.Join(e.dir, "keys", kek+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Config.DataDir, "keys", kek+".key"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, body = get()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("once the key is copied: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// copyJournalKeys copies the journal's key files of the data directory
// from to the data directory to, as an operator copies them between nodes.
func copyJournalKeys(t *testing.T, from, to string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(from, "keys", "journal-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("journal key files: %q, %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, "keys", filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMissingJournalKeyOnNode: a node started on the platform's database
// with its key-encryption keys but without the journal's keys (not copied
// with the others) is refused once the journal has checkpoints, rather
// than sign with a key of its own; with them copied, it starts.
func TestMissingJournalKeyOnNode(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"pv.pdf": []byte("pdf")})
	e.receiptOf(e.agent, d.ID, "deposited") // a checkpoint is signed
	bDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(bDir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	others, _ := filepath.Glob(filepath.Join(e.dir, "keys", "*"))
	for _, f := range others {
		if strings.HasPrefix(filepath.Base(f), "journal-") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bDir, "keys", filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := app.Config{DataDir: bDir, DB: "sqlite:" + filepath.Join(e.dir, "navette.db"), Blobs: "file://" + filepath.Join(e.dir, "blobs"),
		Addr: "127.0.0.1:0", Clock: e.clock, Logger: e.app.Config.Logger}
	if _, err := app.Listen(cfg); !navette.IsCode(err, navette.EINVALID) || !strings.Contains(err.Error(), "holds no journal signing key") {
		t.Fatalf("start without the journal keys: %v", err)
	}
	if got := journalFiles(t, bDir); len(got) != 0 {
		t.Errorf("the refused start left %q", got)
	}
	copyJournalKeys(t, e.dir, bDir)
	apptest.Start(t, e.clock, func(c *app.Config) { c.DataDir, c.DB, c.Blobs = cfg.DataDir, cfg.DB, cfg.Blobs })
}

// syncLog is a log a node and the test may use at once.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger returns a logger that writes to l.
func (l *syncLog) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// TestKeyRotationOutbox rotates the key-encryption key of a platform whose
// notices go to the local outbox (no --smtp): its messages' keys count in
// "key status", keep the old key from being retired, are re-wrapped by
// "key rewrap", and the messages still open after the old key is retired.
func TestKeyRotationOutbox(t *testing.T) {
	dir := t.TempDir()
	a, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old := a.Keys.ActiveID()
	id := navette.NewID()
	if err := a.Outbox.Send(t.Context(), &notify.Message{ID: id + "@navette.example", NoticeID: id, Subject: "Un dépôt vous attend"}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	if code, out, errs := admin(t, "key", "rotate", "--data", dir); code != 0 {
		t.Fatalf("key rotate: %d %s %s", code, out, errs)
	}
	ago := time.Now().Add(-2 * app.RetireAfter)
	if err := os.Chtimes(filepath.Join(dir, "keys", "active"), ago, ago); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := admin(t, "key", "status", "--data", dir); code != 0 || !strings.Contains(out, old+": mail=1") {
		t.Errorf("key status: %d %q; want the outbox's message under %s", code, out, old)
	}
	if code, _, errs := admin(t, "key", "retire", "--data", dir, old); code != 1 || !strings.Contains(errs, "mail=1") {
		t.Fatalf("retire before rewrap: %d %q; want refused for the outbox's message", code, errs)
	}
	if code, out, errs := admin(t, "key", "rewrap", "--data", dir); code != 0 || !strings.Contains(out, "re-wrapped 1 of 1") || !strings.Contains(out, "0 left") {
		t.Fatalf("rewrap: %d %q %q", code, out, errs)
	}
	if code, out, errs := admin(t, "key", "retire", "--data", dir, old); code != 0 {
		t.Fatalf("retire after rewrap: %d %q %q", code, out, errs)
	}
	b, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if m, err := b.Outbox.Get(id); err != nil || m.Subject != "Un dépôt vous attend" {
		t.Errorf("the outbox's message after the old key's retirement: %+v, %v", m, err)
	}
}

// TestRefusesNewKeysBesideData: a node started without the platform's key
// directory (not yet copied, or not restored) beside a database that holds
// keys refuses to start, says why, and makes no key there; once the
// directory is back, it starts.
func TestRefusesNewKeysBesideData(t *testing.T) {
	e := newEnv(t)
	e.createDeposit(e.agent, lawyerEmail)
	keys := filepath.Join(e.dir, "keys")
	if err := os.Rename(keys, keys+".away"); err != nil {
		t.Fatal(err)
	}
	cfg := e.app.Config
	_, err := app.Open(cfg)
	if !navette.IsCode(err, navette.EINVALID) || !strings.Contains(err.Error(), "holds no key-encryption key") {
		t.Fatalf("opening without the key directory: %v", err)
	}
	if _, err := os.Stat(keys); !os.IsNotExist(err) {
		t.Errorf("the refused start made %s: %v", keys, err)
	}
	if err := os.Rename(keys+".away", keys); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(cfg)
	if err != nil {
		t.Fatalf("opening with the key directory back: %v", err)
	}
	a.Close()
}

// navetteVerify runs "navette verify --key KEYFILE RECEIPTFILE" on a
// receipt and a key list and returns its exit status and error output.
func navetteVerify(t *testing.T, rec, keys []byte) (int, string) {
	t.Helper()
	dir := t.TempDir()
	rf, kf := filepath.Join(dir, "receipt.json"), filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(rf, rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, keys, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		IsTerminal: func(io.Writer) bool { return false }, Context: t.Context()}
	code := cli.Main([]string{"verify", "--lang", "en", "--key", kf, rf}, env)
	return code, errb.String()
}

// journalFiles lists the journal-* files of the key directory of dir.
func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "keys", "journal-*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// stolenJournalKey returns the active journal signer key of the data
// directory dir, as a copy of the directory (a backup, a node's disk)
// holds it.
func stolenJournalKey(t *testing.T, dir string) string {
	t.Helper()
	active, err := os.ReadFile(filepath.Join(dir, "keys", "journal-active"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "keys", "journal-"+strings.TrimSpace(string(active))+".ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestJournalKeyOriginChange: a node whose --public-url changed does not
// start (one line saying how to keep the name or rotate to the new one),
// leaving keys, journal and published keys as they were; with
// --journal-origin it goes on with its key; a deliberate rotation to the
// new name is journaled with the old key's retirement, and receipts issued
// before verify with navette verify and the published list after.
func TestJournalKeyOriginChange(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.PublicURL = "https://navette.example" })
	d := e.send(map[string][]byte{"pv.pdf": []byte("pdf")})
	_, url := e.receiptOf(e.agent, d.ID, "deposited")
	_, rec := e.verifyReceipt(e.agent, url)
	_, published := e.do("GET", api.PathJournalKeys, "", nil)
	files := journalFiles(t, e.dir)
	const oldName, newName = "navette.example/navette-journal", "autre.example/navette-journal"

	_, err := app.Listen(app.Config{DataDir: e.dir, Addr: "127.0.0.1:0", Clock: e.clock, PublicURL: "https://autre.example", Logger: e.app.Config.Logger})
	if !navette.IsCode(err, navette.EINVALID) || !strings.Contains(err.Error(), "--journal-origin "+oldName) ||
		!strings.Contains(err.Error(), "navette admin journal key rotate --data "+e.dir+" --origin "+newName) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("start with another --public-url: %v", err)
	}
	if got := journalFiles(t, e.dir); strings.Join(got, " ") != strings.Join(files, " ") {
		t.Errorf("key files after the refused start: %q, want %q", got, files)
	}
	if got := keyEvents(t, e.app); len(got) != 0 {
		t.Errorf("key events after the refused start: %q", got)
	}

	kept := apptest.Start(t, e.clock, func(c *app.Config) {
		c.DataDir, c.PublicURL, c.JournalOrigin = e.dir, "https://autre.example", oldName
	})
	if got, _ := httpGet(kept.URL() + api.PathJournalKeys); got != string(published) {
		t.Errorf("published with --journal-origin: %q, want %q", got, published)
	}

	code, out, errs := admin(t, "journal", "key", "rotate", "--data", e.dir, "--origin", newName)
	if code != 0 || !strings.HasPrefix(out, newName+"+") {
		t.Fatalf("rotate --origin: %d %q %q", code, out, errs)
	}
	evs := keyEvents(t, e.app)
	oldHash := strings.Split(strings.TrimSpace(string(published)), "+")[1]
	if len(evs) != 1 || !strings.HasPrefix(evs[0], "key.rotated journal "+strings.TrimSpace(out)+" retired "+oldHash+" at ") {
		t.Errorf("key events after the rotation: %q", evs)
	}
	n2 := apptest.Start(t, e.clock, func(c *app.Config) {
		c.DataDir, c.PublicURL = e.dir, "https://autre.example"
	})
	after, err := httpGet(n2.URL() + api.PathJournalKeys)
	if err != nil || !strings.Contains(after, strings.TrimSpace(string(published))+"\n# retired "+oldName+"+"+oldHash+" ") {
		t.Errorf("published after the rotation: %q, %v", after, err)
	}
	if code, errs := navetteVerify(t, rec, []byte(after)); code != 0 {
		t.Errorf("a receipt issued before the rotation, with the list published after: %d %s", code, errs)
	}
	d2 := e.send(map[string][]byte{"pv2.pdf": []byte("pdf")})
	_, url = e.receiptOf(e.agent, d2.ID, "deposited")
	if _, rec2 := e.verifyReceipt(e.agent, url); !strings.Contains(string(rec2), newName) {
		t.Errorf("a receipt issued after the rotation is not signed under %s", newName)
	}
}

// TestJournalKeyFirstStartNamed: a key an operator command made before the
// first start (named localhost/navette-journal) signed nothing: the first
// start with a --public-url replaces it, and journals it.
func TestJournalKeyFirstStartNamed(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := admin(t, "journal", "key", "--data", dir)
	if code != 0 || !strings.HasPrefix(out, "localhost/navette-journal+") {
		t.Fatalf("journal key: %d %q %q", code, out, errs)
	}
	a := apptest.Start(t, navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), func(c *app.Config) {
		c.DataDir, c.PublicURL = dir, "https://navette.example"
	})
	if a.JournalKeys.Name() != "navette.example/navette-journal" {
		t.Errorf("key named %q", a.JournalKeys.Name())
	}
	if evs := keyEvents(t, a); len(evs) != 1 || !strings.Contains(evs[0], " retired "+strings.Split(out, "+")[1]+" at ") {
		t.Errorf("key events: %q", evs)
	}
}

// TestRetiredJournalKeyForgery: whoever copied the journal's signing key
// before a rotation signs a checkpoint of a forged tree larger than the
// journal at the retirement; navette verify, given the published list,
// refuses it, while it accepts genuine receipts signed before. The retired
// signer key is gone from the key directory.
func TestRetiredJournalKeyForgery(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"pv.pdf": []byte("pdf")})
	_, url := e.receiptOf(e.agent, d.ID, "deposited")
	_, genuine := e.verifyReceipt(e.agent, url)
	stolen := stolenJournalKey(t, e.dir)
	if code, out, errs := admin(t, "journal", "key", "rotate", "--data", e.dir); code != 0 {
		t.Fatalf("rotate: %d %s %s", code, out, errs)
	}
	for _, f := range journalFiles(t, e.dir) {
		if strings.HasSuffix(f, ".ed25519") && f == "journal-"+strings.Split(stolen, "+")[3]+".ed25519" {
			t.Errorf("the retired signer key %s is still on disk", f)
		}
	}
	size, err := e.app.Meta.TreeSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	forged := receipttest.NewLog(t, "x")
	forged.SignWith(stolen)
	var last int64
	for i := int64(0); i < size+5; i++ {
		last = forged.AddDownload("dep"+strconv.FormatInt(i, 10), "file1", "faux.pdf", []byte("forged"))
	}
	rec := receipttest.JSON(t, forged.Receipt(last, nil, false))
	_, keys := e.do("GET", api.PathJournalKeys, "", nil)
	code, errs := navetteVerify(t, rec, keys)
	if code == 0 || !strings.Contains(errs, "retired when the journal had") {
		t.Errorf("a forged receipt under the retired key: exit %d %q; want refused", code, errs)
	}
	if code, errs := navetteVerify(t, genuine, keys); code != 0 {
		t.Errorf("a genuine receipt signed before the rotation: exit %d %q", code, errs)
	}
}

// httpGet returns the body of a GET of url.
func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
