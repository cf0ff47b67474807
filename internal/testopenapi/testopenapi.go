// Package testopenapi holds real answers to the OpenAPI document: a
// Transport that finds the operation of every request the document
// describes and checks its answer (a status the operation lists, a content
// type it lists for that status, a JSON body valid against the schema of
// that status and content type, a problem document whose status is the
// answer's). Only tests import it.
package testopenapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// english prints the validator's messages.
var english = message.NewPrinter(language.English)

// docURL is where the compiler files the document; schema locations are
// pointers into it.
const docURL = "urn:navette:openapi.json"

// problemType is RFC 9457's media type.
const problemType = "application/problem+json"

// maxBody bounds the JSON bodies the check reads whole.
const maxBody = 16 << 20

// Doc is an OpenAPI 3.1 document ready to check answers against.
type Doc struct {
	root map[string]any
	ops  []operation

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer into the document
}

// operation is one operation of the document.
type operation struct {
	method   string   // upper case
	template string   // the document's path, {name} style
	segments []string // template split at "/"
	pointer  string   // JSON pointer of the operation object
	op       map[string]any
}

// literals counts the segments of the template that are no parameter.
func (o operation) literals() int {
	n := 0
	for _, s := range o.segments {
		if !isParam(s) {
			n++
		}
	}
	return n
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Load reads an OpenAPI 3.1 document (JSON) and prepares its schemas for
// JSON Schema draft 2020-12, formats asserted.
func Load(doc []byte) (*Doc, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi document: not an object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, root); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	d := &Doc{root: root, compiler: c, schemas: map[string]*jsonschema.Schema{}}
	paths, _ := root["paths"].(map[string]any)
	for p, item := range paths {
		im, _ := item.(map[string]any)
		for _, m := range methods {
			op, ok := im[m].(map[string]any)
			if !ok {
				continue
			}
			d.ops = append(d.ops, operation{
				method:   strings.ToUpper(m),
				template: p,
				segments: strings.Split(p, "/"),
				pointer:  "/paths/" + escape(p) + "/" + m,
				op:       op,
			})
		}
	}
	if len(d.ops) == 0 {
		return nil, fmt.Errorf("openapi document: no operations")
	}
	// The most literal template first, as ServeMux prefers it.
	sort.SliceStable(d.ops, func(i, j int) bool {
		if a, b := d.ops[i].literals(), d.ops[j].literals(); a != b {
			return a > b
		}
		return d.ops[i].template < d.ops[j].template
	})
	return d, nil
}

// find returns the operation for method and path, and whether the
// document describes the path at all. HEAD falls back to GET, as ServeMux
// answers it.
func (d *Doc) find(method, path string) (op *operation, described bool) {
	segs := strings.Split(path, "/")
	var template string
	for i := range d.ops {
		o := &d.ops[i]
		if template != "" && o.template != template {
			continue
		}
		if template == "" && !matches(o.segments, segs) {
			continue
		}
		template = o.template
		if o.method == method {
			return o, true
		}
	}
	if template == "" {
		return nil, false
	}
	if method == http.MethodHead {
		return d.find(http.MethodGet, path)
	}
	return nil, true
}

func matches(template, path []string) bool {
	if len(template) != len(path) {
		return false
	}
	for i, s := range template {
		if isParam(s) {
			if path[i] == "" {
				return false
			}
		} else if s != path[i] {
			return false
		}
	}
	return true
}

// Mismatch is one way an answer differs from the document.
type Mismatch struct {
	Operation string // "METHOD /template"
	Status    int
	Pointer   string // JSON pointer into the body; empty for the status or headers
	Detail    string
}

// String says the mismatch on one line: operation, status, the JSON
// pointer when it is about the body, and what differs.
func (m Mismatch) String() string {
	s := fmt.Sprintf("%s answered %d", m.Operation, m.Status)
	if m.Pointer != "" || strings.HasPrefix(m.Detail, "body") {
		s += fmt.Sprintf(" at %q", m.Pointer)
	}
	return s + ": " + m.Detail
}

