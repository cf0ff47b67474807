package web

// casePagesEnglish translates the texts of the pages of a case's deposits.
// They join english at start-up.
var casePagesEnglish = map[string]string{
	"Sur cette page :":        "On this page:",
	"Dépôts les plus récents": "Newest deposits",
	"Dépôts plus anciens":     "Older deposits",
}

func init() {
	addMissing(english, casePagesEnglish)
}
