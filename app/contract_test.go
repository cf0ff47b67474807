package app_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"navette"
	"navette/api"
)

// TestBadBodiesAnsweredAsDocumented sends every operation that takes a
// JSON body the bodies a careless client sends (broken JSON, the wrong
// JSON type, an unknown member, no body, another media type), as an admin
// and as a partner. Each answer must be one the document lists, which the
// env's client checks, and none may be a 500.
func TestBadBodiesAnsweredAsDocumented(t *testing.T) {
	e := newEnv(t)
	admin := e.user(adminEmail, "Admin", navette.RoleAdmin)
	doc := openAPIDocument(e)
	var calls []string
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				RequestBody struct {
					Content map[string]any `json:"content"`
				} `json:"requestBody"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			if _, ok := op.RequestBody.Content["application/json"]; ok {
				calls = append(calls, strings.ToUpper(method)+" "+pathParam.ReplaceAllString(path, unknownID))
			}
		}
	}
	sort.Strings(calls)
	if len(calls) < 10 {
		t.Fatalf("only %d operations take a JSON body: %v", len(calls), calls)
	}
	bodies := []struct{ ct, body string }{
		{"application/json", `{"reason":`},
		{"application/json", `[]`},
		{"application/json", `null`},
		{"application/json", `"x"`},
		{"application/json", `{"no_such_member":1}`},
		{"application/json", ``},
		{"text/plain", `x`},
	}
	for _, c := range calls {
		method, path, _ := strings.Cut(c, " ")
		for _, tok := range []string{admin, e.lawyer} {
			for _, b := range bodies {
				resp, body := e.do(method, path, tok, strings.NewReader(b.body), "Content-Type", b.ct)
				if resp.StatusCode == http.StatusInternalServerError {
					t.Errorf("%s with %s %q: got %d %s, want no server error", c, b.ct, b.body, resp.StatusCode, body)
				}
			}
		}
	}
}

// TestBadQueriesAnsweredAsDocumented sends every operation each of its
// query parameters with values a careless client sends (not a number, a
// negative one, one too large, a control character, empty), as an admin
// and as a partner: each answer must be one the document lists, and none
// a 500.
func TestBadQueriesAnsweredAsDocumented(t *testing.T) {
	e := newEnv(t)
	admin := e.user(adminEmail, "Admin", navette.RoleAdmin)
	d := e.send(map[string][]byte{"a.txt": []byte("a")})
	doc := openAPIDocument(e)
	var calls []string
	for path, item := range doc.Paths {
		var common []docParameter
		_ = json.Unmarshal(item["parameters"], &common)
		for method, raw := range item {
			var op struct {
				Parameters []docParameter `json:"parameters"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			// A real deposit's id, so that the query is read.
			target := strings.ReplaceAll(path, "{id}", d.ID)
			target = pathParam.ReplaceAllString(target, unknownID)
			for _, p := range append(common, op.Parameters...) {
				if p = doc.resolve(p); p.In == "query" {
					calls = append(calls, strings.ToUpper(method)+" "+target+" "+p.Name)
				}
			}
		}
	}
	sort.Strings(calls)
	if len(calls) < 10 {
		t.Fatalf("only %d query parameters: %v", len(calls), calls)
	}
	for _, c := range calls {
		f := strings.Fields(c)
		for _, tok := range []string{admin, e.lawyer} {
			for _, v := range []string{"x", "-1", "99999999999999999999", "%00", "", "%ff%fe"} {
				resp, body := e.do(f[0], f[1]+"?"+f[2]+"="+v, tok, nil)
				if resp.StatusCode == http.StatusInternalServerError {
					t.Errorf("%s %s?%s=%s: got %d %s, want no server error", f[0], f[1], f[2], v, resp.StatusCode, body)
				}
			}
		}
	}
}

// unknownID stands for a path parameter: the form of an id, but no
// record's.
const unknownID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// docParameter is a parameter of the OpenAPI document, or a reference to
// one of its components (whose name is the reference's last token).
type docParameter struct {
	Name string `json:"name"`
	In   string `json:"in"`
	Ref  string `json:"$ref"`
}

// openAPIDoc is what these tests read of the OpenAPI document.
type openAPIDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]docParameter `json:"parameters"`
	} `json:"components"`
}

// openAPIDocument returns the OpenAPI document e's node serves.
func openAPIDocument(e *env) openAPIDoc {
	e.t.Helper()
	var doc openAPIDoc
	e.doJSON("GET", api.PathOpenAPI, "", nil, http.StatusOK, &doc)
	return doc
}

// resolve returns p, or the component it refers to.
func (doc openAPIDoc) resolve(p docParameter) docParameter {
	if p.Ref == "" {
		return p
	}
	return doc.Components.Parameters[p.Ref[strings.LastIndexByte(p.Ref, '/')+1:]]
}
