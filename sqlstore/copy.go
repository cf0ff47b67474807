package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"navette"
)

// Table names a table for CopyFrom: its primary key columns, whether its
// rows are only ever inserted (the journal) rather than updated, and
// whether rows are deleted from it (memberships, sessions…), so that rows
// the source no longer has must go from the target too.
type Table struct {
	Name       string
	Key        []string
	InsertOnly bool
	Deletes    bool
}

// Tables lists navette's tables in an order that respects foreign keys.
var Tables = []Table{
	{Name: "courts", Key: []string{"id"}},
	{Name: "users", Key: []string{"id"}},
	{Name: "tokens", Key: []string{"id"}},
	{Name: "deposits", Key: []string{"id"}},
	{Name: "deposit_recipients", Key: []string{"deposit_id", "user_id"}},
	{Name: "cases", Key: []string{"id"}},
	{Name: "case_keys", Key: []string{"digest"}},
	{Name: "case_deposits", Key: []string{"deposit_id"}},
	{Name: "case_parties", Key: []string{"case_id", "user_id"}},
	{Name: "evidence", Key: []string{"digest"}, Deletes: true},
	{Name: "files", Key: []string{"id"}},
	{Name: "deliveries", Key: []string{"file_id", "user_id"}, Deletes: true},
	{Name: "download_claims", Key: []string{"id"}, Deletes: true},
	{Name: "notices", Key: []string{"id"}},
	{Name: "members", Key: []string{"service_id", "user_id"}, Deletes: true},
	{Name: "sessions", Key: []string{"id"}, Deletes: true},
	{Name: "sign_in_codes", Key: []string{"id"}, Deletes: true},
	{Name: "passkeys", Key: []string{"id"}, Deletes: true},
	{Name: "passkey_challenges", Key: []string{"id"}, Deletes: true},
	{Name: "admin_requests", Key: []string{"id"}},
	{Name: "recovery_codes", Key: []string{"id"}, Deletes: true},
	{Name: "recovery_requests", Key: []string{"id"}},
	{Name: "user_terms", Key: []string{"term", "user_id"}, Deletes: true},
	{Name: "settings", Key: []string{"name"}, Deletes: true},
	{Name: "jobs", Key: []string{"name"}},
	{Name: "policy", Key: []string{"id"}},
	{Name: "policy_assurance", Key: []string{"role"}, Deletes: true},
	{Name: "events", Key: []string{"seq"}, InsertOnly: true},
	{Name: "journal_hashes", Key: []string{"idx"}, InsertOnly: true},
	{Name: "journal_checkpoints", Key: []string{"size"}},
}

// Analyze refreshes the planner's statistics of every table, as after a
// bulk load (CopyFrom), so that queries get their plans at once rather than
// after autovacuum's next round.
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.wdb.ExecContext(ctx, "ANALYZE"); err != nil {
		return s.internal(err, "analyze")
	}
	return nil
}

// SQL returns the Store itself, so that callers holding a store that embeds
// it (sqlite.Store, postgres.Store) can reach it through an interface.
func (s *Store) SQL() *Store { return s }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// ReadDB returns the pool reads go through, for tools that walk a table
// (migrate); writes must go through the Store's methods or CopyFrom.
func (s *Store) ReadDB() *sql.DB { return s.rdb }

// CopyFrom copies every row of the tables from src into s, in batches,
// each batch in one transaction: rows missing in s are inserted, rows that
// differ are updated (InsertOnly tables keep what they have), rows of
// Deletes tables that src no longer has are deleted, and journal sequence
// numbers are kept. Running it again copies only what changed in
// between, so a migration can be repeated up to a short final pass. progress,
// if not nil, is told the rows copied per table. The two schemas must be at
// the same version.
func (s *Store) CopyFrom(ctx context.Context, src *Store, tables []Table, progress func(table string, rows int)) error {
	for _, t := range tables {
		n, err := s.copyWhole(ctx, src, t)
		if err != nil {
			return err
		}
		if progress != nil {
			progress(t.Name, n)
		}
	}
	if s.d.ResetIdentity != "" {
		if _, err := s.wdb.ExecContext(ctx, s.d.ResetIdentity); err != nil {
			return s.internal(err, "reset identity")
		}
	}
	return nil
}

const copyBatch = 500