// Check checks one answer, with its body read whole, against the document.
// Requests to paths the document does not describe are not checked.
func (d *Doc) Check(method, path string, status int, header http.Header, body []byte) []Mismatch {
	o, described := d.find(method, path)
	if !described {
		return nil
	}
	if o == nil {
		return d.checkUndescribed(method+" "+path, status, header, body)
	}
	name := o.method + " " + o.template
	if method == http.MethodHead {
		name = http.MethodHead + " " + o.template
	}
	fail := func(ptr, format string, args ...any) []Mismatch {
		return []Mismatch{{Operation: name, Status: status, Pointer: ptr, Detail: fmt.Sprintf(format, args...)}}
	}
	responses, _ := o.op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	k := firstKey(responses, code, code[:1]+"XX", "default")
	if k == "" {
		return fail("", "status not listed by the operation (it lists %s)", keys(responses))
	}
	at := o.pointer + "/responses/" + k
	at, resp := d.deref(at)
	if resp == nil {
		return fail("", "response %s is not an object", at)
	}
	if method == http.MethodHead {
		return nil // no body to check
	}
	ct := header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 && isJSON(mt) {
			return fail("", "a %s body where the document describes none", ct)
		}
		return nil
	}
	key := ""
	if mt != "" {
		key = firstKey(content, mt, strings.Split(mt, "/")[0]+"/*", "*/*")
	}
	if key == "" {
		return fail("", "Content-Type %q not listed (the document lists %s)", ct, keys(content))
	}
	if !isJSON(mt) || body == nil {
		return nil
	}
	media, _ := content[key].(map[string]any)
	if _, ok := media["schema"]; !ok {
		return nil
	}
	return d.checkJSON(name, status, mt, at+"/content/"+escape(key)+"/schema", body)
}

// checkJSON validates a JSON body of media type mt against the schema at
// the document's pointer ptr; a problem document's status must also be the
// answer's.
func (d *Doc) checkJSON(name string, status int, mt, ptr string, body []byte) []Mismatch {
	fail := func(ptr, format string, args ...any) []Mismatch {
		return []Mismatch{{Operation: name, Status: status, Pointer: ptr, Detail: fmt.Sprintf(format, args...)}}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fail("", "body is not JSON: %v", err)
	}
	var out []Mismatch
	if mt == problemType {
		if p, ok := v.(map[string]any); ok {
			if n, ok := p["status"].(json.Number); ok && n.String() != strconv.Itoa(status) {
				out = append(out, fail("/status", "problem status %s is not the answer's", n)...)
			}
		}
	}
	sch, err := d.schema(ptr)
	if err != nil {
		return append(out, fail("", "the document's schema does not compile: %v", err)...)
	}
	if err := sch.Validate(v); err != nil {
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			return append(out, fail("", "body: %v", err)...)
		}
		for _, l := range leaves(ve) {
			out = append(out, fail(pointer(l.InstanceLocation), "body: %s", l.ErrorKind.LocalizedString(english))...)
		}
		return out
	}
	// The same member in many items of an array is said once.
	var shapes []string
	count := map[string]int{}
	first := map[string]string{}
	for _, at := range d.undocumented(d.flatten(resolve(d.root, ptr)), v, "") {
		shape := itemsOf(at)
		if count[shape] == 0 {
			shapes = append(shapes, shape)
			first[shape] = at
		}
		count[shape]++
	}
	for _, shape := range shapes {
		detail := "body: a member the document does not describe"
		if n := count[shape]; n > 1 {
			detail += fmt.Sprintf(" (%d items have it)", n)
		}
		out = append(out, fail(first[shape], "%s", detail)...)
	}
	return out
}

// itemsOf returns a JSON pointer with its numeric tokens (array indices,
// taken for such) written *.
func itemsOf(ptr string) string {
	toks := strings.Split(ptr, "/")
	for i, t := range toks {
		if _, err := strconv.Atoi(t); err == nil {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, "/")
}

// undocumented returns the pointers of the members of v that none of the
// schemas describe, in objects whose schemas list their properties and do
// not admit others: what a client written from the document cannot know.
func (d *Doc) undocumented(schemas []map[string]any, v any, at string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		described, open := false, false
		for _, s := range schemas {
			if _, ok := s["properties"]; ok {
				described = true
			}
			if ap, ok := s["additionalProperties"]; ok && ap != false {
				open = true
			}
			if _, ok := s["patternProperties"]; ok {
				open = true
			}
		}
		if !described {
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var subs []map[string]any
			for _, s := range schemas {
				props, _ := s["properties"].(map[string]any)
				if p, ok := props[k]; ok {
					subs = append(subs, d.flatten(p)...)
				}
			}
			switch {
			case len(subs) > 0:
				out = append(out, d.undocumented(subs, x[k], at+"/"+escape(k))...)
			case !open:
				out = append(out, at+"/"+escape(k))
			}
		}
	case []any:
		var subs []map[string]any
		for _, s := range schemas {
			if items, ok := s["items"]; ok {
				subs = append(subs, d.flatten(items)...)
			}
		}
		for i, e := range x {
			out = append(out, d.undocumented(subs, e, at+"/"+strconv.Itoa(i))...)
		}
	}
	return out
}

