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

// userCols are the columns of users, in the order scanUser reads them.
const userCols = "id, email, name, role, disabled, lang, source, external_id, kind, org, court_id, directory_status, " +
	"revoked_at, totp_key_id, totp_key_data, totp_step, created_at, updated_at, oidc_subject"

// userColsU are userCols of the table aliased u.
var userColsU = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// insertUserCols are the columns insertUserArgs gives: the fixed ones, those
// of userArgs, and the search terms.
const insertUserCols = "id, source, external_id, created_at, email, name, role, disabled, lang, kind, org, court_id, " +
	"directory_status, revoked_at, totp_key_id, totp_key_data, totp_step, updated_at, oidc_subject, terms"

// insertUserN is the number of columns of insertUserCols.
const insertUserN = 20

// userArgs returns the columns of u that UpdateUser and SaveUsers write, in
// the order of the SET list of updateUser.
func userArgs(u *navette.User) []any {
	return []any{u.Email, u.Name, string(u.Role), boolArg(u.Disabled), u.Lang, u.Kind, u.Org, u.CourtID,
		u.DirectoryStatus, timeArg(u.RevokedAt), u.TOTP.KeyID, bytesArg(u.TOTP.Data), u.TOTPStep, timeArg(u.UpdatedAt), u.OIDCSubject}
}

// insertUserArgs returns the columns of u, whose users.terms is terms, in the
// order of insertUserCols.
func insertUserArgs(u *navette.User, terms string) []any {
	args := append([]any{u.ID, u.Source, u.ExternalID, timeArg(u.CreatedAt)}, userArgs(u)...)
	return append(args, terms)
}

// updateUser writes the columns of userArgs and the search terms ($17).
const updateUser = `UPDATE users SET email = $2, name = $3, role = $4, disabled = $5, lang = $6, kind = $7, org = $8,
	court_id = $9, directory_status = $10, revoked_at = $11, totp_key_id = $12, totp_key_data = $13, totp_step = $14,
	updated_at = $15, oidc_subject = $16, terms = $17 WHERE id = $1`

// syncUser is updateUser for a directory sync (SaveUsers): it leaves what
// sign-in binds to a person (second factor, identity provider subject)
// as stored, since a sync works from a read made without a lock: a key
// rewrapped or a subject bound meanwhile must not be written back stale.
const syncUser = `UPDATE users SET email = $2, name = $3, role = $4, disabled = $5, lang = $6, kind = $7, org = $8,
	court_id = $9, directory_status = $10, revoked_at = $11, updated_at = $12, terms = $13 WHERE id = $1`

// syncArgs returns the arguments of syncUser for u.
func syncArgs(u *navette.User, terms string) []any {
	return []any{u.ID, u.Email, u.Name, string(u.Role), boolArg(u.Disabled), u.Lang, u.Kind, u.Org, u.CourtID,
		u.DirectoryStatus, timeArg(u.RevokedAt), timeArg(u.UpdatedAt), terms}
}

// scanUser reads the columns userCols, then those extra points to.
func scanUser(row scanner, extra ...any) (*navette.User, error) {
	var (
		u                         navette.User
		role                      string
		disabled                  int64
		revoked, created, updated sql.NullInt64
	)
	err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &role, &disabled, &u.Lang, &u.Source, &u.ExternalID, &u.Kind,
		&u.Org, &u.CourtID, &u.DirectoryStatus, &revoked, &u.TOTP.KeyID, &u.TOTP.Data, &u.TOTPStep, &created, &updated, &u.OIDCSubject},
		extra...)...)
	if err != nil {
		return nil, err
	}
	u.Role = navette.Role(role)
	u.Disabled = disabled != 0
	u.RevokedAt = timeCol(revoked)
	u.TOTP.Data = bytesCol(u.TOTP.Data)
	u.CreatedAt = timeCol(created)
	u.UpdatedAt = timeCol(updated)
	return &u, nil
}

