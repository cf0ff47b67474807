package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"navette"
)

var _ navette.CaseStore = (*Store)(nil)

// CaseByDigest returns the case one of digests names, creating it as newID
// if none does, and makes digests[0] name it. The insert of a new name does
// nothing if a concurrent call made it first; the name is then read back.
func (s *Store) CaseByDigest(ctx context.Context, digests [][]byte, newID string, at time.Time) (string, error) {
	if err := checkCaseDigests(digests, newID, at); err != nil {
		return "", err
	}
	var id string
	err := s.inTx(ctx, "find case", func(tx *sql.Tx) error {
		var err error
		if id, err = s.findOrCreateCase(ctx, tx, digests, newID, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_keys (digest, case_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
			digests[0], id, timeArg(at)); err != nil {
			return s.internal(err, "name case")
		}
		return tx.QueryRowContext(ctx, `SELECT case_id FROM case_keys WHERE digest = $1`, digests[0]).Scan(&id)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// checkCaseDigests checks the arguments of CaseByDigest.
func checkCaseDigests(digests [][]byte, newID string, at time.Time) error {
	if len(digests) == 0 {
		return invalid("A case needs a digest.")
	}
	for _, d := range digests {
		if len(d) == 0 {
			return invalid("A case digest is empty.")
		}
	}
	if !navette.ValidID(newID) {
		return invalid("Invalid case id.")
	}
	if at.IsZero() {
		return invalid("A case needs a creation time.")
	}
	return nil
}

// findOrCreateCase returns, in tx, the oldest case one of digests names,
// or else creates the case newID (unless a concurrent call did) and
// returns it.
func (s *Store) findOrCreateCase(ctx context.Context, tx *sql.Tx, digests [][]byte, newID string, at time.Time) (string, error) {
	args := make([]any, len(digests))
	for i, d := range digests {
		args[i] = d
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT case_id FROM case_keys WHERE digest IN (`+placeholders(1, len(digests))+`)
			ORDER BY created_at, case_id LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, newID, timeArg(at)); err != nil {
			return "", s.internal(err, "create case")
		}
		return newID, nil
	} else if err != nil {
		return "", s.internal(err, "find case")
	}
	return id, nil
}

// JoinCase puts the deposit in the case unless it belongs to one.
func (s *Store) JoinCase(ctx context.Context, caseID, depositID string, at time.Time, events ...navette.Event) (string, error) {
	if at.IsZero() {
		return "", invalid("Joining a case needs a time.")
	}
	if err := checkEvents(events); err != nil {
		return "", err
	}
	var got string
	err := s.inTx(ctx, "join case", func(tx *sql.Tx) error {
		if err := s.lockRow(ctx, tx, "deposits", depositID, "join case", "No such deposit."); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT case_id FROM case_deposits WHERE deposit_id = $1`, depositID).Scan(&got)
		if err == nil {
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return s.internal(err, "join case")
		}
		if err := s.caseExists(ctx, tx, caseID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_deposits (deposit_id, case_id, created_at) VALUES ($1, $2, $3)`,
			depositID, caseID, timeArg(at)); err != nil {
			return s.insertErr(err, "join case", "The deposit is in a case already.", "No such case.")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_parties (case_id, user_id)
			SELECT c.case_id, d.sender_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id WHERE c.deposit_id = $1
			UNION SELECT c.case_id, d.from_space_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
				WHERE c.deposit_id = $1 AND d.from_space_id IS NOT NULL
			UNION SELECT c.case_id, x.user_id FROM case_deposits c JOIN deposit_recipients x ON x.deposit_id = c.deposit_id
				WHERE c.deposit_id = $1
			ON CONFLICT (case_id, user_id) DO NOTHING`, depositID); err != nil {
			return s.internal(err, "join case")
		}
		got = caseID
		return s.insertEvents(ctx, tx, events)
	})
	if err != nil {
		return "", err
	}
	return got, nil
}

// caseExists checks, in tx, that the case caseID exists.
func (s *Store) caseExists(ctx context.Context, tx *sql.Tx, caseID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE id = $1`, caseID).Scan(&n); err != nil {
		return s.internal(err, "join case")
	}
	if n == 0 {
		return navette.Errorf(navette.ENOTFOUND, "No such case.")
	}
	return nil
}

// CaseOf returns the case of the deposit.
func (s *Store) CaseOf(ctx context.Context, depositID string) (string, error) {
	var id string
	err := s.rdb.QueryRowContext(ctx, `SELECT case_id FROM case_deposits WHERE deposit_id = $1`, depositID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", navette.Errorf(navette.ENOTFOUND, "No case.")
	} else if err != nil {
		return "", s.internal(err, "case of deposit")
	}
	return id, nil
}

// CasesOf returns the case of each of the deposits in one, by deposit id,
// a query per idBatch deposits.
func (s *Store) CasesOf(ctx context.Context, depositIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(depositIDs))
	for _, batch := range idBatches(depositIDs) {
		if err := s.casesOf(ctx, batch, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) casesOf(ctx context.Context, batch []any, out map[string]string) error {
	pairs, err := queryAll(ctx, s, s.rdb, "cases of deposits", scanPair, `SELECT deposit_id, case_id FROM case_deposits
		WHERE deposit_id IN (`+placeholders(1, len(batch))+`)`, batch...)
	for _, p := range pairs {
		out[p[0]] = p[1]
	}
	return err
}

// CaseDeposits returns the deposits in cases that f.UserID may see and
// know of (caseSeen), so that every deposit of a page is shown. With a
// case, whether the user is a party of it is decided first (caseParty), so
// that a case that does not exist and one the user has no part in cost the
// same work.
func (s *Store) CaseDeposits(ctx context.Context, f navette.CaseFilter) ([]navette.CaseDeposit, error) {
	limit, err := limitArg(f.Limit, 1000)
	if err != nil {
		return nil, err
	}
	if f.CaseID != "" {
		if ok, err := s.caseParty(ctx, f.CaseID, f.UserID); err != nil || !ok {
			return nil, err
		}
	}
	query, args, order := caseDepositsQuery(f, limit)
	pairs, err := queryAll(ctx, s, s.rdb, "list case deposits", scanPair, query, args...)
	if err != nil || len(pairs) == 0 {
		return nil, err
	}
	return s.caseDepositsOf(ctx, pairs, order)
}

// caseDepositsQuery returns the query of the page of f's deposit and case
// ids, its arguments, and its order (ASC or DESC).
func caseDepositsQuery(f navette.CaseFilter, limit int) (query string, args []any, order string) {
	query = `SELECT c.deposit_id, c.case_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
		WHERE ` + caseSeen
	args = []any{f.UserID, limit}
	if f.CaseID != "" {
		args = append(args, f.CaseID)
		query += ` AND c.case_id = $` + strconv.Itoa(len(args))
	}
	cmp, order := "<", "DESC"
	if f.Oldest {
		cmp, order = ">", "ASC"
	}
	if !f.After.IsZero() {
		args = append(args, timeArg(f.After), f.AfterID)
		t, id := "$"+strconv.Itoa(len(args)-1), "$"+strconv.Itoa(len(args))
		query += ` AND (d.created_at ` + cmp + ` ` + t + ` OR (d.created_at = ` + t + ` AND d.id ` + cmp + ` ` + id + `))`
	}
	query += ` ORDER BY d.created_at ` + order + `, d.id ` + order + ` LIMIT $2`
	return query, args, order
}

// caseDepositsOf returns the deposits of pairs (deposit id, case id) with
// their cases, in order (ASC or DESC).
func (s *Store) caseDepositsOf(ctx context.Context, pairs [][2]string, order string) ([]navette.CaseDeposit, error) {
	ids := make([]any, len(pairs))
	cases := make(map[string]string, len(pairs))
	for i, p := range pairs {
		ids[i], cases[p[0]] = p[0], p[1]
	}
	ds, err := s.queryDeposits(ctx, "list case deposits", `SELECT `+depositCols+`, `+recipientCols+`
		FROM deposits d`+withRecipients+` WHERE d.id IN (`+placeholders(1, len(ids))+`)
		ORDER BY d.created_at `+order+`, d.id `+order+`, `+recipientOrder, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]navette.CaseDeposit, len(ds))
	for i, d := range ds {
		out[i] = navette.CaseDeposit{CaseID: cases[d.ID], Deposit: d}
	}
	return out, nil
}

// caseParty reports whether user is a party of a deposit of the case
// (case_parties): its sender, a recipient, or a member of a mailbox that
// sent or received it. Both probes are index seeks keyed on the case and a
// user, the second once for each mailbox the user is a member of (CROSS
// JOIN keeps SQLite's planner from walking the case's parties instead), so
// they cost the same work whether the case exists or not.
func (s *Store) caseParty(ctx context.Context, caseID, userID string) (bool, error) {
	var ok bool
	err := s.rdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM case_parties WHERE case_id = $1 AND user_id = $2)
		OR EXISTS (SELECT 1 FROM members m CROSS JOIN case_parties p
			WHERE m.user_id = $2 AND p.case_id = $1 AND p.user_id = m.service_id)`, caseID, userID).Scan(&ok)
	if err != nil {
		return false, s.internal(err, "find case")
	}
	return ok, nil
}

// caseSeen is the condition that the user $1 may see deposit d of a case
// and know of it: its sender; a member of the mailbox it was sent from once
// it is submitted; a recipient, in person or as a member of a recipient
// mailbox, once it is available.
const caseSeen = `(d.sender_id = $1
	OR (d.state <> 'draft' AND d.from_space_id IN (SELECT service_id FROM members WHERE user_id = $1))
	OR (d.state NOT IN ('draft', 'checking') AND (
		EXISTS (SELECT 1 FROM deposit_recipients x WHERE x.deposit_id = d.id AND x.user_id = $1)
		OR EXISTS (SELECT 1 FROM deposit_recipients x JOIN members m ON m.service_id = x.user_id
			WHERE x.deposit_id = d.id AND m.user_id = $1))))`

// CaseList returns a page of the cases f.UserID may see, most recently
// active first.
func (s *Store) CaseList(ctx context.Context, f navette.CaseListFilter) ([]navette.CaseRef, error) {
	limit, err := limitArg(f.Limit, 100)
	if err != nil {
		return nil, err
	}
	query := `SELECT c.case_id, MAX(d.created_at) FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
		WHERE ` + caseSeen + ` GROUP BY c.case_id`
	args := []any{f.UserID, limit}
	if !f.Before.IsZero() {
		query += ` HAVING MAX(d.created_at) < $3 OR (MAX(d.created_at) = $3 AND c.case_id < $4)`
		args = append(args, timeArg(f.Before), f.BeforeID)
	}
	query += ` ORDER BY MAX(d.created_at) DESC, c.case_id DESC LIMIT $2`
	return queryAll(ctx, s, s.rdb, "list cases", scanCaseRef, query, args...)
}

// scanCaseRef reads a case id and the time of its last deposit.
func scanCaseRef(row scanner) (navette.CaseRef, error) {
	var (
		r    navette.CaseRef
		last sql.NullInt64
	)
	err := row.Scan(&r.ID, &last)
	r.LastAt = timeCol(last)
	return r, err
}

// CaseDepositIDs returns the ids of every deposit of the case, oldest
// first.
func (s *Store) CaseDepositIDs(ctx context.Context, caseID string) ([]string, error) {
	return queryAll(ctx, s, s.rdb, "list case deposits", scanString, `SELECT c.deposit_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
		WHERE c.case_id = $1 ORDER BY d.created_at, d.id`, caseID)
}
