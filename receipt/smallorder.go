package receipt

import "filippo.io/edwards25519"

// smallOrder reports whether pub, a 32-byte Ed25519 public key, is a point
// of order 1, 2, 4 or 8 (in any of its encodings, canonical or not). Such a
// key has no secret: Ed25519 verification (RFC 8032, crypto/ed25519)
// accepts, for it, a signature made of a small-order point and s = 0 on
// most messages, so anyone could sign a checkpoint by it. The key is
// decoded as crypto/ed25519 decodes it (the same edwards25519 code, which
// takes non-canonical encodings); a key that is no point at all is left to
// the signature check, which refuses it.
func smallOrder(pub []byte) bool {
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return false
	}
	return p.MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1
}
