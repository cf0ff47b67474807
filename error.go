package navette

import (
	"errors"
	"fmt"
)

// Application error codes. Every error a service returns to a caller carries
// one of them; the HTTP adapter maps each code to a status in one place.
const (
	ECONFLICT       = "conflict"        // the resource exists already or is in a state that forbids the action
	EFORBIDDEN      = "forbidden"       // the caller is known but may not do this
	EGONE           = "gone"            // the deposit expired or was revoked
	EINTERNAL       = "internal"        // a fault of the server; details are logged, never shown
	EINVALID        = "invalid"         // the request is malformed or breaks a rule
	ENOTFOUND       = "not_found"       // no such resource, or the caller may not know it exists
	ETOOLARGE       = "too_large"       // a size or count limit is exceeded
	ETOOMANY        = "too_many"        // too many attempts or requests; try again later
	EUNAUTHORIZED   = "unauthorized"    // no valid credentials
	EUNAVAILABLE    = "unavailable"     // a dependency is down; try again later
	ENOTIMPLEMENTED = "not_implemented" // the server does not offer this
)

// ENOSPACE is the code of a refusal for want of storage: the disk is full,
// or an upload would leave less free space than the reserve. It passes once
// space returns.
const ENOSPACE = "insufficient_storage"

// ErrDownloadLimit is wrapped in the EGONE error that refuses a file to a
// recipient who reached the deposit's cap of complete downloads
// (DepositRecord.MaxDownloads); the HTTP adapter answers it with the problem
// type ProblemDownloadLimit.
var ErrDownloadLimit = errors.New("download limit reached")

// ProblemDownloadLimit is the RFC 9457 problem type of ErrDownloadLimit.
const ProblemDownloadLimit = "tag:navette,2026:problem:download_limit"

// ErrUploadOffset is wrapped in the ECONFLICT error that refuses bytes sent
// to an upload at another offset than the one the server holds: tus's own
// resumption, cured by asking the offset (HEAD), unlike the upload's other
// conflicts; the HTTP adapter answers it with the problem type
// ProblemUploadOffset.
var ErrUploadOffset = errors.New("upload offset mismatch")

// ProblemUploadOffset is the RFC 9457 problem type of ErrUploadOffset.
const ProblemUploadOffset = "tag:navette,2026:problem:upload_offset"

// ErrForeignForm is wrapped in the EFORBIDDEN error that refuses a browser
// request changing state that did not come from the platform's own pages:
// another origin, or a form of the session before (the person signed in
// again since, in another tab). The web answers it with a page saying to
// reload, rather than that their role forbids it.
var ErrForeignForm = errors.New("request from another origin or session")

// ProblemForeignForm is the RFC 9457 problem type of ErrForeignForm: a
// page's script refused with it may fetch the session's token anew, if the
// session is still its person's, and try again.
const ProblemForeignForm = "tag:navette,2026:problem:foreign_form"

// ErrIdempotencyKeyReused is wrapped in the EINVALID error that refuses a
// creation whose Idempotency-Key already created something from another
// request; the HTTP adapter answers it with the problem type
// ProblemIdempotencyKeyReused.
var ErrIdempotencyKeyReused = errors.New("idempotency key reused")

// ProblemIdempotencyKeyReused is the RFC 9457 problem type of
// ErrIdempotencyKeyReused.
const ProblemIdempotencyKeyReused = "tag:navette,2026:problem:idempotency_key_reused"

// ErrIdempotencyKeyInUse is wrapped in the ECONFLICT error that refuses a
// creation while another request with the same Idempotency-Key is still
// being processed; it passes once that one ends. The HTTP adapter answers
// it with the problem type ProblemIdempotencyKeyInUse.
var ErrIdempotencyKeyInUse = errors.New("idempotency key in use")

// ProblemIdempotencyKeyInUse is the RFC 9457 problem type of
// ErrIdempotencyKeyInUse.
const ProblemIdempotencyKeyInUse = "tag:navette,2026:problem:idempotency_key_in_use"

// Error is navette's application error: a code for programs and a message
// that is safe to show to the user. Internal details stay in Err, which is
// logged but never sent to a client.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the message, followed by the wrapped error if any.
func (e *Error) Error() string {
	if e.Err != nil {
		if e.Message == "" {
			return fmt.Sprintf("navette %s: %v", e.Code, e.Err)
		}
		return fmt.Sprintf("navette %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("navette %s: %s", e.Code, e.Message)
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with the given code and a formatted
// message meant for users.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an application error of the given code that wraps err,
// with a message for users. Use it once, at a package boundary.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first application error
// in err's chain, or a generic message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "An internal error occurred."
}

// IsCode reports whether err carries the application error code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// Existing returns get of each of items, in order, leaving out those get
// answers ENOTFOUND for (gone since they were listed); any other error of
// get ends it.
func Existing[T, R any](items []T, get func(T) (R, error)) ([]R, error) {
	out := make([]R, 0, len(items))
	for _, it := range items {
		r, err := get(it)
		if IsCode(err, ENOTFOUND) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
