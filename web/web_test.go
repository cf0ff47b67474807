package web

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// checkPage fails unless body is a page that a strict CSP allows: no inline
// script or style, no event handler or style attribute, nothing from
// another origin, and a language; and no text formatted with the wrong
// arguments.
func checkPage(t *testing.T, what, body string) {
	t.Helper()
	bad := []*regexp.Regexp{
		regexp.MustCompile(`%!`), // a text formatted with the wrong arguments
		regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`),
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)<script>`),
		regexp.MustCompile(`(?i)<script(?: [^>]*)?>[^<]`),
		// Nothing loads from elsewhere; links to elsewhere (the State sites
		// the DSFR footer must show, the Défenseur des droits) are no load.
		regexp.MustCompile(`(?i)<(?:link|script|img|iframe|source|video|audio|embed|object|form)\b[^>]*\s(?:src|href|action|data)="(https?:)?//`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	for _, re := range bad {
		if loc := re.FindStringIndex(body); loc != nil {
			if strings.Contains(body[loc[0]:min(loc[1]+40, len(body))], `type="application/json"`) {
				continue
			}
			t.Errorf("%s: %q at %q", what, re, body[max(loc[0]-60, 0):min(loc[1]+60, len(body))])
		}
	}
	if !regexp.MustCompile(`<html lang="(fr|en)"`).MatchString(body) {
		t.Errorf("%s: no lang attribute", what)
	}
	if !strings.Contains(body, `id="main"`) {
		t.Errorf("%s: no main landmark", what)
	}
}

func TestPagesRender(t *testing.T) {
	for _, theme := range []string{ThemeNavette, ThemeDSFR} {
		af := newThemedAdminFixture(t, theme)
		f, admin := af.fixture, af.admin
		if err := af.accounts.AddMember(t.Context(), admin, af.service.ID, af.clerk.ID); err != nil {
			t.Fatal(err)
		}
		v := f.deposit(t, "PARQUET 26/123", map[string][]byte{"pv.pdf": []byte("%PDF-1.7 procès-verbal")})
		svc := "/admin/services/" + af.service.ID
		malformed := []byte(flowHeader + "1;A;B;Amiens;a@barreau.example;actif;2026-11-01\n2;C;D;Amiens;pas-une-adresse;actif;2026-11-01\n3;E;F\n")
		for _, lang := range []string{"fr", "en"} {
			for _, c := range []struct {
				u    *navette.User
				path string
				want int
				// form, if set, is POSTed; flow, if set, is uploaded as
				// the lawyers' file with the fields; has is a string the
				// page must hold.
				form   string
				flow   []byte
				fields [][2]string
				has    string
			}{
				{u: nil, path: "/signin", want: 200},
				{u: f.lawyer, path: "/inbox", want: 200},
				{u: f.agent, path: "/sent", want: 200},
				{u: f.agent, path: "/new", want: 200},
				{u: af.clerk, path: "/new", want: 200, has: `<option value="` + af.service.Email + `">`},
				{u: f.lawyer, path: "/deposits/" + v.ID, want: 200},
				{u: f.agent, path: "/deposits/" + v.ID, want: 200},
				{u: f.stranger, path: "/deposits/" + v.ID, want: 404},
				{u: f.lawyer, path: "/admin", want: 403},
				{u: admin, path: "/admin", want: 200, has: `href="/admin/imports"`},
				{u: admin, path: "/admin/courts", want: 200, has: `href="` + svc + `"`},
				{u: admin, path: "/admin/stats", want: 200, has: `aria-labelledby="chart-deposits-title chart-deposits-desc"`},
				{u: admin, path: svc, want: 200, has: af.clerk.Email},
				{u: admin, path: svc + "?done=added", want: 200, has: `role="status"`},
				{u: admin, path: svc + "/members", want: 422, form: "email=" + url.QueryEscape(f.lawyer.Email), has: `aria-describedby="member-email-error"`},
				{u: admin, path: "/admin/courts/" + af.service.CourtID + "/services", want: 422, form: "name=&email=x@amiens.justice.example", has: `id="name-` + af.service.CourtID + `-error"`},
				{u: admin, path: "/admin/imports", want: 200, has: `id="file"`},
				// In English, after the French apply below, this dry run
				// would revoke every lawyer: the guard refuses it and
				// the page offers to force it.
				{u: admin, path: "/admin/imports/preview", want: 200, flow: flow(100, 3), fields: [][2]string{{"source", "lawyers"}}, has: `id="counts"`},
				{u: admin, path: "/admin/imports/apply", want: 200, flow: flow(200, 2), fields: [][2]string{{"source", "lawyers"}, {"hash", sum(flow(200, 2))}}, has: `role="status"`},
				{u: admin, path: "/admin/imports/preview", want: 422, flow: malformed, fields: [][2]string{{"source", "lawyers"}}, has: `id="import-problems"`},
				{u: admin, path: "/admin/settings", want: 200, has: `name="max_file_size"`},
				{u: admin, path: "/admin/settings", want: 422, form: "max_files=0", has: `id="max_files-error"`},
				{u: af.courtAdmin, path: "/admin/settings", want: 403},
				{u: af.courtAdmin, path: "/admin", want: 200},
				{u: af.courtAdmin, path: "/admin/courts", want: 200, has: `href="` + svc + `"`},
				{u: af.courtAdmin, path: "/admin/stats", want: 200},
				{u: af.courtAdmin, path: "/admin/services/" + af.otherService.ID, want: 404},
				{u: af.courtAdmin, path: "/admin/imports", want: 403},
			} {
				target := c.path + "?lang=" + lang
				if strings.Contains(c.path, "?") {
					target = c.path + "&lang=" + lang
				}
				var w *httptest.ResponseRecorder
				method := "GET"
				switch {
				case c.flow != nil:
					method = "POST"
					w = f.upload(t, c.u, target, c.fields, c.flow)
				case c.form != "":
					method = "POST"
					w = f.post(t, c.u, target, c.form)
				default:
					w = f.get(t, c.u, target)
				}
				what := theme + " " + lang + " " + method + " " + c.path
				if c.flow != nil {
					what += " (" + strconv.Itoa(len(c.flow)) + " bytes)"
				}
				if w.Code != c.want {
					t.Errorf("%s: status %d, want %d", what, w.Code, c.want)
				}
				body := w.Body.String()
				checkPage(t, what, body)
				if !strings.Contains(body, `<html lang="`+lang+`"`) {
					t.Errorf("%s: not in %s", what, lang)
				}
				if c.has != "" && !strings.Contains(body, c.has) {
					t.Errorf("%s: lacks %s", what, c.has)
				}
				if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
					t.Errorf("%s: CSP %q", what, csp)
				}
				if theme == ThemeDSFR && !strings.Contains(body, "dsfr.min.css") || theme == ThemeNavette && strings.Contains(body, "dsfr") {
					t.Errorf("%s: wrong theme", what)
				}
			}
		}
	}
}

