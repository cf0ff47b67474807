package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/api"
	"navette/app"
	"navette/evidence"
)

// The policy test walks every API route × every role × (own resource,
// someone else's, unknown id) and checks each answer against the single
// table below. A route the server has and the table lacks fails the test,
// so no route can be added without stating who may call it.

// Cases of a route with an id in its path.
const (
	own = iota
	other
	unknown
)

// want is the status expected for each case; 0 marks a case that does
// not apply to the route (it has no id, or nothing of the role's own).
type want [3]int

// policyRoles are the callers: every role that signs in, and anonymous
// ("").
var policyRoles = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner, navette.RoleAdmin, navette.RoleAuditor, ""}

// rule states a route's policy: the answers of the roles it names, and of
// every other signed-in role (rest), anonymous callers getting 401 unless
// the route is public (anon).
type rule struct {
	roles map[navette.Role]want
	rest  want // roles not listed; zero means 403 for each case that applies
	anon  want // anonymous callers; zero means 401 for each case that applies
}

// only is a route without an id: one case.
func only(status int) want { return want{status, 0, 0} }

// each applies w to every role.
func each(w want) map[navette.Role]want {
	m := map[navette.Role]want{}
	for _, r := range policyRoles {
		m[r] = w
	}
	return m
}

var (
	depositRoles = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner}
)

// proofRoles: the sender (and recipients) of a deposit and auditors get
// its proofs; the others, platform admins included, the 404 of an unknown
// deposit.
var proofRoles = map[navette.Role]want{
	navette.RoleAgent: {200, 404, 404}, navette.RoleCourtAdmin: {200, 404, 404}, navette.RolePartner: {200, 404, 404},
	navette.RoleAdmin: {404, 404, 404}, navette.RoleAuditor: {200, 200, 404},
}

func forRoles(w want, roles ...navette.Role) map[navette.Role]want {
	m := map[navette.Role]want{}
	for _, r := range roles {
		m[r] = w
	}
	return m
}

