package receipt

import (
	"strings"
	"testing"
	"time"
)

// TestActorSignInInFrench: the French text of a receipt (what navette
// verify prints) names how the actor signed in and the assurance level in
// French, as the PDF does; it printed "authentifié par token …, niveau de
// garantie substantial".
func TestActorSignInInFrench(t *testing.T) {
	at := Time{time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)}
	for method, want := range map[string]string{
		"token":         "authentifié par jeton d'accès à l'API le ",
		"code+totp":     "authentifié par code envoyé par courriel et second facteur (TOTP) le ",
		"code+recovery": "authentifié par code envoyé par courriel et code de récupération",
		"oidc:eidas2":   "authentifié par fournisseur d'identité (OpenID Connect), classe eidas2 le ",
		"someday":       "authentifié par someday le ",
	} {
		got := actor(&fr, &Actor{ID: "u1", Name: "Stéphane Durand", Email: "s@avocat.example", Auth: &Auth{Method: method, At: at, Level: "substantial"}})
		if !strings.Contains(got, want) || !strings.HasSuffix(got, "niveau de garantie substantiel)") {
			t.Errorf("%s: %q, want %q and the level in French", method, got, want)
		}
	}
	got := actor(&en, &Actor{ID: "u1", Auth: &Auth{Method: "code+totp", At: at, Level: "high"}})
	if !strings.Contains(got, "signed in by code+totp at ") || !strings.HasSuffix(got, "assurance level high)") {
		t.Errorf("English: %q", got)
	}
}
