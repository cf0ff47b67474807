package proof_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/internal/testsqlite"
	"navette/internal/testtsa"
	"navette/keyring"
	"navette/proof"
	"navette/sqlite"
)

var epoch = time.Date(2026, 12, 5, 13, 8, 44, 123456000, time.UTC)

const origin = "navette.example/navette-journal"

type fixture struct {
	t    *testing.T
	ctx  context.Context
	path string // the SQLite database's file
	s    *sqlite.Store
	keys *keyring.JournalKeys
	// keysDir is the key directory of keys.
	keysDir string
	clock   *navette.FakeClock
	cp      *proof.Checkpointer
}

func newFixture(t *testing.T) *fixture {
	path := filepath.Join(t.TempDir(), "navette.db")
	s := testsqlite.Open(t, path)
	dir := filepath.Join(t.TempDir(), "keys")
	keys, err := keyring.OpenJournalKeys(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: t.Context(), path: path, s: s, keys: keys, keysDir: dir, clock: navette.NewFakeClock(epoch)}
	f.cp = &proof.Checkpointer{Store: s, Keys: keys, Clock: f.clock}
	return f
}

// append journals n events.
func (f *fixture) append(n int) {
	f.t.Helper()
	for range n {
		if err := f.s.AppendEvents(f.ctx, navette.Event{Time: f.clock.Now(), Type: navette.EventAccessDenied, Detail: "not a recipient"}); err != nil {
			f.t.Fatal(err)
		}
		f.clock.Advance(time.Millisecond)
	}
}

func (f *fixture) checkpoint(size int64) *navette.Checkpoint {
	f.t.Helper()
	c, err := f.cp.Checkpoint(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if c.Size != size {
		f.t.Fatalf("checkpoint of %d leaves, want %d", c.Size, size)
	}
	return c
}

func TestCheckpoint(t *testing.T) {
	f := newFixture(t)
	if _, err := f.cp.Checkpoint(f.ctx); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Checkpoint of an empty journal = %v, want ENOTFOUND", err)
	}
	f.append(3)
	c3 := f.checkpoint(3)
	if again := f.checkpoint(3); again.CreatedAt != c3.CreatedAt {
		t.Error("a second checkpoint was signed for the same tree")
	}
	body, _, _ := strings.Cut(string(c3.Note), "\n\n")
	if want := proof.FormatCheckpoint(origin, 3, c3.Root); body+"\n" != want {
		t.Errorf("note body %q, want %q", body, want)
	}
	size, root, err := proof.OpenCheckpoint(c3.Note, f.keys.Verifiers())
	if err != nil || size != 3 || root != c3.Root {
		t.Errorf("OpenCheckpoint = %d, %v, %v", size, root, err)
	}
	other, _ := keyring.OpenJournalKeys(filepath.Join(t.TempDir(), "keys"), origin)
	if _, _, err := proof.OpenCheckpoint(c3.Note, other.Verifiers()); err == nil {
		t.Error("a checkpoint opened with another key")
	}

	f.append(10)
	c := f.checkpoint(13)
	p, err := proof.Consistency(f.ctx, f.s, 3, 13)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, 13, c.Root, 3, c3.Root); err != nil {
		t.Errorf("consistency proof: %v", err)
	}
	for leaf := range int64(13) {
		e, err := f.s.EventByLeaf(f.ctx, leaf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := proof.Inclusion(f.ctx, f.s, leaf, 13)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, 13, c.Root, leaf, tlog.RecordHash(navette.EventLeaf(e))); err != nil {
			t.Errorf("inclusion proof of leaf %d: %v", leaf, err)
		}
	}
	for _, c := range []struct{ leaf, size int64 }{{-1, 3}, {3, 3}, {0, 14}, {5, 4}} {
		if _, err := proof.Inclusion(f.ctx, f.s, c.leaf, c.size); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("Inclusion(%d, %d) = %v, want EINVALID", c.leaf, c.size, err)
		}
	}
	for _, c := range []struct{ from, to int64 }{{0, 3}, {4, 3}, {3, 14}} {
		if _, err := proof.Consistency(f.ctx, f.s, c.from, c.to); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("Consistency(%d, %d) = %v, want EINVALID", c.from, c.to, err)
		}
	}

	// A receipt asks for a checkpoint covering a leaf.
	f.append(1)
	if c, err := f.cp.CheckpointFor(f.ctx, 5); err != nil || c.Size != 13 {
		t.Errorf("CheckpointFor(5) = %+v, %v; want the latest", c, err)
	}
	if c, err := f.cp.CheckpointFor(f.ctx, 13); err != nil || c.Size != 14 {
		t.Errorf("CheckpointFor(13) = %+v, %v; want a new one", c, err)
	}
	if _, err := f.cp.CheckpointFor(f.ctx, 14); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("CheckpointFor a leaf to come = %v, want ENOTFOUND", err)
	}
	rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil, c3.Note)
	if err != nil || rep.Leaves != 14 || rep.Checkpoints != 4 || rep.Latest.Size != 14 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

