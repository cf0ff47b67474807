package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
)

// newPerson returns a user with the given name and role, whose e-mail
// address is made from the name and made unique by a word that no search
// of the suite starts, not yet stored.
func (m *metaFixture) newPerson(name string, role navette.Role) *navette.User {
	created := m.now()
	local := strings.Join(navette.SearchWords(name), ".")
	return &navette.User{
		ID:        navette.NewID(),
		Email:     fmt.Sprintf("%s.xq%d@example.org", local, created.Sub(metaEpoch)/time.Second),
		Name:      name,
		Role:      role,
		CreatedAt: created,
	}
}

// person creates a user with the given name and role, changed by mods.
func (m *metaFixture) person(name string, role navette.Role, mods ...func(u *navette.User)) *navette.User {
	m.t.Helper()
	u := m.newPerson(name, role)
	for _, mod := range mods {
		mod(u)
	}
	if err := m.s.CreateUser(m.ctx, u); err != nil {
		m.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// inCourt sets a user's court.
func inCourt(courtID string) func(u *navette.User) {
	return func(u *navette.User) { u.CourtID = courtID }
}

// disabled disables a user.
func disabled(u *navette.User) { u.Disabled = true }

// getUser reads user id back.
func (m *metaFixture) getUser(id string) *navette.User {
	m.t.Helper()
	u, err := m.s.User(m.ctx, id)
	if err != nil {
		m.t.Fatalf("User(%s): %v", id, err)
	}
	return u
}

// newSession returns a full session of u, seen at its creation and
// expiring in 12 hours, not yet stored.
func (m *metaFixture) newSession(u *navette.User) *navette.Session {
	now := m.now()
	return &navette.Session{
		ID:        navette.NewID(),
		Hash:      metaRandom(32),
		UserID:    u.ID,
		Stage:     navette.StageFull,
		Method:    "oidc",
		CreatedAt: now,
		SeenAt:    now,
		ExpiresAt: now.Add(12 * time.Hour),
	}
}

// session creates a session of u.
func (m *metaFixture) session(u *navette.User) *navette.Session {
	m.t.Helper()
	s := m.newSession(u)
	if err := m.s.CreateSession(m.ctx, s); err != nil {
		m.t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// hasSession reports whether the session s is stored.
func (m *metaFixture) hasSession(s *navette.Session) bool {
	m.t.Helper()
	_, err := m.s.SessionByHash(m.ctx, s.Hash)
	switch navette.ErrorCode(err) {
	case "":
		return true
	case navette.ENOTFOUND:
		return false
	}
	m.t.Fatalf("SessionByHash: %v", err)
	return false
}

// court creates a court.
func (m *metaFixture) court(code, name string) *navette.Court {
	m.t.Helper()
	c := &navette.Court{ID: navette.NewID(), Code: code, Name: name, Source: "ldap", CreatedAt: m.now()}
	if err := m.s.CreateCourt(m.ctx, c); err != nil {
		m.t.Fatalf("CreateCourt(%s): %v", code, err)
	}
	return c
}

// member makes u a member of service by hand.
func (m *metaFixture) member(service, u *navette.User) *navette.Member {
	m.t.Helper()
	mb := &navette.Member{ServiceID: service.ID, UserID: u.ID, CreatedAt: m.now()}
	if err := m.s.AddMember(m.ctx, mb); err != nil {
		m.t.Fatalf("AddMember: %v", err)
	}
	return mb
}

// search runs SearchUsers and returns the names found, in order.
func (m *metaFixture) search(f navette.UserFilter) []string {
	m.t.Helper()
	us, err := m.s.SearchUsers(m.ctx, f)
	if err != nil {
		m.t.Fatalf("SearchUsers(%+v): %v", f, err)
	}
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	return names
}

// userIDs returns the ids of users.
func userIDs(us []*navette.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

// memberPairs returns memberships as "SERVICE USER SOURCE" strings.
func memberPairs(ms []*navette.Member) []string {
	out := make([]string, len(ms))
	for i, mb := range ms {
		out[i] = mb.ServiceID + " " + mb.UserID + " " + mb.Source
	}
	return out
}

func testMetaUserFields(t *testing.T, m *metaFixture) {
	u := &navette.User{
		ID:              navette.NewID(),
		Email:           "camille.leveque@avocat.example",
		Name:            "Camille Lévêque",
		Role:            navette.RolePartner,
		Lang:            navette.LangFrench,
		Source:          "lawyers",
		ExternalID:      "CNBF-2019-0345",
		Kind:            "lawyer",
		Org:             "Barreau d'Amiens",
		DirectoryStatus: "actif",
		TOTP:            navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)},
		TOTPStep:        58_000_123,
		CreatedAt:       m.now(),
		UpdatedAt:       m.now(),
	}
	if err := m.s.CreateUser(m.ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	metaEqual(t, "User", m.getUser(u.ID), u)
	got, err := m.s.UserByEmail(m.ctx, u.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	metaEqual(t, "UserByEmail", got, u)

	// Every role can be stored; a service and a revoked agent keep their
	// court and revocation.
	for _, r := range navette.Roles {
		x := m.person("Role "+string(r), r, func(x *navette.User) {
			x.CourtID = navette.NewID()
			x.Disabled = true
			x.RevokedAt = metaEpoch.Add(time.Hour)
		})
		metaEqual(t, "User("+string(r)+")", m.getUser(x.ID), x)
	}

	// (source, external id) is unique; the same id in another directory,
	// or users without one, are not.
	twin := m.newPerson("Twin", navette.RolePartner)
	twin.Source, twin.ExternalID = u.Source, u.ExternalID
	metaCode(t, "CreateUser with a taken external id", m.s.CreateUser(m.ctx, twin), navette.ECONFLICT)
	twin.Source = "experts"
	if err := m.s.CreateUser(m.ctx, twin); err != nil {
		t.Errorf("CreateUser with another source's external id: %v", err)
	}
	for range 2 {
		m.person("Hand", navette.RoleAgent, func(x *navette.User) { x.Source = "lawyers" })
	}

	bad := m.newPerson("Bad", "judge")
	metaCode(t, "CreateUser(unknown role)", m.s.CreateUser(m.ctx, bad), navette.EINVALID)
	bad = m.newPerson("Bad", navette.RoleAgent)
	bad.Lang = "de"
	metaCode(t, "CreateUser(unknown language)", m.s.CreateUser(m.ctx, bad), navette.EINVALID)
	metaCode(t, "CreateUser(nil)", m.s.CreateUser(m.ctx, nil), navette.EINVALID)
}

// liveToken stores a token of u, not revoked.
func (m *metaFixture) liveToken(t *testing.T, u *navette.User) *navette.Token {
	t.Helper()
	tok := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: metaRandom(32), Label: "ci", Scopes: []navette.Scope{navette.ScopeRead}, CreatedAt: m.now()}
	if err := m.s.CreateToken(m.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// tokenRevokedAt returns the revocation time of tok as stored.
func (m *metaFixture) tokenRevokedAt(t *testing.T, tok *navette.Token) time.Time {
	t.Helper()
	got, err := m.s.TokenByHash(m.ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	return got.RevokedAt
}

func testMetaUpdateUser(t *testing.T, m *metaFixture) {
	court := m.court("TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	u := m.person("Ana Agent", navette.RoleAgent, func(u *navette.User) { u.Source, u.ExternalID = "ldap", "aagent" })
	other := m.person("Other", navette.RoleAgent)
	s1, s2, kept := m.session(u), m.session(u), m.session(other)
	tok, otherTok := m.liveToken(t, u), m.liveToken(t, other)
	revokedBefore := m.liveToken(t, u)
	earlier := m.now()
	if err := m.s.RevokeToken(m.ctx, revokedBefore.ID, earlier); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}

	var want *navette.User
	ev := m.event(navette.EventUserUpdated, "", "")
	ev.Detail = "name court"
	err := m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		metaEqual(t, "user given to fn", got, u)
		got.Email = "ana.agent@justice.example"
		got.Name = "Ana Agent-Martin"
		got.Role = navette.RoleCourtAdmin
		got.Lang = navette.LangEnglish
		got.Kind = "clerk"
		got.Org = "Greffe"
		got.CourtID = court.ID
		got.DirectoryStatus = "active"
		got.TOTP = navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(40)}
		got.TOTPStep = 42
		got.UpdatedAt = m.now()
		want = new(*got)
		want.TOTP.Data = bytes.Clone(got.TOTP.Data)
		// What UpdateUser does not write.
		got.ID, got.Source, got.ExternalID, got.CreatedAt = "x", "y", "z", metaEpoch.Add(-time.Hour)
		return []navette.Event{ev}, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	metaEqual(t, "user after UpdateUser", m.getUser(u.ID), want)
	if !m.hasSession(s1) || !m.hasSession(s2) {
		t.Error("an enabled user lost sessions")
	}

	// Disabling ends every session of the user, and only theirs.
	ev2 := m.event(navette.EventUserRevoked, "", "")
	err = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		got.Disabled = true
		got.RevokedAt = m.now()
		got.DirectoryStatus = "omis"
		want = new(*got)
		return []navette.Event{ev2}, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser(disable): %v", err)
	}
	metaEqual(t, "user after disabling", m.getUser(u.ID), want)
	if m.hasSession(s1) || m.hasSession(s2) {
		t.Error("a disabled user kept sessions")
	}
	if !m.hasSession(kept) {
		t.Error("another user lost a session")
	}
	// ... and revokes every token of theirs at the revocation time, keeping
	// an earlier revocation as it was.
	if got := m.tokenRevokedAt(t, tok); !got.Equal(want.RevokedAt) {
		t.Errorf("token of a disabled user: revoked at %v, want %v", got, want.RevokedAt)
	}
	if got := m.tokenRevokedAt(t, revokedBefore); !got.Equal(earlier) {
		t.Errorf("token revoked before: now revoked at %v, want %v", got, earlier)
	}
	if got := m.tokenRevokedAt(t, otherTok); !got.IsZero() {
		t.Errorf("another user's token was revoked at %v", got)
	}
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev, ev2})

	// Restored, then a failing fn: nothing written, sessions kept, fn's
	// error as it was.
	err = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		got.Disabled, got.RevokedAt = false, time.Time{}
		want = new(*got)
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser(restore): %v", err)
	}
	if got := m.tokenRevokedAt(t, tok); got.IsZero() {
		t.Error("restoring the user brought their token back")
	}
	s3 := m.session(u)
	failure := &errMetaTest{4}
	err = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		got.Disabled = true
		got.Name = "Nobody"
		return []navette.Event{ev}, failure
	})
	if err != failure {
		t.Errorf("UpdateUser returned %v, want fn's error as is", err)
	}
	metaEqual(t, "user after a failed update", m.getUser(u.ID), want)
	if !m.hasSession(s3) {
		t.Error("a failed update ended a session")
	}

	// Taking another's e-mail address is a conflict, and writes nothing.
	err = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		got.Email = other.Email
		got.Disabled = true
		return []navette.Event{ev}, nil
	})
	metaCode(t, "UpdateUser(taken e-mail)", err, navette.ECONFLICT)
	metaEqual(t, "user after a conflict", m.getUser(u.ID), want)
	if !m.hasSession(s3) {
		t.Error("a refused update ended a session")
	}
	err = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
		got.Role = "judge"
		return nil, nil
	})
	metaCode(t, "UpdateUser(unknown role)", err, navette.EINVALID)
	metaEqual(t, "events after refusals", metaSeqs(t, m.events("")), []navette.Event{ev, ev2})

	called := false
	err = m.s.UpdateUser(m.ctx, navette.NewID(), func(*navette.User) ([]navette.Event, error) {
		called = true
		return nil, nil
	})
	metaCode(t, "UpdateUser(unknown)", err, navette.ENOTFOUND)
	if called {
		t.Error("UpdateUser(unknown) called fn")
	}

	// An identity provider subject is kept, and stands for one user only.
	bind := func(id, sub string) error {
		return m.s.UpdateUser(m.ctx, id, func(got *navette.User) ([]navette.Event, error) {
			got.OIDCSubject = sub
			return nil, nil
		})
	}
	if err := bind(u.ID, "sub-ana"); err != nil {
		t.Fatalf("UpdateUser(subject): %v", err)
	}
	if got := m.getUser(u.ID); got.OIDCSubject != "sub-ana" {
		t.Errorf("subject after UpdateUser: %q", got.OIDCSubject)
	}
	metaCode(t, "UpdateUser(another user's subject)", bind(other.ID, "sub-ana"), navette.ECONFLICT)
	if err := bind(other.ID, "sub-other"); err != nil {
		t.Errorf("UpdateUser(own subject): %v", err)
	}
}