func TestTranslations(t *testing.T) {
	strs, err := templateStrings()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scriptTexts {
		strs = append(strs, s)
	}
	for _, s := range strs {
		if _, ok := english[s]; !ok {
			t.Errorf("no English for %q", s)
		}
	}
	if len(strs) < 100 {
		t.Fatalf("only %d texts found: the extraction is broken", len(strs))
	}
}

func TestParisDates(t *testing.T) {
	winter := time.Date(2026, 12, 2, 13, 5, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 14, 13, 5, 0, 0, time.UTC)
	for _, c := range []struct {
		t          time.Time
		lang, want string
	}{
		{winter, "fr", "2 déc. 2026 à 14:05"},
		{summer, "fr", "14 juil. 2026 à 15:05"},
		{winter, "en", "2 Dec 2026, 14:05"},
	} {
		if got := formatDate(c.t, c.lang); got != c.want {
			t.Errorf("formatDate(%v, %s) = %q, want %q", c.t, c.lang, got, c.want)
		}
	}
}

func TestSignedOutGoesToSignIn(t *testing.T) {
	f := newFixture(t, "")
	for _, p := range []string{"/", "/inbox", "/sent", "/new", "/deposits/" + navette.NewID()} {
		w := f.get(t, nil, p)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/signin") {
			t.Errorf("%s: %d %s", p, w.Code, w.Header().Get("Location"))
		}
	}
	w := f.get(t, nil, "/deposits/x")
	if loc := w.Header().Get("Location"); loc != "/signin?next=%2Fdeposits%2Fx" {
		t.Errorf("next not kept: %s", loc)
	}
}

