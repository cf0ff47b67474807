package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/evidence"
	"navette/web"
)

// TestNoContentByRole walks every route of the API and web tables as the
// people who are party to nothing: a platform admin, a court admin of the
// court whose mailbox received the deposit, an auditor, an agent of another
// court and a partner who is not a recipient. On a real deposit, they must
// get no byte of its files and none of its sealed fields (reference,
// message, file name), in the body or the headers of any answer (a ZIP's
// entries are opened). Only the auditor gets the proofs (docs/proofs.md
// §15): receipts and the evidence bundle, whose claims name the reference
// and the file names, never the message nor a byte of a file. GET and HEAD
// routes are all walked, so a new one is covered as soon as it is added;
// any other route must be in noContentRoutes or depositWrites. The demo's
// public outbox (--dev-mail, never in production: docs/security.md) is
// walked too and is the one place the mails, reference and all, show.

// nobody is one caller of the walk, by API token and browser session.
type nobody struct {
	name  string
	email string
	token string
	b     *browser
}

// secret is what the deposit seals.
var secret = struct {
	reference, message, filename, upload string
	content                              []byte
}{
	reference: "Instruction 26-SECRET-7Q3Z",
	message:   "Audition confidentielle K9XW",
	filename:  "proces-verbal-4MPL.pdf",
	upload:    "brouillon-8HRT.pdf",
	content:   []byte("%PDF-1.7 CONTENU-SCELLE-2261"),
}

// depositWrites are the routes other than GET and HEAD that act on a
// deposit or its case by id: walked, and refused as on an unknown deposit.
var depositWrites = []string{
	"POST /api/v1/deposits/{id}/submit",
	"POST /api/v1/deposits/{id}/reply",
	"POST /api/v1/deposits/{id}/extend",
	"POST /api/v1/deposits/{id}/forward",
	"POST /deposits/{id}/reply",
	"POST /deposits/{id}/extend",
	"POST /deposits/{id}/forward",
	"PATCH /api/v1/uploads/{id}",
	"POST /deposits/{id}/discard",
	"POST /deposits/{id}/revoke",
	"DELETE /api/v1/uploads/{id}",
	"DELETE /api/v1/deposits/{id}",
}