func testMetaUpdateUserConcurrent(t *testing.T, m *metaFixture) {
	const n = 8
	u := m.person("Counter", navette.RolePartner)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = m.s.UpdateUser(m.ctx, u.ID, func(got *navette.User) ([]navette.Event, error) {
				got.TOTPStep++
				return nil, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateUser %d: %v", i, err)
		}
	}
	if got := m.getUser(u.ID).TOTPStep; got != n {
		t.Errorf("TOTPStep after %d concurrent increments: %d (an update was lost)", n, got)
	}
}

func testMetaUsersBySource(t *testing.T, m *metaFixture) {
	lawyer := func(u *navette.User) { u.Source, u.ExternalID = "lawyers", navette.NewID() }
	a := m.person("A", navette.RolePartner, lawyer)
	b := m.person("B", navette.RolePartner, lawyer, disabled)
	m.person("C", navette.RolePartner, func(u *navette.User) { u.Source, u.ExternalID = "experts", navette.NewID() })
	hand := m.person("D", navette.RoleAgent)

	got, err := m.s.UsersBySource(m.ctx, "lawyers")
	if err != nil {
		t.Fatalf("UsersBySource: %v", err)
	}
	slices.SortFunc(got, func(x, y *navette.User) int { return strings.Compare(x.ID, y.ID) })
	want := []*navette.User{a, b}
	slices.SortFunc(want, func(x, y *navette.User) int { return strings.Compare(x.ID, y.ID) })
	metaEqual(t, "UsersBySource(lawyers)", got, want)
	got, err = m.s.UsersBySource(m.ctx, "nobody")
	if err != nil || len(got) != 0 {
		t.Errorf("UsersBySource(unknown) = %d users, %v", len(got), err)
	}
	got, err = m.s.UsersBySource(m.ctx, "")
	if err != nil {
		t.Fatalf("UsersBySource(\"\"): %v", err)
	}
	metaEqual(t, "UsersBySource(\"\")", userIDs(got), []string{hand.ID})
}

// testMetaUsersByEmails looks up more e-mails than one query of the store
// may hold, some held by nobody.
func testMetaUsersByEmails(t *testing.T, m *metaFixture) {
	var emails []string
	var want []*navette.User
	for i := range 3 {
		u := m.user(fmt.Sprintf("Held%d", i))
		want = append(want, u)
		emails = append(emails, u.Email)
	}
	for i := range 1200 {
		emails = append(emails, fmt.Sprintf("nobody%d@example.org", i))
	}
	emails = append(emails, want[2].Email)
	emails[700], emails[2] = emails[2], emails[700]
	got, err := m.s.UsersByEmails(m.ctx, emails)
	if err != nil {
		t.Fatalf("UsersByEmails: %v", err)
	}
	byID := func(x, y *navette.User) int { return strings.Compare(x.ID, y.ID) }
	slices.SortFunc(got, byID)
	got = slices.CompactFunc(got, func(x, y *navette.User) bool { return x.ID == y.ID })
	slices.SortFunc(want, byID)
	metaEqual(t, "UsersByEmails", got, want)
	if got, err := m.s.UsersByEmails(m.ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("UsersByEmails(none) = %d users, %v", len(got), err)
	}
}

