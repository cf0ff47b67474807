package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/app"
	"navette/auth"
)

// TestImportThroughPages posts a directory flow to the admin pages of a
// node: the CSRF token of a file upload travels in the form's URL, so the
// guard never reads (nor spools to disk) the upload itself.
func TestImportThroughPages(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.StaffCodes = true })
	e.user("root@justice.example", "Admin", navette.RoleAdmin)
	b, _ := e.signIn(t, "root@justice.example")

	post := func(csrf string) (*http.Response, string) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("source", "lawyers")
		fw, _ := mw.CreateFormFile("file", "cnbf.csv")
		io.WriteString(fw, "cnbf;nom;prenom;barreau;email;statut;date_maj\n1;Lévêque;Hélène;Lille;helene.leveque@avocat.example;actif;2026-11-01\n")
		mw.Close()
		target := e.url + "/admin/imports/preview"
		if csrf != "" {
			target += "?csrf=" + csrf
		}
		req, _ := http.NewRequest("POST", target, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", e.url)
		req.Header.Set("Accept", "text/html")
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
		resp, err := e.noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, string(out)
	}
	if resp, _ := post(""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without CSRF token: got %d, want 403", resp.StatusCode)
	}
	resp, page := post(b.csrf)
	if resp.StatusCode != 200 || !strings.Contains(page, "helene.leveque@avocat.example") {
		t.Fatalf("preview: %d\n%.2000s", resp.StatusCode, page)
	}
	if _, err := e.app.Meta.UserByEmail(t.Context(), "helene.leveque@avocat.example"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("the preview created the user: %v", err)
	}
}

// TestBrokenDepositLink: the link of an e-mail, cut or mistyped, opened in
// a browser, gets the page saying there is no such deposit; an API client
// gets a problem document.
func TestBrokenDepositLink(t *testing.T) {
	e := newEnv(t)
	const path = "/d/6gmpyzxohdbtucuplk4qc"
	resp, b := e.do("GET", path, "", nil, "Accept", "text/html")
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s in a browser: %d %s\n%.300s", path, resp.StatusCode, ct, b)
	}
	resp, b = e.do("GET", path, "", nil)
	e.problem(resp, b, http.StatusNotFound)
}
