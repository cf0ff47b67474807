package directory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"navette"
	"navette/account"
	"navette/notify"
)

// ReasonAbsent is the revocation reason, and the directory status kept, of
// a person the listing no longer holds.
const ReasonAbsent = "absent"

// Apply makes the users of source match entries, the complete listing of
// that directory, and reports what changed:
//
//   - a listed active person who is not a user is created (a listed
//     inactive one is left out and counted as unchanged);
//   - a user whose e-mail, name, organisation, kind, status or court
//     changed is updated;
//   - an enabled user who is absent or listed inactive is revoked: disabled,
//     their sessions ended, and told by e-mail (service mailboxes, which
//     cannot sign in, are not told);
//   - a user revoked by this directory who is listed active again is
//     restored. A user disabled otherwise (by an admin, while the directory
//     still listed them as active) stays disabled: the directory only gives
//     back what it took.
//
// A user's role is set when it is created and never changed by a sync, so
// that an agent made court admin by hand stays one.
//
// The whole difference is written in one transaction with its journal
// events, or nothing is: Apply refuses (EINVALID) a listing with invalid or
// duplicate entries, an e-mail that another user holds, or an unknown
// court, listing the problems with their lines (a *ParseError), and a
// listing that would revoke more than opt.MaxRevokeShare of the source's
// enabled users unless opt.Force; in that last case the report is returned
// with the error, to show who would be revoked. A listing that changes
// nothing writes nothing, not even a journal event. With opt.DryRun the
// report says what would change and nothing is written. The report's
// changes are ordered by line, then by external id.
func (s *Sync) Apply(ctx context.Context, source string, entries []Entry, opt Options) (*Report, error) {
	if source == "" {
		return nil, navette.Errorf(navette.EINVALID, "A directory sync needs the name of its source.")
	}
	now := s.orgNow()

	var probs problems
	listed := checkEntries(entries, &probs)
	if err := probs.error(); err != nil {
		return nil, err
	}
	users, err := s.Meta.UsersBySource(ctx, source)
	if err != nil {
		return nil, err
	}
	d := diff{
		sync:    s,
		ctx:     ctx,
		source:  source,
		now:     now,
		probs:   &probs,
		entries: entries,
		listed:  listed,
		byExt:   make(map[string]*navette.User, len(users)),
		byEmail: make(map[string]*navette.User, len(users)),
		active:  map[string]bool{},
		rep:     &Report{Source: source},
	}
	enabled := d.index(users)
	if err := d.work(users); err != nil {
		return nil, err
	}
	rep := d.rep
	if err := revokeGuard(rep, opt, enabled, source); err != nil {
		return rep, err
	}
	if opt.DryRun || len(d.create)+len(d.update) == 0 {
		rep.Applied = !opt.DryRun
		return rep, nil
	}
	if err := s.save(ctx, &d); err != nil {
		return nil, err
	}
	rep.Applied = true
	return rep, nil
}