// flatten returns schema with the schemas it stands for in place: its
// $ref's target and the members of its allOf, anyOf and oneOf (a member
// any branch describes is described), recursively (to a depth that
// stops a schema referring to itself).
func (d *Doc) flatten(schema any) []map[string]any { return d.flattenTo(schema, 16) }

func (d *Doc) flattenTo(schema any, depth int) []map[string]any {
	m, _ := schema.(map[string]any)
	if m == nil || depth == 0 {
		return nil
	}
	out := []map[string]any{m}
	if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#") {
		out = append(out, d.flattenTo(resolve(d.root, strings.TrimPrefix(ref, "#")), depth-1)...)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		all, _ := m[k].([]any)
		for _, s := range all {
			out = append(out, d.flattenTo(s, depth-1)...)
		}
	}
	return out
}

// firstKey returns the first of ks that m has, or "".
func firstKey(m map[string]any, ks ...string) string {
	for _, k := range ks {
		if _, ok := m[k]; ok {
			return k
		}
	}
	return ""
}

// keys lists m's keys, sorted, for a message.
func keys(m map[string]any) string { return strings.Join(slices.Sorted(maps.Keys(m)), ", ") }

// checkUndescribed checks the answer to a method the document does not
// describe on a path it does (405 and the like): an error answer must
// still be a problem document, as the document says every error is.
func (d *Doc) checkUndescribed(name string, status int, header http.Header, body []byte) []Mismatch {
	if status < 400 || body == nil && header.Get("Content-Type") == "" {
		return nil // HEAD, or no body
	}
	ct := header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != problemType {
		return []Mismatch{{Operation: name, Status: status, Detail: fmt.Sprintf("an error answered as %q, not as a problem document", ct)}}
	}
	if body == nil {
		return nil
	}
	return d.checkJSON(name, status, problemType, "/components/schemas/Problem", body)
}

// deref follows the $refs from the object at ptr and returns where it ends
// and the object found there.
func (d *Doc) deref(ptr string) (string, map[string]any) {
	for range 10 {
		m, _ := resolve(d.root, ptr).(map[string]any)
		if m == nil {
			return ptr, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return ptr, m
		}
		ptr = strings.TrimPrefix(ref, "#")
	}
	return ptr, nil
}

// schema compiles (once) the schema at ptr.
func (d *Doc) schema(ptr string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[ptr]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	d.schemas[ptr] = s
	return s, nil
}

// leaves returns the innermost errors of a validation error: the ones that
// say what is wrong where.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

// resolve returns the value at a JSON pointer ("/a/b") of v, or nil.
func resolve(v any, ptr string) any {
	if ptr == "" {
		return v
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func escape(tok string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok) }

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/" + escape(t))
	}
	return b.String()
}

// Transport is an http.RoundTripper that checks each answer against Doc
// and hands every mismatch to Report. It reads a JSON body whole (up to
// 16 MiB) and gives the caller a copy; other bodies stream untouched.
type Transport struct {
	Base   http.RoundTripper // http.DefaultTransport when nil
	Doc    *Doc
	Report func(Mismatch)
}

// RoundTrip sends req and checks the answer.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var body []byte
	if isJSON(mt) && req.Method != http.MethodHead && resp.ContentLength <= maxBody {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err != nil {
			// A cut answer: the caller reads what came, then the error.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			return resp, nil
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if len(body) > maxBody {
			return resp, nil
		}
		if body == nil {
			body = []byte{}
		}
	}
	for _, m := range t.Doc.Check(req.Method, req.URL.Path, resp.StatusCode, resp.Header, body) {
		t.Report(m)
	}
	return resp, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