func TestInboxAndSent(t *testing.T) {
	f := newFixture(t, "")
	v1 := f.deposit(t, "RG 26/00001", map[string][]byte{"conclusions.pdf": []byte("a"), "pièce 1.pdf": []byte("bb")})
	f.clock.Advance(time.Minute)
	v2 := f.deposit(t, "PARQUET 26/777", map[string][]byte{"audition.mp4": []byte("ccc")})
	in := f.get(t, f.lawyer, "/inbox").Body.String()
	for _, want := range []string{"RG 26/00001", "PARQUET 26/777", "Greffe correctionnel", "2\u00a0fichiers", "Nouveau", "30 jours restants"} {
		if !strings.Contains(in, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	if strings.Index(in, "PARQUET 26/777") > strings.Index(in, "RG 26/00001") {
		t.Error("inbox not newest first")
	}
	s := f.get(t, f.lawyer, "/inbox?q=audition").Body.String()
	if !strings.Contains(s, v2.ID) || strings.Contains(s, v1.ID) {
		t.Error("search by file name")
	}
	s = f.get(t, f.lawyer, "/inbox?q=rg+00001").Body.String()
	if strings.Contains(s, v2.ID) || !strings.Contains(s, v1.ID) {
		t.Error("search by reference")
	}
	s = f.get(t, f.agent, "/sent?q=leveque").Body.String()
	if !strings.Contains(s, v2.ID) || !strings.Contains(s, "Maître Lévêque") {
		t.Error("search sent by recipient name, ignoring accents")
	}
	if strings.Contains(f.get(t, f.stranger, "/inbox").Body.String(), v1.ID) {
		t.Error("a stranger sees the deposit")
	}
	if s := f.get(t, f.lawyer, "/inbox?lang=en").Body.String(); !strings.Contains(s, "30 days left") || !strings.Contains(s, "Received deposits") {
		t.Error("English inbox")
	}
}

func TestPagination(t *testing.T) {
	f := newFixture(t, "")
	for i := range pageSize + 3 {
		f.deposit(t, "REF "+string(rune('A'+i%26))+string(rune('a'+i/26)), map[string][]byte{"f": {1}})
		f.clock.Advance(time.Second)
	}
	first := f.get(t, f.lawyer, "/inbox").Body.String()
	m := regexp.MustCompile(`href="(/inbox\?before=[^"]+)" rel="next"`).FindStringSubmatch(first)
	if m == nil {
		t.Fatal("no next page")
	}
	second := f.get(t, f.lawyer, strings.ReplaceAll(m[1], "&amp;", "&")).Body.String()
	if n := strings.Count(second, `<tr class="is-new">`); n != 3 {
		t.Errorf("second page has %d rows, want 3", n)
	}
}

func TestDepositDownloadAndZip(t *testing.T) {
	f := newFixture(t, "")
	files := map[string][]byte{
		"conclusions.pdf": bytes.Repeat([]byte("navette "), 100_000),
		"pièce 2.pdf":     []byte("second"),
		"vide.txt":        {},
	}
	v := f.deposit(t, "RG 26/00042", files)
	page := f.get(t, f.lawyer, "/deposits/"+v.ID).Body.String()
	for name, data := range files {
		sum := sha256.Sum256(data)
		if !strings.Contains(page, hex.EncodeToString(sum[:])) {
			t.Errorf("page lacks the SHA-256 of %s", name)
		}
	}
	if strings.Contains(page, "/revoke") {
		t.Error("a recipient is offered to revoke")
	}
	// One file, without JavaScript: a plain link.
	re := regexp.MustCompile(`href="/deposits/` + v.ID + `/files/([a-z2-7]{32})"`)
	links := re.FindAllStringSubmatch(page, -1)
	if len(links) != 3 {
		t.Fatalf("%d download links", len(links))
	}
	w := f.get(t, f.lawyer, "/deposits/"+v.ID+"/files/"+links[0][1])
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("download: %d %v", w.Code, w.Header())
	}
	// The whole deposit as a ZIP.
	w = f.get(t, f.lawyer, "/deposits/"+v.ID+"/zip")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s", w.Code, w.Body.String())
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "RG 26_00042.zip") {
		t.Errorf("zip name: %s", cd)
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(files) {
		t.Fatalf("%d files in the zip", len(zr.File))
	}
	for _, zf := range zr.File {
		if zf.Method != zip.Store {
			t.Errorf("%s compressed", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, files[zf.Name]) {
			t.Errorf("%s differs", zf.Name)
		}
	}
	// The sender sees who downloaded.
	sent := f.get(t, f.agent, "/deposits/"+v.ID).Body.String()
	if strings.Contains(sent, "Pas encore téléchargé") || !strings.Contains(sent, "Fichiers : 3 sur 3") {
		t.Error("sender does not see the download")
	}
}

func TestRange(t *testing.T) {
	f := newFixture(t, "")
	data := []byte("0123456789abcdefghij")
	v := f.deposit(t, "R", map[string][]byte{"a.bin": data})
	fid := v.Files[0].ID
	r := httptestRequest(f, "/deposits/"+v.ID+"/files/"+fid, "bytes=5-9")
	if r.Code != http.StatusPartialContent || r.Body.String() != "56789" || r.Header().Get("Content-Range") != "bytes 5-9/20" {
		t.Errorf("range: %d %q %s", r.Code, r.Body.String(), r.Header().Get("Content-Range"))
	}
	r = httptestRequest(f, "/deposits/"+v.ID+"/files/"+fid, "bytes=-3")
	if r.Body.String() != "hij" {
		t.Errorf("suffix range: %q", r.Body.String())
	}
	r = httptestRequest(f, "/deposits/"+v.ID+"/files/"+fid, "bytes=40-")
	if r.Code != http.StatusUnprocessableEntity && r.Code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range outside: %d", r.Code)
	}
}

func TestRevokedAndExpired(t *testing.T) {
	f := newFixture(t, "")
	v := f.deposit(t, "RG 1", map[string][]byte{"a": {1}})
	if w := f.post(t, f.lawyer, "/deposits/"+v.ID+"/revoke", "confirm=yes&csrf=csrf-token"); w.Code != http.StatusForbidden {
		t.Errorf("recipient revokes: %d", w.Code)
	}
	if body := f.get(t, f.agent, "/deposits/"+v.ID).Body.String(); !strings.Contains(body, `name="reason"`) {
		t.Errorf("no reason in the revoke form:\n%s", body)
	}
	w := f.post(t, f.agent, "/deposits/"+v.ID+"/revoke", "confirm=yes&reason=Erreur+de+destinataire&csrf=csrf-token")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", w.Code, w.Body.String())
	}
	ns, err := f.h.Deposits.Meta.Notices(t.Context(), navette.NoticeFilter{DepositID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, n := range ns {
		if n.Kind == navette.NoticeWithdrawn {
			d, err := notify.Open(f.h.Deposits.Keys, n)
			if err != nil || d.Reason != "Erreur de destinataire" {
				t.Errorf("withdrawal notice: %+v, %v", d, err)
			}
			told = append(told, n.UserID)
		}
	}
	if len(told) != 1 || told[0] != f.lawyer.ID {
		t.Errorf("withdrawal notices to %v, want the lawyer", told)
	}
	w = f.get(t, f.lawyer, "/deposits/"+v.ID)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Ce dépôt a été retiré") {
		t.Errorf("revoked: %d", w.Code)
	}
	w = f.get(t, f.lawyer, "/deposits/"+v.ID+"/files/"+v.Files[0].ID)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Ce dépôt a été retiré") {
		t.Errorf("revoked download: %d", w.Code)
	}
	// The sender reads what became of the files: to be deleted, then
	// deleted on a date once the sweep has purged them.
	if body := f.get(t, f.agent, "/deposits/"+v.ID).Body.String(); !strings.Contains(body, "ses fichiers vont être effacés") {
		t.Errorf("revoked, not purged yet, as the sender sees it:\n%s", body)
	}
	if _, err := f.h.Deposits.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if body := f.get(t, f.agent, "/deposits/"+v.ID).Body.String(); !strings.Contains(body, "Ses fichiers ont été effacés définitivement le ") {
		t.Errorf("revoked and purged, as the sender sees it:\n%s", body)
	}
	v2 := f.deposit(t, "RG 2", map[string][]byte{"a": {1}})
	f.clock.Advance(31 * 24 * time.Hour)
	w = f.get(t, f.lawyer, "/deposits/"+v2.ID)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Ce dépôt a expiré") {
		t.Errorf("expired: %d", w.Code)
	}
	w = f.get(t, f.stranger, "/deposits/"+v2.ID)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Page introuvable") {
		t.Errorf("stranger: %d", w.Code)
	}
}

