package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"navette"
	"navette/app"
	"navette/internal/testtsa"
	"navette/tsa"
)

// TestAdminJournalVerify: the command accepts an intact journal and prints
// its tree and its chain's head, accepts that head or a signed checkpoint
// saved earlier as a checkpoint later, and refuses, in one line with a
// non-zero exit, a journal altered behind the store's back (naming the
// leaf), a checkpoint it does not reach, or a malformed checkpoint.
func TestAdminJournalVerify(t *testing.T) {
	dir := t.TempDir()
	journalTwoEvents(t, dir)
	r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "journal intact: 2 events\ntree 2 leaves, root ") || !strings.Contains(r.stdout, "\nno signed checkpoint yet") {
		t.Fatalf("verify: %+v", r)
	}
	head := strings.TrimPrefix(strings.TrimSpace(strings.Split(r.stdout, "\n")[3]), "head ")

	// A checkpoint signed now, as the server does, and saved by an auditor.
	saved, _ := saveCheckpoint(t, dir)

	if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-files", "7"); r.code != 0 {
		t.Fatalf("settings: %+v", r)
	}
	r = runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--checkpoint", head)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "journal intact: 3 events, checkpoint 2 holds\ntree 3 leaves") || !strings.Contains(r.stdout, "\n1 signed checkpoints hold, the latest of 2 leaves\nhead 3:") {
		t.Fatalf("verify with a checkpoint: %+v", r)
	}
	r = runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--checkpoint", saved)
	if r.code != 0 || !strings.Contains(r.stdout, "the latest of 2 leaves, and the one given\n") {
		t.Fatalf("verify with a saved checkpoint: %+v", r)
	}
	if r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--checkpoint", "2:zz"); r.code != 2 || !strings.Contains(r.stderr, "--checkpoint is SEQ:HASH") {
		t.Errorf("bad checkpoint: %+v", r)
	}
	_, vkey, err := note.GenerateKey(rand.Reader, "localhost/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(other, []byte(vkey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--keys", other); r.code != 1 || !strings.Contains(r.stderr, "does not verify") {
		t.Errorf("verify with other keys: %+v", r)
	}
	// --keys reads a key file as navette verify does: comments and blank
	// lines skipped, a malformed line refused in one line.
	own := strings.TrimSpace(runCLI(t, nil, false, "admin", "journal", "key", "--data", dir).stdout)
	for _, tc := range []struct {
		text string
		code int
	}{
		{"# the journal's key, as published\n\n" + own + "\n", 0},
		{own + "\nnot a key\n", 2},
	} {
		file := filepath.Join(t.TempDir(), "keys")
		if err := os.WriteFile(file, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--keys", file)
		if r.code != tc.code || tc.code != 0 && strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("verify with the key file %q: %+v", tc.text, r)
		}
	}

	raw, err := sql.Open("sqlite", filepath.Join(dir, "navette.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER events_no_update; UPDATE events SET detail = replace(detail, 'max_retention_days=20', 'max_retention_days=200') WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "broken at leaf 0:") {
		t.Errorf("altered journal: %+v", r)
	}
}

