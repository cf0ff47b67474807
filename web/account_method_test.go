package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"navette"
	"navette/auth"
)

// TestAccountSaysHowInWords: "Mon compte" says how the person signed in
// in words of the page's language; it showed navette's codes
// ("Méthode : code+totp") to lawyers and clerks.
func TestAccountSaysHowInWords(t *testing.T) {
	f := newFixture(t, "")
	for method, want := range map[string][2]string{
		"code+totp":     {"code reçu par courriel et application d’authentification", "e-mailed code and authenticator app"},
		"code+passkey":  {"code reçu par courriel et clé d’accès", "e-mailed code and passkey"},
		"code+recovery": {"code reçu par courriel et code de récupération", "e-mailed code and recovery code"},
		"passkey":       {"clé d’accès", "passkey"},
		"oidc:eidas2":   {"compte du ministère", "ministry account"},
		"ldap":          {"mot de passe de l’annuaire", "directory password"},
	} {
		for i, lang := range []string{"fr", "en"} {
			r := httptest.NewRequest(http.MethodGet, "/account?lang="+lang, nil)
			ctx := navette.NewContextWithUser(r.Context(), f.lawyer)
			ctx = auth.NewContext(ctx, &auth.Current{Session: &navette.Session{ID: "s", UserID: f.lawyer.ID, Stage: navette.StageFull,
				Method: method, CreatedAt: f.clock.Now(), VerifiedAt: f.clock.Now()}, User: f.lawyer, CSRF: "csrf-token"})
			w := httptest.NewRecorder()
			f.mux.ServeHTTP(w, r.WithContext(ctx))
			body := w.Body.String()
			i0 := strings.Index(body, `id="signin-method"`)
			if w.Code != http.StatusOK || i0 < 0 {
				t.Fatalf("%s %s: %d, no sign-in method", method, lang, w.Code)
			}
			line := body[i0:min(len(body), i0+300)]
			line = line[:strings.Index(line, "</p>")]
			if !strings.Contains(line, want[i]) || !strings.Contains(want[i], method) && strings.Contains(line, method) {
				t.Errorf("%s in %s: %q, want %q", method, lang, line, want[i])
			}
		}
	}
}