// policy is the one table of who may call what.
var policy = map[string]rule{
	"GET /healthz":                      {roles: each(only(200))},
	"GET /readyz":                       {roles: each(only(200))},
	"GET /api/v1/openapi.json":          {roles: each(only(200))},
	"GET /d/{id}":                       {roles: each(want{303, 303, 303})},
	"POST /api/v1/auth/code":            {roles: each(only(202))},
	"POST /api/v1/auth/code/verify":     {roles: each(only(401))},
	"POST /api/v1/auth/password":        {roles: each(only(501))},
	"GET /api/v1/auth/oidc":             {roles: each(only(501))},
	"GET /api/v1/auth/oidc/callback":    {roles: each(only(401))},
	"POST /api/v1/auth/totp":            {rest: only(401)},
	"POST /api/v1/auth/enrol":           {rest: only(401)},
	"POST /api/v1/auth/enrol/verify":    {rest: only(401)},
	"POST /api/v1/auth/signout":         {roles: each(only(204))},
	"POST /api/v1/auth/step-up":         {rest: only(403)}, // sessions only
	"GET /api/v1/me":                    {rest: only(200)},
	"GET /api/v1/tokens":                {rest: only(200)},
	"POST /api/v1/tokens":               {rest: only(403)}, // sessions only: tokens cannot mint tokens
	"DELETE /api/v1/tokens/{id}":        {rest: want{204, 404, 404}, roles: forRoles(want{403, 403, 403}, navette.RoleAuditor)},
	"GET /api/v1/recipients":            {roles: forRoles(only(200), depositRoles...)},
	"POST /api/v1/deposits":             {roles: forRoles(only(201), depositRoles...)},
	"GET /api/v1/deposits":              {roles: forRoles(only(200), depositRoles...)},
	"GET /api/v1/deposits/{id}":         {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"DELETE /api/v1/deposits/{id}":      {roles: forRoles(want{204, 404, 404}, depositRoles...)},
	"POST /api/v1/deposits/{id}/submit": {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"POST /api/v1/deposits/{id}/reply":  {roles: forRoles(want{201, 404, 404}, depositRoles...)},
	"POST /api/v1/deposits/{id}/extend": {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"POST /api/v1/deposits/{id}/forward": {roles: map[navette.Role]want{navette.RoleAgent: {201, 404, 404}, navette.RoleCourtAdmin: {201, 404, 404},
		navette.RolePartner: {403, 404, 404}}}, // agents only
	"GET /api/v1/cases":                       {roles: forRoles(only(200), depositRoles...)},
	"GET /api/v1/cases/{id}":                  {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"GET /api/v1/cases/{id}/bundle":           {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"GET /api/v1/deposits/{id}/files":         {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"GET /api/v1/deposits/{id}/files/{fid}":   {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"GET /api/v1/deposits/{id}/receipts":      {roles: proofRoles},
	"GET /api/v1/deposits/{id}/evidence":      {roles: proofRoles},
	"GET /api/v1/deposits/{id}/case-evidence": {roles: forRoles(want{200, 200, 404}, navette.RoleAuditor)},
	"GET /api/v1/cases/{id}/evidence":         {roles: forRoles(want{200, 200, 404}, navette.RoleAuditor)},
	"GET /api/v1/receipts/{rid}":              {roles: proofRoles},
	"POST /api/v1/uploads/{$}":                {roles: forRoles(want{201, 404, 404}, depositRoles...)},
	"HEAD /api/v1/uploads/{id}":               {roles: forRoles(want{200, 404, 404}, depositRoles...)},
	"PATCH /api/v1/uploads/{id}":              {roles: forRoles(want{204, 404, 404}, depositRoles...)},
	"DELETE /api/v1/uploads/{id}":             {roles: forRoles(want{204, 404, 404}, depositRoles...)},
	"OPTIONS /api/v1/uploads/{$}":             {roles: each(only(200))},
	"GET /api/v1/courts":                      {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleCourtAdmin)},
	"POST /api/v1/courts":                     {roles: forRoles(only(201), navette.RoleAdmin)},
	"GET /api/v1/courts/{id}/services": {roles: map[navette.Role]want{
		navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"POST /api/v1/courts/{id}/services": {roles: map[navette.Role]want{
		navette.RoleAdmin: {201, 201, 404}, navette.RoleCourtAdmin: {201, 404, 404}}},
	"GET /api/v1/services/{id}/members": {roles: map[navette.Role]want{
		navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"PUT /api/v1/services/{id}/members/{uid}": {roles: map[navette.Role]want{
		navette.RoleAdmin: {202, 202, 404}, navette.RoleCourtAdmin: {202, 404, 404}}},
	"GET /api/v1/admin/requests": {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleCourtAdmin)},
	"GET /api/v1/admin/requests/{id}": {roles: map[navette.Role]want{
		navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"POST /api/v1/admin/requests/{id}/approve": {roles: map[navette.Role]want{
		navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"POST /api/v1/admin/requests/{id}/reject": {roles: map[navette.Role]want{
		navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"DELETE /api/v1/services/{id}/members/{uid}": {roles: map[navette.Role]want{
		navette.RoleAdmin: {204, 204, 404}, navette.RoleCourtAdmin: {204, 404, 404}}},
	"GET /api/v1/admin/users":                        {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleCourtAdmin)},
	"GET /api/v1/admin/users/{id}":                   {roles: map[navette.Role]want{navette.RoleAdmin: {200, 200, 404}, navette.RoleCourtAdmin: {200, 404, 404}}},
	"DELETE /api/v1/admin/users/{id}/sessions/{sid}": {roles: map[navette.Role]want{navette.RoleAdmin: {204, 204, 404}, navette.RoleCourtAdmin: {204, 404, 404}}},
	"PATCH /api/v1/admin/users/{id}":                 {roles: forRoles(want{200, 200, 404}, navette.RoleAdmin)},
	"POST /api/v1/admin/users/{id}/reset-totp":       {roles: forRoles(want{204, 204, 404}, navette.RoleAdmin)},
	"GET /api/v1/admin/users/{id}/tokens":            {roles: forRoles(want{200, 200, 404}, navette.RoleAdmin)},
	"DELETE /api/v1/admin/tokens/{id}":               {roles: forRoles(want{204, 204, 404}, navette.RoleAdmin)},
	"POST /api/v1/admin/directories/{source}/import": {roles: forRoles(want{200, 0, 404}, navette.RoleAdmin)},
	"POST /api/v1/admin/ldap/sync":                   {roles: forRoles(only(501), navette.RoleAdmin)},
	"GET /api/v1/admin/notices":                      {roles: forRoles(only(200), navette.RoleAdmin)},
	"GET /api/v1/admin/settings":                     {roles: forRoles(only(200), navette.RoleAdmin)},
	"GET /api/v1/admin/policy":                       {roles: forRoles(only(200), navette.RoleAdmin)},
	"POST /api/v1/admin/policy":                      {roles: forRoles(only(202), navette.RoleAdmin)},
	"POST /api/v1/admin/keys/rotate":                 {roles: forRoles(only(202), navette.RoleAdmin)},
	"PUT /api/v1/admin/settings":                     {roles: forRoles(only(200), navette.RoleAdmin)},
	"POST /api/v1/admin/notices/{id}/replay":         {roles: forRoles(want{0, 0, 404}, navette.RoleAdmin)},
	"GET /api/v1/events":                             {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleAuditor)},
	"GET /api/v1/journal/checkpoint":                 {roles: each(only(200))},
	"GET /api/v1/journal/keys":                       {roles: each(only(200))},
	"GET /api/v1/journal/proof":                      {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleAuditor)},
	"GET /api/v1/journal/consistency":                {roles: forRoles(only(200), navette.RoleAdmin, navette.RoleAuditor)},
	"GET /dev/mail":                                  {roles: each(only(200))},
	"GET /dev/mail/{id}":                             {roles: each(want{0, 0, 404})},
	"GET /dev/mail/{id}/html":                        {roles: each(want{0, 0, 404})},
	"/":                                              {roles: each(only(404))},
}

// expected returns the status rule r gives role for case c.
func (r rule) expected(role navette.Role, c int) int {
	w, ok := r.roles[role]
	if !ok {
		w = r.rest
		if role == "" {
			w = r.anon
		}
		if w == (want{}) {
			// Nothing stated: refused for every case that applies.
			return -1
		}
	}
	return w[c]
}

// policyFixture is a platform with two courts, each with a service mailbox,
// one user of every role in court A, and outsiders in court B.
type policyFixture struct {
	e        *env
	tok      map[navette.Role]string
	user     map[navette.Role]*navette.User
	courtA   *navette.Court
	courtB   *navette.Court
	svcA     *navette.User
	svcB     *navette.User
	outAgent string // token of an agent of court B
	outLaw   string // token of a lawyer nobody in court A deals with
	lawyer   string // e-mail of the role users' lawyer recipient
	seq      int
	refs     int // references given to deposits so far (see draft)
	// shared are the deposits the walk's routes that do not change them
	// share: one per group, role and case, made on first use (see target).
	shared map[sharedKey]*sharedDeposit
}

// sharedKey names a shared deposit: the group of routes that share it, the
// role of the caller, the case, and whether it is submitted (a draft with
// an upload under way if not).
type sharedKey struct {
	group     string
	role      navette.Role
	which     int
	submitted bool
}

// sharedDeposit is a deposit routes that only read share, with what they
// look up about it, looked up once.
type sharedDeposit struct {
	d      api.Deposit
	tok    string // its sender's token
	fileID string // the id of its file, if submitted
	upload string // the id of its upload under way, if a draft
	rid    string // the id of its receipt of submission
}

func newPolicyFixture(t *testing.T, tweak ...func(*app.Config)) *policyFixture {
	e := newEnv(t, tweak...)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	f := &policyFixture{e: e, tok: map[navette.Role]string{}, user: map[navette.Role]*navette.User{}, lawyer: lawyerEmail,
		shared: map[sharedKey]*sharedDeposit{}}
	var err error
	if f.courtA, err = e.app.Accounts.CreateCourt(ctx, op, "TJ-A", "Tribunal judiciaire A"); err != nil {
		t.Fatal(err)
	}
	if f.courtB, err = e.app.Accounts.CreateCourt(ctx, op, "TJ-B", "Tribunal judiciaire B"); err != nil {
		t.Fatal(err)
	}
	if f.svcA, err = e.app.Accounts.CreateService(ctx, op, f.courtA.ID, "Greffe A", "greffe.a@justice.example"); err != nil {
		t.Fatal(err)
	}
	if f.svcB, err = e.app.Accounts.CreateService(ctx, op, f.courtB.ID, "Greffe B", "greffe.b@justice.example"); err != nil {
		t.Fatal(err)
	}
	mk := func(email string, role navette.Role, court *navette.Court) (*navette.User, string) {
		t.Helper()
		nu := newUser(email, role)
		if court != nil {
			nu.CourtID = court.ID
		}
		u, err := e.app.Accounts.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := e.app.Accounts.CreateToken(ctx, email, "policy", 0)
		if err != nil {
			t.Fatal(err)
		}
		return u, tok
	}
	for _, r := range []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RoleAdmin, navette.RoleAuditor} {
		var court *navette.Court
		if r == navette.RoleAgent || r == navette.RoleCourtAdmin {
			court = f.courtA
		}
		f.user[r], f.tok[r] = mk(string(r)+"@justice.example", r, court)
	}
	// A second platform admin, who may approve the admin's requests (the
	// two-person rule refuses a request nobody may approve).
	mk("approver@justice.example", navette.RoleAdmin, nil)
	// The partner role's user is the env's stranger; the env's lawyer is
	// who the staff send to.
	f.tok[navette.RolePartner] = e.stranger
	if f.user[navette.RolePartner], err = e.app.Meta.UserByEmail(ctx, strangerEmail); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Accounts.AddMember(ctx, op, f.svcA.ID, f.user[navette.RoleAgent].ID); err != nil {
		t.Fatal(err)
	}
	_, f.outAgent = mk("outsider@justice.example", navette.RoleAgent, f.courtB)
	_, f.outLaw = mk("outsider@avocat.example", navette.RolePartner, nil)
	return f
}

// recipientOf is who role's user sends to: the court's mailbox for a
// partner, the lawyer for staff.
func (f *policyFixture) recipientOf(role navette.Role) string {
	if role == navette.RolePartner {
		return f.svcA.Email
	}
	return f.lawyer
}

// draft makes a draft from token to recipient, under a reference of its
// own: the deposits of one reference between the same courts and
// organisations make one case, and the evidence of a case holds every
// deposit's, so a reference shared by all would have the walk's case
// routes export, at each request, the evidence of every deposit made so far.
func (f *policyFixture) draft(token, recipient string) api.Deposit {
	f.refs++
	var d api.Deposit
	f.e.doJSON("POST", api.PathDeposits, token, api.CreateDeposit{Recipients: []string{recipient},
		Reference: fmt.Sprintf("Parquet 26/%05d", f.refs), Message: "Pièces du dossier", RetentionDays: 7}, http.StatusCreated, &d)
	return d
}

// available makes an available deposit with one file from token to
// recipient and returns it.
func (f *policyFixture) available(token, recipient string) api.Deposit {
	d := f.draft(token, recipient)
	f.e.upload(token, d.ID, "piece.pdf", []byte("contenu"))
	return f.e.submit(token, d.ID)
}

// mine returns a deposit of role's user (sent by them), or someone
// else's when role may not deposit.
func (f *policyFixture) mine(role navette.Role, which int, submitted bool) (api.Deposit, string) {
	if which == own && f.tok[role] != "" && isDepositor(role) {
		if !submitted {
			return f.draft(f.tok[role], f.recipientOf(role)), f.tok[role]
		}
		return f.available(f.tok[role], f.recipientOf(role)), f.tok[role]
	}
	if !submitted {
		return f.draft(f.outAgent, "outsider@avocat.example"), f.outAgent
	}
	return f.available(f.outAgent, "outsider@avocat.example"), f.outAgent
}

// Groups of routes that share their deposits (see target).
const (
	shareNone      = ""          // routes that change their deposit
	shareReading   = "reading"   // routes that only read
	shareDownloads = "downloads" // downloads, which journal a receipt: the
	// evidence bundles of the reading group would otherwise grow with them
)

// shareGroup returns the group of the route of pattern.
func shareGroup(pattern string) string {
	switch pattern {
	case "GET /api/v1/deposits/{id}/files/{fid}", "GET /api/v1/cases/{id}/bundle":
		return shareDownloads
	}
	if m, _, _ := strings.Cut(pattern, " "); m == http.MethodGet || m == http.MethodHead {
		return shareReading
	}
	return shareNone
}

// target returns the deposit that case which of a deposit route acts on,
// as mine makes it, with its sender's token. An unknown id needs none: the
// zero deposit (the path gets an id never issued). A route of group share
// gets the deposit of its role and case that the group shares, made on
// first use: the walk would otherwise make hundreds of deposits that
// nobody changes. A route that changes its deposit (shareNone) gets a new
// one.
func (f *policyFixture) target(role navette.Role, which int, submitted bool, share string) *sharedDeposit {
	if which == unknown {
		return &sharedDeposit{}
	}
	k := sharedKey{share, role, which, submitted}
	if s := f.shared[k]; s != nil {
		return s
	}
	d, tok := f.mine(role, which, submitted)
	s := &sharedDeposit{d: d, tok: tok}
	if share != shareNone {
		f.shared[k] = s
	}
	return s
}

// file returns the id of the target's file, looked up once.
func (f *policyFixture) file(s *sharedDeposit) string {
	if s.fileID == "" && s.d.ID != "" {
		var full api.Deposit
		f.e.doJSON("GET", api.PathDeposits+"/"+s.d.ID, s.tok, nil, 200, &full)
		s.fileID = full.Files[0].ID
	}
	return s.fileID
}

// receipt returns the id of the target's receipt of submission, looked up
// once, or "" if there is none.
func (f *policyFixture) receipt(t *testing.T, s *sharedDeposit) string {
	t.Helper()
	if s.rid == "" && s.d.ID != "" {
		evs, err := f.e.app.Meta.Events(context.Background(), navette.EventFilter{DepositID: s.d.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == navette.EventDepositSubmitted {
				s.rid = evidence.ReceiptID(s.d.ID, e.Leaf)
			}
		}
	}
	return s.rid
}

// received is a deposit role's user received, fresh, for the routes that
// answer one (reply, forward): from the agent, or the agent's from the
// court admin.
func (f *policyFixture) received(role navette.Role) api.Deposit {
	from := navette.RoleAgent
	if role == navette.RoleAgent {
		from = navette.RoleCourtAdmin
	}
	return f.available(f.tok[from], f.user[role].Email)
}

// newUser describes a user to create.
func newUser(email string, role navette.Role) account.NewUser {
	return account.NewUser{Email: email, Name: "Test " + string(role), Role: role}
}

func isDepositor(r navette.Role) bool {
	return r == navette.RoleAgent || r == navette.RoleCourtAdmin || r == navette.RolePartner
}

// call is one request of the walk.
type call struct {
	method, path string
	body         []byte
	hdr          []string
}

// request builds the request for route, role and case, making whatever the
// case needs.
func (f *policyFixture) request(t *testing.T, pattern string, role navette.Role, which int) call {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	unknownID := navette.NewID()
	pick := func(ownID, otherID string) string {
		switch which {
		case own:
			return ownID
		case other:
			return otherID
		}
		return unknownID
	}
	jsonBody := func(s string) ([]byte, []string) { return []byte(s), []string{"Content-Type", "application/json"} }
	c := call{method: method, path: path}
	share := shareGroup(pattern)
	f.seq++
	n := f.seq
	switch pattern {
	case "GET /d/{id}":
		d := f.target(role, which, true, share).d
		c.path = "/d/" + pick(d.ID, d.ID)
	case "POST /api/v1/auth/code":
		c.body, c.hdr = jsonBody(`{"email":"someone@avocat.example"}`)
	case "POST /api/v1/auth/code/verify":
		c.body, c.hdr = jsonBody(`{"email":"someone@avocat.example","code":"12345678"}`)
	case "POST /api/v1/auth/password":
		c.body, c.hdr = jsonBody(`{"login":"a","password":"b"}`)
	case "POST /api/v1/auth/totp", "POST /api/v1/auth/enrol/verify", "POST /api/v1/auth/step-up":
		c.body, c.hdr = jsonBody(`{"code":"123456"}`)
	case "POST /api/v1/tokens":
		c.body, c.hdr = jsonBody(`{"label":"x"}`)
	case "PUT /api/v1/admin/settings":
		c.body, c.hdr = jsonBody(`{}`)
	case "POST /api/v1/admin/policy":
		c.body, c.hdr = jsonBody(`{"role":"auditor","min_assurance":"high"}`)
	case "POST /api/v1/admin/keys/rotate":
		c.body, c.hdr = jsonBody(`{"key":"journal"}`)
	case "DELETE /api/v1/tokens/{id}", "DELETE /api/v1/admin/tokens/{id}":
		// /tokens reaches one's own tokens only, with the write scope (an
		// auditor's token has none); the admin route reaches anyone's.
		ownTok, otherTok := unknownID, ""
		if role != "" {
			_, t1, err := f.e.app.Accounts.CreateToken(context.Background(), f.user[role].Email, "spare", 0)
			if err != nil {
				t.Fatal(err)
			}
			ownTok = t1.ID
		}
		_, t2, err := f.e.app.Accounts.CreateToken(context.Background(), "outsider@justice.example", "spare", 0)
		if err != nil {
			t.Fatal(err)
		}
		otherTok = t2.ID
		c.path = strings.Replace(path, "{id}", pick(ownTok, otherTok), 1)
	case "GET /api/v1/recipients":
		c.path += "?q=greffe"
	case "GET /api/v1/journal/proof":
		c.path += "?index=0&size=1"
	case "GET /api/v1/journal/consistency":
		c.path += "?from=1&to=1"
	case "POST /api/v1/deposits":
		c.body, c.hdr = jsonBody(fmt.Sprintf(`{"recipients":[%q],"reference":"R %d"}`, f.recipientOf(role), n))
	case "GET /api/v1/deposits/{id}", "GET /api/v1/deposits/{id}/files", "DELETE /api/v1/deposits/{id}":
		d := f.target(role, which, true, share).d
		c.path = strings.Replace(path, "{id}", pick(d.ID, d.ID), 1)
	case "POST /api/v1/deposits/{id}/reply":
		// Own: a deposit role's user received (from the agent, whose
		// mailbox the reply goes to; the agent's from the court admin).
		var d api.Deposit
		if which == own && isDepositor(role) {
			d = f.received(role)
		} else {
			d = f.target(role, which, true, share).d
		}
		c.path = strings.Replace(path, "{id}", pick(d.ID, d.ID), 1)
		c.body, c.hdr = jsonBody(`{"message":"Observations"}`)
	case "POST /api/v1/deposits/{id}/forward":
		// Own: a deposit the role's user received, forwarded to an agent
		// (the court admin's to the agent, the agent's to the court admin).
		var d api.Deposit
		if which == own && isDepositor(role) {
			d = f.received(role)
		} else {
			d = f.target(role, which, true, share).d
		}
		to := navette.RoleCourtAdmin
		if role == navette.RoleCourtAdmin {
			to = navette.RoleAgent
		}
		c.path = strings.Replace(path, "{id}", pick(d.ID, d.ID), 1)
		c.body, c.hdr = jsonBody(fmt.Sprintf(`{"recipients":[%q]}`, f.user[to].Email))
	case "POST /api/v1/deposits/{id}/extend":
		d := f.target(role, which, true, share).d
		c.path = strings.Replace(path, "{id}", pick(d.ID, d.ID), 1)
		c.body, c.hdr = jsonBody(`{"days":1}`)
	case "GET /api/v1/cases/{id}", "GET /api/v1/cases/{id}/bundle", "GET /api/v1/cases/{id}/evidence":
		d := f.target(role, which, true, share).d
		if which != unknown && d.CaseID == "" {
			t.Fatalf("deposit %s is in no case", d.ID)
		}
		c.path = strings.Replace(path, "{id}", pick(d.CaseID, d.CaseID), 1)
	case "POST /api/v1/deposits/{id}/submit":
		s := f.target(role, which, false, share)
		if which != unknown {
			f.e.upload(s.tok, s.d.ID, "piece.pdf", []byte("contenu"))
		}
		c.path = strings.Replace(path, "{id}", pick(s.d.ID, s.d.ID), 1)
	case "GET /api/v1/deposits/{id}/files/{fid}":
		s := f.target(role, which, true, share)
		fid := f.file(s)
		c.path = api.PathDeposits + "/" + pick(s.d.ID, s.d.ID) + "/files/" + pick(fid, fid)
	case "POST /api/v1/uploads/{$}":
		d := f.target(role, which, false, share).d
		c.hdr = []string{"Tus-Resumable", "1.0.0", "Upload-Length", "5", "Upload-Metadata", tusMeta(api.MetaDeposit, pick(d.ID, d.ID), api.MetaFilename, "a.txt")}
	case "HEAD /api/v1/uploads/{id}", "PATCH /api/v1/uploads/{id}", "DELETE /api/v1/uploads/{id}":
		// HEAD shares the draft and its upload; PATCH and DELETE change
		// theirs.
		s := f.target(role, which, false, share)
		if s.upload == "" && which != unknown {
			up := f.e.createUpload(s.tok, s.d.ID, "a.txt", 5)
			s.upload = up[strings.LastIndexByte(up, '/')+1:]
		}
		c.path = api.PathUploads + pick(s.upload, s.upload)
		c.hdr = []string{"Tus-Resumable", "1.0.0"}
		if method == "PATCH" {
			c.body = []byte("abc")
			c.hdr = append(c.hdr, "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
		}
	case "OPTIONS /api/v1/uploads/{$}":
		c.hdr = []string{"Tus-Resumable", "1.0.0"}
	case "POST /api/v1/courts":
		c.body, c.hdr = jsonBody(fmt.Sprintf(`{"code":"TJ-%d","name":"Tribunal %d"}`, n, n))
	case "GET /api/v1/courts/{id}/services", "POST /api/v1/courts/{id}/services":
		c.path = strings.Replace(path, "{id}", pick(f.courtA.ID, f.courtB.ID), 1)
		if method == "POST" {
			c.body, c.hdr = jsonBody(fmt.Sprintf(`{"name":"Service %d","email":"service.%d@justice.example"}`, n, n))
		}
	case "GET /api/v1/services/{id}/members":
		c.path = strings.Replace(path, "{id}", pick(f.svcA.ID, f.svcB.ID), 1)
	case "PUT /api/v1/services/{id}/members/{uid}", "DELETE /api/v1/services/{id}/members/{uid}":
		court, svc := f.courtA, f.svcA
		if which == other {
			court, svc = f.courtB, f.svcB
		}
		nu := newUser(fmt.Sprintf("member.%d@justice.example", n), navette.RoleAgent)
		nu.CourtID = court.ID
		u, err := f.e.app.Accounts.Create(context.Background(), nu)
		if err != nil {
			t.Fatal(err)
		}
		if method == "DELETE" {
			if err := f.e.app.Accounts.AddMember(context.Background(), &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}, svc.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		c.path = api.PathServices + "/" + pick(svc.ID, svc.ID) + "/members/" + u.ID
	case "GET /api/v1/admin/requests/{id}", "POST /api/v1/admin/requests/{id}/approve", "POST /api/v1/admin/requests/{id}/reject":
		c.path = strings.Replace(path, "{id}", f.adminRequest(t, role, which, n), 1)
	case "GET /api/v1/admin/users/{id}", "PATCH /api/v1/admin/users/{id}", "POST /api/v1/admin/users/{id}/reset-totp", "GET /api/v1/admin/users/{id}/tokens":
		ownID := f.svcA.ID
		if u := f.user[role]; u != nil {
			ownID = u.ID
		}
		c.path = strings.Replace(path, "{id}", pick(ownID, f.svcB.ID), 1)
		if method == "PATCH" {
			c.body, c.hdr = jsonBody(`{}`)
		}
	case "DELETE /api/v1/admin/users/{id}/sessions/{sid}":
		c.path = f.liveSession(t, pick(f.ownOrService(role), f.svcB.ID))
	case "POST /api/v1/admin/directories/{source}/import":
		c.path = strings.Replace(path, "{source}", pick("lawyers", "lawyers"), 1) + "?dry_run=1"
		if which == unknown {
			c.path = strings.Replace(path, "{source}", "nosuchflow", 1)
		}
		c.body = []byte("cnbf;nom;prenom;barreau;email;statut;date_maj\n1;Durand;Paul;Amiens;paul.durand@avocat.example;actif;2026-11-01\n")
		c.hdr = []string{"Content-Type", "text/csv"}
	case "/":
		c.method, c.path = "GET", "/no/such/page"
	case "GET /dev/mail/{id}", "GET /dev/mail/{id}/html":
		c.path = strings.Replace(path, "{id}", unknownID, 1)
	case "POST /api/v1/admin/notices/{id}/replay":
		c.path = strings.Replace(path, "{id}", unknownID, 1)
	case "GET /api/v1/deposits/{id}/receipts", "GET /api/v1/deposits/{id}/evidence", "GET /api/v1/deposits/{id}/case-evidence":
		d := f.target(role, which, true, share).d
		c.path = strings.Replace(path, "{id}", pick(d.ID, d.ID), 1)
	case "GET /api/v1/receipts/{rid}":
		rid := unknownID + "-0"
		if r := f.receipt(t, f.target(role, which, true, share)); r != "" {
			rid = r
		}
		c.path = api.PathReceipts + "/" + rid
	}
	return c
}

// adminRequest returns the id of a pending request role's user may review:
// for which own, a membership of court A's mailbox, asked by the court
// admin for the platform admin and by the platform admin for the court
// admin; for other, one of court B's mailbox asked by the court admin of
// court B (a platform admin sees it, court A's admin does not); for
// unknown, an unknown id.
func (f *policyFixture) adminRequest(t *testing.T, role navette.Role, which, n int) string {
	t.Helper()
	if which == unknown {
		return navette.NewID()
	}
	ctx := context.Background()
	court, svc, requester := f.courtA, f.svcA, f.user[navette.RoleCourtAdmin]
	if role != navette.RoleAdmin {
		requester = f.user[navette.RoleAdmin]
	}
	if which == other {
		court, svc = f.courtB, f.svcB
		u, err := f.e.app.Accounts.Create(ctx, account.NewUser{Email: fmt.Sprintf("ca.b.%d@justice.example", n), Name: "CA B", Role: navette.RoleCourtAdmin, CourtID: court.ID})
		if err != nil {
			t.Fatal(err)
		}
		requester = u
	}
	nu := newUser(fmt.Sprintf("asked.%d@justice.example", n), navette.RoleAgent)
	nu.CourtID = court.ID
	u, err := f.e.app.Accounts.Create(ctx, nu)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.e.app.Accounts.RequestAddMember(ctx, requester, svc.ID, u.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// do sends c with token and returns the answer with its body read.
func (f *policyFixture) do(t *testing.T, c call, token string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, f.e.url+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(c.hdr); i += 2 {
		req.Header.Set(c.hdr[i], c.hdr[i+1])
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
	return resp, b
}

func TestPolicy(t *testing.T) {
	f := newPolicyFixture(t, func(c *app.Config) {
		c.DevMail = true
		// The code routes answer after AnswerTime whatever the address,
		// which is not what this test is about (TestTimingTellsNothing
		// is): a millisecond, not 250 for each of the walk's requests.
		c.Auth.AnswerTime = time.Millisecond
	})
	routes, err := f.e.app.Server.Routes()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Pattern] = true
		rl, ok := policy[rt.Pattern]
		if !ok {
			t.Errorf("route %q is missing from the policy table", rt.Pattern)
			continue
		}
		for _, role := range policyRoles {
			for which := own; which <= unknown; which++ {
				wantStatus := rl.expected(role, which)
				if wantStatus == 0 {
					continue
				}
				if wantStatus == -1 {
					// Refused: check every case that the route has.
					if which > own && !strings.Contains(rt.Pattern, "{") {
						continue
					}
					wantStatus = 403
					if role == "" {
						wantStatus = 401
					}
				}
				c := f.request(t, rt.Pattern, role, which)
				var body io.Reader
				if c.body != nil {
					body = bytes.NewReader(c.body)
				}
				resp, b := f.do(t, c, f.tok[role], body)
				if resp.StatusCode != wantStatus {
					t.Errorf("%q as %q, case %d: got %d, want %d (%.200s)", rt.Pattern, role, which, resp.StatusCode, wantStatus, b)
				}
			}
		}
	}
	for p := range policy {
		if !seen[p] {
			t.Errorf("the policy table names %q, which the server does not have", p)
		}
	}
}

// TestWrongMethod: a method a path does not take gets 405 with the methods
// it takes (Allow), as a problem document, whoever asks and whether or not
// what the path names exists; a path that names nothing gets 404.
func TestWrongMethod(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.txt": []byte("a")})
	for _, c := range []struct{ method, path, token, allow string }{
		{"PUT", api.PathDeposits, e.agent, "GET, HEAD, POST"},
		{"PATCH", api.PathDeposits + "/" + d.ID, e.agent, "DELETE, GET, HEAD"},
		{"PATCH", api.PathDeposits + "/" + strings.Repeat("a", 32), e.lawyer, "DELETE, GET, HEAD"},
		{"GET", api.PathDeposits + "/" + d.ID + "/submit", e.agent, "POST"},
		{"DELETE", "/api/v1/journal/keys", "", "GET, HEAD"},
		{"POST", "/healthz", "", "GET, HEAD"},
	} {
		resp, b := e.do(c.method, c.path, c.token, nil)
		if p := e.problem(resp, b, http.StatusMethodNotAllowed); !strings.Contains(p.Detail, c.method) {
			t.Errorf("%s %s: %q", c.method, c.path, p.Detail)
		}
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	for _, path := range []string{"/api/v1/nope", api.PathDeposits + "/" + d.ID + "/nope"} {
		resp, b := e.do("GET", path, e.agent, nil)
		e.problem(resp, b, http.StatusNotFound)
	}
}
