package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"navette"
	"navette/api"
	"navette/deposit"
	"navette/internal/httpfile"
)

// errorData is what an error page shows.
type errorData struct {
	Status    int
	Heading   string
	Text      string
	Detail    string
	Next      []string
	SignIn    bool
	NextURL   string
	Home      string // the visitor's landing page, the way out
	HomeLabel string
	RequestID string
	// Proofs are the receipts of a deposit that ended, which its
	// recipient may still take away.
	Proofs *proofs
}

// Error renders the error page for err: 404, 410 (expired or revoked),
// 403, 401, 429 and others, in the visitor's language, saying what happened
// and what to do next. Internal details are logged, never shown.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	h.errorPage(w, r, err, nil)
}

// errorPage is Error, with the receipts of the deposit the page is about,
// if any.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, err error, pr *proofs) {
	if err := h.init(); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.Header().Del("Content-Disposition")
	status := errorStatus(err)
	p := h.newPage(w, r, "Erreur", "")
	lang := p.Lang
	d := &errorData{Status: status, RequestID: w.Header().Get("X-Request-Id"), Home: landing(navette.UserFromContext(r.Context()))}
	d.HomeLabel = landingLabel(lang, d.Home)
	t, known := errorTextOf(err)
	if !known {
		status = http.StatusInternalServerError
		h.log().ErrorContext(r.Context(), "web: page failed", "path", r.URL.Path, "err", err)
	}
	d.Heading = tr(lang, t.heading)
	if t.text != "" {
		d.Text = tr(lang, t.text)
	} else {
		d.Text = h.message(lang, err)
	}
	for _, n := range t.next {
		d.Next = append(d.Next, tr(lang, n))
	}
	if navette.ErrorCode(err) == navette.EUNAUTHORIZED {
		d.SignIn = true
		if r.Method == http.MethodGet {
			d.NextURL = url.QueryEscape(safeNext(r.URL.RequestURI()))
		}
	}
	d.Status = status
	p.Title = d.Heading
	d.Proofs = pr
	p.Data = d
	h.render(w, r, status, "error", p)
}

// errorStatus returns the HTTP status of the page of err.
func errorStatus(err error) int {
	if errors.Is(err, httpfile.ErrUnsatisfiable) {
		return http.StatusRequestedRangeNotSatisfiable
	}
	return api.Status(navette.ErrorCode(err))
}

// errorText is what an error page says, in French: its heading, its text
// ("" for the error's own message) and what to do next.
type errorText struct {
	heading, text string
	next          []string
}

var (
	revokedText = errorText{
		text("Ce dépôt a été retiré"),
		text("Son expéditeur l’a retiré : ses fichiers ne sont plus disponibles et seront effacés définitivement."),
		[]string{text("Si vous avez encore besoin de ces documents, contactez l’expéditeur ; il peut vous les déposer à nouveau.")},
	}
	downloadLimitText = errorText{
		text("Limite de téléchargements atteinte"),
		text("Vous avez déjà téléchargé ce fichier autant de fois que son expéditeur le permet."),
		[]string{text("Si vous avez encore besoin de ce fichier, demandez à l’expéditeur de vous le déposer à nouveau.")},
	}
	noDepositText = errorText{
		text("Envoi impossible avec ce rôle"),
		"",
		[]string{
			text("Votre compte sert à administrer ou à contrôler la plateforme : les pages de votre menu sont celles qu’il peut utiliser."),
			text("Pour envoyer des documents, connectez-vous avec un compte d’agent de juridiction ou de partenaire."),
		},
	}
	foreignFormText = errorText{
		text("Formulaire expiré"),
		text("Ce formulaire a été affiché pour une session qui a pris fin depuis (une connexion dans un autre onglet, par exemple), ou il ne vient pas des pages de la plateforme : rien n’a été fait."),
		[]string{text("Revenez à la page précédente, rechargez-la, puis recommencez.")},
	}
	internalText = errorText{
		text("Erreur interne"),
		text("Une erreur s’est produite de notre côté. Elle a été enregistrée."),
		[]string{text("Réessayez dans quelques minutes. Si l’erreur persiste, contactez l’assistance en indiquant la référence ci-dessous.")},
	}
	invalidText = errorText{
		text("Demande impossible"),
		"",
		[]string{text("Revenez à la page précédente et corrigez la demande.")},
	}
)

