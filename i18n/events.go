package i18n

import "navette"

// eventLabels name every type of journal event for people, in French and
// in English: the web's pages, the PDF attestations and anything else that
// shows an event to a person say it the same way. TestEventLabels checks
// that every navette.EventType has both. The labels of the events that
// attestations show are those the PDF always gave.
var eventLabels = map[navette.EventType][2]string{
	navette.EventUserCreated:      {"Compte créé", "Account created"},
	navette.EventTokenCreated:     {"Jeton d’API créé", "API token created"},
	navette.EventDepositCreated:   {"Création du dépôt", "Deposit created"},
	navette.EventFileStored:       {"Fichier reçu", "File received"},
	navette.EventFileRemoved:      {"Fichier retiré du brouillon", "File removed from the draft"},
	navette.EventDepositSubmitted: {"Dépôt des fichiers", "Files deposited"},
	navette.EventDepositAvailable: {"Mise à disposition", "Made available"},
	navette.EventFileDownloaded:   {"Téléchargement complet du fichier", "File downloaded in full"},
	navette.EventDepositRevoked:   {"Retrait (révocation) du dépôt", "Deposit withdrawn (revoked)"},
	navette.EventDepositExpired:   {"Expiration du dépôt", "Deposit expired"},
	navette.EventDepositPurged:    {"Purge : destruction de la clé de chiffrement", "Purge: encryption key destroyed"},
	navette.EventAccessDenied:     {"Accès refusé", "Access denied"},
	navette.EventDepositReminded:  {"Rappel envoyé aux destinataires", "Reminder sent to the recipients"},
	navette.EventNoticeSent:       {"Avis accepté par le serveur de messagerie", "Notice accepted by the mail server"},
	navette.EventNoticeDead:       {"Avis en échec définitif", "Notice failed for good"},
	navette.EventNoticeReplayed:   {"Avis remis en file d’envoi", "Notice queued again"},

	navette.EventUserUpdated:     {"Compte modifié", "Account changed"},
	navette.EventUserRevoked:     {"Accès retiré", "Access removed"},
	navette.EventUserRestored:    {"Accès rétabli", "Access restored"},
	navette.EventRoleChanged:     {"Rôle changé", "Role changed"},
	navette.EventDirectorySynced: {"Import de l’annuaire", "Directory import"},
	navette.EventSignIn:          {"Connexion", "Sign-in"},
	navette.EventSignOut:         {"Fin de session", "Session ended"},
	navette.EventSignInFailed:    {"Échec de connexion", "Failed sign-in"},
	navette.EventSignInCodeSent:  {"Code de connexion envoyé", "Sign-in code sent"},
	navette.EventTOTPEnrolled:    {"Application d’authentification activée", "Authenticator application enrolled"},
	navette.EventTokenRevoked:    {"Jeton d’API révoqué", "API token revoked"},
	navette.EventCourtCreated:    {"Juridiction créée", "Court created"},
	navette.EventMemberAdded:     {"Membre ajouté à une boîte de service", "Member added to a service mailbox"},
	navette.EventMemberRemoved:   {"Membre retiré d’une boîte de service", "Member removed from a service mailbox"},
	navette.EventDepositOpened:   {"Ouverture du dépôt", "Deposit opened"},
	navette.EventSettingsChanged: {"Réglages modifiés", "Settings changed"},

	navette.EventEvidenceDeleted:  {"Preuves effacées (fin de conservation)", "Evidence deleted (retention ended)"},
	navette.EventEvidenceExported: {"Dossier de preuves exporté", "Evidence bundle exported"},
	navette.EventFileCorrupt:      {"Fichier altéré dans le stockage", "File corrupted in storage"},
	navette.EventKeyRotated:       {"Nouvelle clé mise en service", "New key put in service"},
	navette.EventKeyRewrap:        {"Clés rechiffrées sous la clé active", "Keys re-wrapped under the active key"},
	navette.EventKeyRetired:       {"Ancienne clé détruite", "Old key destroyed"},

	navette.EventRecoveryCodesMade: {"Codes de récupération créés", "Recovery codes made"},
	navette.EventRecoveryCodeUsed:  {"Code de récupération utilisé", "Recovery code used"},
	navette.EventRecoveryRequested: {"Demande de récupération", "Recovery requested"},
	navette.EventRecoveryApproved:  {"Demande de récupération approuvée", "Recovery request approved"},
	navette.EventRecoveryRejected:  {"Demande de récupération refusée", "Recovery request rejected"},
	navette.EventRecoveryCompleted: {"Récupération terminée : nouveau second facteur", "Recovery completed: new second factor"},
	navette.EventRequestCreated:    {"Demande soumise à approbation", "Request made for approval"},
	navette.EventRequestApproved:   {"Demande approuvée", "Request approved"},
	navette.EventRequestRejected:   {"Demande refusée", "Request rejected"},
	navette.EventRequestExecuted:   {"Demande exécutée", "Request carried out"},
	navette.EventRequestExpired:    {"Demande expirée", "Request expired"},
	navette.EventRequestFailed:     {"Exécution de la demande en échec", "Request failed when carried out"},
	navette.EventPasskeyAdded:      {"Clé d’accès ajoutée", "Passkey added"},
	navette.EventPasskeyRemoved:    {"Clé d’accès retirée", "Passkey removed"},
	navette.EventPasskeyCloned:     {"Clé d’accès probablement copiée : connexion refusée", "Passkey probably copied: sign-in refused"},
	navette.EventPolicyChanged:     {"Politique de sécurité modifiée", "Security policy changed"},
	navette.EventPolicyOverridden:  {"Réglage du serveur plus faible que la politique", "Server setting weaker than the policy"},
	navette.EventDepositCase:       {"Dépôt rattaché à une affaire", "Deposit joined a case"},
	navette.EventDepositExtended:   {"Prolongation du dépôt", "Deposit extended"},
	navette.EventDepositReply:      {"Réponse à un dépôt", "Reply to a deposit"},
	navette.EventDepositForwarded:  {"Dépôt transféré", "Deposit forwarded"},
	navette.EventSteppedUp:         {"Identité confirmée à nouveau", "Identity confirmed again"},
	navette.EventFileChecked:       {"Fichier contrôlé", "File checked"},
	navette.EventFileInfected:      {"Virus détecté : fichier détruit", "Virus found: file destroyed"},
	navette.EventFileRejected:      {"Fichier refusé : détruit", "File refused: destroyed"},
	navette.EventDepositReturned:   {"Dépôt revenu à l’état de brouillon", "Deposit back to draft"},
}

// EventLabel names the event type t for people in lang (French unless
// lang is English); a type it does not know, such as one journaled by a
// later version, is given as its code.
func EventLabel(lang string, t navette.EventType) string {
	l, ok := eventLabels[t]
	switch {
	case !ok:
		return string(t)
	case lang == navette.LangEnglish:
		return l[1]
	}
	return l[0]
}
