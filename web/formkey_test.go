package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"navette"
)

// formKeyField is a form's idempotency key field.
var formKeyField = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

// pageFormKey returns the idempotency key of the form of page body that
// posts to action.
func pageFormKey(t *testing.T, body, action string) string {
	t.Helper()
	_, form, ok := strings.Cut(body, `action="`+action+`"`)
	form, _, _ = strings.Cut(form, "</form>")
	m := formKeyField.FindStringSubmatch(form)
	if !ok || m == nil {
		t.Fatalf("no form posting to %s with an idempotency key", action)
	}
	return m[1]
}

// TestFormsMakeTheirDepositOnce: the reply and forward forms of a deposit
// page carry an idempotency key, new each time the page is shown; sent
// twice (a double click, the browser's resend after a cut, back then
// send), each makes one deposit and both answers open it; the key sent
// with another form's content is refused in French, nothing made.
func TestFormsMakeTheirDepositOnce(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	colleague, err := f.accounts.CreateUser(ctx, "collegue@justice.example", "Collègue", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	parquet, err := f.accounts.CreateUser(ctx, "parquet@justice.example", "Parquet", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	v := f.depositFrom(t, parquet, f.agent, "Parquet 26/777")

	// The agent answers: one draft for two posts.
	page := f.get(t, f.agent, DepositPath(v.ID)).Body.String()
	key := pageFormKey(t, page, "/deposits/"+v.ID+"/reply")
	if again := pageFormKey(t, f.get(t, f.agent, DepositPath(v.ID)).Body.String(), "/deposits/"+v.ID+"/reply"); again == key {
		t.Errorf("the page shown twice has the same key %q", key)
	}
	form := "csrf=csrf-token&message=Bien+re%C3%A7u&idempotency_key=" + url.QueryEscape(key)
	first := f.post(t, f.agent, DepositPath(v.ID)+"/reply", form)
	second := f.post(t, f.agent, DepositPath(v.ID)+"/reply", form)
	if first.Code != 303 || second.Code != 303 || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Errorf("the reply form sent twice: %d to %q, then %d to %q; want both to the same draft",
			first.Code, first.Header().Get("Location"), second.Code, second.Header().Get("Location"))
	}
	drafts, err := f.h.Deposits.Drafts(ctx, f.agent)
	if err != nil || len(drafts) != 1 {
		t.Errorf("the agent's drafts after the reply form sent twice: %d (%v), want 1", len(drafts), err)
	}
	other := f.post(t, f.agent, DepositPath(v.ID)+"/reply", "csrf=csrf-token&message=Autre&idempotency_key="+url.QueryEscape(key))
	if other.Code != 422 || !strings.Contains(other.Body.String(), "Ce formulaire a déjà servi pour une autre demande") {
		t.Errorf("the key with another message: %d, want 422 saying the form served already", other.Code)
	}
	if drafts, _ := f.h.Deposits.Drafts(ctx, f.agent); len(drafts) != 1 {
		t.Errorf("the agent's drafts after a refused reply: %d, want 1", len(drafts))
	}

	// An agent who received a deposit forwards it: one forward for two
	// posts.
	in := f.depositFrom(t, parquet, f.agent, "Parquet 26/778")
	key = pageFormKey(t, f.get(t, f.agent, DepositPath(in.ID)).Body.String(), "/deposits/"+in.ID+"/forward")
	form = "csrf=csrf-token&to=" + url.QueryEscape(colleague.Email) + "&idempotency_key=" + url.QueryEscape(key)
	first = f.post(t, f.agent, DepositPath(in.ID)+"/forward", form)
	second = f.post(t, f.agent, DepositPath(in.ID)+"/forward", form)
	if first.Code != 303 || second.Code != 303 || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Errorf("the forward form sent twice: %d to %q, then %d to %q; want both to the same forward",
			first.Code, first.Header().Get("Location"), second.Code, second.Header().Get("Location"))
	}
	got, _, err := f.h.Deposits.List(ctx, colleague, navette.BoxInbox, "", 0)
	if err != nil || len(got) != 1 {
		t.Errorf("the colleague's inbox after the forward form sent twice: %d deposits (%v), want 1", len(got), err)
	}
}

// TestRefusalSaysWhy: a reply sure to be refused (a partner's to an agent
// who sent in person and is in no mailbox) is not offered on the deposit's
// page; posted all the same, its refusal, whose message says why, is shown
// on the 403 page, in French, not the generic "your role does not allow
// this action", which a lawyer allowed to reply would read as false.
func TestRefusalSaysWhy(t *testing.T) {
	f := newFixture(t, "")
	v := f.deposit(t, "RG 26/9", map[string][]byte{"a.pdf": []byte("a")})
	if page := f.get(t, f.lawyer, DepositPath(v.ID)); page.Code != 200 || strings.Contains(page.Body.String(), `action="/deposits/`+v.ID+`/reply"`) {
		t.Errorf("the lawyer's page: %d, offers a reply sure to be refused", page.Code)
	}
	w := f.post(t, f.lawyer, DepositPath(v.ID)+"/reply", "csrf=csrf-token&message=x")
	want := "Vous ne pouvez pas répondre à ce dépôt : Les partenaires n’envoient de dépôts qu’aux boîtes de service des juridictions, pas à « " + f.agent.Email + " » en personne."
	if body := w.Body.String(); w.Code != 403 || !strings.Contains(body, want) || strings.Contains(body, "votre rôle ne permet pas") {
		t.Errorf("a partner's reply to an agent in person: %d, want 403 saying %q:\n%s", w.Code, want, body)
	}
	if w := f.get(t, f.lawyer, "/admin/settings"); w.Code != 403 || !strings.Contains(w.Body.String(), "votre rôle ne permet pas cette action") {
		t.Errorf("a partner on the settings page: %d, want 403 with the generic text:\n%s", w.Code, w.Body.String())
	}
}