func testMetaSaveUsers(t *testing.T, m *metaFixture) {
	lawyer := func(u *navette.User) { u.Source, u.ExternalID, u.Kind = "lawyers", navette.NewID(), "lawyer" }
	a := m.person("Anne Avocat", navette.RolePartner, lawyer)
	b := m.person("Bruno Avocat", navette.RolePartner, lawyer)
	untouched := m.person("Chloé Avocat", navette.RolePartner, lawyer)
	sa, sb, sc := m.session(a), m.session(b), m.session(untouched)
	ta, tb := m.liveToken(t, a), m.liveToken(t, b)

	// a gives up its address, which a new user takes; b is struck off.
	upA, upB := new(*a), new(*b)
	upA.Email, upA.Org, upA.UpdatedAt = "anne.new@avocat.example", "Barreau de Lille", m.now()
	upB.Disabled, upB.RevokedAt, upB.DirectoryStatus, upB.UpdatedAt = true, m.now(), "omis", m.now()
	// Source and external id are not rewritten.
	sentA := new(*upA)
	sentA.Source, sentA.ExternalID = "other", "other"
	var create []*navette.User
	for i := range 3 {
		u := m.newPerson(fmt.Sprintf("Nouvel Avocat %d", i), navette.RolePartner)
		lawyer(u)
		create = append(create, u)
	}
	create[0].Email = a.Email
	ev := navette.Event{Time: m.now(), Type: navette.EventDirectorySynced, Detail: "lawyers added=3 updated=2 revoked=1 restored=0"}
	if err := m.s.SaveUsers(m.ctx, create, []*navette.User{sentA, upB}, ev); err != nil {
		t.Fatalf("SaveUsers: %v", err)
	}
	metaEqual(t, "updated a", m.getUser(a.ID), upA)
	metaEqual(t, "updated b", m.getUser(b.ID), upB)
	metaEqual(t, "untouched", m.getUser(untouched.ID), untouched)
	for _, u := range create {
		metaEqual(t, "created "+u.Name, m.getUser(u.ID), u)
	}
	if !m.hasSession(sa) || m.hasSession(sb) || !m.hasSession(sc) {
		t.Errorf("sessions after SaveUsers: a %v, b %v, c %v; want only b's gone", m.hasSession(sa), m.hasSession(sb), m.hasSession(sc))
	}
	if got := m.tokenRevokedAt(t, tb); !got.Equal(upB.RevokedAt) {
		t.Errorf("token of a user struck off: revoked at %v, want %v", got, upB.RevokedAt)
	}
	if got := m.tokenRevokedAt(t, ta); !got.IsZero() {
		t.Errorf("token of a user kept: revoked at %v", got)
	}
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})

	// A sync works from a read made without a lock: what sign-in bound to a
	// person meanwhile (a second factor, rewrapped under a new key; an
	// identity provider subject) is not written back stale.
	bound := new(*m.getUser(a.ID))
	if err := m.s.UpdateUser(m.ctx, a.ID, func(u *navette.User) ([]navette.Event, error) {
		u.TOTP, u.TOTPStep, u.OIDCSubject = navette.WrappedKey{KeyID: "kek-9", Data: metaRandom(40)}, 7, "sub-123"
		*bound = *u
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	stale := new(*upA)
	stale.Name, stale.UpdatedAt = "Anne Avocat-Martin", m.now()
	if err := m.s.SaveUsers(m.ctx, nil, []*navette.User{stale}); err != nil {
		t.Fatalf("SaveUsers(stale read): %v", err)
	}
	want := new(*bound)
	want.Name, want.UpdatedAt = stale.Name, stale.UpdatedAt
	metaEqual(t, "synced over a sign-in binding", m.getUser(a.ID), want)

	// Nothing to do is no error.
	if err := m.s.SaveUsers(m.ctx, nil, nil); err != nil {
		t.Errorf("SaveUsers(nothing): %v", err)
	}

	// Many users at once, across the batches an implementation may write.
	create = nil
	for i := range 1234 {
		u := m.newPerson(fmt.Sprintf("Expert %04d", i), navette.RolePartner)
		u.Source, u.ExternalID, u.Kind = "experts", fmt.Sprint(i), "expert"
		create = append(create, u)
	}
	if err := m.s.SaveUsers(m.ctx, create, nil); err != nil {
		t.Fatalf("SaveUsers(1234): %v", err)
	}
	got, err := m.s.UsersBySource(m.ctx, "experts")
	if err != nil || len(got) != len(create) {
		t.Fatalf("UsersBySource(experts) = %d users, %v; want %d", len(got), err, len(create))
	}
	metaEqual(t, "one of many", m.getUser(create[777].ID), create[777])
	metaEqual(t, "search among many", m.search(navette.UserFilter{Text: "expert 0777"}), []string{"Expert 0777"})

	// An e-mail address taken by a user of the last batch refuses them all.
	var late []*navette.User
	last := 0
	for i := range 600 {
		u := m.newPerson(fmt.Sprintf("Late %04d", i), navette.RolePartner)
		u.Source, u.ExternalID = "late", fmt.Sprint(i)
		late = append(late, u)
		if u.ID > late[last].ID {
			last = i
		}
	}
	late[last].Email = create[5].Email
	err = m.s.SaveUsers(m.ctx, late, nil)
	metaCode(t, "SaveUsers(600, the last taking an e-mail address)", err, navette.ECONFLICT)
	if want := "A user with the e-mail address " + create[5].Email + " exists already."; err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("SaveUsers(600, the last taking an e-mail address): %v, want %q", err, want)
	}
	// The first of them, by id, that takes what is another's is named.
	late[last].Email = "late.last@example.org"
	late[last].Source, late[last].ExternalID = create[7].Source, create[7].ExternalID
	late[(last+1)%len(late)].ID = create[9].ID
	err = m.s.SaveUsers(m.ctx, late, nil)
	named := "A user with the id " + create[9].ID + " exists already."
	if create[9].ID > late[last].ID {
		named = "A user with the external id " + create[7].ExternalID + " of experts exists already."
	}
	metaCode(t, "SaveUsers(600, taking an id and an external id)", err, navette.ECONFLICT)
	if err != nil && !strings.Contains(err.Error(), named) {
		t.Errorf("SaveUsers(600, taking an id and an external id): %v, want %q", err, named)
	}
	if got, err := m.s.UsersBySource(m.ctx, "late"); err != nil || len(got) != 0 {
		t.Errorf("UsersBySource(late) = %d users, %v; want none", len(got), err)
	}
}

func testMetaSaveUsersRefused(t *testing.T, m *metaFixture) {
	lawyer := func(u *navette.User) { u.Source, u.ExternalID = "lawyers", navette.NewID() }
	a := m.person("Anne", navette.RolePartner, lawyer)
	b := m.person("Bruno", navette.RolePartner, lawyer)
	sa := m.session(a)
	before := m.events("")

	fresh := func(name string) *navette.User {
		u := m.newPerson(name, navette.RolePartner)
		lawyer(u)
		return u
	}
	disableA := new(*a)
	disableA.Disabled, disableA.Name = true, "Changed"
	cases := []struct {
		what           string
		create, update []*navette.User
		code, names    string
	}{
		{"a taken e-mail address", []*navette.User{fresh("X"), func() *navette.User { u := fresh("Y"); u.Email = b.Email; return u }()}, []*navette.User{disableA}, navette.ECONFLICT, b.Email},
		{"a taken external id", []*navette.User{func() *navette.User { u := fresh("Y"); u.ExternalID = b.ExternalID; return u }()}, []*navette.User{disableA}, navette.ECONFLICT, b.ExternalID},
		{"a taken id", []*navette.User{func() *navette.User { u := fresh("Y"); u.ID = b.ID; return u }()}, []*navette.User{disableA}, navette.ECONFLICT, ""},
		{"an e-mail address given twice", func() []*navette.User {
			x, y := fresh("X"), fresh("Y")
			y.Email = x.Email
			return []*navette.User{x, y}
		}(), nil, navette.ECONFLICT, ""},
		{"an external id given twice", func() []*navette.User {
			x, y := fresh("X"), fresh("Y")
			y.ExternalID = x.ExternalID
			return []*navette.User{x, y}
		}(), nil, navette.ECONFLICT, ""},
		{"an e-mail address given to an update and a create", func() []*navette.User {
			return []*navette.User{func() *navette.User { u := fresh("X"); u.Email = "shared@example.org"; return u }()}
		}(), []*navette.User{disableA, func() *navette.User { u := new(*b); u.Email = "shared@example.org"; return u }()}, navette.ECONFLICT, ""},
		{"an update to another's e-mail address", nil, []*navette.User{func() *navette.User { u := new(*b); u.Email = a.Email; return u }()}, navette.ECONFLICT, a.Email},
		{"an unknown user to update", []*navette.User{fresh("X")}, []*navette.User{disableA, func() *navette.User { u := fresh("Z"); return u }()}, navette.ENOTFOUND, ""},
		{"an unknown role", []*navette.User{func() *navette.User { u := fresh("X"); u.Role = "judge"; return u }()}, nil, navette.EINVALID, ""},
		{"no creation time", []*navette.User{func() *navette.User { u := fresh("X"); u.CreatedAt = time.Time{}; return u }()}, nil, navette.EINVALID, ""},
	}
	for _, c := range cases {
		ev := navette.Event{Time: m.now(), Type: navette.EventDirectorySynced}
		err := m.s.SaveUsers(m.ctx, c.create, c.update, ev)
		metaCode(t, "SaveUsers with "+c.what, err, c.code)
		if c.names != "" && err != nil && !strings.Contains(err.Error(), c.names) {
			t.Errorf("SaveUsers with %s: %q does not name %q", c.what, err, c.names)
		}
		for _, u := range c.create {
			if u.ID == b.ID {
				continue
			}
			if _, err := m.s.User(m.ctx, u.ID); navette.ErrorCode(err) != navette.ENOTFOUND {
				t.Errorf("SaveUsers with %s created %s: %v", c.what, u.Name, err)
			}
		}
		metaEqual(t, "a after SaveUsers with "+c.what, m.getUser(a.ID), a)
		metaEqual(t, "b after SaveUsers with "+c.what, m.getUser(b.ID), b)
		if !m.hasSession(sa) {
			t.Fatalf("SaveUsers with %s ended a session", c.what)
		}
	}
	metaEqual(t, "events after refusals", m.events(""), before)
	metaEqual(t, "search after refusals", m.search(navette.UserFilter{Text: "changed"}), []string{})
}