// work works out the difference with the source's users and orders the
// report's changes; a listing with problems is an error listing them by
// line.
func (d *diff) work(users []*navette.User) error {
	if err := d.run(users); err != nil {
		return err
	}
	d.orderUpdates()
	if err := d.lookUpEmails(); err != nil {
		return err
	}
	slices.SortStableFunc(d.probs.err.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if err := d.probs.error(); err != nil {
		return err
	}
	for _, list := range [][]Change{d.rep.Added, d.rep.Updated, d.rep.Revoked, d.rep.Restored} {
		slices.SortStableFunc(list, compareChanges)
	}
	return nil
}

// index indexes the source's users and the statuses of the listing's
// active entries, and returns how many of the users are enabled.
func (d *diff) index(users []*navette.User) (enabled int) {
	for _, u := range users {
		d.byExt[u.ExternalID] = u
		d.byEmail[u.Email] = u
		if !u.Disabled {
			enabled++
		}
	}
	for i := range d.entries {
		if d.entries[i].Active {
			d.active[d.entries[i].Status] = true
		}
	}
	return enabled
}

// revokeGuard refuses (EINVALID) a report that revokes more than
// opt.MaxRevokeShare of the enabled users of source, unless opt.Force; the
// refusal names opt.ForceHint.
func revokeGuard(rep *Report, opt Options, enabled int, source string) error {
	share := opt.MaxRevokeShare
	if share <= 0 {
		share = DefaultMaxRevokeShare
	}
	force := cmp.Or(opt.ForceHint, "--force")
	if n := len(rep.Revoked); n > 0 && !opt.Force && float64(n) > share*float64(enabled) {
		return navette.Errorf(navette.EINVALID,
			"This listing would revoke %d of the %d enabled users of %q (%.3g %%), more than the %.3g %% allowed at once; check that the listing is complete, or apply it with %s.",
			n, enabled, source, 100*float64(n)/float64(enabled), 100*share, force)
	}
	return nil
}

// save writes the users d creates and updates, with their events, in one
// transaction, and wakes the mail delivery if notices were queued.
func (s *Sync) save(ctx context.Context, d *diff) error {
	events, notices, err := d.events()
	if err != nil {
		return err
	}
	if err := s.Meta.SaveUsers(ctx, d.create, d.update, events...); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) {
			return navette.WrapError(navette.EINVALID, err, "The listing conflicts with other users and nothing was applied: %s", navette.ErrorMessage(err))
		}
		return err
	}
	if notices > 0 && s.NoticesQueued != nil {
		s.NoticesQueued()
	}
	return nil
}

// checkEntries checks a listing that may not come from Parse (an LDAP
// directory) and returns the index of each external id.
func checkEntries(entries []Entry, probs *problems) map[string]int {
	listed := make(map[string]int, len(entries))
	emails := make(map[string]int, len(entries))
	for i := range entries {
		e := &entries[i]
		if !checkEntry(e, probs) {
			continue
		}
		if j, dup := listed[e.ExternalID]; dup {
			probs.add(e.Line, "the external id %s is listed twice (%s)", e.ExternalID, lineOf(&entries[j]))
		} else {
			listed[e.ExternalID] = i
		}
		if j, dup := emails[e.Email]; dup {
			probs.add(e.Line, "the e-mail %s is listed twice (%s)", e.Email, lineOf(&entries[j]))
		} else {
			emails[e.Email] = i
		}
	}
	return listed
}

// checkEntry adds the first problem of e's fields to probs, if any, and
// reports whether e has an external id, so that duplicates can be looked
// for.
func checkEntry(e *Entry, probs *problems) bool {
	switch {
	case !validExternalID(e.ExternalID):
		if e.Line > 0 {
			probs.add(e.Line, "an external id of 1 to %d printable characters is required", MaxExternalIDLen)
		} else {
			probs.add(0, "the person with e-mail %q needs an external id of 1 to %d printable characters", e.Email, MaxExternalIDLen)
		}
		return false
	case e.Name == "" || len(e.Name) > 2*MaxNamePartLen+1 || hasBadRune(e.Name, e.Org, e.Status, e.Kind, e.CourtCode):
		probs.add(e.Line, "%sthe name is empty or too long, or a field holds a control character", who(e))
	case !validFields(e):
		probs.add(e.Line, "%sthe organisation, status, kind or court is too long or reserved", who(e))
	case !directoryRole(e.Role):
		probs.add(e.Line, "%sa directory lists partners, agents, court admins or service mailboxes, not %q", who(e), e.Role)
	case e.Email != navette.NormalizeEmail(e.Email) || account.ValidateEmail(e.Email) != nil:
		probs.add(e.Line, "%s%q is not a valid, normalized e-mail address", who(e), e.Email)
	}
	return true
}

// validExternalID reports whether id is an external id of 1 to
// MaxExternalIDLen printable characters.
func validExternalID(id string) bool {
	return id != "" && len(id) <= MaxExternalIDLen && !strings.ContainsFunc(id, badRune)
}