// TestRotation checks that checkpoints signed before and after a rotation
// of the signing key both verify with the published keys.
func TestRotation(t *testing.T) {
	f := newFixture(t)
	f.append(5)
	before := f.checkpoint(5)
	if _, err := f.keys.Rotate(func() (int64, error) { return 5, nil }); err != nil {
		t.Fatal(err)
	}
	f.append(5)
	after := f.checkpoint(10)
	published := f.keys.Verifiers()
	if len(published) != 2 {
		t.Fatalf("%d published keys", len(published))
	}
	for _, c := range []*navette.Checkpoint{before, after} {
		if _, _, err := proof.OpenCheckpoint(c.Note, published); err != nil {
			t.Errorf("checkpoint of %d leaves: %v", c.Size, err)
		}
	}
	current, _ := f.keys.Verifier()
	if _, _, err := proof.OpenCheckpoint(before.Note, []string{current}); err == nil {
		t.Error("the checkpoint signed before opened with the new key alone")
	}
	if rep, err := proof.Verify(f.ctx, f.s, published, nil); err != nil || rep.Checkpoints != 2 {
		t.Errorf("Verify after rotation = %+v, %v", rep, err)
	}
	_, err := proof.Verify(f.ctx, f.s, []string{current}, nil)
	if !errors.Is(err, proof.ErrTampered) {
		t.Errorf("Verify without the old key = %v, want the old checkpoint refused", err)
	}
	// The refusal names the key that signed, as its verifier key's file,
	// which a node that made its own journal key lacks on the others.
	old := published[0]
	if old == current {
		old = published[1]
	}
	hash, _, _ := strings.Cut(strings.TrimPrefix(old, origin+"+"), "+")
	if want := origin + " (journal-" + hash + ".pub)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Verify without the old key = %v, want it to name %q", err, want)
	}
}

