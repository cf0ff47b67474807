package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
)

// The journal's Merkle tree is kept as tlog's stored hashes, one row of
// journal_hashes per stored hash index: appending leaf n writes the hashes
// tlog.StoredHashes returns, at StoredHashIndex(0, n) and after. Every
// event carries its leaf index (events.leaf), so that the tree's size is
// the last event's leaf plus one.

// treeWriter appends leaves to the tree inside a write transaction that
// holds the journal's lock.
type treeWriter struct {
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	next int64 // leaf index of the next event

	start   int64               // stored hash index of the first pending hash
	pending []tlog.Hash         // hashes computed but not yet inserted
	known   map[int64]tlog.Hash // pending hashes by index, for StoredHashes' reads
	ins     *batchInsert        // of journal_hashes, closed with tx
}

// treeEdge is the edge of the tree of size leaves whose last event has the
// chain hash head: the hashes of its complete subtrees, which are all that
// appending to it reads. It is kept in memory between appends, and used
// only by an append that finds, under the journal's lock, the same size
// and head: then no other writer appended in between (the head's chain
// hash covers every event before it), and a transaction that set it and
// rolled back left another head.
type treeEdge struct {
	sync.Mutex
	size   int64
	head   []byte
	hashes map[int64]tlog.Hash
}

// newTreeWriter returns a treeWriter whose next leaf is next, after the
// event whose chain hash is head.
func (s *Store) newTreeWriter(ctx context.Context, tx *sql.Tx, next int64, head []byte) *treeWriter {
	w := &treeWriter{s: s, ctx: ctx, tx: tx, next: next, start: tlog.StoredHashIndex(0, next), known: map[int64]tlog.Hash{}}
	s.edge.Lock()
	if len(head) > 0 && s.edge.size == next && bytes.Equal(s.edge.head, head) {
		maps.Copy(w.known, s.edge.hashes)
	}
	s.edge.Unlock()
	return w
}

// keepEdge remembers the edge of the tree after the appends of w, whose
// last event has the chain hash head.
func (w *treeWriter) keepEdge(head []byte) {
	edge := map[int64]tlog.Hash{}
	for l := 0; w.next>>l > 0; l++ {
		if (w.next>>l)&1 == 1 {
			x := tlog.StoredHashIndex(l, w.next>>l-1)
			h, ok := w.known[x]
			if !ok {
				return
			}
			edge[x] = h
		}
	}
	w.s.edge.Lock()
	w.s.edge.size, w.s.edge.head, w.s.edge.hashes = w.next, bytes.Clone(head), edge
	w.s.edge.Unlock()
}

// add makes e the next leaf.
func (w *treeWriter) add(e *navette.Event) error {
	hs, err := tlog.StoredHashesForRecordHash(w.next, tlog.RecordHash(navette.EventLeaf(e)), tlog.HashReaderFunc(w.read))
	if err != nil {
		// The hashes are read from the database: a connection lost there is
		// classified as any other store error (503, try again).
		return w.s.internal(err, fmt.Sprintf("journal tree, leaf %d", w.next))
	}
	idx := tlog.StoredHashIndex(0, w.next)
	for i, h := range hs {
		w.known[idx+int64(i)] = h
	}
	w.pending = append(w.pending, hs...)
	w.next++
	if len(w.pending) >= hashBatch {
		return w.write(false)
	}
	return nil
}

