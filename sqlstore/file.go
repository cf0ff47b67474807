package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"navette"
)

// fileCols are the columns of files; stored_bytes keeps FileRecord.Offset
// (OFFSET is an SQL keyword).
const fileCols = "id, deposit_id, name, size, stored_bytes, state, key_id, key_data, resume, sha256, created_at, stored_at, blob_deleted, " +
	"check_outcome, check_detail, check_attempts, check_after, blob_id"

// blobArg is the blob_id of f: NULL for a file with its own blob.
func blobArg(f *navette.FileRecord) any {
	if f.BlobID == "" || f.BlobID == f.ID {
		return nil
	}
	return f.BlobID
}

// fileArgs returns the mutable columns of f in the order of the SET list of
// updateFile: all but id, deposit_id, size and created_at.
func fileArgs(f *navette.FileRecord) []any {
	return []any{bytesArg(f.Name), f.Offset, string(f.State), f.Key.KeyID, bytesArg(f.Key.Data), bytesArg(f.Resume),
		bytesArg(f.SHA256), timeArg(f.StoredAt), boolArg(f.BlobDeleted), string(f.Check), f.CheckDetail, f.CheckAttempts, timeArg(f.CheckAfter)}
}

const updateFile = `UPDATE files SET name = $2, stored_bytes = $3, state = $4, key_id = $5, key_data = $6, resume = $7,
	sha256 = $8, stored_at = $9, blob_deleted = $10, check_outcome = $11, check_detail = $12, check_attempts = $13,
	check_after = $14 WHERE id = $1`

// queryFiles runs a query returning fileCols through q.
func (s *Store) queryFiles(ctx context.Context, q queryer, op, query string, args ...any) ([]*navette.FileRecord, error) {
	return queryAll(ctx, s, q, op, scanFile, query, args...)
}

// scanFile reads the columns fileCols.
func scanFile(row scanner) (*navette.FileRecord, error) {
	var (
		f                        navette.FileRecord
		state, check             string
		created, stored, checkAt sql.NullInt64
		blobDeleted              int64
		blobID                   sql.NullString
	)
	err := row.Scan(&f.ID, &f.DepositID, &f.Name, &f.Size, &f.Offset, &state, &f.Key.KeyID, &f.Key.Data,
		&f.Resume, &f.SHA256, &created, &stored, &blobDeleted, &check, &f.CheckDetail, &f.CheckAttempts, &checkAt, &blobID)
	if err != nil {
		return nil, err
	}
	f.BlobID = blobID.String
	f.Name = bytesCol(f.Name)
	f.State = navette.FileState(state)
	f.Key.Data = bytesCol(f.Key.Data)
	f.Resume = bytesCol(f.Resume)
	f.SHA256 = bytesCol(f.SHA256)
	f.CreatedAt = timeCol(created)
	f.StoredAt = timeCol(stored)
	f.BlobDeleted = blobDeleted != 0
	f.Check = navette.FileCheck(check)
	f.CheckAfter = timeCol(checkAt)
	return &f, nil
}

