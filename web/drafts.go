package web

import (
	"cmp"
	"maps"
	"net/http"
	"time"

	"navette"
	"navette/deposit"
)

func init() {
	pageNames = append(pageNames, "drafts")
	maps.Copy(scriptTexts, sendTexts)
	addMissing(english, draftsEnglish)
}

// sendTexts are the upload script's texts of one-step sending (see
// scriptTexts).
var sendTexts = map[string]string{
	"sending":           "Envoi en cours…",
	"submitting":        "Tous les fichiers sont reçus : envoi du dépôt.",
	"chooseAgain.one":   "Choisissez de nouveau le fichier interrompu : le dépôt sera envoyé dès qu’il sera reçu.",
	"chooseAgain.other": "Choisissez de nouveau les {0} fichiers interrompus : le dépôt sera envoyé dès qu’ils seront reçus.",
	"rejected":          "Refusé par les vérifications : retirez ce fichier pour envoyer le dépôt.",
	"resumeSending":     "Son envoi était demandé : il partira de lui-même quand tous ses fichiers seront reçus.",
	"discardFailed":     "Le brouillon n’a pas pu être abandonné : réessayez.",
	"unreachable":       "La plateforme ne répond pas : vérifiez votre connexion, puis réessayez.",
}

// draftRow is one draft of the drafts page.
type draftRow struct {
	ID         string
	Reference  string
	Recipients []string
	Files      int // files not purged
	Stored     int // of which completely uploaded
	Size       int64
	Created    time.Time
	// Abandoned is when the sweep erases the draft if it is not sent.
	Abandoned time.Time
}

// draftsData is what the drafts page shows.
type draftsData struct {
	Rows []draftRow
}

// drafts lists the user's drafts, each to finish or discard.
func (h *Handler) drafts(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	views, err := h.Deposits.Drafts(r.Context(), u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &draftsData{}
	for _, v := range views {
		rw := draftRow{ID: v.ID, Reference: v.Reference, Created: v.CreatedAt, Abandoned: h.Deposits.AbandonedAt(v.DepositRecord)}
		for _, rc := range v.Recipients {
			rw.Recipients = append(rw.Recipients, cmp.Or(rc.Name, rc.Email))
		}
		for _, f := range v.Files {
			if f.State == navette.FilePurged || f.State == navette.FileRejected {
				continue
			}
			rw.Files++
			rw.Size += f.Size
			if f.State != navette.FileUploading {
				rw.Stored++
			}
		}
		d.Rows = append(d.Rows, rw)
	}
	p := h.newPage(w, r, "Brouillons", "sent")
	if r.URL.Query().Get("done") == "discarded" {
		p.Flash = tr(p.Lang, "Le brouillon est abandonné : ses fichiers vont être effacés définitivement.")
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "drafts", p)
}

// discard gives up one of the user's drafts.
func (h *Handler) discard(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	if err := h.Deposits.Discard(r.Context(), u, r.PathValue("id")); err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/drafts?done=discarded", http.StatusSeeOther)
}

// draftCount returns how many drafts u has, 0 if they may not deposit or
// the count fails (the sent page shows without it).
func (h *Handler) draftCount(r *http.Request, u *navette.User) int {
	if !deposit.CanDeposit(u.Role) {
		return 0
	}
	views, err := h.Deposits.Drafts(r.Context(), u)
	if err != nil {
		h.log().WarnContext(r.Context(), "web: drafts", "err", err)
		return 0
	}
	return len(views)
}

// sentFlash is the deposit page's note after the action done, for a deposit in state st: one sent while its
// files are still being checked is not offered yet.
func sentFlash(lang, done string, st navette.DepositState) string {
	if done == "sent" && st == navette.DepositChecking {
		return tr(lang, "Le dépôt est envoyé : ses destinataires en seront avisés dès que l’antivirus aura reconnu ses fichiers sains.")
	}
	return depositFlashes.say(lang, done)
}

// draftsEnglish translates the texts of drafts and of one-step sending.
var draftsEnglish = map[string]string{
	"Brouillons": "Drafts",
	"Un brouillon est un dépôt créé mais pas encore envoyé : ses destinataires ne le voient pas. Reprenez-le pour y joindre les fichiers qui manquent et l’envoyer, ou abandonnez-le.": "A draft is a deposit created but not sent yet: its recipients cannot see it. Resume it to add the missing files and send it, or discard it.",
	"Vous n’avez aucun brouillon.": "You have no draft.",
	"Vos brouillons":               "Your drafts",
	"Créé le":                      "Created on",
	"Effacé automatiquement le":    "Erased automatically on",
	"Actions":                      "Actions",
	"Fichiers téléversés":          "Files uploaded",
	"%d sur %d":                    "%d of %d",
	"aucun":                        "none",
	"Le dépôt est envoyé : ses destinataires en seront avisés dès que l’antivirus aura reconnu ses fichiers sains.": "The deposit is sent: its recipients will be told as soon as the antivirus has found its files clean.",
	"Reprendre l’envoi":          "Resume sending",
	"Reprendre":                  "Resume",
	"Reprendre le brouillon %s":  "Resume the draft %s",
	"Abandonner":                 "Discard",
	"Abandonner le brouillon %s": "Discard the draft %s",
	"Le brouillon est abandonné : ses fichiers vont être effacés définitivement.": "The draft is discarded: its files are about to be erased for good.",
	"Le brouillon n’a pas pu être abandonné : réessayez.":                         "The draft could not be discarded: try again.",
	"La plateforme ne répond pas : vérifiez votre connexion, puis réessayez.":     "The platform does not answer: check your connection, then try again.",
	"Brouillons en attente : %d": "Drafts waiting: %d",
	"Envoyer":                    "Send",
	"Envoi en cours…":            "Sending…",
	"Tous les fichiers sont reçus : envoi du dépôt.":                                                     "Every file is received: sending the deposit.",
	"Choisissez de nouveau le fichier interrompu : le dépôt sera envoyé dès qu’il sera reçu.":            "Choose the interrupted file again: the deposit will be sent as soon as it is received.",
	"Choisissez de nouveau les {0} fichiers interrompus : le dépôt sera envoyé dès qu’ils seront reçus.": "Choose the {0} interrupted files again: the deposit will be sent as soon as they are received.",
	"Refusé par les vérifications : retirez ce fichier pour envoyer le dépôt.":                           "Refused by the checks: remove this file to send the deposit.",
	"Son envoi était demandé : il partira de lui-même quand tous ses fichiers seront reçus.":             "Its sending was asked: it will go by itself when all its files are received.",
	"En appuyant sur « Envoyer », le dépôt est créé, les fichiers sont téléversés puis le dépôt est envoyé à ses destinataires dès que le dernier fichier est reçu. Si vous quittez la page avant, revenez-y : l’envoi reprendra.": "When you press “Send”, the deposit is created, the files are uploaded and the deposit is sent to its recipients as soon as the last file is received. If you leave the page before, come back to it: the sending will resume.",
}
