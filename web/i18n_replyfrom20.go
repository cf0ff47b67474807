package web

// replyFromEnglish translates the texts of replying on behalf of a service
// mailbox. They join english at start-up.
var replyFromEnglish = map[string]string{
	"Répondre au nom de": "Reply on behalf of",
	"Les membres de la boîte de service choisie suivent, prolongent et retirent la réponse comme vous ; les réponses y arrivent.": "The members of the chosen service mailbox follow, extend and withdraw the reply as you do; answers to it arrive there.",
}

func init() {
	addMissing(english, replyFromEnglish)
}
