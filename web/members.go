package web

import (
	"net/http"
	"net/url"
	"strings"

	"navette"
)

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request)    { h.editMember(w, r, true) }
func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) { h.editMember(w, r, false) }

// editMember adds or removes the member of a service mailbox given by
// e-mail, for an admin of the service's court.
func (h *Handler) editMember(w http.ResponseWriter, r *http.Request, add bool) {
	u := navette.UserFromContext(r.Context())
	svc := h.adminServiceOf(w, r, u)
	if svc == nil {
		return
	}
	if h.Accounts == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "Members cannot be edited here."))
		return
	}
	lang := h.lang(w, r)
	email := navette.NormalizeEmail(strings.TrimSpace(r.PostFormValue("email")))
	d := &serviceData{Email: email}
	refuse := func(err error) {
		d.Problem = memberMessage(lang, err, add)
		if navette.ErrorCode(err) == navette.EINTERNAL {
			h.log().ErrorContext(r.Context(), "web: member change failed", "service", svc.ID, "err", err)
		}
		h.renderService(w, r, svc, statusOf(err), d)
	}
	if email == "" {
		refuse(navette.Errorf(navette.EINVALID, "An e-mail address is required."))
		return
	}
	done, err := "removed", error(nil)
	if add {
		var req *navette.AdminRequest
		req, err = h.Accounts.RequestAddMemberByEmail(r.Context(), u, svc.ID, email, r.PostFormValue("reason"))
		done = "added"
		if req != nil {
			done = "requested"
		}
	} else {
		err = h.Accounts.RemoveMemberByEmail(r.Context(), u, svc.ID, email)
	}
	if err != nil {
		refuse(err)
		return
	}
	http.Redirect(w, r, "/admin/services/"+url.PathEscape(svc.ID)+"?done="+done, http.StatusSeeOther)
}

// memberMessage says in lang why a member change was refused.
func memberMessage(lang string, err error, add bool) string {
	switch navette.ErrorCode(err) {
	case navette.EFORBIDDEN:
		return tr(lang, "Vous n’administrez pas la juridiction de ce service : seuls ses administrateurs peuvent en modifier les membres.")
	case navette.ENOTFOUND:
		if add {
			return tr(lang, "Aucun agent n’a cette adresse électronique sur la plateforme.")
		}
		return tr(lang, "Cette personne n’est pas membre de ce service.")
	case navette.ECONFLICT:
		return tr(lang, "Cette personne est déjà membre de ce service.")
	case navette.EINVALID:
		switch navette.ErrorMessage(err) {
		case "Only agents can be members of a service.":
			return tr(lang, "Seuls les agents peuvent être membres d’un service : cette adresse est celle d’un partenaire ou d’une boîte de service.")
		case "This agent belongs to another court.":
			return tr(lang, "Cet agent appartient à une autre juridiction.")
		case "This agent belongs to no court: only a platform admin can add them to a service mailbox.":
			return tr(lang, "Cet agent n’appartient à aucune juridiction : seul un administrateur de la plateforme peut l’ajouter à une boîte de service.")
		}
		return tr(lang, "Indiquez l’adresse électronique professionnelle d’un agent.")
	}
	return tr(lang, "Une erreur s’est produite de notre côté. Elle a été enregistrée.")
}

// createService adds a service mailbox to a court.
func (h *Handler) createService(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	courtID := r.PathValue("id")
	if u.Role == navette.RoleCourtAdmin && courtID != u.CourtID {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "No such court."))
		return
	}
	if h.Accounts == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "Services cannot be created here."))
		return
	}
	name, email := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("email"))
	svc, err := h.Accounts.CreateService(r.Context(), u, courtID, name, email)
	if err != nil {
		code := navette.ErrorCode(err)
		if code == navette.ENOTFOUND || code == navette.EFORBIDDEN {
			h.Error(w, r, err)
			return
		}
		lang := h.lang(w, r)
		f := &serviceForm{Court: courtID, Name: name, Email: email}
		switch {
		case code == navette.ECONFLICT:
			f.Problem, f.Field = tr(lang, "Un utilisateur ou une boîte de service a déjà cette adresse électronique."), "email"
		case code == navette.EINVALID && navette.ErrorMessage(err) == "A name of 1 to 200 printable characters is required.":
			f.Problem, f.Field = tr(lang, "Indiquez un nom de 1 à 200 caractères."), "name"
		case code == navette.EINVALID:
			f.Problem, f.Field = tr(lang, "Indiquez une adresse électronique valide."), "email"
		default:
			h.Error(w, r, err)
			return
		}
		h.renderCourts(w, r, u, statusOf(err), f)
		return
	}
	http.Redirect(w, r, "/admin/services/"+url.PathEscape(svc.ID)+"?done=created", http.StatusSeeOther)
}
