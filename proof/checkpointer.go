package proof

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/receipt"
)

// ErrInconsistent is wrapped by the error of a checkpoint that could not be
// issued because the tree no longer contains the tree the previous
// checkpoint signed: the journal or its tree was rewritten.
var ErrInconsistent = errors.New("the journal's tree is not consistent with its last signed checkpoint")

// errUnopened is wrapped, with ErrInconsistent, by the error of a
// checkpoint that could not be made because the latest one does not open
// with this node's journal keys: most often a key rotated on another node
// whose keys/ were not copied here.
var errUnopened = errors.New("the last checkpoint does not open with this node's journal keys")

// Time sources of checkpoints, as receipts state them.
const (
	TimeSourceTSA   = "tsa"          // a time-stamping authority stamps checkpoints
	TimeSourceClock = "server-clock" // checkpoints carry the server's clock only
)

// Checkpointer signs checkpoints of the journal's tree while events
// arrive, at most one per Interval and on demand, has them time-stamped
// when a Stamper is set, and gives proofs. Set the fields, then call Run;
// its methods are safe for concurrent use.
type Checkpointer struct {
	Store navette.JournalStore
	Keys  Keys
	Clock navette.Clock
	// Stamper, if set, time-stamps every checkpoint; a checkpoint it could
	// not stamp is tried again later, with a growing delay. Without it,
	// checkpoints carry the server's clock only.
	Stamper Stamper
	Log     *slog.Logger
	// Interval is how often Run issues a checkpoint if the tree grew (one
	// minute if zero).
	Interval time.Duration
	// Exclusive, if set, runs fn while no other node runs fn for the same
	// task, and reports whether it ran (postgres.Store's
	// ExclusiveJournal): nodes sharing a database then issue checkpoints
	// (task TaskSign) one at a time, and time-stamp them (TaskStamp) one at
	// a time, a slow authority never delaying a signature.
	Exclusive func(ctx context.Context, task string, fn func(context.Context) error) (bool, error)

	signMu  sync.Mutex // held while issuing, on this node
	stampMu sync.Mutex // held while stamping, on this node
	kick    chan struct{}
	once    sync.Once

	// held is the digest of the stored checkpoint last found to hold
	// (holds), so that each is checked once, not once per receipt.
	held struct {
		sync.Mutex
		sum [sha256.Size]byte
	}

	st struct {
		sync.Mutex
		problem   error     // why the last issue failed, nil if it did not
		stampErr  error     // why the last stamp failed, nil if it did not
		nextStamp time.Time // no stamping before
		backoff   time.Duration
	}
}

// Tasks that Exclusive runs one node at a time.
const (
	TaskSign  = "sign"
	TaskStamp = "stamp"
)

// Stamping retries start after minBackoff and grow to maxBackoff.
const (
	minBackoff   = 5 * time.Second
	maxBackoff   = 10 * time.Minute
	stampTimeout = 30 * time.Second
	stampBatch   = 20
)

func (c *Checkpointer) init() {
	c.once.Do(func() {
		c.kick = make(chan struct{}, 1)
		if c.Log == nil {
			c.Log = slog.Default()
		}
		if c.Clock == nil {
			c.Clock = navette.SystemClock{}
		}
		if c.Interval <= 0 {
			c.Interval = time.Minute
		}
	})
}

// Run issues a checkpoint every Interval if the tree grew, and stamps the
// checkpoints waiting for a time-stamp, until ctx is done.
func (c *Checkpointer) Run(ctx context.Context) error {
	c.init()
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		c.round(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-c.kick:
		}
	}
}

// round is one turn of Run: it issues a checkpoint and stamps the pending
// ones, logging their failures unless ctx is done.
func (c *Checkpointer) round(ctx context.Context) {
	if _, err := c.Checkpoint(ctx); err != nil && ctx.Err() == nil && !navette.IsCode(err, navette.ENOTFOUND) {
		c.Log.Error("journal checkpoint failed", "err", err)
	}
	if err := c.StampPending(ctx); err != nil && ctx.Err() == nil {
		c.Log.Warn("time-stamping journal checkpoints failed; will try again", "err", err)
	}
}

