package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"navette"
)

// Recipient search looks words up in user_terms, which holds each word a
// user can be found by (see userTerms), folded by navette.SearchWords. A
// query word w matches the terms of the range [w, w+U+10FFFF): those that
// start with w, as terms hold only letters and digits.

// termBatch is the number of terms a multi-row INSERT writes.
const termBatch = 500

// denseTerms is the number of terms a query word's range may hold for
// SearchUsers to start from them. Beyond it, a word so short that it
// matches many users is cheaper to check on users taken in name order,
// where the first ones matching fill the page.
const denseTerms = 1500

// maxSearch is the most users SearchUsers returns.
const maxSearch = 1000

// userTerms returns the distinct terms u can be found by: the words of its
// name, e-mail address (and its local part as one word), organisation,
// external id (and as one word), and of the code (and as one word) and
// name of its court c, if not nil.
func userTerms(u *navette.User, c *navette.Court) []string {
	var terms []string
	add := func(text string, whole bool) {
		words := navette.SearchWords(text)
		terms = append(terms, words...)
		if whole && len(words) > 1 {
			terms = append(terms, strings.Join(words, ""))
		}
	}
	add(u.Name, false)
	local, domain, _ := strings.Cut(u.Email, "@")
	add(local, true)
	add(domain, false)
	add(u.Org, false)
	add(u.ExternalID, true)
	if c != nil {
		add(c.Code, true)
		add(c.Name, false)
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// prefixEnd returns the end of the range of terms that start with w.
func prefixEnd(w string) string { return w + "\U0010FFFF" }

// termWriter writes the search terms of users in a transaction, in
// multi-row INSERTs. It looks courts up as it needs them. Its errors are
// the driver's.
type termWriter struct {
	ctx    context.Context
	tx     *sql.Tx
	courts map[string]*navette.Court
	args   []any
	full   *sql.Stmt
}

func newTermWriter(ctx context.Context, tx *sql.Tx) *termWriter {
	return &termWriter{ctx: ctx, tx: tx, courts: map[string]*navette.Court{}}
}

// add queues the terms of u, writing a batch when one is full. The user's
// former terms must have been deleted.
func (w *termWriter) add(u *navette.User) error {
	var c *navette.Court
	if u.CourtID != "" {
		var ok bool
		if c, ok = w.courts[u.CourtID]; !ok {
			c = &navette.Court{ID: u.CourtID}
			err := w.tx.QueryRowContext(w.ctx, `SELECT code, name FROM courts WHERE id = $1`, u.CourtID).Scan(&c.Code, &c.Name)
			if errors.Is(err, sql.ErrNoRows) {
				c = nil
			} else if err != nil {
				return err
			}
			w.courts[u.CourtID] = c
		}
	}
	for _, t := range userTerms(u, c) {
		w.args = append(w.args, t, u.ID)
		if len(w.args) == 2*termBatch {
			if err := w.write(); err != nil {
				return err
			}
		}
	}
	return nil
}

// write inserts the queued terms.
func (w *termWriter) write() error {
	n := len(w.args) / 2
	if n == 0 {
		return nil
	}
	var err error
	if n == termBatch {
		if w.full == nil {
			if w.full, err = w.tx.PrepareContext(w.ctx, insertTermsSQL(termBatch)); err != nil {
				return err
			}
		}
		_, err = w.full.ExecContext(w.ctx, w.args...)
	} else {
		_, err = w.tx.ExecContext(w.ctx, insertTermsSQL(n), w.args...)
	}
	w.args = w.args[:0]
	return err
}

// flush writes what is queued.
func (w *termWriter) flush() error { return w.write() }

// close releases the writer's statement.
func (w *termWriter) close() {
	if w.full != nil {
		w.full.Close()
	}
}

// insertTermsSQL returns an INSERT of n terms.
func insertTermsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO user_terms (term, user_id) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("($" + strconv.Itoa(2*i+1) + ", $" + strconv.Itoa(2*i+2) + ")")
	}
	return b.String()
}

