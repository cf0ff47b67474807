package proof

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/receipt"
)

// ErrTampered is wrapped by the errors of Verify that show the journal or
// its tree was changed.
var ErrTampered = errors.New("the journal was tampered with")

// BadLeafError says where Verify found the journal broken: at leaf Leaf,
// or, when the events and the tree were rewritten together so that only a
// signed checkpoint shows it, at some leaf from Leaf to Last.
type BadLeafError struct {
	Leaf   int64
	Last   int64 // equal to Leaf when the leaf is known
	Reason string
}

func (e *BadLeafError) Error() string {
	if e.Last != e.Leaf {
		return fmt.Sprintf("journal broken at a leaf from %d to %d: %s", e.Leaf, e.Last, e.Reason)
	}
	return fmt.Sprintf("journal broken at leaf %d: %s", e.Leaf, e.Reason)
}

// Unwrap returns ErrTampered.
func (e *BadLeafError) Unwrap() error { return ErrTampered }

// BadTokenError says that the time-stamp token stored beside the
// checkpoint of Size leaves does not hold, and why (Err, a
// *receipt.Failure in the words navette verify uses).
type BadTokenError struct {
	Size int64
	Err  error
}

// Error names the checkpoint and says why its token does not hold.
func (e *BadTokenError) Error() string {
	return fmt.Sprintf("the journal's checkpoint of %d leaves: %v", e.Size, e.Err)
}

// Unwrap returns Err.
func (e *BadTokenError) Unwrap() error { return e.Err }

// Report is what Verify checked.
type Report struct {
	Leaves      int64     // events, each a leaf of the tree
	Root        tlog.Hash // the whole tree's root hash
	Checkpoints int       // signed checkpoints checked, stored and given
	// Latest is the latest signed checkpoint, nil if none was signed.
	Latest *navette.Checkpoint
	// Tokens counts the stored checkpoints whose time-stamp token holds;
	// TokenRoots is set when each was also checked to be signed by an
	// authority that chains to the roots given, at the token's time.
	Tokens     int
	TokenRoots bool
}

// Verify recomputes every leaf of the journal from its events and the
// whole tree from the leaves, checks them against the stored tree, checks
// that every stored checkpoint, and each of extra (signed notes kept
// elsewhere), is signed by one of the verifier keys and signs the root the
// recomputed tree has at its size (so that consecutive checkpoints are
// consistent), and that no checkpoint signed a larger tree than there is.
// The time-stamp token stored beside a checkpoint, if any, must stamp that
// checkpoint (its message imprint is the SHA-256 of the whole signed note,
// as the server asks for and as navette verify checks it), be signed by the
// certificate it carries, and, when roots is not nil, by an authority
// that chains to one of them at the token's time.
// A journal that does not hold gives a *BadLeafError that names the first
// bad leaf; a token that does not, a *BadTokenError that names its
// checkpoint; a storage failure, its error.
func Verify(ctx context.Context, s navette.JournalStore, keys []string, roots *x509.CertPool, extra ...[]byte) (*Report, error) {
	if _, err := Verifiers(keys); err != nil {
		return nil, err
	}
	v := &verifier{ctx: ctx, s: s, keys: keys, roots: roots, frontier: map[int64]tlog.Hash{}, report: &Report{TokenRoots: roots != nil}}
	for _, msg := range extra {
		size, root, err := OpenCheckpoint(msg, keys)
		if err != nil {
			return nil, fmt.Errorf("the checkpoint given: %w", err)
		}
		if size < 1 {
			// No tree of 0 leaves is ever checked: it would be reported
			// as holding whatever root it signs.
			return nil, errors.New("the checkpoint given is of an empty tree, which navette never signs")
		}
		v.extra = append(v.extra, &navette.Checkpoint{Size: size, Root: root, Note: msg})
	}
	if err := v.run(); err != nil {
		return v.report, err
	}
	return v.report, nil
}

