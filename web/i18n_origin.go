package web

// originEnglish translates the page that asks again for a download started
// from another site. It joins english at start-up.
var originEnglish = map[string]string{
	"Télécharger ?": "Download?",
	"Vous arrivez ici depuis une autre page que celles de navette. Un fichier n’est téléchargé, et son téléchargement enregistré à votre nom, que si vous le demandez ici : vérifiez ce qui suit, puis appuyez sur « Télécharger ».": "You came here from a page that is not one of navette's. A file is downloaded, and its download recorded in your name, only if you ask for it here: check what follows, then press “Download”.",
	"Fichier":                         "File",
	"Les fichiers de l’affaire (ZIP)": "The case's files (ZIP)",
	"Voir le dépôt":                   "See the deposit",
}

func init() {
	addMissing(english, originEnglish)
}
