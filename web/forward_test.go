package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"navette"
)

// TestForwardForm: the deposit page offers the forward to an agent who
// received the deposit, not to a partner; the form makes the forward and
// opens its page; a partner as target is refused with the service's
// message.
func TestForwardForm(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	parquet, err := f.accounts.CreateUser(ctx, "parquet@justice.example", "Parquet", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	colleague, err := f.accounts.CreateUser(ctx, "collegue@justice.example", "Collègue", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	v := f.depositFrom(t, parquet, f.agent, "Parquet 26/777")
	form := `action="/deposits/` + v.ID + `/forward"`
	if w := f.get(t, f.agent, DepositPath(v.ID)); w.Code != 200 || !strings.Contains(w.Body.String(), form) {
		t.Fatalf("the recipient agent's page: %d, forward form shown %v", w.Code, strings.Contains(w.Body.String(), form))
	}
	if w := f.get(t, parquet, DepositPath(v.ID)); strings.Contains(w.Body.String(), "/forward\"") {
		t.Errorf("the sender's page offers the forward")
	}
	other := f.deposit(t, "RG 26/1", map[string][]byte{"a.pdf": []byte("a")})
	if w := f.get(t, f.lawyer, DepositPath(other.ID)); w.Code != 200 || strings.Contains(w.Body.String(), "/forward\"") {
		t.Errorf("a partner's page: %d, offers the forward", w.Code)
	}

	w := f.post(t, f.agent, DepositPath(v.ID)+"/forward", "csrf=csrf-token&to="+url.QueryEscape(f.lawyer.Email))
	if w.Code != 422 || !strings.Contains(w.Body.String(), "partner") {
		t.Errorf("a forward to a partner: %d, want 422 saying why", w.Code)
	}
	w = f.post(t, f.agent, DepositPath(v.ID)+"/forward", "csrf=csrf-token&message=Pour+attribution&retention=5&to="+url.QueryEscape(" "+colleague.Email+", "))
	loc := w.Header().Get("Location")
	if w.Code != 303 || !strings.HasSuffix(loc, "?done=forwarded") {
		t.Fatalf("forward: %d to %q", w.Code, loc)
	}
	fwPath := strings.TrimSuffix(loc, "?done=forwarded")
	page := f.get(t, colleague, fwPath)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "Parquet 26/777") || !strings.Contains(page.Body.String(), "Pour attribution") {
		t.Errorf("the colleague's page of the forward: %d", page.Code)
	}
	for who, link := range map[*navette.User]bool{parquet: false, f.agent: true} {
		body := f.get(t, who, DepositPath(v.ID)).Body.String()
		if !strings.Contains(body, "Transmissions") || !strings.Contains(body, colleague.Email) || !strings.Contains(body, f.agent.Email) {
			t.Errorf("%s: the original's page does not list the forward, by whom, to whom", who.Email)
		}
		if strings.Contains(body, `href="`+fwPath+`"`) != link || strings.Contains(body, "Pour attribution") {
			t.Errorf("%s: the original's page links the forward %v (want %v) or tells its message", who.Email, !link, link)
		}
	}
}