// errorTexts holds the texts of the error codes a page explains; the
// others are internal errors.
var errorTexts = map[string]errorText{
	navette.EGONE: {
		text("Ce dépôt a expiré"),
		text("Sa durée de conservation est écoulée : ses fichiers ne sont plus remis à personne, et la purge qui suit l’expiration les efface définitivement."),
		[]string{text("Demandez à l’expéditeur de vous déposer à nouveau les documents.")},
	},
	navette.ENOTFOUND: {
		text("Page introuvable"),
		text("Cette adresse ne correspond à rien que vous puissiez consulter : le lien est peut-être incomplet, ou le dépôt ne vous est pas destiné."),
		[]string{
			text("Vérifiez que le lien est complet, tel qu’il figure dans le courriel reçu."),
			text("Si le dépôt a été adressé à une autre adresse que la vôtre, connectez-vous avec celle-ci."),
		},
	},
	navette.EFORBIDDEN: {
		text("Accès refusé"),
		text("Vous êtes bien connecté, mais votre rôle ne permet pas cette action."),
		[]string{text("Si vous pensez devoir y avoir accès, contactez l’administrateur de votre juridiction.")},
	},
	navette.EUNAUTHORIZED: {
		text("Connexion nécessaire"),
		text("Votre session a pris fin ou vous n’êtes pas connecté."),
		[]string{text("Connectez-vous, puis recommencez.")},
	},
	navette.ETOOMANY: {
		text("Trop de tentatives"),
		"",
		[]string{text("Patientez avant de réessayer.")},
	},
	navette.EINVALID:        invalidText,
	navette.ECONFLICT:       invalidText,
	navette.ETOOLARGE:       invalidText,
	navette.ENOTIMPLEMENTED: invalidText,
	navette.ENOSPACE: {
		text("Espace de stockage insuffisant"),
		text("L’espace de stockage de la plateforme est plein pour le moment."),
		[]string{text("Réessayez plus tard ; rien de ce que vous avez déjà déposé n’est perdu.")},
	},
	navette.EUNAVAILABLE: {
		text("Service momentanément indisponible"),
		text("Un composant de la plateforme ne répond pas."),
		[]string{text("Réessayez dans quelques minutes ; rien de ce que vous avez déposé n’est perdu.")},
	},
}

// errorTextOf returns the texts of the page of err, and false with the
// internal error's texts when err is not one a page explains.
func errorTextOf(err error) (errorText, bool) {
	code := navette.ErrorCode(err)
	switch {
	case errors.Is(err, deposit.ErrRevoked):
		return revokedText, true
	case errors.Is(err, navette.ErrDownloadLimit):
		return downloadLimitText, true
	case code == navette.EFORBIDDEN && navette.ErrorMessage(err) == msgNoDeposit:
		return noDepositText, true
	case errors.Is(err, navette.ErrForeignForm):
		return foreignFormText, true
	case code == navette.EFORBIDDEN && saysWhy(navette.ErrorMessage(err)):
		t := errorTexts[code]
		t.text = ""
		return t, true
	}
	if t, ok := errorTexts[code]; ok {
		return t, true
	}
	return internalText, false
}

// saysWhy reports whether msg, a refusal's message, says why in words a
// page can show (it has a French version): the page then shows it, not
// the generic "your role does not allow this", which may be false (a
// partner replying to an agent in person may not, whatever their role).
func saysWhy(msg string) bool {
	_, ok := knownFrench(msg)
	return ok
}

// statusOf returns the HTTP status of an application error.
func statusOf(err error) int { return api.Status(navette.ErrorCode(err)) }

// message returns the user-facing message of err in lang. Services speak
// English; their known messages have a French version, and others fall back
// to a French text per error code.
func (h *Handler) message(lang string, err error) string {
	msg := navette.ErrorMessage(err)
	code := navette.ErrorCode(err)
	if code == navette.EINTERNAL {
		return tr(lang, "Une erreur s’est produite de notre côté. Elle a été enregistrée.")
	}
	if lang == navette.LangEnglish {
		return msg
	}
	if f, ok := knownFrench(msg); ok {
		return f
	}
	switch code {
	case navette.EUNAUTHORIZED:
		return "La connexion a échoué : le code ou les identifiants sont faux ou ont expiré."
	case navette.ETOOMANY:
		return "Trop de tentatives depuis votre réseau : réessayez dans une heure."
	case navette.EINVALID:
		return "La demande n’est pas valide : " + msg
	case navette.ETOOLARGE:
		return "Une limite est dépassée : " + msg
	case navette.ECONFLICT:
		return "Action impossible dans l’état actuel : " + msg
	case navette.EUNAVAILABLE:
		return "Un composant de la plateforme ne répond pas ; réessayez dans quelques minutes."
	case navette.ENOSPACE:
		return "L’espace de stockage de la plateforme est plein pour le moment ; réessayez plus tard."
	}
	return msg
}

