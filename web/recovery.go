package web

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"navette"
	"navette/account"
	"navette/auth"
)

func init() {
	pageNames = append(pageNames, "recovery", "admin-users", "admin-user")
	stepUpPages["POST /admin/recovery/{id}/approve"] = true
	stepUpPages["POST /admin/recovery/{id}/reject"] = true
	addMissing(french, recoveryFrench)
	addMissing(english, recoveryEnglish)
}

// recoveryData is what the recovery page shows: the lost-factor form
// (Step "lost", then "sent"), new recovery codes (Step "codes"), or the
// codes left after one was used (Step "used").
type recoveryData struct {
	Step    string
	Email   string
	Problem string
	Codes   []string
	// Renewed tells that Codes replace codes the person had: the page says
	// the previous ones no longer work. False at enrolment, when there
	// were none.
	Renewed bool
	Left    int
	Next    string
}

func (h *Handler) renderRecovery(w http.ResponseWriter, r *http.Request, status int, title string, d *recoveryData) {
	p := h.newPage(w, r, title, "")
	p.Data = d
	h.render(w, r, status, "recovery", p)
}

func (h *Handler) lostPage(w http.ResponseWriter, r *http.Request) {
	h.renderRecovery(w, r, http.StatusOK, "Facteur perdu", &recoveryData{Step: "lost"})
}

// lostPost records a lost-factor request. The page answers the same
// whether or not the address is known.
func (h *Handler) lostPost(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	err := h.Auth.RequestRecovery(r.Context(), email, h.clientIP(r))
	p := h.newPage(w, r, "Facteur perdu", "")
	d := &recoveryData{Step: "sent", Email: email}
	status := http.StatusOK
	if err != nil {
		d.Step, d.Problem, status = "lost", h.message(p.Lang, err), statusOf(err)
	}
	p.Data = d
	h.render(w, r, status, "recovery", p)
}

// recoverySignIn takes a recovery code instead of the second factor.
func (h *Handler) recoverySignIn(w http.ResponseWriter, r *http.Request) {
	is, next, ok := h.secondStep(w, r, "recovery", h.Auth.RecoverySignIn)
	if !ok {
		return
	}
	if err := h.Auth.SignOut(r.Context(), session(r).Session); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		h.Error(w, r, err)
		return
	}
	auth.SetCookie(w, is)
	if next == "/" {
		next = landing(is.User)
	}
	h.renderRecovery(w, r, http.StatusOK, "Code de récupération accepté", &recoveryData{Step: "used", Left: is.RecoveryLeft, Next: next})
}

// newCodes shows, once, the recovery codes made at enrolment.
func (h *Handler) newCodes(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	codes, err := h.Auth.NewRecoveryCodes(r.Context(), cur.Session)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	next := nextOf(r)
	if len(codes) == 0 {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderRecovery(w, r, http.StatusOK, "Vos codes de récupération", &recoveryData{Step: "codes", Codes: codes, Next: next})
}

// failedStepUp answers err, if any, of an action that asks for a step-up:
// the account page, where the step-up is done, when it is missing.
func (h *Handler) failedStepUp(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case navette.IsCode(err, navette.ESTEPUP):
		h.renderAccount(w, r, http.StatusUnauthorized, h.message(h.lang(nil, r), err))
	case err != nil:
		h.Error(w, r, err)
	default:
		return false
	}
	return true
}

// regenerateCodes makes new recovery codes, after a step-up.
func (h *Handler) regenerateCodes(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	codes, err := h.Auth.RegenerateRecoveryCodes(r.Context(), cur.Session, cur.User)
	if h.failedStepUp(w, r, err) {
		return
	}
	h.renderRecovery(w, r, http.StatusOK, "Vos codes de récupération", &recoveryData{Step: "codes", Codes: codes, Renewed: true, Next: "/account"})
}

// codesNext is where a browser goes after a sign-in: the page that shows
// new recovery codes once, then next.
func codesNext(is *auth.Issued, next string) string {
	if is.ShowCodes {
		return "/account/recovery-codes?next=" + url.QueryEscape(next)
	}
	return next
}

// usersData is what the users page shows.
type usersData struct {
	Q, Role, Status, Source string
	Roles                   []navette.Role
	Users                   []*navette.User
	Requests                []requestRow
	Problem                 string
}

// requestRow is a recovery request with its person.
type requestRow struct {
	Request *navette.RecoveryRequest
	User    *navette.User
	State   navette.RecoveryState
}

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	q := r.URL.Query()
	d := &usersData{Q: q.Get("q"), Role: q.Get("role"), Status: q.Get("status"), Source: q.Get("source"), Roles: navette.Roles}
	status := http.StatusOK
	us, err := h.Accounts.ManagedUsers(r.Context(), u, account.ManagedFilter{Text: d.Q, Role: navette.Role(d.Role), Status: account.UserStatus(d.Status), Source: d.Source})
	if navette.IsCode(err, navette.EINVALID) {
		d.Problem, status = h.message(h.lang(nil, r), err), http.StatusBadRequest
	} else if err != nil {
		h.Error(w, r, err)
		return
	}
	d.Users = us
	if d.Requests, err = h.requestRows(r, u, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	p := h.newPage(w, r, "Personnes", "admin")
	p.Flash = userFlashes.say(p.Lang, q.Get("done"))
	p.Data = d
	h.render(w, r, status, "admin-users", p)
}