// checkUserFields refuses a user whose role or language the schema cannot
// hold.
func checkUserFields(u *navette.User) error {
	if !u.Role.Valid() {
		return invalid("Unknown role %q.", u.Role)
	}
	if !navette.ValidLang(u.Lang) {
		return invalid("Unknown language %q.", u.Lang)
	}
	return nil
}

// checkNewUser refuses a user to create that the schema cannot hold.
func checkNewUser(u *navette.User) error {
	if u == nil {
		return invalid("No user given.")
	}
	if u.CreatedAt.IsZero() {
		return invalid("A user needs a creation time.")
	}
	return checkUserFields(u)
}

// CreateUser adds u and its search terms.
func (s *Store) CreateUser(ctx context.Context, u *navette.User, events ...navette.Event) error {
	if err := checkNewUser(u); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create user", func(tx *sql.Tx) error {
		x := s.indexer(ctx, tx)
		terms, err := x.index(u, "")
		if err != nil {
			return s.internal(err, "index user")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO users (`+insertUserCols+`) VALUES (`+placeholders(1, insertUserN)+`)`,
			insertUserArgs(u, terms)...)
		if err != nil {
			return s.insertErr(err, "create user", "A user with this id, e-mail address or external id exists already.", "")
		}
		if err := x.flush(); err != nil {
			return s.internal(err, "index user")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id string) (*navette.User, error) {
	return s.user(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id)
}

// UserByEmail returns the user with the given e-mail address, compared
// exactly: callers normalize it with navette.NormalizeEmail, on writes as on
// reads.
func (s *Store) UserByEmail(ctx context.Context, email string) (*navette.User, error) {
	return s.user(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email)
}

// emailBatch is how many e-mails one query of UsersByEmails looks up.
const emailBatch = 500

// UsersByEmails returns the users holding any of emails, emailBatch
// e-mails a query.
func (s *Store) UsersByEmails(ctx context.Context, emails []string) ([]*navette.User, error) {
	var users []*navette.User
	args := make([]any, 0, min(len(emails), emailBatch))
	for start := 0; start < len(emails); start += emailBatch {
		batch := emails[start:min(start+emailBatch, len(emails))]
		args = args[:0]
		for _, e := range batch {
			args = append(args, e)
		}
		got, err := s.queryUsers(ctx, s.rdb, "users by e-mails", `SELECT `+userCols+` FROM users WHERE email IN (`+placeholders(1, len(batch))+`)`, args...)
		if err != nil {
			return nil, err
		}
		users = append(users, got...)
	}
	return users, nil
}

func (s *Store) user(ctx context.Context, query, arg string) (*navette.User, error) {
	return queryOne(s, "get user", "No such user.", scanUserCols, s.rdb.QueryRowContext(ctx, query, arg))
}

// queryUsers runs a query returning userCols through q.
func (s *Store) queryUsers(ctx context.Context, q queryer, op, query string, args ...any) ([]*navette.User, error) {
	return queryAll(ctx, s, q, op, scanUserCols, query, args...)
}

// scanUserCols reads the columns userCols.
func scanUserCols(row scanner) (*navette.User, error) {
	return scanUser(row)
}

// UpdateUser loads the user in a write transaction, calls fn, and writes
// back what fn changed among the fields userArgs lists (the id, source,
// external id and creation time stay as they were), with the events fn
// returns, and the search terms that follow. If the user is disabled after
// fn, its sessions are deleted and its tokens revoked.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(u *navette.User) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update user", func(tx *sql.Tx) error {
		var old string
		scanWithTerms := func(row scanner) (*navette.User, error) { return scanUser(row, &old) }
		u, err := queryOne(s, "load user", "No such user.", scanWithTerms, tx.QueryRowContext(ctx, `SELECT `+userCols+`, terms FROM users WHERE id = $1`+s.lock, id))
		if err != nil {
			return err
		}
		fixed := *u
		before := userArgs(u)
		events, err := callUpdate(u, fn, checkUserFields)
		if err != nil {
			return err
		}
		after := *u
		after.ID, after.Source, after.ExternalID, after.CreatedAt = fixed.ID, fixed.Source, fixed.ExternalID, fixed.CreatedAt
		if args := userArgs(&after); !reflect.DeepEqual(args, before) {
			if err := s.rewriteUser(ctx, tx, id, &fixed, &after, args, old); err != nil {
				return err
			}
		}
		if after.Disabled {
			if err := s.endUser(ctx, tx, id, &after); err != nil {
				return err
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// rewriteUser writes the user id, changed by UpdateUser from fixed to
// after (args), and indexes it again if a searched field changed; old is
// its stored search terms.
func (s *Store) rewriteUser(ctx context.Context, tx *sql.Tx, id string, fixed, after *navette.User, args []any, old string) error {
	x := s.indexer(ctx, tx)
	terms := old
	if searchedChanged(fixed, after) {
		var err error
		if terms, err = x.index(after, old); err != nil {
			return s.internal(err, "index user")
		}
	}
	if _, err := tx.ExecContext(ctx, updateUser, append(append([]any{id}, args...), terms)...); err != nil {
		return s.userWriteErr(err, fixed, after)
	}
	if err := x.flush(); err != nil {
		return s.internal(err, "index user")
	}
	return nil
}

// searchedChanged reports whether a field the search terms of a user are
// made of changed from a to b.
func searchedChanged(a, b *navette.User) bool {
	return a.Name != b.Name || a.Email != b.Email || a.Org != b.Org || a.CourtID != b.CourtID
}

// userWriteErr is the error of rewriteUser for err, the driver's error of
// writing the user changed from fixed to after: ECONFLICT if it takes an
// identity provider account or an e-mail address of another user.
func (s *Store) userWriteErr(err error, fixed, after *navette.User) error {
	if !s.d.IsUniqueViolation(err) {
		return s.internal(err, "write user")
	}
	if after.OIDCSubject != fixed.OIDCSubject {
		return navette.WrapError(navette.ECONFLICT, err, "This identity provider account is another user's.")
	}
	return navette.WrapError(navette.ECONFLICT, err, "The e-mail address %s is another user's.", after.Email)
}

// endUser deletes the sessions and revokes the tokens of the disabled user
// id, u.
func (s *Store) endUser(ctx context.Context, tx *sql.Tx, id string, u *navette.User) error {
	if _, err := tx.ExecContext(ctx, endUserSessions, id); err != nil {
		return s.internal(err, "end sessions")
	}
	if _, err := tx.ExecContext(ctx, revokeUserTokens, id, timeArg(revokedAt(u))); err != nil {
		return s.internal(err, "revoke tokens")
	}
	return nil
}

// endUserSessions deletes the sessions of user $1.
const endUserSessions = `DELETE FROM sessions WHERE user_id = $1`

// revokeUserTokens revokes, at $2, the tokens of user $1 not revoked yet.
const revokeUserTokens = `UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`

// revokedAt returns when the disabled user u was revoked: RevokedAt, or
// failing that the last change or the creation.
func revokedAt(u *navette.User) time.Time {
	for _, t := range []time.Time{u.RevokedAt, u.UpdatedAt, u.CreatedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.UnixMicro(1)
}

// UsersBySource returns every user of the directory source, by id.
func (s *Store) UsersBySource(ctx context.Context, source string) ([]*navette.User, error) {
	return s.queryUsers(ctx, s.rdb, "users by source", `SELECT `+userCols+` FROM users WHERE source = $1 ORDER BY id`, source)
}

// saveBatch is the number of users a multi-row INSERT of SaveUsers writes.
const saveBatch = 100

// SaveUsers creates and updates users in one transaction: the updates
// first, so that an e-mail address one user gives up can go to a new one.
// Updated users are rewritten (the fields syncArgs lists: not what sign-in
// binds to them, their second factor and identity provider subject); those
// disabled lose their sessions and their tokens are revoked. Users given twice, or two users given the
// same e-mail address or external id, are refused with ECONFLICT before
// anything is written.
func (s *Store) SaveUsers(ctx context.Context, create, update []*navette.User, events ...navette.Event) error {
	if err := checkSave(create, update); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inConnTx(ctx, "save users", func(conn *sql.Conn, tx *sql.Tx) error {
		x := s.indexer(ctx, tx)
		if s.d.Copy != nil {
			x.conn = conn
		}
		if len(update) > 0 {
			if err := s.saveUpdates(ctx, tx, x, update); err != nil {
				return err
			}
		}
		if err := s.createUsers(ctx, tx, x, create); err != nil {
			return err
		}
		if err := x.flush(); err != nil {
			return s.internal(err, "save users: index")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// createUsers inserts the users of create in tx, saveBatch a statement,
// indexing them with x. A goroutine indexes the next batches while one is
// inserted, so that on two cores the indexing runs beside the database's
// work; it does not use tx, whose connection takes one call at a time: the
// courts of the users are looked up first.
func (s *Store) createUsers(ctx context.Context, tx *sql.Tx, x *indexer, create []*navette.User) error {
	// In id order, users go into their table in order.
	create = slices.Clone(create)
	slices.SortFunc(create, func(a, b *navette.User) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range create {
		if _, err := x.court(u.CourtID); err != nil {
			return s.internal(err, "save users: index")
		}
	}
	batches, stop := s.indexBatches(x, create)
	defer stop()
	if x.conn != nil {
		return s.copyUsers(ctx, x.conn, batches, create)
	}
	ins := newBatchInsert(ctx, tx, &s.d, "users", insertUserCols, insertUserN, saveBatch)
	defer ins.close()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if err := ins.exec(b.args); err != nil {
			return s.createErr(ctx, err, b.users)
		}
	}
	return nil
}

// copyUsers writes the users of create, whose batches come indexed from
// batches, with the dialect's Copy on conn: one bulk write, fed as the
// batches come.
func (s *Store) copyUsers(ctx context.Context, conn *sql.Conn, batches <-chan userBatch, create []*navette.User) error {
	var (
		args []any
		err  error
	)
	next := func() ([]any, error) {
		if len(args) == 0 {
			b, ok := <-batches
			if !ok {
				return nil, nil
			}
			if b.err != nil {
				err = b.err
				return nil, b.err
			}
			args = b.args
		}
		row := args[:insertUserN:insertUserN]
		args = args[insertUserN:]
		return row, nil
	}
	if cerr := copyInto(ctx, conn, &s.d, "users", insertUserCols, next); err != nil {
		return err
	} else if cerr != nil {
		return s.createErr(ctx, cerr, create)
	}
	return nil
}

// userBatch is a batch of users to insert, with the arguments of their
// INSERT, or the error of indexing them.
type userBatch struct {
	users []*navette.User
	args  []any
	err   error
}

// indexBatches indexes the users of create with x in a goroutine, saveBatch
// at a time, and sends each batch, a few ahead of its insertion. stop ends
// the goroutine and waits for it; x is the caller's again after it.
func (s *Store) indexBatches(x *indexer, create []*navette.User) (batches <-chan userBatch, stop func()) {
	out := make(chan userBatch, 4)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for start := 0; start < len(create); start += saveBatch {
			b := userBatch{users: create[start:min(start+saveBatch, len(create))]}
			b.args, b.err = s.indexNewUsers(x, b.users, make([]any, 0, saveBatch*insertUserN))
			select {
			case out <- b:
			case <-quit:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return out, func() { close(quit); <-done }
}

// indexNewUsers indexes the new users of batch with x, and returns args
// with the arguments of their INSERT appended.
func (s *Store) indexNewUsers(x *indexer, batch []*navette.User, args []any) ([]any, error) {
	for _, u := range batch {
		terms, err := x.index(u, "")
		if err != nil {
			return nil, s.internal(err, "save users: index")
		}
		args = append(args, insertUserArgs(u, terms)...)
	}
	return args, nil
}

// createErr is the error of createUsers for err, the driver's error of
// inserting batch: ECONFLICT saying why if a user takes what is another's.
func (s *Store) createErr(ctx context.Context, err error, batch []*navette.User) error {
	if s.d.IsUniqueViolation(err) {
		return navette.WrapError(navette.ECONFLICT, err, "%s", s.whyConflict(ctx, batch))
	}
	return s.internal(err, "save users: create")
}

// saveUpdates rewrites the users of update in tx, with their search terms
// and, for the disabled, their sessions and tokens.
func (s *Store) saveUpdates(ctx context.Context, tx *sql.Tx, x *indexer, update []*navette.User) error {
	load, err := tx.PrepareContext(ctx, `SELECT source, external_id, terms FROM users WHERE id = $1`+s.lock)
	if err != nil {
		return s.internal(err, "save users: prepare")
	}
	defer load.Close()
	upd, err := tx.PrepareContext(ctx, syncUser)
	if err != nil {
		return s.internal(err, "save users: prepare")
	}
	defer upd.Close()
	end := &endStmts{tx: tx}
	defer end.close()
	for _, u := range update {
		if err := s.saveUpdate(ctx, load, upd, x, u); err != nil {
			return err
		}
		if u.Disabled {
			if err := s.endSavedUser(ctx, end, u); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveUpdate rewrites the user u with the statements load and upd, and
// indexes it again.
func (s *Store) saveUpdate(ctx context.Context, load, upd *sql.Stmt, x *indexer, u *navette.User) error {
	var (
		stored navette.User
		old    string
	)
	err := load.QueryRowContext(ctx, u.ID).Scan(&stored.Source, &stored.ExternalID, &old)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such user: %s.", u.ID)
	} else if err != nil {
		return s.internal(err, "save users: load")
	}
	indexed := *u
	indexed.Source, indexed.ExternalID = stored.Source, stored.ExternalID
	terms, err := x.index(&indexed, old)
	if err != nil {
		return s.internal(err, "save users: index")
	}
	if _, err := upd.ExecContext(ctx, syncArgs(u, terms)...); err != nil {
		if s.d.IsUniqueViolation(err) {
			return navette.WrapError(navette.ECONFLICT, err, "The e-mail address %s is another user's.", u.Email)
		}
		return s.internal(err, "save users: update")
	}
	return nil
}

// endStmts are the statements that end the sessions and revoke the tokens
// of the users SaveUsers disables, prepared in tx when first used.
type endStmts struct {
	tx               *sql.Tx
	sessions, tokens *sql.Stmt
}

func (e *endStmts) close() {
	for _, st := range []*sql.Stmt{e.sessions, e.tokens} {
		if st != nil {
			st.Close()
		}
	}
}

// endSavedUser deletes the sessions and revokes the tokens of the disabled
// user u.
func (s *Store) endSavedUser(ctx context.Context, e *endStmts, u *navette.User) error {
	var err error
	if e.sessions == nil {
		if e.sessions, err = e.tx.PrepareContext(ctx, endUserSessions); err != nil {
			return s.internal(err, "save users: prepare")
		}
	}
	if _, err := e.sessions.ExecContext(ctx, u.ID); err != nil {
		return s.internal(err, "save users: end sessions")
	}
	if e.tokens == nil {
		if e.tokens, err = e.tx.PrepareContext(ctx, revokeUserTokens); err != nil {
			return s.internal(err, "save users: prepare")
		}
	}
	if _, err := e.tokens.ExecContext(ctx, u.ID, timeArg(revokedAt(u))); err != nil {
		return s.internal(err, "save users: revoke tokens")
	}
	return nil
}

// checkSave refuses what SaveUsers cannot write: invalid users, and users,
// e-mail addresses or external ids given twice.
func checkSave(create, update []*navette.User) error {
	type extKey struct{ source, id string }
	ids := make(map[string]bool, len(create)+len(update))
	emails := make(map[string]bool, len(create)+len(update))
	exts := make(map[extKey]bool, len(create))
	for i, u := range append(update[:len(update):len(update)], create...) {
		if i < len(update) {
			if u == nil {
				return invalid("No user given.")
			}
			if err := checkUserFields(u); err != nil {
				return err
			}
		} else if err := checkNewUser(u); err != nil {
			return err
		}
		if ids[u.ID] {
			return navette.Errorf(navette.ECONFLICT, "The user %s is given twice.", u.ID)
		}
		ids[u.ID] = true
		if emails[u.Email] {
			return navette.Errorf(navette.ECONFLICT, "The e-mail address %s is given to two users.", u.Email)
		}
		emails[u.Email] = true
		if i >= len(update) && u.ExternalID != "" {
			k := extKey{u.Source, u.ExternalID}
			if exts[k] {
				return navette.Errorf(navette.ECONFLICT, "The external id %s of %s is given to two users.", u.ExternalID, u.Source)
			}
			exts[k] = true
		}
	}
	return nil
}

// conflictBatch is how many users of a failed insert one query of
// whyConflict looks up.
const conflictBatch = 500

// whyConflict names what a user of batch shares with a stored user, once an
// INSERT or COPY of the batch failed on a unique constraint. It reads through
// the read pool, as the failed transaction may not be usable any more.
func (s *Store) whyConflict(ctx context.Context, batch []*navette.User) string {
	return whyConflict(ctx, s.rdb, s.d.QuestionMarks, batch)
}

// whyConflict names, through q, what the first user of batch that takes
// another's e-mail address, external id or id (asked in that order) shares
// with the stored user: a query per conflictBatch users, as many as the
// batch of a COPY, which is every new user of a directory import, would
// otherwise make.
func whyConflict(ctx context.Context, q queryer, qmark bool, batch []*navette.User) string {
	for start := 0; start < len(batch); start += conflictBatch {
		chunk := batch[start:min(start+conflictBatch, len(batch))]
		taken, err := takenBy(ctx, q, qmark, chunk)
		if err != nil {
			continue
		}
		for _, u := range chunk {
			if why := taken.why(u); why != "" {
				return why
			}
		}
	}
	return "A user to create has the id, e-mail address or external id of another."
}

// takenKeys are the ids, e-mail addresses and external ids (by source) of
// stored users.
type takenKeys struct {
	ids, emails map[string]bool
	exts        map[[2]string]bool
}

// why says what of u is taken, or "" if nothing is.
func (k takenKeys) why(u *navette.User) string {
	switch {
	case k.emails[u.Email]:
		return "A user with the e-mail address " + u.Email + " exists already."
	case u.ExternalID != "" && k.exts[[2]string{u.Source, u.ExternalID}]:
		return "A user with the external id " + u.ExternalID + " of " + u.Source + " exists already."
	case k.ids[u.ID]:
		return "A user with the id " + u.ID + " exists already."
	}
	return ""
}

// takenBy reads through q, in one query, the stored users that have the id,
// the e-mail address or the external id of a user of batch; qmark writes
// its placeholders as ? (Dialect.QuestionMarks).
func takenBy(ctx context.Context, q queryer, qmark bool, batch []*navette.User) (takenKeys, error) {
	n := len(batch)
	args := make([]any, 2*n, 3*n+1)
	var exts, sources []any
	for i, u := range batch {
		args[i], args[n+i] = u.ID, u.Email
		if u.ExternalID != "" {
			exts = append(exts, u.ExternalID)
			if !slices.Contains(sources, any(u.Source)) {
				sources = append(sources, u.Source)
			}
		}
	}
	marks := placeholders
	if qmark {
		marks = questionMarks
	}
	query := `SELECT id, email, source, external_id FROM users
		WHERE id IN (` + marks(1, n) + `) OR email IN (` + marks(n+1, n) + `)`
	if len(exts) > 0 {
		query += ` OR (external_id <> '' AND source IN (` + marks(2*n+1, len(sources)) +
			`) AND external_id IN (` + marks(2*n+len(sources)+1, len(exts)) + `))`
		args = append(append(args, sources...), exts...)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return takenKeys{}, err
	}
	defer rows.Close()
	k := takenKeys{ids: map[string]bool{}, emails: map[string]bool{}, exts: map[[2]string]bool{}}
	for rows.Next() {
		var id, email, source, ext string
		if err := rows.Scan(&id, &email, &source, &ext); err != nil {
			return takenKeys{}, err
		}
		k.ids[id], k.emails[email] = true, true
		if ext != "" {
			k.exts[[2]string{source, ext}] = true
		}
	}
	return k, rows.Err()
}
