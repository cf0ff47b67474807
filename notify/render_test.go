package notify_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// sample returns data that fills every field any kind uses, file names and
// message included.
func sample() *notify.Data {
	return &notify.Data{
		Reference:     "Parquet 26/12345 <b>&",
		Files:         3,
		ExpiresAt:     time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC),
		Sender:        notify.Person{Name: "Claire Martin (greffe correctionnel, TJ Amiens)", Email: "claire.martin@justice.example"},
		Recipient:     notify.Person{Name: "Maître Stéphane Durand", Email: "stephane.durand@avocat.example"},
		DownloadedAt:  time.Date(2026, 7, 1, 14, 5, 0, 0, time.UTC),
		NeverFetched:  []notify.Person{{Name: "Maître Anne Roy", Email: "anne.roy@avocat.example"}, {Email: "x@avocat.example"}},
		FileNames:     []string{"pv-audition-secret.pdf", "scellés.zip"},
		Message:       "Pièces confidentielles du dossier",
		Code:          "482913",
		CodeExpiresAt: time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC),
		Reason:        "Pièce jointe par erreur",
		Forwarder:     notify.Person{Name: "Paul Petit (parquet, TJ Amiens)", Email: "paul.petit@justice.example"},
		ForwardedTo:   []notify.Person{{Name: "Service de l'exécution des peines", Email: "sap.tj-amiens@justice.example"}},
		Request:       &notify.Request{ID: "REQ-1", Action: "member.add", Error: "This agent is a member of the service already."},
	}
}

func renderer(t *testing.T, includeNames bool) *notify.Renderer {
	t.Helper()
	r, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Name: "navette", Email: "noreply@justice.example"}, includeNames)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// notAboutDeposits are the kinds of notice that are about no deposit.
var notAboutDeposits = []navette.NoticeKind{navette.NoticeSignInCode, navette.NoticeAccessRevoked, navette.NoticeApproval, navette.NoticeRequestFailed,
	navette.NoticeRequestApproved, navette.NoticeRequestRejected, navette.NoticeRequestExpired, navette.NoticeMemberAdded, navette.NoticeRoleGranted, navette.NoticeAccessRestored}

