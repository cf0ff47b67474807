package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"navette"
)

// keyColumn is where a navette.KeyColumn lives: its table and columns.
type keyColumn struct {
	table, id, keyID, keyData string
}

// keyColumns maps every navette.KeyColumn to its table and columns.
var keyColumns = map[navette.KeyColumn]keyColumn{
	navette.KeyDeposit: {"deposits", "id", "key_id", "key_data"},
	navette.KeyProof:   {"deposits", "id", "proof_key_id", "proof_key_data"},
	navette.KeyFile:    {"files", "id", "key_id", "key_data"},
	navette.KeyNotice:  {"notices", "id", "key_id", "key_data"},
	navette.KeyTOTP:    {"users", "id", "totp_key_id", "totp_key_data"},
}

var _ navette.KeyStore = (*Store)(nil)

// CountKeys implements navette.KeyStore.
func (s *Store) CountKeys(ctx context.Context) ([]navette.KeyCount, error) {
	var counts []navette.KeyCount
	for _, c := range navette.KeyColumns {
		kc := keyColumns[c]
		rows, err := s.rdb.QueryContext(ctx, fmt.Sprintf(`SELECT %[2]s, COUNT(*) FROM %[1]s WHERE %[2]s <> ''
			GROUP BY %[2]s ORDER BY %[2]s`, kc.table, kc.keyID))
		if err != nil {
			return nil, s.internal(err, "count keys")
		}
		for rows.Next() {
			n := navette.KeyCount{Column: c}
			if err := rows.Scan(&n.KeyID, &n.N); err != nil {
				rows.Close()
				return nil, s.internal(err, "count keys")
			}
			counts = append(counts, n)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.internal(err, "count keys")
		}
	}
	return counts, nil
}

// KeysNotUnder implements navette.KeyStore.
func (s *Store) KeysNotUnder(ctx context.Context, c navette.KeyColumn, keyID, after string, limit int) ([]navette.StoredKey, error) {
	kc, ok := keyColumns[c]
	if !ok {
		return nil, invalid("No stored keys are called %q.", c)
	}
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	rows, err := s.rdb.QueryContext(ctx, fmt.Sprintf(`SELECT %[2]s, %[3]s, %[4]s FROM %[1]s
		WHERE %[3]s <> '' AND %[3]s <> $1 AND %[2]s > $2 ORDER BY %[2]s LIMIT $3`, kc.table, kc.id, kc.keyID, kc.keyData),
		keyID, after, limit)
	if err != nil {
		return nil, s.internal(err, "list keys")
	}
	defer rows.Close()
	var keys []navette.StoredKey
	for rows.Next() {
		k := navette.StoredKey{Column: c}
		if err := rows.Scan(&k.ID, &k.Key.KeyID, &k.Key.Data); err != nil {
			return nil, s.internal(err, "list keys")
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "list keys")
	}
	return keys, nil
}

// ReplaceKey implements navette.KeyStore. The row is locked as the store's
// updates lock it, so a concurrent update that read the old key writes it
// back before this compares, or reads the new one after.
func (s *Store) ReplaceKey(ctx context.Context, k navette.StoredKey, to navette.WrappedKey) (bool, error) {
	kc, ok := keyColumns[k.Column]
	if !ok {
		return false, invalid("No stored keys are called %q.", k.Column)
	}
	if to.KeyID == "" || len(to.Data) == 0 {
		return false, invalid("A stored key cannot be replaced by no key.")
	}
	if k.Key.IsZero() {
		return false, nil
	}
	var done bool
	err := s.inTx(ctx, "replace key", func(tx *sql.Tx) error {
		var id string
		var data []byte
		err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %[3]s, %[4]s FROM %[1]s WHERE %[2]s = $1`+s.lock,
			kc.table, kc.id, kc.keyID, kc.keyData), k.ID).Scan(&id, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return s.internal(err, "load key")
		}
		if id != k.Key.KeyID || string(data) != string(k.Key.Data) {
			return nil
		}
		n, err := s.execCount(ctx, tx, "write key", fmt.Sprintf(`UPDATE %[1]s SET %[3]s = $2, %[4]s = $3 WHERE %[2]s = $1`,
			kc.table, kc.id, kc.keyID, kc.keyData), k.ID, to.KeyID, bytesArg(to.Data))
		if err != nil {
			return err
		}
		done = n == 1
		return nil
	})
	return done, err
}
