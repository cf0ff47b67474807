package app

import (
	"context"
	"errors"
	"net/http"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
)

// tusLocker is a navette.UploadLocker as tusd's upload locker.
type tusLocker struct{ l navette.UploadLocker }

// NewLock returns the lock of upload id, not yet taken.
func (t tusLocker) NewLock(id string) (tusd.Lock, error) {
	k, err := t.l.NewLock(id)
	if err != nil {
		return nil, err
	}
	return tusLock{k}, nil
}

// tusLock is a navette.UploadLock as tusd's lock: its errors carry the
// answer tusd is to give, since tusd answers any other error with a 500
// that shows the error's text.
type tusLock struct{ navette.UploadLock }

// errLockTimeout is tusd's ErrLockTimeout answered 503, with the server's
// Retry-After, instead of 500: the upload is busy with another request
// of its client (one that did not let go when asked, such as a PATCH
// whose client withholds its last byte), which a moment cures; nothing
// failed in the server.
var errLockTimeout = errors.Join(tusd.NewError(tusd.ErrLockTimeout.ErrorCode,
	"Another request is still writing to this upload: try again in a moment.", http.StatusServiceUnavailable), tusd.ErrLockTimeout)

// Lock takes the lock. Returns an error answered 503 that wraps
// tusd.ErrLockTimeout if ctx ended first, and an EUNAVAILABLE error
// carrying a 503 answer with its message for users if the lock's storage
// cannot be reached.
func (k tusLock) Lock(ctx context.Context, requestUnlock func()) error {
	err := k.UploadLock.Lock(ctx, requestUnlock)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return errLockTimeout
	case navette.IsCode(err, navette.EUNAVAILABLE):
		msg := navette.ErrorMessage(err)
		answer := tusd.NewError("ERR_UNAVAILABLE", msg, http.StatusServiceUnavailable)
		return navette.WrapError(navette.EUNAVAILABLE, errors.Join(answer, err), "%s", msg)
	}
	return err
}