func TestRenderEveryKind(t *testing.T) {
	depositID := navette.NewID()
	link := "https://navette.justice.example/d/" + depositID
	for _, lang := range []string{"", navette.LangFrench, navette.LangEnglish} {
		for _, kind := range navette.NoticeKinds {
			for _, names := range []bool{false, true} {
				n := &navette.Notice{ID: navette.NewID(), Kind: kind, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
				hasDeposit := !slices.Contains(notAboutDeposits, kind) && !strings.HasPrefix(string(kind), "recovery_")
				if hasDeposit {
					n.DepositID = depositID
				}
				to := &navette.User{Email: "stephane.durand@avocat.example", Name: "Maître Stéphane Durand", Lang: lang}
				m, err := renderer(t, names).Render(n, to, sample())
				if err != nil {
					t.Fatalf("Render(%s, %q): %v", kind, lang, err)
				}
				what := string(kind) + "/" + lang
				wantLang := lang
				if wantLang == "" {
					wantLang = navette.LangFrench
				}
				if m.Lang != wantLang {
					t.Errorf("%s: language %q, want %q", what, m.Lang, wantLang)
				}
				if m.ID != n.ID+"@navette.justice.example" || m.NoticeID != n.ID {
					t.Errorf("%s: Message-ID %q", what, m.ID)
				}
				if m.To.Email != to.Email || m.From.Email != "noreply@justice.example" {
					t.Errorf("%s: from %v to %v", what, m.From, m.To)
				}
				if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
					t.Errorf("%s: subject %q", what, m.Subject)
				}
				if strings.Contains(m.Subject, "Parquet") {
					t.Errorf("%s: the reference is in the subject %q", what, m.Subject)
				}
				if m.Text == "" || !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") {
					t.Errorf("%s: empty body", what)
				}
				for _, body := range []string{m.Text, m.HTML} {
					if hasDeposit && !strings.Contains(body, link) {
						t.Errorf("%s: no link %s in\n%s", what, link, body)
					}
					if !strings.Contains(body, "https://navette.justice.example/") {
						t.Errorf("%s: no link to the service", what)
					}
					for _, secret := range []string{"pv-audition-secret.pdf", "scellés.zip", "Pièces confidentielles"} {
						if got := strings.Contains(body, secret); got != (names && (kind == navette.NoticeDeposit || kind == navette.NoticeReminder)) {
							t.Errorf("%s (names %v): file name or message %q shown: %v", what, names, secret, got)
						}
					}
					if strings.Contains(body, "<script") || strings.Contains(body, "<b>&") && body == m.HTML {
						t.Errorf("%s: HTML not escaped", what)
					}
				}
				switch kind {
				case navette.NoticeDeposit, navette.NoticeReminder:
					for _, want := range []string{"Parquet 26/12345", "Claire Martin (greffe correctionnel, TJ Amiens)", "claire.martin@justice.example", "3\u00a0"} {
						if !strings.Contains(m.Text, want) {
							t.Errorf("%s: %q missing from\n%s", what, want, m.Text)
						}
					}
					// 9 November 2026 09:00 UTC is 10:00 in Paris.
					if wantLang == navette.LangFrench && !strings.Contains(m.Text, "lundi 9 novembre 2026 à 10:00 (heure de Paris)") ||
						wantLang == navette.LangEnglish && !strings.Contains(m.Text, "Monday 9 November 2026 at 10:00 (Paris time)") {
						t.Errorf("%s: expiry not in Paris time:\n%s", what, m.Text)
					}
				case navette.NoticeReceipt:
					if !strings.Contains(m.Text, "stephane.durand@avocat.example") || !strings.Contains(m.Text, "16:05") {
						t.Errorf("%s: who and when (16:05 in Paris in July) missing:\n%s", what, m.Text)
					}
				case navette.NoticeExpiryReport:
					if !strings.Contains(m.Text, "anne.roy@avocat.example") || !strings.Contains(m.Text, "x@avocat.example") || !strings.Contains(m.Subject, "2") {
						t.Errorf("%s: who never fetched missing:\n%s\n%s", what, m.Subject, m.Text)
					}
				case navette.NoticeForwarded:
					for _, body := range []string{m.Text, m.HTML} {
						if !strings.Contains(body, "paul.petit@justice.example") || !strings.Contains(body, "sap.tj-amiens@justice.example") {
							t.Errorf("%s: by whom and to whom missing:\n%s", what, body)
						}
					}
				case navette.NoticeWithdrawn:
					if !strings.Contains(m.Text, "Pièce jointe par erreur") || !strings.Contains(m.HTML, "Pièce jointe par erreur") || strings.Contains(m.Subject, "erreur") {
						t.Errorf("%s: the reason is not in the body, or is in the subject:\n%s\n%s", what, m.Subject, m.Text)
					}
				case navette.NoticeApproval:
					if !strings.Contains(m.Text, "https://navette.justice.example/admin/requests") || !strings.Contains(m.Text, "REQ-1") ||
						!strings.Contains(m.HTML, map[string]string{navette.LangFrench: "boîte de service", navette.LangEnglish: "service mailbox"}[wantLang]) || !strings.Contains(m.Text, "Pièce jointe par erreur") {
						t.Errorf("%s: request, action, reason or link missing:\n%s", what, m.Text)
					}
				case navette.NoticeSignInCode:
					if !strings.Contains(m.Text, "482913") || !strings.Contains(m.HTML, "482913") || strings.Contains(m.Subject, "482913") {
						t.Errorf("%s: the code is not in the body, or is in the subject", what)
					}
				}
				if wantLang == navette.LangEnglish && !strings.HasPrefix(m.Text, "Hello Maître Stéphane Durand,") ||
					wantLang == navette.LangFrench && !strings.HasPrefix(m.Text, "Bonjour Maître Stéphane Durand,") {
					t.Errorf("%s: greeting:\n%s", what, m.Text)
				}
			}
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	d := sample()
	d.Sender.Name = `<img src=x onerror=alert(1)> "Greffe"`
	d.Reference = "</td><script>alert(1)</script>"
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeDeposit, DepositID: navette.NewID(), CreatedAt: time.Now()}
	m, err := renderer(t, true).Render(n, &navette.User{Email: "a@avocat.example"}, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img") {
		t.Errorf("HTML carries markup from the data:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("reference not shown escaped:\n%s", m.HTML)
	}
}

func TestRenderHeaderInjection(t *testing.T) {
	// A raw payload and a stored name, as they could be if a check before
	// storage failed: line breaks and other controls never reach a header.
	d := sample()
	d.Sender.Name = "Greffe\r\nBcc: spy@evil.example"
	d.Recipient.Name = "Avocat\nX-Injected: yes"
	to := &navette.User{Email: "a@avocat.example", Name: "Maître\r\n\tBcc: spy@evil.example\u2028\u202e"}
	for _, kind := range navette.NoticeKinds {
		n := &navette.Notice{ID: navette.NewID(), Kind: kind, DepositID: navette.NewID(), CreatedAt: time.Now()}
		m, err := renderer(t, false).Render(n, to, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{m.Subject, m.To.Name, m.From.Name, m.ID} {
			if strings.ContainsFunc(h, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u202e' }) {
				t.Errorf("%s: header value %q holds a control character", kind, h)
			}
		}
		if m.To.Name != "Maître Bcc: spy@evil.example" {
			t.Errorf("%s: addressee name %q", kind, m.To.Name)
		}
	}
	// An addressee whose address is not one cannot be written to.
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeDeposit, CreatedAt: time.Now()}
	for _, bad := range []string{"a@b.example\r\nBcc: spy@evil.example", "<a@b.example>", "not an address", ""} {
		if _, err := renderer(t, false).Render(n, &navette.User{Email: bad}, d); !notify.Permanent(err) {
			t.Errorf("Render(to %q) = %v, want EINVALID", bad, err)
		}
	}
}

func TestRenderDates(t *testing.T) {
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeReminder, DepositID: navette.NewID(), CreatedAt: time.Now()}
	d := sample()
	d.ExpiresAt = time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC) // 1 April in Paris (summer time)
	m, err := renderer(t, false).Render(n, &navette.User{Email: "a@avocat.example"}, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "mercredi 1er avril 2026 à 00:30 (heure de Paris)"; !strings.Contains(m.Text, want) {
		t.Errorf("want %q in\n%s", want, m.Text)
	}
}

