package web_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/account"
	"navette/deposit"
	"navette/internal/testbrowser"
	"navette/web"
)

// adminSite is a node seeded like the demo: a platform admin; the
// tribunal judiciaire d'Amiens with its "greffe correctionnel" service
// mailbox, its court admin and two clerks, one a member of the service;
// the tribunal judiciaire de Lille with its own service and clerk; and one
// deposit from the Amiens clerk, for the statistics.
type adminSite struct {
	n                           *node
	admin, courtAdmin           *navette.User
	clerk, newClerk, otherClerk *navette.User
	amiens, lille               *navette.Court
	service, otherService       *navette.User
	partner                     *navette.User
}

func startAdminSite(t *testing.T, theme string) *adminSite {
	t.Helper()
	ctx := context.Background()
	s := &adminSite{n: startThemed(t, theme)}
	acc := s.n.app.Accounts
	mk := func(email, name string, role navette.Role, court string) *navette.User {
		t.Helper()
		u, err := acc.Create(ctx, account.NewUser{Email: email, Name: name, Role: role, CourtID: court})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.admin = mk("admin@justice.example", "Administrateur de la plateforme", navette.RoleAdmin, "")
	var err error
	if s.amiens, err = acc.CreateCourt(ctx, s.admin, "TJ-AMIENS", "Tribunal judiciaire d'Amiens"); err != nil {
		t.Fatal(err)
	}
	if s.lille, err = acc.CreateCourt(ctx, s.admin, "TJ-LILLE", "Tribunal judiciaire de Lille"); err != nil {
		t.Fatal(err)
	}
	s.courtAdmin = mk("paul.bernard@justice.example", "Paul Bernard", navette.RoleCourtAdmin, s.amiens.ID)
	s.clerk = mk("claire.martin@justice.example", "Claire Martin", navette.RoleAgent, s.amiens.ID)
	s.newClerk = mk("luc.petit@justice.example", "Luc Petit", navette.RoleAgent, s.amiens.ID)
	s.otherClerk = mk("anne.roux@justice.example", "Anne Roux", navette.RoleAgent, s.lille.ID)
	if s.service, err = acc.CreateService(ctx, s.admin, s.amiens.ID, "Greffe correctionnel", "greffe-correctionnel.tj-amiens@justice.example"); err != nil {
		t.Fatal(err)
	}
	if s.otherService, err = acc.CreateService(ctx, s.admin, s.lille.ID, "Greffe civil", "greffe-civil.tj-lille@justice.example"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*navette.User{s.clerk, s.courtAdmin} {
		if err := acc.AddMember(ctx, s.admin, s.service.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := acc.AddMember(ctx, s.admin, s.otherService.ID, s.otherClerk.ID); err != nil {
		t.Fatal(err)
	}
	s.partner = mk("huissier@commissaire.example", "Maître Huissier", navette.RolePartner, "")
	s.deposit(t, s.clerk, s.partner, "PARQUET 26/004512", []byte("%PDF-1.7 procès-verbal"))
	return s
}

// deposit makes an available deposit of one file from sender to recipient.
func (s *adminSite) deposit(t *testing.T, sender, recipient *navette.User, ref string, data []byte) {
	t.Helper()
	s.n.sendFile(t, sender, recipient, ref, data)
}

// sendFile makes an available deposit of one file, pv.pdf, from sender to
// recipient, and returns it as the sender sees it.
func (n *node) sendFile(t *testing.T, sender, recipient *navette.User, ref string, data []byte) *deposit.View {
	t.Helper()
	ctx := context.Background()
	svc := n.app.Deposits
	v, err := svc.Create(ctx, sender, deposit.Draft{Recipients: []string{recipient.Email}, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.StartFile(ctx, sender, v.ID, "pv.pdf", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Write(ctx, sender, f.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Finish(ctx, sender, f.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = svc.Submit(ctx, sender, v.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

// members returns the e-mail addresses of the members of service, from
// the node's store.
func (s *adminSite) members(t *testing.T, service *navette.User) []string {
	t.Helper()
	ctx := context.Background()
	ms, err := s.n.app.Meta.Members(ctx, service.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		u, err := s.n.app.Meta.User(ctx, m.UserID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u.Email)
	}
	slices.Sort(out)
	return out
}

// lawyers returns the users of the lawyers' directory, from the node's
// store.
func (s *adminSite) lawyers(t *testing.T) []*navette.User {
	t.Helper()
	us, err := s.n.app.Meta.UsersBySource(context.Background(), "lawyers")
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// writeFlow writes a CSV flow to a file named name and returns its path.
func writeFlow(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// submitAndWait runs acts, which must load a new page (a click on a link
// or a submit button, Enter in a field), then waits until an element
// matching sel is visible in the new page: the current document is marked
// first, so that sel cannot match in the page left behind.
func submitAndWait(b *testbrowser.Browser, what, sel string, acts ...chromedp.Action[chromedp.Void]) {
	all := []chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.left = "1"`)}
	all = append(all, acts...)
	all = append(all, chromedp.WaitVisible(chromedp.CSS(`html:not([data-left]) `+sel)))
	b.Run(what, all...)
}

// visit opens path, checks its status and runs axe on it.
func visit(t *testing.T, b *testbrowser.Browser, n *node, path string, status int) {
	t.Helper()
	res, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(n.URL+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if res.Status != int64(status) {
		t.Errorf("%s: status %d, want %d", path, res.Status, status)
	}
	b.Axe(path)
}

const lawyersHeader = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"

// TestAdminPagesInBrowser: the platform admin, with the mouse and the
// keyboard, sees the overview and the statistics with their chart;
// previews a lawyers' flow (nothing written), applies it (the lawyers
// exist), has a malformed flow refused with its line numbers (nothing
// written); adds a member to a service mailbox and removes another; has a
// bad setting refused and saves good ones. Every page goes through axe, and
// no request leaves the origin.
func TestAdminPagesInBrowser(t *testing.T) {
	s := startAdminSite(t, "")
	n := s.n
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, s.admin.Email)
	if loc := b.Location(); !strings.HasSuffix(loc, "/admin") {
		t.Errorf("the admin starts at %s, want /admin", loc)
	}
	b.Axe("/admin (admin, landing)")

	// The overview, reached from the main navigation.
	submitAndWait(b, "open the administration", `a[href="/admin/stats"]`, chromedp.Click(chromedp.CSS(`nav a[href="/admin"]`)))
	b.Axe("/admin")
	if main := b.Text("main"); !strings.Contains(main, "Réglages de la plateforme") || !strings.Contains(main, "Aucun avis en échec.") {
		t.Errorf("overview: %s", main)
	}
	for _, href := range []string{"/admin/courts", "/admin/stats", "/admin/imports"} {
		if !testbrowser.Eval[bool](b, `!!document.querySelector('main a[href="`+href+`"]')`) {
			t.Errorf("the overview has no link to %s", href)
		}
	}

	// The statistics, with their SVG charts drawn inline by the server.
	submitAndWait(b, "open the statistics", `svg.chart`, chromedp.Click(chromedp.CSS(`main a[href="/admin/stats"]`)))
	b.Axe("/admin/stats")
	if n := testbrowser.Eval[int](b, `document.querySelectorAll("svg.chart rect").length`); n == 0 {
		t.Error("the charts have no bar")
	}
	svg := testbrowser.Eval[string](b, `fetch("/admin/stats/chart.svg").then(async r => r.headers.get("Content-Type") + "\n" + await r.text())`)
	if !strings.HasPrefix(svg, "image/svg+xml\n<svg") || !strings.Contains(svg, "<rect") || !strings.Contains(svg, "Dépôts par mois") {
		t.Errorf("chart: %.300s", svg)
	}
	if main := b.Text("main"); !strings.Contains(main, "Tribunal judiciaire d'Amiens") {
		t.Errorf("statistics: %s", main)
	}
	if got := testbrowser.Eval[string](b, `document.querySelector("main .facts dd").textContent`); got != "1" {
		t.Errorf("statistics: %s deposits made available, want 1", got)
	}

	// A dry run of a lawyers' flow writes nothing.
	good := writeFlow(t, "tableau-cnbf.csv", lawyersHeader+
		"100000;Durand;Stéphane;Amiens;stephane.durand@avocat.example;actif;2026-11-01\n"+
		"100001;Lefèvre;Marie;Amiens;marie.lefevre@avocat.example;actif;2026-11-02\n"+
		"100002;D'Aubigné;Aurélien;Paris;aurelien.daubigne@avocat.example;actif;2026-11-03\n")
	b.Navigate(n.URL + "/admin")
	submitAndWait(b, "open the imports", `#file`, chromedp.Click(chromedp.CSS(`main a[href="/admin/imports"]`)))
	b.Axe("/admin/imports")
	submitAndWait(b, "preview the flow", `#counts`,
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{good}),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="upload-title"] button[type="submit"]`)),
	)
	b.Axe("/admin/imports/preview")
	if h := b.Text("#report-title"); !strings.Contains(h, "Aperçu des changements") || !strings.Contains(h, "tableau-cnbf.csv") {
		t.Errorf("preview heading: %q", h)
	}
	if got := testbrowser.Eval[string](b, `document.querySelector("#counts dd").textContent`); got != "3" {
		t.Errorf("preview: %s to create, want 3", got)
	}
	if report := b.Text(`section[aria-labelledby="report-title"]`); !strings.Contains(report, "marie.lefevre@avocat.example") {
		t.Errorf("preview lacks a lawyer: %s", report)
	}
	if us := s.lawyers(t); len(us) != 0 {
		t.Fatalf("the dry run wrote %d users", len(us))
	}
	if _, err := n.app.Meta.UserByEmail(context.Background(), "stephane.durand@avocat.example"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Fatalf("the dry run created a lawyer: %v", err)
	}

	// Applied, the same file creates them.
	submitAndWait(b, "apply the flow", `main [role="status"]`,
		chromedp.SetUploadFiles(chromedp.CSS("#apply-file"), []string{good}),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="apply-title"] button[type="submit"]`)),
	)
	b.Axe("/admin/imports/apply")
	if h := b.Text("#report-title"); !strings.Contains(h, "Changements appliqués") {
		t.Errorf("after apply: %q", h)
	}
	if testbrowser.Eval[bool](b, `!!document.querySelector("#apply-file")`) {
		t.Error("an applied flow is offered to be applied again")
	}
	var emails []string
	for _, u := range s.lawyers(t) {
		emails = append(emails, u.Email)
	}
	slices.Sort(emails)
	if want := []string{"aurelien.daubigne@avocat.example", "marie.lefevre@avocat.example", "stephane.durand@avocat.example"}; !slices.Equal(emails, want) {
		t.Fatalf("lawyers after apply: %v, want %v", emails, want)
	}

	// A malformed flow is refused with its lines, and nothing is applied.
	bad := writeFlow(t, "tableau-abime.csv", lawyersHeader+
		"100003;Lévêque;Hélène;Lille;helene.leveque@avocat.example;actif;2026-11-04\n"+
		"100004;Garnier;Luc;Lille;pas-une-adresse;actif;2026-11-05\n"+
		"100005;Faure\n")
	submitAndWait(b, "preview a malformed flow", `#import-problems`,
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{bad}),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="upload-title"] button[type="submit"]`)),
	)
	b.Axe("/admin/imports/preview (malformed)")
	problems := b.Text("#import-problems")
	for _, want := range []string{"Ligne 3 :", "Ligne 4 :"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q: %s", want, problems)
		}
	}
	if alert := b.Text("#file-error"); !strings.Contains(alert, "rien n’a été appliqué") {
		t.Errorf("refusal: %q", alert)
	}
	if testbrowser.Eval[bool](b, `!!document.querySelector("#apply-file")`) {
		t.Error("a malformed flow is offered to be applied")
	}
	if us := s.lawyers(t); len(us) != 3 {
		t.Errorf("a malformed flow changed the lawyers: %d", len(us))
	}
	if _, err := n.app.Meta.UserByEmail(context.Background(), "helene.leveque@avocat.example"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a malformed flow created a lawyer: %v", err)
	}

	// Members of a service mailbox: one added with the keyboard, one
	// removed with the mouse.
	b.Navigate(n.URL + "/admin")
	submitAndWait(b, "open the courts", `a[href="/admin/services/`+s.service.ID+`"]`, chromedp.Click(chromedp.CSS(`main a[href="/admin/courts"]`)))
	b.Axe("/admin/courts")
	if main := b.Text("main"); !strings.Contains(main, "Tribunal judiciaire d'Amiens") || !strings.Contains(main, "Tribunal judiciaire de Lille") {
		t.Errorf("the platform admin does not see every court: %s", main)
	}
	submitAndWait(b, "open the service", `#member-email`, chromedp.Click(chromedp.CSS(`a[href="/admin/services/`+s.service.ID+`"]`)))
	b.Axe("/admin/services/{id}")
	submitAndWait(b, "add a member", `main [role="status"]`,
		chromedp.SendKeys(chromedp.CSS("#member-email"), s.newClerk.Email),
		chromedp.KeyEvent("\r"),
	)
	b.Axe("/admin/services/{id}?done=requested")
	if flash := b.Text(`main [role="status"]`); !strings.Contains(flash, "en attente d’approbation") {
		t.Errorf("after adding: %q", flash)
	}
	if got := s.members(t, s.service); slices.Contains(got, s.newClerk.Email) {
		t.Fatalf("a member before approval: %v", got)
	}
	// The court's admin approves it (two-person rule), on the page of
	// pending requests.
	pending, err := n.app.Accounts.Requests(context.Background(), s.courtAdmin, navette.RequestPending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %v, %v", pending, err)
	}
	if _, err := n.app.Accounts.Approve(context.Background(), s.courtAdmin, pending[0].ID, pending[0].ParamsHash); err != nil {
		t.Fatal(err)
	}
	b.Navigate(n.URL + "/admin/requests")
	if main := b.Text("main"); !strings.Contains(main, "approuvée et exécutée") || !strings.Contains(main, "Luc Petit") {
		t.Errorf("the requests page: %s", main)
	}
	b.Axe("/admin/requests")
	b.Navigate(n.URL + "/admin/services/" + s.service.ID)
	if got, want := s.members(t, s.service), []string{s.clerk.Email, s.newClerk.Email, s.courtAdmin.Email}; !slices.Equal(got, sorted(want)) {
		t.Fatalf("members after adding: %v", got)
	}
	if !strings.Contains(b.Text("main table"), "Luc Petit") {
		t.Error("the new member is not listed")
	}
	submitAndWait(b, "remove a member", `main [role="status"]`, chromedp.Click(chromedp.CSS(`button[aria-label="Retirer Claire Martin du service"]`)))
	b.Axe("/admin/services/{id}?done=removed")
	if flash := b.Text(`main [role="status"]`); !strings.Contains(flash, "Le membre est retiré.") {
		t.Errorf("after removing: %q", flash)
	}
	if got, want := s.members(t, s.service), []string{s.newClerk.Email, s.courtAdmin.Email}; !slices.Equal(got, sorted(want)) {
		t.Fatalf("members after removing: %v", got)
	}
	if strings.Contains(b.Text("main table"), "Claire Martin") {
		t.Error("the removed member is still listed")
	}
	// A partner is refused, with the reason by the field.
	submitAndWait(b, "add a partner", `#member-email-error`,
		chromedp.SendKeys(chromedp.CSS("#member-email"), s.partner.Email),
		chromedp.Click(chromedp.CSS(`form.panel button[type="submit"]:not([formaction])`)),
	)
	b.Axe("/admin/services/{id} (refused)")
	if e := b.Text("#member-email-error"); !strings.Contains(e, "Seuls les agents") {
		t.Errorf("refusal: %q", e)
	}
	if got := s.members(t, s.service); len(got) != 2 {
		t.Errorf("a refused member was added: %v", got)
	}
	if testbrowser.Eval[string](b, `document.activeElement.id`) != "member-email" || testbrowser.Eval[string](b, `document.getElementById("member-email").value`) != s.partner.Email {
		t.Error("the refused field is not focused with what was typed")
	}

	// The platform settings: a bad value is refused on its field, a good
	// one applies at once.
	submitAndWait(b, "open the administration", `a[href="/admin/settings"]`, chromedp.Click(chromedp.CSS(`nav a[href="/admin"]`)))
	submitAndWait(b, "open the settings", `#max_retention_days`, chromedp.Click(chromedp.CSS(`main a[href="/admin/settings"]`)))
	b.Axe("/admin/settings")
	submitAndWait(b, "save a bad retention", `#max_retention_days-error`,
		chromedp.SendKeys(chromedp.CSS("#max_retention_days"), "99999"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	b.Axe("/admin/settings (refused)")
	before, err := s.n.app.Deposits.CurrentLimits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	submitAndWait(b, "save the settings", `[role="status"]`,
		chromedp.Clear(chromedp.CSS("#max_retention_days")),
		chromedp.SendKeys(chromedp.CSS("#max_retention_days"), "21"),
		chromedp.SendKeys(chromedp.CSS("#max_files"), "12\r"),
	)
	b.Axe("/admin/settings?done=saved")
	after, err := s.n.app.Deposits.CurrentLimits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after.MaxRetentionDays != 21 || after.MaxFiles != 12 || after.MaxFileSize != before.MaxFileSize || before.MaxRetentionDays == 21 {
		t.Errorf("limits after saving: %+v (before %+v)", after, before)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestCourtAdminInBrowser: a court admin, in the State theme, sees only
// their court and its figures; another court's service mailbox is a 404
// page and the directory imports a 403 page.
func TestCourtAdminInBrowser(t *testing.T) {
	s := startAdminSite(t, web.ThemeDSFR)
	n := s.n
	s.deposit(t, s.otherClerk, s.partner, "RG 26/01877", []byte("Lille"))
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, s.courtAdmin.Email)
	if loc := b.Location(); !strings.HasSuffix(loc, "/admin/courts") {
		t.Errorf("the court admin starts at %s, want /admin/courts", loc)
	}
	b.Axe("/admin/courts (court admin, landing)")

	visit(t, b, n, "/admin", http.StatusOK)
	if testbrowser.Eval[bool](b, `!!document.querySelector('main a[href="/admin/imports"]')`) {
		t.Error("a court admin is offered the directory imports")
	}
	submitAndWait(b, "open the courts", `main h2`, chromedp.Click(chromedp.CSS(`main a[href="/admin/courts"]`)))
	b.Axe("/admin/courts (court admin)")
	main := b.Text("main")
	if !strings.Contains(main, "Tribunal judiciaire d'Amiens") || !strings.Contains(main, "Greffe correctionnel") {
		t.Errorf("the court admin does not see their court: %s", main)
	}
	if strings.Contains(main, "Lille") || strings.Contains(main, "Greffe civil") {
		t.Errorf("the court admin sees another court: %s", main)
	}
	if n := testbrowser.Eval[int](b, `document.querySelectorAll("main section h2").length`); n != 1 {
		t.Errorf("%d courts shown, want 1", n)
	}
	submitAndWait(b, "open their service", `#member-email`, chromedp.Click(chromedp.CSS(`a[href="/admin/services/`+s.service.ID+`"]`)))
	b.Axe("/admin/services/{id} (court admin)")

	visit(t, b, n, "/admin/stats", http.StatusOK)
	if main := b.Text("main"); !strings.Contains(main, "Tribunal judiciaire d'Amiens") || strings.Contains(main, "Lille") {
		t.Errorf("the court admin's statistics: %s", main)
	}

	visit(t, b, n, "/admin/services/"+s.otherService.ID, http.StatusNotFound)
	if h := b.Text("h1"); !strings.Contains(h, "Page introuvable") {
		t.Errorf("another court's service: %q", h)
	}
	if strings.Contains(b.Text("main"), "Greffe civil") {
		t.Error("the 404 page shows the other court's service")
	}
	visit(t, b, n, "/admin/imports", http.StatusForbidden)
	if h := b.Text("h1"); !strings.Contains(h, "Accès refusé") {
		t.Errorf("imports for a court admin: %q", h)
	}
}
