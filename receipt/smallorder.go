package receipt

import "math/big"

// Curve25519's field and Edwards constant, for smallOrder.
var (
	fieldP   = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	edwardsD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), fieldP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, fieldP)
	}()
	sqrtMinus1 = new(big.Int).Exp(big.NewInt(2), new(big.Int).Rsh(new(big.Int).Sub(fieldP, big.NewInt(1)), 2), fieldP)
)

// smallOrder reports whether pub, a 32-byte Ed25519 public key, is a point
// of order 1, 2, 4 or 8 (in any of its encodings, canonical or not). Such a
// key has no secret: Ed25519 verification (RFC 8032, crypto/ed25519)
// accepts, for it, a signature made of a small-order point and s = 0 on
// most messages, so anyone could sign a checkpoint by it. A key that is no
// point at all is left to the signature check, which refuses it.
func smallOrder(pub []byte) bool {
	le := make([]byte, 32)
	for i := range le {
		le[i] = pub[31-i]
	}
	le[0] &= 0x7f // the sign of x: the order of -P is that of P
	y := new(big.Int).SetBytes(le)
	y.Mod(y, fieldP)
	x, ok := edwardsX(y)
	if !ok {
		return false
	}
	for range 3 {
		x, y = edwardsDouble(x, y)
	}
	return x.Sign() == 0 && y.Cmp(big.NewInt(1)) == 0
}

// edwardsX returns an x of the point (x, y) of edwards25519, and whether
// there is one: x² = (y² − 1) / (d·y² + 1).
func edwardsX(y *big.Int) (*big.Int, bool) {
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	v := new(big.Int).Mul(edwardsD, y2)
	v.Add(v, big.NewInt(1)).Mod(v, fieldP)
	x2 := u.Mul(u, v.ModInverse(v, fieldP))
	x2.Mod(x2, fieldP)
	x := new(big.Int).Exp(x2, new(big.Int).Rsh(new(big.Int).Add(fieldP, big.NewInt(3)), 3), fieldP)
	for _, c := range []*big.Int{big.NewInt(1), sqrtMinus1} {
		r := new(big.Int).Mul(x, c)
		r.Mod(r, fieldP)
		if new(big.Int).Exp(r, big.NewInt(2), fieldP).Cmp(x2) == 0 {
			return r, true
		}
	}
	return nil, false
}

// edwardsDouble returns 2·(x, y) on edwards25519 (a = −1), by the complete
// affine addition law.
func edwardsDouble(x, y *big.Int) (*big.Int, *big.Int) {
	xy := new(big.Int).Mul(x, y)
	dxy2 := new(big.Int).Mul(xy, xy)
	dxy2.Mul(dxy2, edwardsD).Mod(dxy2, fieldP)
	one := big.NewInt(1)
	nx := new(big.Int).Lsh(xy, 1)
	nx.Mul(nx, new(big.Int).ModInverse(new(big.Int).Add(one, dxy2), fieldP)).Mod(nx, fieldP)
	ny := new(big.Int).Add(new(big.Int).Mul(y, y), new(big.Int).Mul(x, x))
	den := new(big.Int).Sub(one, dxy2)
	den.Mod(den, fieldP)
	ny.Mul(ny, den.ModInverse(den, fieldP)).Mod(ny, fieldP)
	return nx, ny
}
