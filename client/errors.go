package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"navette"
	"navette/api"
)

// statusError is an error answer of the server: the application error it
// carries (reachable with errors.As) and the HTTP status, which decides
// whether a transfer is retried.
type statusError struct {
	status int
	err    *navette.Error
	typ    string // the problem type, "" without a problem document
}

// Error returns the application error's text.
func (e *statusError) Error() string { return e.err.Error() }

// Unwrap returns the application error.
func (e *statusError) Unwrap() error { return e.err }

// maxProblem bounds the error documents the client reads.
const maxProblem = 64 << 10

// responseError turns an error answer into a *statusError wrapping a
// *navette.Error.
func responseError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProblem))
	ct := resp.Header.Get("Content-Type")
	var p struct{ Type string }
	if mt, _, _ := mime.ParseMediaType(ct); mt == api.ProblemContentType {
		_ = json.Unmarshal(body, &p)
	}
	return &statusError{status: resp.StatusCode, err: parseProblem(resp.StatusCode, ct, body), typ: p.Type}
}

// isProblem reports whether err is an error answer of the problem type typ.
func isProblem(err error, typ string) bool {
	var se *statusError
	return errors.As(err, &se) && se.typ == typ
}

// parseProblem makes an application error of an error answer: from its RFC
// 9457 problem document when there is one, else from its status alone. The
// result always has a known-shape code and a printable, bounded message.
func parseProblem(status int, contentType string, body []byte) *navette.Error {
	var p api.Problem
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == api.ProblemContentType || mt == "application/json" {
		if json.Unmarshal(body, &p) != nil {
			p = api.Problem{}
		}
	}
	code := p.Code
	if !validCode(code) {
		code = api.Code(status)
	}
	msg := cleanText(p.Detail, 500)
	if msg == "" {
		msg = cleanText(p.Title, 500)
	}
	if msg == "" {
		text := http.StatusText(status)
		if text == "" {
			text = "error"
		}
		msg = fmt.Sprintf("the server answered %d %s", status, text)
		if status < 400 {
			// Not an error the API answers: something else answered.
			msg += ", which is not an answer of the navette API; is the server URL right?"
		}
	}
	return &navette.Error{Code: code, Message: msg}
}

// validCode reports whether s looks like an application error code.
func validCode(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// Printable returns text from the server (a problem's title, a name
// another user chose) as one line safe to print on a terminal: valid UTF-8,
// each run of white space, control and formatting characters (escape
// sequences, bidi overrides) made one space, none at either end.
func Printable(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanText is Printable cut to at most max bytes, between two characters.
func cleanText(s string, max int) string {
	s = Printable(s)
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

// retryable reports whether a transfer that failed with err may succeed if
// tried again: network faults, and the transient statuses. conflict says
// whether 409 counts (a tus offset mismatch, cured by asking the offset).
func retryable(ctx context.Context, err error, conflict bool) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	var se *statusError
	if errors.As(err, &se) {
		switch se.status {
		case http.StatusConflict:
			return conflict
		case http.StatusRequestTimeout, http.StatusLocked, http.StatusTooManyRequests,
			http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return se.status >= 500 && se.status != http.StatusNotImplemented && se.status != http.StatusHTTPVersionNotSupported
	}
	return true
}

// permanentError marks a failure retrying cannot cure: a local read or
// write error, a protocol violation by the server, or an error answer that
// would be the same every time.
type permanentError struct{ err error }

// Error returns the wrapped error's text.
func (e *permanentError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *permanentError) Unwrap() error { return e.err }

// permanent wraps err so that it is not retried.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// protocolError is a permanent error for an answer that breaks the API.
func protocolError(format string, args ...any) error {
	return permanent(fmt.Errorf("unexpected answer from the server: "+format, args...))
}