func testMetaCourts(t *testing.T, m *metaFixture) {
	c := &navette.Court{ID: navette.NewID(), Code: "TJ-AMIENS", Name: "Tribunal judiciaire d'Amiens", Source: "ldap", CreatedAt: m.now()}
	ev := m.event(navette.EventCourtCreated, "", "")
	ev.Detail = c.Code
	if err := m.s.CreateCourt(m.ctx, c, ev); err != nil {
		t.Fatalf("CreateCourt: %v", err)
	}
	got, err := m.s.Court(m.ctx, c.ID)
	if err != nil {
		t.Fatalf("Court: %v", err)
	}
	metaEqual(t, "Court", got, c)
	got, err = m.s.CourtByCode(m.ctx, c.Code)
	if err != nil {
		t.Fatalf("CourtByCode: %v", err)
	}
	metaEqual(t, "CourtByCode", got, c)

	ca := &navette.Court{ID: navette.NewID(), Code: "CA-AMIENS", Name: "Cour d'appel d'Amiens", CreatedAt: m.now()}
	tj := &navette.Court{ID: navette.NewID(), Code: "TJ-ABBEVILLE", Name: "Tribunal judiciaire d'Abbeville", CreatedAt: m.now()}
	for _, x := range []*navette.Court{ca, tj} {
		if err := m.s.CreateCourt(m.ctx, x); err != nil {
			t.Fatalf("CreateCourt(%s): %v", x.Code, err)
		}
	}
	all, err := m.s.Courts(m.ctx)
	if err != nil {
		t.Fatalf("Courts: %v", err)
	}
	metaEqual(t, "Courts", all, []*navette.Court{ca, tj, c})

	metaCode(t, "CreateCourt(taken id)", m.s.CreateCourt(m.ctx, &navette.Court{ID: c.ID, Code: "X", CreatedAt: m.now()}, ev), navette.ECONFLICT)
	metaCode(t, "CreateCourt(taken code)", m.s.CreateCourt(m.ctx, &navette.Court{ID: navette.NewID(), Code: c.Code, CreatedAt: m.now()}, ev), navette.ECONFLICT)
	metaCode(t, "CreateCourt(no code)", m.s.CreateCourt(m.ctx, &navette.Court{ID: navette.NewID(), CreatedAt: m.now()}), navette.EINVALID)
	_, err = m.s.Court(m.ctx, navette.NewID())
	metaCode(t, "Court(unknown)", err, navette.ENOTFOUND)
	_, err = m.s.CourtByCode(m.ctx, "TJ-NOWHERE")
	metaCode(t, "CourtByCode(unknown)", err, navette.ENOTFOUND)
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaMembers(t *testing.T, m *metaFixture) {
	court := m.court("TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	svc := m.person("Greffe correctionnel", navette.RoleService, inCourt(court.ID))
	svc2 := m.person("Greffe civil", navette.RoleService, inCourt(court.ID))
	ana, bob := m.person("Ana", navette.RoleAgent, inCourt(court.ID)), m.person("Bob", navette.RoleAgent, inCourt(court.ID))

	mb := &navette.Member{ServiceID: svc.ID, UserID: bob.ID, Source: "", CreatedAt: m.now()}
	ev := m.event(navette.EventMemberAdded, ana.ID, "")
	ev.Detail = svc.ID + " " + bob.ID
	if err := m.s.AddMember(m.ctx, mb, ev); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	m2 := m.member(svc, ana)
	m3 := m.member(svc2, bob)
	got, err := m.s.Members(m.ctx, svc.ID)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	metaEqual(t, "Members", got, []*navette.Member{mb, m2})
	got, err = m.s.Memberships(m.ctx, bob.ID)
	if err != nil {
		t.Fatalf("Memberships: %v", err)
	}
	metaEqual(t, "Memberships", got, []*navette.Member{mb, m3})

	again := &navette.Member{ServiceID: svc.ID, UserID: bob.ID, Source: "ldap", CreatedAt: m.now()}
	metaCode(t, "AddMember(exists)", m.s.AddMember(m.ctx, again, ev), navette.ECONFLICT)
	metaCode(t, "AddMember(unknown user)", m.s.AddMember(m.ctx, &navette.Member{ServiceID: svc.ID, UserID: navette.NewID(), CreatedAt: m.now()}, ev), navette.ENOTFOUND)
	metaCode(t, "AddMember(unknown service)", m.s.AddMember(m.ctx, &navette.Member{ServiceID: navette.NewID(), UserID: bob.ID, CreatedAt: m.now()}, ev), navette.ENOTFOUND)
	metaCode(t, "AddMember(not a service)", m.s.AddMember(m.ctx, &navette.Member{ServiceID: ana.ID, UserID: bob.ID, CreatedAt: m.now()}, ev), navette.EINVALID)

	rm := m.event(navette.EventMemberRemoved, ana.ID, "")
	if err := m.s.RemoveMember(m.ctx, svc.ID, bob.ID, rm); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	metaCode(t, "RemoveMember(again)", m.s.RemoveMember(m.ctx, svc.ID, bob.ID, rm), navette.ENOTFOUND)
	metaCode(t, "RemoveMember(unknown service)", m.s.RemoveMember(m.ctx, navette.NewID(), ana.ID, rm), navette.ENOTFOUND)
	got, err = m.s.Members(m.ctx, svc.ID)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	metaEqual(t, "Members after removal", got, []*navette.Member{m2})
	got, err = m.s.Memberships(m.ctx, bob.ID)
	if err != nil {
		t.Fatalf("Memberships: %v", err)
	}
	metaEqual(t, "Memberships after removal", got, []*navette.Member{m3})
	got, err = m.s.Members(m.ctx, navette.NewID())
	if err != nil || len(got) != 0 {
		t.Errorf("Members(unknown) = %d, %v", len(got), err)
	}
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev, rm})
}