// verifier is the state of Verify.
type verifier struct {
	ctx    context.Context
	s      navette.JournalStore
	keys   []string
	roots  *x509.CertPool // the time-stamping authorities' roots, nil if none given
	report *Report

	n        int64               // leaves read
	seq      int64               // sequence number of the last event read
	frontier map[int64]tlog.Hash // hashes of complete left subtrees, by stored hash index
	next     int64               // stored hash index of the first hash in pending
	pending  []tlog.Hash         // recomputed hashes not yet compared with the store

	cps    []*navette.Checkpoint // stored checkpoints read ahead, smallest first
	cpNext int64                 // size of the next stored checkpoint to read
	cpEnd  bool                  // no more stored checkpoints to read
	extra  []*navette.Checkpoint // checkpoints given
	good   int64                 // size of the largest checkpoint that held
}

func (v *verifier) run() error {
	if err := v.replay(); err != nil {
		return err
	}
	if err := v.compare(); err != nil {
		return err
	}
	// Events may be appended while Verify runs: a larger tree is fine, a
	// smaller one is not.
	size, err := v.s.TreeSize(v.ctx)
	if err != nil {
		return err
	}
	if err := v.checkEnd(size); err != nil {
		return err
	}
	v.report.Leaves = v.n
	if err := v.setRoot(); err != nil {
		return err
	}
	// Checkpoints of larger trees than there is show events removed from
	// the end.
	if err := v.checkpoints(); err != nil {
		return err
	}
	return v.checkLate(size)
}

// replay adds the journal's events, in order, to the recomputed tree, and
// checks each checkpoint once its tree is complete.
func (v *verifier) replay() error {
	for {
		evs, err := v.s.Events(v.ctx, navette.EventFilter{AfterSeq: v.seq, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range evs {
			v.seq = evs[i].Seq
			if err := v.replayEvent(&evs[i]); err != nil {
				return err
			}
		}
		if len(evs) < 1000 {
			return nil
		}
	}
}

// replayEvent checks that e is the next leaf, adds it, and checks the
// checkpoints of the tree it completes.
func (v *verifier) replayEvent(e *navette.Event) error {
	if e.Leaf != v.n {
		return v.bad(v.n, fmt.Sprintf("the event at this place (seq %d) has leaf %d: an event was removed, inserted or moved", e.Seq, e.Leaf))
	}
	if err := v.add(e); err != nil {
		return err
	}
	return v.checkpoints()
}

// checkEnd checks the store's count of size leaves against the v.n
// events, and that a tree of exactly v.n leaves has no hash past its last.
// When the store counts more leaves, the events appended since the replay
// are replayed too: a leaf the replay still does not reach (an event
// moved out of the sequence's order, so that its change and the
// checkpoints over it would go unchecked) breaks the journal.
func (v *verifier) checkEnd(size int64) error {
	if size < v.n {
		return v.bad(size, fmt.Sprintf("the store counts %d leaves, the journal has %d events", size, v.n))
	}
	if size > v.n {
		return v.catchUp(size)
	}
	if _, err := v.s.ReadHashes(v.ctx, []int64{v.next}); err == nil {
		return v.bad(v.n, "the tree has hashes past its last leaf")
	} else if !navette.IsCode(err, navette.ENOTFOUND) {
		return err
	}
	return nil
}

// catchUp replays the events appended since the replay, up to a tree of
// at least size leaves.
func (v *verifier) catchUp(size int64) error {
	if err := v.replay(); err != nil {
		return err
	}
	if err := v.compare(); err != nil {
		return err
	}
	if v.n < size {
		return v.bad(v.n, fmt.Sprintf("the store counts %d leaves, the journal has %d events in order: an event was moved out of the journal's order", size, v.n))
	}
	return nil
}

// setRoot reports the recomputed tree's root hash, if it has leaves.
func (v *verifier) setRoot() error {
	if v.n == 0 {
		return nil
	}
	root, err := tlog.TreeHash(v.n, v.mem())
	if err != nil {
		return wrapTree(err)
	}
	v.report.Root = root
	return nil
}

// checkLate checks that no checkpoint left, given or stored, signed a
// tree larger than both the journal's and the store's size.
func (v *verifier) checkLate(size int64) error {
	late := v.extra
	if len(v.cps) > 0 {
		late = append(late, v.cps[0])
	}
	for _, c := range late {
		if c.Size > v.n && c.Size > size {
			return v.bad(v.n, fmt.Sprintf("a checkpoint signed a tree of %d leaves, the journal has %d: events were removed from its end", c.Size, size))
		}
	}
	return nil
}

// add makes e the next leaf of the recomputed tree.
func (v *verifier) add(e *navette.Event) error {
	hs, err := tlog.StoredHashesForRecordHash(v.n, tlog.RecordHash(navette.EventLeaf(e)), tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		return v.kept(xs, true) // a left subtree is merged once
	}))
	if err != nil {
		return wrapTree(err)
	}
	idx := tlog.StoredHashIndex(0, v.n)
	for i, h := range hs {
		x := idx + int64(i)
		if _, m := tlog.SplitStoredHashIndex(x); m%2 == 0 {
			v.frontier[x] = h // a left subtree, or the tree's edge
		}
	}
	v.pending = append(v.pending, hs...)
	v.n++
	if len(v.pending) >= 1000 {
		return v.compare()
	}
	return nil
}