// CreateFile adds f to its deposit, which must be a draft, not purged, with
// fewer than maxFiles files. Purged files (removed from the draft) do not
// count.
func (s *Store) CreateFile(ctx context.Context, f *navette.FileRecord, maxFiles int, events ...navette.Event) error {
	if f == nil {
		return invalid("No file given.")
	}
	if f.CreatedAt.IsZero() {
		return invalid("A file needs a creation time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create file", func(tx *sql.Tx) error {
		if err := s.lockDraft(ctx, tx, f.DepositID); err != nil {
			return err
		}
		if err := s.checkFileCount(ctx, tx, f.DepositID, maxFiles); err != nil {
			return err
		}
		if err := s.insertFile(ctx, tx, f); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// lockDraft locks, in tx, the row of the deposit depositID, which must be
// a draft, not purged.
func (s *Store) lockDraft(ctx context.Context, tx *sql.Tx, depositID string) error {
	var (
		state  string
		purged sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT state, purged_at FROM deposits WHERE id = $1`+s.lock, depositID).Scan(&state, &purged)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such deposit.")
	} else if err != nil {
		return s.internal(err, "load deposit")
	}
	if state != string(navette.DepositDraft) || purged.Valid {
		return navette.Errorf(navette.ECONFLICT, "Files can only be added to a draft deposit.")
	}
	return nil
}

// checkFileCount checks, in tx, that the deposit depositID holds fewer
// than maxFiles files, purged ones left out.
func (s *Store) checkFileCount(ctx context.Context, tx *sql.Tx, depositID string, maxFiles int) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM files WHERE deposit_id = $1 AND state <> 'purged'`, depositID).Scan(&n)
	if err != nil {
		return s.internal(err, "count files")
	}
	if n >= maxFiles {
		return navette.Errorf(navette.ETOOLARGE, "A deposit can hold at most %d files.", maxFiles)
	}
	return nil
}

// insertFile adds the row of f.
func (s *Store) insertFile(ctx context.Context, tx *sql.Tx, f *navette.FileRecord) error {
	args := append([]any{f.ID, f.DepositID, f.Size, timeArg(f.CreatedAt), blobArg(f)}, fileArgs(f)...)
	_, err := tx.ExecContext(ctx, `INSERT INTO files (id, deposit_id, size, created_at, blob_id, name, stored_bytes, state, key_id,
		key_data, resume, sha256, stored_at, blob_deleted, check_outcome, check_detail, check_attempts, check_after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`, args...)
	if err != nil {
		return s.insertErr(err, "create file", "A file with this id exists already.", "No such deposit.")
	}
	return nil
}

// File returns the file with the given id.
func (s *Store) File(ctx context.Context, id string) (*navette.FileRecord, error) {
	return queryOne(s, "get file", "No such file.", scanFile, s.rdb.QueryRowContext(ctx, `SELECT `+fileCols+` FROM files WHERE id = $1`, id))
}

// Files returns a deposit's files, purged ones included, oldest first (ties
// broken by id). A deposit that does not exist has no files.
func (s *Store) Files(ctx context.Context, depositID string) ([]*navette.FileRecord, error) {
	return s.queryFiles(ctx, s.rdb, "list files", `SELECT `+fileCols+` FROM files WHERE deposit_id = $1
		ORDER BY created_at, id`, depositID)
}

// idBatch is how many ids one query of FilesOf or CasesOf looks up.
const idBatch = 500

// FilesOf returns the files of the deposits, each deposit's oldest first,
// by deposit id, a query per idBatch deposits.
func (s *Store) FilesOf(ctx context.Context, depositIDs []string) (map[string][]*navette.FileRecord, error) {
	out := make(map[string][]*navette.FileRecord, len(depositIDs))
	for _, batch := range idBatches(depositIDs) {
		files, err := s.queryFiles(ctx, s.rdb, "list files of deposits", `SELECT `+fileCols+` FROM files
			WHERE deposit_id IN (`+placeholders(1, len(batch))+`) ORDER BY deposit_id, created_at, id`, batch...)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			out[f.DepositID] = append(out[f.DepositID], f)
		}
	}
	return out, nil
}

// idBatches returns ids without repeats as query arguments, cut in batches
// of at most idBatch.
func idBatches(ids []string) [][]any {
	seen := make(map[string]bool, len(ids))
	var batches [][]any
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if n := len(batches); n == 0 || len(batches[n-1]) == idBatch {
			batches = append(batches, make([]any, 0, min(idBatch, len(ids))))
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], id)
	}
	return batches
}

// UpdateFile loads the file in a write transaction, calls fn, and writes back
// what fn changed (all columns but id, deposit, size and creation time) with
// the events it returns.
func (s *Store) UpdateFile(ctx context.Context, id string, fn func(f *navette.FileRecord) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update file", func(tx *sql.Tx) error {
		fnErr, err := s.updateFileTx(ctx, tx, id, fn)
		if err != nil {
			return err
		}
		return fnErr
	})
}

