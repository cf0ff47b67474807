package web

import (
	"net/http"
	"strconv"
	"strings"

	"navette"
	"navette/deposit"
)

// retentionDays reads the form's retention, in days (0 when empty: the
// platform's default).
func retentionDays(r *http.Request) (int, error) {
	s := strings.TrimSpace(r.PostFormValue("retention"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, navette.Errorf(navette.EINVALID, "La durée de conservation doit être un nombre de jours.")
	}
	return n, nil
}

// forward passes the deposit on to the addresses given (separated by
// commas, semicolons or spaces), and opens the forward's page.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	days, err := retentionDays(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	to := strings.Fields(addressSeparators.Replace(r.PostFormValue("to")))
	v, err := h.Deposits.Forward(r.Context(), u, r.PathValue("id"), deposit.Onward{Recipients: to, Message: r.PostFormValue("message"), RetentionDays: days,
		IdempotencyKey: r.PostFormValue("idempotency_key")})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, DepositPath(v.ID)+"?done=forwarded", http.StatusSeeOther)
}

// addressSeparators turns the separators of a list of addresses into
// spaces.
var addressSeparators = strings.NewReplacer(",", " ", ";", " ")

// canForward reports whether u may forward v from its page: an agent who
// received it, while it is available.
func canForward(u *navette.User, v *deposit.View, ended bool) bool {
	return v.SenderID != u.ID && (u.Role == navette.RoleAgent || u.Role == navette.RoleCourtAdmin) && !ended && v.State == navette.DepositAvailable
}