// noContentRoutes are the other routes that are not walked, and why none
// can answer with a deposit's content or sealed fields.
var noContentRoutes = map[string]string{
	"POST /api/v1/auth/code":                         "signing in: answers 202 and nothing else",
	"POST /api/v1/auth/code/verify":                  "signing in: answers the session",
	"POST /api/v1/auth/password":                     "signing in",
	"POST /api/v1/auth/totp":                         "signing in",
	"POST /api/v1/auth/enrol":                        "signing in: answers a TOTP secret",
	"POST /api/v1/auth/enrol/verify":                 "signing in",
	"POST /api/v1/auth/signout":                      "signing out",
	"POST /api/v1/auth/step-up":                      "step-up: answers the session",
	"POST /api/v1/tokens":                            "answers the new token",
	"DELETE /api/v1/tokens/{id}":                     "revokes one's own token",
	"POST /api/v1/deposits":                          "creates one's own deposit",
	"POST /api/v1/uploads/{$}":                       "creates an upload: answers its location; tried on the deposit below",
	"OPTIONS /api/v1/uploads/{$}":                    "tus discovery: the protocol's options",
	"POST /api/v1/courts":                            "administration: answers the court",
	"POST /api/v1/courts/{id}/services":              "administration: answers the service",
	"PUT /api/v1/services/{id}/members/{uid}":        "administration: answers the request of the two-person rule (202), or 204",
	"POST /api/v1/admin/requests/{id}/approve":       "the two-person rule: answers the request reviewed, never a deposit",
	"POST /api/v1/admin/requests/{id}/reject":        "the two-person rule: answers the request reviewed",
	"POST /admin/requests/{id}/approve":              "the two-person rule: redirects to the requests page, walked as GET",
	"POST /admin/requests/{id}/reject":               "the two-person rule: redirects to the requests page, walked as GET",
	"DELETE /api/v1/services/{id}/members/{uid}":     "administration: answers 204",
	"PATCH /api/v1/admin/users/{id}":                 "administration: answers the user",
	"POST /api/v1/admin/users/{id}/reset-totp":       "administration: answers 204",
	"DELETE /api/v1/admin/users/{id}/sessions/{sid}": "administration: ends one session of a person, answers 204",
	"DELETE /api/v1/admin/tokens/{id}":               "administration: answers 204",
	"POST /api/v1/admin/directories/{source}/import": "administration: answers the import's report",
	"POST /api/v1/admin/ldap/sync":                   "administration: answers the sync's report",
	"PUT /api/v1/admin/settings":                     "administration: answers the settings",
	"POST /api/v1/admin/policy":                      "the two-person rule: answers the request for a policy change",
	"POST /api/v1/admin/keys/rotate":                 "the two-person rule: answers the request for a new journal key",
	"POST /api/v1/admin/notices/{id}/replay":         "administration: replays a notice to its own recipient, answers 204",
	"/":                                              "the catch-all 404",
	"POST /signin/code":                              "signing in",
	"POST /signin/verify":                            "signing in",
	"POST /signin/totp":                              "signing in",
	"POST /signin/enrol":                             "signing in",
	"POST /signin/enrol/passkey/options":             "signing in",
	"POST /signin/enrol/passkey":                     "signing in",
	"POST /signin/passkey/options":                   "signing in",
	"POST /signin/passkey":                           "signing in",
	"POST /signin/passkey-only/options":              "signing in",
	"POST /signin/passkey-only":                      "signing in",
	"POST /signin/password":                          "signing in",
	"POST /signout":                                  "signing out",
	"POST /account/passkeys/options":                 "one's own passkeys",
	"POST /account/passkeys":                         "one's own passkeys",
	"POST /account/passkeys/{id}/remove":             "one's own passkeys",
	"POST /account/step-up/totp":                     "one's own step-up",
	"POST /account/step-up/passkey/options":          "one's own step-up",
	"POST /account/step-up/passkey":                  "one's own step-up",
	"POST /account/step-up/resume":                   "one's own step-up",
	"POST /admin/services/{id}/members":              "administration: redirects to the service page, walked as GET",
	"POST /admin/services/{id}/members/remove":       "administration: redirects to the service page, walked as GET",
	"POST /admin/courts/{id}/services":               "administration: redirects to the courts page, walked as GET",
	"POST /admin/imports/preview":                    "administration: a directory file's preview",
	"POST /admin/imports/apply":                      "administration: a directory file's import",
	"POST /admin/settings":                           "administration: the settings",
	"POST /admin/settings/policy":                    "the two-person rule: a policy change request, redirects to the settings page",
	"POST /signin/lost":                              "a lost-factor request: answers the same page whoever asks",
	"POST /signin/recovery":                          "signing in with a recovery code",
	"POST /account/recovery-codes":                   "one's own new recovery codes",
	"POST /account/sessions/end-others":              "one's own sessions: ends the others, redirects to the account page",
	"POST /admin/users/{id}/sessions/end":            "administration: ends a person's sessions, redirects to their page",
	"POST /admin/users/{id}/sessions/{sid}/end":      "administration: ends one session of a person, redirects to their page",
	"POST /admin/users/{id}/tokens/{tid}/revoke":     "administration: revokes a person's token, redirects to their page",
	"POST /admin/recovery/{id}/approve":              "administration: decides a recovery request, redirects to the person's page",
	"POST /admin/recovery/{id}/reject":               "administration: decides a recovery request, redirects to the person's page",
}

// proofRoutes are what the auditor may open of the deposit: its proofs,
// with the claims (reference and file names), never the message nor a
// byte of a file.
var proofRoutes = []string{
	"GET /api/v1/deposits/{id}/receipts",
	"GET /api/v1/deposits/{id}/evidence",
	"GET /api/v1/deposits/{id}/case-evidence",
	"GET /api/v1/cases/{id}/evidence",
	"GET /api/v1/receipts/{rid}",
	"GET /audit",
}

// secretFixture is the policy fixture with the sealed deposit, sent to a
// party of the fixture (a partner to the service mailbox of court A, whose
// agent is a member, or that agent to a partner), and a draft of the
// sender's with an upload under way.
type secretFixture struct {
	*policyFixture
	callers []*nobody
	dep     api.Deposit
	fileID  string
	rid     string
	draft   api.Deposit
	upload  string
	sender  string // the sender's token
	mail    string // a notice of the demo outbox
	request string // a pending request of the two-person rule
}