// TestAdminJournalKey: the command prints the verifier key, and rotate
// makes a new one, after which both are published; the rotation's event
// names the retired key and the tree size then (0: nothing journaled).
func TestAdminJournalKey(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, false, "admin", "journal", "key", "--data", dir)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "localhost/navette-journal+") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("key: %+v", r)
	}
	first := strings.TrimSpace(r.stdout)
	r = runCLI(t, nil, false, "admin", "journal", "key", "rotate", "--data", dir)
	second := strings.TrimSpace(r.stdout)
	if r.code != 0 || second == first || !strings.HasPrefix(second, "localhost/navette-journal+") {
		t.Fatalf("rotate: %+v", r)
	}
	if r := runCLI(t, nil, false, "admin", "journal", "key", "--data", dir); strings.TrimSpace(r.stdout) != second {
		t.Errorf("key after rotation: %+v", r)
	}
	a, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if ks := strings.Join(a.JournalKeys.Verifiers(), "\n"); !strings.Contains(ks, first) || !strings.Contains(ks, second) {
		t.Errorf("published keys after rotation: %s", ks)
	}
	// The rotation is the local operator's act, journaled as such.
	evs, err := a.Meta.Events(t.Context(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var rotated []navette.Event
	for _, e := range evs {
		if e.Type == navette.EventKeyRotated {
			rotated = append(rotated, e)
		}
	}
	if len(rotated) != 1 || rotated[0].ActorID != navette.LocalOperator || rotated[0].Detail != navette.CleanDetail("journal "+second+" retired "+strings.Split(first, "+")[1]+" at 0") {
		t.Errorf("journal of the rotation: %+v", rotated)
	}
}

// TestAdminJournalVerifyFindsAHiddenEvent: the last event, altered and
// given a sequence number that reading the journal in order skips, is
// found, whether or not the checkpoint covering it is given; before, the
// command said the journal and the checkpoint given held.
func TestAdminJournalVerifyFindsAHiddenEvent(t *testing.T) {
	dir := t.TempDir()
	journalTwoEvents(t, dir)
	saved, size := saveCheckpoint(t, dir)
	raw, err := sql.Open("sqlite", filepath.Join(dir, "navette.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER events_no_update; UPDATE events SET seq = 0, detail = replace(detail, '=25 ', '=2500 ') WHERE leaf = ?`, size-1); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("broken at leaf %d:", size-1)
	for _, args := range [][]string{{}, {"--checkpoint", saved}} {
		r := runCLI(t, nil, false, append([]string{"admin", "journal", "verify", "--data", dir}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("verify %v of a journal whose last event is hidden: %+v", args, r)
		}
	}
}

// journalTwoEvents journals two events on the platform in dir: two
// changes of its settings.
func journalTwoEvents(t *testing.T, dir string) {
	t.Helper()
	for _, days := range []string{"20", "25"} {
		if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-retention", days); r.code != 0 {
			t.Fatalf("settings: %+v", r)
		}
	}
}

// saveCheckpoint signs a checkpoint of the journal in dir now, as the
// server does, and saves it to a file, as an auditor would; it returns
// the file's path and the size of the tree it signs.
func saveCheckpoint(t *testing.T, dir string) (string, int64) {
	t.Helper()
	a, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := a.Checkpointer.Checkpoint(context.Background())
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "checkpoint")
	if err := os.WriteFile(saved, cp.Note, 0o600); err != nil {
		t.Fatal(err)
	}
	return saved, cp.Size
}

// TestAdminJournalVerifyTokens: the command checks the time-stamp token
// stored beside each checkpoint as navette verify checks a receipt's, and
// says whether the authority was checked against the roots of --tsa-ca; a
// token swapped in the database (another checkpoint's, garbage, or one of
// an authority that does not chain to the roots given) fails in one line
// naming the checkpoint and why.
func TestAdminJournalVerifyTokens(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	other := testtsa.Start(t, testtsa.Options{})
	dir := t.TempDir()
	journalTwoEvents(t, dir)
	first := stampCheckpoint(t, dir, ts)
	if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-files", "7"); r.code != 0 {
		t.Fatalf("settings: %+v", r)
	}
	latest := stampCheckpoint(t, dir, ts)
	verify := func(args ...string) run {
		return runCLI(t, nil, false, append([]string{"admin", "journal", "verify", "--data", dir}, args...)...)
	}
	const (
		rooted   = "2 time-stamp tokens hold, each over its checkpoint, signed by an authority that chains to the roots of --tsa-ca\nhead "
		unrooted = "2 time-stamp tokens hold, each over its checkpoint; their authority was not checked against a trusted root (give its roots with --tsa-ca)\nhead "
	)
	if r := verify("--tsa-ca", ts.CAFile()); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("the latest of %d leaves\n%s", latest.Size, rooted)) {
		t.Errorf("verify --tsa-ca of genuine tokens: %+v", r)
	}
	if r := verify(); r.code != 0 || !strings.Contains(r.stdout, unrooted) {
		t.Errorf("verify of genuine tokens: %+v", r)
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.pem"), writeFile(t, t.TempDir(), "empty.pem", []byte("no certificate\n"))} {
		if r := verify("--tsa-ca", bad); r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "--tsa-ca") {
			t.Errorf("verify --tsa-ca %s: %+v", bad, r)
		}
	}

	raw, err := sql.Open("sqlite", filepath.Join(dir, "navette.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER journal_checkpoints_no_update`); err != nil {
		t.Fatal(err)
	}
	setToken := func(token []byte) {
		t.Helper()
		if _, err := raw.Exec(`UPDATE journal_checkpoints SET token = ? WHERE size = ?`, token, latest.Size); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(latest.Note)
	foreign, err := tsaClient(t, other).Stamp(t.Context(), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	refused := func(r run, reason string) bool {
		want := fmt.Sprintf("checkpoint of %d leaves: the time-stamp token is invalid: %s", latest.Size, reason)
		return r.code == 1 && strings.Count(r.stderr, "\n") == 1 && strings.Contains(r.stderr, want) && r.stdout == ""
	}

	setToken(foreign)
	if r := verify("--tsa-ca", ts.CAFile()); !refused(r, "the TSA certificate does not chain to a trusted root") {
		t.Errorf("verify --tsa-ca of another authority's token: %+v", r)
	}
	if r := verify(); r.code != 0 || !strings.Contains(r.stdout, unrooted) {
		t.Errorf("verify without --tsa-ca of another authority's token: %+v", r)
	}
	setToken(first.Token)
	for _, args := range [][]string{{}, {"--tsa-ca", ts.CAFile()}} {
		if r := verify(args...); !refused(r, "it does not time-stamp this checkpoint") {
			t.Errorf("verify %v of the first checkpoint's token moved to the latest: %+v", args, r)
		}
	}
	setToken([]byte("not a token"))
	if r := verify(); !refused(r, "not a DER CMS structure") {
		t.Errorf("verify of a garbage token: %+v", r)
	}
}

// stampCheckpoint signs a checkpoint of the journal in dir now and has ts
// time-stamp it, as a server run with --tsa and --tsa-ca does; it returns
// the checkpoint as stored, with its token.
func stampCheckpoint(t *testing.T, dir string, ts *testtsa.Server) *navette.Checkpoint {
	t.Helper()
	a, err := app.Open(app.Config{DataDir: dir, TSA: ts.URL(), TSACA: ts.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cp, err := a.Checkpointer.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Checkpointer.StampPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	cps, err := a.Meta.Checkpoints(t.Context(), navette.CheckpointFilter{MinSize: cp.Size, Limit: 1})
	if err != nil || len(cps) != 1 || cps[0].Token == nil {
		t.Fatalf("the checkpoint of %d leaves is not stamped: %+v, %v", cp.Size, cps, err)
	}
	return cps[0]
}

// tsaClient returns a client of the authority ts, as serve --tsa makes
// one.
func tsaClient(t *testing.T, ts *testtsa.Server) *tsa.Client {
	t.Helper()
	c, err := tsa.New(tsa.Config{URL: ts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
