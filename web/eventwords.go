package web

import (
	"fmt"
	"strings"

	"navette"
	"navette/i18n"
)

// eventRow is one event of a person's page: the event, its detail in
// words for people (Words) beside the raw detail auditors match against
// the journal's export.
type eventRow struct {
	navette.Event
	Words string
}

// eventRows puts the details of es in words in lang, naming the ids that
// names (id → name) knows.
func eventRows(lang string, es []navette.Event, names map[string]string) []eventRow {
	out := make([]eventRow, 0, len(es))
	for _, e := range es {
		out = append(out, eventRow{Event: e, Words: eventWords(lang, e, names)})
	}
	return out
}

// eventWords says the detail of e in lang: a request's action, a sign-in
// method, why a session ended, a membership, a role change, a mailbox
// created, with names for the ids names knows. A detail with no better
// reading is given as is.
func eventWords(lang string, e navette.Event, names map[string]string) string {
	f := strings.Fields(e.Detail)
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	switch {
	case strings.HasPrefix(string(e.Type), "request.") && len(f) >= 2:
		return i18n.RequestActionLabel(lang, navette.RequestAction(f[1]))
	case e.Type == navette.EventSignIn:
		return tr(lang, methodName(e.Detail))
	case e.Type == navette.EventSignOut:
		return signOutWords(lang, f, name)
	case e.Type == navette.EventTokenRevoked:
		return name(e.Detail)
	}
	if w, ok := accountWords(lang, e.Type, f, name); ok {
		return w
	}
	return e.Detail
}

// accountWords says the detail of an event of type typ about people and
// mailboxes (its fields f) in lang, with name for their ids: a
// membership, a role change, a mailbox created. It reports false for
// another event.
func accountWords(lang string, typ navette.EventType, f []string, name func(string) string) (string, bool) {
	switch {
	case (typ == navette.EventMemberAdded || typ == navette.EventMemberRemoved) && len(f) == 2:
		return fmt.Sprintf(tr(lang, "%s, boîte %s"), name(f[1]), name(f[0])), true
	case typ == navette.EventRoleChanged && len(f) == 2:
		return roleWords(lang, f[0]) + " → " + roleWords(lang, f[1]), true
	case typ == navette.EventRoleChanged && len(f) == 3:
		return fmt.Sprintf(tr(lang, "%s : %s → %s"), name(f[0]), roleWords(lang, f[1]), roleWords(lang, f[2])), true
	case typ == navette.EventUserCreated && len(f) == 2:
		return fmt.Sprintf(tr(lang, "%s : %s"), roleWords(lang, f[0]), name(f[1])), true
	}
	return "", false
}

// namedIDs returns the ids of people and mailboxes that the details of es
// name, for eventWords to say by name: a membership's mailbox and member,
// the person whose role changed, whose sessions an admin ended, the
// mailbox an admin created.
func namedIDs(es []navette.Event) []string {
	var out []string
	for _, e := range es {
		f := strings.Fields(e.Detail)
		switch {
		case (e.Type == navette.EventMemberAdded || e.Type == navette.EventMemberRemoved) && len(f) == 2:
			out = append(out, f...)
		case e.Type == navette.EventRoleChanged && len(f) == 3:
			out = append(out, f[0])
		case e.Type == navette.EventUserCreated && len(f) == 2:
			out = append(out, f[1])
		case e.Type == navette.EventSignOut && len(f) >= 2 && f[0] == "revoked":
			out = append(out, f[1])
		}
	}
	return out
}

// signOutWords says why a session ended (the fields f of its detail:
// "signout", "expired", "revoked USERID [SESSIONID]").
func signOutWords(lang string, f []string, name func(string) string) string {
	switch {
	case len(f) == 1 && f[0] == "signout":
		return tr(lang, "déconnexion")
	case len(f) == 1 && f[0] == "expired":
		return tr(lang, "session expirée")
	case len(f) == 2 && f[0] == "revoked":
		return fmt.Sprintf(tr(lang, "toutes les sessions de %s fermées"), name(f[1]))
	case len(f) == 3 && f[0] == "revoked":
		return fmt.Sprintf(tr(lang, "une session de %s fermée"), name(f[1]))
	}
	return strings.Join(f, " ")
}

// roleWords names role r in lang, or gives it as is if it is none known.
func roleWords(lang, r string) string {
	if n, ok := roleNames[navette.Role(r)]; ok {
		return tr(lang, n)
	}
	return r
}

// eventWordsEnglish translates the words of eventWords. They join english
// at start-up.
var eventWordsEnglish = map[string]string{
	"%s, boîte %s":                      "%s, mailbox %s",
	"%s : %s → %s":                      "%s: %s → %s",
	"%s : %s":                           "%s: %s",
	"déconnexion":                       "signed out",
	"session expirée":                   "session expired",
	"toutes les sessions de %s fermées": "all sessions of %s ended",
	"une session de %s fermée":          "a session of %s ended",
}

func init() {
	addMissing(english, eventWordsEnglish)
}