// newSecretFixture makes the deposit: sent by the agent of court A to the
// lawyer if fromAgent, by the lawyer to court A's mailbox otherwise.
func newSecretFixture(t *testing.T, fromAgent bool) *secretFixture {
	f := &secretFixture{policyFixture: newPolicyFixture(t, func(c *app.Config) { c.StaffCodes, c.DevMail = true, true })}
	e := f.e
	from, to := e.lawyer, f.svcA.Email
	if fromAgent {
		from, to = f.tok[navette.RoleAgent], lawyerEmail
	}
	f.sender = from
	e.doJSON("POST", api.PathDeposits, from, api.CreateDeposit{Recipients: []string{to},
		Reference: secret.reference, Message: secret.message, RetentionDays: 7}, http.StatusCreated, &f.dep)
	e.upload(from, f.dep.ID, secret.filename, secret.content)
	f.dep = e.submit(from, f.dep.ID)
	var full api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+f.dep.ID, from, nil, http.StatusOK, &full)
	f.fileID = full.Files[0].ID
	if f.dep.CaseID == "" {
		t.Fatal("the deposit is in no case")
	}
	evs, err := e.app.Meta.Events(context.Background(), navette.EventFilter{DepositID: f.dep.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == navette.EventDepositSubmitted {
			f.rid = evidence.ReceiptID(f.dep.ID, ev.Leaf)
		}
	}
	e.doJSON("POST", api.PathDeposits, from, api.CreateDeposit{Recipients: []string{to},
		Reference: secret.reference, Message: secret.message, RetentionDays: 7}, http.StatusCreated, &f.draft)
	up := e.createUpload(from, f.draft.ID, secret.upload, int64(len(secret.content)))
	f.upload = up[strings.LastIndexByte(up, '/')+1:]
	for _, c := range []struct{ name, email, token string }{
		{"admin", f.user[navette.RoleAdmin].Email, f.tok[navette.RoleAdmin]},
		{"court_admin", f.user[navette.RoleCourtAdmin].Email, f.tok[navette.RoleCourtAdmin]},
		{"auditor", f.user[navette.RoleAuditor].Email, f.tok[navette.RoleAuditor]},
		{"other_agent", "outsider@justice.example", f.outAgent},
		{"other_partner", "outsider@avocat.example", f.outLaw},
	} {
		b, _ := e.signIn(t, c.email)
		f.callers = append(f.callers, &nobody{name: c.name, email: c.email, token: c.token, b: b})
	}
	ms, err := e.app.Outbox.List(1)
	if err != nil || len(ms) == 0 {
		t.Fatalf("the outbox: %v, %d messages", err, len(ms))
	}
	f.mail = ms[0].NoticeID
	return f
}

// path fills the wildcards of pattern's path with the sealed deposit and
// what surrounds it; ok is false for a wildcard the walk does not know.
// pendingRequest returns a pending request of the two-person rule, made
// the first time: the court admin of court A asks to join its mailbox.
func (f *secretFixture) pendingRequest() string {
	if f.request == "" {
		ca := f.user[navette.RoleCourtAdmin]
		if r, err := f.e.app.Accounts.RequestAddMember(context.Background(), ca, f.svcA.ID, ca.ID, ""); err == nil {
			f.request = r.ID
		}
	}
	return f.request
}

func (f *secretFixture) path(pattern string) (method, path string, ok bool) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	lawyer, err := f.e.app.Meta.UserByEmail(context.Background(), lawyerEmail)
	if err != nil {
		return "", "", false
	}
	var id string
	switch {
	case strings.HasPrefix(path, "/api/v1/uploads/"):
		id = f.upload
	case strings.HasPrefix(path, "/api/v1/deposits/"), strings.HasPrefix(path, "/deposits/"), strings.HasPrefix(path, "/d/"):
		id = f.dep.ID
	case strings.HasPrefix(path, "/api/v1/cases/"), strings.HasPrefix(path, "/cases/"):
		id = f.dep.CaseID
	case strings.HasPrefix(path, "/api/v1/courts/"), strings.HasPrefix(path, "/admin/courts/"):
		id = f.courtA.ID
	case strings.HasPrefix(path, "/api/v1/services/"), strings.HasPrefix(path, "/admin/services/"):
		id = f.svcA.ID
	case strings.HasPrefix(path, "/api/v1/admin/users/"), strings.HasPrefix(path, "/admin/users/"):
		id = lawyer.ID
	case strings.HasPrefix(path, "/dev/mail/"):
		id = f.mail
	case strings.HasPrefix(path, "/api/v1/admin/requests/"):
		id = f.pendingRequest()
	}
	r := strings.NewReplacer("{id}", id, "{fid}", f.fileID, "{rid}", f.rid, "{path...}", "css/navette.css")
	path = r.Replace(path)
	switch pattern {
	case "GET /audit":
		path += "?reference=" + strings.ReplaceAll(secret.reference, " ", "+")
	case "GET /api/v1/events":
		path += "?deposit=" + f.dep.ID
	case "GET /api/v1/journal/proof":
		path += "?index=0&size=1"
	case "GET /api/v1/journal/consistency":
		path += "?from=1&to=1"
	case "GET /api/v1/recipients":
		path += "?q=greffe"
	}
	return method, path, !strings.Contains(path, "{") && (id != "" || !strings.Contains(pattern, "{id}"))
}

