package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/api"
)

// TestTwoPersonAPI: through the API, a court admin who adds themself to
// their court's mailbox gets a request (202), not a membership: what the
// mailbox received stays out of their reach (404) until another admin
// approves; they cannot approve it themself; approval runs it once, and
// the journal links request, approval and execution. The reviewers are
// e-mailed.
func TestTwoPersonAPI(t *testing.T) {
	f := newPolicyFixture(t)
	e, ctx := f.e, context.Background()
	ca, caTok, adminTok := f.user[navette.RoleCourtAdmin], f.tok[navette.RoleCourtAdmin], f.tok[navette.RoleAdmin]

	// A partner deposits to court A's mailbox.
	d := f.available(f.tok[navette.RolePartner], f.svcA.Email)
	var files api.FileList
	e.doJSON("GET", api.PathDeposits+"/"+d.ID+"/files", f.tok[navette.RoleAgent], nil, 200, &files)
	if len(files.Files) != 1 {
		t.Fatalf("files: %+v", files)
	}
	fileURL := api.PathDeposits + "/" + d.ID + "/files/" + files.Files[0].ID

	var req api.Request
	e.doJSON("PUT", api.PathServices+"/"+f.svcA.ID+"/members/"+ca.ID+"?reason=permanence", caTok, nil, http.StatusAccepted, &req)
	if req.State != "pending" || req.Action != "member.add" || req.Requester != ca.ID || req.Reason != "permanence" || len(req.SHA256) != 64 {
		t.Fatalf("request: %+v", req)
	}
	// Not a member: the mailbox's deposit is not theirs.
	for _, path := range []string{api.PathDeposits + "/" + d.ID, fileURL} {
		if resp, _ := e.do("GET", path, caTok, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s before approval: %d, want 404", path, resp.StatusCode)
		}
	}
	var inbox api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=inbox", caTok, nil, 200, &inbox)
	if slices.ContainsFunc(inbox.Deposits, func(x api.Deposit) bool { return x.ID == d.ID }) {
		t.Error("the mailbox's deposit is in the requester's inbox before approval")
	}
	resp, body := e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", caTok, strings.NewReader(`{"sha256":"`+req.SHA256+`"}`), "Content-Type", "application/json")
	if p := e.problem(resp, body, http.StatusForbidden); !strings.Contains(p.Detail, "own request") {
		t.Errorf("self-approval: %+v", p)
	}
	resp, body = e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", adminTok, strings.NewReader(`{"sha256":"`+strings.Repeat("0", 64)+`"}`), "Content-Type", "application/json")
	e.problem(resp, body, http.StatusConflict)

	var list api.RequestList
	e.doJSON("GET", api.PathAdminRequests+"?state=pending", adminTok, nil, 200, &list)
	if len(list.Requests) != 1 || list.Requests[0].ID != req.ID {
		t.Fatalf("pending for the admin: %+v", list)
	}
	mails, err := e.app.Meta.Notices(ctx, navette.NoticeFilter{UserID: f.user[navette.RoleAdmin].ID})
	if err != nil || !slices.ContainsFunc(mails, func(n *navette.Notice) bool { return n.Kind == navette.NoticeApproval }) {
		t.Errorf("the platform admin was not e-mailed: %v, %v", mails, err)
	}

	var done api.Request
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", adminTok, api.Approve{SHA256: req.SHA256}, 200, &done)
	if done.State != "executed" || done.Reviewer != f.user[navette.RoleAdmin].ID || done.ExecutedAt == nil {
		t.Fatalf("approved: %+v", done)
	}
	if resp, _ := e.do("GET", fileURL, caTok, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("download once approved: %d", resp.StatusCode)
	}
	resp, body = e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", adminTok, nil)
	e.problem(resp, body, http.StatusConflict)

	var evs api.EventList
	e.doJSON("GET", api.PathEvents+"?limit=1000", adminTok, nil, 200, &evs)
	var linked []string
	for _, ev := range evs.Events {
		if strings.HasPrefix(ev.Detail, req.ID+" ") {
			linked = append(linked, ev.Type+" "+ev.ActorID)
		}
	}
	want := []string{"request.created " + ca.ID, "request.approved " + f.user[navette.RoleAdmin].ID, "request.executed " + ca.ID}
	if !slices.Equal(linked, want) {
		t.Errorf("journal: %v, want %v", linked, want)
	}
}

