package web

// cases20bEnglish translates the texts of sending on behalf of a service
// mailbox, of the auditors' case evidence and of the pages of cases. They
// join english at start-up.
var cases20bEnglish = map[string]string{
	"Envoyer au nom de": "Send on behalf of",
	"Les membres de la boîte de service choisie suivent, prolongent et retirent le dépôt comme vous ; les réponses y arrivent.": "The members of the chosen service mailbox follow, extend and withdraw the deposit as you do; replies arrive there.",
	"Moi-même":                         "Myself",
	"Au nom de":                        "On behalf of",
	"Preuves de toute l’affaire (ZIP)": "Evidence of the whole case (ZIP)",
}

func init() {
	addMissing(english, cases20bEnglish)
}
