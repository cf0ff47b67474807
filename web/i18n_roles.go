package web

// rolesEnglish translates the texts of withdrawals, role-fit pages and
// error pages' next steps. They join english at start-up.
var rolesEnglish = map[string]string{
	"Motif (facultatif)": "Reason (optional)",
	"Ses destinataires sont avisés du retrait par courriel, avec ce motif : une ligne, sans donnée sensible.": "Its recipients are told of the withdrawal by e-mail, with this reason: one line, nothing sensitive.",
	"Le dépôt est retiré : ceux de ses destinataires qui en avaient été avisés le sont aussi du retrait.":     "The deposit is withdrawn: those of its recipients who had been told of it are told of the withdrawal too.",
}

func init() {
	for fr, en := range rolesEnglish {
		if _, ok := english[fr]; !ok {
			english[fr] = en
		}
	}
}
