package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"navette"
	"navette/account"
	"navette/auth"
)

// adminFixture is a fixture with directory imports configured, a platform
// admin, two courts with a service mailbox each, and their staff.
type adminFixture struct {
	*fixture
	admin, courtAdmin, clerk, otherClerk *navette.User
	service, otherService                *navette.User
}

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	return newThemedAdminFixture(t, "")
}

// upload posts a multipart form as u: the fields in order, then the file.
func (f *fixture) upload(t *testing.T, u *navette.User, target string, fields [][2]string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", "csrf-token")
	for _, kv := range fields {
		mw.WriteField(kv[0], kv[1])
	}
	fw, err := mw.CreateFormFile("file", "avocats.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	ctx := navette.NewContextWithUser(r.Context(), u)
	ctx = auth.NewContext(ctx, &auth.Current{Session: &navette.Session{ID: "s", UserID: u.ID, Stage: navette.StageFull, VerifiedAt: f.clock.Now()}, User: u, CSRF: "csrf-token"})
	r = r.WithContext(ctx)
	if f.preparse {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Fatal(err)
		}
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

const flowHeader = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"

func flow(from, n int) []byte {
	var b strings.Builder
	b.WriteString(flowHeader)
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%d;Nom%d;Prénom;Amiens;avocat.%d@barreau.example;actif;2026-11-01\n", i, i, i)
	}
	return []byte(b.String())
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func lawyers(t *testing.T, f *adminFixture) []*navette.User {
	t.Helper()
	us, err := f.meta.UsersBySource(context.Background(), "lawyers")
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestImportDryRunWritesNothing(t *testing.T) {
	f := newAdminFixture(t)
	w := f.get(t, f.admin, "/admin/imports")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `enctype="multipart/form-data"`) {
		t.Fatalf("imports page: %d %s", w.Code, w.Body)
	}
	checkPage(t, "imports", w.Body.String())
	data := flow(100, 3)
	w = f.upload(t, f.admin, "/admin/imports/preview", [][2]string{{"source", "lawyers"}}, data)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("preview: %d %s", w.Code, body)
	}
	checkPage(t, "preview", body)
	for _, want := range []string{"Aperçu des changements", "<dt>Ajoutés</dt><dd>3</dd>", "avocat.101@barreau.example", `name="hash" value="` + sum(data) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(body, `name="force"`) {
		t.Error("force offered without a refusal")
	}
	if us := lawyers(t, f); len(us) != 0 {
		t.Fatalf("dry run wrote %d users", len(us))
	}
}

func TestImportApplyCreatesUsers(t *testing.T) {
	f := newAdminFixture(t)
	data := flow(100, 3)
	w := f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(flow(100, 2))}}, data)
	if w.Code != 400 || !strings.Contains(w.Body.String(), `id="file-error"`) || len(lawyers(t, f)) != 0 {
		t.Fatalf("apply of another file: %d, %d users", w.Code, len(lawyers(t, f)))
	}
	w = f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(data)}}, data)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Changements appliqués") || !strings.Contains(body, "Le fichier est appliqué.") {
		t.Fatalf("apply: %d %s", w.Code, body)
	}
	if us := lawyers(t, f); len(us) != 3 {
		t.Fatalf("apply made %d users, want 3", len(us))
	}
}

func TestImportMalformedShowsLines(t *testing.T) {
	f := newAdminFixture(t)
	data := []byte(flowHeader + "1;A;B;Amiens;a@barreau.example;actif;2026-11-01\n2;C;D;Amiens;pas-une-adresse;actif;2026-11-01\n3;E;F\n")
	w := f.upload(t, f.admin, "/admin/imports/preview", [][2]string{{"source", "lawyers"}}, data)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", w.Code)
	}
	checkPage(t, "malformed", body)
	for _, want := range []string{"Ligne 3 :", "Ligne 4 :", `aria-describedby="file-error import-problems"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/admin/imports/apply"`) {
		t.Error("a refused file can be applied")
	}
	if len(lawyers(t, f)) != 0 {
		t.Fatal("a malformed file wrote users")
	}
}