// knownFrench translates msg, a service's message, if it is known: whole
// (french), by its beginning (frenchPrefixes) or by its format
// (frenchFormats).
func knownFrench(msg string) (string, bool) {
	if f, ok := french[msg]; ok {
		return f, true
	}
	for en, fr := range frenchPrefixes {
		if rest, ok := strings.CutPrefix(msg, en); ok {
			if f, ok := french[rest]; ok {
				rest = f
			}
			return fr + rest, true
		}
	}
	for en, fr := range frenchFormats {
		if args, ok := formatArgs(en, msg); ok {
			return fmt.Sprintf(fr, frenchArgs(args)...), true
		}
	}
	return "", false
}

// formatVerb is a verb of the formats of frenchFormats.
var formatVerb = regexp.MustCompile(`%[qsd]`)

// formatArgs returns the texts that the verbs of format stand for in msg,
// a %q's unquoted, and false if msg is not made from format.
func formatArgs(format, msg string) ([]any, bool) {
	verbs := formatVerb.FindAllString(format, -1)
	parts := formatVerb.Split(format, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	m := regexp.MustCompile("^" + strings.Join(parts, "(.+?)") + "$").FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	args := make([]any, len(verbs))
	for i, v := range verbs {
		args[i] = m[i+1]
		if u, err := strconv.Unquote(m[i+1]); err == nil && v == "%q" {
			args[i] = u
		}
	}
	return args, true
}

// frenchArgs translates the texts of args that are known messages (the
// reason of a refused file), leaving the others (names, addresses) as they
// are.
func frenchArgs(args []any) []any {
	for i, a := range args {
		if f, ok := knownFrench(a.(string)); ok {
			args[i] = f
		}
	}
	return args
}

// frenchFormats translate the messages that services make from a format
// and that the upload script meets, by that format: the French takes the
// texts of the English's verbs in the same order, each as a %s.
var frenchFormats = map[string]string{
	"%q is not a recipient known to the platform.":                                                  "« %s » n’est pas un destinataire connu de la plateforme.",
	"%q no longer has access to the platform and cannot receive deposits.":                          "« %s » n’a plus accès à la plateforme et ne peut pas recevoir de dépôt.",
	"You cannot reply to this deposit: %s":                                                          "Vous ne pouvez pas répondre à ce dépôt : %s",
	"Partners may send deposits only to a court's service mailboxes, not to %q in person.":          "Les partenaires n’envoient de dépôts qu’aux boîtes de service des juridictions, pas à « %s » en personne.",
	"Partners may send deposits only to the ministry; %q is a partner.":                             "Les partenaires n’envoient de dépôts qu’au ministère ; « %s » est un partenaire.",
	"You cannot send a deposit to %q.":                                                              "Vous ne pouvez pas envoyer de dépôt à « %s ».",
	"At most %d recipients are allowed.":                                                            "Un dépôt compte au plus %s destinataires.",
	"A case reference of 1 to %d printable characters is required.":                                 "La référence du dossier doit compter de 1 à %s caractères imprimables.",
	"The message must be printable text of at most %d bytes.":                                       "Le message doit être un texte imprimable d’au plus %s octets.",
	"The download limit must be from 1 to %d, or 0 for none.":                                       "Le nombre de téléchargements permis va de 1 à %s, ou 0 pour aucune limite.",
	"The file %q was refused: %s. It was destroyed; remove it from the deposit, then submit again.": "Le fichier « %s » a été refusé : %s. Il a été détruit ; retirez-le du dépôt, puis envoyez de nouveau.",
	"the antivirus found a virus in it (%s)":                                                        "l’antivirus y a trouvé un virus (%s)",
	"files of its type (%s) are not accepted":                                                       "les fichiers de son type (%s) ne sont pas acceptés",
}

// french translates the messages of the services that users see most.
var french = map[string]string{
	"The sender of this deposit can no longer receive deposits.":                           "L’expéditeur de ce dépôt ne peut plus recevoir de dépôts.",
	"You sent this deposit: a reply goes to its sender.":                                   "Vous avez envoyé ce dépôt : une réponse va à son expéditeur.",
	"You sent this deposit: send a new deposit instead of forwarding it.":                  "Vous avez envoyé ce dépôt : envoyez un nouveau dépôt plutôt que de le transmettre.",
	"Only ministry agents may forward a deposit.":                                          "Seuls les agents du ministère peuvent transmettre un dépôt.",
	"A request with this idempotency key is still being processed; try again in a moment.": "Ce formulaire est déjà en cours d’envoi : patientez un instant, puis rechargez la page.",
	"The deposit this idempotency key created is gone; use a new key.":                     "Le dépôt que ce formulaire a créé n’existe plus : rechargez la page pour recommencer.",
	"This idempotency key was used for another request; use a new key.":                    "Ce formulaire a déjà servi pour une autre demande : rechargez la page, puis recommencez.",
	"Sign-in failed: the code or the credentials are wrong or expired.":                    "La connexion a échoué : le code ou les identifiants sont faux ou ont expiré.",
	"Too many sign-in requests from your network: try again in an hour.":                   "Trop de demandes de connexion depuis votre réseau : réessayez dans une heure.",
	"Too many sign-in attempts from your network: try again in an hour.":                   "Trop de tentatives de connexion depuis votre réseau : réessayez dans une heure.",
	"Too many wrong codes: sign in again from the start.":                                  "Trop de codes erronés : recommencez la connexion depuis le début.",
	"The code from your authenticator application is wrong.":                               "Le code de votre application d’authentification est faux.",
	"This code was used already: wait for the next one.":                                   "Ce code a déjà servi : attendez le suivant.",
	"The sign-in took too long or was not started here: start again.":                      "La connexion a pris trop de temps ou n’a pas commencé ici : recommencez.",
	"Your account is not in the platform's directory, or its access was revoked.":          "Votre compte ne figure pas dans l’annuaire de la plateforme, ou son accès a été retiré.",
	"Your session has ended: sign in again.":                                               "Votre session a pris fin : reconnectez-vous.",
	"The sign-in state is damaged: start again.":                                           "L’état de la connexion est altéré : recommencez.",
	"No identity provider is configured.":                                                  "Aucun fournisseur d’identité n’est configuré.",
	"Sign-in with a directory password is not configured.":                                 "La connexion par mot de passe de l’annuaire n’est pas configurée.",
	"A second factor is enrolled already.":                                                 "Un second facteur est déjà activé.",
	"Only the sender may withdraw a deposit.":                                              "Seul l’expéditeur peut retirer un dépôt.",
	msgNoDeposit: "Votre rôle ne permet pas d’envoyer des dépôts : ce sont les agents des juridictions et les partenaires qui en envoient.",
	"This deposit was withdrawn by its sender.":                          "Ce dépôt a été retiré par son expéditeur.",
	"This deposit has expired; its files are no longer available.":       "Ce dépôt a expiré ; ses fichiers ne sont plus disponibles.",
	"This file is not available for download.":                           "Ce fichier n’est pas disponible au téléchargement.",
	"At least one recipient is required.":                                "Choisissez au moins un destinataire.",
	"it is larger than the antivirus can scan":                           "il est trop volumineux pour que l’antivirus l’analyse",
	"it is encrypted, so the antivirus cannot scan it":                   "il est chiffré : l’antivirus ne peut pas l’analyser",
	"the antivirus could not scan it":                                    "l’antivirus n’a pas pu l’analyser",
	"it was damaged in storage":                                          "il a été endommagé dans le stockage",
	"it was not scanned by an antivirus":                                 "aucun antivirus ne l’a analysé",
	"it did not pass the content checks":                                 "il n’a pas passé les contrôles de contenu",
	"Authentication is required.":                                        "Connexion nécessaire.",
	"An e-mail address is required.":                                     "Une adresse électronique est nécessaire.",
	"The flow cannot be read.":                                           "Le fichier de l’annuaire ne peut pas être lu.",
	"A directory sync needs the name of its source.":                     "Un import d’annuaire doit nommer sa source.",
	"A user with this id, e-mail address or external id exists already.": "Un utilisateur a déjà cet identifiant, cette adresse électronique ou cet identifiant externe.",
}

// frenchPrefixes translate the fixed beginnings of messages that end with
// another message, itself translated if french has it.
var frenchPrefixes = map[string]string{
	"The listing conflicts with other users and nothing was applied: ": "Le fichier contredit d’autres utilisateurs et rien n’a été appliqué : ",
}
