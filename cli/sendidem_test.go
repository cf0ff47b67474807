package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"navette/api"
	"navette/internal/testproxy"
)

// A send whose creation's answer is lost on its way back retries the
// creation with the same idempotency key and gets the draft the server
// made: one deposit is sent, none left as a stray draft.
func TestSendCreationAnswerLost(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir, cache := t.TempDir(), t.TempDir()
	a := writeFile(t, dir, "pieces.pdf", randomBytes(10_000, 31))
	p := e.proxy()
	vars := varsAt(p.URL(), e.agent)
	vars["XDG_CACHE_HOME"] = cache
	f := p.Cut(testproxy.Downstream, 12, 1) // the creation's answer, after "HTTP/1.1 201"
	r := runCLI(t, vars, false, "send", "--to", lawyer, "--ref", "RG 26/051", a)
	if r.code != 0 {
		t.Fatalf("send: %+v", r)
	}
	<-f.Done()
	posts := p.Requests("POST", api.PathDeposits)
	if len(posts) != 2 {
		t.Fatalf("creations sent: got %d, want 2 (the first, whose answer was cut, and its retry)", len(posts))
	}
	k1, k2 := posts[0].Header.Get(api.HeaderIdempotencyKey), posts[1].Header.Get(api.HeaderIdempotencyKey)
	if k1 == "" || k1 != k2 {
		t.Errorf("Idempotency-Key: got %q then %q, want one key twice", k1, k2)
	}
	l, err := e.client(e.agent).List(context.Background(), "sent", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Deposits) != 1 || l.Deposits[0].ID != lastLine(r.stdout) || l.Deposits[0].State != "available" {
		t.Errorf("deposits sent: got %+v, want the one the send printed, %q", l.Deposits, lastLine(r.stdout))
	}
}

// A send run again after one whose creation's answer never came back (the
// command killed meanwhile) sends the creation again with the key its
// state kept, and goes on with the draft the server made.
func TestSendAgainAfterCreationLost(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir, cache := t.TempDir(), t.TempDir()
	a := writeFile(t, dir, "pieces.pdf", randomBytes(10_000, 32))
	files, err := checkLocalFiles([]string{a})
	if err != nil {
		t.Fatal(err)
	}
	in := api.CreateDeposit{Recipients: []string{lawyer}, Reference: "RG 26/052"}
	c := e.client(e.agent)
	// What the killed run left: its state holding only the key, and the
	// draft the server made with it.
	const key = "kept-before-the-request"
	draft, err := c.CreateDepositOnce(context.Background(), in, key)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(cache, "navette", "send", sendKey(c.ServerURL(), e.agent, in, files)+".json")
	if err := os.MkdirAll(filepath.Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, []byte(`{"idempotency_key":"`+key+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := e.vars(e.agent)
	vars["XDG_CACHE_HOME"] = cache
	r := runCLI(t, vars, false, "send", "--to", lawyer, "--ref", "RG 26/052", a)
	if r.code != 0 || lastLine(r.stdout) != draft.ID {
		t.Fatalf("send again: got %+v, want the draft %s sent", r, draft.ID)
	}
	if n := sentCount(t, e); n != 1 {
		t.Errorf("%d deposits, want 1", n)
	}
}
