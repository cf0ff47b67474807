package web

import "maps"

// evidenceEnglish translates the texts of the proofs: the "Preuves"
// section of a deposit and the auditors' evidence search. They join
// english at start-up.
var evidenceEnglish = map[string]string{
	"Preuves": "Proofs",
	"Les preuves de ce dépôt ont été effacées au terme de leur durée de conservation.":                                                                                                 "The proofs of this deposit were deleted at the end of their retention.",
	"Chaque reçu atteste un événement du dépôt. Le reçu JSON se vérifie hors ligne avec « navette verify » ; l’attestation PDF en est la version lisible et le porte en pièce jointe.": "Each receipt attests an event of the deposit. The JSON receipt can be checked offline with “navette verify”; the PDF attestation is its readable form and carries it as an attachment.",
	"Reçus du dépôt":             "Receipts of the deposit",
	"Événement":                  "Event",
	"Date":                       "Date",
	"Reçu":                       "Receipt",
	"PDF":                        "PDF",
	"JSON":                       "JSON",
	"Dossier de preuves (ZIP)":   "Evidence bundle (ZIP)",
	"Aucun reçu pour l’instant.": "No receipt yet.",
	"Recherche de preuves":       "Evidence search",
	"Retrouvez un dépôt par sa référence, une personne, une période ou un type d’événement ; chaque dépôt trouvé donne ses reçus et son dossier de preuves. La recherche lit les données chiffrées des preuves : les références et les noms ne sont jamais en clair dans la base.": "Find a deposit by its reference, a person, a period or a kind of event; each deposit found gives its receipts and its evidence bundle. The search reads the encrypted data of the proofs: references and names are never in clear in the database.",
	"Personne (nom ou adresse électronique)": "Person (name or e-mail address)",
	"Du":        "From",
	"Au":        "To",
	"Résultats": "Results",
	"La recherche s’est arrêtée avant la fin : précisez la période.": "The search stopped before the end: narrow the period.",
	"Aucun dépôt ne correspond.":                                     "No deposit matches.",
	"Tous":                                                           "All",
	"Mise à disposition":                                             "Made available",
	"Avis accepté par le serveur de messagerie":                      "Notice accepted by the mail server",
	"Téléchargement complet":                                         "Complete download",
	"Non retiré à l’expiration":                                      "Not fetched by expiry",
	"Retrait par l’expéditeur":                                       "Withdrawn by the sender",
	"Prolongation par l’expéditeur":                                  "Extended by the sender",
	"Purge : clé de chiffrement détruite":                            "Purge: encryption key destroyed",
	"Vérifiez les dates (jj/mm/aaaa) et le type d’événement.":        "Check the dates (dd/mm/yyyy) and the kind of event.",
	"Preuves trouvées :":                                             "Proofs found:",
	"Les reçus de ce dépôt restent disponibles : ils attestent ce qui a été déposé, mis à disposition et téléchargé.": "The receipts of this deposit remain available: they attest what was deposited, made available and downloaded.",
}

func init() {
	maps.Copy(english, evidenceEnglish)
}
