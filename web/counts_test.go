package web

import (
	"context"
	"fmt"
	"html"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
	"navette/evidence"
	"navette/i18n"
	"navette/notify"
)

// countsFixture is an admin fixture holding n of each thing a page counts:
// a deposit of n files from the Amiens clerk to the lawyer (a draft when n
// is 0), and n dead notices.
type countsFixture struct {
	*adminFixture
	auditor *navette.User
	deposit string // the deposit's id
	caseID  string // its case's, "" when it is a draft
}

func newCountsFixture(t *testing.T, n int) *countsFixture {
	t.Helper()
	ctx := context.Background()
	f := &countsFixture{adminFixture: newAdminFixture(t)}
	f.h.Deposits.Limits = navette.Limits{MaxFileSize: 1 << 30, MaxFiles: 2000, MaxRecipients: 50, MaxRetentionDays: 30}
	f.h.Mail = &notify.Admin{Meta: f.meta, Clock: f.clock}
	f.h.Evidence = &evidence.Service{Meta: f.meta, Evidence: f.meta.(navette.EvidenceStore), Deposits: f.h.Deposits, Clock: f.clock}
	f.withCaseKeys(t)
	var err error
	if f.auditor, err = f.accounts.Create(ctx, account.NewUser{Email: "audit@justice.example", Name: "Contrôle", Role: navette.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	svc := f.h.Deposits
	v, err := svc.Create(ctx, f.clerk, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: "PARQUET 26/4242", Message: "Pièces."})
	if err != nil {
		t.Fatal(err)
	}
	f.deposit = v.ID
	// The files are uploaded eight at a time: the store commits them
	// together, where one by one each would wait for its own disk syncs.
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := f.oneFile(ctx, fmt.Sprintf("pièce-%04d.pdf", i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if n > 0 {
		if _, err := svc.Submit(ctx, f.clerk, v.ID); err != nil {
			t.Fatal(err)
		}
		body := f.get(t, f.clerk, "/cases").Body.String()
		if m := regexp.MustCompile(`href="/cases/([^"?/]+)"`).FindStringSubmatch(body); m != nil {
			f.caseID = m[1]
		} else {
			t.Fatalf("no case listed:\n%s", body)
		}
	}
	f.deadNotices(t, n)
	return f
}

// oneFile uploads a file of one byte named name to the fixture's deposit.
func (f *countsFixture) oneFile(ctx context.Context, name string) error {
	svc := f.h.Deposits
	fr, err := svc.StartFile(ctx, f.clerk, f.deposit, name, 1)
	if err != nil {
		return err
	}
	if _, err := svc.Write(ctx, f.clerk, fr.ID, 0, strings.NewReader("x")); err != nil {
		return err
	}
	return svc.Finish(ctx, f.clerk, fr.ID)
}

// deadNotices queues n notices to the lawyer and gives up on them.
func (f *countsFixture) deadNotices(t *testing.T, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	ctx := context.Background()
	now := f.clock.Now()
	ev := navette.Event{Time: now, Type: navette.EventDepositAvailable, DepositID: f.deposit}
	for range n {
		ev.Notices = append(ev.Notices, navette.Notice{ID: navette.NewID(), Kind: navette.NoticeReminder, UserID: f.lawyer.ID, DepositID: f.deposit,
			State: navette.NoticePending, NextAttemptAt: now, CreatedAt: now, Key: navette.WrappedKey{KeyID: "k", Data: []byte("k")}, Payload: []byte("p")})
	}
	if err := f.meta.AppendEvents(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for {
		ns, err := f.meta.ClaimNotices(ctx, now, time.Minute, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 {
			break
		}
	}
	for _, no := range ev.Notices {
		if err := f.meta.NoticeFailed(ctx, no.ID, 1, "550 no such user", now, true); err != nil {
			t.Fatal(err)
		}
	}
}

// readable returns what a reader of page body reads: its text and the
// texts of its alt, title, aria-label and placeholder attributes, without
// links, addresses and the names of the fixture's people.
func readable(body string, names []string) string {
	attrs := regexp.MustCompile(`\s(?:alt|title|aria-label|placeholder)="([^"]*)"`).FindAllStringSubmatch(body, -1)
	text := regexp.MustCompile(`(?s)<script.*?</script>|<[^>]*>`).ReplaceAllString(body, " ")
	for _, a := range attrs {
		text += " " + a[1]
	}
	text = html.UnescapeString(text)
	text = regexp.MustCompile(`https?://\S+|[\w.+-]+@[\w.-]+|/[\w/.-]+`).ReplaceAllString(text, " ")
	for _, n := range names {
		text = strings.ReplaceAll(text, n, " ")
	}
	return text
}

// TestPagesReadRight renders every kind of page, in French and in English,
// with 0, 1, 2 and 1,000 of what it counts, and checks the sentences
// expected; no page leaves a plural to the reader ("(s)") nor shows an
// English word in French (the list the e-mails' test uses too).
func TestPagesReadRight(t *testing.T) {
	nb, nn := "\u00a0", "\u202f"
	for _, n := range []int{0, 1, 2, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newCountsFixture(t, n)
			names := []string{f.admin.Name, f.courtAdmin.Name, f.clerk.Name, f.otherClerk.Name, f.lawyer.Name, f.auditor.Name, f.service.Name, f.otherService.Name}
			fr := map[int]string{0: "0", 1: "1", 2: "2", 1000: "1" + nn + "000"}[n]
			en := map[int]string{0: "0", 1: "1", 2: "2", 1000: "1,000"}[n]
			files := map[string]string{"fr": fr + nb + i18n.Plural("fr", int64(n), "fichier", "fichiers"), "en": en + nb + i18n.Plural("en", int64(n), "file", "files")}
			type pageCase struct {
				u    *navette.User
				path string
				want int
				has  map[string][]string
			}
			pages := []pageCase{
				{u: nil, path: "/signin", want: 200},
				{u: f.lawyer, path: "/inbox", want: 200},
				{u: f.lawyer, path: "/account", want: 200},
				{u: f.lawyer, path: "/cases", want: 200},
				{u: f.clerk, path: "/sent", want: 200, has: map[string][]string{"fr": {files["fr"]}, "en": {files["en"]}}},
				{u: f.clerk, path: "/new", want: 200, has: map[string][]string{"fr": {"Jusqu’à 2" + nn + "000 fichiers de 1,1" + nb + "Go chacun au plus."}, "en": {"Up to 2,000 files of at most 1.1" + nb + "GB each."}}},
				{u: f.clerk, path: "/deposits/" + f.deposit, want: 200},
				{u: f.clerk, path: "/deposits/" + navette.NewID(), want: 404},
				{u: f.admin, path: "/admin", want: 200, has: map[string][]string{
					"fr": {map[int]string{0: "Aucun avis en échec.", 1: "1 avis n’a pas pu être remis ; consultez-le", 2: "2 avis n’ont pas pu être remis ; consultez-les", 1000: fr + " avis n’ont pas pu être remis"}[n]},
					"en": {map[int]string{0: "No failed notice", 1: "1 notice could not be delivered; see it", 2: "2 notices could not be delivered; see them", 1000: en + " notices could not be delivered"}[n]},
				}},
				{u: f.admin, path: "/admin/courts", want: 200},
				{u: f.admin, path: "/admin/services/" + f.service.ID, want: 200},
				{u: f.admin, path: "/admin/imports", want: 200},
				{u: f.admin, path: "/admin/settings", want: 200},
				{u: f.admin, path: "/admin/stats", want: 200, has: map[string][]string{
					"fr": {"<dt>Fichiers déposés</dt><dd>" + fr + "</dd>"}, "en": {"<dt>Files deposited</dt><dd>" + en + "</dd>"},
				}},
				{u: f.courtAdmin, path: "/admin", want: 200},
				{u: f.courtAdmin, path: "/admin/stats", want: 200},
				{u: f.auditor, path: "/audit", want: 200},
			}
			if n > 0 {
				pages = append(pages,
					pageCase{u: f.lawyer, path: "/inbox", want: 200, has: map[string][]string{"fr": {files["fr"]}, "en": {files["en"]}}},
					pageCase{u: f.clerk, path: "/sent", want: 200, has: map[string][]string{"fr": {"1 destinataire sur 1 n’a pas téléchargé"}, "en": {"1 recipient of 1 has not downloaded"}}},
					pageCase{u: f.lawyer, path: "/deposits/" + f.deposit, want: 200},
					pageCase{u: f.clerk, path: "/cases/" + f.caseID, want: 200, has: map[string][]string{"fr": {"1 dépôt envoyé, 0 reçu."}, "en": {"1 deposit sent, 0 received."}}},
					pageCase{u: f.lawyer, path: "/cases/" + f.caseID, want: 200, has: map[string][]string{"fr": {"0 dépôt envoyé, 1 reçu."}, "en": {"0 deposits sent, 1 received."}}},
				)
			}
			for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
				preview := pageCase{path: "/admin/imports/preview", want: 200, has: map[string][]string{
					"fr": {"<dt>Ajoutés</dt><dd>" + fr + "</dd>"}, "en": {"<dd>" + en + "</dd>"}}}
				for _, c := range append(pages, preview) {
					var w *httptest.ResponseRecorder
					if c.path == preview.path {
						w = f.upload(t, f.admin, c.path+"?lang="+lang, [][2]string{{"source", "lawyers"}}, flow(100, n))
					} else {
						w = f.get(t, c.u, c.path+"?lang="+lang)
					}
					what := fmt.Sprintf("%s %s", lang, c.path)
					if w.Code != c.want {
						t.Errorf("%s: status %d, want %d", what, w.Code, c.want)
						continue
					}
					body := w.Body.String()
					checkPage(t, what, body)
					for _, s := range c.has[lang] {
						if !strings.Contains(body, s) && !strings.Contains(html.UnescapeString(body), s) {
							t.Errorf("%s: lacks %q", what, s)
						}
					}
					text := readable(body, names)
					if strings.Contains(text, "(s)") || strings.Contains(text, "(es)") {
						i := strings.Index(text, "(s)")
						t.Errorf("%s: a plural left to the reader at %q", what, text[max(i-60, 0):min(len(text), i+20)])
					}
					if lang == navette.LangFrench {
						if loc := i18n.EnglishWords.FindStringIndex(text); loc != nil {
							t.Errorf("%s: the English word %q in %q", what, text[loc[0]:loc[1]], strings.Join(strings.Fields(text[max(loc[0]-80, 0):min(len(text), loc[1]+40)]), " "))
						}
					}
				}
			}
		})
	}
}
