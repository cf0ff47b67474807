package i18n

import (
	"strings"
	"testing"

	"navette"
)

// TestRequestActionLabel: every action an admin request may ask is named
// in French and in English, a language it does not know reads French, and
// an action it does not know is given as its code.
func TestRequestActionLabel(t *testing.T) {
	for a := range actionNames[navette.LangFrench] {
		if !a.Valid() {
			t.Errorf("%q is named but is no action", a)
		}
	}
	for _, a := range []navette.RequestAction{navette.ActionAddMember, navette.ActionGrantRole, navette.ActionRestoreUser,
		navette.ActionForceDirectory, navette.ActionPolicyAssurance, navette.ActionPolicyAntivirus, navette.ActionKeysRotate} {
		fr, en := RequestActionLabel(navette.LangFrench, a), RequestActionLabel(navette.LangEnglish, a)
		if fr == string(a) || en == string(a) || fr == en {
			t.Errorf("%s: %q, %q", a, fr, en)
		}
		if RequestActionLabel("de", a) != fr {
			t.Errorf("%s: another language does not read French", a)
		}
	}
	if got := RequestActionLabel(navette.LangFrench, "later.action"); got != "later.action" {
		t.Errorf("an unknown action: %q", got)
	}
}

// TestRequestActionLabelTypography: the French names of the actions,
// which pages show beside their own words, use the typographic apostrophe
// (’) as the pages do, never the straight one.
func TestRequestActionLabelTypography(t *testing.T) {
	for a, s := range actionNames[navette.LangFrench] {
		if strings.Contains(s, "'") {
			t.Errorf("%s: %q has a straight apostrophe: write ’", a, s)
		}
	}
}
