package web

// forwardEnglish translates the texts of forwards. They join english at
// start-up.
var forwardEnglish = map[string]string{
	"Transmettre le dépôt": "Forward the deposit",
	"La transmission est un nouveau dépôt, à votre nom, dans la même affaire et sous la même référence, de ses fichiers sans les renvoyer, à des agents ou à des boîtes de service du ministère ; l’expéditeur en est avisé.": "The forward is a new deposit, in your name, in the same case and under the same reference, of its files without sending them again, to agents or service mailboxes of the ministry; the sender is told.",
	"Destinataires (adresses séparées par des virgules)":         "Recipients (addresses separated by commas)",
	"Durée de conservation (jours, vide : la valeur par défaut)": "Retention (days, empty: the default)",
	"Transmettre": "Forward",
	"Le dépôt est transmis : ses destinataires sont avisés par courriel.": "The deposit is forwarded: its recipients are told by e-mail.",
	"Transmissions": "Forwards",
	"Chaque transmission est un dépôt distinct : seuls celui qui l’a faite et ses destinataires en voient le message et les fichiers.": "Each forward is a deposit of its own: only whoever made it and its recipients see its message and files.",
	"Transmissions du dépôt : par qui, à qui, quand, et leur état":                                                                     "The deposit's forwards: by whom, to whom, when, and their state",
	"Transmis par":         "Forwarded by",
	"Transmis à":           "Forwarded to",
	"Transmis le":          "Forwarded on",
	"Voir la transmission": "See the forward",
}

func init() {
	addMissing(english, forwardEnglish)
}
