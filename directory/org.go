package directory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"navette"
)

// OrgReport is what ApplySnapshot did, or would do on a dry run. Report
// covers the agents and the service mailboxes, which are users; a service
// whose members change is listed in Report.Updated with the field
// "members" (moved out of Unchanged if nothing else changed). The courts
// made and the memberships added and removed are listed apart.
type OrgReport struct {
	*Report
	// CourtsAdded are the courts the snapshot lists that did not exist.
	CourtsAdded []CourtEntry
	// UnknownCourts are the court codes of agents or services that name
	// no court of the snapshot or of the store; those agents and services
	// were synced without a court.
	UnknownCourts []string
	// MembersAdded and MembersRemoved are the memberships of the source
	// made and ended, by service then member.
	MembersAdded   []MemberChange
	MembersRemoved []MemberChange
}

// MemberChange is one membership a sync makes or ends.
type MemberChange struct {
	Service   string // the service's code (its external id)
	Member    string // the member's external id
	ServiceID string // empty on a dry run for a service not yet made
	UserID    string // empty on a dry run for an agent not yet made
}

// ApplySnapshot applies a complete listing of the ministry directory for
// source ("ldap"): it makes the courts that do not exist (courts are never
// renamed or removed); then, in one call to Apply, syncs the agents and the
// service mailboxes (users with RoleService, the service's code as
// external id), so that both are created, updated, revoked and restored by
// the same rules; then makes the members of each service the snapshot's
// active agents listed for it, with member.added and member.removed
// events. Only memberships of source are touched: those a court admin set
// by hand stay. The services of source the snapshot no longer lists lose
// their memberships of source, as do revoked agents.
//
// The courts, the users and each service's members are written in separate
// transactions; a sync that stops halfway is completed by the next one,
// since the same snapshot applied twice changes nothing. On a dry run
// nothing is written and the report says what would change.
//
// Agents and services whose court code names no court of the snapshot or
// of the store are synced without a court (see OrgReport.UnknownCourts),
// rather than holding up the whole directory. On a dry run, those of a
// court the sync would make are reported without their court, which does
// not exist yet.
//
// Returns EINVALID if the snapshot is missing or a service's code is also
// an agent's id or another service's, and the errors of Apply: EINVALID
// for invalid entries or an unknown court, and EINVALID with the report
// (courts made, users that would be revoked) when the sync would revoke
// more than opt.MaxRevokeShare without opt.Force.
func (s *Sync) ApplySnapshot(ctx context.Context, source string, snap *Snapshot, opt Options) (*OrgReport, error) {
	if snap == nil {
		return nil, navette.Errorf(navette.EINVALID, "No directory listing to apply.")
	}
	entries, err := snapshotEntries(source, snap)
	if err != nil {
		return nil, err
	}
	rep := &OrgReport{}
	courtsBefore, err := s.orgCourts(ctx, snap, entries, rep)
	if err != nil {
		return nil, err
	}
	if len(rep.CourtsAdded) > 0 {
		err = s.applyWithCourts(ctx, source, entries, courtsBefore, opt, rep)
	} else {
		rep.Report, err = s.Apply(ctx, source, entries, opt)
	}
	if err != nil {
		if rep.Report == nil {
			return nil, err
		}
		return rep, err
	}
	if err := s.orgMembers(ctx, source, snap, opt, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// snapshotEntries returns the entries of the people and services of snap.
// Returns EINVALID if a service's code is also an agent's id or another
// service's.
func snapshotEntries(source string, snap *Snapshot) ([]Entry, error) {
	entries := make([]Entry, 0, len(snap.People)+len(snap.Services))
	ids := make(map[string]bool, len(snap.People)+len(snap.Services))
	for _, p := range snap.People {
		ids[p.ExternalID] = true
		entries = append(entries, p)
	}
	for _, svc := range snap.Services {
		if ids[svc.Code] {
			return nil, navette.Errorf(navette.EINVALID, "Directory %s: the service code %q is also the id of an agent or another service.", source, svc.Code)
		}
		ids[svc.Code] = true
		entries = append(entries, Entry{
			ExternalID: svc.Code,
			Email:      navette.NormalizeEmail(svc.Email),
			Name:       svc.Name,
			Status:     "active",
			Active:     true,
			Role:       navette.RoleService,
			CourtCode:  svc.CourtCode,
		})
	}
	return entries, nil
}

// orgCourts lists in rep the courts of snap to make and the courts entries
// name that neither the store nor snap knows, whose code it removes from
// entries, and returns the codes of the courts stored, "" included.
func (s *Sync) orgCourts(ctx context.Context, snap *Snapshot, entries []Entry, rep *OrgReport) (map[string]bool, error) {
	courts, err := s.Meta.Courts(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(courts))
	courtsBefore := make(map[string]bool, len(courts)+1)
	courtsBefore[""] = true
	for _, c := range courts {
		known[c.Code] = true
		courtsBefore[c.Code] = true
	}
	for _, c := range snap.Courts {
		if c.Code != "" && !known[c.Code] {
			known[c.Code] = true
			rep.CourtsAdded = append(rep.CourtsAdded, c)
		}
	}
	dropUnknownCourts(entries, known, rep)
	return courtsBefore, nil
}

// dropUnknownCourts removes from entries the court codes not known, and
// lists them in rep, sorted, each once.
func dropUnknownCourts(entries []Entry, known map[string]bool, rep *OrgReport) {
	for i := range entries {
		if code := entries[i].CourtCode; code != "" && !known[code] {
			if !slices.Contains(rep.UnknownCourts, code) {
				rep.UnknownCourts = append(rep.UnknownCourts, code)
			}
			entries[i].CourtCode = ""
		}
	}
	slices.Sort(rep.UnknownCourts)
}

// applyWithCourts applies entries, some of which name courts to make
// (rep.CourtsAdded). Apply does not know the courts to make: the listing
// is checked without them first, so that a refused listing makes nothing.
// On a dry run that check is the report.
func (s *Sync) applyWithCourts(ctx context.Context, source string, entries []Entry, courtsBefore map[string]bool, opt Options, rep *OrgReport) error {
	check := make([]Entry, len(entries))
	copy(check, entries)
	for i := range check {
		if !courtsBefore[check[i].CourtCode] {
			check[i].CourtCode = ""
		}
	}
	dry := opt
	dry.DryRun = true
	var err error
	if rep.Report, err = s.Apply(ctx, source, check, dry); err != nil || opt.DryRun {
		return err
	}
	now := s.orgNow()
	for _, c := range rep.CourtsAdded {
		court := &navette.Court{ID: navette.NewID(), Code: c.Code, Name: c.Name, Source: source, CreatedAt: now}
		if err := s.Meta.CreateCourt(ctx, court, navette.Event{Time: now, Type: navette.EventCourtCreated, Detail: c.Code}); err != nil {
			rep.Report = nil // no report with a failure to write
			return err
		}
	}
	rep.Report, err = s.Apply(ctx, source, entries, opt)
	return err
}

// orgNow returns the time of the sync.
func (s *Sync) orgNow() time.Time {
	if s.Clock == nil {
		return navette.SystemClock{}.Now()
	}
	return s.Clock.Now()
}

// orgMembers brings the memberships of source in line with snap, and
// records the changes in rep.
func (s *Sync) orgMembers(ctx context.Context, source string, snap *Snapshot, opt Options, rep *OrgReport) error {
	users, err := s.Meta.UsersBySource(ctx, source)
	if err != nil {
		return err
	}
	ms := &memberSync{s: s, source: source, opt: opt, rep: rep, now: s.orgNow(), changed: map[string]bool{},
		byExt: make(map[string]*navette.User, len(users)), byID: make(map[string]*navette.User, len(users))}
	for _, u := range users {
		ms.byExt[u.ExternalID] = u
		ms.byID[u.ID] = u
	}
	listed, err := ms.applyListed(ctx, snap)
	if err != nil {
		return err
	}
	if err := ms.applyUnlisted(ctx, users, listed); err != nil {
		return err
	}
	slices.SortFunc(rep.MembersAdded, byMember)
	slices.SortFunc(rep.MembersRemoved, byMember)
	ms.reportServices(snap)
	return nil
}

// applyListed gives each service of snap its active members, and returns
// the codes of the services listed.
func (m *memberSync) applyListed(ctx context.Context, snap *Snapshot) (listed map[string]bool, err error) {
	active := make(map[string]bool, len(snap.People))
	for _, p := range snap.People {
		if p.Active {
			active[p.ExternalID] = true
		}
	}
	listed = make(map[string]bool, len(snap.Services))
	for _, svc := range snap.Services {
		listed[svc.Code] = true
		u := m.byExt[svc.Code]
		if u != nil && u.Role != navette.RoleService {
			u = nil
		}
		if err := m.apply(ctx, svc.Code, u, activeMembers(svc.Members, active)); err != nil {
			return nil, err
		}
	}
	return listed, nil
}

// applyUnlisted ends the memberships of source of the services among users
// that are not listed, in the order of their codes.
func (m *memberSync) applyUnlisted(ctx context.Context, users []*navette.User, listed map[string]bool) error {
	slices.SortFunc(users, func(a, b *navette.User) int { return strings.Compare(a.ExternalID, b.ExternalID) })
	for _, u := range users {
		if u.Role == navette.RoleService && !listed[u.ExternalID] {
			if err := m.apply(ctx, u.ExternalID, u, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// activeMembers returns the members of a service who are active, sorted,
// each once.
func activeMembers(members []string, active map[string]bool) []string {
	var want []string
	for _, m := range members {
		if active[m] && !slices.Contains(want, m) {
			want = append(want, m)
		}
	}
	slices.Sort(want)
	return want
}

// byMember orders member changes by service, then member.
func byMember(a, b MemberChange) int {
	return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Member, b.Member))
}

// memberSync is the state of orgMembers: the users of the source and the
// services whose members change.
type memberSync struct {
	s       *Sync
	source  string
	opt     Options
	rep     *OrgReport
	now     time.Time
	byExt   map[string]*navette.User // the source's users by external id
	byID    map[string]*navette.User // and by id
	changed map[string]bool          // codes of services whose members change
}

// apply makes want (external ids) the members from the source of the
// service code, svc (nil if the sync has yet to make it), and records the
// changes.
func (m *memberSync) apply(ctx context.Context, code string, svc *navette.User, want []string) error {
	var cur, hand map[string]bool
	serviceID := ""
	if svc != nil {
		var err error
		if cur, hand, err = m.members(ctx, svc.ID); err != nil {
			return err
		}
		serviceID = svc.ID
	}
	userIDs, keep, events := m.added(code, serviceID, want, cur, hand)
	events = append(events, m.removed(code, serviceID, cur, keep)...)
	if len(events) == 0 {
		return nil
	}
	m.changed[code] = true
	if m.opt.DryRun || svc == nil {
		return nil
	}
	return m.s.Meta.SetMembers(ctx, svc.ID, m.source, userIDs, m.now, events...)
}

// members returns the ids of the members of service serviceID from the
// source (cur) and from elsewhere (hand: made by hand).
func (m *memberSync) members(ctx context.Context, serviceID string) (cur, hand map[string]bool, err error) {
	ms, err := m.s.Meta.Members(ctx, serviceID)
	if err != nil {
		return nil, nil, err
	}
	cur, hand = map[string]bool{}, map[string]bool{}
	for _, x := range ms {
		if x.Source == m.source {
			cur[x.UserID] = true
		} else {
			hand[x.UserID] = true
		}
	}
	return cur, hand, nil
}

// added returns the ids of the users of want who are to be members from the
// source (keep, as a set), and the events of those who are not yet.
func (m *memberSync) added(code, serviceID string, want []string, cur, hand map[string]bool) (userIDs []string, keep map[string]bool, events []navette.Event) {
	keep = map[string]bool{}
	for _, ext := range want {
		u := m.byExt[ext]
		switch {
		case u == nil && m.opt.DryRun: // made by the sync
			m.rep.MembersAdded = append(m.rep.MembersAdded, MemberChange{Service: code, Member: ext, ServiceID: serviceID})
			m.changed[code] = true
			continue
		case u == nil, u.Role == navette.RoleService, hand[u.ID], keep[u.ID]:
			continue
		case u.Disabled && !m.opt.DryRun:
			continue
		}
		keep[u.ID] = true
		userIDs = append(userIDs, u.ID)
		if !cur[u.ID] {
			m.rep.MembersAdded = append(m.rep.MembersAdded, MemberChange{Service: code, Member: ext, ServiceID: serviceID, UserID: u.ID})
			events = append(events, navette.Event{Time: m.now, Type: navette.EventMemberAdded, Detail: serviceID + " " + u.ID})
		}
	}
	return userIDs, keep, events
}

// removed returns the events of the members of cur not kept, and records
// them.
func (m *memberSync) removed(code, serviceID string, cur, keep map[string]bool) []navette.Event {
	var gone []string
	for id := range cur {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	var events []navette.Event
	for _, id := range gone {
		ext := id
		if u := m.byID[id]; u != nil {
			ext = u.ExternalID
		}
		m.rep.MembersRemoved = append(m.rep.MembersRemoved, MemberChange{Service: code, Member: ext, ServiceID: serviceID, UserID: id})
		events = append(events, navette.Event{Time: m.now, Type: navette.EventMemberRemoved, Detail: serviceID + " " + id})
	}
	return events
}

// reportServices lists "members" among the changed fields of each service
// whose members change: in its change if it has one, else in a new one.
func (m *memberSync) reportServices(snap *Snapshot) {
	rep := m.rep
	for i := range rep.Updated {
		if c := &rep.Updated[i]; m.changed[c.ExternalID] {
			c.Fields = append(c.Fields, "members")
			delete(m.changed, c.ExternalID)
		}
	}
	for _, cs := range [][]Change{rep.Added, rep.Revoked, rep.Restored} {
		for _, c := range cs {
			delete(m.changed, c.ExternalID)
		}
	}
	for _, svc := range snap.Services {
		if m.changed[svc.Code] {
			rep.Updated = append(rep.Updated, Change{ExternalID: svc.Code, Email: navette.NormalizeEmail(svc.Email), Name: svc.Name, Fields: []string{"members"}})
			if rep.Unchanged > 0 {
				rep.Unchanged--
			}
		}
	}
	slices.SortStableFunc(rep.Updated, compareChanges)
}
