package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
)

// env is one navette node booted whole for a test, with three users.
type env struct {
	t      *testing.T
	app    *app.App
	clock  *navette.FakeClock
	url    string
	client *http.Client // checks every answer against the OpenAPI document
	// noRedirect is client again, but showing redirects instead of
	// following them.
	noRedirect *http.Client
	agent      string // token of an agent (sender)
	lawyer     string // token of a partner (recipient)
	stranger   string // token of another partner
	dir        string
	// seenCodes are the sign-in codes tests already took from the outbox.
	seenCodes map[string]bool
}

const (
	agentEmail    = "greffe@justice.example"
	lawyerEmail   = "avocat@avocat.example"
	strangerEmail = "autre@avocat.example"
)

func newEnv(t *testing.T, tweak ...func(*app.Config)) *env {
	t.Helper()
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a := apptest.Start(t, clock, tweak...)
	e := &env{t: t, app: a, clock: clock, url: a.URL(), dir: a.Config.DataDir}
	e.checkAnswers()
	e.agent = e.user(agentEmail, "Greffe", navette.RoleAgent)
	e.lawyer = e.user(lawyerEmail, "Maître Avocat", navette.RolePartner)
	e.stranger = e.user(strangerEmail, "Maître Autre", navette.RolePartner)
	return e
}

// checkAnswers sets the clients that hold every answer of e.app to the
// OpenAPI document.
func (e *env) checkAnswers() {
	e.t.Helper()
	e.client = apptest.Client(e.t, e.app)
	e.noRedirect = &http.Client{Transport: e.client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) user(email, name string, role navette.Role) string {
	e.t.Helper()
	return apptest.User(e.t, e.app, email, name, role)
}

// do sends a request and returns the answer with its body read.
func (e *env) do(method, path, token string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, b
}

// doJSON sends v as JSON and decodes the answer into out when status
// matches want; otherwise it fails the test with the problem.
func (e *env) doJSON(method, path, token string, v any, want int, out any) *http.Response {
	e.t.Helper()
	var body io.Reader
	var hdr []string
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
		hdr = []string{"Content-Type", "application/json"}
	}
	resp, b := e.do(method, path, token, body, hdr...)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: got %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp
}

// problem checks that an answer is a problem document with the status and
// returns it.
func (e *env) problem(resp *http.Response, body []byte, status int) api.Problem {
	e.t.Helper()
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: got status %d (%s), want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body, status)
	}
	if resp.Request.Method == http.MethodHead {
		return api.Problem{Status: status}
	}
	if ct := resp.Header.Get("Content-Type"); ct != api.ProblemContentType {
		e.t.Fatalf("%s %s: Content-Type %q, want %q (body %s)", resp.Request.Method, resp.Request.URL.Path, ct, api.ProblemContentType, body)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status != status || p.Code == "" || p.Title == "" {
		e.t.Fatalf("bad problem document %s (%v)", body, err)
	}
	return p
}

func (e *env) createDeposit(token string, to ...string) api.Deposit {
	e.t.Helper()
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, token, api.CreateDeposit{Recipients: to, Reference: "Parquet 26/00042", Message: "Pièces du dossier", RetentionDays: 7}, http.StatusCreated, &d)
	return d
}

func tusMeta(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

// createUpload starts a tus upload and returns its path.
func (e *env) createUpload(token, depositID, name string, size int64) string {
	e.t.Helper()
	resp, b := e.do("POST", api.PathUploads, token, nil,
		"Tus-Resumable", "1.0.0", "Upload-Length", strconv.FormatInt(size, 10),
		"Upload-Metadata", tusMeta(api.MetaDeposit, depositID, api.MetaFilename, name))
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("tus create: %d %s", resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	if i := strings.Index(loc, api.PathUploads); i >= 0 {
		loc = loc[i:]
	}
	return loc
}

// patch sends data at offset and returns the new offset.
func (e *env) patch(token, path string, off int64, data []byte) int64 {
	e.t.Helper()
	resp, b := e.do("PATCH", path, token, bytes.NewReader(data),
		"Tus-Resumable", "1.0.0", "Upload-Offset", strconv.FormatInt(off, 10), "Content-Type", "application/offset+octet-stream")
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("tus patch at %d: %d %s", off, resp.StatusCode, b)
	}
	n, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return n
}

func (e *env) head(token, path string) int64 {
	e.t.Helper()
	resp, _ := e.do("HEAD", path, token, nil, "Tus-Resumable", "1.0.0")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("tus head: %d", resp.StatusCode)
	}
	n, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return n
}

// upload sends one whole file.
func (e *env) upload(token, depositID, name string, data []byte) string {
	e.t.Helper()
	path := e.createUpload(token, depositID, name, int64(len(data)))
	if len(data) > 0 {
		if got := e.patch(token, path, 0, data); got != int64(len(data)) {
			e.t.Fatalf("offset after upload: got %d, want %d", got, len(data))
		}
	}
	return path[strings.LastIndexByte(path, '/')+1:]
}

func (e *env) submit(token, id string) api.Deposit {
	e.t.Helper()
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits+"/"+id+"/submit", token, nil, http.StatusOK, &d)
	return d
}

// send makes an available deposit from agent to lawyer with the files.
func (e *env) send(files map[string][]byte) api.Deposit {
	e.t.Helper()
	d := e.createDeposit(e.agent, lawyerEmail)
	for name, data := range files {
		e.upload(e.agent, d.ID, name, data)
	}
	return e.submit(e.agent, d.ID)
}

func filePath(d api.Deposit, f api.File) string {
	return fmt.Sprintf("%s/%s/files/%s", api.PathDeposits, d.ID, f.ID)
}

func itoa(i int) string { return strconv.Itoa(i) }

// sendAndCut starts a PATCH announcing all of data[off:], sends only up to
// cut, and drops the connection, as a client killed mid-upload would.
func sendAndCut(t *testing.T, e *env, path string, off int, data []byte, cut int) {
	t.Helper()
	conn, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		path, e.app.Addr(), e.agent, off, len(data)-off)
	if _, err := conn.Write(data[off:cut]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

// waitOffset waits until the server has durably recorded the upload's offset
// as want (it learns of the cut asynchronously), looking at the store so as
// not to disturb the upload's lock, then returns what HEAD says.
func waitOffset(t *testing.T, e *env, path string, want int64) int64 {
	t.Helper()
	id := path[strings.LastIndexByte(path, '/')+1:]
	deadline := time.Now().Add(20 * time.Second)
	for {
		f, err := e.app.Meta.File(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if f.Offset == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e.head(e.agent, path)
}