// validFields reports whether e's organisation, status, kind and court fit
// and its status is not reserved.
func validFields(e *Entry) bool {
	return len(e.Org) <= MaxOrgLen && len(e.Status) <= MaxStatusLen && e.Status != ReasonAbsent && len(e.Kind) <= 64 && len(e.CourtCode) <= 64
}

// directoryRole reports whether a directory may give role r: none (the
// source's default), partner, agent, court admin or service mailbox.
func directoryRole(r navette.Role) bool {
	switch r {
	case "", navette.RolePartner, navette.RoleAgent, navette.RoleCourtAdmin, navette.RoleService:
		return true
	}
	return false
}

func hasBadRune(fields ...string) bool {
	for _, f := range fields {
		if strings.ContainsFunc(f, badRune) {
			return true
		}
	}
	return false
}

// lineOf says where else e is listed, for a problem about a duplicate.
func lineOf(e *Entry) Text {
	if e.Line > 0 {
		return Text{"also on line %d", []any{e.Line}}
	}
	return Text{"also for external id %s", []any{e.ExternalID}}
}

// diff works out a sync.
type diff struct {
	sync    *Sync
	ctx     context.Context
	source  string
	now     time.Time
	probs   *problems
	entries []Entry
	listed  map[string]int           // index in entries of each external id
	byExt   map[string]*navette.User // users of the source by external id
	byEmail map[string]*navette.User // users of the source by e-mail
	active  map[string]bool          // the statuses of active entries
	courts  map[string]string        // court ids by code, loaded on first need

	rep    *Report
	create []*navette.User
	update []*navette.User
	kinds  []changeKind // what each user of update is
	// lookups are the entries whose e-mail is new to the directory, to be
	// looked up among other users.
	lookups []*Entry
}

type changeKind struct {
	kind   navette.EventType
	detail string
}

// run works out the change for each listed person, then for each of users
// the listing no longer holds.
func (d *diff) run(users []*navette.User) error {
	for i := range d.entries {
		if d.probs.full() {
			d.probs.err.Truncated = true
			return nil
		}
		e := &d.entries[i]
		if err := d.entry(e, d.byExt[e.ExternalID]); err != nil {
			return err
		}
	}
	d.absent(users)
	return nil
}

// absent revokes the enabled users the listing no longer holds, and marks
// absent those the directory had already revoked.
func (d *diff) absent(users []*navette.User) {
	for _, u := range users {
		if _, ok := d.listed[u.ExternalID]; ok {
			continue
		}
		switch {
		case !u.Disabled:
			d.revoke(u, 0, ReasonAbsent)
		case d.revokedByDirectory(u) && u.DirectoryStatus != ReasonAbsent:
			v := *u
			v.DirectoryStatus = ReasonAbsent
			d.updated(u, &v, 0, []string{"status"})
		}
	}
}

// revokedByDirectory reports whether u was disabled by a sync of this
// directory, rather than by an admin: its directory status is not one of
// the statuses this listing treats as active.
func (d *diff) revokedByDirectory(u *navette.User) bool {
	return u.Disabled && (u.DirectoryStatus == ReasonAbsent || !d.active[u.DirectoryStatus])
}

// entry works out the change for one listed person and the user u they are
// (nil if none).
func (d *diff) entry(e *Entry, u *navette.User) error {
	if u == nil && !e.Active {
		d.rep.Ignored++
		return nil
	}
	var courtID string
	if e.Active {
		var err error
		if courtID, err = d.court(e); err != nil {
			return err
		}
	}
	switch {
	case u == nil:
		d.addUser(e, courtID)
	case !e.Active:
		d.inactive(e, u)
	default:
		d.refresh(e, u, courtID)
	}
	return nil
}

// addUser creates the user of entry e, active, of the court courtID.
func (d *diff) addUser(e *Entry, courtID string) {
	d.checkEmail(e, nil)
	role := e.Role
	if role == "" {
		role = navette.RolePartner
	}
	nu := &navette.User{
		ID: navette.NewID(), Email: e.Email, Name: e.Name, Role: role,
		Source: d.source, ExternalID: e.ExternalID, Kind: e.Kind, Org: e.Org,
		CourtID: courtID, DirectoryStatus: e.Status, CreatedAt: d.now,
	}
	d.create = append(d.create, nu)
	d.rep.Added = append(d.rep.Added, Change{Line: e.Line, ExternalID: e.ExternalID, Email: e.Email, Name: e.Name})
}