// TestTwoPersonRolesAPI: granting the admin role and restoring a revoked
// person through the API wait for a second admin; a forced directory flow
// too, and the approved request is used once, by its requester, for
// exactly the flow approved.
func TestTwoPersonRolesAPI(t *testing.T) {
	f := newPolicyFixture(t)
	e := f.e
	adminTok := f.tok[navette.RoleAdmin]
	agent := f.user[navette.RoleAgent]
	e.user("admin2@justice.example", "Admin 2", navette.RoleAdmin)
	admin2Tok := e.token("admin2@justice.example")

	var req api.Request
	role := "admin"
	e.doJSON("PATCH", api.PathAdminUsers+"/"+agent.ID, adminTok, api.UpdateUser{Role: &role, Reason: "astreinte"}, http.StatusAccepted, &req)
	if u, _ := e.app.Meta.User(context.Background(), agent.ID); u.Role != navette.RoleAgent {
		t.Fatalf("role before approval: %s", u.Role)
	}
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", admin2Tok, nil, 200, nil)
	if u, _ := e.app.Meta.User(context.Background(), agent.ID); u.Role != navette.RoleAdmin {
		t.Fatalf("role after approval: %s", u.Role)
	}

	off, on := true, false
	e.doJSON("PATCH", api.PathAdminUsers+"/"+f.user[navette.RoleAuditor].ID, adminTok, api.UpdateUser{Disabled: &off}, 200, nil)
	e.doJSON("PATCH", api.PathAdminUsers+"/"+f.user[navette.RoleAuditor].ID, adminTok, api.UpdateUser{Disabled: &on}, http.StatusAccepted, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/reject", admin2Tok, nil, 200, nil)
	if u, _ := e.app.Meta.User(context.Background(), f.user[navette.RoleAuditor].ID); !u.Disabled {
		t.Error("a rejected restoration took effect")
	}

	flow := "cnbf;nom;prenom;barreau;email;statut;date_maj\n1;Durand;Paul;Amiens;paul.durand@avocat.example;actif;2026-11-01\n"
	other := flow + "2;Roy;Anne;Amiens;anne.roy@avocat.example;actif;2026-11-01\n"
	post := func(path, body string) (*http.Response, []byte) {
		return e.do("POST", api.PathAdminDirectory+"/lawyers/import"+path, adminTok, strings.NewReader(body), "Content-Type", "text/csv")
	}
	resp, body := post("?force=1&reason=flux+du+CNB", flow)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"directory.force"`) {
		t.Fatalf("forced import: %d %s", resp.StatusCode, body)
	}
	var forced api.Request
	var list api.RequestList
	e.doJSON("GET", api.PathAdminRequests+"?state=pending", admin2Tok, nil, 200, &list)
	if len(list.Requests) != 1 {
		t.Fatalf("pending: %+v", list)
	}
	forced = list.Requests[0]
	resp, body = post("?force=1&request="+forced.ID, flow)
	e.problem(resp, body, http.StatusConflict) // not approved yet
	e.doJSON("POST", api.PathAdminRequests+"/"+forced.ID+"/approve", admin2Tok, api.Approve{SHA256: forced.SHA256}, 200, nil)
	resp, body = post("?force=1&request="+forced.ID, other)
	e.problem(resp, body, http.StatusConflict) // not the flow approved
	if resp, body := post("?force=1&request="+forced.ID, flow); resp.StatusCode != 200 {
		t.Fatalf("the approved flow: %d %s", resp.StatusCode, body)
	}
	resp, body = post("?force=1&request="+forced.ID, flow)
	e.problem(resp, body, http.StatusConflict) // used once
}
