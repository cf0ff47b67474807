package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/deposit"
	"navette/i18n"
)

// statsData is what the statistics page shows.
type statsData struct {
	// Scope is the court counted, "" for the whole platform.
	Scope    string
	From, To string
	// CountedAt is when the figures were counted.
	CountedAt time.Time
	// LocalOperator counts the actions made from the server's shell,
	// outside the two-person rule (platform-wide figures only).
	LocalOperator int64
	Totals        navette.ActivityRow
	// Reminders and Dead count the reminders sent and the dead letters.
	Reminders, Dead int64
	Delays          navette.Delays
	Median, P90     string
	// Unfetched is the share of ended deposits nobody fetched, "—" if
	// none ended.
	Unfetched string
	Months    []statsMonth
	Rows      []statsRow
	Orgs      []navette.OrgVolume
	Buckets   []bucket
	// The charts, drawn as inline SVG.
	DepositsChart, VolumeChart, DelaysChart template.HTML
}

// statsMonth is one month's totals.
type statsMonth struct {
	Name string
	navette.ActivityRow
	Reminders, Dead int64
}

// statsRow is one month's figures for one group of senders.
type statsRow struct {
	Month string
	Court string
	navette.ActivityRow
}

// bucket is a range of delays to first download and the deposits in it.
type bucket struct {
	Label string
	Count int64
}

// delayLabels name the ranges of navette.Delays.Buckets.
var delayLabels = [...]string{text("moins d’un jour"), text("1 à 3 jours"), text("3 à 7 jours"), text("7 à 14 jours"), text("plus de 14 jours")}

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
	p.Data = newStatsData(st, p.Lang)
	h.render(w, r, http.StatusOK, "admin-stats", p)
}

// newStatsData arranges st for the page in lang.
func newStatsData(st *deposit.Stats, lang string) *statsData {
	d := &statsData{Scope: st.Scope, CountedAt: st.CountedAt, LocalOperator: st.LocalOperator, Delays: st.Delays, Orgs: st.Orgs, Unfetched: "—",
		Median: formatDelay(st.Delays.Median, st.Delays.Fetched, lang), P90: formatDelay(st.Delays.P90, st.Delays.Fetched, lang)}
	if n := len(st.Periods); n > 0 {
		d.From, d.To = monthName(st.Periods[0].Start, lang), monthName(st.Periods[n-1].Start, lang)
	}
	if st.Delays.Ended > 0 {
		d.Unfetched = percent(st.Delays.Unfetched, st.Delays.Ended, lang)
	}
	var labels []string
	var deposits, bytes []int64
	for _, p := range st.Periods {
		m := statsMonth{Name: monthName(p.Start, lang), ActivityRow: st.Month(p.Label)}
		n := st.NoticesOf(p.Label)
		m.Reminders, m.Dead = n.Reminders, n.Dead
		d.Months = append(d.Months, m)
		d.Totals.Deposits += m.Deposits
		d.Totals.Files += m.Files
		d.Totals.Bytes += m.Bytes
		d.Reminders += m.Reminders
		d.Dead += m.Dead
		labels = append(labels, shortMonth(p.Start, lang))
		deposits, bytes = append(deposits, m.Deposits), append(bytes, m.Bytes)
	}
	for _, r := range st.Rows {
		d.Rows = append(d.Rows, statsRow{Month: monthName(periodStart(st, r.Month), lang), Court: tr(lang, st.Group(r)), ActivityRow: r})
	}
	var counts []int64
	var blabels []string
	for i, c := range st.Delays.Buckets {
		d.Buckets = append(d.Buckets, bucket{Label: tr(lang, delayLabels[i]), Count: c})
		counts, blabels = append(counts, c), append(blabels, tr(lang, delayLabels[i]))
	}
	num := func(n int64) string { return i18n.Number(lang, n) }
	d.DepositsChart = barChart(chart{ID: "chart-deposits", Title: tr(lang, "Dépôts par mois"),
		Desc:   tr(lang, "Graphique en barres du nombre de dépôts par mois ; les valeurs figurent dans le tableau qui suit."),
		Labels: labels, Values: deposits, Format: num})
	d.VolumeChart = barChart(chart{ID: "chart-volume", Title: tr(lang, "Volume déposé par mois"),
		Desc:   tr(lang, "Graphique en barres du volume des fichiers déposés par mois ; les valeurs figurent dans le tableau qui suit."),
		Labels: labels, Values: bytes, Format: func(n int64) string { return i18n.Size(lang, n) }})
	d.DelaysChart = barChart(chart{ID: "chart-delays", Title: tr(lang, "Délai avant le premier téléchargement"),
		Desc:   tr(lang, "Graphique en barres du nombre de dépôts par délai avant leur premier téléchargement ; les valeurs figurent dans le tableau qui suit."),
		Labels: blabels, Values: counts, Format: num})
	return d
}

// periodStart returns the start of st's period labelled label.
func periodStart(st *deposit.Stats, label string) time.Time {
	for _, p := range st.Periods {
		if p.Label == label {
			return p.Start
		}
	}
	return time.Time{}
}

