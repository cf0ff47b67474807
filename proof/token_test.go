package proof_test

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"navette"
	"navette/internal/testtsa"
	"navette/proof"
	"navette/tsa"
)

// stampedFixture is a journal of 5 events with checkpoints of 3 and 5
// leaves, each time-stamped by a real authority (ts) as the server has
// them stamped.
func stampedFixture(t *testing.T, ts *testtsa.Server) *fixture {
	t.Helper()
	f := newFixture(t)
	f.cp.Stamper = authority(t, ts)
	f.appendWithClaims(3)
	f.checkpoint(3)
	f.appendWithClaims(2)
	f.checkpoint(5)
	if err := f.cp.StampPending(f.ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// authority returns a client of the time-stamping authority ts, trusting
// its root, as serve --tsa --tsa-ca makes one.
func authority(t *testing.T, ts *testtsa.Server) *tsa.Client {
	t.Helper()
	c, err := tsa.New(tsa.Config{URL: ts.URL(), CAFile: ts.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stored returns the stored checkpoint of size leaves.
func (f *fixture) stored(size int64) *navette.Checkpoint {
	f.t.Helper()
	cps, err := f.s.Checkpoints(f.ctx, navette.CheckpointFilter{MinSize: size, Limit: 1})
	if err != nil || len(cps) != 1 || cps[0].Size != size {
		f.t.Fatalf("checkpoint of %d leaves: %v", size, err)
	}
	return cps[0]
}

// setToken replaces the token stored beside the checkpoint of size leaves,
// behind the store's back.
func (f *fixture) setToken(size int64, token []byte) {
	f.t.Helper()
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	f.execArgs(db, `DROP TRIGGER journal_checkpoints_no_update`)
	f.execArgs(db, `UPDATE journal_checkpoints SET token = ? WHERE size = ?`, token, size)
}

// stamp returns a genuine token of ts over digest.
func stamp(t *testing.T, ts *testtsa.Server, digest []byte) []byte {
	t.Helper()
	token, err := authority(t, ts).Stamp(t.Context(), digest)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestVerifyChecksTokens: Verify checks the time-stamp token stored beside
// each checkpoint as navette verify checks a receipt's: genuine tokens
// hold, against the authority's root when given; a token moved from
// another checkpoint, stamping another platform's checkpoint, garbage, or
// from an authority that does not chain to the roots given is refused,
// naming its checkpoint; a checkpoint without a token stays fine.
func TestVerifyChecksTokens(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	other := testtsa.Start(t, testtsa.Options{}) // another authority, of another root
	genuine := stampedFixture(t, ts)
	for _, c := range []struct {
		roots     bool
		wantRoots bool
	}{{true, true}, {false, false}} {
		roots := ts.Roots()
		if !c.roots {
			roots = nil
		}
		rep, err := proof.Verify(genuine.ctx, genuine.s, genuine.keys.Verifiers(), roots)
		if err != nil || rep.Tokens != 2 || rep.Checkpoints != 2 || rep.TokenRoots != c.wantRoots {
			t.Errorf("Verify of genuine tokens, roots %v = %+v, %v", c.roots, rep, err)
		}
	}
	genuine.appendWithClaims(1)
	genuine.checkpoint(6) // not yet time-stamped
	if rep, err := proof.Verify(genuine.ctx, genuine.s, genuine.keys.Verifiers(), ts.Roots()); err != nil || rep.Tokens != 2 || rep.Checkpoints != 3 {
		t.Errorf("Verify with a checkpoint not time-stamped = %+v, %v", rep, err)
	}

	foreign := newFixture(t)
	foreign.appendWithClaims(5)
	foreignSum := sha256.Sum256(foreign.checkpoint(5).Note)
	for _, tc := range []struct {
		name   string
		token  func(f *fixture) []byte
		roots  bool
		reason string // in the words of navette verify
	}{
		{"the token of the checkpoint of 3 leaves", func(f *fixture) []byte { return f.stored(3).Token }, false,
			"it does not time-stamp this checkpoint"},
		{"a token of another platform's checkpoint of 5 leaves", func(*fixture) []byte { return stamp(t, ts, foreignSum[:]) }, false,
			"it does not time-stamp this checkpoint"},
		{"garbage", func(*fixture) []byte { return []byte("token:garbage") }, false,
			"not a DER CMS structure"},
		{"a genuine token of another authority", func(f *fixture) []byte {
			sum := sha256.Sum256(f.stored(5).Note)
			return stamp(t, other, sum[:])
		}, true, "the TSA certificate does not chain to a trusted root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := stampedFixture(t, ts)
			f.setToken(5, tc.token(f))
			roots := ts.Roots()
			if !tc.roots {
				roots = nil
			}
			rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), roots)
			var bad *proof.BadTokenError
			if !errors.As(err, &bad) || bad.Size != 5 || !strings.Contains(err.Error(), "checkpoint of 5 leaves: the time-stamp token is invalid: "+tc.reason) {
				t.Fatalf("Verify = %+v, %v; want the token of the checkpoint of 5 leaves refused: %s", rep, err, tc.reason)
			}
			if !tc.roots {
				return
			}
			// Without roots, only the token's binding to its checkpoint
			// and its signature are checked: they hold, and the report
			// says the authority was not checked.
			rep, err = proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil)
			if err != nil || rep.Tokens != 2 || rep.TokenRoots {
				t.Errorf("Verify without roots = %+v, %v; want 2 tokens holding, roots not checked", rep, err)
			}
		})
	}
}

// TestVerifyChecksTokenWrittenInPlace: a token written into the row of a
// checkpoint not yet stamped, which the store and its triggers allow, is
// checked as any other.
func TestVerifyChecksTokenWrittenInPlace(t *testing.T) {
	ts := testtsa.Start(t, testtsa.Options{})
	f := stampedFixture(t, ts)
	f.appendWithClaims(1)
	f.checkpoint(6)
	if err := f.s.StampCheckpoint(f.ctx, 6, f.stored(5).Token, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var bad *proof.BadTokenError
	if rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil); !errors.As(err, &bad) || bad.Size != 6 {
		t.Errorf("Verify = %+v, %v; want the token of the checkpoint of 6 leaves refused", rep, err)
	}
}
