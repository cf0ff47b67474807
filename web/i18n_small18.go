package web

import "navette"

// small18English translates the texts of a failed admin request and of
// the passkey step-up's resumption. They join english at start-up.
var small18English = map[string]string{
	"approuvée, mais son exécution a échoué : faites une nouvelle demande si besoin": "approved, but carrying it out failed: make a new request if needed",
}

func init() {
	addMissing(english, small18English)
}

// failureText returns msg, a service's English error message, in lang:
// its French version if the catalogue has one.
func failureText(lang, msg string) string {
	if lang == navette.LangEnglish || msg == "" {
		return msg
	}
	if f, ok := french[msg]; ok {
		return f
	}
	return msg
}
