package cli

import (
	"context"
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