func TestErrorPages(t *testing.T) {
	f := newFixture(t, "")
	for code, want := range map[string]string{
		navette.ENOTFOUND:     "Page introuvable",
		navette.EFORBIDDEN:    "Accès refusé",
		navette.EUNAUTHORIZED: "Connexion nécessaire",
		navette.EGONE:         "Ce dépôt a expiré",
		navette.EINTERNAL:     "Erreur interne",
	} {
		w := httpRecorder()
		f.h.Error(w, httpRequest("/nowhere"), navette.Errorf(code, "x"))
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s: page lacks %q", code, want)
		}
		checkPage(t, code, w.Body.String())
	}
}

func TestStatic(t *testing.T) {
	f := newFixture(t, "")
	url := f.h.assetURL("css/navette.css")
	w := f.get(t, nil, url)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("asset: %d %v", w.Code, w.Header())
	}
	r := httpRequest("/static/css/navette.css")
	r.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w2 := httpRecorder()
	f.mux.ServeHTTP(w2, r)
	if w2.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w2.Code)
	}
	if w := f.get(t, nil, "/static/vendor/VERSIONS"); w.Code != 404 {
		t.Errorf("a non-asset is served: %d", w.Code)
	}
	if w := f.get(t, nil, "/static/../web.go"); w.Code == 200 {
		t.Error("path escape")
	}
}

