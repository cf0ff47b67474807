package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette"
)

// Recipient search looks words up in user_terms, which holds each word a
// user can be found by (see userTerms), folded by navette.SearchWords. A
// query word w matches the terms of the range [w, w+U+10FFFF): those that
// start with w, as terms hold only letters and digits.

const (
	// termBatch is the number of terms a multi-row INSERT writes.
	termBatch = 500
	// maxSearch is the most users SearchUsers returns.
	maxSearch = 1000
)

// Recipient search chooses its plan from the number of terms of each query
// word's range (counted up to denseTerms) and of users.
//
// Driving from a word, its users are taken from its terms, checked against
// the filters and the other words, and sorted: that costs about a user
// looked up per term, and suits a rare word, the rarest of the query.
// Scanning, users are read in name order from a covering index until the
// page is full: that costs the rows read, and suits common words. How many
// rows that takes cannot be told well: the users a word matches are not
// spread evenly in name order (a first name gathers them), so a scan of
// all users reads at most scanBudget of them and, if the page is not full
// then, the search drives instead. A scan within a court reads at most its
// users. Either way the other words are checked on the user's row, in
// users.terms.
//
// The costs below, in microseconds, were measured on SQLite; PostgreSQL
// plans the query itself from the same SQL.
const (
	denseTerms = 30000
	scanBudget = 4000
	costTerm   = 1.5  // per term driven from
	costRow    = 0.12 // per row scanned in name order
	costFetch  = 1.5  // per row of users read from a scan
	costLike   = 0.3  // per word checked in users.terms
	// userCountTTL is how long the number of users SearchUsers plans with
	// is kept.
	userCountTTL = 5 * time.Minute
)

// searchPlan is how SearchUsers finds the users matching its words: the
// word it drives from (-1: it scans), and for a scan of all users, the
// most rows it reads (0: no limit).
type searchPlan struct {
	drive  int
	budget int
}

// searchCase is what planSearch plans for: the terms of each word's range,
// the users a scan would read (all, or those of the court), the users in
// all, the share of them the other filters keep, the page size, whether
// the scan is of all users, and whether scanning all users is allowed.
type searchCase struct {
	counts     []int
	scope, all int
	sel        float64
	limit      int
	scanAll    bool
	noScanAll  bool
}

// planSearch returns the cheapest plan for c. A user has about two terms
// in the range of a word that matches it (a word of its name, and its
// e-mail address's); the words are taken as independent.
func planSearch(c searchCase) searchPlan {
	if len(c.counts) == 0 {
		return searchPlan{drive: -1}
	}
	u := max(float64(c.all), 1)
	match := float64(c.scope) * c.sel
	d := 0
	for i, n := range c.counts {
		match *= min(1, float64(n)/2/u)
		if n < c.counts[d] {
			d = i
		}
	}
	k := float64(len(c.counts))
	drive := costTerm*float64(c.counts[d]) + costLike*float64(c.counts[d])/2*c.sel*(k-1)
	rows := float64(c.scope)
	if match > 0 {
		rows = min(rows, float64(c.limit)*float64(c.scope)/match)
	}
	scan := rows * (costRow + costFetch + costLike*k)
	switch {
	case !c.scanAll && scan < drive:
		return searchPlan{drive: -1}
	case c.scanAll && !c.noScanAll && 2*rows <= scanBudget && scan < drive:
		return searchPlan{drive: -1, budget: scanBudget}
	}
	return searchPlan{drive: d}
}

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

// termsColumn returns terms as users.terms holds them: " t1 t2 … ", or ""
// for none.
func termsColumn(terms []string) string {
	if len(terms) == 0 {
		return ""
	}
	return " " + strings.Join(terms, " ") + " "
}

// termRow is a row of user_terms.
type termRow struct{ term, userID string }

// indexer keeps the search terms of users up to date in a transaction: it
// gives the users.terms of a user and queues the changes to its rows of
// user_terms, which flush writes in term order, so that the index grows
// in order rather than at random. It looks courts up as it needs them. Its
// errors are the driver's.
type indexer struct {
	ctx      context.Context
	tx       *sql.Tx
	courts   map[string]*navette.Court
	add, del []termRow
	d        *Dialect  // of the bulk inserts; nil: the default
	conn     *sql.Conn // of tx, if set: terms are added with d.Copy
}

func newIndexer(ctx context.Context, tx *sql.Tx) *indexer {
	return &indexer{ctx: ctx, tx: tx, courts: map[string]*navette.Court{}}
}