// inactive revokes u, whose entry e is not active, or records the status
// of a user the directory revoked.
func (d *diff) inactive(e *Entry, u *navette.User) {
	switch {
	case !u.Disabled:
		reason := e.Status
		if reason == "" {
			reason = "inactive"
		}
		d.revoke(u, e.Line, reason)
	case d.revokedByDirectory(u) && u.DirectoryStatus != e.Status:
		v := *u
		v.DirectoryStatus = e.Status
		d.updated(u, &v, e.Line, []string{"status"})
	default:
		d.rep.Unchanged++
	}
}

// refresh updates u from its active entry e, of the court courtID, and
// restores u if the directory revoked it.
func (d *diff) refresh(e *Entry, u *navette.User, courtID string) {
	v := *u
	var fields []string
	set := func(name string, field *string, value string) {
		if *field != value {
			*field = value
			fields = append(fields, name)
		}
	}
	set("email", &v.Email, e.Email)
	set("name", &v.Name, e.Name)
	set("org", &v.Org, e.Org)
	set("kind", &v.Kind, e.Kind)
	set("court", &v.CourtID, courtID)
	if v.Email != u.Email {
		d.checkEmail(e, u)
	}
	if u.Disabled && d.revokedByDirectory(u) {
		v.DirectoryStatus = e.Status
		v.Disabled = false
		v.RevokedAt = time.Time{}
		v.UpdatedAt = d.now
		d.update = append(d.update, &v)
		d.kinds = append(d.kinds, changeKind{navette.EventUserRestored, strings.Join(fields, ",")})
		d.rep.Restored = append(d.rep.Restored, Change{Line: e.Line, ExternalID: e.ExternalID, Email: e.Email, Name: e.Name, Fields: fields})
		return
	}
	set("status", &v.DirectoryStatus, e.Status)
	if len(fields) == 0 {
		d.rep.Unchanged++
		return
	}
	d.updated(u, &v, e.Line, fields)
}

// updated records that u becomes v, its fields changed.
func (d *diff) updated(u, v *navette.User, line int, fields []string) {
	v.UpdatedAt = d.now
	d.update = append(d.update, v)
	d.kinds = append(d.kinds, changeKind{navette.EventUserUpdated, strings.Join(fields, ",")})
	d.rep.Updated = append(d.rep.Updated, Change{Line: line, ExternalID: u.ExternalID, Email: v.Email, Name: v.Name, Fields: fields})
}

// revoke records that u loses access for reason.
func (d *diff) revoke(u *navette.User, line int, reason string) {
	v := *u
	v.Disabled = true
	v.RevokedAt = d.now
	v.DirectoryStatus = reason
	v.UpdatedAt = d.now
	d.update = append(d.update, &v)
	d.kinds = append(d.kinds, changeKind{navette.EventUserRevoked, reason})
	d.rep.Revoked = append(d.rep.Revoked, Change{Line: line, ExternalID: u.ExternalID, Email: u.Email, Name: u.Name, Reason: reason})
}

// orderUpdates orders the updates so that a user who gives up an e-mail
// is written before the one who takes it; e-mails exchanged in a cycle
// cannot be written in one transaction and are a problem.
func (d *diff) orderUpdates() {
	byOldEmail := d.emailsGivenUp()
	if len(byOldEmail) == 0 {
		return
	}
	state := make([]visit, len(d.update))
	order := make([]int, 0, len(d.update))
	for i := range d.update {
		chain, j := d.followEmails(i, byOldEmail, state)
		if state[j] == inChain && len(chain) > 0 && j != chain[len(chain)-1] {
			d.emailCycle(chain[slices.Index(chain, j):])
		}
		for k := len(chain) - 1; k >= 0; k-- {
			state[chain[k]] = visited
			order = append(order, chain[k])
		}
	}
	update := make([]*navette.User, len(order))
	kinds := make([]changeKind, len(order))
	for i, k := range order {
		update[i], kinds[i] = d.update[k], d.kinds[k]
	}
	d.update, d.kinds = update, kinds
}

