package testopenapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// realDoc loads navette's own document.
func realDoc(t *testing.T) *Doc {
	t.Helper()
	b, err := os.ReadFile("../../http/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const (
	problemCT = "application/problem+json"
	jsonCT    = "application/json"
)

// TestCheck holds answers, right and mutated, to navette's document: the
// check must pass the right ones and name what is wrong in the others.
func TestCheck(t *testing.T) {
	d := realDoc(t)
	token := `{"id":"tok1","label":"ci","scopes":["read"],"created_at":"2026-11-02T09:00:00Z","expires_at":"2027-11-02T09:00:00Z","secret":"s"}`
	for _, c := range []struct {
		name, method, path string
		status             int
		ct, body           string
		want               []string // "pointer: detail substring"; nil for no mismatch
	}{
		{"problem", "GET", "/api/v1/deposits/abc", 404, problemCT,
			`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found"}`, nil},
		{"problem without code", "GET", "/api/v1/deposits/abc", 404, problemCT,
			`{"type":"about:blank","title":"Not Found","status":404}`, []string{": body: missing property 'code'"}},
		{"problem with another status", "GET", "/api/v1/deposits/abc", 404, problemCT,
			`{"type":"about:blank","title":"Not Found","status":400,"code":"x"}`, []string{"/status: problem status 400"}},
		{"problem as plain JSON", "GET", "/api/v1/deposits/abc", 404, jsonCT,
			`{"type":"about:blank","title":"Not Found","status":404,"code":"x"}`, []string{": Content-Type \"application/json; charset=utf-8\" not listed"}},
		{"status not listed", "GET", "/api/v1/me", 500, problemCT,
			`{"type":"about:blank","title":"x","status":500,"code":"x"}`, []string{": status not listed"}},
		{"null for a string", "GET", "/api/v1/deposits/abc", 404, problemCT,
			`{"type":"about:blank","title":null,"status":404,"code":"x"}`, []string{"/title: body: got null, want string"}},
		{"not JSON", "GET", "/api/v1/deposits/abc", 404, problemCT, `<html>`, []string{": body is not JSON"}},
		{"token", "POST", "/api/v1/tokens", 201, jsonCT, token, nil},
		{"token without expiry", "POST", "/api/v1/tokens", 201, jsonCT, strings.Replace(token, `"expires_at"`, `"expires"`, 1),
			[]string{": body: missing property 'expires_at'"}},
		{"undocumented member", "POST", "/api/v1/tokens", 201, jsonCT, strings.Replace(token, `"label"`, `"owner":"x","label"`, 1),
			[]string{"/owner: body: a member the document does not describe"}},
		{"problem extension member", "GET", "/api/v1/deposits/abc", 404, problemCT,
			`{"type":"about:blank","title":"Not Found","status":404,"code":"x","hint":"y"}`, []string{"/hint: body: a member the document does not describe"}},
		{"parameterised path, literal preferred", "DELETE", "/api/v1/tokens/tok1", 204, "", "", nil},
		{"HEAD answered as GET", "HEAD", "/api/v1/me", 401, problemCT, "", nil},
		{"undescribed path", "GET", "/deposits/new", 500, "text/html", "<html>", nil},
		{"undescribed method", "PUT", "/api/v1/me", 405, problemCT,
			`{"type":"about:blank","title":"Method Not Allowed","status":405,"code":"method_not_allowed"}`, nil},
		{"undescribed method, no problem", "PUT", "/api/v1/me", 405, "text/plain", "Method Not Allowed",
			[]string{": an error answered as \"text/plain; charset=utf-8\", not as a problem document"}},
		{"undescribed method, bad problem", "PUT", "/api/v1/me", 405, problemCT, `{"status":405}`,
			[]string{": body: missing properties"}},
	} {
		var body []byte
		if c.method != "HEAD" && c.ct != "" {
			body = []byte(c.body)
		}
		h := http.Header{}
		if c.ct != "" {
			h.Set("Content-Type", c.ct+"; charset=utf-8")
		}
		var got []string
		for _, m := range d.Check(c.method, c.path, c.status, h, body) {
			got = append(got, m.Pointer+": "+m.Detail)
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], c.want[i]) {
				t.Errorf("%q: got %q, want %q", c.name, got, c.want)
			}
		}
	}
}

// TestCheckToken checks a mutation deep in a schema that references others.
func TestCheckToken(t *testing.T) {
	d := realDoc(t)
	h := http.Header{"Content-Type": {jsonCT}}
	got := d.Check("GET", "/api/v1/tokens", 200, h, []byte(`{"tokens":[{"id":"t","label":"n","scopes":["root"],"created_at":"yesterday","expires_at":"2027-11-02T09:00:00Z"}]}`))
	var ptrs []string
	for _, m := range got {
		ptrs = append(ptrs, m.Pointer)
		if m.Operation != "GET /api/v1/tokens" || m.Status != 200 {
			t.Errorf("%q: got %s %d, want GET /api/v1/tokens 200", m.Pointer, m.Operation, m.Status)
		}
	}
	for _, want := range []string{"/tokens/0/scopes/0", "/tokens/0/created_at"} {
		if !slices.Contains(ptrs, want) {
			t.Errorf("%q: not reported (got %q)", want, ptrs)
		}
	}
}

// TestCheckUndocumentedThroughAllOf checks members described by either
// side of an allOf pass, and others are named, in arrays too.
func TestCheckUndocumentedThroughAllOf(t *testing.T) {
	d := realDoc(t)
	h := http.Header{"Content-Type": {jsonCT}}
	user := `"id":"u","email":"a@b.example","name":"A","role":"agent","disabled":false,"created_at":"2026-11-02T09:00:00Z"`
	body := `{` + user + `,"services":[{` + user + `,"colour":"blue"},{` + user + `},{` + user + `,"colour":"red"}],"shoe_size":42}`
	var got []string
	for _, m := range d.Check("GET", "/api/v1/me", 200, h, []byte(body)) {
		got = append(got, m.Pointer+": "+m.Detail)
	}
	want := []string{
		"/services/0/colour: body: a member the document does not describe (2 items have it)",
		"/shoe_size: body: a member the document does not describe",
	}
	if !slices.Equal(got, want) {
		t.Errorf("%q: got %q, want %q", body, got, want)
	}
}

// TestTransport checks the RoundTripper reports through Report and hands
// the caller the body it read.
func TestTransport(t *testing.T) {
	d := realDoc(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", problemCT)
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"type":"about:blank","title":"t","status":418,"code":"teapot"}`)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var got []Mismatch
	c := &http.Client{Transport: &Transport{Doc: d, Report: func(m Mismatch) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
	}}}
	resp, err := c.Get(srv.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(b), "teapot") {
		t.Errorf("body: got %q (%v), want the server's", b, err)
	}
	if len(got) != 1 || got[0].Status != 418 || got[0].Operation != "GET /api/v1/me" {
		t.Errorf("mismatches: got %v, want one for GET /api/v1/me 418", got)
	}
}
