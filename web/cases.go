package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/deposit"
	"navette/internal/httpfile"
)

// CasePath is the path of a case's page.
func CasePath(id string) string { return "/cases/" + url.PathEscape(id) }

// casesData is what the cases page shows.
type casesData struct {
	Query string
	Cases []caseRow
	// Next and First link to the next and the first page, "" for none.
	Next, First string
}

// caseRow is one case of the list.
type caseRow struct {
	ID        string
	Reference string
	Sent      int
	Received  int
	LastAt    time.Time
}

func (h *Handler) cases(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > deposit.MaxReferenceLen {
		q = q[:deposit.MaxReferenceLen]
	}
	before := r.URL.Query().Get("before")
	page, err := h.Deposits.CasePage(r.Context(), u, q, before, 0)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := h.newPage(w, r, "Affaires", "cases")
	d := &casesData{Query: q}
	d.Next, d.First = casePages(q, before, page.Next)
	for _, c := range page.Cases {
		d.Cases = append(d.Cases, caseRow{ID: c.ID, Reference: c.Reference, Sent: c.Sent, Received: c.Received, LastAt: c.LastAt})
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "cases", p)
}

// casePages returns the links to the next page of cases, after next, and
// to the first, when the page is not the first; with the search q.
func casePages(q, before, next string) (nextLink, first string) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if before != "" {
		first = "/cases"
		if q != "" {
			first += "?" + v.Encode()
		}
	}
	if next != "" {
		v.Set("before", next)
		nextLink = "/cases?" + v.Encode()
	}
	return nextLink, first
}

// caseData is what a case's page shows: a page of its deposits.
type caseData struct {
	ID        string
	Reference string
	Sent      int
	Received  int
	Deposits  []caseDeposit
	// Next and First link to the next and the first page of its
	// deposits, "" for none.
	Next, First string
}

// caseDeposit is a deposit of a case's page: its direction, parties, files
// and who fetched it.
type caseDeposit struct {
	listedDeposit
	Sent       bool
	Recipients []caseRecipient
}

// caseRecipient is a recipient with their first download.
type caseRecipient struct {
	Name       string
	Downloaded time.Time
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	before := r.URL.Query().Get("before")
	c, err := h.Deposits.CaseAt(r.Context(), u, r.PathValue("id"), before, 0)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	now := h.now()
	d := &caseData{ID: c.ID, Reference: c.Reference, Sent: c.Sent, Received: c.Received}
	d.Next, d.First = caseDepositPages(c.ID, before, c.Next)
	for _, v := range c.Deposits {
		cd := caseDeposit{listedDeposit: listed(v, now), Sent: v.Sending || v.SenderID == u.ID}
		for _, rc := range v.Recipients {
			cd.Recipients = append(cd.Recipients, caseRecipient{Name: rc.Name, Downloaded: rc.FirstDownloadAt})
		}
		d.Deposits = append(d.Deposits, cd)
	}
	p := h.newPage(w, r, "Affaire", "cases")
	if c.Reference != "" {
		p.Title = c.Reference
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "case", p)
}

// caseDepositPages returns the links to the next page of a case's
// deposits, after next, and to the first, when the page is not the first.
func caseDepositPages(id, before, next string) (nextLink, first string) {
	if before != "" {
		first = CasePath(id)
	}
	if next != "" {
		nextLink = CasePath(id) + "?" + url.Values{"before": {next}}.Encode()
	}
	return nextLink, first
}

// reply makes a draft answering the deposit, and opens it on the page of
// a new deposit, where its files are added and it is sent.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	days, err := retentionDays(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	v, err := h.Deposits.Reply(r.Context(), u, r.PathValue("id"), deposit.Answer{Message: r.PostFormValue("message"), RetentionDays: days, FromSpace: replyFrom(r),
		IdempotencyKey: r.PostFormValue("idempotency_key")})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/new?"+url.Values{"draft": {v.ID}}.Encode(), http.StatusSeeOther)
}

// replyFrom returns the reply form's choice of whom the reply is sent as:
// nil when the form offers none (the default), else the e-mail address of
// a mailbox, "" for in person.
func replyFrom(r *http.Request) *string {
	vs, ok := r.PostForm["from_space"]
	if !ok || len(vs) == 0 {
		return nil
	}
	from := strings.TrimSpace(vs[0])
	return &from
}

// extend lengthens the deposit by the days asked.
func (h *Handler) extend(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	id := r.PathValue("id")
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil {
		days = 0 // refused by the service, with its message
	}
	if _, err := h.Deposits.Extend(r.Context(), u, id, days); err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, DepositPath(id)+"?done=extended", http.StatusSeeOther)
}

// caseZip sends every available file of the case as one ZIP, with its
// manifest (deposit.Bundle), as the API does; a HEAD downloads nothing.
// One started elsewhere is asked for again first (askFirst).
func (h *Handler) caseZip(w http.ResponseWriter, r *http.Request) {
	if h.askFirst(w, r, h.askedCase) {
		return
	}
	b, err := h.Deposits.CaseBundle(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	httpfile.ServeArchive(w, r, b, err, h.Error, h.log())
}

// groupByCase orders rows case by case, each case where its newest row
// was, and marks the first row of each; rows in no case come last.
func groupByCase(rows []row) []row {
	var order []string
	byCase := map[string][]row{}
	for _, rw := range rows {
		if _, ok := byCase[rw.CaseID]; !ok && rw.CaseID != "" {
			order = append(order, rw.CaseID)
		}
		byCase[rw.CaseID] = append(byCase[rw.CaseID], rw)
	}
	if len(byCase[""]) > 0 {
		order = append(order, "")
	}
	out := make([]row, 0, len(rows))
	for _, id := range order {
		g := byCase[id]
		g[0].GroupStart = true
		out = append(out, g...)
	}
	return out
}