// TestConcurrentCheckpoints runs two checkpointers (two nodes) on one store
// while events arrive: they never fail and never sign two checkpoints of
// one size.
func TestConcurrentCheckpoints(t *testing.T) {
	f := newFixture(t)
	other := &proof.Checkpointer{Store: f.s, Keys: f.keys, Clock: f.clock}
	var wg sync.WaitGroup
	for _, cp := range []*proof.Checkpointer{f.cp, other, f.cp, other} {
		wg.Go(func() {
			for range 10 {
				if err := f.s.AppendEvents(f.ctx, navette.Event{Time: epoch, Type: navette.EventAccessDenied}); err != nil {
					t.Error(err)
				}
				if _, err := cp.Checkpoint(f.ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil); err != nil || rep.Leaves != 40 || rep.Checkpoints == 0 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

// flakyStamper fails while down is set, a fault a real time-stamping
// authority cannot be made to produce on demand, and passes queries to a
// real one (up) otherwise.
type flakyStamper struct {
	up    proof.Stamper
	mu    sync.Mutex
	down  bool
	calls int
}

// newFlakyStamper returns a stamper of a real authority, down if down.
func newFlakyStamper(t *testing.T, down bool) *flakyStamper {
	return &flakyStamper{up: authority(t, testtsa.Start(t, testtsa.Options{})), down: down}
}

func (s *flakyStamper) Stamp(ctx context.Context, digest []byte) ([]byte, error) {
	s.mu.Lock()
	s.calls++
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, errors.New("connection refused")
	}
	return s.up.Stamp(ctx, digest)
}

// TestStamping checks that checkpoints are time-stamped, that while the
// authority is down checkpoints go on unstamped and are retried with a
// growing delay, and that Status says so.
func TestStamping(t *testing.T) {
	f := newFixture(t)
	st := newFlakyStamper(t, true)
	f.cp.Stamper = st
	f.append(2)
	f.checkpoint(2)
	if err := f.cp.StampPending(f.ctx); err == nil {
		t.Fatal("StampPending with the authority down succeeded")
	}
	f.append(2)
	f.checkpoint(4) // checkpoints go on
	f.clock.Advance(time.Second)
	if err := f.cp.StampPending(f.ctx); err != nil || st.calls != 1 {
		t.Errorf("StampPending before the delay = %v, %d calls; want it to wait", err, st.calls)
	}
	s, err := f.cp.Status(f.ctx)
	if err != nil || s.TimeSource != proof.TimeSourceTSA || s.Size != 4 || s.StampLag < time.Second || s.Problem == "" || !strings.Contains(s.Err.Error(), "connection refused") {
		t.Errorf("Status while down = %+v, %v", s, err)
	}
	st.mu.Lock()
	st.down = false
	st.mu.Unlock()
	f.clock.Advance(10 * time.Second)
	if err := f.cp.StampPending(f.ctx); err != nil {
		t.Fatal(err)
	}
	cps, err := f.s.Checkpoints(f.ctx, navette.CheckpointFilter{})
	if err != nil || len(cps) != 2 {
		t.Fatalf("Checkpoints = %d, %v", len(cps), err)
	}
	for _, c := range cps {
		if c.Token == nil || c.StampedAt.IsZero() {
			t.Errorf("checkpoint %d: token %q, stamped at %v", c.Size, c.Token, c.StampedAt)
		}
	}
	// Each token stamps its own checkpoint's note.
	if rep, err := proof.Verify(f.ctx, f.s, f.keys.Verifiers(), nil); err != nil || rep.Tokens != 2 {
		t.Errorf("Verify of the stamped journal = %+v, %v", rep, err)
	}
	if s, err := f.cp.Status(f.ctx); err != nil || s.Problem != "" || s.StampLag != 0 {
		t.Errorf("Status once stamped = %+v, %v", s, err)
	}
	noTSA := &proof.Checkpointer{Store: f.s, Keys: f.keys, Clock: f.clock}
	if s, err := noTSA.Status(f.ctx); err != nil || s.TimeSource != proof.TimeSourceClock {
		t.Errorf("Status without a TSA = %+v, %v", s, err)
	}
}

// TestRun checks that Run issues and stamps checkpoints as events arrive.
func TestRun(t *testing.T) {
	f := newFixture(t)
	st := newFlakyStamper(t, false)
	f.cp.Stamper, f.cp.Interval = st, 10*time.Millisecond
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error)
	go func() { done <- f.cp.Run(ctx) }()
	f.append(3)
	for {
		cps, err := f.s.Checkpoints(f.ctx, navette.CheckpointFilter{MinSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(cps) == 1 && cps[0].Token != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add(proof.FormatCheckpoint(origin, 42, tlog.Hash{1, 2, 3}))
	f.Add("o\n1\nAAAA\n")
	f.Add("o\n-1\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		o, size, root, err := proof.ParseCheckpoint(text)
		if err != nil {
			return
		}
		again := proof.FormatCheckpoint(o, size, root)
		if !strings.HasPrefix(text, again) {
			t.Errorf("%q parsed as %q, %d, %v, formatted %q", text, o, size, root, again)
		}
	})
}

// FuzzOpenCheckpoint: opening a signed checkpoint given from outside
// (admin journal verify --checkpoint FILE) never panics, and one it accepts
// is signed by the journal's key.
func FuzzOpenCheckpoint(f *testing.F) {
	keys, err := keyring.OpenJournalKeys(filepath.Join(f.TempDir(), "keys"), origin)
	if err != nil {
		f.Fatal(err)
	}
	s, err := keys.Signer()
	if err != nil {
		f.Fatal(err)
	}
	good, err := proof.Sign(s, 42, tlog.Hash{1, 2, 3})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(good, "— "+origin+" AAAAAAAA\n"...))
	f.Add([]byte("o\n1\nAAAA\n\n— o AAAA\n"))
	vs := keys.Verifiers()
	f.Fuzz(func(t *testing.T, msg []byte) {
		size, _, err := proof.OpenCheckpoint(msg, vs)
		if err == nil && size < 0 {
			t.Fatalf("size %d", size)
		}
	})
}

// TestRotateKeyStopsStaleNodes: RotateKey signs with the new key before it
// lets go, so a node still holding a copy of the old key directory (not
// yet given the new one) cannot check the latest checkpoint and signs
// nothing more: the old key signs no tree larger than its retirement's.
func TestRotateKeyStopsStaleNodes(t *testing.T) {
	f := newFixture(t)
	f.append(4)
	f.checkpoint(4)
	staleDir := filepath.Join(t.TempDir(), "keys")
	if err := os.CopyFS(staleDir, os.DirFS(f.keysDir)); err != nil {
		t.Fatal(err)
	}
	copied, _ := filepath.Glob(filepath.Join(staleDir, "*"))
	for _, p := range copied {
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(staleDir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale, err := keyring.OpenJournalKeys(staleDir, origin)
	if err != nil {
		t.Fatal(err)
	}
	staleCP := &proof.Checkpointer{Store: f.s, Keys: stale, Clock: f.clock}
	f.append(2)
	var bound int64
	cp, err := f.cp.RotateKey(f.ctx, func(ctx context.Context) error {
		r, err := f.keys.Rotate(func() (int64, error) { return f.s.TreeSize(ctx) })
		bound = r.RetiredAt
		if err == nil {
			f.append(1)
		}
		return err
	})
	if err != nil || cp == nil || cp.Size != 7 || bound != 6 {
		t.Fatalf("RotateKey = %+v, %v; retired at %d", cp, err, bound)
	}
	f.append(3)
	if c, err := staleCP.Checkpoint(f.ctx); err == nil {
		t.Errorf("a node with the old key signed a checkpoint of %d leaves", c.Size)
	}
	// Its readiness says why: keys not copied, not a tree rewritten.
	if st, err := staleCP.Status(f.ctx); err != nil || !strings.Contains(st.Problem, "copy its keys/ here") {
		t.Errorf("the stale node's status: %q, %v; want it to say the keys were not copied", st.Problem, err)
	}
	f.checkpoint(10)
}

// TestRetiredKeyCheckpoint: with the published key list, a checkpoint that
// a copy of a retired key signs for a tree larger than the journal at its
// retirement does not open (nor does a checkpoint stored so let the
// journal verify); one no larger does, as checkpoints signed before it.
func TestRetiredKeyCheckpoint(t *testing.T) {
	f := newFixture(t)
	f.append(5)
	before := f.checkpoint(5)
	stolen, err := f.keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cp.RotateKey(f.ctx, func(ctx context.Context) error {
		_, err := f.keys.Rotate(func() (int64, error) { return f.s.TreeSize(ctx) })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.append(5)
	list := f.cp.KeyList()
	if len(list) != 3 || !strings.HasPrefix(list[1], "# retired ") && !strings.HasPrefix(list[2], "# retired ") {
		t.Fatalf("KeyList = %q", list)
	}
	root := func(n int64) tlog.Hash {
		r, err := tlog.TreeHash(n, proof.HashReader(f.ctx, f.s))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		size int64
		ok   bool
	}{{5, true}, {4, true}, {6, false}, {10, false}} {
		msg, err := proof.Sign(stolen, tc.size, root(tc.size))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := proof.OpenCheckpoint(msg, list); (err == nil) != tc.ok {
			t.Errorf("a checkpoint of %d leaves by the key retired at 5: %v", tc.size, err)
		}
		if _, _, err := proof.OpenCheckpoint(msg, f.keys.Verifiers()); err != nil {
			t.Errorf("without the retirement lines, %d leaves: %v", tc.size, err)
		}
	}
	if _, _, err := proof.OpenCheckpoint(before.Note, list); err != nil {
		t.Errorf("the checkpoint signed before the rotation: %v", err)
	}
	forged, err := proof.Sign(stolen, 10, root(10))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddCheckpoint(f.ctx, &navette.Checkpoint{Size: 10, Root: root(10), Note: forged, CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := proof.Verify(f.ctx, f.s, list, nil); err == nil || !strings.Contains(err.Error(), "retired") {
		t.Errorf("Verify with a stored checkpoint by the retired key beyond its retirement: %v", err)
	}
	f.append(1)
	if _, err := f.cp.Checkpoint(f.ctx); err == nil {
		t.Error("the checkpointer extended a checkpoint by the retired key beyond its retirement")
	}
}
