package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"navette"
	"navette/api"
)

// TestFromSpaceAPI sends a deposit on behalf of a service mailbox through
// the API: a member of the mailbox finds it in their sent list, with the
// mailbox, and extends it; a non-member gets the very 404 of a miss; a
// reply goes to the mailbox; sending on behalf of a mailbox one is no
// member of is refused.
func TestFromSpaceAPI(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-F", "Tribunal judiciaire F")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe F", "greffe.f@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	clerk := e.user("clerk.f@justice.example", "Clerk", navette.RoleAgent)
	member := e.user("member.f@justice.example", "Member", navette.RoleAgent)
	outsider := e.user("outsider.f@justice.example", "Outsider", navette.RoleAgent)
	for _, email := range []string{"clerk.f@justice.example", "member.f@justice.example"} {
		if err := e.app.Accounts.AddMember(ctx, op, svc.ID, userID(t, e, email)); err != nil {
			t.Fatal(err)
		}
	}

	resp, b := e.do("POST", api.PathDeposits, outsider, jsonReader(api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "RG 1", FromSpace: svc.Email}), "Content-Type", "application/json")
	e.problem(resp, b, http.StatusUnprocessableEntity)

	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, clerk, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "RG 26/1", RetentionDays: 10, FromSpace: svc.Email}, http.StatusCreated, &d)
	if d.FromSpace == nil || d.FromSpace.Email != svc.Email {
		t.Fatalf("from_space %+v, want the mailbox", d.FromSpace)
	}
	e.upload(clerk, d.ID, "piece.pdf", []byte("contenu"))
	d = e.submit(clerk, d.ID)

	var sent api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=sent", member, nil, http.StatusOK, &sent)
	if len(sent.Deposits) != 1 || sent.Deposits[0].ID != d.ID || sent.Deposits[0].FromSpace == nil {
		t.Fatalf("the member's sent list: %+v", sent.Deposits)
	}
	var ext api.Deposit
	e.doJSON("POST", api.PathDeposits+"/"+d.ID+"/extend", member, api.Extend{Days: 1}, http.StatusOK, &ext)
	if !ext.ExpiresAt.After(*d.ExpiresAt) {
		t.Errorf("expiry %v after the member's extension, was %v", ext.ExpiresAt, d.ExpiresAt)
	}

	// A non-member: the same answer as for a deposit that does not exist.
	resp, b = e.do("POST", api.PathDeposits+"/"+d.ID+"/extend", outsider, jsonReader(api.Extend{Days: 1}), "Content-Type", "application/json")
	got := e.problem(resp, b, http.StatusNotFound)
	resp, b = e.do("POST", api.PathDeposits+"/"+navette.NewID()+"/extend", outsider, jsonReader(api.Extend{Days: 1}), "Content-Type", "application/json")
	miss := e.problem(resp, b, http.StatusNotFound)
	if got.Type != miss.Type || got.Detail != miss.Detail || got.Title != miss.Title {
		t.Errorf("a non-member's refusal %+v differs from a miss %+v", got, miss)
	}

	var reply api.Deposit
	e.doJSON("POST", api.PathDeposits+"/"+d.ID+"/reply", e.lawyer, api.Reply{}, http.StatusCreated, &reply)
	if len(reply.Recipients) != 1 || reply.Recipients[0].Email != svc.Email {
		t.Errorf("the reply goes to %+v, want the mailbox", reply.Recipients)
	}
}

// jsonReader returns v as JSON.
func jsonReader(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
