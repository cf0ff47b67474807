package app_test

import (
	"context"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/notify"
)

// TestTwoPersonAPI: through the API, a court admin who adds themself to
// their court's mailbox gets a request (202), not a membership: what the
// mailbox received stays out of their reach (404) until another admin
// approves; they cannot approve it themself; approval runs it once, and
// the journal links request, approval and execution. The reviewers are
// e-mailed, and the requester once it ran.
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
	// Who asked for their own membership is told once, as its requester.
	mailOnly(t, "the requester and member", e.sentTo(t, ca), navette.NoticeRequestApproved)
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

	// The requester was told of each decision: the role granted (it ran),
	// the restoration refused, the flow approved for them to use.
	got := e.sentTo(t, f.user[navette.RoleAdmin])
	if ms := got[navette.NoticeRequestRejected]; len(ms) != 1 {
		t.Errorf("the requester got %d refusals, want 1", len(ms))
	} else {
		says(t, ms[0], "Votre demande d’action d’administration est refusée", "Admin 2", "rétablissement de l’accès d’une personne")
	}
	approved := got[navette.NoticeRequestApproved]
	if len(approved) != 2 || !slices.ContainsFunc(approved, func(m *notify.Message) bool { return strings.Contains(m.Text, "« Forcer » coché") }) {
		t.Errorf("the requester got %d approvals, none or one saying how to use the flow approved", len(approved))
	}
}

// sentTo waits until no notice to user is pending, and returns the
// messages the node's outbox holds for them, by kind.
func (e *env) sentTo(t *testing.T, user *navette.User) map[navette.NoticeKind][]*notify.Message {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "the notices to "+user.Email, func() bool {
		e.app.Worker.Kick()
		ns, err := e.app.Meta.Notices(ctx, navette.NoticeFilter{UserID: user.ID, State: navette.NoticePending})
		if err != nil {
			t.Fatal(err)
		}
		return len(ns) == 0
	})
	ms, err := e.app.Outbox.List(1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[navette.NoticeKind][]*notify.Message{}
	for _, m := range ms {
		if m.To.Email == user.Email {
			out[m.Kind] = append(out[m.Kind], m)
		}
	}
	return out
}

// says fails t unless m's subject is subject and both its bodies hold
// each of want.
func says(t *testing.T, m *notify.Message, subject string, want ...string) {
	t.Helper()
	if m.Subject != subject {
		t.Errorf("%s: subject %q, want %q", m.Kind, m.Subject, subject)
	}
	for _, w := range want {
		if !strings.Contains(m.Text, w) || !strings.Contains(html.UnescapeString(m.HTML), w) {
			t.Errorf("%s: %q missing from\n%s\n%s", m.Kind, w, m.Text, m.HTML)
		}
	}
}

// mailOnly fails t unless got holds exactly one message of each of kinds and
// none of another kind, and returns them.
func mailOnly(t *testing.T, who string, got map[navette.NoticeKind][]*notify.Message, kinds ...navette.NoticeKind) map[navette.NoticeKind]*notify.Message {
	t.Helper()
	out := map[navette.NoticeKind]*notify.Message{}
	for k, ms := range got {
		if len(ms) != 1 || !slices.Contains(kinds, k) {
			t.Errorf("%s got %d mail(s) of kind %s; want one each of %v", who, len(ms), k, kinds)
		}
		out[k] = ms[0]
	}
	for _, k := range kinds {
		if out[k] == nil {
			t.Errorf("%s got no mail of kind %s", who, k)
		}
	}
	return out
}

