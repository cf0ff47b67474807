package proof_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/keyring"
	"navette/proof"
)

// TestVerifyRefusesTamperedDatabase: someone holding the database changes
// the journal behind the store's back, as an intruder or an operator could,
// and "admin journal verify" (proof.Verify) must refuse it, given the
// published keys and a checkpoint an auditor saved earlier. (The journal
// rewritten with its tree is storetest.TestJournalTreeTamper's.)
func TestVerifyRefusesTamperedDatabase(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(f *fixture, db *sql.DB)
	}{
		{"an event's detail altered", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; UPDATE events SET detail = 'forged' WHERE leaf = 2`)
		}},
		{"an event's claims digest altered", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; UPDATE events SET claims = zeroblob(32) WHERE leaf = 1`)
		}},
		{"an event's time altered by a microsecond", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; UPDATE events SET time = time + 1 WHERE leaf = 3`)
		}},
		{"two events' places swapped", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; UPDATE events SET leaf = -1 WHERE leaf = 1;
				UPDATE events SET leaf = 1 WHERE leaf = 2; UPDATE events SET leaf = 2 WHERE leaf = -1`)
		}},
		{"the last event removed with its hashes and checkpoint", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_delete; DROP TRIGGER journal_hashes_no_delete; DROP TRIGGER journal_checkpoints_no_delete;
				DELETE FROM events WHERE leaf = 4; DELETE FROM journal_hashes WHERE idx >= 7; DELETE FROM journal_checkpoints WHERE size = 5`)
		}},
		{"the last event hidden from the replay (seq 0) and altered", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; UPDATE events SET seq = 0, detail = 'forged' WHERE leaf = 4`)
		}},
		{"the last event hidden (negative seq), its checkpoint deleted", func(f *fixture, db *sql.DB) {
			f.exec(db, `DROP TRIGGER events_no_update; DROP TRIGGER journal_checkpoints_no_delete;
				UPDATE events SET seq = -7, detail = 'forged' WHERE leaf = 4; DELETE FROM journal_checkpoints WHERE size = 5`)
		}},
		{"a forged signature line of the journal's key added to a stored checkpoint", func(f *fixture, db *sql.DB) {
			c, err := f.s.LatestCheckpoint(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			f.execArgs(db, `DROP TRIGGER journal_checkpoints_no_update`)
			f.execArgs(db, `UPDATE journal_checkpoints SET note = ? WHERE size = ?`, append(c.Note, forgedLine(t, f.keys)...), c.Size)
		}},
		{"a stored checkpoint re-signed by another key of the same name", func(f *fixture, db *sql.DB) {
			other, err := keyring.OpenJournalKeys(filepath.Join(t.TempDir(), "keys"), origin)
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.s.LatestCheckpoint(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			signed := sign(t, other, proof.FormatCheckpoint(origin, c.Size, c.Root))
			f.execArgs(db, `DROP TRIGGER journal_checkpoints_no_update`)
			f.execArgs(db, `UPDATE journal_checkpoints SET note = ? WHERE size = ?`, signed, c.Size)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.appendWithClaims(3)
			f.checkpoint(3)
			f.appendWithClaims(2)
			saved := f.checkpoint(5)
			if _, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil, saved.Note); err != nil {
				t.Fatalf("untouched journal: %v", err)
			}
			db, err := sql.Open("sqlite", f.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tc.tamper(f, db)
			rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil, saved.Note)
			if !errors.Is(err, proof.ErrTampered) {
				t.Errorf("Verify of the tampered journal = %+v, %v; want ErrTampered", rep, err)
			}
		})
	}
}

// TestVerifyRefusesForeignCheckpoint: a checkpoint given to Verify that is
// not of this journal (signed by an unknown key, or of a tree it does not
// have) is refused, never reported as holding.
func TestVerifyRefusesForeignCheckpoint(t *testing.T) {
	f := newFixture(t)
	f.append(4)
	good := f.checkpoint(4)
	other := newFixture(t)
	other.append(4)
	foreign := other.checkpoint(4)
	wrongRoot := sign(t, f.keys, proof.FormatCheckpoint(origin, 4, tlog.Hash{1}))
	larger := sign(t, f.keys, proof.FormatCheckpoint(origin, 9, good.Root))
	empty := sign(t, f.keys, proof.FormatCheckpoint(origin, 0, tlog.Hash{1}))
	for name, msg := range map[string][]byte{
		"a checkpoint of an empty tree":                              empty,
		"another journal's checkpoint":                               foreign.Note,
		"a checkpoint of another root":                               wrongRoot,
		"a checkpoint of a tree larger than it":                      larger,
		"a checkpoint's body without signature":                      []byte(proof.FormatCheckpoint(origin, 4, good.Root)),
		"a checkpoint with a forged signature line of its key added": append(bytes.Clone(good.Note), forgedLine(t, f.keys)...),
	} {
		if rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil, msg); err == nil {
			t.Errorf("%s: Verify = %+v, want an error", name, rep)
		}
	}
}

// appendWithClaims journals n events that commit to a claims digest.
func (f *fixture) appendWithClaims(n int) {
	f.t.Helper()
	for i := range n {
		sum := tlog.RecordHash([]byte(fmt.Sprint("claims ", i)))
		e := navette.Event{Time: f.clock.Now(), Type: navette.EventAccessDenied, DepositID: "dep1", Detail: fmt.Sprint("event ", i), Claims: sum[:]}
		if err := f.s.AppendEvents(f.ctx, e); err != nil {
			f.t.Fatal(err)
		}
		f.clock.Advance(time.Millisecond)
	}
}

