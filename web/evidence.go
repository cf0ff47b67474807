package web

import (
	"net/http"
	"strings"
	"time"

	"navette"
	"navette/api"
	"navette/evidence"
)

// receiptRow is a receipt as the pages list it.
type receiptRow struct {
	Kind      string // what it attests, in the page's language
	Time      time.Time
	Who, File string
	JSON, PDF string // where to get it
}

// kindLabels say what a receipt of each kind attests.
var kindLabels = map[navette.ProofKind]string{
	navette.ProofDeposited:  "Dépôt",
	navette.ProofAvailable:  "Mise à disposition",
	navette.ProofNotified:   "Avis accepté par le serveur de messagerie",
	navette.ProofOpened:     "Première ouverture",
	navette.ProofDownloaded: "Téléchargement complet",
	navette.ProofUnclaimed:  "Non retiré à l’expiration",
	navette.ProofRevoked:    "Retrait par l’expéditeur",
	navette.ProofExtended:   "Prolongation par l’expéditeur",
	navette.ProofPurged:     "Purge : clé de chiffrement détruite",
}

func receiptRows(es []evidence.Entry, lang string) []receiptRow {
	var out []receiptRow
	for _, e := range es {
		url := api.PathReceipts + "/" + e.ID
		out = append(out, receiptRow{Kind: tr(lang, kindLabels[e.Kind]), Time: e.Time, Who: e.Who, File: e.File, JSON: url, PDF: url + "?format=pdf"})
	}
	return out
}

// proofs is a deposit's "Preuves" section.
type proofs struct {
	Receipts []receiptRow
	Ended    bool // the proof retention ended: the receipts are deleted
	Bundle   string
}

// depositProofs returns the receipts of deposit id that u may have, or nil
// if the page shows none.
func (h *Handler) depositProofs(r *http.Request, u *navette.User, id string, sender bool, lang string) *proofs {
	if h.Evidence == nil {
		return nil
	}
	es, err := h.Evidence.List(r.Context(), u, id)
	switch {
	case navette.IsCode(err, navette.EGONE):
		return &proofs{Ended: true}
	case err != nil:
		h.log().ErrorContext(r.Context(), "web: listing receipts", "deposit", id, "err", err)
		return nil
	}
	p := &proofs{Receipts: receiptRows(es, lang)}
	if sender && len(es) > 0 {
		p.Bundle = api.PathDeposits + "/" + id + "/evidence"
	}
	return p
}

// auditData is what the evidence search page shows.
type auditData struct {
	Reference, Person, Kind, Since, Until string
	Kinds                                 []kindOption
	Searched                              bool
	Hits                                  []auditHit
	More                                  bool
	Error                                 string
}

type kindOption struct{ Value, Label string }

type auditHit struct {
	DepositID, Reference, Sender string
	Pieces                       []auditPiece
	Receipts                     []receiptRow
	Bundle                       string
	// CaseBundle is the evidence of the deposit's whole case, "" when it
	// is in none.
	CaseBundle string
}

type auditPiece struct {
	Kind string
	Time time.Time
	Who  string
}

// audit is the auditors' evidence search: deposits by case reference,
// person, period and kind of event, each with its receipts and its
// evidence bundle.
func (h *Handler) audit(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	if h.Evidence == nil {
		h.Error(w, r, navette.Errorf(navette.EFORBIDDEN, "The evidence search is for auditors."))
		return
	}
	p := h.newPage(w, r, "Recherche de preuves", "audit")
	q := r.URL.Query()
	d := &auditData{Reference: strings.TrimSpace(q.Get("reference")), Person: strings.TrimSpace(q.Get("person")),
		Kind: q.Get("kind"), Since: q.Get("since"), Until: q.Get("until")}
	d.Kinds = append(d.Kinds, kindOption{"", tr(p.Lang, "Tous")})
	for _, k := range navette.ProofKinds {
		d.Kinds = append(d.Kinds, kindOption{string(k), tr(p.Lang, kindLabels[k])})
	}
	if q.Has("reference") || q.Has("person") || q.Has("kind") || q.Has("since") || q.Has("until") {
		d.Searched = true
		eq, ok := d.query()
		if !ok {
			d.Error = tr(p.Lang, "Vérifiez les dates (jj/mm/aaaa) et le type d’événement.")
		} else {
			hits, more, err := h.Evidence.Search(r.Context(), u, eq)
			if err != nil {
				h.Error(w, r, err)
				return
			}
			d.More = more
			d.Hits = h.auditHits(r, u, hits, p.Lang)
		}
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "audit", p)
}

// query returns the evidence search of the form, false if a date or the
// kind of event is not one.
func (d *auditData) query() (evidence.Query, bool) {
	eq := evidence.Query{Reference: d.Reference, Person: d.Person}
	if d.Kind != "" {
		eq.Kind = navette.ProofKind(d.Kind)
		if kindLabels[eq.Kind] == "" {
			return eq, false
		}
	}
	since, ok1 := parseDay(d.Since)
	until, ok2 := parseDay(d.Until)
	if !ok1 || !ok2 {
		return eq, false
	}
	eq.Since = since
	if !until.IsZero() {
		eq.Until = until.AddDate(0, 0, 1)
	}
	return eq, true
}

// auditHits returns the rows of the search's hits, each with its deposit's
// receipts.
func (h *Handler) auditHits(r *http.Request, u *navette.User, hits []*evidence.Hit, lang string) []auditHit {
	var rows []auditHit
	for _, hit := range hits {
		ah := auditHit{DepositID: hit.DepositID, Reference: hit.Reference, Sender: hit.Sender,
			Bundle: api.PathDeposits + "/" + hit.DepositID + "/evidence"}
		for _, pc := range hit.Pieces {
			ah.Pieces = append(ah.Pieces, auditPiece{Kind: tr(lang, kindLabels[pc.Kind]), Time: pc.Time, Who: pc.Who})
		}
		if es, err := h.Evidence.List(r.Context(), u, hit.DepositID); err == nil {
			ah.Receipts = receiptRows(es, lang)
		}
		if _, err := h.Evidence.CaseOf(r.Context(), u, hit.DepositID); err == nil {
			ah.CaseBundle = api.PathDeposits + "/" + hit.DepositID + "/case-evidence"
		}
		rows = append(rows, ah)
	}
	return rows
}

// parseDay reads a date of a form (an HTML date input's 2006-01-02, or
// 02/01/2006) as the start of that day in Paris; "" is the zero time.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, s, paris); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
