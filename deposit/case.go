package deposit

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette"
)

// CaseMAC makes the keyed digests that name cases (keyring.MACKeys): one
// per key, the active key's first.
type CaseMAC interface {
	SumAll(msg []byte) [][]byte
}

// caseDomain starts every message whose digest names a case, so that no
// other digest made with the same keys can name one.
const caseDomain = "navette/case/v1"

// caseMessage returns what names the case of a deposit with reference ref
// between sender and recipients: the normalised reference, the courts of
// the parties (agents, court admins and mailboxes), and the organisations
// of the others (a partner's directory organisation, or the person when
// the directory gives none), each set sorted. It is only ever kept as
// keyed digests. Returns "" when the reference normalises to nothing.
func caseMessage(ref string, parties []*navette.User) []byte {
	nref := navette.NormalizeReference(ref)
	if nref == "" {
		return nil
	}
	var courts, orgs []string
	for _, u := range parties {
		switch {
		case u.CourtID != "":
			courts = append(courts, u.CourtID)
		case u.Org != "":
			orgs = append(orgs, "org:"+strings.ToLower(strings.Join(strings.Fields(u.Org), " ")))
		default:
			orgs = append(orgs, "user:"+u.ID)
		}
	}
	var b []byte
	field := func(s string) { b = strconv.AppendQuote(append(b, ' '), s) }
	b = append(b, caseDomain...)
	field(nref)
	for _, set := range [][]string{courts, orgs} {
		slices.Sort(set)
		set = slices.Compact(set)
		b = strconv.AppendInt(append(b, ' '), int64(len(set)), 10)
		for _, s := range set {
			field(s)
		}
	}
	return b
}

// cases returns the store of cases, or nil if there is none or no keys to
// name cases with: then deposits join no case.
func (s *Service) cases() navette.CaseStore {
	if s.CaseKeys == nil {
		return nil
	}
	cs, _ := s.Meta.(navette.CaseStore)
	return cs
}

// joinCase puts d, sent by actor, in the case its reference, court and
// parties name, creating the case if it is the first, unless it is in one
// already, and returns the case's id ("" without cases).
func (s *Service) joinCase(ctx context.Context, actor *navette.User, d *navette.DepositRecord) (string, error) {
	cs := s.cases()
	if cs == nil || d.Key.IsZero() {
		return "", nil
	}
	if id, err := cs.CaseOf(ctx, d.ID); err == nil {
		return id, nil
	} else if !navette.IsCode(err, navette.ENOTFOUND) {
		return "", err
	}
	_, ref, err := s.openReference(d)
	if err != nil {
		return "", err
	}
	parties, err := s.caseParties(ctx, actor, d)
	if err != nil {
		return "", err
	}
	msg := caseMessage(ref, parties)
	if msg == nil {
		return "", nil
	}
	now := s.Clock.Now()
	id, err := cs.CaseByDigest(ctx, s.CaseKeys.SumAll(msg), navette.NewID(), now)
	if err != nil {
		return "", err
	}
	return cs.JoinCase(ctx, id, d.ID, now, caseEvent(actor, d.ID, id, now))
}

// caseParties returns the sender of d (actor, if it is) and its
// recipients.
func (s *Service) caseParties(ctx context.Context, actor *navette.User, d *navette.DepositRecord) ([]*navette.User, error) {
	sender := actor
	if sender == nil || sender.ID != d.SenderID {
		var err error
		if sender, err = s.Meta.User(ctx, d.SenderID); err != nil {
			return nil, err
		}
	}
	parties := []*navette.User{sender}
	for _, r := range d.Recipients {
		u, err := s.Meta.User(ctx, r.UserID)
		if err != nil {
			return nil, err
		}
		parties = append(parties, u)
	}
	return parties, nil
}

func caseEvent(actor *navette.User, depositID, caseID string, now time.Time) navette.Event {
	ev := navette.Event{Time: now, Type: navette.EventDepositCase, DepositID: depositID, Detail: caseID}
	if actor != nil {
		ev.ActorID = actor.ID
	}
	return ev
}

// caseOf returns the id of d's case, "" if it is in none.
func (s *Service) caseOf(ctx context.Context, id string) (string, error) {
	cs := s.cases()
	if cs == nil {
		return "", nil
	}
	c, err := cs.CaseOf(ctx, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return "", nil
	}
	return c, err
}

// Case is a case as a person sees it: the deposits of it they may see, in
// both directions.
type Case struct {
	ID string
	// Reference is the reference of its newest deposit the person sees.
	Reference string
	// Deposits are newest first.
	Deposits []*View
	// Sent and Received count the person's deposits of each direction
	// (of the page, on a case's page).
	Sent, Received int
	// LastAt is when its newest deposit (of the page) was made.
	LastAt time.Time
	// Next is the cursor of the next page of a case's deposits (CaseAt),
	// "" on the last.
	Next string
}