// mem reads the recomputed tree's edge.
func (v *verifier) mem() tlog.HashReader {
	return tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) { return v.kept(xs, false) })
}

// kept returns the hashes at xs of the recomputed tree's edge, and forgets
// them if forget.
func (v *verifier) kept(xs []int64, forget bool) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(xs))
	for i, x := range xs {
		h, ok := v.frontier[x]
		if !ok {
			return nil, fmt.Errorf("proof: verify: stored hash %d not kept", x)
		}
		out[i] = h
		if forget {
			delete(v.frontier, x)
		}
	}
	return out, nil
}

// compare checks the pending recomputed hashes against the stored ones.
func (v *verifier) compare() error {
	if len(v.pending) == 0 {
		return nil
	}
	idx := make([]int64, len(v.pending))
	for i := range idx {
		idx[i] = v.next + int64(i)
	}
	stored, err := v.s.ReadHashes(v.ctx, idx)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return v.firstMissing(idx, err)
	}
	if err != nil {
		return err
	}
	for i := range stored {
		if stored[i] != v.pending[i] {
			return v.badHash(idx[i], "differs from the one recomputed from the events")
		}
	}
	v.next += int64(len(v.pending))
	v.pending = v.pending[:0]
	return nil
}

// firstMissing reports the first of the stored hashes at idx that is
// missing, after notFound said one is; notFound itself if none is now.
func (v *verifier) firstMissing(idx []int64, notFound error) error {
	for _, x := range idx {
		if _, err := v.s.ReadHashes(v.ctx, []int64{x}); navette.IsCode(err, navette.ENOTFOUND) {
			return v.badHash(x, "is missing from the tree")
		} else if err != nil {
			return err
		}
	}
	return notFound
}

// badHash reports the stored hash at index x as bad: the event of a leaf
// hash, the first leaf under an interior node.
func (v *verifier) badHash(x int64, what string) error {
	level, m := tlog.SplitStoredHashIndex(x)
	if level == 0 {
		return v.bad(m, "the event's leaf hash "+what+": the event or its leaf hash was altered")
	}
	first, last := m<<level, (m+1)<<level-1
	return v.bad(first, fmt.Sprintf("the tree's node over leaves %d to %d (stored hash %d) %s", first, last, x, what))
}

func (v *verifier) bad(leaf int64, reason string) error {
	return &BadLeafError{Leaf: leaf, Last: leaf, Reason: reason}
}

// checkpoints checks the checkpoints of a tree of v.n leaves, reading
// stored ones ahead as needed.
func (v *verifier) checkpoints() error {
	for {
		c, err := v.nextStored()
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		if err := v.checkStoredCheckpoint(c); err != nil {
			return err
		}
	}
	return v.checkGiven()
}

