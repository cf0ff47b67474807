package web

import (
	"strings"

	"navette"
)

// sourceNames name the directories people come from, by their code
// (navette.User.Source), as the interface shows them; a source configured
// under another code is shown by its code.
var sourceNames = map[string]string{
	"lawyers": text("Tableau national des avocats"),
	"ldap":    text("Annuaire du ministère (LDAP)"),
}

// sourceName names the directory source in lang.
func sourceName(lang, source string) string {
	if name, ok := sourceNames[source]; ok {
		return tr(lang, name)
	}
	return source
}

// revokedStates say, by the directory status a person last had (compared
// as directory compares statuses: ignoring case and accents), why a
// person disabled by their directory has no access: the national table of
// lawyers' own words, and navette's for a person the listing no longer
// holds (directory.ReasonAbsent) or lists as inactive.
var revokedStates = map[string]string{
	"radie":    text("radié(e)"),
	"omis":     text("omis(e)"),
	"suspendu": text("suspendu(e)"),
	"absent":   text("absent(e) de l’annuaire"),
	"inactive": text("inactif(ve) dans l’annuaire"),
}

// personState says in lang whether u has access and, if their directory
// took it away, why: "actif", "radié(e)", "omis(e)"…; "accès retiré" for
// a person an administrator disabled.
func personState(lang string, u *navette.User) string {
	if !u.Disabled {
		return tr(lang, "actif")
	}
	if s, ok := revokedStates[strings.Join(navette.SearchWords(u.DirectoryStatus), " ")]; ok {
		return tr(lang, s)
	}
	return tr(lang, "accès retiré")
}

// peopleEnglish translates sourceNames, revokedStates and the state of
// a person an administrator disabled (stats19English has the table's name). They join english at start-up.
var peopleEnglish = map[string]string{
	"Annuaire du ministère (LDAP)": "Ministry directory (LDAP)",
	"radié(e)":                     "struck off",
	"omis(e)":                      "omitted from the roll",
	"suspendu(e)":                  "suspended",
	"absent(e) de l’annuaire":      "no longer in the directory",
	"inactif(ve) dans l’annuaire":  "inactive in the directory",
	"accès retiré":                 "access removed",
	"Son code : lawyers pour le Tableau national des avocats, ldap pour l’annuaire du ministère": "Its code: lawyers for the national table of lawyers, ldap for the ministry directory",
}

func init() {
	addMissing(english, peopleEnglish)
}