func (f *fixture) exec(db *sql.DB, q string) { f.execArgs(db, q) }

func (f *fixture) execArgs(db *sql.DB, q string, args ...any) {
	f.t.Helper()
	if _, err := db.ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatal(err)
	}
}

// sign signs a checkpoint's body with the journal keys' signer.
func sign(t *testing.T, keys *keyring.JournalKeys, body string) []byte {
	t.Helper()
	s, err := keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: body}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// forgedLine returns a signature line naming the journal's active key,
// whose signature is zeros.
func forgedLine(t *testing.T, keys *keyring.JournalKeys) string {
	t.Helper()
	s, err := keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	sig := binary.BigEndian.AppendUint32(nil, s.KeyHash())
	return "— " + s.Name() + " " + base64.StdEncoding.EncodeToString(append(sig, make([]byte, 64)...)) + "\n"
}

// TestCheckpointerRefusesTamperedRow: while the tree has not grown, the
// checkpoint a receipt gets is the latest stored one; a row altered by
// someone who can write the database but holds no key (its root, or its
// note re-signed by another key, or a valid note of another tree) is never
// handed out (Checkpoint, CheckpointFor, Latest): each is refused as
// inconsistent.
func TestCheckpointerRefusesTamperedRow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(f *fixture, db *sql.DB, c *navette.Checkpoint)
	}{
		{"its root", func(f *fixture, db *sql.DB, c *navette.Checkpoint) {
			f.execArgs(db, `UPDATE journal_checkpoints SET root = zeroblob(32) WHERE size = ?`, c.Size)
		}},
		{"its note re-signed by another key of the same name", func(f *fixture, db *sql.DB, c *navette.Checkpoint) {
			other, err := keyring.OpenJournalKeys(filepath.Join(t.TempDir(), "keys"), origin)
			if err != nil {
				t.Fatal(err)
			}
			f.execArgs(db, `UPDATE journal_checkpoints SET note = ? WHERE size = ?`, sign(t, other, proof.FormatCheckpoint(origin, c.Size, c.Root)), c.Size)
		}},
		{"its note and root those of another tree, signed by the key", func(f *fixture, db *sql.DB, c *navette.Checkpoint) {
			var root tlog.Hash
			root[0] = 1
			note, err := proof.Sign(mustSigner(t, f.keys), c.Size, root)
			if err != nil {
				t.Fatal(err)
			}
			f.execArgs(db, `UPDATE journal_checkpoints SET note = ?, root = ? WHERE size = ?`, note, root[:], c.Size)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.append(3)
			c := f.checkpoint(3)
			if _, err := f.cp.CheckpointFor(f.ctx, 1); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			db, err := sql.Open("sqlite", f.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f.exec(db, `DROP TRIGGER journal_checkpoints_no_update`)
			tc.tamper(f, db, c)
			if cp, err := f.cp.Checkpoint(f.ctx); !errors.Is(err, proof.ErrInconsistent) {
				t.Errorf("Checkpoint = %+v, %v; want ErrInconsistent", cp, err)
			}
			if cp, err := f.cp.CheckpointFor(f.ctx, 1); !errors.Is(err, proof.ErrInconsistent) {
				t.Errorf("CheckpointFor = %+v, %v; want ErrInconsistent", cp, err)
			}
			if cp, err := f.cp.Latest(f.ctx); !errors.Is(err, proof.ErrInconsistent) {
				t.Errorf("Latest = %+v, %v; want ErrInconsistent", cp, err)
			}
		})
	}
}

// mustSigner returns the journal's active signer.
func mustSigner(t *testing.T, k *keyring.JournalKeys) note.Signer {
	t.Helper()
	s, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenCheckpointRefusesSmallOrderKey: a verifier key of small order
// (here the identity point) planted among the journal's keys, as keys/ or a
// published list could be given one, lets anyone sign any checkpoint with
// no secret (R the identity, s = 0): the server's checks of its stored
// checkpoints and admin journal verify (OpenCheckpoint) refuse it, naming
// the key, rather than accept a rewritten journal's checkpoint.
func TestOpenCheckpointRefusesSmallOrderKey(t *testing.T) {
	const origin = "navette.test/navette-journal"
	pub := append([]byte{0x01, 0x01}, make([]byte, 31)...) // Ed25519, the identity point
	h := sha256Of(append([]byte(origin+"\n"), pub...))
	key := fmt.Sprintf("%s+%08x+%s", origin, binary.BigEndian.Uint32(h), base64.StdEncoding.EncodeToString(pub))
	var root tlog.Hash
	root[0] = 7
	sig := append(binary.BigEndian.AppendUint32(nil, binary.BigEndian.Uint32(h)), append([]byte{1}, make([]byte, 63)...)...)
	msg := fmt.Sprintf("%s\n%d\n%s\n\n— %s %s\n", origin, 1000, root, origin, base64.StdEncoding.EncodeToString(sig))
	if _, err := note.Open([]byte(msg), note.VerifierList(mustVerifier(t, key))); err != nil {
		t.Fatalf("the forged note does not open with the key itself: %v", err)
	}
	if size, _, err := proof.OpenCheckpoint([]byte(msg), []string{key}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("small order")) {
		t.Errorf("OpenCheckpoint: got size %d, %v, want the small-order key refused", size, err)
	}
}

func mustVerifier(t *testing.T, key string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