func testMetaSetMembers(t *testing.T, m *metaFixture) {
	svc := m.person("Parquet", navette.RoleService)
	a, b, c, d := m.person("A", navette.RoleAgent), m.person("B", navette.RoleAgent), m.person("C", navette.RoleAgent), m.person("D", navette.RoleAgent)
	byHand := m.member(svc, d)
	members := func() []string {
		t.Helper()
		got, err := m.s.Members(m.ctx, svc.ID)
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		out := memberPairs(got)
		slices.Sort(out)
		return out
	}
	pairs := func(ms ...*navette.Member) []string {
		out := memberPairs(ms)
		slices.Sort(out)
		return out
	}

	t1 := m.now()
	ev := navette.Event{Time: t1, Type: navette.EventMemberAdded, Detail: svc.ID + " " + a.ID}
	if err := m.s.SetMembers(m.ctx, svc.ID, "ldap", []string{a.ID, b.ID, a.ID}, t1, ev); err != nil {
		t.Fatalf("SetMembers: %v", err)
	}
	metaEqual(t, "members after the first sync", members(), pairs(byHand,
		&navette.Member{ServiceID: svc.ID, UserID: a.ID, Source: "ldap"}, &navette.Member{ServiceID: svc.ID, UserID: b.ID, Source: "ldap"}))
	got, _ := m.s.Memberships(m.ctx, a.ID)
	metaEqual(t, "a's membership", got, []*navette.Member{{ServiceID: svc.ID, UserID: a.ID, Source: "ldap", CreatedAt: t1}})

	// a leaves, c joins; d, a member by hand, is left alone whether the
	// directory lists them or not.
	t2 := m.now()
	if err := m.s.SetMembers(m.ctx, svc.ID, "ldap", []string{b.ID, c.ID, d.ID}, t2); err != nil {
		t.Fatalf("SetMembers: %v", err)
	}
	metaEqual(t, "members after the second sync", members(), pairs(byHand,
		&navette.Member{ServiceID: svc.ID, UserID: b.ID, Source: "ldap"}, &navette.Member{ServiceID: svc.ID, UserID: c.ID, Source: "ldap"}))
	got, _ = m.s.Memberships(m.ctx, b.ID)
	metaEqual(t, "b's membership keeps its time", got, []*navette.Member{{ServiceID: svc.ID, UserID: b.ID, Source: "ldap", CreatedAt: t1}})
	got, _ = m.s.Memberships(m.ctx, d.ID)
	metaEqual(t, "d's membership", got, []*navette.Member{byHand})

	// Another source's sync leaves ldap's memberships alone.
	if err := m.s.SetMembers(m.ctx, svc.ID, "other", nil, m.now()); err != nil {
		t.Fatalf("SetMembers(other): %v", err)
	}
	before := members()
	metaEqual(t, "members after another source's sync", len(before), 3)

	metaCode(t, "SetMembers(unknown user)", m.s.SetMembers(m.ctx, svc.ID, "ldap", []string{a.ID, navette.NewID()}, m.now(), ev), navette.ENOTFOUND)
	metaCode(t, "SetMembers(unknown service)", m.s.SetMembers(m.ctx, navette.NewID(), "ldap", []string{a.ID}, m.now(), ev), navette.ENOTFOUND)
	metaCode(t, "SetMembers(not a service)", m.s.SetMembers(m.ctx, a.ID, "ldap", []string{b.ID}, m.now(), ev), navette.EINVALID)
	metaEqual(t, "members after refusals", members(), before)

	if err := m.s.SetMembers(m.ctx, svc.ID, "ldap", nil, m.now()); err != nil {
		t.Fatalf("SetMembers(none): %v", err)
	}
	metaEqual(t, "members after an empty sync", members(), pairs(byHand))
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaServiceMailbox(t *testing.T, m *metaFixture) {
	court := m.court("TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	svc := m.person("Greffe correctionnel", navette.RoleService, inCourt(court.ID))
	clerk := m.person("Clerk", navette.RoleAgent, inCourt(court.ID))
	judge := m.person("Judge", navette.RoleAgent, inCourt(court.ID))
	outsider := m.person("Outsider", navette.RoleAgent, inCourt(court.ID))
	lawyer := m.person("Lawyer", navette.RolePartner)
	gone := m.person("Gone", navette.RolePartner, disabled)
	m.member(svc, clerk)
	m.member(svc, judge)

	d1 := m.deposit(navette.DepositAvailable, lawyer, svc)
	d2 := m.deposit(navette.DepositAvailable, lawyer, svc, clerk) // to the clerk both ways
	d3 := m.deposit(navette.DepositDraft, lawyer, svc)
	d4 := m.deposit(navette.DepositAvailable, lawyer, outsider, gone)
	if d1.Recipients[0].Role != navette.RoleService {
		t.Fatalf("fixture: recipient role %q", d1.Recipients[0].Role)
	}
	metaEqual(t, "a deposit to a service and a disabled user", m.getDeposit(d4.ID), d4)

	for _, u := range []*navette.User{clerk, judge, svc, lawyer} {
		got, err := m.s.DepositFor(m.ctx, d1.ID, u.ID)
		if err != nil {
			t.Errorf("DepositFor(%s): %v", u.Name, err)
			continue
		}
		metaEqual(t, "DepositFor("+u.Name+")", got, d1)
	}
	// A non-member is refused exactly as for a deposit that does not exist.
	_, err := m.s.DepositFor(m.ctx, d1.ID, outsider.ID)
	metaCode(t, "DepositFor(non-member)", err, navette.ENOTFOUND)
	_, errMiss := m.s.DepositFor(m.ctx, navette.NewID(), clerk.ID)
	metaCode(t, "DepositFor(unknown deposit)", errMiss, navette.ENOTFOUND)
	if err != nil && errMiss != nil && err.Error() != errMiss.Error() {
		t.Errorf("a refusal (%q) differs from a miss (%q)", err, errMiss)
	}
	_, err = m.s.DepositFor(m.ctx, d4.ID, clerk.ID)
	metaCode(t, "DepositFor(member, another deposit)", err, navette.ENOTFOUND)

	inbox := m.list(navette.DepositFilter{UserID: clerk.ID, Box: navette.BoxInbox})
	metaEqual(t, "clerk's inbox", metaIDs(inbox), []string{d2.ID, d1.ID})
	if len(inbox) == 2 {
		metaEqual(t, "clerk's inbox, records", inbox, []*navette.DepositRecord{d2, d1})
	}
	metaEqual(t, "judge's inbox", metaIDs(m.list(navette.DepositFilter{UserID: judge.ID, Box: navette.BoxInbox})), []string{d2.ID, d1.ID})
	metaEqual(t, "judge's inbox with drafts", metaIDs(m.list(navette.DepositFilter{UserID: judge.ID, Box: navette.BoxInbox,
		States: []navette.DepositState{navette.DepositDraft, navette.DepositAvailable}})), []string{d3.ID, d2.ID, d1.ID})
	metaEqual(t, "judge's inbox, page", metaIDs(m.list(navette.DepositFilter{UserID: judge.ID, Box: navette.BoxInbox,
		Before: d2.CreatedAt, BeforeID: d2.ID})), []string{d1.ID})
	metaEqual(t, "clerk's inbox, one at a time", metaIDs(m.list(navette.DepositFilter{UserID: clerk.ID, Box: navette.BoxInbox, Limit: 1})), []string{d2.ID})
	metaEqual(t, "clerk's inbox, second page of one", metaIDs(m.list(navette.DepositFilter{UserID: clerk.ID, Box: navette.BoxInbox, Limit: 1,
		Before: d2.CreatedAt, BeforeID: d2.ID})), []string{d1.ID})
	metaEqual(t, "service's own inbox", metaIDs(m.list(navette.DepositFilter{UserID: svc.ID, Box: navette.BoxInbox})), []string{d2.ID, d1.ID})
	metaEqual(t, "outsider's inbox", metaIDs(m.list(navette.DepositFilter{UserID: outsider.ID, Box: navette.BoxInbox})), []string{d4.ID})

	// A member who leaves sees nothing any more, through the service.
	if err := m.s.RemoveMember(m.ctx, svc.ID, judge.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	_, err = m.s.DepositFor(m.ctx, d1.ID, judge.ID)
	metaCode(t, "DepositFor(former member)", err, navette.ENOTFOUND)
	metaEqual(t, "former member's inbox", metaIDs(m.list(navette.DepositFilter{UserID: judge.ID, Box: navette.BoxInbox})), []string{})
	metaEqual(t, "clerk's inbox still", metaIDs(m.list(navette.DepositFilter{UserID: clerk.ID, Box: navette.BoxInbox})), []string{d2.ID, d1.ID})

	// A recipient who loses access is shown so.
	if err := m.s.UpdateUser(m.ctx, lawyer.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled = true
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	d5 := m.deposit(navette.DepositAvailable, clerk, lawyer)
	if got := m.getDeposit(d5.ID); !got.Recipients[0].Disabled || got.Recipients[0].Role != navette.RolePartner {
		t.Errorf("recipient who lost access: %+v", got.Recipients[0])
	}
	// So is a sender, whichever way the deposit is read.
	d6 := m.deposit(navette.DepositAvailable, lawyer, clerk)
	if m.getDeposit(d5.ID).SenderDisabled || !m.getDeposit(d6.ID).SenderDisabled {
		t.Errorf("Deposit: SenderDisabled %v for an active sender, %v for one who lost access", m.getDeposit(d5.ID).SenderDisabled, m.getDeposit(d6.ID).SenderDisabled)
	}
	for _, d := range m.list(navette.DepositFilter{UserID: lawyer.ID, Box: navette.BoxSent}) {
		if !d.SenderDisabled {
			t.Errorf("ListDeposits: SenderDisabled false for %s, sent by one who lost access", d.ID)
		}
	}
	err = m.s.UpdateDeposit(m.ctx, d6.ID, func(got *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		if !got.SenderDisabled {
			t.Errorf("UpdateDeposit: SenderDisabled false for a sender who lost access")
		}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}
}

func testMetaFirstDownloadBy(t *testing.T, m *metaFixture) {
	svc := m.person("Greffe", navette.RoleService)
	clerk, lawyer := m.person("Clerk", navette.RoleAgent), m.person("Lawyer", navette.RolePartner)
	m.member(svc, clerk)
	d := m.deposit(navette.DepositAvailable, clerk, svc, lawyer)
	at := m.now()
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		for i := range got.Recipients {
			if got.Recipients[i].UserID == svc.ID {
				got.Recipients[i].FirstDownloadAt = at
				got.Recipients[i].FirstDownloadBy = clerk.ID
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}
	got := m.getDeposit(d.ID)
	for _, r := range got.Recipients {
		switch r.UserID {
		case svc.ID:
			if !r.FirstDownloadAt.Equal(at) || r.FirstDownloadBy != clerk.ID {
				t.Errorf("service recipient: first download %v by %q, want %v by the clerk", r.FirstDownloadAt, r.FirstDownloadBy, at)
			}
		case lawyer.ID:
			if !r.FirstDownloadAt.IsZero() || r.FirstDownloadBy != "" {
				t.Errorf("lawyer recipient: first download %v by %q, want none", r.FirstDownloadAt, r.FirstDownloadBy)
			}
		}
	}

	// Created with a first download, it is read back.
	d2 := m.newDeposit(clerk, lawyer)
	d2.Recipients[0].FirstDownloadAt, d2.Recipients[0].FirstDownloadBy = at, lawyer.ID
	if err := m.s.CreateDeposit(m.ctx, d2); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	metaEqual(t, "deposit with a first download", m.getDeposit(d2.ID), d2)
}

func testMetaSessions(t *testing.T, m *metaFixture) {
	u, other := m.person("Ana", navette.RolePartner), m.person("Bob", navette.RolePartner)
	s := m.newSession(u)
	s.Stage, s.Method, s.Pending = navette.StageEnrol, "code", metaRandom(50)
	ev := navette.Event{Time: s.CreatedAt, Type: navette.EventSignIn, ActorID: u.ID, Detail: "code"}
	if err := m.s.CreateSession(m.ctx, s, ev); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	got, err := m.s.SessionByHash(m.ctx, s.Hash)
	if err != nil {
		t.Fatalf("SessionByHash: %v", err)
	}
	metaEqual(t, "SessionByHash", got, s)

	dup := m.newSession(u)
	dup.ID = s.ID
	metaCode(t, "CreateSession(taken id)", m.s.CreateSession(m.ctx, dup, ev), navette.ECONFLICT)
	dup = m.newSession(u)
	dup.Hash = bytes.Clone(s.Hash)
	metaCode(t, "CreateSession(taken hash)", m.s.CreateSession(m.ctx, dup, ev), navette.ECONFLICT)
	metaCode(t, "CreateSession(unknown user)", m.s.CreateSession(m.ctx, m.newSession(&navette.User{ID: navette.NewID()}), ev), navette.ENOTFOUND)
	noHash := m.newSession(u)
	noHash.Hash = nil
	metaCode(t, "CreateSession(no hash)", m.s.CreateSession(m.ctx, noHash, ev), navette.EINVALID)
	badStage := m.newSession(u)
	badStage.Stage = "half"
	metaCode(t, "CreateSession(unknown stage)", m.s.CreateSession(m.ctx, badStage, ev), navette.EINVALID)
	_, err = m.s.SessionByHash(m.ctx, metaRandom(32))
	metaCode(t, "SessionByHash(unknown)", err, navette.ENOTFOUND)
	_, err = m.s.SessionByHash(m.ctx, nil)
	metaCode(t, "SessionByHash(nil)", err, navette.ENOTFOUND)

	// The second factor done: the session becomes full.
	var want *navette.Session
	full := navette.Event{Time: m.clock.Now(), Type: navette.EventTOTPEnrolled, ActorID: u.ID}
	err = m.s.UpdateSession(m.ctx, s.ID, func(got *navette.Session) ([]navette.Event, error) {
		metaEqual(t, "session given to fn", got, s)
		got.Stage = navette.StageFull
		got.Method = "code+totp"
		got.SeenAt = m.now()
		got.ExpiresAt = got.ExpiresAt.Add(time.Hour)
		got.Pending = nil
		want = new(*got)
		got.UserID, got.CreatedAt = other.ID, metaEpoch // not written
		return []navette.Event{full}, nil
	})
	if err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	got, _ = m.s.SessionByHash(m.ctx, s.Hash)
	metaEqual(t, "session after UpdateSession", got, want)
	failure := &errMetaTest{5}
	err = m.s.UpdateSession(m.ctx, s.ID, func(got *navette.Session) ([]navette.Event, error) {
		got.Stage = navette.StageEnrol
		return []navette.Event{full}, failure
	})
	if err != failure {
		t.Errorf("UpdateSession returned %v, want fn's error as is", err)
	}
	got, _ = m.s.SessionByHash(m.ctx, s.Hash)
	metaEqual(t, "session after a failed update", got, want)
	called := false
	err = m.s.UpdateSession(m.ctx, navette.NewID(), func(*navette.Session) ([]navette.Event, error) {
		called = true
		return nil, nil
	})
	metaCode(t, "UpdateSession(unknown)", err, navette.ENOTFOUND)
	if called {
		t.Error("UpdateSession(unknown) called fn")
	}

	// Signing out ends one session; DeleteSessions the user's others.
	out := navette.Event{Time: m.clock.Now(), Type: navette.EventSignOut, ActorID: u.ID, Detail: "signout"}
	if err := m.s.DeleteSession(m.ctx, s.ID, out); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if m.hasSession(s) {
		t.Error("session found after DeleteSession")
	}
	metaCode(t, "DeleteSession(again)", m.s.DeleteSession(m.ctx, s.ID, out), navette.ENOTFOUND)

	u1, u2, keep := m.session(u), m.session(u), m.session(other)
	revoked := navette.Event{Time: m.clock.Now(), Type: navette.EventSignOut, ActorID: u.ID, Detail: "revoked"}
	n, err := m.s.DeleteSessions(m.ctx, u.ID, revoked)
	if err != nil || n != 2 {
		t.Errorf("DeleteSessions = %d, %v; want 2", n, err)
	}
	if m.hasSession(u1) || m.hasSession(u2) || !m.hasSession(keep) {
		t.Error("DeleteSessions ended the wrong sessions")
	}
	n, err = m.s.DeleteSessions(m.ctx, u.ID)
	if err != nil || n != 0 {
		t.Errorf("DeleteSessions(none left) = %d, %v", n, err)
	}
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev, full, out, revoked})
}

func testMetaDeleteStaleSessions(t *testing.T, m *metaFixture) {
	u := m.person("Ana", navette.RoleAgent)
	now := metaEpoch.Add(48 * time.Hour)
	idle := now.Add(-2 * time.Hour)
	mk := func(seen, expires time.Time) *navette.Session {
		t.Helper()
		s := m.newSession(u)
		s.CreatedAt, s.SeenAt, s.ExpiresAt = metaEpoch, seen, expires
		if err := m.s.CreateSession(m.ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return s
	}
	later := now.Add(time.Hour)
	expired := mk(now, now.Add(-time.Minute))
	expiresNow := mk(now, now)
	idleSince := mk(idle, later)
	idleBefore := mk(idle.Add(-time.Minute), later)
	neverSeen := mk(time.Time{}, later) // idle since its creation
	live := mk(idle.Add(time.Microsecond), later)
	live2 := mk(now, now.Add(time.Microsecond))

	n, err := m.s.DeleteStaleSessions(m.ctx, now, idle)
	if err != nil || n != 5 {
		t.Errorf("DeleteStaleSessions = %d, %v; want 5", n, err)
	}
	for _, s := range []*navette.Session{expired, expiresNow, idleSince, idleBefore, neverSeen} {
		if m.hasSession(s) {
			t.Errorf("stale session %s kept", s.ID)
		}
	}
	for _, s := range []*navette.Session{live, live2} {
		if !m.hasSession(s) {
			t.Errorf("live session %s deleted", s.ID)
		}
	}
	n, err = m.s.DeleteStaleSessions(m.ctx, now, idle)
	if err != nil || n != 0 {
		t.Errorf("DeleteStaleSessions again = %d, %v", n, err)
	}
}

func testMetaSignInCodes(t *testing.T, m *metaFixture) {
	u, other := m.person("Ana", navette.RolePartner), m.person("Bob", navette.RolePartner)
	mk := func(owner *navette.User, created time.Time) *navette.SignInCode {
		return &navette.SignInCode{ID: navette.NewID(), UserID: owner.ID, Hash: metaRandom(32), CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
	}
	c1 := mk(u, metaEpoch)
	ev := navette.Event{Time: metaEpoch, Type: navette.EventSignInCodeSent, ActorID: u.ID,
		Notices: []navette.Notice{m.newNotice(navette.NoticeSignInCode, u, "")}}
	if err := m.s.CreateSignInCode(m.ctx, c1, ev); err != nil {
		t.Fatalf("CreateSignInCode: %v", err)
	}
	if _, err := m.s.Notice(m.ctx, ev.Notices[0].ID); err != nil {
		t.Errorf("the code's notice: %v", err)
	}
	c2, c3 := mk(u, metaEpoch.Add(time.Minute)), mk(u, metaEpoch.Add(2*time.Minute))
	for _, c := range []*navette.SignInCode{c2, c3, mk(other, metaEpoch.Add(time.Minute))} {
		if err := m.s.CreateSignInCode(m.ctx, c); err != nil {
			t.Fatalf("CreateSignInCode: %v", err)
		}
	}
	got, err := m.s.SignInCodes(m.ctx, u.ID, metaEpoch)
	if err != nil {
		t.Fatalf("SignInCodes: %v", err)
	}
	metaEqual(t, "SignInCodes", got, []*navette.SignInCode{c3, c2, c1})
	got, err = m.s.SignInCodes(m.ctx, u.ID, c2.CreatedAt)
	if err != nil {
		t.Fatalf("SignInCodes(since c2): %v", err)
	}
	metaEqual(t, "SignInCodes(since c2)", got, []*navette.SignInCode{c3, c2})

	dup := mk(u, metaEpoch)
	dup.ID = c1.ID
	metaCode(t, "CreateSignInCode(taken id)", m.s.CreateSignInCode(m.ctx, dup, ev), navette.ECONFLICT)
	metaCode(t, "CreateSignInCode(unknown user)", m.s.CreateSignInCode(m.ctx, mk(&navette.User{ID: navette.NewID()}, metaEpoch)), navette.ENOTFOUND)
	noHash := mk(u, metaEpoch)
	noHash.Hash = nil
	metaCode(t, "CreateSignInCode(no hash)", m.s.CreateSignInCode(m.ctx, noHash), navette.EINVALID)

	// A wrong guess, then the right one.
	wrong := navette.Event{Time: m.clock.Now(), Type: navette.EventSignInFailed, ActorID: u.ID, Detail: "wrong code"}
	if err := m.s.UpdateSignInCode(m.ctx, c3.ID, func(c *navette.SignInCode) ([]navette.Event, error) {
		metaEqual(t, "code given to fn", c, c3)
		c.Attempts++
		return []navette.Event{wrong}, nil
	}); err != nil {
		t.Fatalf("UpdateSignInCode: %v", err)
	}
	used := metaEpoch.Add(3 * time.Minute)
	if err := m.s.UpdateSignInCode(m.ctx, c3.ID, func(c *navette.SignInCode) ([]navette.Event, error) {
		c.UsedAt = used
		c.Hash, c.ExpiresAt = nil, time.Time{} // not written
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateSignInCode: %v", err)
	}
	want := *c3
	want.Attempts, want.UsedAt = 1, used
	got, _ = m.s.SignInCodes(m.ctx, u.ID, c3.CreatedAt)
	metaEqual(t, "code after updates", got, []*navette.SignInCode{&want})
	failure := &errMetaTest{6}
	if err := m.s.UpdateSignInCode(m.ctx, c3.ID, func(c *navette.SignInCode) ([]navette.Event, error) {
		c.Attempts = 99
		return []navette.Event{wrong}, failure
	}); err != failure {
		t.Errorf("UpdateSignInCode returned %v, want fn's error as is", err)
	}
	got, _ = m.s.SignInCodes(m.ctx, u.ID, c3.CreatedAt)
	metaEqual(t, "code after a failed update", got, []*navette.SignInCode{&want})
	metaCode(t, "UpdateSignInCode(unknown)", m.s.UpdateSignInCode(m.ctx, navette.NewID(), func(*navette.SignInCode) ([]navette.Event, error) {
		t.Error("UpdateSignInCode(unknown) called fn")
		return nil, nil
	}), navette.ENOTFOUND)

	// Expired codes go: c1 expires at c1+10 min, c2 a minute later.
	n, err := m.s.DeleteSignInCodes(m.ctx, c2.ExpiresAt)
	if err != nil || n != 3 {
		t.Errorf("DeleteSignInCodes = %d, %v; want 3 (c1, c2 and the other's)", n, err)
	}
	got, _ = m.s.SignInCodes(m.ctx, u.ID, time.Time{})
	metaEqual(t, "codes left", got, []*navette.SignInCode{&want})
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{{Time: ev.Time, Type: ev.Type, ActorID: ev.ActorID}, wrong})
}

func testMetaTokenScopes(t *testing.T, m *metaFixture) {
	u, other := m.person("Ana", navette.RoleAdmin), m.person("Bob", navette.RoleAgent)
	mk := func(owner *navette.User, scopes ...navette.Scope) *navette.Token {
		return &navette.Token{ID: navette.NewID(), UserID: owner.ID, Hash: metaRandom(32), Label: "ci", Scopes: scopes, CreatedAt: m.now()}
	}
	t1 := mk(u, navette.ScopeRead)
	t2 := mk(u, navette.ScopeAdmin, navette.ScopeRead, navette.ScopeWrite)
	t3 := mk(u, navette.ScopeAudit)
	t3.RevokedAt = m.now()
	for _, tok := range []*navette.Token{t1, t2, t3, mk(other, navette.ScopeRead)} {
		if err := m.s.CreateToken(m.ctx, tok); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
	}
	got, err := m.s.TokenByHash(m.ctx, t2.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	metaEqual(t, "TokenByHash keeps the scopes in order", got, t2)
	if !got.HasScope(navette.ScopeAdmin) || got.HasScope(navette.ScopeAudit) {
		t.Errorf("scopes %v", got.Scopes)
	}
	list, err := m.s.Tokens(m.ctx, u.ID)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	metaEqual(t, "Tokens", list, []*navette.Token{t3, t2, t1})
	list, err = m.s.Tokens(m.ctx, navette.NewID())
	if err != nil || len(list) != 0 {
		t.Errorf("Tokens(unknown user) = %d, %v", len(list), err)
	}

	metaCode(t, "CreateToken(no scope)", m.s.CreateToken(m.ctx, mk(u)), navette.EINVALID)
	metaCode(t, "CreateToken(unknown scope)", m.s.CreateToken(m.ctx, mk(u, "root")), navette.EINVALID)
	metaCode(t, "CreateToken(scope twice)", m.s.CreateToken(m.ctx, mk(u, navette.ScopeRead, navette.ScopeRead)), navette.EINVALID)
}

func testMetaRevokeToken(t *testing.T, m *metaFixture) {
	u := m.person("Ana", navette.RoleAgent)
	tok := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: metaRandom(32), Scopes: []navette.Scope{navette.ScopeRead}, CreatedAt: m.now()}
	if err := m.s.CreateToken(m.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	at := m.now()
	ev := navette.Event{Time: at, Type: navette.EventTokenRevoked, ActorID: u.ID, Detail: tok.ID}
	if err := m.s.RevokeToken(m.ctx, tok.ID, at, ev); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	got, _ := m.s.TokenByHash(m.ctx, tok.Hash)
	if !got.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt %v, want %v", got.RevokedAt, at)
	}
	// Again: nothing changes, nothing is appended.
	if err := m.s.RevokeToken(m.ctx, tok.ID, m.now(), ev); err != nil {
		t.Errorf("RevokeToken(again): %v", err)
	}
	got, _ = m.s.TokenByHash(m.ctx, tok.Hash)
	if !got.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt after a second revocation %v, want %v", got.RevokedAt, at)
	}
	metaCode(t, "RevokeToken(unknown)", m.s.RevokeToken(m.ctx, navette.NewID(), m.now(), ev), navette.ENOTFOUND)
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaTouchToken(t *testing.T, m *metaFixture) {
	u := m.person("Ana", navette.RoleAgent)
	tok := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: metaRandom(32), Scopes: []navette.Scope{navette.ScopeRead}, CreatedAt: m.now()}
	if err := m.s.CreateToken(m.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	lastUsed := func() time.Time {
		t.Helper()
		got, err := m.s.TokenByHash(m.ctx, tok.Hash)
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		return got.LastUsed
	}
	if !lastUsed().IsZero() {
		t.Error("a new token was used")
	}
	minute := time.Date(2025, 3, 14, 10, 7, 0, 0, time.UTC)
	for _, at := range []time.Time{minute.Add(42 * time.Second), minute.Add(59 * time.Second), minute.Add(-time.Hour)} {
		if err := m.s.TouchToken(m.ctx, tok.ID, at); err != nil {
			t.Fatalf("TouchToken: %v", err)
		}
		if got := lastUsed(); !got.Equal(minute) {
			t.Errorf("LastUsed after a use at %v: %v, want %v (to the minute, never backwards)", at, got, minute)
		}
	}
	if err := m.s.TouchToken(m.ctx, tok.ID, minute.Add(61*time.Second)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	if got := lastUsed(); !got.Equal(minute.Add(time.Minute)) {
		t.Errorf("LastUsed a minute later: %v", got)
	}
	metaCode(t, "TouchToken(unknown)", m.s.TouchToken(m.ctx, navette.NewID(), minute), navette.ENOTFOUND)
}

// searchPeople creates the people of the search tests, in two courts.
func (m *metaFixture) searchPeople() (amiens, lille *navette.Court, byName map[string]*navette.User) {
	amiens = m.court("TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	lille = m.court("TJ-LILLE", "Tribunal judiciaire de Lille")
	byName = map[string]*navette.User{}
	add := func(name string, role navette.Role, mods ...func(u *navette.User)) {
		byName[name] = m.person(name, role, mods...)
	}
	lawyer := func(org, ext string) func(u *navette.User) {
		return func(u *navette.User) { u.Source, u.ExternalID, u.Kind, u.Org = "lawyers", ext, "lawyer", org }
	}
	add("Camille Lévêque", navette.RolePartner, lawyer("Barreau d'Amiens", "CNBF-2019-0345"))
	add("Jean-Pierre Levesque", navette.RolePartner, lawyer("Barreau de Lille", "CNBF-2001-0001"))
	add("Zoé Lévy", navette.RolePartner, lawyer("Barreau de Lille", "CNBF-2010-0777"), disabled)
	add("Jean Dupont", navette.RoleAgent, inCourt(amiens.ID))
	add("Jeanne Dupont-Martin", navette.RoleAgent, inCourt(lille.ID))
	add("Œdipe Æthelstan", navette.RoleAgent, inCourt(lille.ID))
	add("Greffe correctionnel", navette.RoleService, inCourt(amiens.ID))
	add("Greffe correctionnel ", navette.RoleService, inCourt(lille.ID)) // the same name, another court
	add("Parquet", navette.RoleService, inCourt(amiens.ID))
	return amiens, lille, byName
}

func testMetaSearch(t *testing.T, m *metaFixture) {
	_, _, people := m.searchPeople()
	for _, c := range []struct {
		text string
		want []string
	}{
		{"leveque", []string{"Camille Lévêque"}},
		{"LÉVÊQUE", []string{"Camille Lévêque"}},
		{"lev", []string{"Camille Lévêque", "Jean-Pierre Levesque", "Zoé Lévy"}},
		{"levesque", []string{"Jean-Pierre Levesque"}},
		{"eque", []string{}}, // words start, not contain
		{"jean", []string{"Jean Dupont", "Jean-Pierre Levesque", "Jeanne Dupont-Martin"}},
		{"jean dup", []string{"Jean Dupont", "Jeanne Dupont-Martin"}},
		{"dup jean", []string{"Jean Dupont", "Jeanne Dupont-Martin"}},
		{"jeanne", []string{"Jeanne Dupont-Martin"}},
		{"jean jeanne", []string{"Jeanne Dupont-Martin"}},
		{"Jean-Pierre", []string{"Jean-Pierre Levesque"}},
		{"pierre jean lev", []string{"Jean-Pierre Levesque"}},
		{"jean lev dup", []string{}},
		{"martin", []string{"Jeanne Dupont-Martin"}},
		{"oedipe", []string{"Œdipe Æthelstan"}},
		{"aeth", []string{"Œdipe Æthelstan"}},
		// E-mail words, and its local part whole.
		{"camille.leveque", []string{"Camille Lévêque"}},
		{"camilleleveque", []string{"Camille Lévêque"}},
		{"cam lev example", []string{"Camille Lévêque"}},
		// Organisation, external id, court code and name.
		{"barreau lille", []string{"Jean-Pierre Levesque", "Zoé Lévy"}},
		{"amiens", []string{"Camille Lévêque", "Greffe correctionnel", "Jean Dupont", "Parquet"}},
		{"cnbf 2019", []string{"Camille Lévêque"}},
		{"cnbf2019", []string{"Camille Lévêque"}},
		{"0777", []string{"Zoé Lévy"}},
		{"tj-lille", []string{"Greffe correctionnel ", "Jeanne Dupont-Martin", "Œdipe Æthelstan"}},
		{"tjlil", []string{"Greffe correctionnel ", "Jeanne Dupont-Martin", "Œdipe Æthelstan"}},
		{"greffe", []string{"Greffe correctionnel", "Greffe correctionnel "}},
		{"tribunal greffe amiens", []string{"Greffe correctionnel"}},
		{"nobody", []string{}},
	} {
		metaEqual(t, fmt.Sprintf("search %q", c.text), m.search(navette.UserFilter{Text: c.text}), c.want)
	}

	// Equal names come by id.
	g1, g2 := m.person("Martin", navette.RolePartner), m.person("Martin", navette.RolePartner)
	want := []string{g1.ID, g2.ID}
	slices.Sort(want)
	got, err := m.s.SearchUsers(m.ctx, navette.UserFilter{Text: "martin", Roles: []navette.Role{navette.RolePartner}})
	if err != nil {
		t.Fatalf("SearchUsers: %v", err)
	}
	metaEqual(t, "equal names", userIDs(got), want)
	// Users come whole.
	got, err = m.s.SearchUsers(m.ctx, navette.UserFilter{Text: "leveque"})
	if err != nil || len(got) != 1 {
		t.Fatalf("SearchUsers: %d users, %v", len(got), err)
	}
	metaEqual(t, "a user found", got[0], people["Camille Lévêque"])

	// Text without a word matches everyone, by name.
	all := m.search(navette.UserFilter{Text: " -'. ", Limit: 1000})
	if len(all) != 11 || !slices.IsSorted(all) {
		t.Errorf("search for no word: %q", all)
	}
}

func testMetaSearchFilters(t *testing.T, m *metaFixture) {
	amiens, lille, people := m.searchPeople()
	for _, c := range []struct {
		what string
		f    navette.UserFilter
		want []string
	}{
		{"partners", navette.UserFilter{Text: "lev", Roles: []navette.Role{navette.RolePartner}}, []string{"Camille Lévêque", "Jean-Pierre Levesque", "Zoé Lévy"}},
		{"enabled", navette.UserFilter{Text: "lev", Enabled: true}, []string{"Camille Lévêque", "Jean-Pierre Levesque"}},
		{"agents", navette.UserFilter{Text: "jean", Roles: []navette.Role{navette.RoleAgent}}, []string{"Jean Dupont", "Jeanne Dupont-Martin"}},
		{"agents and services", navette.UserFilter{Text: "amiens", Roles: []navette.Role{navette.RoleAgent, navette.RoleService}}, []string{"Greffe correctionnel", "Jean Dupont", "Parquet"}},
		{"in a court", navette.UserFilter{Text: "greffe", CourtID: lille.ID}, []string{"Greffe correctionnel "}},
		{"in a court, no text", navette.UserFilter{CourtID: amiens.ID, Roles: []navette.Role{navette.RoleService}}, nil},
		{"a source", navette.UserFilter{Text: "jean", Source: "lawyers"}, []string{"Jean-Pierre Levesque"}},
		{"limit", navette.UserFilter{Text: "lev", Limit: 2}, []string{"Camille Lévêque", "Jean-Pierre Levesque"}},
	} {
		got := m.search(c.f)
		if c.want == nil {
			if len(got) != 2 || !slices.Contains(got, "Greffe correctionnel") || !slices.Contains(got, "Parquet") {
				t.Errorf("search %s: %q", c.what, got)
			}
			continue
		}
		metaEqual(t, "search "+c.what, got, c.want)
	}

	// Without text, by id, with a cursor.
	var ids []string
	for _, u := range people {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	var paged []string
	after := ""
	for range 10 {
		page, err := m.s.SearchUsers(m.ctx, navette.UserFilter{After: after, Limit: 4})
		if err != nil {
			t.Fatalf("SearchUsers(after): %v", err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, userIDs(page)...)
		after = page[len(page)-1].ID
	}
	metaEqual(t, "every user by id, in pages", paged, ids)
	got, err := m.s.SearchUsers(m.ctx, navette.UserFilter{})
	if err != nil || len(got) != min(20, len(ids)) {
		t.Errorf("SearchUsers(default limit) = %d, %v", len(got), err)
	}
	got, err = m.s.SearchUsers(m.ctx, navette.UserFilter{Source: "lawyers", Enabled: true})
	if err != nil || len(got) != 2 {
		t.Errorf("SearchUsers(enabled lawyers) = %d, %v", len(got), err)
	}

	_, err = m.s.SearchUsers(m.ctx, navette.UserFilter{Text: "lev", Limit: -1})
	metaCode(t, "SearchUsers(negative limit)", err, navette.EINVALID)
	_, err = m.s.SearchUsers(m.ctx, navette.UserFilter{Text: "lev", Roles: []navette.Role{"judge"}})
	metaCode(t, "SearchUsers(unknown role)", err, navette.EINVALID)
}

func testMetaSearchFollowsChanges(t *testing.T, m *metaFixture) {
	// Users named after a court that does not exist yet find it when it
	// comes.
	courtID := navette.NewID()
	agent := m.person("Agnès Sorel", navette.RoleAgent, inCourt(courtID))
	metaEqual(t, "search before the court exists", m.search(navette.UserFilter{Text: "abbeville"}), []string{})
	if err := m.s.CreateCourt(m.ctx, &navette.Court{ID: courtID, Code: "TJ-ABBEVILLE", Name: "Tribunal judiciaire d'Abbeville", CreatedAt: m.now()}); err != nil {
		t.Fatalf("CreateCourt: %v", err)
	}
	metaEqual(t, "search once the court exists", m.search(navette.UserFilter{Text: "abbeville sorel"}), []string{"Agnès Sorel"})

	// A renamed user is found by the new name only.
	if err := m.s.UpdateUser(m.ctx, agent.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Name = "Agnès Beauté"
		u.Email = "agnes.beaute@justice.example"
		u.CourtID = ""
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	metaEqual(t, "old name", m.search(navette.UserFilter{Text: "sorel"}), []string{})
	metaEqual(t, "old court", m.search(navette.UserFilter{Text: "abbeville"}), []string{})
	metaEqual(t, "new name", m.search(navette.UserFilter{Text: "beaute agnes"}), []string{"Agnès Beauté"})
	metaEqual(t, "new e-mail", m.search(navette.UserFilter{Text: "justice"}), []string{"Agnès Beauté"})

	// And so through SaveUsers.
	u := m.getUser(agent.ID)
	u.Name, u.Email, u.Org = "Agnès Sorel", "agnes.sorel@justice.example", "Cour des comptes"
	if err := m.s.SaveUsers(m.ctx, nil, []*navette.User{u}); err != nil {
		t.Fatalf("SaveUsers: %v", err)
	}
	metaEqual(t, "name after SaveUsers", m.search(navette.UserFilter{Text: "sorel comptes"}), []string{"Agnès Sorel"})
	metaEqual(t, "former name after SaveUsers", m.search(navette.UserFilter{Text: "beaute"}), []string{})
}

func testMetaSearchMany(t *testing.T, m *metaFixture) {
	// Enough users sharing words that a short query matches thousands of
	// terms, as on a national directory.
	first := []string{"Marie", "Martin", "Marc", "Mathilde", "Maxime", "Jean", "Julie"}
	last := []string{"Martin", "Marchand", "Masson", "Mercier", "Durand", "Moreau"}
	court := m.court("TJ-MEAUX", "Tribunal judiciaire de Meaux")
	var create []*navette.User
	for i := range 3000 {
		u := m.newPerson(fmt.Sprintf("%s %s %04d", first[i%len(first)], last[(i/len(first))%len(last)], i), navette.RolePartner)
		if i%3 == 0 {
			u.Role = navette.RoleAgent
		}
		if i%20 == 0 {
			u.CourtID = court.ID
		}
		u.Disabled = i%10 == 0
		create = append(create, u)
	}
	if err := m.s.SaveUsers(m.ctx, create, nil); err != nil {
		t.Fatalf("SaveUsers: %v", err)
	}
	match := func(f navette.UserFilter) []string {
		var out []*navette.User
		qs := navette.SearchWords(f.Text)
	users:
		for _, u := range create {
			if f.Enabled && u.Disabled || len(f.Roles) > 0 && !slices.Contains(f.Roles, u.Role) ||
				f.CourtID != "" && u.CourtID != f.CourtID {
				continue
			}
			words := navette.SearchWords(u.Name + " " + u.Email)
			if u.CourtID != "" {
				words = append(words, navette.SearchWords(court.Code+" "+court.Name)...)
			}
			for _, q := range qs {
				if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, q) }) {
					continue users
				}
			}
			out = append(out, u)
		}
		slices.SortFunc(out, func(a, b *navette.User) int {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		names := []string{}
		for _, u := range out[:min(len(out), f.Limit)] {
			names = append(names, u.Name)
		}
		return names
	}
	for _, f := range []navette.UserFilter{
		{Text: "m", Limit: 20},
		{Text: "ma", Limit: 7, Enabled: true},
		{Text: "mar mar", Limit: 50, Roles: []navette.Role{navette.RoleAgent}},
		{Text: "ma du", Limit: 15},
		{Text: "martin martin", Limit: 30},
		{Text: "m j 00", Limit: 25, Enabled: true, Roles: []navette.Role{navette.RolePartner}},
		{Text: "julie moreau", Limit: 1000},
		{Text: "maxime durand 12", Limit: 40},
		{Text: "meaux", Limit: 30},
		{Text: "ma", Limit: 10, CourtID: court.ID},
		{Text: "mar dur", Limit: 100, CourtID: court.ID},
		{Text: "ju 02", Limit: 100, CourtID: court.ID, Enabled: true},
		{Text: "jean 2", Limit: 10},
		{Text: "ma mo 1", Limit: 30, Roles: []navette.Role{navette.RoleAgent}},
	} {
		metaEqual(t, fmt.Sprintf("search %+v", f), m.search(f), match(f))
	}
}

func testMetaSearchClustered(t *testing.T, m *metaFixture) {
	// The users a word matches can all come late in name order: a search
	// that reads users in name order must still find them.
	var create []*navette.User
	for i := range 5000 {
		first := "Alice"
		if i%10 == 9 {
			first = "Zoé"
		}
		u := m.newPerson(fmt.Sprintf("%s Dupont %04d", first, i), navette.RolePartner)
		u.Email = fmt.Sprintf("%s.dupont.%04d@example.org", strings.ToLower(first[:1]), i)
		create = append(create, u)
	}
	if err := m.s.SaveUsers(m.ctx, create, nil); err != nil {
		t.Fatalf("SaveUsers: %v", err)
	}
	var zoes []string
	for i := 9; len(zoes) < 20; i += 10 {
		zoes = append(zoes, fmt.Sprintf("Zoé Dupont %04d", i))
	}
	metaEqual(t, "search zo", m.search(navette.UserFilter{Text: "zo"}), zoes)
	metaEqual(t, "search zoe dup", m.search(navette.UserFilter{Text: "zoe dup", Limit: 3}), zoes[:3])
	metaEqual(t, "search dupont", m.search(navette.UserFilter{Text: "dupont", Limit: 2}), []string{"Alice Dupont 0000", "Alice Dupont 0001"})
	if got := m.search(navette.UserFilter{Text: "zo", Limit: 1000}); len(got) != 500 {
		t.Errorf("search zo, limit 1000: %d users, want 500", len(got))
	}
}
