package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"navette"
	"navette/api"
)

// problemFor returns the problem document for err. Internal errors never
// reveal their cause.
func problemFor(err error, instance string) api.Problem {
	code := navette.ErrorCode(err)
	status := api.Status(code)
	typ := "tag:navette,2026:problem:" + code
	switch {
	case errors.Is(err, navette.ErrDownloadLimit):
		typ = navette.ProblemDownloadLimit
	case errors.Is(err, navette.ErrUploadOffset):
		typ = navette.ProblemUploadOffset
	case errors.Is(err, navette.ErrForeignForm):
		typ = navette.ProblemForeignForm
	case errors.Is(err, navette.ErrIdempotencyKeyReused):
		typ = navette.ProblemIdempotencyKeyReused
	case errors.Is(err, navette.ErrIdempotencyKeyInUse):
		typ = navette.ProblemIdempotencyKeyInUse
	}
	return api.Problem{
		Type:     typ,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   navette.ErrorMessage(err),
		Instance: instance,
		Code:     code,
	}
}

// writeError answers with the RFC 9457 problem document for err and logs
// internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, r.URL.Path)
	if p.Status >= 500 {
		s.log().ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err, "cause", context.Cause(r.Context()), "ctxerr", r.Context().Err())
	}
	writeProblem(w, p)
}

// retryUnavailableAfter is the Retry-After of a request refused because a
// part the server needs (the blob store, the database) cannot be reached.
const retryUnavailableAfter = 10 * time.Second

func writeProblem(w http.ResponseWriter, p api.Problem) {
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="navette"`)
	}
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryUnavailableAfter/time.Second)))
	}
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeResult answers err as a problem, or else v, rendered by toJSON, as
// JSON with 200 OK.
func writeResult[V, J any](s *Server, w http.ResponseWriter, r *http.Request, v V, err error, toJSON func(V) J) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(v))
}

// jsonList renders each of vs with toJSON, in an empty list rather than
// nil when there is none, so that it encodes as [].
func jsonList[V, J any](vs []V, toJSON func(V) J) []J {
	out := make([]J, 0, len(vs))
	for _, v := range vs {
		out = append(out, toJSON(v))
	}
	return out
}

// readJSON decodes the request body into v as decodeJSON does, answers the
// error if it fails, and reports whether it succeeded.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := decodeJSON(w, r, v)
	switch {
	case errors.Is(err, errMediaType):
		if h := acceptHeader[r.Method]; h != "" {
			w.Header().Set(h, "application/json")
		}
		writeProblem(w, withStatus(problemFor(err, r.URL.Path), http.StatusUnsupportedMediaType))
	case err != nil:
		s.writeError(w, r, err)
	}
	return err == nil
}

// errMediaType is wrapped in the EINVALID error of a request body sent as
// another media type than JSON, or as none: readJSON answers it 415.
var errMediaType = errors.New("request body not sent as application/json")

// acceptHeader names, by method, the header of a 415 answer that says
// which media type the body must have (RFC 5789's Accept-Patch, and
// Accept-Post).
var acceptHeader = map[string]string{http.MethodPost: "Accept-Post", http.MethodPatch: "Accept-Patch"}

// readOptionalJSON reads the request body into v as readJSON does when
// there is one, and leaves v as it is when the body is empty.
func (s *Server) readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	return r.ContentLength == 0 || s.readJSON(w, r, v)
}

// pathID returns the {id} of the request's path, or answers notFound, the
// ENOTFOUND of what the path names, when it is no valid id.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request, notFound error) (string, bool) {
	id := r.PathValue("id")
	if !navette.ValidID(id) {
		s.writeError(w, r, notFound)
		return "", false
	}
	return id, true
}

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// decodeJSON reads a JSON request body into v, strictly: the right media
// type (a body of another, or of none, is an error wrapping errMediaType),
// no unknown fields, no field named twice (in any case), no trailing data,
// at most maxJSONBody bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		if r.ContentLength == 0 {
			return navette.Errorf(navette.EINVALID, "The request body must be application/json.")
		}
		return navette.WrapError(navette.EINVALID, errMediaType, "The request body must be application/json: send it with Content-Type: application/json.")
	}
	tooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if tooLarge(err) {
		return navette.Errorf(navette.ETOOLARGE, "The request body is larger than %d bytes.", maxJSONBody)
	} else if err != nil {
		return navette.Errorf(navette.EINVALID, "The request body is not valid JSON for this request: %s.", jsonErrorText(err))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return navette.Errorf(navette.EINVALID, "The request body is not valid JSON for this request: %s.", jsonErrorText(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return navette.Errorf(navette.EINVALID, "The request body holds more than one JSON value.")
	}
	if duplicateName(body) {
		return navette.Errorf(navette.EINVALID, "The request body names a field twice.")
	}
	return nil
}

// duplicateName reports whether an object of the JSON text data, which
// decoded already, names a member twice, in any case: encoding/json sets
// one field from names that differ only in case, the last one winning.
func duplicateName(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*jsonObject // nil for an array
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *jsonObject
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonObject{names: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
		}
		if name, ok := tok.(string); ok && top != nil && top.key {
			if !top.add(name) {
				return true
			}
			continue
		}
		if top != nil {
			top.key = true // a member's value ended
		}
	}
}

// jsonObject is an object duplicateName is in: the names of its members
// so far, folded, and whether a name comes next.
type jsonObject struct {
	names map[string]bool
	key   bool
}

// add notes name as the next member's, and reports whether it is new.
func (o *jsonObject) add(name string) bool {
	o.key = false
	folded := strings.Map(foldRune, name)
	if o.names[folded] {
		return false
	}
	o.names[folded] = true
	return true
}

// foldRune returns the smallest rune that folds with r, so that two names
// are equal once folded exactly when strings.EqualFold says so.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// jsonErrorText describes a decoding error without echoing the input.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te) && te.Field == "" && te.Type != nil && te.Type.Kind() == reflect.Struct:
		return "it is not a JSON object"
	case errors.As(err, &te) && te.Field != "":
		return "field " + te.Field + " has the wrong type"
	case errors.As(err, &te):
		return "it has the wrong type"
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return err.Error()
}

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// withStatus returns the problem with another status.
func withStatus(p api.Problem, status int) api.Problem {
	p.Status, p.Title = status, http.StatusText(status)
	return p
}