// TestVendoredFiles checks the vendored files against the manifest that
// scripts/vendor-web.sh wrote.
func TestVendoredFiles(t *testing.T) {
	b, err := os.ReadFile("static/vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, path, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		data, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Error(err)
			continue
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s was changed: run scripts/vendor-web.sh", path)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d files in the manifest", n)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/deposits/abc": "/deposits/abc", "//evil.example": "/", "/\\evil": "/", "https://evil.example": "/",
		"": "/", "/signin/totp": "/", "/inbox?q=a": "/inbox?q=a",
		// Downloads are asked for first once signed in (askAfterSignIn).
		"/deposits/abc/files/def": "/deposits/abc/files/def?ask=1", "/deposits/abc/zip": "/deposits/abc/zip?ask=1",
		"/cases/abc/zip": "/cases/abc/zip?ask=1", "/deposits/abc/zip?ask=1": "/deposits/abc/zip?ask=1",
		"/deposits/abc/files/def?lang=en": "/deposits/abc/files/def?ask=1&lang=en", "/deposits/abc/files": "/deposits/abc/files",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSafeNextStaysHome: whatever next a link carries, the redirect made
// of it stays on this origin. http.Redirect cleans the path, and a dot
// segment before a backslash ("/../\evil") came out as "/\evil", which
// browsers read as "//evil": an open redirect after signing in.
func TestSafeNextStaysHome(t *testing.T) {
	for _, in := range []string{"/../\\evil.example", "/./\\evil.example", "/a/../../\\evil.example", "/..//evil.example",
		"/.\\evil.example", "/deposits/\\..\\..\\evil.example", "/%2e%2e/\\evil.example"} {
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest("GET", "/signin", nil), safeNext(in), http.StatusSeeOther)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/") || len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\') || strings.Contains(loc, "\\") {
			t.Errorf("next %q: redirect to %q, which may leave the origin", in, loc)
		}
	}
}