// indexer returns an indexer of tx that writes in s's dialect.
func (s *Store) indexer(ctx context.Context, tx *sql.Tx) *indexer {
	x := newIndexer(ctx, tx)
	x.d = &s.d
	return x
}

// index returns the users.terms of u, and queues the changes to user_terms
// from old, its users.terms until now.
func (x *indexer) index(u *navette.User, old string) (string, error) {
	c, err := x.court(u.CourtID)
	if err != nil {
		return "", err
	}
	terms := userTerms(u, c)
	col := termsColumn(terms)
	if col == old {
		return col, nil
	}
	x.queue(u.ID, terms, strings.Fields(old))
	return col, nil
}

// court returns the court id, nil if id is empty or names none, looked up
// once.
func (x *indexer) court(id string) (*navette.Court, error) {
	if id == "" {
		return nil, nil
	}
	if c, ok := x.courts[id]; ok {
		return c, nil
	}
	c := &navette.Court{ID: id}
	err := x.tx.QueryRowContext(x.ctx, `SELECT code, name FROM courts WHERE id = $1`, id).Scan(&c.Code, &c.Name)
	if errors.Is(err, sql.ErrNoRows) {
		c = nil
	} else if err != nil {
		return nil, err
	}
	x.courts[id] = c
	return c, nil
}

// queue queues the changes to the rows of user_terms of the user userID,
// from the terms before to terms, sorted.
func (x *indexer) queue(userID string, terms, before []string) {
	for _, t := range before {
		if _, found := slices.BinarySearch(terms, t); !found {
			x.del = append(x.del, termRow{t, userID})
		}
	}
	slices.Sort(before)
	for _, t := range terms {
		if _, found := slices.BinarySearch(before, t); !found {
			x.add = append(x.add, termRow{t, userID})
		}
	}
}

// flush writes the queued changes to user_terms.
func (x *indexer) flush() error {
	if err := x.flushDeletes(); err != nil {
		return err
	}
	return x.flushAdds()
}

// compareTermRows orders rows of user_terms by term, then user.
func compareTermRows(a, b termRow) int {
	if c := strings.Compare(a.term, b.term); c != 0 {
		return c
	}
	return strings.Compare(a.userID, b.userID)
}

