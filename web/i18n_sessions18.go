package web

// sessions18English translates the texts of the sessions listed on a
// person's page. They join english at start-up.
var sessions18English = map[string]string{
	"Sessions en cours":               "Live sessions",
	"Ouverte le":                      "Opened on",
	"Méthode":                         "Method",
	"Niveau de garantie":              "Assurance level",
	"Dernière activité":               "Last activity",
	"Expire le":                       "Expires on",
	"connexion en cours":              "signing in",
	"identité vérifiée le %s":         "identity verified on %s",
	"Aucune":                          "None",
	"Fermer la session ouverte le %s": "End the session opened on %s",
	"Fermer cette session":            "End this session",
	"Aucune session en cours.":        "No live session.",
	"La session est fermée.":          "The session is ended.",
}

func init() {
	for fr, en := range sessions18English {
		if _, ok := english[fr]; !ok {
			english[fr] = en
		}
	}
}
