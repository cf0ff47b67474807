package web

import (
	"fmt"
	"strings"

	"navette"
	"navette/directory"
)

// directoryFrench translates the English formats of package directory's
// problems (directory.Problem.Format, and the directory.Text among their
// arguments) into French, with the same verbs in the same order; %q,
// which quotes the English way, becomes « %s ».
// TestDirectoryTranslations checks that every format of the package has an
// entry.
var directoryFrench = map[string]string{
	// Whole values quoted alone, such as a column of a row.
	"%q": "« %s »",
	"%d": "%d",

	// Parse: the flow as a whole and its header.
	"the flow is empty: a header line is expected":                                 "le fichier est vide : une ligne d’en-tête est attendue",
	"the flow has more than %d rows":                                               "le fichier a plus de %d lignes",
	"the header line is not UTF-8 (column %d); the flow must be encoded in UTF-8":  "la ligne d’en-tête n’est pas en UTF-8 (colonne %d) ; le fichier doit être encodé en UTF-8",
	"the column %q appears more than once in the header":                           "la colonne « %s » figure plusieurs fois dans l’en-tête",
	"the header has no column %s (it has %s); check the separator and the mapping": "l’en-tête n’a pas de colonne %s (il a %s) ; vérifiez le séparateur et la correspondance des colonnes",
	"a quoted field is not closed properly (line %d, column %d)":                   "un champ entre guillemets n’est pas fermé correctement (ligne %d, colonne %d)",
	"the line cannot be read: %v":                                                  "la ligne ne peut pas être lue : %v",
	"the line has %d fields, the header %d":                                        "la ligne a %d champs, l’en-tête %d",
	"the field %q is empty":                                                        "le champ « %s » est vide",
	"the field %q is longer than %d bytes":                                         "le champ « %s » dépasse %d octets",
	"the field %q holds a control or invisible character":                          "le champ « %s » contient un caractère de contrôle ou invisible",
	"%q is not a valid e-mail address":                                             "« %s » n’est pas une adresse électronique valide",
	"the e-mail %s is also on line %d":                                             "l’adresse électronique %s figure aussi à la ligne %d",
	"the status %q is unknown (known: %s)":                                         "le statut « %s » est inconnu (statuts connus : %s)",
	"the %s %s is also on line %d":                                                 "l’identifiant %s %s figure aussi à la ligne %d",
	"a quote appears inside a field that is not quoted (column %d); quote the whole field and double the quotes inside it": "un guillemet figure dans un champ qui n’est pas entre guillemets (colonne %d) ; mettez tout le champ entre guillemets et doublez les guillemets qu’il contient",
	"byte 0x%02X in column %s is not UTF-8 (is the flow in Latin-1 or Windows-1252?); the flow must be encoded in UTF-8":   "l’octet 0x%02X de la colonne %s n’est pas de l’UTF-8 (le fichier est-il en Latin-1 ou en Windows-1252 ?) ; le fichier doit être encodé en UTF-8",

	// Sync: listings from a flow or another directory.
	"an external id of 1 to %d printable characters is required":                                      "un identifiant externe de 1 à %d caractères imprimables est requis",
	"the person with e-mail %q needs an external id of 1 to %d printable characters":                  "la personne d’adresse électronique « %s » doit avoir un identifiant externe de 1 à %d caractères imprimables",
	"%sthe name is empty or too long, or a field holds a control character":                           "%sle nom est vide ou trop long, ou un champ contient un caractère de contrôle",
	"%sthe organisation, status, kind or court is too long or reserved":                               "%sl’organisme, le statut, la profession ou la juridiction est trop long ou réservé",
	"%sa directory lists partners, agents, court admins or service mailboxes, not %q":                 "%sun annuaire liste des partenaires, des agents, des administrateurs de juridiction ou des boîtes de service, pas « %s »",
	"%s%q is not a valid, normalized e-mail address":                                                  "%s« %s » n’est pas une adresse électronique valide et normalisée",
	"the external id %s is listed twice (%s)":                                                         "l’identifiant externe %s figure deux fois (%s)",
	"the e-mail %s is listed twice (%s)":                                                              "l’adresse électronique %s figure deux fois (%s)",
	"also on line %d":                                                                                 "aussi à la ligne %d",
	"also for external id %s":                                                                         "aussi pour l’identifiant externe %s",
	"the person with external id %q: ":                                                                "la personne d’identifiant externe « %s » : ",
	"%sthe court %s is unknown":                                                                       "%sla juridiction %s est inconnue",
	"%sthe e-mail %s is already that of a user made by hand":                                          "%sl’adresse électronique %s est déjà celle d’un utilisateur créé à la main",
	"%sthe e-mail %s is already that of a user of the directory %q":                                   "%sl’adresse électronique %s est déjà celle d’un utilisateur de l’annuaire « %s »",
	"%sthe e-mail %s is already that of the user with external id %s in this directory, who keeps it": "%sl’adresse électronique %s est déjà celle de l’utilisateur d’identifiant externe %s de cet annuaire, qui la conserve",
	"the e-mails of the people with external ids %s are exchanged, which cannot be applied at once; change one of them by hand first": "les adresses électroniques des personnes d’identifiants externes %s sont échangées, ce qui ne peut être appliqué en une fois ; modifiez d’abord l’une d’elles à la main",
}

// directoryFieldsFrench names in French the fields a directory sync
// reports as changed (directory.Change.Fields).
var directoryFieldsFrench = map[string]string{
	"email":  "adresse électronique",
	"name":   "nom",
	"org":    "organisme",
	"kind":   "profession",
	"court":  "juridiction",
	"status": "statut",
}

// directoryProblem returns p's message in lang: its Message in English
// (the API's words), its Format translated and its Args formatted in
// French. A problem without a format (decoded from JSON) or with a format
// or an argument that has no translation keeps its English Message.
func directoryProblem(lang string, p directory.Problem) string {
	if lang == navette.LangEnglish || p.Format == "" {
		return p.Message
	}
	if s, ok := directoryText(lang, p.Format, p.Args); ok {
		return s
	}
	return p.Message
}

// directoryText formats format and args in lang, translating format and
// every directory.Text among args, and quoting directory.Names « thus » in
// French; ok is false if a translation is missing.
func directoryText(lang, format string, args []any) (s string, ok bool) {
	if lang == navette.LangEnglish {
		return fmt.Sprintf(format, args...), true
	}
	if format == "" {
		return "", true
	}
	f, ok := directoryFrench[format]
	if !ok {
		return "", false
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case directory.Text:
			t, ok := directoryText(lang, a.Format, a.Args)
			if !ok {
				return "", false
			}
			out[i] = t
		case directory.Names:
			out[i] = a.Quote(guillemets)
		default:
			out[i] = a
		}
	}
	return fmt.Sprintf(f, out...), true
}

// guillemets quotes s the French way.
func guillemets(s string) string { return "« " + s + " »" }

// directoryDetail returns what the Detail column of a change shows in
// lang: the reason of a revocation (the directory's status, or "absent"
// from the listing), else the fields that changed.
func directoryDetail(lang string, c directory.Change) string {
	if c.Reason != "" {
		if lang == navette.LangFrench && c.Reason == directory.ReasonAbsent {
			return "absent du fichier"
		}
		return c.Reason
	}
	fields := c.Fields
	if lang == navette.LangFrench {
		fields = make([]string, len(c.Fields))
		for i, f := range c.Fields {
			if fr, ok := directoryFieldsFrench[f]; ok {
				f = fr
			}
			fields[i] = f
		}
	}
	return strings.Join(fields, ", ")
}
