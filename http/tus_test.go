package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

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
