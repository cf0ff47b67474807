package web

// legalEnglish translates the texts of the footer's legal links, the DSFR
// header's menu and the conformity states. They join english at start-up.
var legalEnglish = map[string]string{
	"Accessibilité : %s":          "Accessibility: %s",
	"non conforme":                "not compliant",
	"partiellement conforme":      "partially compliant",
	"totalement conforme":         "fully compliant",
	"Mentions légales":            "Legal notice",
	"Données personnelles":        "Personal data",
	"Gestion des cookies":         "Cookies",
	"Déclaration d’accessibilité": "Accessibility statement",
	"Aller au pied de page":       "Skip to footer",
	"Menu":                        "Menu",
	"Fermer":                      "Close",
	"Sauf mention explicite de propriété intellectuelle détenue par des tiers, les contenus de ce site sont proposés sous licence etalab-2.0.": "Unless stated otherwise, the contents of this site are available under the etalab-2.0 licence.",
}

func init() {
	addMissing(english, legalEnglish)
}
