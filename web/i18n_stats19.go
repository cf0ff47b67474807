package web

import "navette/deposit"

// statsEnglish translates the texts of the statistics page and its CSV.
// They join english at start-up.
var statsEnglish = map[string]string{
	"Actions faites sur le serveur, hors règle des deux personnes":            "Actions taken on the server, outside the two-person rule",
	"actions faites sur le serveur, hors règle des deux personnes":            "actions taken on the server, outside the two-person rule",
	"à vérifier dans le journal":                                              "to check in the journal",
	"Chiffres arrêtés le %s (gardés dix minutes quand leur calcul est long).": "Figures as of %s (kept ten minutes when they take long to count).",
	"Ce fichier retirerait l’accès à %s personne, plus que la part autorisée d’un seul coup (10 %% des utilisateurs actifs de la source) : vérifiez que le fichier est complet. Rien n’a été appliqué.":  "This file would revoke the access of %s person, more than the share allowed at once (10 %% of the source's active users): check that the file is complete. Nothing was applied.",
	"Ce fichier retirerait l’accès à %s personnes, plus que la part autorisée d’un seul coup (10 %% des utilisateurs actifs de la source) : vérifiez que le fichier est complet. Rien n’a été appliqué.": "This file would revoke the access of %s people, more than the share allowed at once (10 %% of the source's active users): check that the file is complete. Nothing was applied.",
	"Tableau national des avocats": "National table of lawyers",
	"%s avis n’a pas pu être remis ; consultez-le avec « navette mail » ou l’API d’administration.":    "%s notice could not be delivered; see it with “navette mail” or the admin API.",
	"%s avis n’ont pas pu être remis ; consultez-les avec « navette mail » ou l’API d’administration.": "%s notices could not be delivered; see them with “navette mail” or the admin API.",
	"%s dépôt envoyé":   "%s deposit sent",
	"%s dépôts envoyés": "%s deposits sent",
	"%s reçu.":          "%s received.",
	"%s reçus.":         "%s received.",
	"Limite de téléchargements atteinte : %s fichier":                            "Download limit reached: %s file",
	"Limite de téléchargements atteinte : %s fichiers":                           "Download limit reached: %s files",
	"%s destinataire sur %s n’a pas téléchargé":                                  "%s recipient of %s has not downloaded",
	"%s destinataires sur %s n’ont pas téléchargé":                               "%s recipients of %s have not downloaded",
	"Jusqu’à %s fichier de %s au plus.":                                          "Up to %s file of at most %s.",
	"Jusqu’à %s fichiers de %s chacun au plus.":                                  "Up to %s files of at most %s each.",
	"Vide : %s, la valeur de la configuration. En mégaoctets : 1 Go = 1 000 Mo.": "Empty: %s, the configuration's value. In megabytes: 1 GB = 1,000 MB.",
	"Juridiction : %s ; dépôts de ses agents, de %s à %s.":                       "Court: %s; deposits by its staff, from %s to %s.",
	"Toute la plateforme, de %s à %s.":                                           "The whole platform, from %s to %s.",
	"Télécharger les chiffres (CSV)":                                             "Download the figures (CSV)",
	"Dépôts envoyés":                                                             "Deposits sent",
	"Fichiers déposés":                                                           "Files deposited",
	"Volume déposé":                                                              "Volume deposited",
	"Dépôts téléchargés":                                                         "Deposits downloaded",
	"Délai avant le premier téléchargement, 90e centile":                         "Time to first download, 90th percentile",
	"Part des dépôts arrivés à échéance sans avoir été téléchargés":              "Share of the deposits that expired without being downloaded",
	"%s sur %s":         "%s of %s",
	"Relances envoyées": "Reminders sent",
	"Avis abandonnés après échec de l’envoi": "Notices given up after failed sending",
	"Avis abandonnés":                        "Notices given up",
	"Dépôts, fichiers et avis par mois":      "Deposits, files and notices per month",
	"Volume déposé par mois":                 "Volume deposited per month",
	"Temps écoulé entre la mise à disposition d’un dépôt, quand ses destinataires sont avisés, et son premier téléchargement par l’un d’eux.": "Time between a deposit being made available, when its recipients are notified, and its first download by one of them.",
	"Aucun dépôt sur la période.":                "No deposit in the period.",
	"Organisations partenaires les plus servies": "Partner organisations served most",
	"Cabinets et organismes dont les membres ont reçu le plus gros volume, chaque dépôt compté une fois par organisation.": "Firms and bodies whose members received the largest volume, each deposit counted once per organisation.",
	"Organisations partenaires par volume reçu": "Partner organisations by volume received",
	"Organisation": "Organisation",
	"Dépôts reçus": "Deposits received",
	"Volume reçu":  "Volume received",
	"Aucune organisation partenaire n’a reçu de dépôt sur la période.":                                                                     "No partner organisation received a deposit in the period.",
	"Graphique en barres du nombre de dépôts par mois ; les valeurs figurent dans le tableau qui suit.":                                    "Bar chart of the number of deposits per month; the values are in the table that follows.",
	"Graphique en barres du volume des fichiers déposés par mois ; les valeurs figurent dans le tableau qui suit.":                         "Bar chart of the volume of the files deposited per month; the values are in the table that follows.",
	"Graphique en barres du nombre de dépôts par délai avant leur premier téléchargement ; les valeurs figurent dans le tableau qui suit.": "Bar chart of the number of deposits by time to their first download; the values are in the table that follows.",
	deposit.StatsPartners:       "partners",
	deposit.StatsNoCourt:        "(no court)",
	"indicateur":                "figure",
	"mois":                      "month",
	"groupe":                    "group",
	"valeur":                    "value",
	"dépôts":                    "deposits",
	"fichiers":                  "files",
	"octets":                    "bytes",
	"relances envoyées":         "reminders sent",
	"avis abandonnés":           "notices given up",
	"dépôts mis à disposition":  "deposits made available",
	"dépôts téléchargés":        "deposits downloaded",
	"dépôts arrivés à échéance": "deposits expired",
	"dépôts arrivés à échéance sans téléchargement":                   "deposits expired without download",
	"délai médian avant le premier téléchargement (secondes)":         "median time to first download (seconds)",
	"90e centile du délai avant le premier téléchargement (secondes)": "90th percentile of the time to first download (seconds)",
	"dépôts reçus par l’organisation":                                 "deposits received by the organisation",
	"octets reçus par l’organisation":                                 "bytes received by the organisation",
}

func init() {
	for fr, en := range statsEnglish {
		if _, ok := english[fr]; !ok {
			english[fr] = en
		}
	}
}
