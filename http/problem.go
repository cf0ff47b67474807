package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"navette"
	"navette/api"
)

// problemFor returns the problem document for err. Internal errors never
// reveal their cause.
func problemFor(err error, instance string) api.Problem {
	code := navette.ErrorCode(err)
	status := api.Status(code)
	typ := "tag:navette,2026:problem:" + code
	if errors.Is(err, navette.ErrDownloadLimit) {
		typ = navette.ProblemDownloadLimit
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
	if err := decodeJSON(w, r, v); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

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
// type, no unknown fields, no trailing data, at most maxJSONBody bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return navette.Errorf(navette.EINVALID, "The request body must be application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return navette.Errorf(navette.ETOOLARGE, "The request body is larger than %d bytes.", maxJSONBody)
		}
		return navette.Errorf(navette.EINVALID, "The request body is not valid JSON for this request: %s.", jsonErrorText(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return navette.Errorf(navette.EINVALID, "The request body holds more than one JSON value.")
	}
	return nil
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