// TestTwoPersonMails: when the two-person rule acts on someone, they are
// told. A court admin asks to add an agent to the court's mailbox; once a
// platform admin approves, the agent gets one mail saying which mailbox,
// at whose request, approved by whom, when, and where to look, and the
// requester one saying it was approved and ran. A refused request tells
// its requester who refused it, and nothing to the person it named. A role
// granted and an access restored tell their person too, once (the
// restoration it runs does not mail them again); a requester who
// withdraws their own request is not mailed.
func TestTwoPersonMails(t *testing.T) {
	f := newPolicyFixture(t)
	e, ctx := f.e, context.Background()
	ca, caTok := f.user[navette.RoleCourtAdmin], f.tok[navette.RoleCourtAdmin]
	admin, adminTok := f.user[navette.RoleAdmin], f.tok[navette.RoleAdmin]
	mk := func(email, name string) *navette.User {
		t.Helper()
		nu := newUser(email, navette.RoleAgent)
		nu.Name, nu.CourtID = name, f.courtA.ID
		u, err := e.app.Accounts.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	added, refused := mk("lea.morel@justice.example", "Léa Morel"), mk("marc.roux@justice.example", "Marc Roux")
	ask := func(u *navette.User) api.Request {
		t.Helper()
		var req api.Request
		e.doJSON("PUT", api.PathServices+"/"+f.svcA.ID+"/members/"+u.ID+"?reason=permanence", caTok, nil, http.StatusAccepted, &req)
		return req
	}

	req := ask(added)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", adminTok, api.Approve{SHA256: req.SHA256}, http.StatusOK, nil)
	m := mailOnly(t, "the member", e.sentTo(t, added), navette.NoticeMemberAdded)[navette.NoticeMemberAdded]
	if m != nil {
		says(t, m, "Vous avez été ajouté(e) à une boîte de service", "Greffe A", f.svcA.Email, ca.Name, ca.Email, admin.Name, admin.Email,
			"(heure de Paris)", e.url+"/inbox")
		for _, body := range []string{m.Text, m.HTML} {
			if strings.Contains(body, req.ID) || strings.Contains(body, added.ID) || strings.Contains(body, "permanence") {
				t.Errorf("the member's mail gives an id or the admins' reason:\n%s", body)
			}
		}
	}
	m = mailOnly(t, "the requester", e.sentTo(t, ca), navette.NoticeRequestApproved)[navette.NoticeRequestApproved]
	if m != nil {
		says(t, m, "Votre demande d’action d’administration est approuvée", admin.Name, "exécutée le", "ajout d’une personne à une boîte de service",
			added.Name, "Greffe A", "permanence", e.url+"/admin/requests")
	}

	req = ask(refused)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/reject", adminTok, nil, http.StatusOK, nil)
	m = mailOnly(t, "the requester", e.sentTo(t, ca), navette.NoticeRequestApproved, navette.NoticeRequestRejected)[navette.NoticeRequestRejected]
	if m != nil {
		says(t, m, "Votre demande d’action d’administration est refusée", admin.Name, admin.Email, "a refusé", refused.Name, "Greffe A")
	}
	if got := e.sentTo(t, refused); len(got) != 0 {
		t.Errorf("the person named by a refused request was mailed: %v", got)
	}
	if ms, _ := e.app.Meta.Members(ctx, f.svcA.ID); slices.ContainsFunc(ms, func(x *navette.Member) bool { return x.UserID == refused.ID }) {
		t.Error("a refused membership took effect")
	}

	// A withdrawal is not mailed to the one who withdrew.
	req = ask(refused)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/reject", caTok, nil, http.StatusOK, nil)
	mailOnly(t, "the requester", e.sentTo(t, ca), navette.NoticeRequestApproved, navette.NoticeRequestRejected)

	// A role granted and an access restored, in English for one who reads it.
	e.user("admin2@justice.example", "Admin Deux", navette.RoleAdmin)
	admin2Tok := e.token("admin2@justice.example")
	e.userLang("reader@justice.example", "Anne Reader", navette.RoleAgent, navette.LangEnglish)
	agent, err := e.app.Meta.UserByEmail(ctx, "reader@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	role := "auditor"
	e.doJSON("PATCH", api.PathAdminUsers+"/"+agent.ID, adminTok, api.UpdateUser{Role: &role}, http.StatusAccepted, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", admin2Tok, nil, http.StatusOK, nil)
	m = mailOnly(t, "the new auditor", e.sentTo(t, agent), navette.NoticeRoleGranted)[navette.NoticeRoleGranted]
	if m != nil {
		says(t, m, "You were given a new role on navette", "auditor (reads the audit journal)", admin.Name, "Admin Deux", "(Paris time)", e.url+"/audit")
	}

	off, on := true, false
	auditor := f.user[navette.RoleAuditor]
	e.doJSON("PATCH", api.PathAdminUsers+"/"+auditor.ID, adminTok, api.UpdateUser{Disabled: &off}, http.StatusOK, nil)
	e.doJSON("PATCH", api.PathAdminUsers+"/"+auditor.ID, adminTok, api.UpdateUser{Disabled: &on}, http.StatusAccepted, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", admin2Tok, nil, http.StatusOK, nil)
	m = mailOnly(t, "the restored auditor", e.sentTo(t, auditor), navette.NoticeAccessRevoked, navette.NoticeAccessRestored)[navette.NoticeAccessRestored]
	if m != nil {
		says(t, m, "Votre accès à navette est rétabli", "À la demande de", admin.Name, "Admin Deux")
	}
	if got := e.sentTo(t, admin)[navette.NoticeRequestApproved]; len(got) != 2 {
		t.Errorf("the requester of the role and the restoration got %d approvals", len(got))
	}

	// Every mail sent is journaled.
	evs, err := e.app.Meta.Events(ctx, navette.EventFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, ev := range evs {
		if ev.Type == navette.EventNoticeSent {
			sent[strings.Fields(ev.Detail)[0]]++
		}
	}
	// member_added: the request's, and the fixture's agent, added to the
	// mailbox by hand (which tells them too).
	want := map[string]int{"member_added": 2, "role_granted": 1, "access_restored": 1, "request_approved": 3, "request_rejected": 1}
	for k, n := range want {
		if sent[k] != n {
			t.Errorf("notice.sent %s: %d, want %d", k, sent[k], n)
		}
	}
}
