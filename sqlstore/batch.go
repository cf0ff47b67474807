package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// batchInsert inserts rows into a table of a transaction, many a
// statement: the statement of a full batch is prepared once and reused,
// a shorter last batch is sent unprepared. Its errors are the driver's.
type batchInsert struct {
	ctx   context.Context
	tx    *sql.Tx
	head  string // INSERT INTO table (columns) VALUES
	width int    // columns a row
	rows  int    // rows a full batch
	qmark bool   // placeholders are ? (Dialect.QuestionMarks)
	full  *sql.Stmt
}

// newBatchInsert returns a batchInsert into table's columns cols (width
// of them), rows a full batch, written as d's QuestionMarks and
// BulkInsert say (d nil: INSERT with $N).
func newBatchInsert(ctx context.Context, tx *sql.Tx, d *Dialect, table, cols string, width, rows int) *batchInsert {
	verb, qmark := "INSERT", false
	if d != nil {
		verb, qmark = cmp.Or(d.BulkInsert, verb), d.QuestionMarks
	}
	return &batchInsert{ctx: ctx, tx: tx, head: verb + " INTO " + table + " (" + cols + ") VALUES ",
		width: width, rows: rows, qmark: qmark}
}

// exec inserts the rows whose arguments args holds, width a row, at most
// b.rows of them.
func (b *batchInsert) exec(args []any) error {
	n := len(args) / b.width
	if n < b.rows {
		_, err := b.tx.ExecContext(b.ctx, b.sql(n), args...)
		return err
	}
	if b.full == nil {
		var err error
		if b.full, err = b.tx.PrepareContext(b.ctx, b.sql(b.rows)); err != nil {
			return err
		}
	}
	_, err := b.full.ExecContext(b.ctx, args...)
	return err
}

// close closes the prepared statement, if any.
func (b *batchInsert) close() {
	if b.full != nil {
		b.full.Close()
		b.full = nil
	}
}

// sql returns the INSERT of n rows.
func (b *batchInsert) sql(n int) string {
	var q strings.Builder
	q.Grow(len(b.head) + n*b.width*6)
	q.WriteString(b.head)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range b.width {
			if j > 0 {
				q.WriteString(", ")
			}
			if b.qmark {
				q.WriteByte('?')
			} else {
				q.WriteString("$" + strconv.Itoa(i*b.width+j+1))
			}
		}
		q.WriteByte(')')
	}
	return q.String()
}

// copyInto writes the rows next gives into the columns cols (as in an
// INSERT: "a, b") of table with d's Copy, on conn, whose transaction is
// open. next must not use the transaction: the connection is taken until
// the rows end. Its errors are the driver's.
func copyInto(ctx context.Context, conn *sql.Conn, d *Dialect, table, cols string, next func() ([]any, error)) error {
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	return conn.Raw(func(dc any) error { return d.Copy(ctx, dc, table, names, next) })
}
