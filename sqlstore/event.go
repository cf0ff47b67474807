package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"navette"
)

const eventCols = "seq, time, type, actor_id, deposit_id, file_id, size, sha256, detail, hash, leaf, claims, auth"

// checkEvents refuses events the journal cannot hold: without a time or a
// type, or with a notice the outbox cannot hold. Their Seq is ignored:
// storage assigns it.
func checkEvents(events []navette.Event) error {
	for _, e := range events {
		if e.Time.IsZero() {
			return invalid("An event needs a time.")
		}
		if e.Type == "" {
			return invalid("An event needs a type.")
		}
		for i := range e.Notices {
			if err := checkNotice(&e.Notices[i]); err != nil {
				return err
			}
		}
		if err := checkEvidence(&e); err != nil {
			return err
		}
	}
	return nil
}

// insertEvents appends events in tx, in their order, each linked to the one
// before it by its hash (navette.ChainHash) and made the next leaf of the
// journal's tree (navette.EventLeaf), whose new stored hashes it appends
// too, and adds the notices they carry; the database assigns their
// sequence numbers.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	if len(events) == 0 {
		return s.insertNotices(ctx, tx, events)
	}
	if err := s.appendEvents(ctx, tx, events); err != nil {
		return err
	}
	if err := s.insertEvidence(ctx, tx, events); err != nil {
		return err
	}
	if err := s.endDownloadClaim(ctx, tx, events); err != nil {
		return err
	}
	return s.insertNotices(ctx, tx, events)
}

// appendEvents appends events to the journal in tx: its chain and, unless
// s.noTree, its tree.
func (s *Store) appendEvents(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	if s.d.LockEvents != "" {
		if _, err := tx.ExecContext(ctx, s.d.LockEvents); err != nil {
			return s.internal(err, "lock events")
		}
	}
	prev, leaf, err := s.journalHead(ctx, tx)
	if err != nil {
		return err
	}
	tree := s.newTreeWriter(ctx, tx, leaf, prev)
	if prev, err = s.insertEventRows(ctx, tx, tree, prev, events); err != nil {
		return err
	}
	if s.noTree {
		return nil
	}
	if err := tree.flush(); err != nil {
		return err
	}
	tree.keepEdge(prev)
	return nil
}

// journalHead returns the hash of the last event and the next leaf of the
// tree. The chain and the tree go on from the last event, read under the
// lock of appendEvents (or SQLite's single writer), so that no two appends
// link to the same one or take the same leaf.
func (s *Store) journalHead(ctx context.Context, tx *sql.Tx) (prev []byte, leaf int64, err error) {
	var last sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT hash, leaf FROM events ORDER BY seq DESC LIMIT 1`).Scan(&prev, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, s.internal(err, "read the journal's head")
	}
	if last.Valid {
		leaf = last.Int64 + 1
	}
	return prev, leaf, nil
}

// eventBatch is the number of events a multi-row INSERT appends: the rows
// of one statement are numbered in their order.
const eventBatch = 100

// insertEventCols are the columns of events that eventRow gives, in its
// order.
const insertEventCols = "time, type, actor_id, deposit_id, file_id, size, sha256, detail, hash, leaf, claims, auth"

// insertEventN is the number of columns of insertEventCols.
const insertEventN = 12

// insertEventRows inserts events in their order, eventBatch a statement,
// the first linked to the event whose hash is prev, and adds them to tree;
// it returns the hash of the last.
func (s *Store) insertEventRows(ctx context.Context, tx *sql.Tx, tree *treeWriter, prev []byte, events []navette.Event) ([]byte, error) {
	ins := newBatchInsert(ctx, tx, &s.d, "events", insertEventCols, insertEventN, eventBatch)
	defer ins.close()
	args := make([]any, 0, insertEventN*min(len(events), eventBatch))
	for start := 0; start < len(events); start += eventBatch {
		args = args[:0]
		for _, e := range events[start:min(start+eventBatch, len(events))] {
			var err error
			if prev, args, err = s.eventRow(ctx, tree, prev, &e, args); err != nil {
				return nil, err
			}
		}
		if err := ins.exec(args); err != nil {
			return nil, s.internal(err, "append event")
		}
	}
	return prev, nil
}

// eventRow links e to the event whose hash is prev and adds it to tree; it
// returns the hash of e, and args with the columns of its row appended.
func (s *Store) eventRow(ctx context.Context, tree *treeWriter, prev []byte, e *navette.Event, args []any) ([]byte, []any, error) {
	e.Auth = eventAuth(ctx, e)
	h := navette.ChainHash(prev, e)
	var leaf any = tree.next
	if s.noTree {
		leaf = nil
	}
	args = append(args, timeArg(e.Time), string(e.Type), e.ActorID, e.DepositID, e.FileID, e.Size, bytesArg(e.SHA256), e.Detail, h,
		leaf, bytesArg(e.Claims), e.Auth)
	if !s.noTree {
		if err := tree.add(e); err != nil {
			return nil, nil, err
		}
	}
	return h, args, nil
}

// eventAuth returns the sign-in method e records: its own, or that of the
// request of ctx if e's actor is the request's user.
func eventAuth(ctx context.Context, e *navette.Event) string {
	if e.Auth != "" || e.ActorID == "" {
		return e.Auth
	}
	si, ok := navette.SignInFromContext(ctx)
	if u := navette.UserFromContext(ctx); !ok || u == nil || u.ID != e.ActorID {
		return ""
	}
	return si.Method
}

// AppendEvents appends events that go with no other change, in one
// transaction.
func (s *Store) AppendEvents(ctx context.Context, events ...navette.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "append events", func(tx *sql.Tx) error {
		return s.insertEvents(ctx, tx, events)
	})
}

// DownloadCount returns how many file.downloaded events the journal holds
// for this deposit, file and actor.
func (s *Store) DownloadCount(ctx context.Context, depositID, fileID, userID string) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE deposit_id = $1 AND type = $2 AND file_id = $3 AND actor_id = $4`,
		depositID, string(navette.EventFileDownloaded), fileID, userID).Scan(&n)
	if err != nil {
		return 0, s.internal(err, "count downloads")
	}
	return n, nil
}

