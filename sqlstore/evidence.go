package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"navette"
)

var _ navette.EvidenceStore = (*Store)(nil)

const evidenceCols = "digest, deposit_id, kind, sealed, created_at"

// checkEvidence refuses the evidence of e if the evidence table cannot
// hold it.
func checkEvidence(e *navette.Event) error {
	if len(e.SealedClaims) == 0 {
		return nil
	}
	switch {
	case len(e.Claims) != 32:
		return invalid("Sealed claims need the 32-byte digest of their document.")
	case !navette.ValidID(e.DepositID):
		return invalid("Sealed claims need a deposit.")
	case e.Type.ProofKind() == "":
		return invalid("Events of type %q carry no claims.", e.Type)
	}
	return nil
}

// insertEvidence adds the sealed claims events carry, in tx.
func (s *Store) insertEvidence(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	for _, e := range events {
		if len(e.SealedClaims) == 0 {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO evidence (`+evidenceCols+`) VALUES ($1, $2, $3, $4, $5)`,
			bytesArg(e.Claims), e.DepositID, string(e.Type.ProofKind()), bytesArg(e.SealedClaims), timeArg(e.Time))
		if err != nil {
			return s.insertErr(err, "add evidence", "Evidence with this digest exists already.", "No such deposit.")
		}
	}
	return nil
}

func scanEvidence(rows scanner) (*navette.Evidence, error) {
	var (
		ev   navette.Evidence
		kind string
		at   sql.NullInt64
	)
	if err := rows.Scan(&ev.Digest, &ev.DepositID, &kind, &ev.Sealed, &at); err != nil {
		return nil, err
	}
	ev.Kind = navette.ProofKind(kind)
	ev.CreatedAt = timeCol(at)
	return &ev, nil
}

// Evidence returns the evidence whose claims digest is digest.
func (s *Store) Evidence(ctx context.Context, digest []byte) (*navette.Evidence, error) {
	evs, err := s.queryEvidence(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE digest = $1`, bytesArg(digest))
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such evidence.")
	}
	return evs[0], nil
}

// DepositEvidence returns the evidence of a deposit, oldest first.
func (s *Store) DepositEvidence(ctx context.Context, depositID string) ([]*navette.Evidence, error) {
	return s.queryEvidence(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE deposit_id = $1 ORDER BY created_at, digest`, depositID)
}

func (s *Store) queryEvidence(ctx context.Context, query string, args ...any) ([]*navette.Evidence, error) {
	return queryAll(ctx, s, s.rdb, "read evidence", scanEvidence, query, args...)
}

// SearchEvidence returns the evidence matching f, the newest first.
func (s *Store) SearchEvidence(ctx context.Context, f navette.EvidenceFilter) ([]*navette.Evidence, error) {
	limit, err := limitArg(f.Limit, 1000)
	if err != nil {
		return nil, err
	}
	var (
		where []string
		args  sqlArgs
	)
	arg := args.add
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(timeArg(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+arg(timeArg(f.Until)))
	}
	if !f.Before.IsZero() {
		t, d := arg(timeArg(f.Before)), arg(bytesArg(f.BeforeDigest))
		where = append(where, "(created_at < "+t+" OR (created_at = "+t+" AND digest < "+d+"))")
	}
	q := `SELECT ` + evidenceCols + ` FROM evidence`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, digest DESC LIMIT " + arg(limit)
	return s.queryEvidence(ctx, q, args...)
}

// DueEvidence returns the ids of deposits whose proof retention ended at
// or before now and that still hold a proof key or evidence.
func (s *Store) DueEvidence(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	return queryAll(ctx, s, s.rdb, "due evidence", scanString, `SELECT d.id FROM deposits d
		WHERE d.proof_until IS NOT NULL AND d.proof_until <= $1
			AND (d.proof_key_data IS NOT NULL OR EXISTS (SELECT 1 FROM evidence e WHERE e.deposit_id = d.id))
		ORDER BY d.proof_until, d.id LIMIT $2`, timeArg(now), limit)
}

// shredUnsentNotices destroys the keys and payloads of the notices of
// deposit $1 never sent (dead or still pending): they hold its reference,
// and file names and message where mails carry them, which the evidence
// kept until then. A sent notice has none left (NoticeSent).
const shredUnsentNotices = `UPDATE notices SET key_id = '', key_data = NULL, payload = NULL
	WHERE deposit_id = $1 AND state <> 'sent' AND (key_data IS NOT NULL OR payload IS NOT NULL)`

// DeleteEvidence destroys the proof key and evidence of a deposit whose
// proof retention ended, and the keys and payloads of its notices never
// sent, with events.
func (s *Store) DeleteEvidence(ctx context.Context, depositID string, now time.Time, events ...navette.Event) (bool, error) {
	if err := checkEvents(events); err != nil {
		return false, err
	}
	done := false
	err := s.inTx(ctx, "delete evidence", func(tx *sql.Tx) error {
		var (
			until sql.NullInt64
			key   []byte
		)
		err := tx.QueryRowContext(ctx, `SELECT proof_until, proof_key_data FROM deposits WHERE id = $1`+s.lock, depositID).Scan(&until, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return navette.Errorf(navette.ENOTFOUND, "No such deposit.")
		} else if err != nil {
			return s.internal(err, "load deposit")
		}
		if !until.Valid || until.Int64 > now.UnixMicro() {
			return nil
		}
		n, err := s.execCount(ctx, tx, "delete evidence", `DELETE FROM evidence WHERE deposit_id = $1`, depositID)
		if err != nil {
			return err
		}
		if n == 0 && len(key) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deposits SET proof_key_id = '', proof_key_data = NULL WHERE id = $1`, depositID); err != nil {
			return s.internal(err, "destroy proof key")
		}
		if _, err := tx.ExecContext(ctx, shredUnsentNotices, depositID); err != nil {
			return s.internal(err, "destroy notice keys")
		}
		done = true
		return s.insertEvents(ctx, tx, events)
	})
	return done, err
}
