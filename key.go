package navette

// WrappedKey is a data key sealed under a key-encryption key, named by that
// key's id so keys can be rotated.
type WrappedKey struct {
	KeyID string
	Data  []byte
}

// IsZero reports whether the key is absent (never set, or destroyed).
func (k WrappedKey) IsZero() bool { return k.KeyID == "" && len(k.Data) == 0 }

// KeyWrapper wraps data keys under a key-encryption key (package keyring).
// ad binds a wrapped key to the object that owns it: a key unwrapped with
// another ad fails.
type KeyWrapper interface {
	// Wrap seals dataKey under the active key-encryption key.
	Wrap(dataKey []byte, ad string) (WrappedKey, error)
	// Unwrap opens w, which must have been wrapped for ad. Returns EGONE
	// if w is zero (the key was destroyed), EUNAVAILABLE if the
	// key-encryption key w names is not installed, EINTERNAL if w does not
	// authenticate for ad.
	Unwrap(w WrappedKey, ad string) ([]byte, error)
}