// copyWhole copies the rows of t from src, deleting those src no longer
// has if t.Deletes, and returns how many it copied.
func (s *Store) copyWhole(ctx context.Context, src *Store, t Table) (int, error) {
	n, err := s.copyTable(ctx, src, t)
	if err != nil {
		return 0, err
	}
	if t.Deletes {
		if err := s.deleteMissing(ctx, src, t); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (s *Store) copyTable(ctx context.Context, src *Store, t Table) (int, error) {
	var last []any
	total := 0
	for {
		cols, batch, err := src.readBatch(ctx, t, last)
		if err != nil {
			return total, err
		}
		if len(batch) == 0 {
			return total, nil
		}
		if err := s.writeBatch(ctx, t, cols, batch); err != nil {
			return total, err
		}
		total += len(batch)
		if last = rowKey(t, cols, batch[len(batch)-1]); len(last) != len(t.Key) {
			return total, navette.Errorf(navette.EINTERNAL, "copy: %s lacks its key columns", t.Name)
		}
		if len(batch) < copyBatch {
			return total, nil
		}
	}
}

// readBatch reads the next rows of t after the key last (from the first if
// nil), copyBatch at most, in key order, and returns them with the names
// of their columns.
func (s *Store) readBatch(ctx context.Context, t Table, last []any) ([]string, [][]any, error) {
	rows, err := s.rdb.QueryContext(ctx, pageSQL(t, "*", last != nil), last...)
	if err != nil {
		return nil, nil, s.internal(err, "copy: read "+t.Name)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, s.internal(err, "copy: columns of "+t.Name)
	}
	var batch [][]any
	for rows.Next() {
		vals, err := scanValues(rows, len(cols))
		if err != nil {
			return nil, nil, s.internal(err, "copy: scan "+t.Name)
		}
		batch = append(batch, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.internal(err, "copy: read "+t.Name)
	}
	return cols, batch, nil
}

// rowKey returns the values of the key columns of t in row, whose columns
// are cols.
func rowKey(t Table, cols []string, row []any) []any {
	key := make([]any, 0, len(t.Key))
	for _, k := range t.Key {
		for i, c := range cols {
			if c == k {
				key = append(key, row[i])
			}
		}
	}
	return key
}

func (s *Store) writeBatch(ctx context.Context, t Table, cols []string, batch [][]any) error {
	return s.execEach(ctx, t.Name, s.upsertSQL(t, cols), "write", batch)
}

// upsertSQL returns the statement that writes a row of cols of t: inserts
// it, or updates the row of its key unless t is insert-only.
func (s *Store) upsertSQL(t Table, cols []string) string {
	q := "INSERT INTO " + t.Name + " (" + strings.Join(cols, ", ") + ")"
	if t.InsertOnly {
		q += s.d.IdentityInsert
	}
	q += " VALUES (" + placeholders(1, len(cols)) + ") ON CONFLICT (" + strings.Join(t.Key, ", ") + ") DO "
	if t.InsertOnly {
		return q + "NOTHING"
	}
	var set []string
	for _, c := range cols {
		set = append(set, c+" = excluded."+c)
	}
	return q + "UPDATE SET " + strings.Join(set, ", ")
}

// execEach runs the statement q on the table named table with the
// arguments of each of rows, in one transaction; verb says what it does
// in errors.
func (s *Store) execEach(ctx context.Context, table, q, verb string, rows [][]any) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.internal(err, "copy: begin")
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return s.internal(err, "copy: prepare "+table)
	}
	defer stmt.Close()
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return s.internal(err, "copy: "+verb+" "+table)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.internal(err, "copy: commit "+table)
	}
	return nil
}

// deleteMissing deletes the rows of t that s has and src has not: it walks
// the keys of s in batches, and for each asks src for its keys in the same
// range.
func (s *Store) deleteMissing(ctx context.Context, src *Store, t Table) error {
	keys := strings.Join(t.Key, ", ")
	n := len(t.Key)
	var last []any
	for {
		mine, err := readKeys(ctx, s.wdb, pageSQL(t, keys, last != nil), n, last...)
		if err != nil {
			return s.internal(err, "copy: read keys of "+t.Name)
		}
		if len(mine) == 0 {
			return nil
		}
		first, end := mine[0], mine[len(mine)-1]
		theirs, err := readKeys(ctx, src.rdb, "SELECT "+keys+" FROM "+t.Name+" WHERE ("+keys+") >= ("+placeholders(1, n)+
			") AND ("+keys+") <= ("+placeholders(n+1, n)+")", n, append(slices.Clone(first), end...)...)
		if err != nil {
			return src.internal(err, "copy: read keys of "+t.Name)
		}
		if gone := missingKeys(mine, theirs); len(gone) > 0 {
			if err := s.deleteKeys(ctx, t, gone); err != nil {
				return err
			}
		}
		if len(mine) < copyBatch {
			return nil
		}
		last = end
	}
}

// pageSQL returns the query of the columns cols of a page of copyBatch rows
// of t, in key order, after the key its arguments give if after.
func pageSQL(t Table, cols string, after bool) string {
	keys := strings.Join(t.Key, ", ")
	q := "SELECT " + cols + " FROM " + t.Name
	if after {
		q += " WHERE (" + keys + ") > (" + placeholders(1, len(t.Key)) + ")"
	}
	return q + " ORDER BY " + keys + fmt.Sprintf(" LIMIT %d", copyBatch)
}

// missingKeys returns the keys of mine that theirs lacks.
func missingKeys(mine, theirs [][]any) [][]any {
	kept := make(map[string]bool, len(theirs))
	for _, k := range theirs {
		kept[keyString(k)] = true
	}
	var gone [][]any
	for _, k := range mine {
		if !kept[keyString(k)] {
			gone = append(gone, k)
		}
	}
	return gone
}

// readKeys runs a query returning n key columns.
func readKeys(ctx context.Context, db *sql.DB, q string, n int, args ...any) ([][]any, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		k, err := scanValues(rows, n)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// scanValues reads the current row of rows, of n columns, as values.
func scanValues(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}

// keyString returns a key as a string that tells keys apart.
func keyString(k []any) string {
	var b strings.Builder
	for _, v := range k {
		if bs, ok := v.([]byte); ok {
			v = string(bs)
		}
		fmt.Fprintf(&b, "%v\x00", v)
	}
	return b.String()
}

// deleteKeys deletes the rows of t with the given keys, in one transaction.
func (s *Store) deleteKeys(ctx context.Context, t Table, keys [][]any) error {
	cond := make([]string, len(t.Key))
	for i, k := range t.Key {
		cond[i] = fmt.Sprintf("%s = $%d", k, i+1)
	}
	return s.execEach(ctx, t.Name, "DELETE FROM "+t.Name+" WHERE "+strings.Join(cond, " AND "), "delete from", keys)
}
