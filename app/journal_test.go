package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/internal/testtsa"
	"navette/proof"
	"navette/tsa"
)

// lockedBuffer is a log destination the node and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJournalHeadLogged: every hour the node writes the journal's head to
// its log, a checkpoint kept outside the database that VerifyJournal
// accepts.
func TestJournalHeadLogged(t *testing.T) {
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	var logs lockedBuffer
	a := apptest.Start(t, clock, func(c *app.Config) {
		c.SweepInterval = 5 * time.Millisecond
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	apptest.User(t, a, "greffe@justice.example", "Greffe", navette.RoleAgent)
	clock.Advance(time.Hour)
	head, err := a.Meta.JournalHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("checkpoint=%d:%x", head.Seq, head.Hash)
	waitFor(t, "the journal's head in the log", func() bool { return strings.Contains(logs.String(), want) })
	if _, err := navette.VerifyJournal(t.Context(), a.Meta, head); err != nil {
		t.Errorf("VerifyJournal with the logged checkpoint: %v", err)
	}
}

// flakyStamper fails while down, a time-stamping authority that is out of
// reach, which a real one cannot be made into on demand, and passes
// queries to a real one (up) otherwise.
type flakyStamper struct {
	up   proof.Stamper
	mu   sync.Mutex
	down bool
}

func (s *flakyStamper) Stamp(ctx context.Context, digest []byte) ([]byte, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, errors.New("dial tcp 192.0.2.1:80: connection refused")
	}
	return s.up.Stamp(ctx, digest)
}

// TestJournalProofs: the signed checkpoint and the keys are public and
// verify together; auditors get inclusion and consistency proofs that
// verify against it, others are refused; bad parameters are a problem;
// /readyz tells when the time-stamping authority fails, and stays ready.
func TestJournalProofs(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	up, err := tsa.New(tsa.Config{URL: ts.URL(), CAFile: ts.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	st := &flakyStamper{up: up, down: true}
	e := newEnv(t, func(c *app.Config) {
		c.Stamper = st
		c.CheckpointInterval = 10 * time.Millisecond
		c.PublicURL = "https://navette.justice.example"
	})
	auditor := e.user("audit@justice.example", "Audit", navette.RoleAuditor)
	resp, note := e.do("GET", api.PathJournalCheckpoint, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(string(note), "navette.justice.example/navette-journal\n") {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, note)
	}
	resp, keys := e.do("GET", api.PathJournalKeys, "", nil)
	if resp.StatusCode != 200 || strings.Count(string(keys), "\n") != 1 {
		t.Fatalf("keys: %d %s", resp.StatusCode, keys)
	}
	size, root, err := proof.OpenCheckpoint(note, strings.Fields(string(keys)))
	if err != nil || size < 1 {
		t.Fatalf("the checkpoint does not verify with the published keys: %d, %v", size, err)
	}

	ev, err := e.app.Meta.EventByLeaf(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var p api.Proof
	e.doJSON("GET", fmt.Sprintf("%s?index=0&size=%d", api.PathJournalProof, size), auditor, nil, 200, &p)
	if err := tlog.CheckRecord(hashes(t, p), size, root, 0, tlog.RecordHash(navette.EventLeaf(ev))); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	e.user("autre.audit@justice.example", "Audit 2", navette.RoleAuditor)
	c, err := e.app.Checkpointer.Checkpoint(t.Context())
	if err != nil || c.Size <= size {
		t.Fatalf("Checkpoint = %+v, %v", c, err)
	}
	e.doJSON("GET", fmt.Sprintf("%s?from=%d&to=%d", api.PathJournalConsistency, size, c.Size), auditor, nil, 200, &p)
	if err := tlog.CheckTree(hashes(t, p), c.Size, c.Root, size, root); err != nil {
		t.Errorf("consistency proof: %v", err)
	}
	for _, q := range []string{"?index=1", "?index=-1&size=2", "?index=x&size=2", "?index=5&size=5", fmt.Sprintf("?index=0&size=%d", c.Size+1)} {
		resp, b := e.do("GET", api.PathJournalProof+q, auditor, nil)
		e.problem(resp, b, 422)
	}
	resp, b := e.do("GET", api.PathJournalConsistency+"?from=2&to=1", auditor, nil)
	e.problem(resp, b, 422)
	resp, b = e.do("GET", api.PathJournalProof+"?index=0&size=1", e.lawyer, nil)
	e.problem(resp, b, 403)

	ready := func() map[string]any {
		var out struct {
			Status  string
			Journal map[string]any
		}
		e.doJSON("GET", "/readyz", "", nil, 200, &out)
		if out.Status != "ready" || out.Journal == nil {
			t.Fatalf("readyz: %+v", out)
		}
		return out.Journal
	}
	if j := ready(); j["time_source"] != "tsa" || !strings.Contains(fmt.Sprint(j["problem"]), "time-stamping authority") ||
		strings.Contains(fmt.Sprint(j["problem"]), "192.0.2.1") {
		t.Errorf("readyz with the authority down: %v", j)
	}
	st.mu.Lock()
	st.down = false
	st.mu.Unlock()
	e.clock.Advance(time.Hour) // past the retry delay
	waitFor(t, "checkpoints stamped", func() bool {
		cps, err := e.app.Meta.Checkpoints(t.Context(), navette.CheckpointFilter{Unstamped: true})
		return err == nil && len(cps) == 0
	})
	waitFor(t, "readyz without problem", func() bool { _, bad := ready()["problem"]; return !bad })
	if rep, err := proof.Verify(t.Context(), e.app.Meta, e.app.JournalKeys.Verifiers(), ts.Roots()); err != nil || rep.Tokens == 0 {
		t.Errorf("the journal with its stamped checkpoints: %+v, %v", rep, err)
	}
}

func hashes(t *testing.T, p api.Proof) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(p.Hashes))
	for i, s := range p.Hashes {
		h, err := tlog.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}

// TestTSAStampsCheckpoints runs --tsa against a real RFC 3161 responder
// on 127.0.0.1: checkpoints are stamped, a TSA outage leaves new ones
// unstamped without stopping the journal, and they are stamped once it
// returns.
func TestTSAStampsCheckpoints(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	e := newEnv(t, func(c *app.Config) { c.TSA, c.TSACA = ts.URL(), ts.CAFile() })
	ctx := t.Context()
	cp := e.app.Checkpointer
	stamped := func(c *navette.Checkpoint) {
		t.Helper()
		got, err := e.app.Meta.Checkpoints(ctx, navette.CheckpointFilter{MinSize: c.Size, Limit: 1})
		if err != nil || len(got) == 0 || got[0].Size != c.Size {
			t.Fatalf("checkpoint of %d leaves not stored: %v", c.Size, err)
		}
		sum := sha256.Sum256(got[0].Note)
		st, err := tsa.Verify(got[0].Token, sum[:], ts.Roots())
		if err != nil {
			t.Fatalf("checkpoint of %d leaves: token does not verify: %v", c.Size, err)
		}
		if !st.Chained {
			t.Errorf("token not checked against the TSA's CA")
		}
	}

	c1, err := cp.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.StampPending(ctx); err != nil {
		t.Fatalf("StampPending: %v", err)
	}
	stamped(c1)

	ts.Stop()
	e.user("tsa.down@justice.fr", "Pendant la panne", navette.RoleAgent)
	c2, err := cp.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("a checkpoint while the TSA is down: %v", err)
	}
	if c2.Size <= c1.Size {
		t.Fatalf("tree did not grow: %d then %d", c1.Size, c2.Size)
	}
	if err := cp.StampPending(ctx); err == nil {
		t.Fatal("StampPending succeeded with the TSA stopped")
	}
	pending, err := e.app.Meta.Checkpoints(ctx, navette.CheckpointFilter{Unstamped: true, Limit: 10})
	if err != nil || len(pending) == 0 {
		t.Fatalf("no unstamped checkpoint during the outage: %v", err)
	}

	if err := ts.Start(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour) // past any backoff
	if err := cp.StampPending(ctx); err != nil {
		t.Fatalf("StampPending after the TSA returned: %v", err)
	}
	stamped(c2)
}

// TestTSARefused: a --tsa that is not an http(s) URL, or a --tsa-ca that
// is missing or holds no certificate, with --tsa or without, is refused at
// start.
func TestTSARefused(t *testing.T) {
	_, err := app.Open(app.Config{DataDir: t.TempDir(), TSA: "ftp://tsa.example/"})
	if !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("Open with an ftp TSA = %v, want EINVALID", err)
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ca := range []string{filepath.Join(t.TempDir(), "missing.pem"), notPEM} {
		for _, url := range []string{"https://tsa.example/", ""} {
			a, err := app.Open(app.Config{DataDir: t.TempDir(), TSA: url, TSACA: ca})
			if !navette.IsCode(err, navette.EINVALID) {
				t.Errorf("Open with --tsa %q --tsa-ca %s = %v, want EINVALID", url, ca, err)
			}
			if err == nil {
				a.Close()
			}
		}
	}
}

// TestTSAAttestationStatesTheRoot: with --tsa and --tsa-ca, a receipt's PDF
// attestation says the authority's certificate was verified against a
// trusted root; with --tsa alone, that only the token's signature was.
// --tsa-ca without --tsa checks the tokens stamped already (here by a
// stamper given to the node, which knows no roots) all the same.
func TestTSAAttestationStatesTheRoot(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	noRoots, err := tsa.New(tsa.Config{URL: ts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	verified := "Certificat vérifié auprès d'une autorité de certification de confiance"
	for _, tc := range []struct {
		name, want string
		tweak      func(*app.Config)
	}{
		{"with --tsa-ca", verified, func(c *app.Config) { c.TSA, c.TSACA = ts.URL(), ts.CAFile() }},
		{"without --tsa-ca", "Certificat signature vérifiée ; certificat non rapproché d'une autorité de certification",
			func(c *app.Config) { c.TSA = ts.URL() }},
		{"--tsa-ca without --tsa", verified, func(c *app.Config) { c.Stamper, c.TSACA = noRoots, ts.CAFile() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.tweak)
			d := e.send(map[string][]byte{"pv.pdf": randomBytes(100, 3)})
			e.waitNoticesSent(d.ID) // the journal's last events
			if _, err := e.app.Checkpointer.Checkpoint(t.Context()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "checkpoints stamped", func() bool {
				if err := e.app.Checkpointer.StampPending(t.Context()); err != nil {
					t.Fatal(err)
				}
				cps, err := e.app.Meta.Checkpoints(t.Context(), navette.CheckpointFilter{Unstamped: true})
				return err == nil && len(cps) == 0
			})
			text := strings.Join(strings.Fields(pdfText(t, e.get(e.agent, e.receipts(e.agent, d.ID)[0].URL+"?format=pdf"))), " ")
			if !strings.Contains(text, "Autorité CN="+testtsa.Name) || !strings.Contains(text, tc.want) {
				t.Errorf("the attestation does not say %q:\n%s", tc.want, text)
			}
		})
	}
}