func TestImportGuardAsksForce(t *testing.T) {
	f := newAdminFixture(t)
	full := flow(100, 10)
	if w := f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(full)}}, full); w.Code != 200 {
		t.Fatalf("first import: %d", w.Code)
	}
	half := flow(100, 5)
	w := f.upload(t, f.admin, "/admin/imports/preview", [][2]string{{"source", "lawyers"}}, half)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "retirerait l’accès à 5 personnes") || !strings.Contains(body, `name="force"`) {
		t.Fatalf("guard: %d %s", w.Code, body)
	}
	checkPage(t, "guard", body)
	w = f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(half)}}, half)
	if !strings.Contains(w.Body.String(), `name="force"`) {
		t.Fatal("apply without force went through")
	}
	disabled := func() int {
		n := 0
		for _, u := range lawyers(t, f) {
			if u.Disabled {
				n++
			}
		}
		return n
	}
	if n := disabled(); n != 0 {
		t.Fatalf("%d revoked without force", n)
	}
	// Forcing is the two-person rule's: a request, then its approval by
	// another admin, then the same file with the request's id, once.
	second, err := f.accounts.Create(context.Background(), account.NewUser{Email: "admin2@justice.example", Name: "Admin 2", Role: navette.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	w = f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(half)}, {"force", "yes"}}, half)
	body = w.Body.String()
	if w.Code != http.StatusAccepted || !strings.Contains(body, "en attente d’approbation") || !strings.Contains(body, `name="request"`) {
		t.Fatalf("forced apply: %d", w.Code)
	}
	checkPage(t, "force requested", body)
	if n := disabled(); n != 0 {
		t.Fatalf("%d revoked before approval", n)
	}
	pending, err := f.accounts.Requests(context.Background(), f.admin, navette.RequestPending)
	if err != nil || len(pending) != 1 || pending[0].Action != navette.ActionForceDirectory {
		t.Fatalf("pending: %v, %v", pending, err)
	}
	id := pending[0].ID
	if w := f.post(t, second, "/admin/requests/"+id+"/approve", "sha256="+hex.EncodeToString(pending[0].ParamsHash)); w.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", w.Code, w.Body.String())
	}
	other := flow(100, 4)
	if w := f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(other)}, {"force", "yes"}, {"request", id}}, other); w.Code != 409 || disabled() != 0 {
		t.Fatalf("another file with the request: %d, %d revoked", w.Code, disabled())
	}
	w = f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(half)}, {"force", "yes"}, {"request", id}}, half)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Changements appliqués") {
		t.Fatalf("forced apply with the approved request: %d", w.Code)
	}
	if n := disabled(); n != 5 {
		t.Fatalf("%d revoked with force, want 5", n)
	}
	if w := f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(half)}, {"force", "yes"}, {"request", id}}, half); w.Code != 409 {
		t.Errorf("the request used twice: %d, want 409", w.Code)
	}
}

// TestImportPreparsed imports a form that the HTTP middleware parsed
// already, as its CSRF check does.
func TestImportPreparsed(t *testing.T) {
	f := newAdminFixture(t)
	f.preparse = true
	data := flow(100, 2)
	w := f.upload(t, f.admin, "/admin/imports/preview", [][2]string{{"source", "lawyers"}}, data)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<dt>Ajoutés</dt><dd>2</dd>") {
		t.Fatalf("preview: %d", w.Code)
	}
	w = f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(data)}}, data)
	if w.Code != 200 || len(lawyers(t, f)) != 2 {
		t.Fatalf("apply: %d, %d users", w.Code, len(lawyers(t, f)))
	}
}

func TestImportsNotConfigured(t *testing.T) {
	f := newAdminFixture(t)
	f.h.Directory = nil
	w := f.get(t, f.admin, "/admin/imports")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "ne sont pas configurés") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestAdminPagesForbidden(t *testing.T) {
	f := newAdminFixture(t)
	for _, u := range []*navette.User{f.lawyer, f.clerk} {
		for _, path := range []string{"/admin", "/admin/courts", "/admin/imports", "/admin/services/" + f.service.ID} {
			if w := f.get(t, u, path); w.Code != 403 {
				t.Errorf("%s GET %s: %d, want 403", u.Email, path, w.Code)
			}
		}
		if w := f.post(t, u, "/admin/services/"+f.service.ID+"/members", "email="+url.QueryEscape(f.clerk.Email)); w.Code != 403 {
			t.Errorf("%s add member: %d, want 403", u.Email, w.Code)
		}
		if w := f.upload(t, u, "/admin/imports/preview", [][2]string{{"source", "lawyers"}}, flow(1, 1)); w.Code != 403 {
			t.Errorf("%s import: %d, want 403", u.Email, w.Code)
		}
	}
	if w := f.get(t, f.courtAdmin, "/admin/imports"); w.Code != 403 {
		t.Errorf("court admin imports: %d, want 403", w.Code)
	}
}

