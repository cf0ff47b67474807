package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/api"
)

// TestTusErrorsBecomeProblems: tusd answers its errors in text/plain; the
// tus route answers them as problem documents, and a 503 carries a
// Retry-After as every other 503 of the server does.
func TestTusErrorsBecomeProblems(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		retryAfter string
	}{
		{http.StatusServiceUnavailable, "ERR_UNAVAILABLE: the database cannot be reached\n", "10"},
		{http.StatusNotFound, "ERR_UPLOAD_NOT_FOUND: upload not found\n", ""},
		{http.StatusConflict, "ERR_UPLOAD_LOCKED: file currently locked\n", ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		w := &tusWriter{ResponseWriter: rec, meta: &uploadMeta{}, path: "/api/v1/uploads/x"}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(tc.status)
		if _, err := w.Write([]byte(tc.body)); err != nil {
			t.Fatal(err)
		}
		if got := rec.Header().Get("Content-Type"); got != api.ProblemContentType {
			t.Errorf("%d: Content-Type %q, want %q", tc.status, got, api.ProblemContentType)
		}
		if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
			t.Errorf("%d: Retry-After %q, want %q", tc.status, got, tc.retryAfter)
		}
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.Detail == "" {
			t.Errorf("%d: body %q (%v), want a problem with status %d and a detail", tc.status, rec.Body, err, tc.status)
		}
	}
}

// TestTusOffsetMismatchType: both refusals of bytes sent at another
// offset than the upload's, tusd's own (its text rewritten) and the
// deposit service's, carry the problem type of an offset mismatch, with
// status 409 and their detail; tusd's other 409 does not.
func TestTusOffsetMismatchType(t *testing.T) {
	for _, tc := range []struct{ body, typ string }{
		{"ERR_MISMATCHED_OFFSET: mismatched offset\n", navette.ProblemUploadOffset},
		{"ERR_UPLOAD_LOCKED: file currently locked\n", "tag:navette,2026:problem:conflict"},
	} {
		rec := httptest.NewRecorder()
		w := &tusWriter{ResponseWriter: rec, meta: &uploadMeta{}, path: "/api/v1/uploads/x"}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		if _, err := w.Write([]byte(tc.body)); err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != tc.typ || p.Status != http.StatusConflict || p.Detail == "" {
			t.Errorf("%q: problem %+v (%v), want type %s", tc.body, p, err, tc.typ)
		}
	}
	err := (&Server{}).tusError(context.Background(), navette.WrapError(navette.ECONFLICT, navette.ErrUploadOffset, "The upload is at offset 0, not 3."))
	var te tusd.Error
	var p api.Problem
	if !errors.As(err, &te) || json.Unmarshal([]byte(te.HTTPResponse.Body), &p) != nil ||
		p.Type != navette.ProblemUploadOffset || p.Status != http.StatusConflict || p.Detail != "The upload is at offset 0, not 3." {
		t.Errorf("the service's offset mismatch: %+v, %+v", te, p)
	}
}
