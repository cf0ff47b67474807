package web

// scriptMessages are the texts the upload script shows, in lang.
func scriptMessages(lang string) map[string]string {
	out := make(map[string]string, len(scriptTexts))
	for k, v := range scriptTexts {
		out[k] = tr(lang, v)
	}
	return out
}

// scriptTexts are the upload script's texts by key, in French; {0}, {1}…
// are replaced by the script. A text that counts has one key per plural
// category, KEY.one and KEY.other, which the script picks with the
// language's plural rule (Intl.PluralRules).
var scriptTexts = map[string]string{
	"seconds":             "{0} s",
	"minutes":             "{0} min",
	"hours":               "{0} h {1} min",
	"httpError":           "Erreur du serveur",
	"serviceMailbox":      "boîte de service",
	"suggestions.one":     "{0} suggestion ; flèches haut et bas pour choisir, Entrée pour ajouter.",
	"suggestions.other":   "{0} suggestions ; flèches haut et bas pour choisir, Entrée pour ajouter.",
	"noSuggestion":        "Aucun destinataire trouvé.",
	"searchFailed":        "La recherche est indisponible : saisissez l’adresse électronique complète puis Entrée.",
	"tooManyRecipients":   "Un dépôt compte au plus {0} destinataires.",
	"recipientAdded":      "{0} ajouté aux destinataires.",
	"removeRecipient":     "Retirer {0}",
	"recipientRemoved":    "{0} retiré des destinataires.",
	"duplicate":           "« {0} » est déjà dans la liste.",
	"tooBig":              "« {0} » est trop volumineux ({1}) : un fichier fait au plus {2}.",
	"tooMany":             "« {0} » n’est pas ajouté : un dépôt compte au plus {1} fichiers.",
	"progressOf":          "Progression de {0}",
	"waiting":             "Prêt à être téléversé",
	"remove":              "Retirer",
	"removeFile":          "Retirer le fichier {0}",
	"fileRemoved":         "{0} retiré.",
	"stored":              "Téléversé et vérifié",
	"fileStored":          "{0} est téléversé.",
	"uploadFailed":        "Le téléversement a échoué.",
	"fileFailed":          "Le téléversement de {0} a échoué.",
	"starting":            "Démarrage…",
	"percent":             "{0} %",
	"left":                "{0} restantes",
	"totalOf":             "{0} % — {1} sur {2}",
	"totalAnnounce":       "Téléversement : {0} %.",
	"allStored":           "Tous les fichiers sont téléversés : vous pouvez envoyer le dépôt.",
	"needRecipient":       "Choisissez au moins un destinataire.",
	"needReference":       "Indiquez la référence du dossier.",
	"badRetention":        "La durée de conservation va de 1 à {0} jours.",
	"badMaxDownloads":     "Le nombre de téléchargements permis va de 0 (sans limite) à {0}.",
	"needFile":            "Ajoutez au moins un fichier.",
	"uploading":           "Téléversement en cours.",
	"interrupted":         "Interrompu à {0} % : choisissez de nouveau ce fichier pour reprendre.",
	"resumeWaiting.one":   "Le dépôt « {0} » était en cours : choisissez de nouveau le fichier interrompu, son envoi reprendra là où il s’était arrêté.",
	"resumeWaiting.other": "Le dépôt « {0} » était en cours : choisissez de nouveau les {1} fichiers interrompus, leur envoi reprendra là où il s’était arrêté.",
	"resumeFound":         "Le dépôt « {0} » était en cours ; ses fichiers sont téléversés.",
	"discard":             "Abandonner ce brouillon",
}
