package web

import (
	"net/http"
	"time"

	"navette"
)

// sessionRow is a live session on a person's page: how and when it was
// established, and its use, never its secret.
type sessionRow struct {
	ID       string
	Full     bool   // signed in; otherwise the sign-in is under way
	Method   string // "code+totp", "passkey", "oidc"...
	Words    string // Method in French words (methodName)
	Level    string // the French name of its assurance level
	Created  time.Time
	Seen     time.Time // zero if no request since the sign-in
	Verified time.Time // zero if unknown
	Expires  time.Time
	Current  bool // the session of the request, on the person's own page
}

// sessionRows describes the live sessions of person, whom u manages.
func (h *Handler) sessionRows(r *http.Request, u, person *navette.User) ([]sessionRow, error) {
	ss, err := h.Auth.UserSessions(r.Context(), u, person.ID)
	if err != nil {
		return nil, err
	}
	return rowsOf(ss, ""), nil
}

// rowsOf describes the sessions ss, marking current's.
func rowsOf(ss []*navette.Session, current string) []sessionRow {
	out := make([]sessionRow, 0, len(ss))
	for _, s := range ss {
		out = append(out, sessionRow{ID: s.ID, Full: s.Stage == navette.StageFull, Method: s.Method, Words: methodName(s.Method),
			Level: levelName(navette.MethodAssurance(s.Method)), Created: s.CreatedAt, Seen: s.SeenAt,
			Verified: s.VerifiedAt, Expires: s.ExpiresAt, Current: s.ID == current})
	}
	return out
}

// ownSessions fills d with the live sessions of u, cur marked.
func (h *Handler) ownSessions(r *http.Request, u *navette.User, cur *navette.Session, d *accountData) error {
	ss, err := h.Auth.OwnSessions(r.Context(), u)
	d.Sessions = rowsOf(ss, cur.ID)
	return err
}

// endOtherSessions ends every session of the person but this one: "sign
// out everywhere else", from "Mon compte".
func (h *Handler) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	if _, err := h.Auth.EndOtherSessions(r.Context(), cur.User, cur.Session); err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=others", http.StatusSeeOther)
}

// endUserSession ends one live session of a person the caller manages.
func (h *Handler) endUserSession(w http.ResponseWriter, r *http.Request) {
	h.onUser(w, r, func(u *navette.User, id string) (string, error) {
		return "session", h.Auth.EndSession(r.Context(), u, id, r.PathValue("sid"))
	})
}