// read returns stored hashes, pending ones from memory and the others from
// the transaction.
func (w *treeWriter) read(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := w.known[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := readHashes(w.ctx, w.tx, missing)
	if err != nil {
		return nil, err
	}
	for i, x := range indexes {
		if h, ok := got[x]; ok {
			out[i] = h
			w.known[x] = h
		} else if _, ok := w.known[x]; !ok {
			return nil, fmt.Errorf("stored hash %d is missing", x)
		}
	}
	return out, nil
}

// hashBatch is the number of stored hashes a multi-row INSERT writes.
const hashBatch = 500

// flush inserts the pending hashes.
func (w *treeWriter) flush() error { return w.write(true) }

// write inserts the pending hashes, hashBatch a statement, and those of a
// last, shorter batch only if all.
func (w *treeWriter) write(all bool) error {
	if w.ins == nil {
		w.ins = newBatchInsert(w.ctx, w.tx, &w.s.d, "journal_hashes", "idx, hash", 2, hashBatch)
	}
	args := make([]any, 0, 2*min(len(w.pending), hashBatch))
	done := 0
	for done < len(w.pending) && (all || len(w.pending)-done >= hashBatch) {
		batch := w.pending[done:min(done+hashBatch, len(w.pending))]
		args = args[:0]
		for i := range batch {
			args = append(args, w.start+int64(done+i), batch[i][:])
		}
		if err := w.ins.exec(args); err != nil {
			return w.s.internal(err, "append to the journal tree")
		}
		done += len(batch)
	}
	w.start += int64(done)
	w.pending = append(w.pending[:0], w.pending[done:]...)
	return nil
}

// readHashes reads the stored hashes at indexes that exist, by index.
func readHashes(ctx context.Context, q queryer, indexes []int64) (map[int64]tlog.Hash, error) {
	out := make(map[int64]tlog.Hash, len(indexes))
	for len(indexes) > 0 {
		batch := indexes[:min(len(indexes), 500)]
		indexes = indexes[len(batch):]
		args := make([]any, len(batch))
		for i, x := range batch {
			args[i] = x
		}
		rows, err := q.QueryContext(ctx, `SELECT idx, hash FROM journal_hashes WHERE idx IN (`+placeholders(1, len(batch))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				x int64
				h []byte
			)
			if err := rows.Scan(&x, &h); err != nil {
				rows.Close()
				return nil, err
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("stored hash %d has %d bytes", x, len(h))
			}
			out[x] = tlog.Hash(h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CompleteTree appends to the journal's tree the events that are not yet
// in it: those journaled before the tree began, whose leaf index the
// schema migration assigned. The stores call it as they open; it does
// nothing when the tree is complete.
func (s *Store) CompleteTree(ctx context.Context) error {
	size, hashed, err := treeExtent(ctx, s.wdb)
	if err != nil {
		return s.internal(err, "read the journal tree's size")
	}
	if tlog.StoredHashCount(size) == hashed {
		return nil
	}
	return s.inTx(ctx, "complete the journal tree", func(tx *sql.Tx) error {
		if s.d.LockEvents != "" {
			if _, err := tx.ExecContext(ctx, s.d.LockEvents); err != nil {
				return s.internal(err, "lock events")
			}
		}
		size, hashed, err := treeExtent(ctx, tx)
		if err != nil {
			return s.internal(err, "read the journal tree's size")
		}
		done, err := hashedLeaves(size, hashed)
		if err != nil {
			return err
		}
		return s.hashLeaves(ctx, tx, s.newTreeWriter(ctx, tx, done, nil), size)
	})
}

// treeExtent returns the number of leaves of the journal's tree, its
// events, and the number of its stored hashes.
func treeExtent(ctx context.Context, q queryer) (size, hashed int64, err error) {
	var maxLeaf, maxIdx sql.NullInt64
	rows, err := q.QueryContext(ctx, `SELECT (SELECT max(leaf) FROM events), (SELECT max(idx) FROM journal_hashes)`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&maxLeaf, &maxIdx); err != nil {
			return 0, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	if maxLeaf.Valid {
		size = maxLeaf.Int64 + 1
	}
	if maxIdx.Valid {
		hashed = maxIdx.Int64 + 1
	}
	return size, hashed, nil
}

// hashedLeaves returns the number of leaves, of the size a tree has, whose
// hashes are among the hashed stored ones: the k whose StoredHashCount is
// hashed.
func hashedLeaves(size, hashed int64) (int64, error) {
	lo, hi := int64(0), size
	for lo < hi {
		mid := lo + (hi-lo)/2
		if tlog.StoredHashCount(mid) < hashed {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if tlog.StoredHashCount(lo) != hashed {
		return 0, navette.Errorf(navette.EINTERNAL, "the journal tree holds %d stored hashes, which no tree size has", hashed)
	}
	return lo, nil
}

// hashLeaves adds the events from w's next leaf up to size to the tree.
func (s *Store) hashLeaves(ctx context.Context, tx *sql.Tx, w *treeWriter, size int64) error {
	for w.next < size {
		rows, err := tx.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE leaf >= $1 ORDER BY leaf LIMIT 1000`, w.next)
		if err != nil {
			return s.internal(err, "read events")
		}
		evs, err := s.scanEvents(rows)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			if evs[i].Leaf != w.next {
				return navette.Errorf(navette.EINTERNAL, "the journal has no leaf %d", w.next)
			}
			if err := w.add(&evs[i]); err != nil {
				return err
			}
		}
		// Pending hashes of earlier leaves are read from the database from
		// now on.
		if err := w.flush(); err != nil {
			return err
		}
		clear(w.known)
	}
	return w.flush()
}

// TreeSize returns the number of leaves of the journal's tree.
func (s *Store) TreeSize(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT max(leaf) FROM events`).Scan(&n); err != nil {
		return 0, s.internal(err, "read the journal tree's size")
	}
	if !n.Valid {
		return 0, nil
	}
	return n.Int64 + 1, nil
}

// ReadHashes returns the tree's stored hashes at indexes. Returns
// ENOTFOUND if one is not stored.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	got, err := readHashes(ctx, s.rdb, indexes)
	if err != nil {
		return nil, s.internal(err, "read the journal tree")
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok {
			return nil, navette.Errorf(navette.ENOTFOUND, "The journal tree has no stored hash %d.", x)
		}
		out[i] = h
	}
	return out, nil
}

// EventByLeaf returns the event that is leaf n of the tree. Returns
// ENOTFOUND if none.
func (s *Store) EventByLeaf(ctx context.Context, n int64) (*navette.Event, error) {
	return s.firstEvent(ctx, "read an event", navette.Errorf(navette.ENOTFOUND, "The journal has no leaf %d.", n),
		`SELECT `+eventCols+` FROM events WHERE leaf = $1`, n)
}

const checkpointCols = "size, root, note, created_at, token, stamped_at"

// AddCheckpoint stores a signed checkpoint. Returns EINVALID for a size
// that is not positive, an empty note or a zero time, ECONFLICT if a
// checkpoint of that size exists.
func (s *Store) AddCheckpoint(ctx context.Context, c *navette.Checkpoint) error {
	switch {
	case c == nil || c.Size < 1:
		return invalid("A checkpoint needs a positive size.")
	case len(c.Note) == 0:
		return invalid("A checkpoint needs its signed note.")
	case c.CreatedAt.IsZero():
		return invalid("A checkpoint needs a creation time.")
	case len(c.Token) > 0 && c.StampedAt.IsZero():
		return invalid("A time-stamped checkpoint needs the time it was stamped.")
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO journal_checkpoints (`+checkpointCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Size, c.Root[:], bytesArg(c.Note), timeArg(c.CreatedAt), bytesArg(c.Token), timeArg(c.StampedAt))
	if err != nil {
		return s.insertErr(err, "add a checkpoint", fmt.Sprintf("A checkpoint of a tree of %d leaves exists.", c.Size), "")
	}
	return nil
}

// LatestCheckpoint returns the checkpoint of the largest tree. Returns
// ENOTFOUND if none.
func (s *Store) LatestCheckpoint(ctx context.Context) (*navette.Checkpoint, error) {
	cs, err := s.queryCheckpoints(ctx, `SELECT `+checkpointCols+` FROM journal_checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, navette.Errorf(navette.ENOTFOUND, "No checkpoint of the journal was signed yet.")
	}
	return cs[0], nil
}

// Checkpoints returns the checkpoints matching f, smallest tree first.
func (s *Store) Checkpoints(ctx context.Context, f navette.CheckpointFilter) ([]*navette.Checkpoint, error) {
	limit, err := limitArg(f.Limit, 100)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + checkpointCols + ` FROM journal_checkpoints WHERE size >= $1`
	if f.Unstamped {
		q += ` AND token IS NULL`
	}
	return s.queryCheckpoints(ctx, q+` ORDER BY size LIMIT $2`, f.MinSize, limit)
}

// StampCheckpoint adds the time-stamp token of the checkpoint of the given
// size. Returns ENOTFOUND if none, ECONFLICT if it has one, EINVALID for an
// empty token or a zero time.
func (s *Store) StampCheckpoint(ctx context.Context, size int64, token []byte, at time.Time) error {
	if len(token) == 0 || at.IsZero() {
		return invalid("A time-stamp needs its token and the time it was obtained.")
	}
	return s.inTx(ctx, "stamp a checkpoint", func(tx *sql.Tx) error {
		var stamped bool
		err := tx.QueryRowContext(ctx, `SELECT token IS NOT NULL FROM journal_checkpoints WHERE size = $1`+s.lock, size).Scan(&stamped)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return navette.Errorf(navette.ENOTFOUND, "No checkpoint of a tree of %d leaves.", size)
		case err != nil:
			return s.internal(err, "stamp a checkpoint")
		case stamped:
			return navette.Errorf(navette.ECONFLICT, "The checkpoint of a tree of %d leaves is time-stamped already.", size)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE journal_checkpoints SET token = $1, stamped_at = $2 WHERE size = $3`,
			bytesArg(token), timeArg(at), size); err != nil {
			return s.internal(err, "stamp a checkpoint")
		}
		return nil
	})
}

// queryCheckpoints runs a query returning checkpointCols.
func (s *Store) queryCheckpoints(ctx context.Context, q string, args ...any) ([]*navette.Checkpoint, error) {
	return queryAll(ctx, s, s.rdb, "list checkpoints", scanCheckpoint, q, args...)
}

// scanCheckpoint reads the columns checkpointCols.
func scanCheckpoint(row scanner) (*navette.Checkpoint, error) {
	var (
		c                navette.Checkpoint
		root             []byte
		created, stamped sql.NullInt64
	)
	err := row.Scan(&c.Size, &root, &c.Note, &created, &c.Token, &stamped)
	copy(c.Root[:], root)
	c.CreatedAt, c.StampedAt = timeCol(created), timeCol(stamped)
	c.Token = bytesCol(c.Token)
	return &c, err
}
