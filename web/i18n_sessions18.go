package web

// sessions18English translates the texts of the sessions listed on a
// person's page. They join english at start-up.
var sessions18English = map[string]string{
	"Sessions en cours":                  "Live sessions",
	"Ouverte le":                         "Opened on",
	"Méthode":                            "Method",
	"Niveau de garantie":                 "Assurance level",
	"Dernière activité":                  "Last activity",
	"Expire le":                          "Expires on",
	"connexion en cours":                 "signing in",
	"identité vérifiée le %s":            "identity verified on %s",
	"Aucune":                             "None",
	"Fermer cette session ouverte le %s": "End this session opened on %s",
	"Fermer cette session":               "End this session",
	"Aucune session en cours.":           "No live session.",
	"La session est fermée.":             "The session is ended.",
	"Vos sessions":                       "Your sessions",
	"Chaque appareil ou navigateur où vous êtes connecté a sa session. Si vous ne reconnaissez pas l’une d’elles, fermez-les toutes sauf celle-ci, puis prévenez votre administrateur.": "Each device or browser where you are signed in has its session. If you do not recognise one of them, end them all but this one, then tell your administrator.",
	"cette session":                     "this session",
	"Fermer mes autres sessions":        "End my other sessions",
	"Vos autres sessions sont fermées.": "Your other sessions are ended.",
}

func init() {
	addMissing(english, sessions18English)
}

// ErrorText returns msg, a service's English error message, in lang: its
// French version if the catalogue of the pages has one, msg otherwise. The
// e-mails use it (notify.Renderer.Errors) to say why an approved request
// failed as the pages say it.
func ErrorText(lang, msg string) string {
	return failureText(lang, msg)
}
