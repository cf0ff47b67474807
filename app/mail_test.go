package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/api"
	"navette/app"
	"navette/cli"
	"navette/internal/testsmtp"
	"navette/notify"
)

// mailEnv is a node that sends its mail to a real SMTP server.
func mailEnv(t *testing.T, tweak ...func(*app.Config)) (*env, *testsmtp.Server) {
	t.Helper()
	srv := testsmtp.Start(t, testsmtp.Options{})
	e := newEnv(t, append([]func(*app.Config){func(c *app.Config) {
		c.SMTP = srv.URL()
		c.MailFrom = "navette <noreply@justice.example>"
	}}, tweak...)...)
	return e, srv
}

// waitFor polls cond until it holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitMail waits until srv holds n messages to addr and returns them.
func waitMail(t *testing.T, srv *testsmtp.Server, addr string, n int) []*testsmtp.Message {
	t.Helper()
	var got []*testsmtp.Message
	waitFor(t, "mail to "+addr, func() bool {
		got = srv.To(addr)
		return len(got) >= n
	})
	return got
}

// parts returns the decoded text and HTML parts of m.
func parts(t *testing.T, m *testsmtp.Message) (text, html string) {
	t.Helper()
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(bytes.NewReader(m.Body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("message without text or HTML part:\n%s", m.Data)
	}
	return text, html
}

func subject(t *testing.T, m *testsmtp.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// link returns the deposit link a message's text carries.
func (e *env) link(t *testing.T, m *testsmtp.Message) string {
	t.Helper()
	text, html := parts(t, m)
	re := regexp.MustCompile(regexp.QuoteMeta(e.url) + `/d/[a-z2-7]{32}`)
	l := re.FindString(text)
	if l == "" || !strings.Contains(html, `href="`+l+`"`) {
		t.Fatalf("no link to %s/d/… in the text and HTML of:\n%s", e.url, text)
	}
	return l
}

// follow GETs a link from a message with a token, following the redirect,
// and returns the status and the deposit.
func (e *env) follow(t *testing.T, link, token string) (int, api.Deposit) {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d api.Deposit
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, d
}

// userLang adds a user whose e-mails are in lang and returns a token.
func (e *env) userLang(email, name string, role navette.Role, lang string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.app.Accounts.Create(ctx, account.NewUser{Email: email, Name: name, Role: role, Lang: lang}); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.app.Accounts.CreateToken(ctx, email, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) notices(depositID string) []*navette.Notice {
	e.t.Helper()
	ns, err := e.app.Meta.Notices(context.Background(), navette.NoticeFilter{DepositID: depositID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

const englishEmail = "counsel@avocat.example"

// TestEveryKindOfMail follows a deposit through its life and checks every
// message it causes: who gets it, in which language, and that its link
// works for its addressee.
func TestEveryKindOfMail(t *testing.T) {
	e, srv := mailEnv(t)
	counsel := e.userLang(englishEmail, "Counsel Smith", navette.RolePartner, navette.LangEnglish)
	d := e.createDeposit(e.agent, lawyerEmail, englishEmail)
	e.upload(e.agent, d.ID, "pv-audition.pdf", []byte("%PDF-1.7 pièce"))
	e.upload(e.agent, d.ID, "scelles.zip", randomBytes(1000, 3))
	d = e.submit(e.agent, d.ID)

	// A notice to each recipient.
	for _, r := range []struct{ email, token, lang, subject string }{
		{lawyerEmail, e.lawyer, "fr", "Documents déposés à votre intention par Greffe"},
		{englishEmail, counsel, "en", "Documents deposited for you by Greffe"},
	} {
		m := waitMail(t, srv, r.email, 1)[0]
		if got := subject(t, m); got != r.subject || m.Header.Get("Content-Language") != r.lang {
			t.Errorf("notice to %s: subject %q in %q", r.email, got, m.Header.Get("Content-Language"))
		}
		text, _ := parts(t, m)
		for _, want := range []string{"Parquet 26/00042", "Greffe <" + agentEmail + ">", "2\u00a0"} {
			if !strings.Contains(text, want) {
				t.Errorf("notice to %s lacks %q:\n%s", r.email, want, text)
			}
		}
		for _, secret := range []string{"pv-audition.pdf", "scelles.zip", "Pièces du dossier"} {
			if strings.Contains(string(m.Data), secret) {
				t.Errorf("notice to %s shows %q though names are off", r.email, secret)
			}
		}
		if m.From != "noreply@justice.example" {
			t.Errorf("envelope sender %q", m.From)
		}
		status, got := e.follow(t, e.link(t, m), r.token)
		if status != http.StatusOK || got.ID != d.ID {
			t.Errorf("link of the notice to %s: %d %s", r.email, status, got.ID)
		}
		// The link gives nothing to someone else.
		if status, _ := e.follow(t, e.link(t, m), e.stranger); status != http.StatusNotFound {
			t.Errorf("link followed by a stranger: %d, want 404", status)
		}
	}

	// The lawyer downloads: the sender gets a receipt, once.
	for range 2 {
		resp, _ := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("download: %d", resp.StatusCode)
		}
	}
	receipt := waitMail(t, srv, agentEmail, 1)[0]
	if s := subject(t, receipt); !strings.Contains(s, "Maître Avocat") {
		t.Errorf("receipt subject %q", s)
	}
	if text, _ := parts(t, receipt); !strings.Contains(text, lawyerEmail) || !strings.Contains(text, "Parquet 26/00042") {
		t.Errorf("receipt:\n%s", text)
	}
	if status, got := e.follow(t, e.link(t, receipt), e.agent); status != http.StatusOK || got.ID != d.ID {
		t.Errorf("link of the receipt: %d", status)
	}

	// Three days before expiry, a reminder to who has not downloaded.
	e.clock.Advance(4*24*time.Hour + time.Second)
	st, err := e.app.Deposits.Sweep(t.Context())
	if err != nil || st.Reminded != 1 {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	reminder := waitMail(t, srv, englishEmail, 2)[1]
	if s := subject(t, reminder); !strings.HasPrefix(s, "Reminder: documents await you until") {
		t.Errorf("reminder subject %q", s)
	}
	if status, got := e.follow(t, e.link(t, reminder), counsel); status != http.StatusOK || got.ID != d.ID {
		t.Errorf("link of the reminder: %d", status)
	}
	if st, _ := e.app.Deposits.Sweep(t.Context()); st.Reminded != 0 {
		t.Errorf("a second sweep reminded again: %+v", st)
	}

	// At expiry, a report to the sender naming who never fetched.
	e.clock.Advance(3 * 24 * time.Hour)
	if st, err := e.app.Deposits.Sweep(t.Context()); err != nil || st.Expired != 1 {
		t.Fatalf("sweep at expiry: %+v, %v", st, err)
	}
	report := waitMail(t, srv, agentEmail, 2)[1]
	text, _ := parts(t, report)
	if !strings.Contains(text, englishEmail) || strings.Contains(text, lawyerEmail) || !strings.Contains(text, "Parquet 26/00042") {
		t.Errorf("expiry report (made after the keys were destroyed?):\n%s", text)
	}
	if status, got := e.follow(t, e.link(t, report), e.agent); status != http.StatusOK || got.State != "expired" {
		t.Errorf("link of the report: %d %s", status, got.State)
	}

	// Every notice went once, and none is left with a payload.
	if n := srv.Count(); n != 5 {
		t.Errorf("%d messages, want 5 (2 notices, a receipt, a reminder, a report)", n)
	}
	waitFor(t, "every notice recorded as sent", func() bool {
		for _, n := range e.notices(d.ID) {
			if n.State != navette.NoticeSent || n.Payload != nil || !n.Key.IsZero() {
				return false
			}
		}
		return true
	})
	if n := len(e.notices(d.ID)); n != 5 {
		t.Errorf("%d notices, want 5", n)
	}
}

func TestMailCarriesNamesOnlyIfEnabled(t *testing.T) {
	e, srv := mailEnv(t, func(c *app.Config) { c.MailIncludeNames = true })
	d := e.createDeposit(e.agent, lawyerEmail)
	e.upload(e.agent, d.ID, "pv-audition.pdf", []byte("%PDF"))
	e.submit(e.agent, d.ID)
	text, html := parts(t, waitMail(t, srv, lawyerEmail, 1)[0])
	for _, want := range []string{"pv-audition.pdf", "Pièces du dossier"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("%q missing with --mail-include-names:\n%s", want, text)
		}
	}
}

func TestReceiptsCanBeTurnedOff(t *testing.T) {
	e, srv := mailEnv(t)
	off := false
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "RG 1", NotifySender: &off}, http.StatusCreated, &d)
	if d.NotifySender {
		t.Errorf("notify_sender %v, want false", d.NotifySender)
	}
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	d = e.submit(e.agent, d.ID)
	waitMail(t, srv, lawyerEmail, 1)
	if resp, _ := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	// A receipt would have been written with the download, in its
	// transaction.
	for _, n := range e.notices(d.ID) {
		if n.Kind == navette.NoticeReceipt {
			t.Errorf("a receipt was queued though the sender turned them off")
		}
	}
	on := e.createDeposit(e.agent, lawyerEmail)
	if !on.NotifySender {
		t.Errorf("notify_sender is off by default")
	}
}

// TestSMTPDownWhileDepositsAreMade: the mail server is down while 60
// deposits are made; once it is back every notice arrives, none twice.
func TestSMTPDownWhileDepositsAreMade(t *testing.T) {
	e, srv := mailEnv(t)
	srv.Stop()
	const n = 60 // more than a worker batch; 200 took two minutes of the CI run under the race detector
	ids := map[string]bool{}
	for range n {
		d := e.createDeposit(e.agent, lawyerEmail)
		e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
		e.submit(e.agent, d.ID)
		ids[d.ID] = true
	}
	// Every notice was tried and failed, or is still due.
	waitFor(t, "the worker to try every notice", func() bool {
		ns, err := e.app.Meta.Notices(context.Background(), navette.NoticeFilter{Limit: 1000})
		if err != nil || len(ns) != n {
			return false
		}
		for _, x := range ns {
			if x.State != navette.NoticePending || x.Attempts == 0 || x.LastError == "" {
				return false
			}
		}
		return true
	})
	if c := srv.Count(); c != 0 {
		t.Fatalf("%d messages while the server was down", c)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute) // past the first backoff (30 s)
	e.app.Worker.Kick()
	if got := srv.WaitCount(n, 60*time.Second); got != n {
		t.Fatalf("%d messages after the server came back, want %d", got, n)
	}
	waitFor(t, "every notice recorded as sent", func() bool {
		ns, err := e.app.Meta.Notices(context.Background(), navette.NoticeFilter{State: navette.NoticeSent, Limit: 1000})
		return err == nil && len(ns) == n
	})
	// Nothing more goes out.
	if claimed, err := e.app.Worker.RunOnce(context.Background()); err != nil || claimed != 0 {
		t.Errorf("RunOnce after delivery: %d, %v", claimed, err)
	}
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.MessageID()]++
		if len(m.To) != 1 || m.To[0] != lawyerEmail {
			t.Errorf("message to %v", m.To)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct Message-IDs, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s received %d times", id, k)
		}
	}
	for id := range ids {
		if ns := e.notices(id); len(ns) != 1 || ns[0].State != navette.NoticeSent {
			t.Errorf("deposit %s: notices %v", id, ns)
		}
	}
}

// deadLetter sends a deposit to the lawyer and to the stranger, whose
// address srv refuses for good, and returns it and the notice to the
// stranger once it is dead, as the admin of token admin lists it.
func (e *env) deadLetter(srv *testsmtp.Server, admin string) (api.Deposit, api.Notice) {
	e.t.Helper()
	srv.Reject(strangerEmail, true)
	d := e.createDeposit(e.agent, lawyerEmail, strangerEmail)
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	e.submit(e.agent, d.ID)
	var dead api.NoticeList
	waitFor(e.t, "a dead letter", func() bool {
		e.doJSON("GET", api.PathAdminNotices+"?state=dead", admin, nil, http.StatusOK, &dead)
		return len(dead.Notices) == 1
	})
	return d, dead.Notices[0]
}

func TestRejectedAddressGoesToDeadLetters(t *testing.T) {
	e, srv := mailEnv(t)
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	d, dl := e.deadLetter(srv, admin)
	waitMail(t, srv, lawyerEmail, 1) // the others still go
	if dl.To != strangerEmail || dl.Kind != "deposit" || dl.State != "dead" || dl.Attempts != 1 || !strings.Contains(dl.LastError, "550") || dl.DepositID != d.ID {
		t.Errorf("dead letter: %+v", dl)
	}
	// Only admins see and replay them.
	for _, tok := range []string{e.agent, e.lawyer} {
		resp, b := e.do("GET", api.PathAdminNotices+"?state=dead", tok, nil)
		e.problem(resp, b, http.StatusForbidden)
		resp, b = e.do("POST", api.PathAdminNotices+"/"+dl.ID+"/replay", tok, nil)
		e.problem(resp, b, http.StatusForbidden)
	}
	resp, b := e.do("GET", api.PathAdminNotices, "", nil)
	e.problem(resp, b, http.StatusUnauthorized)
	resp, b = e.do("GET", api.PathAdminNotices+"?state=lost", admin, nil)
	e.problem(resp, b, http.StatusUnprocessableEntity)
	resp, b = e.do("POST", api.PathAdminNotices+"/"+navette.NewID()+"/replay", admin, nil)
	e.problem(resp, b, http.StatusNotFound)

	// Once the address is fixed, a replay delivers it, with the same
	// Message-ID.
	srv.Reject(strangerEmail, false)
	var replayed api.Notice
	e.doJSON("POST", api.PathAdminNotices+"/"+dl.ID+"/replay", admin, nil, http.StatusOK, &replayed)
	if replayed.State != "pending" || replayed.Attempts != 0 {
		t.Errorf("replayed: %+v", replayed)
	}
	m := waitMail(t, srv, strangerEmail, 1)[0]
	if m.MessageID() != dl.ID+"@127.0.0.1" {
		t.Errorf("Message-ID %q, want %s@127.0.0.1", m.MessageID(), dl.ID)
	}
	resp, b = e.do("POST", api.PathAdminNotices+"/"+dl.ID+"/replay", admin, nil)
	e.problem(resp, b, http.StatusConflict)
	// The worker journals notice.sent once the SMTP server has accepted the
	// message, so just after the test saw it arrive.
	var got string
	waitFor(t, "the notices journaled", func() bool {
		evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
		var kinds []string
		for _, ev := range evs {
			if strings.HasPrefix(string(ev.Type), "notice.") {
				kinds = append(kinds, string(ev.Type))
			}
		}
		got = strings.Join(kinds, " ")
		return err == nil && strings.Count(got, "notice.sent") >= 2
	})
	if !strings.Contains(got, "notice.dead") || !strings.Contains(got, "notice.replayed") || strings.Count(got, "notice.sent") != 2 {
		t.Errorf("journal of the notices: %s", got)
	}
}

func TestHeaderInjectionIsRefusedAtTheDoor(t *testing.T) {
	e, srv := mailEnv(t)
	for _, ref := range []string{"Parquet 1\r\nBcc: spy@evil.example", "RG\nX: y", "RG\u2028Bcc: x@y.example"} {
		resp, b := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(`{"recipients":["`+lawyerEmail+`"],"reference":`+jsonString(ref)+`}`), "Content-Type", "application/json")
		e.problem(resp, b, http.StatusUnprocessableEntity)
	}
	if _, err := e.app.Accounts.CreateUser(t.Context(), "x@avocat.example", "Evil\r\nBcc: spy@evil.example", navette.RolePartner); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("CreateUser(name with CR LF) = %v", err)
	}
	// A name with quotes and angle brackets is fine, and stays in its
	// header.
	e.user("quoted@avocat.example", `Maître "Bcc: spy@evil.example" <x@y.example>, z@evil.example`, navette.RolePartner)
	d := e.createDeposit(e.agent, "quoted@avocat.example")
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	e.submit(e.agent, d.ID)
	m := waitMail(t, srv, "quoted@avocat.example", 1)[0]
	if len(m.To) != 1 || m.Header.Get("Bcc") != "" {
		t.Errorf("envelope %v, Bcc %q", m.To, m.Header.Get("Bcc"))
	}
	if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "quoted@avocat.example" {
		t.Errorf("To: %v (%v)", to, err)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestLocalOutbox(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.DevMail = true })
	d := e.createDeposit(e.agent, lawyerEmail)
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	e.submit(e.agent, d.ID)
	var ms []*notify.Message
	waitFor(t, "the outbox", func() bool {
		var err error
		ms, err = e.app.Outbox.List(10)
		return err == nil && len(ms) == 1
	})
	m := ms[0]
	if m.To.Email != lawyerEmail || !strings.Contains(m.Text, e.url+"/d/"+d.ID) {
		t.Errorf("message in the outbox: %+v", m)
	}

	// /dev/mail, in the demo.
	resp, b := e.do("GET", "/dev/mail", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "/dev/mail/"+m.NoticeID) || !strings.Contains(string(b), lawyerEmail) {
		t.Fatalf("/dev/mail: %d\n%s", resp.StatusCode, b)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP of /dev/mail: %q", csp)
	}
	resp, b = e.do("GET", "/dev/mail/"+m.NoticeID, "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), e.url+"/d/"+d.ID) || !strings.Contains(string(b), "Parquet 26/00042") {
		t.Fatalf("/dev/mail/ID: %d\n%s", resp.StatusCode, b)
	}
	resp, b = e.do("GET", "/dev/mail/"+m.NoticeID+"/html", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("/dev/mail/ID/html: %d %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	resp, b = e.do("GET", "/dev/mail/"+navette.NewID(), "", nil)
	e.problem(resp, b, http.StatusNotFound)

	// navette mail ls / show read the same outbox.
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Main([]string{"mail", "ls", "--data", e.dir}, env); code != 0 || !strings.Contains(out.String(), m.NoticeID) || !strings.Contains(out.String(), lawyerEmail) {
		t.Fatalf("mail ls: %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := cli.Main([]string{"mail", "show", "--data", e.dir, m.NoticeID}, env); code != 0 || !strings.Contains(out.String(), e.url+"/d/"+d.ID) || !strings.Contains(out.String(), "Message-ID: <"+m.ID+">") {
		t.Fatalf("mail show: %d\n%s%s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := cli.Main([]string{"mail", "show", "--data", e.dir, "nope"}, env); code != 1 || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
		t.Errorf("mail show of an unknown id: %d %q", code, errOut.String())
	}
}

func TestDevMailIsOffUnlessAsked(t *testing.T) {
	for _, tweak := range []func(*app.Config){
		func(c *app.Config) {}, // serve's default
		func(c *app.Config) { c.DevMail = true; c.SMTP = "smtp://127.0.0.1:1" }, // a real server is configured
	} {
		e := newEnv(t, tweak)
		resp, b := e.do("GET", "/dev/mail", "", nil)
		e.problem(resp, b, http.StatusNotFound)
	}
}

func TestAdminMailCommands(t *testing.T) {
	// A mailer that refuses one address for good, then accepts it.
	var refuse atomic.Bool
	refuse.Store(true)
	mailer := notify.MailerFunc(func(_ context.Context, m *notify.Message) error {
		if m.To.Email == strangerEmail && refuse.Load() {
			return navette.Errorf(navette.EINVALID, "550 no such user")
		}
		return nil
	})
	e := newEnv(t, func(c *app.Config) { c.Mailer = mailer })
	d := e.createDeposit(e.agent, strangerEmail)
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	e.submit(e.agent, d.ID)
	var id string
	waitFor(t, "a dead letter", func() bool {
		ns, _ := e.app.Meta.Notices(t.Context(), navette.NoticeFilter{State: navette.NoticeDead})
		if len(ns) == 1 {
			id = ns[0].ID
		}
		return id != ""
	})
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Main([]string{"admin", "mail", "dead", "--data", e.dir}, env); code != 0 || !strings.Contains(out.String(), id) || !strings.Contains(out.String(), "550") {
		t.Fatalf("admin mail dead: %d\n%s%s", code, out.String(), errOut.String())
	}
	refuse.Store(false)
	out.Reset()
	if code := cli.Main([]string{"admin", "mail", "replay", "--data", e.dir, id}, env); code != 0 || !strings.Contains(out.String(), strangerEmail) {
		t.Fatalf("admin mail replay: %d\n%s%s", code, out.String(), errOut.String())
	}
	// The command line runs on the system clock: bring the server's fake
	// clock to the time it set; and kick the worker rather than wait for
	// its poll.
	n, err := e.app.Meta.Notice(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if wait := n.NextAttemptAt.Sub(e.clock.Now()); wait > 0 {
		e.clock.Advance(wait)
	}
	e.app.Worker.Kick()
	waitFor(t, "the replayed notice", func() bool {
		n, err := e.app.Meta.Notice(t.Context(), id)
		return err == nil && n.State == navette.NoticeSent
	})
	errOut.Reset()
	if code := cli.Main([]string{"admin", "mail", "replay", "--data", e.dir, id}, env); code != 1 || !strings.Contains(errOut.String(), "Only a dead notice") {
		t.Errorf("replay of a sent notice: %d %q", code, errOut.String())
	}
}

func TestMailCommandLine(t *testing.T) {
	e := newEnv(t)
	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
		code := cli.Main(args, env)
		return code, out.String(), errOut.String()
	}
	// serve refuses --smtp without --public-url, in one line.
	code, _, stderr := run(nil, "serve", "--data", t.TempDir(), "--smtp", "smtp://mail.example")
	if code != 2 || !strings.Contains(stderr, "--public-url is required") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("serve --smtp without --public-url: %d %q", code, stderr)
	}
	// send --no-receipts turns receipts off.
	file := t.TempDir() + "/pv.pdf"
	if err := writeFile(file, []byte("%PDF")); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"NAVETTE_SERVER": e.url, "NAVETTE_TOKEN": e.agent}
	code, out, stderr := run(vars, "send", "--to", lawyerEmail, "--ref", "RG 1", "--no-receipts", file)
	if code != 0 {
		t.Fatalf("send: %d %s", code, stderr)
	}
	id := strings.TrimSpace(out)
	var d api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+id, e.agent, nil, http.StatusOK, &d)
	if d.NotifySender {
		t.Errorf("send --no-receipts made a deposit with receipts")
	}
	// admin user add --lang en.
	code, _, stderr = run(nil, "admin", "user", "add", "--data", e.dir, "--email", "en@avocat.example", "--name", "Counsel", "--role", "partner", "--lang", "en")
	if code != 0 {
		t.Fatalf("admin user add --lang en: %d %s", code, stderr)
	}
	if u, err := e.app.Meta.UserByEmail(t.Context(), "en@avocat.example"); err != nil || u.Lang != navette.LangEnglish {
		t.Errorf("user added with --lang en: %+v, %v", u, err)
	}
	code, _, stderr = run(nil, "admin", "user", "add", "--data", e.dir, "--email", "xx@avocat.example", "--name", "X", "--role", "partner", "--lang", "de")
	if code != 1 || !strings.Contains(stderr, "Unknown language") {
		t.Errorf("admin user add --lang de: %d %q", code, stderr)
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func TestWithdrawalMail(t *testing.T) {
	e, srv := mailEnv(t)
	e.userLang(englishEmail, "Counsel Smith", navette.RolePartner, navette.LangEnglish)
	d := e.createDeposit(e.agent, lawyerEmail, englishEmail)
	e.upload(e.agent, d.ID, "pv-audition.pdf", []byte("%PDF-1.7 pièce"))
	d = e.submit(e.agent, d.ID)
	waitMail(t, srv, lawyerEmail, 1)
	waitMail(t, srv, englishEmail, 1)

	path := "/api/v1/deposits/" + d.ID
	if resp, _ := e.do("DELETE", path, e.agent, strings.NewReader(`{"reason":"a\nb"}`), "Content-Type", "application/json"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a reason on two lines: %d, want 422", resp.StatusCode)
	}
	if resp, b := e.do("DELETE", path, e.agent, strings.NewReader(`{"reason":"Destinataire erroné"}`), "Content-Type", "application/json"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	for _, r := range []struct{ email, subject, reason string }{
		{lawyerEmail, "Dépôt retiré par Greffe", "Motif indiqué par l’expéditeur : Destinataire erroné"},
		{englishEmail, "Deposit withdrawn by Greffe", "Reason given by the sender: Destinataire erroné"},
	} {
		m := waitMail(t, srv, r.email, 2)[1]
		if got := subject(t, m); got != r.subject {
			t.Errorf("withdrawal to %s: subject %q, want %q", r.email, got, r.subject)
		}
		text, html := parts(t, m)
		if !strings.Contains(text, r.reason) || !strings.Contains(text, "Parquet 26/00042") || !strings.Contains(html, "Destinataire erroné") {
			t.Errorf("withdrawal to %s lacks the reason or reference:\n%s", r.email, text)
		}
	}
	waitFor(t, "every notice recorded as sent", func() bool {
		for _, n := range e.notices(d.ID) {
			if n.State != navette.NoticeSent {
				return false
			}
		}
		return true
	})
	if n := srv.Count(); n != 4 {
		t.Errorf("%d messages, want 4 (2 notices, 2 withdrawals)", n)
	}
}