func TestCourtAdminEditsMembers(t *testing.T) {
	f := newAdminFixture(t)
	svc := "/admin/services/" + f.service.ID
	members := func(id string) int {
		ms, err := f.meta.Members(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	w := f.post(t, f.courtAdmin, svc+"/members", "csrf=csrf-token&email="+url.QueryEscape(strings.ToUpper(f.clerk.Email)))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != svc+"?done=requested" || members(f.service.ID) != 0 {
		t.Fatalf("add: %d %s, %d members", w.Code, w.Header().Get("Location"), members(f.service.ID))
	}
	if page := f.get(t, f.courtAdmin, svc+"?done=requested"); !strings.Contains(page.Body.String(), "en attente d’approbation") {
		t.Fatal("the page does not say the addition waits for approval")
	}
	f.approveAll(t, f.admin)
	page := f.get(t, f.courtAdmin, svc+"?done=added")
	if !strings.Contains(page.Body.String(), "Le membre est ajouté.") || !strings.Contains(page.Body.String(), f.clerk.Email) {
		t.Fatal("the page does not show the new member")
	}
	checkPage(t, "service", page.Body.String())
	central, err := f.accounts.Create(context.Background(), account.NewUser{Email: "centrale@justice.example", Name: "Administration centrale", Role: navette.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, email string
		status      int
		want        string
	}{
		{svc + "/members", f.clerk.Email, 409, "déjà membre"},
		{svc + "/members", central.Email, 422, "n’appartient à aucune juridiction"},
		{svc + "/members", "personne@justice.example", 404, "Aucun agent n’a cette adresse"},
		{svc + "/members", f.otherClerk.Email, 422, "autre juridiction"},
		{svc + "/members", f.lawyer.Email, 422, "Seuls les agents"},
		{svc + "/members/remove", f.otherClerk.Email, 404, "n’est pas membre"},
	} {
		w := f.post(t, f.courtAdmin, c.path, "email="+url.QueryEscape(c.email))
		body := w.Body.String()
		if w.Code != c.status || !strings.Contains(body, c.want) || !strings.Contains(body, `aria-describedby="member-email-error"`) {
			t.Errorf("%s %s: %d, want %d with %q", c.path, c.email, w.Code, c.status, c.want)
		}
		checkPage(t, c.path, body)
	}
	w = f.post(t, f.courtAdmin, svc+"/members/remove", "email="+url.QueryEscape(f.clerk.Email))
	if w.Code != http.StatusSeeOther || members(f.service.ID) != 0 {
		t.Fatalf("remove: %d, %d members", w.Code, members(f.service.ID))
	}
	other := "/admin/services/" + f.otherService.ID
	for _, path := range []string{other + "/members", other + "/members/remove"} {
		if w := f.post(t, f.courtAdmin, path, "email="+url.QueryEscape(f.otherClerk.Email)); w.Code != 404 {
			t.Errorf("%s on another court: %d, want 404", path, w.Code)
		}
	}
	second, err := f.accounts.Create(context.Background(), account.NewUser{Email: "admin2@justice.example", Name: "Admin 2", Role: navette.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.post(t, f.admin, other+"/members", "email="+url.QueryEscape(f.otherClerk.Email)); w.Code != http.StatusSeeOther || members(f.otherService.ID) != 0 {
		t.Errorf("platform admin add: %d", w.Code)
	}
	f.approveAll(t, f.courtAdmin) // not Lille's: nothing
	if members(f.otherService.ID) != 0 {
		t.Error("Amiens' court admin approved a request about Lille")
	}
	f.approveAll(t, second)
	if members(f.otherService.ID) != 1 {
		t.Error("platform admin add, approved by another: not a member")
	}
}

func TestCreateService(t *testing.T) {
	f := newAdminFixture(t)
	court := f.courtAdmin.CourtID
	w := f.post(t, f.courtAdmin, "/admin/courts/"+court+"/services", "name="+url.QueryEscape("Greffe des mineurs")+"&email=mineurs@amiens.justice.example")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	w = f.post(t, f.courtAdmin, "/admin/courts/"+court+"/services", "name=Autre&email=mineurs@amiens.justice.example")
	if w.Code != 409 || !strings.Contains(w.Body.String(), `aria-describedby="email-`+court+`-error"`) {
		t.Fatalf("duplicate: %d", w.Code)
	}
	checkPage(t, "courts", w.Body.String())
	if w := f.post(t, f.courtAdmin, "/admin/courts/"+f.otherService.CourtID+"/services", "name=X&email=x@lille.justice.example"); w.Code != 404 {
		t.Fatalf("another court: %d, want 404", w.Code)
	}
}

// TestCourtsPageDisabledMailbox: the courts page marks a disabled service
// mailbox "désactivée", a mailbox (boîte) being feminine in French.
func TestCourtsPageDisabledMailbox(t *testing.T) {
	f := newAdminFixture(t)
	err := f.meta.UpdateUser(context.Background(), f.service.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled = true
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	body := f.get(t, f.admin, "/admin/courts").Body.String()
	if !strings.Contains(body, ">désactivée</span>") || strings.Contains(body, ">désactivé</span>") {
		t.Errorf("the courts page does not mark the disabled mailbox 'désactivée':\n%s", body)
	}
}