// onSendingSide reports whether actor, a member of the mailboxes svcs,
// sent d or is a member of the mailbox it was sent from.
func onSendingSide(d *navette.DepositRecord, actor *navette.User, svcs map[string]bool) bool {
	return d.SenderID == actor.ID || (d.FromSpaceID != "" && svcs[d.FromSpaceID])
}

// Direction returns "sent" if actor sent v or is on its sending side
// (View.Sending), "received" otherwise.
func Direction(v *View, actor *navette.User) string {
	if v.Sending || v.SenderID == actor.ID {
		return "sent"
	}
	return "received"
}

// MaxCaseDeposits bounds the deposits of one case read at a time to sum
// it up in a list of cases, and to find the mailbox a reply goes to (a
// page; the reply reads on).
const MaxCaseDeposits = 1000

// CasePage is a page of a person's cases.
type CasePage struct {
	Cases []*Case
	// Next is the cursor of the next page, "" on the last.
	Next string
}

// caseScanPages bounds the pages of cases one search reads before it
// answers with what it found and the cursor to go on from.
const caseScanPages = 10

// Cases returns every case of the deposits actor may see, the most recently
// active first; with q, only those one of whose deposits' references holds
// q once both are normalised (NormalizeReference). It reads them page by
// page (CasePage).
func (s *Service) Cases(ctx context.Context, actor *navette.User, q string) ([]*Case, error) {
	var out []*Case
	before := ""
	for {
		p, err := s.CasePage(ctx, actor, q, before, 200)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Cases...)
		if p.Next == "" {
			return out, nil
		}
		before = p.Next
	}
}

// CasePage returns a page of at most limit (1 to 200, default 50) of the
// cases of the deposits actor may see, the most recently active first,
// after the cursor before (a previous page's Next; "" for the first); with
// q, only those one of whose deposits' references holds q once both are
// normalised. A search reads at most caseScanPages pages of cases per call:
// its page may hold fewer than limit cases while Next is set.
func (s *Service) CasePage(ctx context.Context, actor *navette.User, q, before string, limit int) (*CasePage, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if len(q) > MaxReferenceLen {
		return nil, navette.Errorf(navette.EINVALID, "The search text must be at most %d bytes.", MaxReferenceLen)
	}
	limit = pageLimit(limit)
	f, err := caseListFilter(actor, before, limit)
	if err != nil {
		return nil, err
	}
	page := &CasePage{Cases: []*Case{}}
	nq := navette.NormalizeReference(q)
	if s.cases() == nil || (strings.TrimSpace(q) != "" && nq == "") {
		return page, nil
	}
	if err := s.fillCasePage(ctx, actor, &f, nq, limit, page); err != nil {
		return nil, err
	}
	return page, nil
}

// fillCasePage adds to page the cases from f on that match nq, up to
// limit, reading at most caseScanPages pages of cases (scanCases); Next is
// set where it stopped unless it reached the last case.
func (s *Service) fillCasePage(ctx context.Context, actor *navette.User, f *navette.CaseListFilter, nq string, limit int, page *CasePage) error {
	for range caseScanPages {
		done, err := s.scanCases(ctx, actor, f, nq, limit, page)
		if err != nil || done {
			return err
		}
	}
	page.Next = formatCursor(f.Before, f.BeforeID)
	return nil
}

// scanCases reads the page of cases f asks for, adds to page those that
// match nq up to limit, and moves f past the cases it read. It reports
// whether page is complete: full (with Next set) or at the last case.
func (s *Service) scanCases(ctx context.Context, actor *navette.User, f *navette.CaseListFilter, nq string, limit int, page *CasePage) (bool, error) {
	refs, err := s.cases().CaseList(ctx, *f)
	if err != nil {
		return false, err
	}
	for _, r := range refs {
		if len(page.Cases) == limit {
			page.Next = formatCursor(f.Before, f.BeforeID)
			return true, nil
		}
		c, err := s.caseSummary(ctx, actor, r.ID)
		if err != nil {
			return false, err
		}
		if c != nil && caseMatches(c, nq) {
			page.Cases = append(page.Cases, c)
		}
		f.Before, f.BeforeID = r.LastAt, r.ID
	}
	return len(refs) < f.Limit, nil
}

// caseListFilter returns the filter of CaseList for a page of limit cases
// of actor after the cursor before, reading one more to know if there is a
// next page.
func caseListFilter(actor *navette.User, before string, limit int) (navette.CaseListFilter, error) {
	f := navette.CaseListFilter{UserID: actor.ID, Limit: limit + 1}
	var err error
	f.Before, f.BeforeID, err = pageCursor(before)
	return f, err
}