// visit is where orderUpdates is with one update.
type visit int

const (
	notVisited visit = iota
	inChain
	visited
)

// emailsGivenUp returns the index in d.update of each user who changes
// e-mail, by the e-mail given up.
func (d *diff) emailsGivenUp() map[string]int {
	byOldEmail := make(map[string]int)
	for i, v := range d.update {
		if u := d.byExt[v.ExternalID]; u.Email != v.Email {
			byOldEmail[u.Email] = i
		}
	}
	return byOldEmail
}

// followEmails follows, from update i, the chain of updates not yet visited, each
// taking an e-mail the next gives up, marking them inChain; it returns
// the chain and the update where it stopped.
func (d *diff) followEmails(i int, byOldEmail map[string]int, state []visit) (chain []int, j int) {
	j = i
	for state[j] == notVisited {
		state[j] = inChain
		chain = append(chain, j)
		k, ok := byOldEmail[d.update[j].Email]
		if !ok || k == j {
			break
		}
		j = k
	}
	return chain, j
}

// emailCycle records the problem of the updates of cycle, which exchange
// their e-mails.
func (d *diff) emailCycle(cycle []int) {
	var who []string
	for _, k := range cycle {
		who = append(who, d.update[k].ExternalID)
	}
	d.probs.add(d.lineOf(d.update[cycle[0]]), "the e-mails of the people with external ids %s are exchanged, which cannot be applied at once; change one of them by hand first", strings.Join(who, ", "))
}

// lineOf returns the line of u's entry, or 0.
func (d *diff) lineOf(u *navette.User) int {
	if i, ok := d.listed[u.ExternalID]; ok {
		return d.entries[i].Line
	}
	return 0
}

// court returns the id of e's court, or "" if e has none; an unknown court
// is a problem.
func (d *diff) court(e *Entry) (string, error) {
	if e.CourtCode == "" {
		return "", nil
	}
	if d.courts == nil {
		courts, err := d.sync.Meta.Courts(d.ctx)
		if err != nil {
			return "", err
		}
		d.courts = make(map[string]string, len(courts))
		for _, c := range courts {
			d.courts[c.Code] = c.ID
		}
	}
	id, ok := d.courts[e.CourtCode]
	if !ok {
		d.probs.add(e.Line, "%sthe court %s is unknown", who(e), e.CourtCode)
	}
	return id, nil
}

// who starts a problem about e that has no line, naming its person; it is
// the zero Text, "", when e has a line.
func who(e *Entry) Text {
	if e.Line > 0 {
		return Text{}
	}
	return Text{"the person with external id %q: ", []any{e.ExternalID}}
}

// checkEmail records a problem if e's e-mail, new to u (nil for a person
// to create), is that of another user of the directory who keeps it, and
// queues it for lookUpEmails if no user of the directory has it.
func (d *diff) checkEmail(e *Entry, u *navette.User) {
	owner := d.byEmail[e.Email]
	switch {
	case owner == nil:
		d.lookups = append(d.lookups, e)
	case owner == u:
	case d.movesAway(owner):
	default:
		d.probs.add(e.Line, "%sthe e-mail %s is already that of the user with external id %s in this directory, who keeps it", who(e), e.Email, owner.ExternalID)
	}
}

// movesAway reports whether the listing gives u, a user of the directory,
// another e-mail.
func (d *diff) movesAway(u *navette.User) bool {
	j, ok := d.listed[u.ExternalID]
	return ok && d.entries[j].Active && d.entries[j].Email != u.Email
}