// flushDeletes deletes the queued rows of user_terms, in order.
func (x *indexer) flushDeletes() error {
	if len(x.del) == 0 {
		return nil
	}
	slices.SortFunc(x.del, compareTermRows)
	stmt, err := x.tx.PrepareContext(x.ctx, `DELETE FROM user_terms WHERE term = $1 AND user_id = $2`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range x.del {
		if _, err := stmt.ExecContext(x.ctx, r.term, r.userID); err != nil {
			return err
		}
	}
	x.del = x.del[:0]
	return nil
}

// flushAdds inserts the queued rows of user_terms, in order, termBatch at
// once.
func (x *indexer) flushAdds() error {
	if len(x.add) == 0 {
		return nil
	}
	slices.SortFunc(x.add, compareTermRows)
	if x.conn != nil {
		return x.copyAdds()
	}
	ins := newBatchInsert(x.ctx, x.tx, x.d, "user_terms", "term, user_id", 2, termBatch)
	defer ins.close()
	args := make([]any, 0, 2*termBatch)
	for start := 0; start < len(x.add); start += termBatch {
		args = args[:0]
		for _, r := range x.add[start:min(start+termBatch, len(x.add))] {
			args = append(args, r.term, r.userID)
		}
		if err := ins.exec(args); err != nil {
			return err
		}
	}
	x.add = x.add[:0]
	return nil
}

// copyAdds inserts the queued rows of user_terms, sorted, with the
// dialect's Copy.
func (x *indexer) copyAdds() error {
	i := 0
	row := make([]any, 2)
	err := copyInto(x.ctx, x.conn, x.d, "user_terms", "term, user_id", func() ([]any, error) {
		if i == len(x.add) {
			return nil, nil
		}
		row[0], row[1] = x.add[i].term, x.add[i].userID
		i++
		return row, nil
	})
	x.add = x.add[:0]
	return err
}

// IndexUsers rewrites the search terms of every user in tx. The migration
// that makes the term index runs it; so must any that changes how terms are
// made (userTerms, navette.SearchWords).
func IndexUsers(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_terms`); err != nil {
		return err
	}
	x := newIndexer(ctx, tx)
	after := ""
	for {
		users, err := readUserBatch(ctx, tx, after)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return x.flush()
		}
		if err := x.rewrite(users); err != nil {
			return err
		}
		after = users[len(users)-1].u.ID
	}
}

// indexedUser is a user whose search terms are rewritten: its users.terms,
// and the terms its rows of user_terms hold.
type indexedUser struct {
	u              *navette.User
	terms, indexed string
}

// readUserBatch reads, for IndexUsers, the first 1000 users after the id
// after, with no rows of user_terms.
func readUserBatch(ctx context.Context, tx *sql.Tx, after string) ([]indexedUser, error) {
	// Only the columns of schema version 4, which runs this: later
	// versions add others.
	rows, err := tx.QueryContext(ctx, `SELECT id, email, name, external_id, org, court_id, terms FROM users
			WHERE id > $1 ORDER BY id LIMIT 1000`, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []indexedUser
	for rows.Next() {
		var u navette.User
		r := indexedUser{u: &u}
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.ExternalID, &u.Org, &u.CourtID, &r.terms); err != nil {
			return nil, err
		}
		users = append(users, r)
	}
	return users, rows.Err()
}

// rewrite indexes users, and writes the users.terms of those whose terms
// change.
func (x *indexer) rewrite(users []indexedUser) error {
	for _, r := range users {
		col, err := x.index(r.u, r.indexed)
		if err != nil {
			return err
		}
		if col != r.terms {
			if _, err := x.tx.ExecContext(x.ctx, `UPDATE users SET terms = $2 WHERE id = $1`, r.u.ID, col); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexCourtUsers rewrites the search terms of the users of a court, which
// has just been created.
func (s *Store) indexCourtUsers(ctx context.Context, tx *sql.Tx, courtID string) error {
	users, err := queryAll(ctx, s, tx, "index court", scanIndexedUser, `SELECT `+userCols+`, terms FROM users WHERE court_id = $1`+s.lock, courtID)
	if err != nil {
		return err
	}
	x := s.indexer(ctx, tx)
	if err := x.rewrite(users); err != nil {
		return s.internal(err, "index court")
	}
	if err := x.flush(); err != nil {
		return s.internal(err, "index court")
	}
	return nil
}

// scanIndexedUser reads the columns userCols and terms: a user whose rows
// of user_terms hold its terms.
func scanIndexedUser(row scanner) (indexedUser, error) {
	var r indexedUser
	var err error
	r.u, err = scanUser(row, &r.terms)
	r.indexed = r.terms
	return r, err
}

// SearchUsers returns users matching f. With text, each word of the query
// must start a term of the user; a word that starts another word of the
// query adds nothing and is dropped; a Text without any word matches every
// user. The query is planned by planSearch. The page of ids is found first
// on indexes that cover the filters, then the users are read. The limit is
// capped at 1000.
func (s *Store) SearchUsers(ctx context.Context, f navette.UserFilter) ([]*navette.User, error) {
	limit, err := limitArg(f.Limit, 20)
	if err != nil {
		return nil, err
	}
	limit = min(limit, maxSearch)
	if err := checkRoles(f.Roles); err != nil {
		return nil, err
	}
	if f.Text == "" {
		q, args := searchSQL(f, nil, searchPlan{drive: -1}, limit)
		return s.queryUsers(ctx, s.rdb, "search users", q, args...)
	}
	words := searchWords(f.Text)
	c, err := s.searchCaseOf(ctx, f, words, limit)
	if err != nil {
		return nil, err
	}
	plan := planSearch(c)
	q, args := searchSQL(f, words, plan, limit)
	users, err := s.queryUsers(ctx, s.rdb, "search users", q, args...)
	if err != nil || plan.budget == 0 || len(users) == limit {
		return users, err
	}
	c.noScanAll = true
	q, args = searchSQL(f, words, planSearch(c), limit)
	return s.queryUsers(ctx, s.rdb, "search users", q, args...)
}

// checkRoles refuses unknown roles.
func checkRoles(roles []navette.Role) error {
	for _, r := range roles {
		if !r.Valid() {
			return invalid("Unknown role %q.", r)
		}
	}
	return nil
}

// searchCaseOf returns what planSearch needs to plan the search for f's
// words, a page of limit users.
func (s *Store) searchCaseOf(ctx context.Context, f navette.UserFilter, words []string, limit int) (searchCase, error) {
	counts, scope, err := s.countTerms(ctx, words, f.CourtID)
	if err != nil {
		return searchCase{}, err
	}
	all, err := s.userCount(ctx)
	if err != nil {
		return searchCase{}, err
	}
	c := searchCase{counts: counts, scope: scope, all: all, sel: 1, limit: limit, scanAll: f.CourtID == ""}
	if c.scanAll {
		c.scope = all
	}
	if len(f.Roles) > 0 {
		c.sel /= 2
	}
	if f.Source != "" {
		c.sel /= 2
	}
	return c, nil
}

// searchSQL returns the query of SearchUsers for f, its words and plan,
// with its arguments. It finds the page of ids in a subquery that reads
// only the covering indexes, then reads those users.
func searchSQL(f navette.UserFilter, words []string, plan searchPlan, limit int) (string, []any) {
	var args sqlArgs
	arg := args.add
	cond := userFilters(f, "v", &args)
	if f.Text == "" {
		return `SELECT ` + userColsU + ` FROM users u WHERE u.id IN (SELECT v.id FROM users v` + where(cond) +
			` ORDER BY v.id LIMIT ` + arg(limit) + `) ORDER BY u.id`, args
	}

	from := "users v"
	if plan.drive >= 0 {
		// CROSS JOIN makes SQLite start from the terms.
		w := words[plan.drive]
		from = `(SELECT DISTINCT user_id FROM user_terms WHERE term >= ` + arg(w) + ` AND term < ` +
			arg(prefixEnd(w)) + `) m CROSS JOIN users v`
		cond = append([]string{"v.id = m.user_id"}, cond...)
	} else if plan.budget > 0 {
		// The scan stops at the name of the budget-th user the filters
		// keep, or goes to the end if there are fewer.
		cond = append(cond, `v.name <= COALESCE((SELECT b.name FROM users b`+where(userFilters(f, "b", &args))+
			` ORDER BY b.name, b.id LIMIT 1 OFFSET `+arg(plan.budget-1)+`), `+arg(prefixEnd(""))+`)`)
	}
	for i, w := range words {
		if i != plan.drive {
			cond = append(cond, `v.terms LIKE `+arg("% "+w+"%"))
		}
	}
	q := `SELECT ` + userColsU + ` FROM users u WHERE u.id IN (SELECT v.id FROM ` + from + where(cond) +
		` ORDER BY v.name, v.id LIMIT ` + arg(limit) + `) ORDER BY u.name, u.id`
	return q, args
}

// userFilters returns the conditions on the users table t of the filters
// of f but its text, adding their arguments to args.
func userFilters(f navette.UserFilter, t string, args *sqlArgs) []string {
	var cond []string
	if len(f.Roles) > 0 {
		ps := make([]string, len(f.Roles))
		for i, r := range f.Roles {
			ps[i] = args.add(string(r))
		}
		cond = append(cond, t+".role IN ("+strings.Join(ps, ", ")+")")
	}
	if f.CourtID != "" {
		cond = append(cond, t+".court_id = "+args.add(f.CourtID))
	}
	if f.Source != "" {
		cond = append(cond, t+".source = "+args.add(f.Source))
	}
	if f.Enabled {
		cond = append(cond, t+".disabled = 0")
	}
	if f.After != "" {
		cond = append(cond, t+".id > "+args.add(f.After))
	}
	return cond
}

// countTerms returns the number of terms of each word's range, up to
// denseTerms, and the number of users of the court courtID if not empty, in
// one query.
func (s *Store) countTerms(ctx context.Context, words []string, courtID string) ([]int, int, error) {
	var (
		cols []string
		args sqlArgs
	)
	arg := args.add
	if courtID != "" {
		cols = append(cols, `(SELECT COUNT(*) FROM users WHERE court_id = `+arg(courtID)+`)`)
	} else {
		cols = append(cols, `0`)
	}
	for i, w := range words {
		cols = append(cols, `(SELECT COUNT(*) FROM (SELECT 1 FROM user_terms WHERE term >= `+arg(w)+
			` AND term < `+arg(prefixEnd(w))+` LIMIT `+arg(denseTerms)+`) c`+strconv.Itoa(i)+`)`)
	}
	var scope int
	counts := make([]int, len(words))
	dest := []any{&scope}
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", "), args...).Scan(dest...); err != nil {
		return nil, 0, s.internal(err, "search users")
	}
	return counts, scope, nil
}

// userCount returns the number of users, as counted at most userCountTTL
// ago.
func (s *Store) userCount(ctx context.Context) (int, error) {
	s.users.Lock()
	defer s.users.Unlock()
	if now := time.Now(); s.users.at.IsZero() || now.Sub(s.users.at) > userCountTTL {
		if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&s.users.n); err != nil {
			return 0, s.internal(err, "count users")
		}
		s.users.at = now
	}
	return s.users.n, nil
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
