package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
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
	switch r.URL.Query().Get("done") {
	case "added":
		p.Flash = tr(p.Lang, "Le membre est ajouté.")
	case "requested":
		p.Flash = tr(p.Lang, "L’ajout est en attente d’approbation par un second administrateur : il ne prend effet qu’une fois approuvé.")
	case "removed":
		p.Flash = tr(p.Lang, "Le membre est retiré.")
	case "created":
		p.Flash = tr(p.Lang, "La boîte de service est créée.")
	}
	p.Data = d
	h.render(w, r, status, "admin-service", p)
}

// statsData is what the statistics page shows.
type statsData struct {
	Stats   *deposit.Stats
	Share   int
	Median  string
	Buckets []bucket
	Rows    []statsRow
}

type bucket struct {
	Label string
	Count int
}

type statsRow struct {
	Month    string
	Court    string
	Deposits int
	Bytes    int64
}

// adminFigures returns the figures the signed-in admin may see: the whole
// platform's, or their court's for a court admin; otherwise it answers with
// the error page.
func (h *Handler) adminFigures(w http.ResponseWriter, r *http.Request) (*deposit.Stats, bool) {
	st, err := h.Deposits.Stats(r.Context(), navette.UserFromContext(r.Context()))
	if err != nil {
		h.Error(w, r, err)
		return nil, false
	}
	return st, true
}

func (h *Handler) adminStats(w http.ResponseWriter, r *http.Request) {
	st, ok := h.adminFigures(w, r)
	if !ok {
		return
	}
	p := h.newPage(w, r, "Statistiques", "admin")
	d := &statsData{Stats: st}
	if st.Available > 0 {
		d.Share = st.Downloaded * 100 / st.Available
	}
	d.Median = formatDuration(st.Median(), p.Lang)
	labels := []string{text("moins d’un jour"), text("1 à 3 jours"), text("3 à 7 jours"), text("7 à 14 jours"), text("plus de 14 jours")}
	for i, c := range st.Buckets() {
		d.Buckets = append(d.Buckets, bucket{Label: tr(p.Lang, labels[i]), Count: c})
	}
	for _, m := range st.Months {
		for _, c := range st.Courts {
			if n := st.Deposits[m][c]; n > 0 {
				d.Rows = append(d.Rows, statsRow{Month: m, Court: c, Deposits: n, Bytes: st.Bytes[m][c]})
			}
		}
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "admin-stats", p)
}

func formatDuration(d time.Duration, lang string) string {
	if d <= 0 {
		return "—"
	}
	if d < 24*time.Hour {
		return fmt.Sprintf(tr(lang, "%d h"), int(d.Hours()))
	}
	return fmt.Sprintf(tr(lang, "%.1f jours"), d.Hours()/24)
}

// adminChart draws deposits per month as an SVG bar chart, one bar a month.
func (h *Handler) adminChart(w http.ResponseWriter, r *http.Request) {
	st, ok := h.adminFigures(w, r)
	if !ok {
		return
	}
	lang := h.lang(nil, r)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", assetCSP)
	w.Write([]byte(chartSVG(st, tr(lang, "Dépôts par mois"))))
}

// chartSVG renders the monthly totals of st as bars.
func chartSVG(st *deposit.Stats, title string) string {
	const width, height, pad = 640, 240, 32
	totals := make([]int, len(st.Months))
	top := 1
	for i, m := range st.Months {
		for _, n := range st.Deposits[m] {
			totals[i] += n
		}
		top = max(top, totals[i])
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`, width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#3a3a3a"/>`, pad, height-pad, width-8, height-pad)
	if n := len(totals); n > 0 {
		bw := float64(width-pad-16) / float64(n)
		for i, t := range totals {
			bh := float64(height-2*pad) * float64(t) / float64(top)
			x := float64(pad) + float64(i)*bw + bw*0.1
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1d3f72"><title>%s : %d</title></rect>`, x, float64(height-pad)-bh, bw*0.8, bh, st.Months[i], t)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#1e1e1e" font-family="sans-serif">%s</text>`, x+bw*0.4, height-pad+14, st.Months[i])
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#1e1e1e" font-family="sans-serif">%d</text>`, x+bw*0.4, float64(height-pad)-bh-4, t)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
