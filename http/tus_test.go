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
// Retry-After as every other 503 of the server does. tusd's offset
// mismatch has the problem type of one.
func TestTusErrorsBecomeProblems(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		retryAfter string
		typ        string
	}{
		{http.StatusServiceUnavailable, "ERR_UNAVAILABLE: the database cannot be reached\n", "10", "tag:navette,2026:problem:unavailable"},
		{http.StatusNotFound, "ERR_UPLOAD_NOT_FOUND: upload not found\n", "", "tag:navette,2026:problem:not_found"},
		{http.StatusConflict, "ERR_UPLOAD_LOCKED: file currently locked\n", "", "tag:navette,2026:problem:conflict"},
		{http.StatusConflict, "ERR_MISMATCHED_OFFSET: mismatched offset\n", "", navette.ProblemUploadOffset},
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
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.Detail == "" || p.Type != tc.typ {
			t.Errorf("%d: body %q (%v), want a problem with status %d, type %s and a detail", tc.status, rec.Body, err, tc.status, tc.typ)
		}
	}
}

// TestTusOffsetMismatchType: the deposit service's refusal of bytes sent
// at another offset than the upload's carries the problem type of an
// offset mismatch, as tusd's does (TestTusErrorsBecomeProblems), with
// status 409 and its detail.
func TestTusOffsetMismatchType(t *testing.T) {
	err := (&Server{}).tusError(context.Background(), navette.WrapError(navette.ECONFLICT, navette.ErrUploadOffset, "The upload is at offset 0, not 3."))
	var te tusd.Error
	var p api.Problem
	if !errors.As(err, &te) || json.Unmarshal([]byte(te.HTTPResponse.Body), &p) != nil ||
		p.Type != navette.ProblemUploadOffset || p.Status != http.StatusConflict || p.Detail != "The upload is at offset 0, not 3." {
		t.Errorf("the service's offset mismatch: %+v, %+v", te, p)
	}
}