// caseSummary returns case id as actor sees it in a list, without files;
// nil if actor may see none of its deposits.
func (s *Service) caseSummary(ctx context.Context, actor *navette.User, id string) (*Case, error) {
	recs, err := s.cases().CaseDeposits(ctx, navette.CaseFilter{UserID: actor.ID, CaseID: id, Limit: MaxCaseDeposits})
	if err != nil {
		return nil, err
	}
	cases, err := s.caseViews(ctx, actor, recs, false)
	if err != nil || len(cases) == 0 {
		return nil, err
	}
	return cases[0], nil
}

// caseMatches reports whether a reference of c's deposits holds nq, both
// normalised; every case matches an empty nq.
func caseMatches(c *Case, nq string) bool {
	return nq == "" || slices.ContainsFunc(c.Deposits, func(v *View) bool {
		return strings.Contains(navette.NormalizeReference(v.Reference), nq)
	})
}

// Case returns the first page of case id as actor sees it (CaseAt, with
// the default size).
func (s *Service) Case(ctx context.Context, actor *navette.User, id string) (*Case, error) {
	return s.CaseAt(ctx, actor, id, "", 0)
}

// CaseAt returns a page of case id as actor sees it: at most limit (1 to
// 200, default 50) of the deposits of it actor may see, with their files,
// newest first, after the cursor before (a previous page's Next; "" for
// the first). Returns ENOTFOUND, the same way and at the same cost, for a
// case that does not exist and for one of which actor may see nothing
// (CaseStore.CaseDeposits decides whether actor is a party of it before
// reading any of its deposits); EINVALID for a cursor that is not one.
func (s *Service) CaseAt(ctx context.Context, actor *navette.User, id, before string, limit int) (*Case, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	limit = pageLimit(limit)
	f := navette.CaseFilter{UserID: actor.ID, CaseID: id, Limit: limit + 1}
	var err error
	if f.After, f.AfterID, err = pageCursor(before); err != nil {
		return nil, err
	}
	recs, err := s.caseDeposits(ctx, f)
	if err != nil {
		return nil, err
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		last := recs[limit-1].Deposit
		next = formatCursor(last.CreatedAt, last.ID)
	}
	cases, err := s.caseViews(ctx, actor, recs, true)
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		s.deny(ctx, actor, "", "case_not_found")
		return nil, navette.Errorf(navette.ENOTFOUND, "No such case.")
	}
	cases[0].Next = next
	return cases[0], nil
}

// caseDeposits returns the deposits of the case f names that f asks for;
// none without cases or for a case id that is not one.
func (s *Service) caseDeposits(ctx context.Context, f navette.CaseFilter) ([]navette.CaseDeposit, error) {
	cs := s.cases()
	if cs == nil || !navette.ValidID(f.CaseID) {
		return nil, nil
	}
	return cs.CaseDeposits(ctx, f)
}

// caseDepositView returns the view of cd as seen at now from its sending
// side (sent) or by a recipient, with its files if withFiles: a recipient
// sees neither the files nor the message of a deposit that ended.
func (s *Service) caseDepositView(ctx context.Context, cd navette.CaseDeposit, sent, withFiles bool, now time.Time) (*View, error) {
	d := cd.Deposit
	var files []*navette.FileRecord
	if withFiles {
		var err error
		if files, err = s.Meta.Files(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	if d.State == navette.DepositAvailable && Expired(d, now) {
		d.State = navette.DepositExpired
	}
	v, err := s.view(ctx, d, files)
	if err != nil {
		return nil, err
	}
	v.CaseID = cd.CaseID
	v.Sending = sent
	if !sent && Expired(d, now) {
		v.Message, v.Files = "", nil
	}
	return v, nil
}

// caseViews groups recs, newest first, into cases, keeping of each
// deposit what actor may see: a recipient never sees a deposit before it
// is available, nor the files and message of one that ended.
func (s *Service) caseViews(ctx context.Context, actor *navette.User, recs []navette.CaseDeposit, withFiles bool) ([]*Case, error) {
	now := s.Clock.Now()
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Case{}
	var out []*Case
	for _, cd := range recs {
		d := cd.Deposit
		sent := onSendingSide(d, actor, svcs)
		if !sent && (d.State == navette.DepositDraft || d.State == navette.DepositChecking) {
			continue
		}
		v, err := s.caseDepositView(ctx, cd, sent, withFiles, now)
		if err != nil {
			return nil, err
		}
		c := byID[cd.CaseID]
		if c == nil {
			c = &Case{ID: cd.CaseID, Reference: v.Reference, LastAt: d.CreatedAt}
			byID[cd.CaseID] = c
			out = append(out, c)
		}
		c.add(v, sent)
	}
	return out, nil
}

// add adds v to the deposits of c, counted as sent from its sending side
// (sent) or received.
func (c *Case) add(v *View, sent bool) {
	c.Deposits = append(c.Deposits, v)
	if sent {
		c.Sent++
	} else {
		c.Received++
	}
}
