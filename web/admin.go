package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"navette"
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
	if h.Deposits != nil {
		d.Default = h.Deposits.DefaultRetention(lim)
	}
	if h.Auth != nil {
		d.Mode = string(h.Auth.Config.Mode)
		d.OIDC, d.Password = h.Auth.OIDC != nil, h.Auth.LDAP != nil
	}
	if d.Platform && h.Meta != nil {
		if ns, err := h.Meta.Notices(r.Context(), navette.NoticeFilter{State: navette.NoticeDead, Limit: 1000}); err == nil {
			d.Dead = len(ns)
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
	courts, err := h.Meta.Courts(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := &courtsData{Editable: h.Accounts != nil}
	for _, c := range courts {
		if u.Role == navette.RoleCourtAdmin && c.ID != u.CourtID {
			continue
		}
		svcs, err := h.Meta.SearchUsers(r.Context(), navette.UserFilter{Roles: []navette.Role{navette.RoleService}, CourtID: c.ID, Limit: 1000})
		if err != nil {
			h.Error(w, r, err)
			return
		}
		row := courtRow{Court: c, Services: svcs, Form: &serviceForm{Court: c.ID}}
		if form != nil && form.Court == c.ID {
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
	Members []memberRow
	// Editable is set when the members can be edited here.
	Editable bool
	// Problem is why the last change was refused; Email is what was typed.
	Problem string
	Email   string
}

type memberRow struct {
	User   *navette.User
	Source string
	Since  time.Time
}

// adminServiceOf returns the service mailbox of the request's path if u
// may administer it; otherwise it renders 404 and returns nil.
func (h *Handler) adminServiceOf(w http.ResponseWriter, r *http.Request, u *navette.User) *navette.User {
	svc, err := h.Meta.User(r.Context(), r.PathValue("id"))
	if err != nil || svc.Role != navette.RoleService || (u.Role == navette.RoleCourtAdmin && svc.CourtID != u.CourtID) {
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
	ms, err := h.Meta.Members(r.Context(), svc.ID)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d.Service, d.Editable = svc, h.Accounts != nil
	for _, m := range ms {
		mu, err := h.Meta.User(r.Context(), m.UserID)
		if err != nil {
			continue
		}
		d.Members = append(d.Members, memberRow{User: mu, Source: m.Source, Since: m.CreatedAt})
	}
	p := h.newPage(w, r, "Service", "admin")
	p.Title = svc.Name
	switch r.URL.Query().Get("done") {
	case "added":
		p.Flash = tr(p.Lang, "Le membre est ajouté.")
	case "removed":
		p.Flash = tr(p.Lang, "Le membre est retiré.")
	case "created":
		p.Flash = tr(p.Lang, "La boîte de service est créée.")
	}
	p.Data = d
	h.render(w, r, status, "admin-service", p)
}

// Stats are the platform's figures per month and court, from the journal.
type Stats struct {
	Months     []string // "2026-11", oldest first
	Courts     []string // court names, in order
	Deposits   map[string]map[string]int
	Bytes      map[string]map[string]int64
	Available  int
	Downloaded int
	// Delays are the times from availability to first download, sorted.
	Delays []time.Duration
}

// Median returns the median delay to the first download.
func (s *Stats) Median() time.Duration {
	if len(s.Delays) == 0 {
		return 0
	}
	return s.Delays[len(s.Delays)/2]
}

// Buckets returns how many first downloads came within each of: a day,
// 3 days, a week, two weeks, and later.
func (s *Stats) Buckets() []int {
	limits := []time.Duration{24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}
	out := make([]int, len(limits)+1)
	for _, d := range s.Delays {
		i := sort.Search(len(limits), func(i int) bool { return d < limits[i] })
		out[i]++
	}
	return out
}

// stats reads the journal (at most maxEvents events) into Stats.
func (h *Handler) stats(r *http.Request, courtID string) (*Stats, error) {
	const maxEvents = 1_000_000
	ctx := r.Context()
	st := &Stats{Deposits: map[string]map[string]int{}, Bytes: map[string]map[string]int64{}}
	courtOf := map[string]string{}   // user id → court name
	depCourt := map[string]string{}  // deposit id → court name
	depBytes := map[string]int64{}   // deposit id → bytes stored
	depSender := map[string]string{} // deposit id → sender
	available := map[string]time.Time{}
	first := map[string]bool{}
	courtNames := map[string]string{}
	if cs, err := h.Meta.Courts(ctx); err == nil {
		for _, c := range cs {
			courtNames[c.ID] = c.Name
		}
	}
	court := func(userID string) string {
		if c, ok := courtOf[userID]; ok {
			return c
		}
		name := ""
		if u, err := h.Meta.User(ctx, userID); err == nil {
			if courtID != "" && u.CourtID != courtID {
				name = "-"
			} else if u.CourtID != "" {
				name = courtNames[u.CourtID]
			} else if u.Role == navette.RolePartner {
				name = "partenaires"
			} else {
				name = "(sans juridiction)"
			}
		}
		courtOf[userID] = name
		return name
	}
	seen := map[string]bool{}
	var after int64
	for n := 0; n < maxEvents; {
		evs, err := h.Meta.Events(ctx, navette.EventFilter{AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		n += len(evs)
		for _, e := range evs {
			after = e.Seq
			switch e.Type {
			case navette.EventFileStored:
				depBytes[e.DepositID] += e.Size
			case navette.EventDepositSubmitted:
				c := court(e.ActorID)
				depSender[e.DepositID] = e.ActorID
				if c == "-" {
					continue
				}
				depCourt[e.DepositID] = c
				m := e.Time.In(paris).Format("2006-01")
				if !seen[m] {
					seen[m] = true
					st.Months = append(st.Months, m)
				}
				if st.Deposits[m] == nil {
					st.Deposits[m], st.Bytes[m] = map[string]int{}, map[string]int64{}
				}
				st.Deposits[m][c]++
				st.Bytes[m][c] += depBytes[e.DepositID]
			case navette.EventDepositAvailable:
				if _, ok := depCourt[e.DepositID]; ok {
					available[e.DepositID] = e.Time
					st.Available++
				}
			case navette.EventFileDownloaded:
				at, ok := available[e.DepositID]
				if !ok || first[e.DepositID] || e.ActorID == depSender[e.DepositID] {
					continue
				}
				first[e.DepositID] = true
				st.Downloaded++
				st.Delays = append(st.Delays, e.Time.Sub(at))
			}
			delete(depBytes, "")
		}
	}
	slices.Sort(st.Months)
	cs := map[string]bool{}
	for _, m := range st.Deposits {
		for c := range m {
			cs[c] = true
		}
	}
	for c := range cs {
		st.Courts = append(st.Courts, c)
	}
	slices.Sort(st.Courts)
	slices.Sort(st.Delays)
	return st, nil
}

// statsData is what the statistics page shows.
type statsData struct {
	Stats   *Stats
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
func (h *Handler) adminFigures(w http.ResponseWriter, r *http.Request) (*Stats, bool) {
	u := navette.UserFromContext(r.Context())
	court := ""
	if u.Role == navette.RoleCourtAdmin {
		court = u.CourtID
	}
	st, err := h.stats(r, court)
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
func chartSVG(st *Stats, title string) string {
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