// frMonthNames are the French names of the months.
var frMonthNames = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// monthName names the month t is in: "novembre 2026", "November 2026".
func monthName(t time.Time, lang string) string {
	if t.IsZero() {
		return "—"
	}
	if lang == navette.LangEnglish {
		return t.Format("January 2006")
	}
	return frMonthNames[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// shortMonth names the month of t for a chart's axis: "nov. 26", "Nov 26".
func shortMonth(t time.Time, lang string) string {
	if lang == navette.LangEnglish {
		return t.Format("Jan 06")
	}
	return frMonths[t.Month()-1] + " " + t.Format("06")
}

// percent writes n/of as a whole percentage: "12 %" (no-break space) in
// French, "12%" in English.
func percent(n, of int64, lang string) string {
	v := int64(math.Round(float64(n) * 100 / float64(of)))
	if lang == navette.LangEnglish {
		return strconv.FormatInt(v, 10) + "%"
	}
	return strconv.FormatInt(v, 10) + "\u00a0%"
}

// formatDelay writes a delay to first download for people: minutes under
// an hour, hours under two days, then days to a tenth; "—" when no
// deposit was fetched.
func formatDelay(d time.Duration, fetched int64, lang string) string {
	switch {
	case fetched == 0:
		return "—"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "\u00a0min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "\u00a0h"
	}
	days := math.Round(d.Hours()/24*10) / 10
	s := strconv.FormatFloat(days, 'f', -1, 64)
	if lang != navette.LangEnglish {
		s = strings.Replace(s, ".", ",", 1)
	}
	one := days < 2
	if lang == navette.LangEnglish {
		one = days == 1
	}
	if one {
		return s + "\u00a0" + tr(lang, "jour")
	}
	return s + "\u00a0" + tr(lang, "jours")
}

// chart is a bar chart to draw: one bar a value.
type chart struct {
	ID, Title, Desc string
	Labels          []string
	Values          []int64
	Format          func(int64) string
}

// barChart draws c as an inline SVG image named by its title and
// description, with each bar's value written above it.
func barChart(c chart) template.HTML {
	const width, height, pad = 640, 240, 32
	top := int64(1)
	for _, v := range c.Values {
		top = max(top, v)
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc">`, width, height, c.ID, c.ID)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.Desc))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#3a3a3a"/>`, pad, height-pad, width-8, height-pad)
	if n := len(c.Values); n > 0 {
		bw := float64(width-pad-16) / float64(n)
		for i, v := range c.Values {
			bh := float64(height-2*pad) * float64(v) / float64(top)
			x := float64(pad) + float64(i)*bw + bw*0.1
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1d3f72"/>`, x, float64(height-pad)-bh, bw*0.8, bh)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#1e1e1e" font-family="sans-serif">%s</text>`, x+bw*0.4, height-pad+14, esc(c.Labels[i]))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#1e1e1e" font-family="sans-serif">%s</text>`, x+bw*0.4, float64(height-pad)-bh-4, esc(c.Format(v)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// adminChart draws deposits per month as a standalone SVG image.
func (h *Handler) adminChart(w http.ResponseWriter, r *http.Request) {
	st, ok := h.adminFigures(w, r)
	if !ok {
		return
	}
	d := newStatsData(st, h.lang(nil, r))
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", assetCSP)
	w.Write([]byte(d.DepositsChart))
}

// adminStatsCSV writes the figures of the statistics page as CSV, one
// figure a line: what it counts, the month, the group (a court, a group of
// senders, or a partner organisation) and the value, bytes and seconds
// unformatted.
func (h *Handler) adminStatsCSV(w http.ResponseWriter, r *http.Request) {
	st, ok := h.adminFigures(w, r)
	if !ok {
		return
	}
	lang := h.lang(w, r)
	name := "navette-statistiques"
	if n := len(st.Periods); n > 0 {
		name += "-" + st.Periods[n-1].Label
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	cw := csv.NewWriter(w)
	for _, rec := range statsRecords(st, lang) {
		cw.Write(rec)
	}
	cw.Flush()
}

// statsRecords returns the CSV lines of st in lang, header first.
func statsRecords(st *deposit.Stats, lang string) [][]string {
	out := [][]string{{tr(lang, "indicateur"), tr(lang, "mois"), tr(lang, "groupe"), tr(lang, "valeur")}}
	add := func(what, month, group string, v int64) {
		out = append(out, []string{tr(lang, what), month, csvCell(group), strconv.FormatInt(v, 10)})
	}
	for _, r := range st.Rows {
		g := tr(lang, st.Group(r))
		add(text("dépôts"), r.Month, g, r.Deposits)
		add(text("fichiers"), r.Month, g, r.Files)
		add(text("octets"), r.Month, g, r.Bytes)
	}
	for _, n := range st.Notices {
		add(text("relances envoyées"), n.Month, "", n.Reminders)
		add(text("avis abandonnés"), n.Month, "", n.Dead)
	}
	d := st.Delays
	for _, f := range []struct {
		what string
		v    int64
	}{
		{text("dépôts mis à disposition"), d.Available},
		{text("dépôts téléchargés"), d.Fetched},
		{text("dépôts arrivés à échéance"), d.Ended},
		{text("dépôts arrivés à échéance sans téléchargement"), d.Unfetched},
		{text("délai médian avant le premier téléchargement (secondes)"), int64(d.Median.Seconds())},
		{text("90e centile du délai avant le premier téléchargement (secondes)"), int64(d.P90.Seconds())},
	} {
		add(f.what, "", "", f.v)
	}
	if st.Scope == "" {
		add(text("actions faites sur le serveur, hors règle des deux personnes"), "", "", st.LocalOperator)
	}
	for _, o := range st.Orgs {
		add(text("dépôts reçus par l’organisation"), "", o.Org, o.Deposits)
		add(text("octets reçus par l’organisation"), "", o.Org, o.Bytes)
	}
	return out
}

// csvCell defuses a cell a spreadsheet would run as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// pluralf formats the French text one or other, whichever n takes in
// lang, translated into lang; int arguments are written as i18n.Number
// writes them, for the texts' %s.
func pluralf(lang string, n int, one, other string, args ...any) string {
	for i, a := range args {
		if v, ok := a.(int); ok {
			args[i] = i18n.Number(lang, int64(v))
		}
	}
	return fmt.Sprintf(tr(lang, i18n.Plural(lang, int64(n), one, other)), args...)
}
