package web

import (
	"net/http"

	"navette"
	"navette/account"
)

// adminData is what the admin overview shows.
type adminData struct {
	Limits   navette.Limits
	Default  int
	Mode     string
	OIDC     bool
	Password bool
	Theme    string
	Dead     int
	Platform bool
	// TwoPersonOff is set when the two-person rule is off
	// (--approvals=1): the page warns of it.
	TwoPersonOff bool
}

func (h *Handler) admin(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	p := h.newPage(w, r, "Administration", "admin")
	lim, err := h.limits(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &adminData{Limits: lim, Theme: h.theme(), Platform: u.Role == navette.RoleAdmin, Mode: "external"}
	if h.Accounts != nil {
		d.TwoPersonOff = !h.Accounts.TwoPerson()
	}
	if h.Deposits != nil {
		d.Default = h.Deposits.DefaultRetention(lim)
	}
	if h.Auth != nil {
		d.Mode = string(h.Auth.Config.Mode)
		d.OIDC, d.Password = h.Auth.OIDC != nil, h.Auth.LDAP != nil
	}
	if d.Platform && h.Mail != nil {
		if n, err := h.Mail.DeadCount(r.Context(), u, 1000); err == nil {
			d.Dead = n
		}
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "admin", p)
}

// courtRow is a court with its service mailboxes.
type courtRow struct {
	Court    *navette.Court
	Services []*navette.User
	// Form is the new-service form of the court, with its problem.
	Form *serviceForm
}

// serviceForm is the new-service form of a court as sent.
type serviceForm struct {
	Court   string
	Name    string
	Email   string
	Problem string
	// Field is the id suffix of the field Problem is about: "name" or "email".
	Field string
}

// courtsData is what the courts page shows.
type courtsData struct {
	Courts []courtRow
	// Editable is set when service mailboxes can be created here.
	Editable bool
}

func (h *Handler) adminCourts(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	h.renderCourts(w, r, u, http.StatusOK, nil)
}

// renderCourts renders the courts u administers, with form on its court.
func (h *Handler) renderCourts(w http.ResponseWriter, r *http.Request, u *navette.User, status int, form *serviceForm) {
	courts, err := h.Accounts.CourtRows(r.Context(), u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &courtsData{Editable: h.Accounts != nil}
	for _, c := range courts {
		row := courtRow{Court: c.Court, Services: c.Mailboxes, Form: &serviceForm{Court: c.Court.ID}}
		if form != nil && form.Court == c.Court.ID {
			row.Form = form
		}
		d.Courts = append(d.Courts, row)
	}
	p := h.newPage(w, r, "Juridictions et services", "admin")
	p.Data = d
	h.render(w, r, status, "admin-courts", p)
}

// serviceData is a service mailbox with its members.
type serviceData struct {
	Service *navette.User
	Members []account.MemberRow
	// Editable is set when the members can be edited here.
	Editable bool
	// Problem is why the last change was refused; Email is what was typed.
	Problem string
	Email   string
}

// adminServiceOf returns the service mailbox of the request's path if u
// may administer it; otherwise it renders 404 and returns nil.
func (h *Handler) adminServiceOf(w http.ResponseWriter, r *http.Request, u *navette.User) *navette.User {
	svc, err := h.Accounts.Mailbox(r.Context(), u, r.PathValue("id"))
	if err != nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "No such service."))
		return nil
	}
	return svc
}

func (h *Handler) adminService(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	svc := h.adminServiceOf(w, r, u)
	if svc == nil {
		return
	}
	h.renderService(w, r, svc, http.StatusOK, &serviceData{})
}

// renderService renders the page of svc with its members and d's problem.
func (h *Handler) renderService(w http.ResponseWriter, r *http.Request, svc *navette.User, status int, d *serviceData) {
	ms, err := h.Accounts.MemberRows(r.Context(), navette.UserFromContext(r.Context()), svc.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d.Service, d.Editable, d.Members = svc, h.Accounts != nil, ms
	p := h.newPage(w, r, "Service", "admin")
	p.Title = svc.Name
	p.Flash = serviceFlashes.say(p.Lang, r.URL.Query().Get("done"))
	p.Data = d
	h.render(w, r, status, "admin-service", p)
}

// serviceFlashes are a service mailbox page's notes after an action.
var serviceFlashes = flashes{
	"added":     text("Le membre est ajouté."),
	"requested": text("L’ajout est en attente d’approbation par un second administrateur : il ne prend effet qu’une fois approuvé."),
	"removed":   text("Le membre est retiré."),
	"created":   text("La boîte de service est créée."),
}