// updateFileTx is UpdateFile's work in the transaction tx. fnErr says why
// the file was left unchanged (missing, or refused by fn); err is a failure
// of the database, after which tx must be rolled back.
func (s *Store) updateFileTx(ctx context.Context, tx *sql.Tx, id string, fn func(f *navette.FileRecord) ([]navette.Event, error)) (fnErr, err error) {
	f, err := scanFile(tx.QueryRowContext(ctx, `SELECT `+fileCols+` FROM files WHERE id = $1`+s.lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such file."), nil
	} else if err != nil {
		return nil, s.internal(err, "load file")
	}
	before := fileArgs(f)
	events, err := callUpdate(f, fn, nil)
	if err != nil {
		return err, nil
	}
	if after := fileArgs(f); !reflect.DeepEqual(after, before) {
		if _, err := tx.ExecContext(ctx, updateFile, append([]any{id}, after...)...); err != nil {
			return nil, s.internal(err, "write file")
		}
	}
	return nil, s.insertEvents(ctx, tx, events)
}

// UpdateFiles is UpdateFile on each of ids in one write transaction; a
// file whose fn fails, or that is missing, is skipped with its error.
func (s *Store) UpdateFiles(ctx context.Context, ids []string, fn func(i int, f *navette.FileRecord) ([]navette.Event, error)) ([]error, error) {
	errs := make([]error, len(ids))
	err := s.inTx(ctx, "update files", func(tx *sql.Tx) error {
		// In the order of the ids, so that two batches lock the rows they
		// share in the same order (PostgreSQL).
		order := make([]int, len(ids))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
		for _, i := range order {
			fnErr, err := s.updateFileTx(ctx, tx, ids[i], func(f *navette.FileRecord) ([]navette.Event, error) { return fn(i, f) })
			if err != nil {
				return err
			}
			errs[i] = fnErr
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// BlobsToDelete returns up to limit purged files, and rejected files whose
// key is destroyed, whose blob is not yet deleted and held by no other
// file (see holders), by id, after the id after. limit must be positive.
func (s *Store) BlobsToDelete(ctx context.Context, after string, limit int) ([]*navette.FileRecord, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	return s.queryFiles(ctx, s.rdb, "blobs to delete", `SELECT `+fileCols+` FROM files f
		WHERE id > $1 AND blob_deleted = 0 AND (state = 'purged' OR (state = 'rejected' AND key_id = ''))
		AND NOT EXISTS (SELECT 1 FROM files g WHERE `+holders+`) ORDER BY id LIMIT $2`, after, limit)
}

// holders is the condition on a file g that still holds the blob of the
// file f: g has the same blob (its own or shared) and is neither purged nor
// a rejected file whose key is gone. A blob held by none is deleted; none
// can hold it again, since a forward needs a holder (ForwardDeposit).
const holders = `(g.id = COALESCE(f.blob_id, f.id) OR g.blob_id = COALESCE(f.blob_id, f.id)) AND g.id <> f.id
	AND g.blob_deleted = 0 AND g.state <> 'purged' AND NOT (g.state = 'rejected' AND g.key_id = '')`

// FilesToCheck returns up to limit checking files due at now, the
// earliest first (unset times first). limit must be positive.
func (s *Store) FilesToCheck(ctx context.Context, now time.Time, limit int) ([]*navette.FileRecord, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	return s.queryFiles(ctx, s.rdb, "files to check", `SELECT `+fileCols+` FROM files
		WHERE state = 'checking' AND (check_after IS NULL OR check_after <= $1) ORDER BY COALESCE(check_after, 0), id LIMIT $2`, timeArg(now), limit)
}

// StoredFiles returns up to limit files with a finished, kept blob, by id,
// after the id after. limit must be positive.
func (s *Store) StoredFiles(ctx context.Context, after string, limit int) ([]*navette.FileRecord, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	return s.queryFiles(ctx, s.rdb, "stored files", `SELECT `+fileCols+` FROM files
		WHERE id > $1 AND state IN ('checking', 'stored', 'available') ORDER BY id LIMIT $2`, after, limit)
}
