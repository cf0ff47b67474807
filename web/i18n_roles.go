package web

// rolesEnglish translates the texts of withdrawals, role-fit pages and
// error pages' next steps. They join english at start-up.
var rolesEnglish = map[string]string{
	"Motif (facultatif)":            "Reason (optional)",
	"Aller au journal des preuves":  "Go to the journal of proofs",
	"Aller à l’administration":      "Go to the administration",
	"Envoi impossible avec ce rôle": "Sending is not possible with this role",
	"Votre compte sert à administrer ou à contrôler la plateforme : les pages de votre menu sont celles qu’il peut utiliser.": "Your account is for administering or auditing the platform: the pages of your menu are those it can use.",
	"Pour envoyer des documents, connectez-vous avec un compte d’agent de juridiction ou de partenaire.":                      "To send documents, sign in with the account of a court agent or of a partner.",
	"Ses destinataires sont avisés du retrait par courriel, avec ce motif : une ligne, sans donnée sensible.":                 "Its recipients are told of the withdrawal by e-mail, with this reason: one line, nothing sensitive.",
	"Le dépôt est retiré : ceux de ses destinataires qui en avaient été avisés le sont aussi du retrait.":                     "The deposit is withdrawn: those of its recipients who had been told of it are told of the withdrawal too.",
}

func init() {
	addMissing(english, rolesEnglish)
}
