package app_test

import (
	"net/http"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testpg"
)

// TestReplyFromSpaceAPI replies through the API, on SQLite and PostgreSQL,
// to a deposit a lawyer sent to a service mailbox: by default on behalf of
// the mailbox, in person when asked; a mailbox the replier is no member of
// is refused as in a sending (422), a person who may not see the deposit
// gets the 404 of a miss; the other members find the reply in their sent
// list and extend it.
func TestReplyFromSpaceAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testReplyFromSpaceAPI(t, newEnv(t)) })
	t.Run("postgresql", func(t *testing.T) {
		pg := testpg.Start(t)
		testReplyFromSpaceAPI(t, newEnv(t, func(c *app.Config) { c.DB = pg.NewDatabase(t) }))
	})
}

func testReplyFromSpaceAPI(t *testing.T, e *env) {
	ctx := t.Context()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-R", "Tribunal judiciaire R")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe R", "greffe.r@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe civil R", "civil.r@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	clerk := e.user("clerk.r@justice.example", "Clerk", navette.RoleAgent)
	member := e.user("member.r@justice.example", "Member", navette.RoleAgent)
	outsider := e.user("outsider.r@justice.example", "Outsider", navette.RoleAgent)
	for _, email := range []string{"clerk.r@justice.example", "member.r@justice.example"} {
		if err := e.app.Accounts.AddMember(ctx, op, svc.ID, userID(t, e, email)); err != nil {
			t.Fatal(err)
		}
	}
	d := e.createDepositRef(e.lawyer, "RG 26/77", svc.Email)
	e.upload(e.lawyer, d.ID, "conclusions.pdf", []byte("conclusions"))
	d = e.submit(e.lawyer, d.ID)

	path := api.PathDeposits + "/" + d.ID + "/reply"
	inPerson := ""
	for _, tc := range []struct {
		name   string
		token  string
		from   string
		status int
	}{
		{"a mailbox one is no member of", clerk, other.Email, http.StatusUnprocessableEntity},
		{"a person, not a mailbox", clerk, "member.r@justice.example", http.StatusUnprocessableEntity},
		{"a non-member on behalf of the mailbox", outsider, svc.Email, http.StatusNotFound},
	} {
		resp, b := e.do("POST", path, tc.token, jsonReader(api.Reply{FromSpace: &tc.from}), "Content-Type", "application/json")
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, b, tc.status)
		}
	}

	var own api.Deposit
	e.doJSON("POST", path, clerk, api.Reply{FromSpace: &inPerson}, http.StatusCreated, &own)
	if own.FromSpace != nil {
		t.Errorf("a reply in person is from %+v", own.FromSpace)
	}
	var r api.Deposit
	e.doJSON("POST", path, clerk, api.Reply{Message: "Bien reçu", RetentionDays: 10}, http.StatusCreated, &r)
	if r.FromSpace == nil || r.FromSpace.Email != svc.Email || len(r.Recipients) != 1 || r.Recipients[0].Email != lawyerEmail {
		t.Fatalf("the default reply is from %+v to %+v; want the mailbox to the lawyer", r.FromSpace, r.Recipients)
	}
	e.upload(clerk, r.ID, "accuse.pdf", []byte("accusé"))
	r = e.submit(clerk, r.ID)

	var sent api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=sent", member, nil, http.StatusOK, &sent)
	if len(sent.Deposits) != 1 || sent.Deposits[0].ID != r.ID || sent.Deposits[0].FromSpace == nil {
		t.Fatalf("the member's sent list: %+v", sent.Deposits)
	}
	e.doJSON("POST", api.PathDeposits+"/"+r.ID+"/extend", member, api.Extend{Days: 1}, http.StatusOK, nil)
	e.doJSON("GET", api.PathDeposits+"?box=sent", outsider, nil, http.StatusOK, &sent)
	if len(sent.Deposits) != 0 {
		t.Errorf("an outsider's sent list: %+v", sent.Deposits)
	}
	if evs := e.events(r.ID, navette.EventDepositReply); len(evs) != 1 || evs[0].ActorID != userID(t, e, "clerk.r@justice.example") {
		t.Errorf("deposit.reply events %+v; want one by the clerk", evs)
	}

	var back api.Deposit
	e.doJSON("POST", api.PathDeposits+"/"+r.ID+"/reply", e.lawyer, api.Reply{}, http.StatusCreated, &back)
	if len(back.Recipients) != 1 || back.Recipients[0].Email != svc.Email {
		t.Errorf("the lawyer's answer goes to %+v, want the mailbox", back.Recipients)
	}
}
