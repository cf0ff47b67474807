package web

import "maps"

// uploadFrench are the French of the refusals an upload (tus) meets, from
// the deposit service, the HTTP layer and tusd itself: the new-deposit
// form asks the web for them (GET /new/problem) when a file's upload is
// refused, as it does for the submission's refusals.
var uploadFrench = map[string]string{
	"The server's storage is full; try again later.":                              "Le stockage de la plateforme est plein pour le moment ; réessayez plus tard.",
	"Another request is writing this upload; retry with HEAD to find the offset.": "Ce fichier est déjà en cours d’envoi par une autre connexion ; réessayez dans un instant.",
	"More bytes were sent than the announced size.":                               "Plus d’octets ont été envoyés que la taille annoncée du fichier.",
	"Files can only be added to a draft deposit.":                                 "On ne peut ajouter des fichiers qu’à un dépôt qui n’est pas encore envoyé.",
	"This upload is complete.":                                                    "L’envoi de ce fichier est déjà terminé.",
	"No such upload.":                                                             "Cet envoi n’existe plus : ajoutez de nouveau le fichier.",
	"The file size must be known in advance.":                                     "La taille du fichier doit être connue avant l’envoi.",
	"The request body stopped arriving or arrived too slowly; the upload keeps what was received: resume it from its offset.": "L’envoi s’est interrompu ou était trop lent ; ce qui a été reçu est gardé : reprenez l’envoi.",
	"The server is shutting down; the upload keeps what was received: resume it from its offset shortly.":                     "La plateforme redémarre ; ce qui a été reçu est gardé : reprenez l’envoi dans un instant.",
	"maximum size exceeded":  "Le fichier dépasse la taille maximale permise.",
	"upload's size exceeded": "Plus d’octets ont été envoyés que la taille annoncée du fichier.",
	"upload not found":       "Cet envoi n’existe plus : ajoutez de nouveau le fichier.",
	"mismatched offset":      "L’envoi ne reprend pas là où il s’était arrêté : réessayez.",
	"file currently locked":  "Ce fichier est déjà en cours d’envoi par une autre connexion ; réessayez dans un instant.",
	"upload has been interrupted by another request for this upload resource":                            "L’envoi a été repris par une autre connexion.",
	"Another request is still writing to this upload: try again in a moment.":                            "Ce fichier est déjà en cours d’envoi par une autre connexion ; réessayez dans un instant.",
	"The form has expired or did not come from the platform's own pages: reload the page and try again.": "Ce formulaire a expiré (une connexion dans un autre onglet, par exemple) ou ne vient pas des pages de la plateforme : rechargez la page, puis recommencez.",
	"This request did not come from the platform's own pages.":                                           "Cette demande ne vient pas des pages de la plateforme : rechargez la page, puis recommencez.",

	"Only a draft can be submitted; this deposit is checking.":  "Ce dépôt est déjà envoyé : l’antivirus analyse ses fichiers.",
	"Only a draft can be submitted; this deposit is available.": "Ce dépôt est déjà envoyé.",
	"Only a draft can be submitted; this deposit is revoked.":   "Ce dépôt a été retiré ou abandonné : il ne peut plus être envoyé.",
	"Only a draft can be submitted; this deposit is expired.":   "Ce dépôt a expiré : il ne peut plus être envoyé.",
	"Only a draft can be discarded; this deposit is checking.":  "Ce dépôt est déjà envoyé : ce n’est plus un brouillon à abandonner.",
	"Only a draft can be discarded; this deposit is available.": "Ce dépôt est déjà envoyé : ce n’est plus un brouillon à abandonner.",
	"Only a draft can be discarded; this deposit is revoked.":   "Ce brouillon est déjà abandonné, ou ce dépôt retiré.",
	"Only a draft can be discarded; this deposit is expired.":   "Ce dépôt a expiré : ce n’est plus un brouillon à abandonner.",
}

// uploadFormats are the French of the upload's refusals made from a
// format, as frenchFormats.
var uploadFormats = map[string]string{
	"The server does not have room for a file of %s now; try again later.":                                                        "La plateforme n’a pas la place pour un fichier de %s pour le moment ; réessayez plus tard.",
	"The free space of the blob storage (%s) is below its reserve (%s, --min-free %s): uploads are refused until space is freed.": "L’espace libre du stockage (%s) est sous sa réserve (%s, --min-free %s) : les envois sont refusés jusqu’à ce que de la place soit libérée.",
	"Files may be at most %s (%d bytes); this one has %d bytes.":                                                                  "Un fichier fait au plus %s (%s octets) ; celui-ci en fait %s.",
	"A deposit may hold at most %d files.":                                                                                        "Un dépôt compte au plus %s fichiers.",
	"The upload is at offset %d, not %d.":                                                                                         "L’envoi en est à l’octet %s, pas à l’octet %s : réessayez.",
}

func init() {
	addMissing(french, uploadFrench)
	maps.Copy(frenchFormats, uploadFormats)
}
