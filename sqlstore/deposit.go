package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette"
)

const (
	depositCols = "d.id, d.sender_id, d.state, d.retention_days, d.key_id, d.key_data, d.reference, d.message, " +
		"d.created_at, d.submitted_at, d.available_at, d.expires_at, d.revoked_at, d.purged_at, d.notify_sender, d.reminded_at, " +
		"d.proof_key_id, d.proof_key_data, d.proof_until, d.max_downloads, d.from_space_id, d.forwarded_from, " +
		"d.idempotency_key, d.request_digest, COALESCE((SELECT su.disabled FROM users su WHERE su.id = d.sender_id), 0)"
	recipientCols = "r.user_id, u.email, u.name, u.role, u.disabled, r.first_download_at, r.first_download_by, r.first_opened_at, r.first_opened_by"
	// withRecipients joins a deposit row d to its recipients, one row per
	// recipient, or one row of NULLs if it has none.
	withRecipients = " LEFT JOIN deposit_recipients r ON r.deposit_id = d.id LEFT JOIN users u ON u.id = r.user_id"
	recipientOrder = "u.email, r.user_id"
)

// depositRow receives the columns depositCols.
type depositRow struct {
	d                                                                 navette.DepositRecord
	state                                                             string
	created, submitted, available, expires, revoked, purged, reminded sql.NullInt64
	proofUntil                                                        sql.NullInt64
	fromSpace, forwardedFrom, idempotencyKey                          sql.NullString
	notifySender, senderDisabled                                      int64
}

func (r *depositRow) dest() []any {
	return []any{&r.d.ID, &r.d.SenderID, &r.state, &r.d.RetentionDays, &r.d.Key.KeyID, &r.d.Key.Data,
		&r.d.Reference, &r.d.Message, &r.created, &r.submitted, &r.available, &r.expires, &r.revoked, &r.purged,
		&r.notifySender, &r.reminded, &r.d.ProofKey.KeyID, &r.d.ProofKey.Data, &r.proofUntil, &r.d.MaxDownloads, &r.fromSpace, &r.forwardedFrom,
		&r.idempotencyKey, &r.d.RequestDigest, &r.senderDisabled}
}

func (r *depositRow) record() *navette.DepositRecord {
	d := r.d
	d.State = navette.DepositState(r.state)
	d.Key.Data = bytesCol(d.Key.Data)
	d.Reference = bytesCol(d.Reference)
	d.Message = bytesCol(d.Message)
	d.CreatedAt = timeCol(r.created)
	d.SubmittedAt = timeCol(r.submitted)
	d.AvailableAt = timeCol(r.available)
	d.ExpiresAt = timeCol(r.expires)
	d.RevokedAt = timeCol(r.revoked)
	d.PurgedAt = timeCol(r.purged)
	d.NotifySender = r.notifySender != 0
	d.RemindedAt = timeCol(r.reminded)
	d.ProofKey.Data = bytesCol(d.ProofKey.Data)
	d.ProofUntil = timeCol(r.proofUntil)
	d.FromSpaceID = r.fromSpace.String
	d.ForwardedFrom = r.forwardedFrom.String
	d.IdempotencyKey = r.idempotencyKey.String
	d.RequestDigest = bytesCol(d.RequestDigest)
	d.SenderDisabled = r.senderDisabled != 0
	return &d
}

// recipientRow receives the columns recipientCols, NULL when a deposit has
// no recipient.
type recipientRow struct {
	userID, email, name, role, firstBy, openedBy sql.NullString
	disabled, first, opened                      sql.NullInt64
}

func (r *recipientRow) dest() []any {
	return []any{&r.userID, &r.email, &r.name, &r.role, &r.disabled, &r.first, &r.firstBy, &r.opened, &r.openedBy}
}

func (r *recipientRow) recipient() navette.Recipient {
	return navette.Recipient{UserID: r.userID.String, Email: r.email.String, Name: r.name.String,
		Role: navette.Role(r.role.String), Disabled: r.disabled.Int64 != 0,
		FirstDownloadAt: timeCol(r.first), FirstDownloadBy: r.firstBy.String,
		FirstOpenedAt: timeCol(r.opened), FirstOpenedBy: r.openedBy.String}
}