// IndexUsers rewrites the search terms of every user in tx. The migration
// that makes the term index runs it; so must any that changes how terms are
// made (userTerms, navette.SearchWords).
func IndexUsers(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_terms`); err != nil {
		return err
	}
	w := newTermWriter(ctx, tx)
	defer w.close()
	after := ""
	for {
		rows, err := tx.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE id > $1 ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return err
		}
		var users []*navette.User
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			users = append(users, u)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return w.flush()
		}
		for _, u := range users {
			if err := w.add(u); err != nil {
				return err
			}
		}
		after = users[len(users)-1].ID
	}
}

// indexCourtUsers rewrites the search terms of the users of a court, which
// has just been created.
func (s *Store) indexCourtUsers(ctx context.Context, tx *sql.Tx, courtID string) error {
	users, err := s.queryUsers(ctx, tx, "index court", `SELECT `+userCols+` FROM users WHERE court_id = $1`+s.lock, courtID)
	if err != nil || len(users) == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_terms WHERE user_id IN (SELECT id FROM users WHERE court_id = $1)`, courtID); err != nil {
		return s.internal(err, "index court")
	}
	w := newTermWriter(ctx, tx)
	defer w.close()
	for _, u := range users {
		if err := w.add(u); err != nil {
			return s.internal(err, "index court")
		}
	}
	if err := w.flush(); err != nil {
		return s.internal(err, "index court")
	}
	return nil
}

// SearchUsers returns users matching f. With text, each word of the query
// must start a term of the user; a word that starts another word of the
// query adds nothing and is dropped. The longest word is looked up first:
// if its range of terms is small, the users it gives are checked against
// the other words and filters, then sorted; otherwise users are read in
// name order (within the court, if f.CourtID is set) and checked one by one
// until the page is full. A Text without any word matches every user. The
// limit is capped at 1000.
func (s *Store) SearchUsers(ctx context.Context, f navette.UserFilter) ([]*navette.User, error) {
	limit, err := limitArg(f.Limit, 20)
	if err != nil {
		return nil, err
	}
	limit = min(limit, maxSearch)
	var (
		cond []string
		args []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Roles) > 0 {
		var ps []string
		for _, r := range f.Roles {
			if !r.Valid() {
				return nil, invalid("Unknown role %q.", r)
			}
			ps = append(ps, arg(string(r)))
		}
		cond = append(cond, "u.role IN ("+strings.Join(ps, ", ")+")")
	}
	if f.CourtID != "" {
		cond = append(cond, "u.court_id = "+arg(f.CourtID))
	}
	if f.Source != "" {
		cond = append(cond, "u.source = "+arg(f.Source))
	}
	if f.Enabled {
		cond = append(cond, "u.disabled = 0")
	}
	if f.After != "" {
		cond = append(cond, "u.id > "+arg(f.After))
	}
	if f.Text == "" {
		q := `SELECT ` + userColsU + ` FROM users u` + where(cond) + ` ORDER BY u.id LIMIT ` + arg(limit)
		return s.queryUsers(ctx, s.rdb, "search users", q, args...)
	}

	words := searchWords(f.Text)
	from := "users u"
	if len(words) > 0 {
		var n int
		err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM user_terms
			WHERE term >= $1 AND term < $2 LIMIT $3) t`, words[0], prefixEnd(words[0]), denseTerms).Scan(&n)
		if err != nil {
			return nil, s.internal(err, "search users")
		}
		if n < denseTerms {
			// CROSS JOIN makes SQLite start from the terms.
			from = `(SELECT DISTINCT user_id FROM user_terms WHERE term >= ` + arg(words[0]) + ` AND term < ` +
				arg(prefixEnd(words[0])) + `) m CROSS JOIN users u`
			cond = append([]string{"u.id = m.user_id"}, cond...)
			words = words[1:]
		}
	}
	for _, w := range words {
		cond = append(cond, `EXISTS (SELECT 1 FROM user_terms t WHERE t.user_id = u.id AND t.term >= `+arg(w)+
			` AND t.term < `+arg(prefixEnd(w))+`)`)
	}
	q := `SELECT ` + userColsU + ` FROM ` + from + where(cond) + ` ORDER BY u.name, u.id LIMIT ` + arg(limit)
	return s.queryUsers(ctx, s.rdb, "search users", q, args...)
}

// searchWords returns the words of a query that matter, the longest first:
// a word that starts another adds nothing.
func searchWords(text string) []string {
	words := navette.SearchWords(text)
	slices.SortFunc(words, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	var out []string
	for _, w := range words {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.HasPrefix(o, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// where returns " WHERE" and the conditions joined by AND, or "" if none.
func where(cond []string) string {
	if len(cond) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(cond, " AND ")
}
