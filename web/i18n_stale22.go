package web

import "maps"

func init() {
	maps.Copy(scriptTexts, staleTexts)
	addMissing(english, staleEnglish)
}

// staleTexts are the upload script's texts of a page whose session was
// replaced since it was opened (see scriptTexts).
var staleTexts = map[string]string{
	"otherPerson": "Une autre personne s’est connectée dans ce navigateur depuis l’ouverture de cette page : celle-ci n’agit plus. Rechargez-la.",
}

// staleEnglish translates staleTexts.
var staleEnglish = map[string]string{
	"Une autre personne s’est connectée dans ce navigateur depuis l’ouverture de cette page : celle-ci n’agit plus. Rechargez-la.": "Someone else has signed in on this browser since this page was opened: this page no longer acts. Reload it.",
}
