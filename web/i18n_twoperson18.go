package web

import "maps"

// twoPersonEnglish translates the texts of the two-person rule: the page
// of pending requests and what the admin forms say of a held action. They
// join english at start-up.
var twoPersonEnglish = map[string]string{
	"Demandes en attente":        "Pending requests",
	"Demandes traitées":          "Reviewed requests",
	"Aucune demande en attente.": "No pending request.",
	"Les actions qui donnent accès à des dépôts ou affaiblissent la plateforme ne prennent effet qu’une fois approuvées par un second administrateur, jamais par leur demandeur. L’approbation demande une authentification récente.": "Actions that give access to deposits or weaken the platform take effect only once a second administrator approves them, never their requester. Approving needs a recent authentication.",
	"Attention : la règle des deux personnes est désactivée (--approvals=1). Un administrateur seul peut ajouter des membres aux boîtes de service, donner les rôles d’administrateur et d’auditeur et rétablir des personnes.":       "Warning: the two-person rule is off (--approvals=1). One administrator alone can add members to service mailboxes, grant the administrator and auditor roles and restore people.",
	"Date":                  "Date",
	"Demandeur":             "Requester",
	"État":                  "State",
	"Décision":              "Decision",
	"Motif":                 "Reason",
	"Approuver":             "Approve",
	"Refuser":               "Reject",
	"Retirer ma demande":    "Withdraw my request",
	"approuvée et exécutée": "approved and executed",
	"approuvée":             "approved",
	"refusée":               "rejected",
	"expirée":               "expired",
	"en attente d’approbation jusqu’au %s":                  "awaiting approval until %s",
	"La demande est approuvée et exécutée.":                 "The request is approved and executed.",
	"La demande est refusée.":                               "The request is rejected.",
	"Ajouter %s au service %s":                              "Add %s to the service %s",
	"Donner le rôle %s à %s":                                "Give the role %s to %s",
	"Rétablir l’accès de %s":                                "Restore the access of %s",
	"Appliquer de force le flux d’annuaire %s (SHA-256 %s)": "Force the directory flow %s (SHA-256 %s)",
	"L’ajout est en attente d’approbation par un second administrateur : il ne prend effet qu’une fois approuvé.":                                                                                     "The addition awaits a second administrator's approval: it takes effect only once approved.",
	"Appliquer ce fichier de force est en attente d’approbation par un second administrateur (demande %s). Une fois la demande approuvée, appliquez à nouveau le même fichier en cochant « Forcer ».": "Forcing this file awaits a second administrator's approval (request %s). Once the request is approved, apply the same file again with “Force” ticked.",
}

// twoPersonFrench are the French messages of the account service's
// refusals about requests.
var twoPersonFrench = map[string]string{
	"You cannot review your own request: another administrator must.":            "Vous ne pouvez pas examiner votre propre demande : un autre administrateur doit le faire.",
	"Only a platform administrator may review this request.":                     "Seul un administrateur de la plateforme peut examiner cette demande.",
	"This request's parameters are not those you reviewed.":                      "Les paramètres de cette demande ne sont pas ceux que vous avez examinés.",
	"This request's parameters changed after they were approved: it is refused.": "Les paramètres de cette demande ont changé après leur approbation : elle est refusée.",
	"This request expired before it was approved.":                               "Cette demande a expiré avant d’être approuvée.",
	"This request expired.": "Cette demande a expiré.",
	"The administrator who made this request has lost their access.":              "L’administrateur qui a fait cette demande a perdu son accès.",
	"This agent is a member of the service already.":                              "Cette personne est déjà membre de ce service.",
	"This person has this role already.":                                          "Cette personne a déjà ce rôle.",
	"This person's access is not revoked: there is nothing to restore.":           "L’accès de cette personne n’est pas révoqué : il n’y a rien à rétablir.",
	"Only the admin who made this request may use it.":                            "Seul l’administrateur qui a fait cette demande peut l’utiliser.",
	"This request is not an approved directory request waiting to be used.":       "Cette demande n’est pas une demande d’annuaire approuvée en attente d’utilisation.",
	"This flow is not the one approved: its parameters changed.":                  "Ce fichier n’est pas celui qui a été approuvé : ses paramètres ont changé.",
	"This request was executed already: a request is reviewed and executed once.": "Cette demande a déjà été exécutée : une demande n’est examinée et exécutée qu’une fois.",
	"This request was rejected already: a request is reviewed and executed once.": "Cette demande a déjà été refusée : une demande n’est examinée et exécutée qu’une fois.",
	"This request was expired already: a request is reviewed and executed once.":  "Cette demande a déjà expiré.",
	"This request was approved already: a request is reviewed and executed once.": "Cette demande a déjà été approuvée : une demande n’est examinée et exécutée qu’une fois.",
	"This request was executed already.":                                          "Cette demande a déjà été exécutée.",
	"This request was rejected already.":                                          "Cette demande a déjà été refusée.",
	"This request was approved already.":                                          "Cette demande a déjà été approuvée.",
	"This request was expired already.":                                           "Cette demande a déjà expiré.",
	"This request was failed already: a request is reviewed and executed once.":   "Cette demande a déjà échoué : une demande n’est examinée et exécutée qu’une fois.",
	"This request was failed already.":                                            "Cette demande a déjà échoué.",
	"Nobody may approve this request any more: every administrator who could has since lost their access, their role or their court. Make a new request once a second administrator may approve it.":                                                                     "Plus personne ne peut approuver cette demande : chaque administrateur qui le pouvait a perdu depuis son accès, son rôle ou sa juridiction. Faites une nouvelle demande lorsqu’un second administrateur pourra l’approuver.",
	"This request was approved, but its execution was never recorded (the server that approved it stopped, or could not record it), and it will not be run now. Check whether the change was made; if not, make a new request.":                                          "Cette demande a été approuvée, mais son exécution n’a jamais été enregistrée (le serveur qui l’a approuvée s’est arrêté, ou n’a pu l’enregistrer), et elle ne sera pas exécutée maintenant. Vérifiez si le changement a été fait ; sinon, faites une nouvelle demande.",
	"No other administrator may approve this request: the two-person rule needs a second one whose access is active (a platform administrator, or for a mailbox's membership an administrator of its court other than the person it adds). Ask the platform's operator.": "Aucun autre administrateur ne peut approuver cette demande : la règle des deux personnes en demande un second dont l’accès est actif (un administrateur de la plateforme, ou pour l’ajout à une boîte de service un administrateur de sa juridiction autre que la personne ajoutée). Adressez-vous à l’exploitant de la plateforme.",
}

func init() {
	maps.Copy(english, twoPersonEnglish)
	addMissing(french, twoPersonFrench)
}
