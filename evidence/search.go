package evidence

import (
	"context"
	"slices"
	"strings"
	"time"

	"navette"
	"navette/deposit"
)

// Query is what an auditor looks for in the evidence. Empty fields match
// everything.
type Query struct {
	// Reference matches the case references the claims state, ignoring
	// case, accents and punctuation: every word given must start a word of
	// the reference, in order.
	Reference string
	// Person matches the people the claims name (sender, recipients, who
	// acted, for whom): every word given must start a word of one person's
	// name or e-mail address.
	Person string
	Kind   navette.ProofKind
	Since  time.Time // events at or after
	Until  time.Time // events before
}

// Hit is a deposit the search found, with its evidence that matched, the
// newest first.
type Hit struct {
	DepositID string
	Reference string
	Sender    string // "Name <address>"
	Pieces    []Piece
}

// Piece is a piece of evidence that matched.
type Piece struct {
	Kind navette.ProofKind
	Time time.Time
	// Who is the person the piece is about, when it names one: who acted,
	// or the recipient notified.
	Who string
}

// Bounds of a search: the pieces of evidence read, and the deposits
// returned.
const (
	maxScanned = 20000
	maxHits    = 200
)

// Search returns the deposits whose evidence matches q, the newest piece
// first, for an auditor; the claims are opened to match, as references and
// names are never in clear in the database. more is true if the search
// stopped before the end: narrow the period. Returns EFORBIDDEN unless
// actor is an auditor.
func (s *Service) Search(ctx context.Context, actor *navette.User, q Query) (hits []*Hit, more bool, err error) {
	if actor == nil {
		return nil, false, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !Auditor(actor.Role) {
		return nil, false, navette.Errorf(navette.EFORBIDDEN, "Only auditors may search the evidence.")
	}
	if s.Evidence == nil {
		return nil, false, nil
	}
	sr := &search{s: s, ref: navette.SearchWords(q.Reference), who: navette.SearchWords(q.Person),
		deposits: map[string]*navette.DepositRecord{}, byDeposit: map[string]*Hit{}}
	return sr.run(ctx, navette.EvidenceFilter{Kind: q.Kind, Since: q.Since, Until: q.Until, Limit: 500})
}

// run reads the evidence f selects, a page at a time, newest first, until
// the end, maxScanned pieces or maxHits deposits.
func (sr *search) run(ctx context.Context, f navette.EvidenceFilter) (hits []*Hit, more bool, err error) {
	scanned := 0
	for {
		page, err := sr.s.Evidence.SearchEvidence(ctx, f)
		if err != nil {
			return nil, false, err
		}
		full, err := sr.scan(ctx, page)
		if err != nil {
			return nil, false, err
		}
		if full {
			return sr.hits, true, nil
		}
		if len(page) < f.Limit {
			return sr.hits, false, nil
		}
		if scanned += len(page); scanned >= maxScanned {
			return sr.hits, true, nil
		}
		last := page[len(page)-1]
		f.Before, f.BeforeDigest = last.CreatedAt, last.Digest
	}
}

// scan matches the pieces of page; full is true, and it stops, when a
// piece matches a deposit beyond maxHits.
func (sr *search) scan(ctx context.Context, page []*navette.Evidence) (full bool, err error) {
	for _, ev := range page {
		c, err := sr.claims(ctx, ev)
		if err != nil {
			return false, err
		}
		if c != nil && !sr.add(ev, c) {
			return true, nil
		}
	}
	return false, nil
}

// search is one run of Service.Search.
type search struct {
	s         *Service
	ref, who  []string // the words searched for in the reference and the parties
	deposits  map[string]*navette.DepositRecord
	byDeposit map[string]*Hit
	hits      []*Hit
}

// claims returns the claims of the piece of evidence ev if they match the
// search, nil if they do not or were erased.
func (sr *search) claims(ctx context.Context, ev *navette.Evidence) (*deposit.Claims, error) {
	d, ok := sr.deposits[ev.DepositID]
	if !ok {
		var err error
		if d, err = sr.s.Meta.Deposit(ctx, ev.DepositID); err != nil {
			return nil, err
		}
		sr.deposits[ev.DepositID] = d
	}
	b, err := sr.s.Deposits.OpenClaims(d, ev)
	if navette.IsCode(err, navette.EGONE) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c, err := deposit.ParseClaims(b)
	if err != nil {
		return nil, err
	}
	if c.Deposit == nil || !wordsMatch(sr.ref, c.Deposit.Reference) || !personMatch(sr.who, c) {
		return nil, nil
	}
	return c, nil
}

// add adds the matching piece of evidence ev, of claims c, to its
// deposit's hit; it returns false, adding nothing, when that would be one
// hit more than maxHits.
func (sr *search) add(ev *navette.Evidence, c *deposit.Claims) bool {
	h := sr.byDeposit[ev.DepositID]
	if h == nil {
		if len(sr.hits) == maxHits {
			return false
		}
		h = &Hit{DepositID: ev.DepositID}
		sr.byDeposit[ev.DepositID] = h
		sr.hits = append(sr.hits, h)
	}
	if h.Reference == "" {
		h.Reference = c.Deposit.Reference
	}
	if h.Sender == "" && c.Sender != nil {
		h.Sender = display(c.Sender)
	}
	h.Pieces = append(h.Pieces, Piece{Kind: ev.Kind, Time: ev.CreatedAt, Who: actingParty(c)})
	return true
}

// actingParty returns who the claims c say acted, or whom the event
// counts for, as display shows them; "" if they name neither.
func actingParty(c *deposit.Claims) string {
	switch {
	case c.By != nil:
		return display(c.By)
	case c.For != nil:
		return display(c.For)
	}
	return ""
}

func display(p *deposit.ClaimsParty) string {
	if p.Name == "" {
		return "<" + p.Email + ">"
	}
	return p.Name + " <" + p.Email + ">"
}

// wordsMatch reports whether the words of text include want's, each
// starting the word at its place, in order.
func wordsMatch(want []string, text string) bool {
	if len(want) == 0 {
		return true
	}
	have := navette.SearchWords(text)
	i := 0
	for _, w := range have {
		if i < len(want) && strings.HasPrefix(w, want[i]) {
			i++
		}
	}
	return i == len(want)
}

// personMatch reports whether one of the people c names matches want: each
// word of want starts a word of their name or address.
func personMatch(want []string, c *deposit.Claims) bool {
	if len(want) == 0 {
		return true
	}
	for _, p := range claimsPeople(c) {
		if everyWordStarts(want, navette.SearchWords(p.Name+" "+p.Email)) {
			return true
		}
	}
	return false
}

// claimsPeople returns the people the claims c name: sender, actor, the
// one the event counts for, recipients, those who never fetched, and the
// addressee of a notice.
func claimsPeople(c *deposit.Claims) []deposit.ClaimsParty {
	var people []deposit.ClaimsParty
	for _, p := range []*deposit.ClaimsParty{c.Sender, c.By, c.For} {
		if p != nil {
			people = append(people, *p)
		}
	}
	people = append(append(people, c.Recipients...), c.NotFetchedBy...)
	if c.Notice != nil {
		people = append(people, deposit.ClaimsParty{Email: c.Notice.To})
	}
	return people
}

// everyWordStarts reports whether each word of want starts one of the
// words of have.
func everyWordStarts(want, have []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// Events returns the events of the journal matching f, for an auditor.
// Returns EUNAUTHORIZED without actor, EFORBIDDEN unless actor is an
// auditor.
func (s *Service) Events(ctx context.Context, actor *navette.User, f navette.EventFilter) ([]navette.Event, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !JournalReader(actor.Role) {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only auditors may read the journal.")
	}
	return s.Meta.Events(ctx, f)
}
