package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
)

// createKeyed posts the draft in with the Idempotency-Key field value key.
func (e *env) createKeyed(token, key string, in api.CreateDeposit) (*http.Response, []byte) {
	e.t.Helper()
	return e.postKeyed(api.PathDeposits, token, key, in)
}

// postKeyed posts in as JSON to path with the Idempotency-Key field value
// key.
func (e *env) postKeyed(path, token, key string, in any) (*http.Response, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(in)
	return e.do("POST", path, token, bytes.NewReader(b), "Content-Type", "application/json", api.HeaderIdempotencyKey, key)
}

// createdID returns the id of the deposit a creation answered with, failing
// the test unless it is 201 Created.
func (e *env) createdID(resp *http.Response, body []byte) string {
	e.t.Helper()
	var d api.Deposit
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create: got %d %s, want 201", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &d); err != nil || d.ID == "" {
		e.t.Fatalf("create: %v in %s", err, body)
	}
	if loc := resp.Header.Get("Location"); loc != api.PathDeposits+"/"+d.ID {
		e.t.Errorf("create: Location %q, want %q", loc, api.PathDeposits+"/"+d.ID)
	}
	return d.ID
}

// drafts returns the ids of the drafts token's user sent.
func (e *env) drafts(token string) []string {
	e.t.Helper()
	var l api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=sent", token, nil, http.StatusOK, &l)
	var ids []string
	for _, d := range l.Deposits {
		if d.State == string(navette.DepositDraft) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

var keyedDraft = api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "Parquet 26/00042", Message: "Pièces du dossier", RetentionDays: 7}

// TestIdempotencyKeyRepeat: a creation repeated with its Idempotency-Key
// and the same body answers with the draft the first made, even when the
// repeat's JSON is written differently; a repeat with another body is
// refused; another person's same key is another key; and once the key has
// lived its day, it makes a new draft.
func TestIdempotencyKeyRepeat(t *testing.T) {
	e := newEnv(t)
	first := e.createdID(e.createKeyed(e.agent, `"k-1"`, keyedDraft))
	spaced := `{ "reference": "Parquet 26/00042", "recipients": ["` + lawyerEmail + `"], "retention_days": 7, "message": "Pièces du dossier" }`
	resp, b := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(spaced), "Content-Type", "application/json", api.HeaderIdempotencyKey, `"k-1"`)
	if got := e.createdID(resp, b); got != first {
		t.Errorf("repeat: got deposit %s, want the first, %s", got, first)
	}
	if got := e.drafts(e.agent); len(got) != 1 || got[0] != first {
		t.Errorf("drafts after a repeat: got %v, want [%s]", got, first)
	}

	other := keyedDraft
	other.Message = "Autres pièces"
	resp, b = e.createKeyed(e.agent, `"k-1"`, other)
	if p := e.problem(resp, b, http.StatusUnprocessableEntity); p.Type != navette.ProblemIdempotencyKeyReused {
		t.Errorf("key reused for another body: got type %q, want %q", p.Type, navette.ProblemIdempotencyKeyReused)
	}

	colleague := e.user("collegue@justice.example", "Collègue", navette.RoleAgent)
	theirs := e.createdID(e.createKeyed(colleague, `"k-1"`, keyedDraft))
	if theirs == first {
		t.Errorf("another person's same key gave the first person's deposit %s", first)
	}
	if got := e.drafts(e.agent); len(got) != 1 {
		t.Errorf("drafts of the first person after another's same key: got %v, want 1", got)
	}

	e.clock.Advance(navette.IdempotencyKeyLifetime)
	renewed := e.createdID(e.createKeyed(e.agent, `"k-1"`, other))
	if renewed == first {
		t.Errorf("a key past its lifetime gave the old deposit %s", first)
	}
}

// TestIdempotencyKeySyntax: the field is one structured field String of 1
// to 255 printable ASCII characters; anything else is refused with 422 and
// makes nothing.
func TestIdempotencyKeySyntax(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, key string
		want      int
	}{
		{"a string", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`, http.StatusCreated},
		{"escapes", `"a\"b\\c"`, http.StatusCreated},
		{"the longest", `"` + strings.Repeat("k", 255) + `"`, http.StatusCreated},
		{"a bare token", `8e03978e-40d5-43e8-bc93-6894a57f9324`, http.StatusUnprocessableEntity},
		{"empty", `""`, http.StatusUnprocessableEntity},
		{"too long", `"` + strings.Repeat("k", 256) + `"`, http.StatusUnprocessableEntity},
		{"unterminated", `"abc`, http.StatusUnprocessableEntity},
		{"a lone escape", `"a\b"`, http.StatusUnprocessableEntity},
		{"not ASCII", `"clé"`, http.StatusUnprocessableEntity},
		{"a parameter", `"abc";x=1`, http.StatusUnprocessableEntity},
	} {
		resp, b := e.createKeyed(e.agent, tc.key, keyedDraft)
		if resp.StatusCode != tc.want {
			t.Errorf("%q: got %d %s, want %d", tc.name, resp.StatusCode, b, tc.want)
		}
	}
	if got := len(e.drafts(e.agent)); got != 3 {
		t.Errorf("drafts: got %d, want 3", got)
	}
}

