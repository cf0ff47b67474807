package http

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/api"
)

// The OpenAPI document is written by hand; these tests hold it to the route
// table of routes(), so that a route added, removed or given another policy
// without the document following fails here.

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc decodes the embedded document.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("openapi.json holds more than one JSON value")
	}
	return doc
}

// docOperation is one operation of the document.
type docOperation struct {
	path   string         // as the document writes it, {id} style
	method string         // upper case
	item   map[string]any // the path item
	op     map[string]any
}

func (o docOperation) key() string { return o.method + " " + o.path }

// openAPIOperations lists the document's operations by "METHOD path".
func openAPIOperations(t *testing.T, doc map[string]any) map[string]docOperation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths")
	}
	ops := map[string]docOperation{}
	for p, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", p)
			continue
		}
		for _, m := range openAPIMethods {
			if v, ok := item[m]; ok {
				op, ok := v.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", m, p)
					continue
				}
				o := docOperation{path: p, method: strings.ToUpper(m), item: item, op: op}
				ops[o.key()] = o
			}
		}
	}
	return ops
}

var (
	restWildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\.\.\.\}`) // {name...}
	pathParam    = regexp.MustCompile(`\{([^}]+)\}`)
	statusCode   = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
)

// openAPIPath turns a ServeMux pattern's path into the document's style:
// no {$} anchor, and {name...} wildcards as {name}.
func openAPIPath(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	return restWildcard.ReplaceAllString(p, "{$1}")
}

// tableRoutes returns the routes of routes() by "METHOD path", in the
// document's style. A Server with no field set is enough to build the table.
func tableRoutes(t *testing.T) map[string]Route {
	t.Helper()
	rs, err := (&Server{}).routes()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Route{}
	for _, rt := range rs {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			t.Fatalf("route %q has no method", rt.Pattern)
		}
		k := method + " " + openAPIPath(path)
		if _, dup := out[k]; dup {
			t.Errorf("two routes are %s", k)
		}
		out[k] = rt
	}
	return out
}

func TestOpenAPIPathConversion(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/uploads/{$}":     "/api/v1/uploads/",
		"/api/v1/uploads/{id}":    "/api/v1/uploads/{id}",
		"/files/{path...}":        "/files/{path}",
		"/a/{id}/b/{rest...}":     "/a/{id}/b/{rest}",
		"/api/v1/deposits/{id}/x": "/api/v1/deposits/{id}/x",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenAPIMatchesRoutes checks that every route is an operation of the
// document and every operation a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := openAPIDoc(t)
	ops := openAPIOperations(t, doc)
	routes := tableRoutes(t)
	var missing, extra []string
	for k := range routes {
		if _, ok := ops[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range ops {
		if _, ok := routes[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is not described in openapi.json", k)
	}
	for _, k := range extra {
		t.Errorf("openapi.json describes %s, which is no route of routes()", k)
	}
}

// TestOpenAPIDocument checks the document's own consistency: version,
// references, operation ids, path parameters and responses.
func TestOpenAPIDocument(t *testing.T) {
	doc := openAPIDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	if info, _ := doc["info"].(map[string]any); info == nil || info["title"] == nil || info["version"] == nil {
		t.Error("info needs a title and a version")
	}

	// Every $ref resolves within the document.
	walkJSON(doc, "#", func(at string, m map[string]any) {
		ref, ok := m["$ref"]
		if !ok {
			return
		}
		s, ok := ref.(string)
		if !ok {
			t.Errorf("%s: $ref is not a string", at)
			return
		}
		if _, err := resolvePointer(doc, s); err != "" {
			t.Errorf("%s: $ref %q: %s", at, s, err)
		}
	})

	ids := map[string]string{}
	for k, o := range openAPIOperations(t, doc) {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", k)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %s is used by %s and %s", id, prev, k)
		} else {
			ids[id] = k
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", k)
		}

		// Path parameters: each {name} of the path declared once, in:
		// path and required, and nothing else declared in: path.
		declared := map[string]int{}
		for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
			ps, _ := list.([]any)
			for _, p := range ps {
				pm := deref(t, doc, p)
				if pm == nil {
					t.Errorf("%s: a parameter is not an object", k)
					continue
				}
				if pm["in"] == "path" {
					name, _ := pm["name"].(string)
					declared[name]++
					if pm["required"] != true {
						t.Errorf("%s: path parameter %s must be required", k, name)
					}
				}
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			if declared[m[1]] == 0 {
				t.Errorf("%s: path parameter %s is not declared", k, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: parameter %s is declared in: path but is not in the path", k, name)
		}

		// Responses: at least one success or redirect, statuses valid.
		rs, _ := o.op["responses"].(map[string]any)
		ok := false
		for code := range rs {
			if !statusCode.MatchString(code) || http.StatusText(atoi(code)) == "" {
				t.Errorf("%s: response %q is no HTTP status", k, code)
			}
			if code[0] == '2' || code[0] == '3' {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s documents no success", k)
		}
	}
}

// TestOpenAPIAccess checks that each operation states the access policy of
// its route: its security requirements (public, partial session, session
// only, the token scope) and its x-roles.
func TestOpenAPIAccess(t *testing.T) {
	doc := openAPIDoc(t)
	ops := openAPIOperations(t, doc)
	for k, rt := range tableRoutes(t) {
		o, ok := ops[k]
		if !ok {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		a := rt.Access
		responses, _ := o.op["responses"].(map[string]any)
		has := func(status string) bool { _, ok := responses[status]; return ok }

		raw, ok := o.op["security"]
		if !ok {
			t.Errorf("%s: state its security (do not rely on the document's default)", k)
			continue
		}
		reqs, ok := securityRequirements(raw)
		if !ok {
			t.Errorf("%s: security is not a list of requirement objects", k)
			continue
		}
		unsafe := o.method != http.MethodGet && o.method != http.MethodHead && o.method != http.MethodOptions
		var bearer, session [][]string
		for _, req := range reqs {
			for name, scopes := range req {
				switch name {
				case "bearer":
					bearer = append(bearer, scopes)
				case "session":
					session = append(session, scopes)
					if _, csrf := req["csrf"]; unsafe && !csrf {
						t.Errorf("%s: a session request that changes state must carry csrf too", k)
					}
				case "csrf":
				default:
					t.Errorf("%s: unknown security scheme %s", k, name)
				}
			}
		}

		roles, hasRoles := o.op["x-roles"]
		switch {
		case a.Public:
			if len(reqs) != 0 {
				t.Errorf("%s is public: its security must be []", k)
			}
		case a.Partial:
			if len(bearer) != 0 || len(session) != 1 {
				t.Errorf("%s admits only a session still signing in: its security must be the session alone", k)
			}
			if !has("401") || !has("409") {
				t.Errorf("%s: document 401 (no session) and 409 (signed in already)", k)
			}
		default:
			if len(session) != 1 {
				t.Errorf("%s: a signed-in browser session may call it: one requirement must be the session", k)
			}
			switch {
			case a.SessionOnly && len(bearer) != 0:
				t.Errorf("%s refuses API tokens: no bearer requirement", k)
			case !a.SessionOnly && len(bearer) != 1:
				t.Errorf("%s: one requirement must be the bearer token", k)
			case !a.SessionOnly:
				want := []string{}
				if a.Scope != "" {
					want = []string{string(a.Scope)}
				}
				if !slices.Equal(bearer[0], want) {
					t.Errorf("%s: bearer requirement %v, want the route's scope %v", k, bearer[0], want)
				}
			}
			if !has("401") {
				t.Errorf("%s: document 401", k)
			}
			if (len(a.Roles) > 0 || a.Scope != "" || a.SessionOnly) && !has("403") {
				t.Errorf("%s: document 403", k)
			}
		}

		var want []string
		for _, r := range a.Roles {
			want = append(want, string(r))
		}
		switch {
		case len(want) == 0 && hasRoles:
			t.Errorf("%s: any role may call it: no x-roles", k)
		case len(want) > 0:
			got, ok := stringList(roles)
			slices.Sort(got)
			slices.Sort(want)
			if !ok || !slices.Equal(got, want) {
				t.Errorf("%s: x-roles %v, want %v", k, roles, want)
			}
		}
		if unsafe && !a.Public && !a.Partial && !has("403") {
			t.Errorf("%s: a request changing state can be refused for its origin or CSRF token: document 403", k)
		}
	}
}

// TestOpenAPIEnums checks the enums the document copies from navette.
func TestOpenAPIEnums(t *testing.T) {
	doc := openAPIDoc(t)
	check := func(ptr string, want []string) {
		t.Helper()
		v, err := resolvePointer(doc, ptr)
		if err != "" {
			t.Errorf("%s: %s", ptr, err)
			return
		}
		got, ok := stringList(v)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", ptr, v, want)
		}
	}
	var roles, scopes, kinds []string
	for _, r := range navette.Roles {
		roles = append(roles, string(r))
	}
	for _, s := range navette.Scopes {
		scopes = append(scopes, string(s))
	}
	for _, k := range navette.NoticeKinds {
		kinds = append(kinds, string(k))
	}
	check("#/components/schemas/Role/enum", roles)
	check("#/components/schemas/Scope/enum", scopes)
	check("#/components/schemas/Notice/properties/kind/enum", kinds)
	check("#/components/schemas/Session/properties/stage/enum",
		[]string{string(navette.StageSecondFactor), string(navette.StageEnrol), string(navette.StageFull)})
}

// TestOpenAPIServed checks the route serves the embedded document.
func TestOpenAPIServed(t *testing.T) {
	h, err := (&Server{Logger: slog.New(slog.DiscardHandler)}).Handler()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.PathOpenAPI, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" || !bytes.Equal(rec.Body.Bytes(), openAPI) {
		t.Errorf("GET %s: %d %q, %d bytes", api.PathOpenAPI, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}

// walkJSON calls f on every object of v, with its JSON pointer.
func walkJSON(v any, at string, f func(at string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(at, x)
		for k, c := range x {
			walkJSON(c, at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), f)
		}
	case []any:
		for i, c := range x {
			walkJSON(c, at+"/"+strconv.Itoa(i), f)
		}
	}
}

// resolvePointer resolves a local reference ("#/a/b"); err says why not.
func resolvePointer(doc any, ref string) (v any, err string) {
	rest, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, "only references within the document are allowed"
	}
	if rest == "" {
		return doc, ""
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, "not a JSON pointer"
	}
	v = doc
	for _, tok := range strings.Split(rest[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			c, ok := x[tok]
			if !ok {
				return nil, "no " + tok
			}
			v = c
		case []any:
			i := atoi(tok)
			if i < 0 || i >= len(x) {
				return nil, "no index " + tok
			}
			v = x[i]
		default:
			return nil, "cannot descend into " + tok
		}
	}
	return v, ""
}

// deref returns the object v is, or refers to.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, err := resolvePointer(doc, ref)
		if err != "" {
			return nil // the $ref check reports it
		}
		m, _ = target.(map[string]any)
	}
	return m
}

// securityRequirements decodes an operation's security list.
func securityRequirements(v any) ([]map[string][]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	var out []map[string][]string
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		req := map[string][]string{}
		for name, scopes := range m {
			ss, ok := stringList(scopes)
			if !ok {
				return nil, false
			}
			req[name] = ss
		}
		out = append(out, req)
	}
	return out, true
}

// stringList converts a decoded JSON array of strings.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := []string{}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// atoi parses a decimal number; -1 if s is none.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// TestOpenAPIMediaType checks that each operation taking a JSON body
// documents the 415 its body gets when sent as another media type.
func TestOpenAPIMediaType(t *testing.T) {
	doc := openAPIDoc(t)
	for k, o := range openAPIOperations(t, doc) {
		rb, _ := o.op["requestBody"].(map[string]any)
		content, _ := rb["content"].(map[string]any)
		if _, json := content["application/json"]; !json {
			continue
		}
		if rs, _ := o.op["responses"].(map[string]any); rs["415"] == nil {
			t.Errorf("%s takes a JSON body: document 415", k)
		}
	}
}
