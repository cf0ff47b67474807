package navette

import "context"

// KeyColumn names a place where storage keeps wrapped data keys. Each key
// of a column is wrapped for the associated data Column.AD(owner id).
type KeyColumn string

// The places where storage keeps wrapped keys.
const (
	KeyDeposit KeyColumn = "deposit" // DepositRecord.Key
	KeyProof   KeyColumn = "proof"   // DepositRecord.ProofKey
	KeyFile    KeyColumn = "file"    // FileRecord.Key
	KeyNotice  KeyColumn = "notice"  // Notice.Key
	KeyTOTP    KeyColumn = "totp"    // User.TOTP
)

// KeyColumns lists every KeyColumn.
var KeyColumns = []KeyColumn{KeyDeposit, KeyProof, KeyFile, KeyNotice, KeyTOTP}

// AD returns the associated data the key of column c owned by object id is
// wrapped for: "deposit:ID", "proof:ID", "file:ID", "notice:ID", "totp:ID".
func (c KeyColumn) AD(id string) string { return string(c) + ":" + id }

// StoredKey is a wrapped key as storage keeps it: its column, the id of the
// object that owns it (a deposit, file, notice or user), and the key.
type StoredKey struct {
	Column KeyColumn
	ID     string
	Key    WrappedKey
}

// KeyCount is how many stored keys of one column one key-encryption key
// wraps.
type KeyCount struct {
	Column KeyColumn
	KeyID  string
	N      int
}

// KeyStore finds the wrapped keys storage keeps and re-wraps them, so that
// a key-encryption key can be retired once nothing needs it. A MetaStore
// that keeps wrapped keys implements it. Destroyed keys (zero WrappedKey)
// are never counted nor returned.
type KeyStore interface {
	// CountKeys returns how many stored keys each key-encryption key wraps,
	// per column, in the order of KeyColumns then by key id; pairs with no
	// key are left out.
	CountKeys(ctx context.Context) ([]KeyCount, error)
	// KeysNotUnder returns at most limit stored keys of column c that
	// keyID does not wrap, whose owner's id is greater than after, by owner
	// id: a cursor over what is left to re-wrap. Returns EINVALID for an
	// unknown column or a limit that is not positive.
	KeysNotUnder(ctx context.Context, c KeyColumn, keyID, after string, limit int) ([]StoredKey, error)
	// ReplaceKey writes to as the key of k.Column owned by k.ID if that
	// key is still k.Key, in a transaction of its own and with the locking
	// of the store's other updates, and reports whether it did: false if
	// the key changed meanwhile (destroyed, sent, re-wrapped) or its owner
	// is gone. Returns EINVALID for an unknown column or a zero to.
	ReplaceKey(ctx context.Context, k StoredKey, to WrappedKey) (bool, error)
}