// TestIdempotencyKeyConcurrent: creations sent at once with one key make
// one draft; each is answered with it or, while the first is being
// processed, with 409 and a Retry-After.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	e := newEnv(t)
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, b := e.createKeyed(e.agent, `"same"`, keyedDraft)
			switch resp.StatusCode {
			case http.StatusCreated:
				var d api.Deposit
				if err := json.Unmarshal(b, &d); err != nil {
					t.Errorf("create: %v in %s", err, b)
				}
				ids[i] = d.ID
			case http.StatusConflict:
				var p api.Problem
				if err := json.Unmarshal(b, &p); err != nil || p.Type != navette.ProblemIdempotencyKeyInUse || resp.Header.Get("Retry-After") == "" {
					t.Errorf("409: got %s (Retry-After %q), want type %q and a Retry-After", b, resp.Header.Get("Retry-After"), navette.ProblemIdempotencyKeyInUse)
				}
			default:
				t.Errorf("create: got %d %s, want 201 or 409", resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	drafts := e.drafts(e.agent)
	if len(drafts) != 1 {
		t.Fatalf("drafts: got %v, want one", drafts)
	}
	for i, id := range ids {
		if id != "" && id != drafts[0] {
			t.Errorf("request %d: got deposit %s, want %s", i, id, drafts[0])
		}
	}
}

// TestIdempotencyKeyReplyForward: a reply and a forward repeated with their
// Idempotency-Key make one deposit each; the same key and body for another
// deposit is another request, refused.
func TestIdempotencyKeyReplyForward(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	first, second := e.send(map[string][]byte{"a.pdf": []byte("a")}), e.send(map[string][]byte{"b.pdf": []byte("b")})
	replyTo := func(id string) string { return api.PathDeposits + "/" + id + "/reply" }
	answer := api.Reply{Message: "Observations"}
	reply := e.createdID(e.postKeyed(replyTo(first.ID), e.lawyer, `"r-1"`, answer))
	if again := e.createdID(e.postKeyed(replyTo(first.ID), e.lawyer, `"r-1"`, answer)); again != reply {
		t.Errorf("reply repeated: got %s, want the first, %s", again, reply)
	}
	resp, b := e.postKeyed(replyTo(second.ID), e.lawyer, `"r-1"`, answer)
	if p := e.problem(resp, b, http.StatusUnprocessableEntity); p.Type != navette.ProblemIdempotencyKeyReused {
		t.Errorf("the reply's key for another deposit: got type %q, want %q", p.Type, navette.ProblemIdempotencyKeyReused)
	}
	if got := e.drafts(e.lawyer); len(got) != 1 {
		t.Errorf("the lawyer's drafts: got %v, want one reply", got)
	}

	colleague := e.user("collegue@justice.example", "Collègue", navette.RoleAgent)
	e.user("parquet@justice.example", "Parquet", navette.RoleAgent)
	d := e.createDeposit(e.agent, "collegue@justice.example")
	e.upload(e.agent, d.ID, "c.pdf", []byte("c"))
	e.submit(e.agent, d.ID)
	onward := api.Forward{Recipients: []string{"parquet@justice.example"}, Message: "Pour attribution"}
	path := api.PathDeposits + "/" + d.ID + "/forward"
	fw := e.createdID(e.postKeyed(path, colleague, `"f-1"`, onward))
	if again := e.createdID(e.postKeyed(path, colleague, `"f-1"`, onward)); again != fw {
		t.Errorf("forward repeated: got %s, want the first, %s", again, fw)
	}
	var got api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &got)
	if len(got.Forwards) != 1 || got.Forwards[0].ID != fw {
		t.Errorf("forwards: got %+v, want one, %s", got.Forwards, fw)
	}
}

// TestIdempotencyKeyOfAnErasedDraft: the key of a draft discarded and
// erased since names nothing left to give: a repeat is told the draft is
// gone (410), and makes no other.
func TestIdempotencyKeyOfAnErasedDraft(t *testing.T) {
	e := newEnv(t)
	id := e.createdID(e.createKeyed(e.agent, `"k-erased"`, keyedDraft))
	agent, err := e.app.Meta.UserByEmail(t.Context(), agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Deposits.Discard(t.Context(), agent, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Deposits.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, b := e.createKeyed(e.agent, `"k-erased"`, keyedDraft)
	e.problem(resp, b, http.StatusGone)
	if got := e.drafts(e.agent); len(got) != 0 {
		t.Errorf("drafts: got %v, want none", got)
	}
}