func TestNewRenderer(t *testing.T) {
	from := notify.Address{Email: "noreply@justice.example"}
	for _, u := range []string{"", "navette.example", "ftp://navette.example", "https://", "https://u:p@navette.example", "https://navette.example/?x=1"} {
		if _, err := notify.NewRenderer(u, from, false); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("NewRenderer(%q) = %v, want EINVALID", u, err)
		}
	}
	for _, f := range []string{"", "not an address", "a@b.example\r\nBcc: x@y.example", "Name <a@b.example>"} {
		if _, err := notify.NewRenderer("https://navette.example", notify.Address{Email: f}, false); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("NewRenderer(from %q) = %v, want EINVALID", f, err)
		}
	}
	r, err := notify.NewRenderer("https://navette.example:8443/base/", from, false)
	if err != nil {
		t.Fatal(err)
	}
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeDeposit, DepositID: navette.NewID(), CreatedAt: time.Now()}
	m, err := r.Render(n, &navette.User{Email: "a@avocat.example"}, sample())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "https://navette.example:8443/base/d/"+n.DepositID) || m.ID != n.ID+"@navette.example" {
		t.Errorf("link or Message-ID: %s\n%s", m.ID, m.Text)
	}
}

// TestReceiptSaysWhatWasFetched: the sender's download receipt goes with
// a recipient's first whole file. It says the deposit was fetched only
// when that file is the deposit's one file; of a deposit of several, it
// says one of its files was, in its subject and both bodies.
func TestReceiptSaysWhatWasFetched(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		files int
		want  string
	}{
		{navette.LangFrench, 1, "a récupéré votre dépôt"},
		{navette.LangFrench, 3, "a téléchargé l’un des fichiers de votre dépôt"},
		{navette.LangEnglish, 1, "fetched your deposit"},
		{navette.LangEnglish, 3, "downloaded one of your deposit’s files"},
	} {
		n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeReceipt, UserID: navette.NewID(), DepositID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		d := sample()
		d.Files = tc.files
		m, err := renderer(t, false).Render(n, &navette.User{Email: "claire.martin@justice.example", Lang: tc.lang}, d)
		if err != nil {
			t.Fatal(err)
		}
		body := map[bool]string{true: "pour la première fois", false: "for the first time"}[tc.lang == navette.LangFrench]
		for part, text := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
			if part == "subject" && !strings.Contains(text, tc.want) || part != "subject" && !strings.Contains(text, body) {
				t.Errorf("%s, %d files: %s %q does not say %q", tc.lang, tc.files, part, text, tc.want)
			}
			if tc.files > 1 && strings.Contains(text, map[bool]string{true: "récupéré", false: "fetched your deposit"}[tc.lang == navette.LangFrench]) {
				t.Errorf("%s, %d files: %s says the deposit was fetched:\n%s", tc.lang, tc.files, part, text)
			}
		}
	}
}