// depositArgs returns the mutable columns of d in the order of the SET list
// of updateDeposit: all but id, sender_id, from_space_id, forwarded_from and
// created_at.
func depositArgs(d *navette.DepositRecord) []any {
	return []any{string(d.State), d.RetentionDays, d.Key.KeyID, bytesArg(d.Key.Data), bytesArg(d.Reference), bytesArg(d.Message),
		timeArg(d.SubmittedAt), timeArg(d.AvailableAt), timeArg(d.ExpiresAt), timeArg(d.RevokedAt), timeArg(d.PurgedAt),
		boolArg(d.NotifySender), timeArg(d.RemindedAt), d.ProofKey.KeyID, bytesArg(d.ProofKey.Data), timeArg(d.ProofUntil), d.MaxDownloads}
}

const updateDeposit = `UPDATE deposits SET state = $2, retention_days = $3, key_id = $4, key_data = $5, reference = $6,
	message = $7, submitted_at = $8, available_at = $9, expires_at = $10, revoked_at = $11, purged_at = $12,
	notify_sender = $13, reminded_at = $14, proof_key_id = $15, proof_key_data = $16, proof_until = $17, max_downloads = $18 WHERE id = $1`

// CreateDeposit adds d with its recipients.
func (s *Store) CreateDeposit(ctx context.Context, d *navette.DepositRecord, events ...navette.Event) error {
	if d == nil {
		return invalid("No deposit given.")
	}
	if d.CreatedAt.IsZero() {
		return invalid("A deposit needs a creation time.")
	}
	if d.ForwardedFrom != "" {
		return invalid("A forward is made by ForwardDeposit.")
	}
	seen := make(map[string]bool, len(d.Recipients))
	for _, r := range d.Recipients {
		if seen[r.UserID] {
			return invalid("A recipient is given twice.")
		}
		seen[r.UserID] = true
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create deposit", func(tx *sql.Tx) error {
		if err := s.releaseIdempotencyKey(ctx, tx, d); err != nil {
			return err
		}
		if err := s.insertDeposit(ctx, tx, d); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// releaseIdempotencyKey takes d's idempotency key from the deposit of d's
// sender that holds it, if that deposit is navette.IdempotencyKeyLifetime
// older than d, so that d may take it over.
func (s *Store) releaseIdempotencyKey(ctx context.Context, tx *sql.Tx, d *navette.DepositRecord) error {
	if d.IdempotencyKey == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE deposits SET idempotency_key = NULL, request_digest = NULL
		WHERE sender_id = $1 AND idempotency_key = $2 AND created_at <= $3`,
		d.SenderID, d.IdempotencyKey, timeArg(d.CreatedAt.Add(-navette.IdempotencyKeyLifetime)))
	if err != nil {
		return s.internal(err, "release idempotency key")
	}
	return nil
}

// insertDeposit adds the rows of d and its recipients.
func (s *Store) insertDeposit(ctx context.Context, tx *sql.Tx, d *navette.DepositRecord) error {
	args := append([]any{d.ID, d.SenderID, timeArg(d.CreatedAt)}, depositArgs(d)...)
	args = append(args, nullString(d.FromSpaceID), nullString(d.ForwardedFrom), nullString(d.IdempotencyKey), bytesArg(d.RequestDigest))
	_, err := tx.ExecContext(ctx, `INSERT INTO deposits (id, sender_id, created_at, state, retention_days, key_id, key_data,
		reference, message, submitted_at, available_at, expires_at, revoked_at, purged_at, notify_sender, reminded_at,
		proof_key_id, proof_key_data, proof_until, max_downloads, from_space_id, forwarded_from, idempotency_key, request_digest)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`, args...)
	if err != nil {
		return s.insertErr(err, "create deposit", "A deposit with this id or idempotency key exists already.", "No such sender.")
	}
	for _, r := range d.Recipients {
		_, err := tx.ExecContext(ctx, `INSERT INTO deposit_recipients (deposit_id, user_id, created_at, first_download_at, first_download_by, first_opened_at, first_opened_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.ID, r.UserID, timeArg(d.CreatedAt), timeArg(r.FirstDownloadAt), r.FirstDownloadBy, timeArg(r.FirstOpenedAt), r.FirstOpenedBy)
		if err != nil {
			return s.insertErr(err, "add recipient", "A recipient is given twice.", "No such recipient.")
		}
	}
	return nil
}

// Deposit returns the deposit with the given id, with its recipients.
func (s *Store) Deposit(ctx context.Context, id string) (*navette.DepositRecord, error) {
	return s.oneDeposit(ctx, `SELECT `+depositCols+`, `+recipientCols+` FROM deposits d`+withRecipients+`
		WHERE d.id = $1 ORDER BY `+recipientOrder, id)
}

// DepositByIdempotencyKey returns the deposit of senderID that holds key.
func (s *Store) DepositByIdempotencyKey(ctx context.Context, senderID, key string) (*navette.DepositRecord, error) {
	return s.oneDeposit(ctx, `SELECT `+depositCols+`, `+recipientCols+` FROM deposits d`+withRecipients+`
		WHERE d.sender_id = $1 AND d.idempotency_key = $2 ORDER BY `+recipientOrder, senderID, key)
}

// DepositFor returns the deposit with the given id if userID sent it, is one
// of its recipients or is a member of a service that is one, or, once it is
// no longer a draft, is a member of the service it was sent from.
//
// Whether the user may see it is decided first, and so that a deposit that
// does not exist and one the user may not see cost the same work: the
// sender probe reads the first deposit at or after id, which exists in
// both cases, and the other probes are index seeks keyed on both the id and
// the user. Only a deposit the user may see is then read.
func (s *Store) DepositFor(ctx context.Context, id, userID string) (*navette.DepositRecord, error) {
	var may bool
	err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE((SELECT id = $1 AND sender_id = $2 FROM deposits WHERE id >= $1 ORDER BY id LIMIT 1), FALSE)
		OR EXISTS (SELECT 1 FROM deposit_recipients WHERE deposit_id = $1 AND user_id = $2)
		OR EXISTS (SELECT 1 FROM members m JOIN deposit_recipients x ON x.user_id = m.service_id
			WHERE m.user_id = $2 AND x.deposit_id = $1)
		OR EXISTS (SELECT 1 FROM deposits y JOIN members m ON m.service_id = y.from_space_id
			WHERE y.id = $1 AND m.user_id = $2 AND y.state <> 'draft')`, id, userID).Scan(&may)
	if err != nil {
		return nil, s.internal(err, "get deposit")
	}
	if !may {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such deposit.")
	}
	return s.Deposit(ctx, id)
}

func (s *Store) oneDeposit(ctx context.Context, query string, args ...any) (*navette.DepositRecord, error) {
	ds, err := s.queryDeposits(ctx, "get deposit", query, args...)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such deposit.")
	}
	return ds[0], nil
}

// queryDeposits runs a query returning depositCols and recipientCols, the
// rows of each deposit together, and gathers the deposits in row order.
func (s *Store) queryDeposits(ctx context.Context, op, query string, args ...any) ([]*navette.DepositRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.internal(err, op)
	}
	defer rows.Close()
	var out []*navette.DepositRecord
	for rows.Next() {
		var (
			dr depositRow
			rr recipientRow
		)
		if err := rows.Scan(append(dr.dest(), rr.dest()...)...); err != nil {
			return nil, s.internal(err, op)
		}
		if n := len(out); n == 0 || out[n-1].ID != dr.d.ID {
			out = append(out, dr.record())
		}
		if rr.userID.Valid {
			d := out[len(out)-1]
			d.Recipients = append(d.Recipients, rr.recipient())
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, op)
	}
	return out, nil
}

// ListDeposits returns deposits matching f, newest first, with their
// recipients.
func (s *Store) ListDeposits(ctx context.Context, f navette.DepositFilter) ([]*navette.DepositRecord, error) {
	limit, err := limitArg(f.Limit, 100)
	if err != nil {
		return nil, err
	}
	var (
		inner  strings.Builder
		args   = []any{f.UserID}
		states = f.States
	)
	switch f.Box {
	case navette.BoxInbox:
		return s.inboxDeposits(ctx, f, limit)
	case navette.BoxSent:
		inner.WriteString(`SELECT d.* FROM deposits d WHERE (d.sender_id = $1 OR (d.state <> 'draft'
			AND d.from_space_id IN (SELECT service_id FROM members WHERE user_id = $1)))`)
	default:
		return nil, invalid("Unknown box %q.", f.Box)
	}
	if len(states) > 0 {
		inner.WriteString(` AND d.state IN (` + placeholders(len(args)+1, len(states)) + `)`)
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	if !f.Before.IsZero() {
		n := len(args)
		inner.WriteString(` AND (d.created_at < $` + strconv.Itoa(n+1) + ` OR (d.created_at = $` + strconv.Itoa(n+1) + ` AND d.id < $` + strconv.Itoa(n+2) + `))`)
		args = append(args, timeArg(f.Before), f.BeforeID)
	}
	inner.WriteString(` ORDER BY d.created_at DESC, d.id DESC LIMIT $` + strconv.Itoa(len(args)+1))
	args = append(args, limit)
	return s.queryDeposits(ctx, "list deposits", `SELECT `+depositCols+`, `+recipientCols+`
		FROM (`+inner.String()+`) d`+withRecipients+`
		ORDER BY d.created_at DESC, d.id DESC, `+recipientOrder, args...)
}

// inboxDeposits returns the deposits of the inbox page f, of at most limit
// deposits, newest first, with their recipients.
func (s *Store) inboxDeposits(ctx context.Context, f navette.DepositFilter, limit int) ([]*navette.DepositRecord, error) {
	states := f.States
	if len(states) == 0 {
		states = []navette.DepositState{navette.DepositAvailable}
	}
	ids, err := s.inboxIDs(ctx, f.UserID, states, f.Before, f.BeforeID, limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.queryDeposits(ctx, "list deposits", `SELECT `+depositCols+`, `+recipientCols+`
			FROM deposits d`+withRecipients+` WHERE d.id IN (`+placeholders(1, len(ids))+`)
			ORDER BY d.created_at DESC, d.id DESC, `+recipientOrder, args...)
}

// inboxIDs returns the ids of the newest deposits, at most limit, in the
// given states and before the cursor, addressed to userID or to a service
// mailbox userID is a member of, newest first. Each addressee's deposits
// are read in order from the index of its recipient rows by creation time,
// stopping at limit, and the lists are merged: a page costs the same for a
// user with three deposits as for one with ten thousand, however many the
// platform holds.
func (s *Store) inboxIDs(ctx context.Context, userID string, states []navette.DepositState, before time.Time, beforeID string, limit int) ([]string, error) {
	owners, err := s.memberships(ctx, userID)
	if err != nil {
		return nil, err
	}
	query, args := inboxQuery(states, before, beforeID, limit)
	var hits []inboxHit
	for _, owner := range append([]string{userID}, owners...) {
		args[0] = owner
		if hits, err = s.inboxHits(ctx, hits, query, args); err != nil {
			return nil, err
		}
	}
	return newestIDs(hits, limit), nil
}

// memberships returns the ids of the service mailboxes userID is a member
// of.
func (s *Store) memberships(ctx context.Context, userID string) ([]string, error) {
	return queryAll(ctx, s, s.rdb, "list memberships", scanString, `SELECT service_id FROM members WHERE user_id = $1`, userID)
}

// inboxQuery returns the query of the newest deposits, at most limit, in
// the given states and before the cursor, addressed to $1, and its
// arguments, $1 left to fill.
func inboxQuery(states []navette.DepositState, before time.Time, beforeID string, limit int) (string, []any) {
	query := `SELECT x.deposit_id, x.created_at FROM deposit_recipients x JOIN deposits d ON d.id = x.deposit_id
		WHERE x.user_id = $1 AND d.state IN (` + placeholders(2, len(states)) + `)`
	args := []any{""}
	for _, st := range states {
		args = append(args, string(st))
	}
	if !before.IsZero() {
		n := len(args)
		query += ` AND (x.created_at < $` + strconv.Itoa(n+1) + ` OR (x.created_at = $` + strconv.Itoa(n+1) + ` AND x.deposit_id < $` + strconv.Itoa(n+2) + `))`
		args = append(args, timeArg(before), beforeID)
	}
	query += ` ORDER BY x.created_at DESC, x.deposit_id DESC LIMIT $` + strconv.Itoa(len(args)+1)
	return query, append(args, limit)
}

// inboxHit is a deposit of an inbox and when it was addressed.
type inboxHit struct {
	id string
	at int64
}

// inboxHits appends to hits the deposits query finds with args.
func (s *Store) inboxHits(ctx context.Context, hits []inboxHit, query string, args []any) ([]inboxHit, error) {
	more, err := queryAll(ctx, s, s.rdb, "list inbox", scanInboxHit, query, args...)
	if err != nil {
		return nil, err
	}
	return append(hits, more...), nil
}

func scanInboxHit(row scanner) (inboxHit, error) {
	var h inboxHit
	err := row.Scan(&h.id, &h.at)
	return h, err
}

// newestIDs returns the ids of the newest hits, at most limit, newest
// first, each once.
func newestIDs(hits []inboxHit, limit int) []string {
	slices.SortFunc(hits, func(a, b inboxHit) int {
		if c := cmp.Compare(b.at, a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	ids := make([]string, 0, min(limit, len(hits)))
	for i, h := range hits {
		if len(ids) == limit {
			break
		}
		if i > 0 && h == hits[i-1] {
			continue // addressed to the user and to a mailbox of theirs
		}
		ids = append(ids, h.id)
	}
	return ids
}

// UpdateDeposit loads the deposit and its files in a write transaction,
// calls fn, and writes back what fn changed with the events it returns.
//
// Written are the deposit's columns but its id, sender and creation time;
// the first downloads and openings (time and who) of the recipients it was loaded
// with (recipients are neither added nor removed); and the files' columns
// but their id, deposit, size and creation time, as UpdateFile writes them.
// Rows fn did not change are not written.
func (s *Store) UpdateDeposit(ctx context.Context, id string, fn func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update deposit", func(tx *sql.Tx) error {
		d, files, err := s.loadDeposit(ctx, tx, id)
		if err != nil {
			return err
		}
		before := snapshotDeposit(d, files)
		withFiles := func(d *navette.DepositRecord) ([]navette.Event, error) { return fn(d, files) }
		events, err := callUpdate(d, withFiles, nil)
		if err != nil {
			return err
		}
		if err := s.writeDepositChanges(ctx, tx, id, d, before); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// loadDeposit reads the deposit id, its recipients and its files in tx,
// locked for writing.
func (s *Store) loadDeposit(ctx context.Context, tx *sql.Tx, id string) (*navette.DepositRecord, []*navette.FileRecord, error) {
	var dr depositRow
	err := tx.QueryRowContext(ctx, `SELECT `+depositCols+` FROM deposits d WHERE d.id = $1`+s.lock, id).Scan(dr.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, navette.Errorf(navette.ENOTFOUND, "No such deposit.")
	} else if err != nil {
		return nil, nil, s.internal(err, "load deposit")
	}
	d := dr.record()
	if err := s.loadRecipients(ctx, tx, d); err != nil {
		return nil, nil, err
	}
	files, err := s.queryFiles(ctx, tx, "load files", `SELECT `+fileCols+` FROM files WHERE deposit_id = $1
			ORDER BY created_at, id`+s.lock, id)
	if err != nil {
		return nil, nil, err
	}
	return d, files, nil
}

// depositSnapshot is what UpdateDeposit's fn may change of a deposit, its
// recipients and its files, as loaded, to write only what it did.
type depositSnapshot struct {
	deposit    []any
	recipients map[string]recipientFirsts
	files      []*navette.FileRecord
	fileArgs   [][]any
	fileIDs    []string
}

// recipientFirsts are the first download and opening of a recipient.
type recipientFirsts struct {
	at       any
	by       string
	openedAt any
	openedBy string
}

func firstsOf(r *navette.Recipient) recipientFirsts {
	return recipientFirsts{timeArg(r.FirstDownloadAt), r.FirstDownloadBy, timeArg(r.FirstOpenedAt), r.FirstOpenedBy}
}

func snapshotDeposit(d *navette.DepositRecord, files []*navette.FileRecord) *depositSnapshot {
	snap := &depositSnapshot{
		deposit:    depositArgs(d),
		recipients: make(map[string]recipientFirsts, len(d.Recipients)),
		files:      slices.Clone(files),
		fileArgs:   make([][]any, len(files)),
		fileIDs:    make([]string, len(files)),
	}
	for i := range d.Recipients {
		snap.recipients[d.Recipients[i].UserID] = firstsOf(&d.Recipients[i])
	}
	for i, f := range snap.files {
		snap.fileArgs[i], snap.fileIDs[i] = fileArgs(f), f.ID
	}
	return snap
}

// writeDepositChanges writes the deposit id, d, its recipients and the
// files it was loaded with where they differ from before.
func (s *Store) writeDepositChanges(ctx context.Context, tx *sql.Tx, id string, d *navette.DepositRecord, before *depositSnapshot) error {
	if after := depositArgs(d); !reflect.DeepEqual(after, before.deposit) {
		if _, err := tx.ExecContext(ctx, updateDeposit, append([]any{id}, after...)...); err != nil {
			return s.internal(err, "write deposit")
		}
	}
	for i := range d.Recipients {
		r := &d.Recipients[i]
		first, ok := before.recipients[r.UserID]
		if after := firstsOf(r); ok && after != first {
			_, err := tx.ExecContext(ctx, `UPDATE deposit_recipients SET first_download_at = $3, first_download_by = $4,
					first_opened_at = $5, first_opened_by = $6
					WHERE deposit_id = $1 AND user_id = $2`, id, r.UserID, after.at, after.by, after.openedAt, after.openedBy)
			if err != nil {
				return s.internal(err, "write recipient")
			}
		}
	}
	for i, f := range before.files {
		if after := fileArgs(f); !reflect.DeepEqual(after, before.fileArgs[i]) {
			if _, err := tx.ExecContext(ctx, updateFile, append([]any{before.fileIDs[i]}, after...)...); err != nil {
				return s.internal(err, "write file")
			}
		}
	}
	return nil
}

// loadRecipients reads d's recipients in tx.
func (s *Store) loadRecipients(ctx context.Context, tx *sql.Tx, d *navette.DepositRecord) error {
	rs, err := queryAll(ctx, s, tx, "load recipients", scanRecipient, `SELECT `+recipientCols+` FROM deposit_recipients r JOIN users u ON u.id = r.user_id
		WHERE r.deposit_id = $1 ORDER BY `+recipientOrder, d.ID)
	d.Recipients = append(d.Recipients, rs...)
	return err
}

// scanRecipient reads the columns recipientCols.
func scanRecipient(row scanner) (navette.Recipient, error) {
	var rr recipientRow
	err := row.Scan(rr.dest()...)
	return rr.recipient(), err
}

// DueDeposits returns the ids of deposits the sweeper must handle at now, in
// this order: available deposits whose expiry is at or before now, the
// earliest first; revoked or expired deposits not yet purged, oldest first;
// drafts created before abandonBefore, oldest first. Purged deposits are
// never due. limit must be positive.
func (s *Store) DueDeposits(ctx context.Context, now, abandonBefore time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT k, o, id FROM (
			SELECT 1 AS k, expires_at AS o, id FROM deposits
				WHERE state = 'available' AND expires_at <= $1 AND purged_at IS NULL
			UNION ALL
			SELECT 2 AS k, created_at AS o, id FROM deposits
				WHERE state IN ('revoked', 'expired') AND purged_at IS NULL
			UNION ALL
			SELECT 3 AS k, created_at AS o, id FROM deposits
				WHERE state = 'draft' AND created_at < $2 AND purged_at IS NULL
		) due ORDER BY k, o, id LIMIT $3`, timeArg(now), timeArg(abandonBefore), limit)
	if err != nil {
		return nil, s.internal(err, "due deposits")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var (
			k, o int64
			id   string
		)
		if err := rows.Scan(&k, &o, &id); err != nil {
			return nil, s.internal(err, "due deposits")
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "due deposits")
	}
	return ids, nil
}

// DueReminders returns the ids of available deposits, neither purged nor
// reminded, that expire in (now, now+within], were available for longer than
// within before their expiry, and have a recipient who has not downloaded;
// the earliest expiry first. limit must be positive.
func (s *Store) DueReminders(ctx context.Context, now time.Time, within time.Duration, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	if within <= 0 {
		return nil, invalid("The reminder delay must be positive.")
	}
	w := within.Microseconds()
	return queryAll(ctx, s, s.rdb, "due reminders", scanString, `SELECT d.id FROM deposits d
		WHERE d.state = 'available' AND d.purged_at IS NULL AND d.reminded_at IS NULL
			AND d.expires_at > $1 AND d.expires_at <= $2 AND d.available_at + $3 < d.expires_at
			AND EXISTS (SELECT 1 FROM deposit_recipients r WHERE r.deposit_id = d.id AND r.first_download_at IS NULL)
		ORDER BY d.expires_at, d.id LIMIT $4`, timeArg(now), now.UnixMicro()+w, w, limit)
}