// exclusive runs fn on this node alone, holding mu, and across nodes
// alone for task if Exclusive is set, waiting for the node that runs it if
// wait.
func (c *Checkpointer) exclusive(ctx context.Context, mu *sync.Mutex, task string, wait bool, fn func(context.Context) error) error {
	mu.Lock()
	defer mu.Unlock()
	if c.Exclusive == nil {
		return fn(ctx)
	}
	for {
		ran, err := c.Exclusive(ctx, task, fn)
		if ran || err != nil || !wait {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Checkpoint returns a checkpoint of the whole tree as it is now: the
// latest one if the tree has not grown since, or a new one, signed with
// the active key and stored, once the tree is proven to contain the tree
// the latest one signed. Returns ENOTFOUND if the journal is empty, and an
// error wrapping ErrInconsistent if the tree does not contain the latest
// one's.
func (c *Checkpointer) Checkpoint(ctx context.Context) (*navette.Checkpoint, error) {
	c.init()
	var cp *navette.Checkpoint
	err := c.exclusive(ctx, &c.signMu, TaskSign, true, func(ctx context.Context) error {
		var err error
		cp, err = c.issue(ctx)
		return err
	})
	c.st.Lock()
	if err == nil || errors.Is(err, ErrInconsistent) {
		c.st.problem = err
	}
	c.st.Unlock()
	if err != nil {
		return nil, err
	}
	return cp, nil
}

// CheckpointFor returns the latest checkpoint, of a tree that contains
// leaf, issuing one if the latest does not. Returns ENOTFOUND if there is
// no such leaf.
func (c *Checkpointer) CheckpointFor(ctx context.Context, leaf int64) (*navette.Checkpoint, error) {
	cp, err := c.Store.LatestCheckpoint(ctx)
	if err == nil && cp.Size > leaf {
		if err := c.holds(ctx, cp); err != nil {
			return nil, err
		}
		return cp, nil
	}
	if err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		return nil, err
	}
	if cp, err = c.Checkpoint(ctx); err != nil {
		return nil, err
	}
	if cp.Size <= leaf {
		return nil, navette.Errorf(navette.ENOTFOUND, "The journal has no leaf %d.", leaf)
	}
	return cp, nil
}

// issue does Checkpoint's work, holding the lock.
func (c *Checkpointer) issue(ctx context.Context) (*navette.Checkpoint, error) {
	size, latest, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	if latest != nil && latest.Size == size {
		if err := c.holds(ctx, latest); err != nil {
			return nil, err
		}
		return latest, nil
	}
	if size == 0 {
		return nil, navette.Errorf(navette.ENOTFOUND, "The journal is empty.")
	}
	root, err := c.treeRoot(ctx, size, latest)
	if err != nil {
		return nil, err
	}
	msg, err := c.sign(size, root)
	if err != nil {
		return nil, err
	}
	return c.add(ctx, &navette.Checkpoint{Size: size, Root: root, Note: msg, CreatedAt: c.Clock.Now()})
}

// treeRoot returns the root hash of the stored tree of size leaves, once
// it is proven to extend the tree of latest, if not nil.
func (c *Checkpointer) treeRoot(ctx context.Context, size int64, latest *navette.Checkpoint) (tlog.Hash, error) {
	r := HashReader(ctx, c.Store)
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return tlog.Hash{}, wrapTree(err)
	}
	if latest != nil {
		if err := c.extends(latest, size, root, r); err != nil {
			return tlog.Hash{}, err
		}
	}
	return root, nil
}

// sign returns the checkpoint note of the tree of size leaves and root
// hash root, signed with the active key.
func (c *Checkpointer) sign(size int64, root tlog.Hash) ([]byte, error) {
	signer, err := c.Keys.Signer()
	if err != nil {
		return nil, err
	}
	msg, err := Sign(signer, size, root)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, fmt.Errorf("proof: sign a checkpoint: %w", err), "")
	}
	return msg, nil
}

// current returns the tree's size and its latest checkpoint, nil if none;
// ErrInconsistent if the checkpoint is of a larger tree.
func (c *Checkpointer) current(ctx context.Context) (int64, *navette.Checkpoint, error) {
	size, err := c.Store.TreeSize(ctx)
	if err != nil {
		return 0, nil, err
	}
	latest, err := c.Store.LatestCheckpoint(ctx)
	if err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		return 0, nil, err
	}
	if latest != nil && latest.Size > size {
		return 0, nil, navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w: the tree has %d leaves, its checkpoint %d", ErrInconsistent, size, latest.Size), "")
	}
	return size, latest, nil
}

// extends checks that latest is a checkpoint the keys signed and that the
// tree of size leaves and root hash root, read by r, extends it; or
// returns ErrInconsistent.
func (c *Checkpointer) extends(latest *navette.Checkpoint, size int64, root tlog.Hash, r tlog.HashReader) error {
	if err := checkStored(latest, c.KeyList()); err != nil {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w: %w: checkpoint %d: %w", ErrInconsistent, errUnopened, latest.Size, err), "")
	}
	p, err := tlog.ProveTree(size, latest.Size, r)
	if err != nil {
		return wrapTree(err)
	}
	if err := tlog.CheckTree(p, size, root, latest.Size, latest.Root); err != nil {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w: from %d to %d leaves: %w", ErrInconsistent, latest.Size, size, err), "")
	}
	return nil
}