// JournalHead returns the last event of the journal. Returns ENOTFOUND if
// it is empty.
func (s *Store) JournalHead(ctx context.Context) (*navette.Event, error) {
	return s.firstEvent(ctx, "read the journal's head", navette.Errorf(navette.ENOTFOUND, "The journal is empty."),
		`SELECT `+eventCols+` FROM events ORDER BY seq DESC LIMIT 1`)
}

// Events returns events matching f, oldest first.
func (s *Store) Events(ctx context.Context, f navette.EventFilter) ([]navette.Event, error) {
	limit, err := limitArg(f.Limit, 1000)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if f.DepositID != "" {
		rows, err = s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM events
			WHERE deposit_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, f.DepositID, f.AfterSeq, limit)
	} else {
		rows, err = s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM events
			WHERE seq > $1 ORDER BY seq LIMIT $2`, f.AfterSeq, limit)
	}
	if err != nil {
		return nil, s.internal(err, "list events")
	}
	return s.scanEvents(rows)
}

// firstEvent returns the first event the query q of the columns eventCols
// finds, or missing if it finds none; what names the read in an internal
// error.
func (s *Store) firstEvent(ctx context.Context, what string, missing error, q string, args ...any) (*navette.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.internal(err, what)
	}
	evs, err := s.scanEvents(rows)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, missing
	}
	return &evs[0], nil
}

// scanEvents reads the columns eventCols of rows, and closes them.
func (s *Store) scanEvents(rows *sql.Rows) ([]navette.Event, error) {
	defer rows.Close()
	var out []navette.Event
	for rows.Next() {
		var (
			e    navette.Event
			t    sql.NullInt64
			typ  string
			leaf sql.NullInt64
		)
		if err := rows.Scan(&e.Seq, &t, &typ, &e.ActorID, &e.DepositID, &e.FileID, &e.Size, &e.SHA256, &e.Detail, &e.Hash, &leaf, &e.Claims, &e.Auth); err != nil {
			return nil, s.internal(err, "list events")
		}
		e.Time = timeCol(t)
		e.Type = navette.EventType(typ)
		e.SHA256 = bytesCol(e.SHA256)
		e.Hash = bytesCol(e.Hash)
		e.Claims = bytesCol(e.Claims)
		e.Leaf = -1
		if leaf.Valid {
			e.Leaf = leaf.Int64
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "list events")
	}
	return out, nil
}
