package deposit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"

	"navette"
)

// MaxIdempotencyKeyLen is the longest idempotency key, in bytes.
const MaxIdempotencyKeyLen = 255

// once runs build, which makes a deposit of actor holding the idempotency
// key (if not "") with the request's digest, once for the key: if a
// deposit of actor holds the key (see navette.DepositStore.CreateDeposit),
// it is returned instead if it was made from a request of the same digest,
// and EINVALID wrapping navette.ErrIdempotencyKeyReused is returned if not.
// While another request with the key runs on this node, returns ECONFLICT
// wrapping navette.ErrIdempotencyKeyInUse; one running on another node
// makes the store refuse the second, which then finds the first's deposit.
func (s *Service) once(ctx context.Context, actor *navette.User, key string, digest []byte, build func() (*View, error)) (*View, error) {
	if key == "" {
		return build()
	}
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !validIdempotencyKey(key) {
		return nil, navette.Errorf(navette.EINVALID, "An idempotency key of 1 to %d printable ASCII characters is required.", MaxIdempotencyKeyLen)
	}
	held := actor.ID + "\x00" + key
	if _, busy := s.creating.LoadOrStore(held, struct{}{}); busy {
		return nil, navette.WrapError(navette.ECONFLICT, navette.ErrIdempotencyKeyInUse, "A request with this idempotency key is still being processed; try again in a moment.")
	}
	defer s.creating.Delete(held)
	v, err := s.made(ctx, actor, key, digest)
	if navette.ErrorCode(err) != navette.ENOTFOUND {
		return v, err
	}
	v, err = build()
	if navette.ErrorCode(err) == navette.ECONFLICT {
		if first, ferr := s.made(ctx, actor, key, digest); navette.ErrorCode(ferr) != navette.ENOTFOUND {
			return first, ferr
		}
	}
	return v, err
}

// onceOn runs build, which makes the deposit a request of kind (reply,
// forward) on deposit id asks for with in, once for the idempotency key
// key (see once): in, without its key, and id make the request's digest.
func onceOn[T any](ctx context.Context, s *Service, actor *navette.User, kind, id, key string, in T,
	build func(ctx context.Context, actor *navette.User, id string, in T, key string, digest []byte) (*View, error)) (*View, error) {
	digest := requestDigest(kind, struct {
		Of string
		In T
	}{id, in})
	return s.once(ctx, actor, key, digest, func() (*View, error) { return build(ctx, actor, id, in, key, digest) })
}

// made returns the deposit actor made with the idempotency key from a
// request of the given digest. Returns ENOTFOUND if no deposit holds the
// key or it has outlived navette.IdempotencyKeyLifetime, EINVALID wrapping
// navette.ErrIdempotencyKeyReused if it was made from another request,
// EGONE if it was purged since.
func (s *Service) made(ctx context.Context, actor *navette.User, key string, digest []byte) (*View, error) {
	d, err := s.Meta.DepositByIdempotencyKey(ctx, actor.ID, key)
	if err != nil {
		return nil, err
	}
	if !s.Clock.Now().Before(d.CreatedAt.Add(navette.IdempotencyKeyLifetime)) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No deposit holds this idempotency key.")
	}
	if d.Key.IsZero() {
		return nil, navette.Errorf(navette.EGONE, "The deposit this idempotency key created is gone; use a new key.")
	}
	k, err := s.depositKey(d)
	if err != nil {
		return nil, err
	}
	first, err := k.OpenValue("request", d.ID, d.RequestDigest)
	if err != nil || !hmac.Equal(first, digest) {
		return nil, navette.WrapError(navette.EINVALID, navette.ErrIdempotencyKeyReused, "This idempotency key was used for another request; use a new key.")
	}
	return s.Get(ctx, actor, d.ID)
}

// requestDigest returns the SHA-256 of a request of kind (draft, reply,
// forward) asking for in, its idempotency key left out: what tells a
// repeat of the request from another request reusing its key.
func requestDigest(kind string, in any) []byte {
	b, _ := json.Marshal(in) // the requests are plain data
	sum := sha256.Sum256(append([]byte("navette "+kind+"\n"), b...))
	return sum[:]
}

// validIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLen
// printable ASCII characters, as the characters of a structured field
// String (RFC 9651) are.
func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