// add stores cp and wakes the stamper, or returns the checkpoint of the
// same tree another node stored at the same time.
func (c *Checkpointer) add(ctx context.Context, cp *navette.Checkpoint) (*navette.Checkpoint, error) {
	if err := c.Store.AddCheckpoint(ctx, cp); navette.IsCode(err, navette.ECONFLICT) {
		cps, err := c.Store.Checkpoints(ctx, navette.CheckpointFilter{MinSize: cp.Size, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(cps) == 1 {
			return cps[0], nil
		}
	} else if err != nil {
		return nil, err
	}
	if c.Stamper != nil {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return cp, nil
}

// StampPending time-stamps the checkpoints that have no time-stamp yet,
// oldest first, unless a failure asked to wait. It does nothing without a
// Stamper.
func (c *Checkpointer) StampPending(ctx context.Context) error {
	c.init()
	if c.Stamper == nil {
		return nil
	}
	c.st.Lock()
	wait := c.Clock.Now().Before(c.st.nextStamp)
	c.st.Unlock()
	if wait {
		return nil
	}
	err := c.exclusive(ctx, &c.stampMu, TaskStamp, false, c.stamp)
	c.st.Lock()
	defer c.st.Unlock()
	c.st.stampErr = err
	if err == nil {
		c.st.backoff, c.st.nextStamp = 0, time.Time{}
		return nil
	}
	c.st.backoff = min(max(2*c.st.backoff, minBackoff), maxBackoff)
	c.st.nextStamp = c.Clock.Now().Add(c.st.backoff)
	return err
}

// stamp does StampPending's work, holding the lock.
func (c *Checkpointer) stamp(ctx context.Context) error {
	for {
		cps, err := c.Store.Checkpoints(ctx, navette.CheckpointFilter{Unstamped: true, Limit: stampBatch})
		if err != nil {
			return err
		}
		for _, cp := range cps {
			if err := c.stampOne(ctx, cp); err != nil {
				return err
			}
		}
		if len(cps) < stampBatch {
			return nil
		}
	}
}

// stampOne has checkpoint cp time-stamped and stores the token; a token
// another node stored first is kept.
func (c *Checkpointer) stampOne(ctx context.Context, cp *navette.Checkpoint) error {
	sum := sha256.Sum256(cp.Note)
	sctx, cancel := context.WithTimeout(ctx, stampTimeout)
	token, err := c.Stamper.Stamp(sctx, sum[:])
	cancel()
	if err != nil {
		return fmt.Errorf("time-stamp the checkpoint of %d leaves: %w", cp.Size, err)
	}
	if err := c.Store.StampCheckpoint(ctx, cp.Size, token, c.Clock.Now()); err != nil && !navette.IsCode(err, navette.ECONFLICT) {
		return err
	}
	return nil
}

// Status is the state of the journal's checkpoints, for /readyz.
type Status struct {
	TimeSource   string    // TimeSourceTSA or TimeSourceClock
	Size         int64     // leaves of the latest checkpoint, 0 if none
	CheckpointAt time.Time // when the latest checkpoint was signed
	// StampLag is how long the oldest checkpoint waiting for a time-stamp
	// has waited: 0 when none waits or without a Stamper.
	StampLag time.Duration
	// Problem says what is wrong, "" if nothing is: checkpoints cannot be
	// issued (the tree is not consistent with the last one) or the
	// time-stamping authority fails. It names no server: it may be shown
	// to anyone.
	Problem string
	// Err is the error behind Problem, for the logs.
	Err error
}

// Status returns the state of the journal's checkpoints.
func (c *Checkpointer) Status(ctx context.Context) (Status, error) {
	c.init()
	s := Status{TimeSource: TimeSourceClock}
	if c.Stamper != nil {
		s.TimeSource = TimeSourceTSA
	}
	latest, err := c.Store.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		s.Size, s.CheckpointAt = latest.Size, latest.CreatedAt
	case !navette.IsCode(err, navette.ENOTFOUND):
		return s, err
	}
	if c.Stamper != nil {
		if s.StampLag, err = c.stampLag(ctx); err != nil {
			return s, err
		}
	}
	s.Problem, s.Err = c.problem(s.StampLag)
	return s, nil
}

// stampLag returns how long the oldest checkpoint waiting for a time-stamp
// has waited, 0 when none waits.
func (c *Checkpointer) stampLag(ctx context.Context) (time.Duration, error) {
	cps, err := c.Store.Checkpoints(ctx, navette.CheckpointFilter{Unstamped: true, Limit: 1})
	if err != nil || len(cps) != 1 {
		return 0, err
	}
	return max(c.Clock.Now().Sub(cps[0].CreatedAt), 0), nil
}

// problem returns Status's Problem and Err, from the last failures to sign
// and to stamp; lag is the stamp lag Status reports.
func (c *Checkpointer) problem(lag time.Duration) (string, error) {
	c.st.Lock()
	defer c.st.Unlock()
	switch {
	case errors.Is(c.st.problem, errUnopened):
		return "no journal checkpoint can be signed: the last one signed does not open with this node's journal keys (if the journal key was rotated on another node, copy its keys/ here; else run navette admin journal verify)", c.st.problem
	case c.st.problem != nil:
		return "no journal checkpoint can be signed: the tree is not consistent with the last one signed (run navette admin journal verify)", c.st.problem
	case c.st.stampErr != nil:
		return fmt.Sprintf("the time-stamping authority fails: checkpoints have waited %s for their time-stamp", lag.Round(time.Second)), c.st.stampErr
	}
	return "", nil
}

// Latest returns the latest checkpoint, issuing the first one if none was
// signed yet. Returns ENOTFOUND if the journal is empty.
func (c *Checkpointer) Latest(ctx context.Context) (*navette.Checkpoint, error) {
	cp, err := c.Store.LatestCheckpoint(ctx)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return c.Checkpoint(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := c.holds(ctx, cp); err != nil {
		return nil, err
	}
	return cp, nil
}

// holds checks that cp, a stored checkpoint about to be handed out, holds:
// signed by the journal's keys (none retired for a larger tree), for the
// size and root it is stored with, and that root the stored tree's at its
// size; or returns an error wrapping ErrInconsistent. A row altered by
// someone who can write the database but has no key is never handed out.
// Each stored checkpoint is checked once: the one last found to hold is
// remembered by its digest.
func (c *Checkpointer) holds(ctx context.Context, cp *navette.Checkpoint) error {
	sum := sha256.Sum256(append(fmt.Appendf(nil, "%d\n%x\n", cp.Size, cp.Root[:]), cp.Note...))
	c.held.Lock()
	known := c.held.sum == sum
	c.held.Unlock()
	if known {
		return nil
	}
	if err := checkStored(cp, c.KeyList()); err != nil {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w: %w: checkpoint %d: %w", ErrInconsistent, errUnopened, cp.Size, err), "")
	}
	root, err := tlog.TreeHash(cp.Size, HashReader(ctx, c.Store))
	if err != nil {
		return wrapTree(err)
	}
	if root != cp.Root {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w: the checkpoint stored for %d leaves signs root %s, the tree has %s", ErrInconsistent, cp.Size, cp.Root, root), "")
	}
	c.held.Lock()
	c.held.sum = sum
	c.held.Unlock()
	return nil
}

// VerifierKeys returns the verifier keys, current and past, that open the
// journal's checkpoints, in note's verifier key text form.
func (c *Checkpointer) VerifierKeys() []string { return c.Keys.Verifiers() }

// KeyList returns the journal's published key list, one line a string:
// the verifier keys, current and past, each retired one followed by the
// line that bounds the trees it signed (receipt.RetiredLine).
func (c *Checkpointer) KeyList() []string {
	retired := c.Keys.Retirements()
	var out []string
	for _, k := range c.Keys.Verifiers() {
		out = append(out, k)
		if n, ok := retired[k]; ok {
			out = append(out, receipt.RetiredLine(k, n))
		}
	}
	return out
}

// RotateKey runs rotate, which makes a new signing key and journals it,
// while no checkpoint is signed, on this node nor, with Exclusive, on
// any, then signs a checkpoint of the tree with the new key before any
// other can be: a node that still holds the old key then cannot check the
// latest checkpoint and signs no more until it has the new one, so that
// the old key signs no tree larger than the one its retirement records.
// It returns that checkpoint (nil if the journal is empty).
func (c *Checkpointer) RotateKey(ctx context.Context, rotate func(context.Context) error) (*navette.Checkpoint, error) {
	c.init()
	var cp *navette.Checkpoint
	err := c.exclusive(ctx, &c.signMu, TaskSign, true, func(ctx context.Context) error {
		if err := rotate(ctx); err != nil {
			return err
		}
		var err error
		if cp, err = c.issue(ctx); navette.IsCode(err, navette.ENOTFOUND) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return cp, nil
}

// Inclusion returns the proof that leaf is in the tree of size leaves; see
// the function Inclusion.
func (c *Checkpointer) Inclusion(ctx context.Context, leaf, size int64) (tlog.RecordProof, error) {
	return Inclusion(ctx, c.Store, leaf, size)
}

// Consistency returns the proof that the tree of from leaves is a prefix of
// the tree of to leaves; see the function Consistency.
func (c *Checkpointer) Consistency(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	return Consistency(ctx, c.Store, from, to)
}
