package web

// casesEnglish translates the texts of cases, replies and extensions. They
// join english at start-up.
var casesEnglish = map[string]string{
	"Affaires": "Cases",
	"Affaire":  "Case",
	"Une affaire réunit les dépôts d’une même référence entre les mêmes juridictions et organisations, dans les deux sens.": "A case gathers the deposits of one reference between the same courts and organisations, both ways.",
	"Rechercher par référence":                        "Search by reference",
	"Dernier dépôt":                                   "Last deposit",
	"Aucune affaire ne correspond à votre recherche.": "No case matches your search.",
	"Aucune affaire pour l’instant.":                  "No case yet.",
	"%d dépôts envoyés, %d reçus.":                    "%d deposits sent, %d received.",
	"Dépôts de l’affaire":                             "Deposits of the case",
	"Sens":                                            "Direction",
	"Envoyé":                                          "Sent",
	"téléchargé le %s":                                "downloaded on %s",
	"non téléchargé":                                  "not downloaded",
	"Les reçus de chaque dépôt sont sur sa page.":     "The receipts of each deposit are on its page.",
	"Voir l’affaire":                                  "See the case",
	"Répondre":                                        "Reply",
	"Votre réponse est un nouveau dépôt, dans la même affaire et sous la même référence, adressé à l’expéditeur ou à la boîte de service d’où vient le dépôt ; vous y joignez ensuite vos fichiers.": "Your reply is a new deposit, in the same case and under the same reference, addressed to the sender or to the service mailbox the deposit came from; you then add your files to it.",
	"Rédiger la réponse": "Write the reply",
	"Prolonger le dépôt": "Extend the deposit",
	"Ses destinataires sont avisés de la nouvelle échéance. La conservation ne peut dépasser la durée maximale fixée par la plateforme, comptée depuis la création du dépôt.": "Its recipients are told of the new expiry. The retention cannot exceed the platform's maximum, counted from the deposit's creation.",
	"Jours supplémentaires": "Additional days",
	"Prolonger":             "Extend",
	"Le dépôt est prolongé : ses destinataires sont avisés de la nouvelle échéance.": "The deposit is extended: its recipients are told of the new expiry.",
	"La durée de conservation doit être un nombre de jours.":                         "The retention must be a number of days.",
	"Message":                    "Message",
	"Ne pas grouper par affaire": "Do not group by case",
	"Grouper par affaire":        "Group by case",
	"Toutes les affaires":        "All cases",
	"Affaire %s":                 "Case %s",
	"Hors affaire":               "In no case",
	"Télécharger les fichiers de l’affaire (ZIP)": "Download the files of the case (ZIP)",
}

func init() {
	addMissing(english, casesEnglish)
}