// lookUpEmails records a problem for each e-mail of d.lookups, new to this
// directory, that a user of another source or made by hand holds. A first
// import looks up tens of thousands: they go to the store in one call.
func (d *diff) lookUpEmails() error {
	if len(d.lookups) == 0 {
		return nil
	}
	emails := make([]string, len(d.lookups))
	for i, e := range d.lookups {
		emails[i] = e.Email
	}
	owners, err := d.emailOwners(emails)
	if err != nil {
		return err
	}
	for i, e := range d.lookups {
		switch other := owners[i]; {
		case other == nil:
		case other.Source == "":
			d.probs.add(e.Line, "%sthe e-mail %s is already that of a user made by hand", who(e), e.Email)
		default:
			d.probs.add(e.Line, "%sthe e-mail %s is already that of a user of the directory %q", who(e), e.Email, other.Source)
		}
	}
	return nil
}

// emailOwners returns the user holding each of emails, nil for none.
func (d *diff) emailOwners(emails []string) ([]*navette.User, error) {
	users, err := d.sync.Meta.UsersByEmails(d.ctx, emails)
	if err != nil {
		return nil, err
	}
	byEmail := make(map[string]*navette.User, len(users))
	for _, u := range users {
		byEmail[u.Email] = u
	}
	owners := make([]*navette.User, len(emails))
	for i, e := range emails {
		owners[i] = byEmail[e]
	}
	return owners, nil
}

// accessNotices are the notices telling a person who can sign in that a
// sync revoked or restored their access, by the event that does it.
var accessNotices = map[navette.EventType]navette.NoticeKind{
	navette.EventUserRevoked:  navette.NoticeAccessRevoked,
	navette.EventUserRestored: navette.NoticeAccessRestored,
}

// events returns the journal events of the sync, with an access-revoked
// or access-restored notice for each revoked or restored user, and the
// number of notices.
func (d *diff) events() ([]navette.Event, int, error) {
	events := make([]navette.Event, 0, len(d.create)+len(d.update)+1)
	for _, u := range d.create {
		events = append(events, navette.Event{Time: d.now, Type: navette.EventUserCreated, Detail: u.ID + " " + string(u.Role)})
	}
	notices := 0
	for i, u := range d.update {
		k := d.kinds[i]
		ev := navette.Event{Time: d.now, Type: k.kind, Detail: strings.TrimSpace(u.ID + " " + k.detail)}
		if kind, ok := accessNotices[k.kind]; ok && u.Role.CanSignIn() {
			n, err := d.notice(kind, u)
			if err != nil {
				return nil, 0, err
			}
			ev.Notices = []navette.Notice{n}
			notices++
		}
		events = append(events, ev)
	}
	r := d.rep
	events = append(events, navette.Event{Time: d.now, Type: navette.EventDirectorySynced,
		Detail: fmt.Sprintf("%s added=%d updated=%d revoked=%d restored=%d", d.source, len(r.Added), len(r.Updated), len(r.Revoked), len(r.Restored))})
	return events, notices, nil
}

// notice returns the notice of kind telling u that the directory changed
// their access, listing, when it restores it, the deposits waiting for
// them (Sync.Waiting). Returns EINTERNAL if the sync has no key ring.
func (d *diff) notice(kind navette.NoticeKind, u *navette.User) (navette.Notice, error) {
	if d.sync.Keys == nil {
		return navette.Notice{}, navette.Errorf(navette.EINTERNAL, "The directory sync has no key ring to seal its notices.")
	}
	nd := &notify.Data{}
	if kind == navette.NoticeAccessRestored && d.sync.Waiting != nil {
		var err error
		if nd.Waiting, err = d.sync.Waiting(d.ctx, u.ID); err != nil {
			return navette.Notice{}, err
		}
	}
	return notify.NewNotice(d.sync.Keys, kind, u.ID, "", d.now, nd)
}

// compareChanges orders changes by line, people absent from the listing
// (line 0) last, then by external id.
func compareChanges(a, b Change) int {
	if (a.Line == 0) != (b.Line == 0) {
		if a.Line == 0 {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.ExternalID, b.ExternalID))
}