// hit is one answer of the walk.
type hit struct {
	status int
	leaks  []string
}

// send sends the request as c, by token for an API route and by browser
// session for a page, and returns the status and the secrets the answer
// holds.
func (f *secretFixture) send(t *testing.T, c *nobody, page bool, method, path string) hit {
	t.Helper()
	req, err := http.NewRequest(method, f.e.url+path, writeBody(page, method, path))
	if err != nil {
		t.Fatal(err)
	}
	write := method != http.MethodGet && method != http.MethodHead
	switch {
	case page:
		req.Header.Set("Accept", "text/html")
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: c.b.cookie})
		if write {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", f.e.url)
			req.Header.Set("X-CSRF-Token", c.b.csrf)
		}
	case strings.HasPrefix(path, api.PathUploads):
		req.Header.Set("Tus-Resumable", "1.0.0")
		if method == http.MethodPatch {
			req.Header.Set("Upload-Offset", "0")
			req.Header.Set("Content-Type", "application/offset+octet-stream")
		}
	case write:
		req.Header.Set("Content-Type", "application/json")
	}
	if !page {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := f.e.noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var hdr bytes.Buffer
	resp.Header.Write(&hdr)
	return hit{status: resp.StatusCode, leaks: leaks(append(hdr.Bytes(), b...))}
}

// writeBody is a valid body for a write the walk sends, so that it is
// refused for who sends it and not for its form.
func writeBody(page bool, method, path string) io.Reader {
	switch {
	case method == http.MethodGet || method == http.MethodHead:
		return nil
	case page:
		return strings.NewReader("days=1&message=Observations&confirm=yes")
	case method == http.MethodPatch:
		return bytes.NewReader(secret.content)
	case strings.HasSuffix(path, "/reply"):
		return strings.NewReader(`{"message":"Observations"}`)
	case strings.HasSuffix(path, "/extend"):
		return strings.NewReader(`{"days":1}`)
	case strings.HasSuffix(path, "/forward"):
		return strings.NewReader(`{"recipients":["greffe@justice.example"]}`)
	}
	return nil
}

// leaks names the secrets b holds, in clear, in a ZIP's entries or in
// tus's base64 metadata.
func leaks(b []byte) []string {
	var found []string
	check := func(b []byte) {
		for name, s := range map[string][]byte{"reference": []byte(secret.reference), "message": []byte(secret.message),
			"file name": []byte(secret.filename), "upload's file name": []byte(secret.upload), "content": secret.content,
			"base64 upload name": []byte(tusMeta("", secret.upload)[1:])} {
			if bytes.Contains(b, s) && !slices.Contains(found, name) {
				found = append(found, name)
			}
		}
	}
	check(b)
	if i := bytes.Index(b, []byte("PK\x03\x04")); i >= 0 {
		if z, err := zip.NewReader(bytes.NewReader(b[i:]), int64(len(b)-i)); err == nil {
			for _, zf := range z.File {
				check([]byte(zf.Name))
				if rc, err := zf.Open(); err == nil {
					entry, _ := io.ReadAll(rc)
					rc.Close()
					check(entry)
				}
			}
		}
	}
	return found
}

// allowed is what the auditor may see on a proof route; the demo outbox
// shows every mail to anyone.
func allowed(caller, pattern string, leak string) bool {
	if strings.HasPrefix(pattern, "GET /dev/mail") {
		return true
	}
	return caller == "auditor" && slices.Contains(proofRoutes, pattern) && (leak == "reference" || leak == "file name")
}

// depositRoute reports whether a pattern names the sealed deposit or its
// case, file, receipt or upload: it must be refused as an unknown one.
func depositRoute(pattern string) bool {
	for _, p := range []string{"/deposits/{id}", "/cases/{id}", "/receipts/{rid}", "/uploads/{id}", "/d/{id}"} {
		if strings.Contains(pattern, p) {
			return true
		}
	}
	return false
}

