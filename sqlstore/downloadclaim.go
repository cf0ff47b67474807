package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"navette"
)

// ClaimDownload claims one of the max complete downloads of fileID by
// userID, under the lock of the deposit's row (SQLite's single writer), in
// which recordings of downloads (UpdateDeposit) take their turn too.
func (s *Store) ClaimDownload(ctx context.Context, depositID, fileID, userID string, max int, now, until time.Time) (string, error) {
	if max < 1 || !until.After(now) {
		return "", invalid("A download claim needs a cap and a time to expire after now.")
	}
	id := ""
	err := s.inTx(ctx, "claim a download", func(tx *sql.Tx) error {
		if err := s.lockRow(ctx, tx, "deposits", depositID, "lock deposit", "No such deposit."); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM download_claims WHERE deposit_id = $1 AND expires_at <= $2`, depositID, now.UnixMicro()); err != nil {
			return s.internal(err, "drop expired download claims")
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM events WHERE deposit_id = $1 AND type = $2 AND file_id = $3 AND actor_id = $4) +
			(SELECT COUNT(*) FROM download_claims WHERE deposit_id = $1 AND file_id = $3 AND user_id = $4)`,
			depositID, string(navette.EventFileDownloaded), fileID, userID).Scan(&n)
		if err != nil {
			return s.internal(err, "count downloads")
		}
		if n >= max {
			return nil
		}
		claim := navette.NewID()
		_, err = tx.ExecContext(ctx, `INSERT INTO download_claims (id, deposit_id, file_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			claim, depositID, fileID, userID, until.UnixMicro())
		if err != nil {
			return s.insertErr(err, "claim a download", "", "No such file or user.")
		}
		id = claim
		return nil
	})
	return id, err
}

// ReleaseDownloadClaim deletes the claim id.
func (s *Store) ReleaseDownloadClaim(ctx context.Context, id string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM download_claims WHERE id = $1`, id); err != nil {
		return s.internal(err, "release a download claim")
	}
	return nil
}

// ExtendDownloadClaim moves the expiry of the claim id, if it still runs at
// now, to until. It takes no lock of the deposit: a claim that still runs
// counts in ClaimDownload before and after.
func (s *Store) ExtendDownloadClaim(ctx context.Context, id string, now, until time.Time) (bool, error) {
	if !until.After(now) {
		return false, invalid("A download claim needs a time to expire after now.")
	}
	n, err := s.execCount(ctx, s.wdb, "extend a download claim",
		`UPDATE download_claims SET expires_at = $1 WHERE id = $2 AND expires_at > $3`, until.UnixMicro(), id, now.UnixMicro())
	return n == 1, err
}

// endDownloadClaim ends, in tx, the download claim that ctx carries if
// events record the download it claimed.
func (s *Store) endDownloadClaim(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	id := navette.DownloadClaimFromContext(ctx)
	if id == "" {
		return nil
	}
	for _, e := range events {
		if e.Type != navette.EventFileDownloaded {
			continue
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM download_claims WHERE id = $1 AND deposit_id = $2 AND file_id = $3 AND user_id = $4`,
			id, e.DepositID, e.FileID, e.ActorID)
		if err != nil {
			return s.internal(err, "end a download claim")
		}
	}
	return nil
}