// A revoked or restored person reads who did it and whom to ask: the
// admin by name, an administrator (the local operator), or the directory;
// a restoring request names its requester and approver. A person added
// to a mailbox or given a role by hand reads who did it and when, never a
// request's requester and approver.
func TestAccessNoticesSayWho(t *testing.T) {
	admin := &notify.Person{Name: "Alice Admin", Email: "alice@justice.example"}
	req := &notify.Request{ID: "REQ-1", Action: string(navette.ActionRestoreUser), Reviewer: notify.Person{Name: "Bob Second", Email: "bob@justice.example"}}
	mailbox, at := notify.Person{Name: "Parquet", Email: "parquet@justice.example"}, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		kind       navette.NoticeKind
		lang       string
		d          *notify.Data
		text, html []string
		dontWant   string
	}{
		{navette.NoticeAccessRevoked, navette.LangEnglish, &notify.Data{Admin: admin},
			[]string{"Alice Admin <alice@justice.example> withdrew it", "tell them"}, []string{"<strong>Alice Admin</strong> &lt;alice@justice.example&gt; withdrew it", "tell them"}, "directory"},
		{navette.NoticeAccessRevoked, navette.LangFrench, &notify.Data{Admin: admin},
			[]string{"retiré par Alice Admin <alice@justice.example>", "cette personne"}, []string{"retiré par <strong>Alice Admin</strong> &lt;alice@justice.example&gt;", "cette personne"}, "annuaire"},
		{navette.NoticeAccessRevoked, navette.LangEnglish, &notify.Data{Admin: &notify.Person{}},
			[]string{"An administrator of navette withdrew it", "your administrator"}, []string{"An administrator of navette withdrew it", "your administrator"}, "directory"},
		{navette.NoticeAccessRevoked, navette.LangEnglish, &notify.Data{},
			[]string{"contact the body that lists you in the\ndirectory"}, []string{"contact the body that lists you in the directory"}, "withdrew it"},
		{navette.NoticeAccessRevoked, navette.LangFrench, &notify.Data{},
			[]string{"l’organisme\nqui vous inscrit à l’annuaire"}, []string{"qui vous inscrit à l’annuaire"}, "retiré par"},
		{navette.NoticeAccessRestored, navette.LangEnglish, &notify.Data{Admin: admin},
			[]string{"Restored by: Alice Admin <alice@justice.example>", "Sign in:\nhttps://navette.justice.example/\n"}, []string{"Restored by</td><td>Alice Admin &lt;alice@justice.example&gt;", `href="https://navette.justice.example/">Sign in`}, "request"},
		{navette.NoticeAccessRestored, navette.LangFrench, &notify.Data{Admin: &notify.Person{}},
			[]string{"Rétabli par : un administrateur de navette"}, []string{"Rétabli par</td><td>un administrateur de navette"}, "À la demande"},
		{navette.NoticeAccessRestored, navette.LangEnglish, &notify.Data{},
			[]string{"Restored by: the directory that lists you"}, []string{"Restored by</td><td>the directory that lists you"}, "request"},
		{navette.NoticeAccessRestored, navette.LangFrench, &notify.Data{},
			[]string{"Rétabli par : l’annuaire qui vous inscrit"}, []string{"Rétabli par</td><td>l’annuaire qui vous inscrit"}, "À la demande"},
		{navette.NoticeAccessRestored, navette.LangEnglish, &notify.Data{Sender: *admin, Request: req},
			[]string{"At the request of: Alice Admin", "Approved by: Bob Second"}, []string{"At the request of</td><td>Alice Admin", "Approved by</td><td>Bob Second"}, "Restored by"},
		{navette.NoticeMemberAdded, navette.LangFrench, &notify.Data{Admin: admin, Request: &notify.Request{Mailbox: mailbox, At: at}},
			[]string{"boîte de service Parquet <parquet@justice.example>", "Par : Alice Admin <alice@justice.example>\nLe : lundi 2 novembre 2026", "https://navette.justice.example/inbox"},
			[]string{"Par</td><td>Alice Admin &lt;alice@justice.example&gt;", "Le</td><td>lundi 2 novembre 2026"}, "À la demande"},
		{navette.NoticeMemberAdded, navette.LangEnglish, &notify.Data{Admin: &notify.Person{}, Request: &notify.Request{Mailbox: mailbox, At: at}},
			[]string{"By: an administrator of navette\nOn: Monday 2 November 2026"}, []string{"By</td><td>an administrator of navette"}, "Approved by"},
		{navette.NoticeRoleGranted, navette.LangEnglish, &notify.Data{Admin: admin, Request: &notify.Request{Role: string(navette.RoleAuditor), At: at}},
			[]string{"the role of auditor (reads the audit journal)", "By: Alice Admin <alice@justice.example>", "https://navette.justice.example/audit"},
			[]string{"By</td><td>Alice Admin &lt;alice@justice.example&gt;"}, "At the request"},
		{navette.NoticeRoleGranted, navette.LangFrench, &notify.Data{Admin: &notify.Person{}, Request: &notify.Request{Role: string(navette.RoleAdmin), At: at}},
			[]string{"désormais administrateur de la plateforme", "Par : un administrateur de navette", "https://navette.justice.example/admin"},
			[]string{"Par</td><td>un administrateur de navette"}, "Approuvé par"},
	}
	for _, c := range cases {
		n := &navette.Notice{ID: navette.NewID(), Kind: c.kind, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		to := &navette.User{Email: "anne.roy@avocat.example", Name: "Anne Roy", Lang: c.lang}
		m, err := renderer(t, false).Render(n, to, c.d)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.text {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s/%s %+v: text lacks %q:\n%s", c.kind, c.lang, c.d.Admin, w, m.Text)
			}
		}
		for _, w := range c.html {
			if !strings.Contains(m.HTML, w) {
				t.Errorf("%s/%s %+v: HTML lacks %q:\n%s", c.kind, c.lang, c.d.Admin, w, m.HTML)
			}
		}
		if strings.Contains(m.Text, c.dontWant) || strings.Contains(m.HTML, c.dontWant) {
			t.Errorf("%s/%s %+v: message says %q:\n%s", c.kind, c.lang, c.d.Admin, c.dontWant, m.Text)
		}
	}
}