func TestNoContentByRole(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fromAgent bool
	}{{"partner to a mailbox", false}, {"agent to a partner", true}} {
		t.Run(tc.name, func(t *testing.T) { walkNoContent(t, newSecretFixture(t, tc.fromAgent)) })
	}
}

// walkNoContent walks every route as every caller of f.
func walkNoContent(t *testing.T, f *secretFixture) {
	apiRoutes, err := f.e.app.Server.Routes()
	if err != nil {
		t.Fatal(err)
	}
	type route struct {
		pattern string
		page    bool
	}
	var walk []route
	for _, rt := range apiRoutes {
		walk = append(walk, route{rt.Pattern, false})
	}
	for _, rt := range f.e.app.Server.Pages.(*web.Handler).Routes() {
		walk = append(walk, route{rt.Pattern, true})
	}
	// The writes last, the deletions at the very end.
	slices.SortStableFunc(walk, func(a, b route) int {
		return slices.Index(depositWrites, a.pattern) - slices.Index(depositWrites, b.pattern)
	})
	var matrix strings.Builder
	shown := map[string][]string{}
	fmt.Fprintf(&matrix, "%-45s", "route")
	for _, c := range f.callers {
		fmt.Fprintf(&matrix, " %-13s", c.name)
	}
	matrix.WriteString("\n")
	for _, rt := range walk {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet && method != http.MethodHead && !slices.Contains(depositWrites, rt.pattern) {
			if _, ok := noContentRoutes[rt.pattern]; !ok {
				t.Errorf("route %q is not classified: walk it (depositWrites) or say why it gives no content (noContentRoutes)", rt.pattern)
			}
			continue
		}
		method, path, ok := f.path(rt.pattern)
		if !ok {
			t.Errorf("route %q has a wildcard the walk cannot fill: teach secretFixture.path", rt.pattern)
			continue
		}
		fmt.Fprintf(&matrix, "%-45s", rt.pattern)
		for _, c := range f.callers {
			h := f.send(t, c, rt.page, method, path)
			cell := fmt.Sprint(h.status)
			if len(h.leaks) > 0 {
				cell += "*" // an allowed disclosure, listed below the table
				shown[rt.pattern+" as "+c.name] = h.leaks
			}
			fmt.Fprintf(&matrix, " %-13s", cell)
			for _, l := range h.leaks {
				if !allowed(c.name, rt.pattern, l) {
					t.Errorf("%s as %s (%s): the answer (%d) holds the deposit's %s", rt.pattern, c.name, path, h.status, l)
				}
			}
			if depositRoute(rt.pattern) && h.status < 300 && !(c.name == "auditor" && slices.Contains(proofRoutes, rt.pattern)) {
				t.Errorf("%s as %s (%s): got %d, want the refusal of an unknown deposit", rt.pattern, c.name, path, h.status)
			}
		}
		matrix.WriteString("\n")
	}
	for p := range noContentRoutes {
		if !slices.ContainsFunc(walk, func(r route) bool { return r.pattern == p }) {
			t.Errorf("noContentRoutes names %q, which no route table has", p)
		}
	}
	// The scanner sees what is there: the sender's file, the auditor's
	// bundle (a ZIP) and the auditor's search.
	for _, c := range []struct {
		who       *nobody
		page      bool
		path, has string
	}{
		{&nobody{token: f.sender}, false, api.PathDeposits + "/" + f.dep.ID + "/files/" + f.fileID, "content"},
		{f.callers[2], false, api.PathDeposits + "/" + f.dep.ID + "/evidence", "file name"},
		{f.callers[2], true, "/audit?reference=" + strings.ReplaceAll(secret.reference, " ", "+"), "reference"},
	} {
		if h := f.send(t, c.who, c.page, http.MethodGet, c.path); h.status != http.StatusOK || !slices.Contains(h.leaks, c.has) {
			t.Errorf("%s: got %d with %v, want 200 with the %s", c.path, h.status, h.leaks, c.has)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		fmt.Fprintf(&matrix, "* %s: %s\n", k, strings.Join(slices.Sorted(slices.Values(shown[k])), ", "))
	}
	t.Logf("routes × callers → status on a deposit none of them is party to:\n%s", matrix.String())
	var d api.Deposit
	f.e.doJSON("GET", api.PathDeposits+"/"+f.dep.ID, f.sender, nil, http.StatusOK, &d)
	if d.State != f.dep.State {
		t.Errorf("the deposit went from %s to %s", f.dep.State, d.State)
	}
}