// requestRows returns the open recovery requests u may decide, of userID
// only if set.
func (h *Handler) requestRows(r *http.Request, u *navette.User, userID string) ([]requestRow, error) {
	rr, err := h.Auth.RecoveryRequests(r.Context(), u, userID, true)
	if navette.IsCode(err, navette.EUNAVAILABLE) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []requestRow
	now := h.now()
	for _, x := range rr {
		who, err := h.Accounts.ManagedUser(r.Context(), u, x.UserID)
		if err != nil {
			continue
		}
		out = append(out, requestRow{Request: x, User: who, State: x.StateAt(now)})
	}
	return out, nil
}

// userData is what a person's page shows.
type userData struct {
	Person       *navette.User
	TOTP         bool
	Passkeys     []passkeyRow
	RecoveryLeft int
	Sessions     []sessionRow
	Tokens       []*navette.Token
	Mailboxes    []*navette.User
	Events       []eventRow
	Requests     []requestRow
	Self         bool
}

// names gives the names of the ids the page knows: the person, their
// mailboxes and tokens, for the details of their events.
func (d *userData) names() map[string]string {
	n := map[string]string{d.Person.ID: d.Person.Name}
	for _, m := range d.Mailboxes {
		n[m.ID] = m.Name
	}
	for _, t := range d.Tokens {
		n[t.ID] = t.Label
	}
	return n
}

// unnamed returns the ids of ids that names does not name.
func unnamed(ids []string, names map[string]string) []string {
	var out []string
	for _, id := range ids {
		if names[id] == "" {
			out = append(out, id)
		}
	}
	return out
}

// userFlashes are the notes of a person's page and of the recovery
// requests' page after an action.
var userFlashes = flashes{
	"sessions": text("Ses sessions sont fermées."),
	"session":  text("La session est fermée."),
	"token":    text("Le jeton est révoqué."),
	"approved": text("La demande est approuvée : la personne en est avisée par courriel et peut enregistrer un nouveau facteur pendant 24 heures."),
	"rejected": text("La demande est refusée : la personne en est avisée par courriel."),
}

func (h *Handler) adminUser(w http.ResponseWriter, r *http.Request) {
	h.renderUser(w, r, http.StatusOK, userFlashes.say(h.lang(nil, r), r.URL.Query().Get("done")))
}

func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, status int, flash string) {
	u := navette.UserFromContext(r.Context())
	ctx := r.Context()
	person, err := h.Accounts.ManagedUser(ctx, u, r.PathValue("id"))
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &userData{Person: person, TOTP: !person.TOTP.IsZero(), Self: person.ID == u.ID}
	if h.Auth.PasskeysAvailable() {
		keys, err := h.Auth.Passkeys(ctx, person)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		for _, k := range keys {
			d.Passkeys = append(d.Passkeys, passkeyRow{ID: k.ID, Name: k.Name, Created: k.CreatedAt, LastUsed: k.LastUsedAt})
		}
	}
	if d.RecoveryLeft, err = h.Auth.RecoveryCodesLeft(ctx, person); err != nil {
		h.Error(w, r, err)
		return
	}
	if d.Sessions, err = h.sessionRows(r, u, person); err != nil {
		h.Error(w, r, err)
		return
	}
	if d.Tokens, err = h.Accounts.ManagedTokens(ctx, u, person.ID); err != nil {
		h.Error(w, r, err)
		return
	}
	if d.Mailboxes, err = h.Accounts.ManagedMemberships(ctx, u, person.ID); err != nil {
		h.Error(w, r, err)
		return
	}
	evs, err := h.Accounts.RecentEvents(ctx, u, person.ID, 20)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if d.Requests, err = h.requestRows(r, u, person.ID); err != nil {
		h.Error(w, r, err)
		return
	}
	p := h.newPage(w, r, "Personnes", "admin")
	names := d.names()
	maps.Copy(names, h.Accounts.NamesOf(ctx, u, unnamed(namedIDs(evs), names)))
	d.Events = eventRows(p.Lang, evs, names)
	p.Title = person.Name
	p.Flash = flash
	p.Data = d
	h.render(w, r, status, "admin-user", p)
}

// onUser does act, for the person signed in, on the person whose page the
// path names ({id}), then goes back to that page with the note act
// returns (its done query).
func (h *Handler) onUser(w http.ResponseWriter, r *http.Request, act func(actor *navette.User, id string) (done string, err error)) {
	id := r.PathValue("id")
	done, err := act(navette.UserFromContext(r.Context()), id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

func (h *Handler) endUserSessions(w http.ResponseWriter, r *http.Request) {
	h.onUser(w, r, func(u *navette.User, id string) (string, error) {
		n, err := h.Auth.EndSessions(r.Context(), u, id)
		return "sessions&n=" + strconv.Itoa(n), err
	})
}

func (h *Handler) revokeUserToken(w http.ResponseWriter, r *http.Request) {
	h.onUser(w, r, func(u *navette.User, id string) (string, error) {
		return "token", h.Accounts.RevokeManagedToken(r.Context(), u, id, r.PathValue("tid"))
	})
}

func (h *Handler) approveRecovery(w http.ResponseWriter, r *http.Request) {
	h.decideRecovery(w, r, true)
}

func (h *Handler) rejectRecovery(w http.ResponseWriter, r *http.Request) {
	h.decideRecovery(w, r, false)
}

func (h *Handler) decideRecovery(w http.ResponseWriter, r *http.Request, approve bool) {
	cur := session(r)
	err := h.Auth.DecideRecovery(r.Context(), cur.User, cur.Session, r.PathValue("id"), approve)
	if h.failedStepUp(w, r, err) {
		return
	}
	done := "rejected"
	if approve {
		done = "approved"
	}
	back := "/admin/users"
	if id := r.PostFormValue("user"); navette.ValidID(id) {
		back += "/" + id
	}
	http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
}
