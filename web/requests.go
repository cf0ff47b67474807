package web

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"

	"navette"
	"navette/account"
)

// requestsData is what the page of pending requests (the two-person
// rule) shows.
type requestsData struct {
	Pending []adminRequestRow
	Done    []adminRequestRow
	Problem string
	// Off is set when the rule is off (--approvals=1).
	Off bool
}

// adminRequestRow is one request on the page, with what it asks in words.
type adminRequestRow struct {
	account.RequestView
	CSRF, What, Hash string
	// Failure is why its approved action failed, or why it was refused with
	// no reviewer, in the page's language.
	Failure string
}

// describeRequest says in lang what v asks for.
func describeRequest(lang string, v account.RequestView) string {
	name := func(u *navette.User) string {
		if u == nil {
			return "?"
		}
		return u.Name + " <" + u.Email + ">"
	}
	switch v.Action {
	case navette.ActionAddMember:
		return fmt.Sprintf(tr(lang, "Ajouter %s au service %s"), name(v.Subject), name(v.Service))
	case navette.ActionGrantRole:
		return fmt.Sprintf(tr(lang, "Donner le rôle %s à %s"), v.Role, name(v.Subject))
	case navette.ActionRestoreUser:
		return fmt.Sprintf(tr(lang, "Rétablir l’accès de %s"), name(v.Subject))
	case navette.ActionPolicyAssurance, navette.ActionPolicyAntivirus:
		return describePolicy(lang, v)
	case navette.ActionKeysRotate:
		return tr(lang, "Remplacer la clé qui signe le journal")
	}
	return fmt.Sprintf(tr(lang, "Appliquer de force le flux d’annuaire %s (SHA-256 %s)"), v.Source, v.FlowHash)
}

// adminRequests shows the requests the signed-in admin may review or
// made: pending first, then the last reviewed.
func (h *Handler) adminRequests(w http.ResponseWriter, r *http.Request) {
	h.renderRequests(w, r, http.StatusOK, "")
}

func (h *Handler) renderRequests(w http.ResponseWriter, r *http.Request, status int, problem string) {
	u := navette.UserFromContext(r.Context())
	if h.Accounts == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "Requests cannot be reviewed here."))
		return
	}
	all, err := h.Accounts.Requests(r.Context(), u, "")
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &requestsData{Problem: problem, Off: !h.Accounts.TwoPerson()}
	p := h.newPage(w, r, "Demandes en attente", "admin")
	for _, v := range h.Accounts.Views(r.Context(), u, all) {
		row := adminRequestRow{RequestView: v, CSRF: p.CSRF, What: describeRequest(p.Lang, v), Hash: hex.EncodeToString(v.ParamsHash),
			Failure: failureText(p.Lang, v.Error)}
		if v.State == navette.RequestPending {
			d.Pending = append(d.Pending, row)
		} else if len(d.Done) < 50 {
			d.Done = append(d.Done, row)
		}
	}
	p.Flash = requestFlashes.say(p.Lang, r.URL.Query().Get("done"))
	p.Data = d
	h.render(w, r, status, "admin-requests", p)
}

// approveRequest approves a request of another admin, which then runs.
func (h *Handler) approveRequest(w http.ResponseWriter, r *http.Request) {
	h.reviewRequest(w, r, true)
}

// rejectRequest rejects a request, or withdraws one's own.
func (h *Handler) rejectRequest(w http.ResponseWriter, r *http.Request) {
	h.reviewRequest(w, r, false)
}

func (h *Handler) reviewRequest(w http.ResponseWriter, r *http.Request, approve bool) {
	u := navette.UserFromContext(r.Context())
	if h.Accounts == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "Requests cannot be reviewed here."))
		return
	}
	id := r.PathValue("id")
	var err error
	done := "rejected"
	if approve {
		done = "approved"
		hash, herr := hex.DecodeString(r.PostFormValue("sha256"))
		if herr != nil {
			hash = []byte("not hex")
		}
		_, err = h.Accounts.Approve(r.Context(), u, id, hash)
	} else {
		_, err = h.Accounts.Reject(r.Context(), u, id)
	}
	if navette.IsCode(err, navette.ENOTFOUND) {
		h.Error(w, r, err)
		return
	}
	if err != nil {
		if navette.ErrorCode(err) == navette.EINTERNAL {
			h.log().ErrorContext(r.Context(), "web: request review failed", "request", id, "err", err)
		}
		h.renderRequests(w, r, statusOf(err), h.message(h.lang(w, r), err))
		return
	}
	http.Redirect(w, r, "/admin/requests?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// requestFlashes are the admin requests page's notes after an action.
var requestFlashes = flashes{
	"approved": text("La demande est approuvée et exécutée."),
	"rejected": text("La demande est refusée."),
}