// TestEndedDepositNeverFetched: on a deposit withdrawn before its
// recipient opened or downloaded it, the sender's page says it was not
// opened nor downloaded, not "not yet": it never will be.
func TestEndedDepositNeverFetched(t *testing.T) {
	f := newFixture(t, "")
	v := f.deposit(t, "RG 1", map[string][]byte{"a": {1}})
	if body := f.get(t, f.agent, "/deposits/"+v.ID).Body.String(); !strings.Contains(body, "Pas encore téléchargé") || !strings.Contains(body, "Pas encore ouvert") {
		t.Errorf("available deposit: no \"Pas encore\"")
	}
	if w := f.post(t, f.agent, "/deposits/"+v.ID+"/revoke", "confirm=yes&csrf=csrf-token"); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", w.Code, w.Body.String())
	}
	body := f.get(t, f.agent, "/deposits/"+v.ID).Body.String()
	if strings.Contains(body, "Pas encore") || !strings.Contains(body, "Non téléchargé") || !strings.Contains(body, "Non ouvert") {
		t.Errorf("withdrawn deposit never fetched:\n%s", body)
	}
}

// TestUnscannedWarnedOnce: a deposit whose files were not scanned by an
// antivirus says so once; when only some were not, the warning says so
// and marks their rows briefly, and only theirs.
func TestUnscannedWarnedOnce(t *testing.T) {
	f := newFixture(t, "")
	v := f.deposit(t, "R-AV", map[string][]byte{"a.pdf": []byte("a"), "b.pdf": []byte("b"), "c.pdf": []byte("c")})
	page := func() string {
		t.Helper()
		w := f.get(t, f.agent, "/deposits/"+v.ID)
		if w.Code != http.StatusOK {
			t.Fatalf("the deposit's page: %d", w.Code)
		}
		return w.Body.String()
	}
	body := page()
	if n := strings.Count(body, "analysé"); n != 1 || !strings.Contains(body, "Attention : les fichiers de ce dépôt n’ont pas été analysés par un antivirus.") {
		t.Errorf("every file unscanned: %d mentions, want the warning once", n)
	}
	err := f.meta.UpdateFile(t.Context(), v.Files[0].ID, func(fr *navette.FileRecord) ([]navette.Event, error) {
		fr.Check = navette.CheckClean
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	body = page()
	if n := strings.Count(body, "n’ont pas été analysés"); n != 1 || !strings.Contains(body, "ils sont marqués « non analysé » ci-dessous") {
		t.Errorf("some files unscanned: the warning %d times, want once", n)
	}
	if n := strings.Count(body, ">non analysé</span>"); n != 2 {
		t.Errorf("some files unscanned: %d rows marked, want 2", n)
	}
}