// checkGiven checks that the given checkpoints of a tree of v.n leaves
// hold.
func (v *verifier) checkGiven() error {
	for _, c := range v.extra {
		if c.Size == v.n {
			if err := v.holds(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// nextStored returns the next stored checkpoint if it is of a tree of at
// most v.n leaves, reading ahead as needed; nil if there is none.
func (v *verifier) nextStored() (*navette.Checkpoint, error) {
	if len(v.cps) == 0 {
		if v.cpEnd {
			return nil, nil
		}
		cps, err := v.s.Checkpoints(v.ctx, navette.CheckpointFilter{MinSize: v.cpNext, Limit: 100})
		if err != nil {
			return nil, err
		}
		v.cps, v.cpEnd = cps, len(cps) < 100
		if len(cps) == 0 {
			return nil, nil
		}
	}
	c := v.cps[0]
	if c.Size > v.n {
		return nil, nil
	}
	v.cps, v.cpNext = v.cps[1:], c.Size+1
	return c, nil
}

// checkStoredCheckpoint checks that the stored checkpoint c verifies with
// the published keys, comes in order, and holds.
func (v *verifier) checkStoredCheckpoint(c *navette.Checkpoint) error {
	if err := checkStored(c, v.keys); err != nil {
		if signers := unknownSigners(err); signers != "" {
			return v.badCheckpoint(c, "its signature does not verify with any verifier key held here: it is signed by "+signers+", so either it was forged with another key, or a node that made a journal key of its own signed it and that key was not copied here (docs/operations.md, The journal)")
		}
		return v.badCheckpoint(c, "its signature does not verify with the published keys, or it was altered: "+err.Error())
	}
	if c.Size < v.n {
		return v.badCheckpoint(c, "it was not read in order")
	}
	if err := v.holds(c); err != nil {
		return err
	}
	if err := v.checkToken(c); err != nil {
		return err
	}
	v.report.Latest = c
	return nil
}

// checkToken checks the time-stamp token stored beside the checkpoint c,
// if it has one, as navette verify checks the token of a receipt over c.
func (v *verifier) checkToken(c *navette.Checkpoint) error {
	if len(c.Token) == 0 {
		return nil
	}
	if _, err := receipt.VerifyToken(c.Token, c.Note, v.roots); err != nil {
		return &BadTokenError{Size: c.Size, Err: err}
	}
	v.report.Tokens++
	return nil
}

// unknownSigners names the keys that signed a checkpoint none of the
// verifier keys signed, as "NAME (journal-HASH.pub)" (the verifier key's
// file in DATA/keys), if err says so; "" otherwise.
func unknownSigners(err error) string {
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return ""
	}
	var names []string
	for _, sig := range unverified.Note.UnverifiedSigs {
		names = append(names, fmt.Sprintf("%s (journal-%08x.pub)", sig.Name, sig.Hash))
	}
	return strings.Join(names, "; ")
}

// holds checks that the recomputed tree of c.Size leaves has c's root.
func (v *verifier) holds(c *navette.Checkpoint) error {
	if err := v.compare(); err != nil {
		return err
	}
	root, err := tlog.TreeHash(c.Size, v.mem())
	if err != nil {
		return wrapTree(err)
	}
	if root != c.Root {
		return &BadLeafError{Leaf: v.good, Last: c.Size - 1, Reason: fmt.Sprintf(
			"the tree of %d leaves recomputed from the events does not have the root hash its signed checkpoint states: events and tree were rewritten", c.Size)}
	}
	v.good = c.Size
	v.report.Checkpoints++
	return nil
}

func (v *verifier) badCheckpoint(c *navette.Checkpoint, reason string) error {
	return &BadLeafError{Leaf: v.good, Last: c.Size - 1, Reason: fmt.Sprintf("the checkpoint of %d leaves: %s", c.Size, reason)}
}
