package web

// policyEnglish translates the texts of the security policy (the
// minimum assurance per role, the antivirus bypass) on the settings page
// and in the requests of the two-person rule. They join english at
// start-up; policyFrench joins french, for the services' messages.
var policyEnglish = map[string]string{
	"Politique de sécurité":                 "Security policy",
	"Remplacer la clé qui signe le journal": "Replace the key that signs the journal",
	"La politique de sécurité ne change que par une demande qu’un second administrateur approuve (règle des deux personnes). Le niveau d’authentification en vigueur est le plus exigeant de la politique et de la configuration du serveur (--min-assurance). Un serveur démarré avec un réglage plus faible que la politique est inscrit au journal comme acte de l’opérateur local.": "The security policy changes only through a request a second administrator approves (two-person rule). The sign-in level in force is the stricter of the policy's and the server's configuration (--min-assurance). A server started with a setting weaker than the policy is journaled as the local operator's act.",
	"Attention : la règle des deux personnes est désactivée (--approvals=1) : une modification s’applique sans approbation.": "Warning: the two-person rule is off (--approvals=1): a change applies without approval.",
	"Niveau d’authentification minimal par rôle": "Minimum sign-in level per role",
	"Politique":                "Policy",
	"Configuration du serveur": "Server configuration",
	"En vigueur":               "In force",
	"plus faible que la politique : la politique s’applique": "weaker than the policy: the policy applies",
	"Antivirus : contourné par la politique. Les fichiers sont proposés marqués « non analysé par un antivirus », même si un antivirus est configuré.": "Antivirus: bypassed by the policy. Files are offered marked \"not scanned by an antivirus\", even if an antivirus is configured.",
	"Antivirus : chaque fichier est analysé quand un antivirus est configuré (--clamd).":                                                               "Antivirus: every file is scanned when an antivirus is configured (--clamd).",
	"Demander un changement du niveau minimal": "Request a change of the minimum level",
	"Niveau minimal":                        "Minimum level",
	"Demander le changement":                "Request the change",
	"Demander un changement de l’antivirus": "Request a change of the antivirus",
	"Antivirus":                             "Antivirus",
	"analyser chaque fichier":               "scan every file",
	"proposer les fichiers sans analyse":    "offer files unscanned",
	"Rôle":                                  "Role",
	"Motif":                                 "Reason",
	"faible":                                "low",
	"substantiel":                           "substantial",
	"élevé":                                 "high",
	"aucun":                                 "none",
	"La demande est enregistrée : elle prend effet quand un second administrateur l’approuve (Demandes en attente).": "The request is recorded: it takes effect when a second administrator approves it (Pending requests).",
	"La politique de sécurité est modifiée.":                                                  "The security policy is changed.",
	"Proposer les fichiers sans analyse antivirus (marqués « non analysé par un antivirus »)": "Offer files without an antivirus scan (marked \"not scanned by an antivirus\")",
	"Analyser de nouveau chaque fichier par l’antivirus":                                      "Scan every file with the antivirus again",
	"Retirer le niveau d’authentification minimal du rôle %s":                                 "Remove the minimum sign-in level of the role %s",
	"Exiger du rôle %s une authentification de niveau %s au moins":                            "Require of the role %s a sign-in of level %s at least",
}

// policyFrench translates the messages of the services about the policy.
var policyFrench = map[string]string{
	"The policy says so already.":                          "La politique le dit déjà.",
	"Choose the change to ask for.":                        "Choisissez le changement à demander.",
	"This server cannot rotate the journal's signing key.": "Ce serveur ne peut pas remplacer la clé qui signe le journal.",
	"No security policy here.":                             "Pas de politique de sécurité ici.",
	"This store keeps no security policy.":                 "Ce stockage ne conserve pas de politique de sécurité.",
}

func init() {
	addMissing(english, policyEnglish)
	addMissing(french, policyFrench)
}
