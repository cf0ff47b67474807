package storetest

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
)

// newNotice returns a pending notice of kind to u about deposit depositID,
// due at its creation, not yet stored.
func (m *metaFixture) newNotice(kind navette.NoticeKind, u *navette.User, depositID string) navette.Notice {
	now := m.now()
	return navette.Notice{
		ID:            navette.NewID(),
		Kind:          kind,
		UserID:        u.ID,
		DepositID:     depositID,
		State:         navette.NoticePending,
		NextAttemptAt: now,
		CreatedAt:     now,
		Key:           navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)},
		Payload:       metaRandom(60),
	}
}

// notices stores ns with an event, and returns pointers to copies of them as
// storage returns them.
func (m *metaFixture) notices(ns ...navette.Notice) []*navette.Notice {
	m.t.Helper()
	ev := m.event(navette.EventDepositAvailable, "", ns[0].DepositID)
	ev.Notices = ns
	if err := m.s.AppendEvents(m.ctx, ev); err != nil {
		m.t.Fatalf("AppendEvents(with notices): %v", err)
	}
	out := make([]*navette.Notice, len(ns))
	for i := range ns {
		n := metaCloneNotice(&ns[i])
		out[i] = n
	}
	return out
}

// getNotice reads notice id back.
func (m *metaFixture) getNotice(id string) *navette.Notice {
	m.t.Helper()
	n, err := m.s.Notice(m.ctx, id)
	if err != nil {
		m.t.Fatalf("Notice(%s): %v", id, err)
	}
	return n
}

// metaCloneNotice returns a deep copy of n.
func metaCloneNotice(n *navette.Notice) *navette.Notice {
	c := *n
	c.Key.Data = slices.Clone(n.Key.Data)
	c.Payload = slices.Clone(n.Payload)
	return &c
}

// noticeIDs returns the ids of ns.
func noticeIDs(ns []*navette.Notice) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return ids
}

func testMetaUserLang(t *testing.T, m *metaFixture) {
	for _, lang := range []string{"", navette.LangFrench, navette.LangEnglish} {
		u := &navette.User{ID: navette.NewID(), Email: "lang-" + lang + "@example.org", Role: navette.RolePartner, Lang: lang, CreatedAt: m.now()}
		if err := m.s.CreateUser(m.ctx, u); err != nil {
			t.Fatalf("CreateUser(lang %q): %v", lang, err)
		}
		got, err := m.s.User(m.ctx, u.ID)
		if err != nil {
			t.Fatalf("User: %v", err)
		}
		metaEqual(t, "user with lang "+lang, got, u)
	}
	u := &navette.User{ID: navette.NewID(), Email: "klingon@example.org", Role: navette.RolePartner, Lang: "tlh", CreatedAt: m.now()}
	metaCode(t, "CreateUser(unknown lang)", m.s.CreateUser(m.ctx, u), navette.EINVALID)
}

func testMetaDueReminders(t *testing.T, m *metaFixture) {
	alice, bob, carol := m.user("Alice"), m.user("Bob"), m.user("Carol")
	now := metaEpoch.Add(100 * 24 * time.Hour)
	within := 3 * 24 * time.Hour
	add := func(state navette.DepositState, expiresIn time.Duration, mod func(d *navette.DepositRecord)) *navette.DepositRecord {
		t.Helper()
		d := m.newDeposit(alice, bob, carol)
		metaSetState(d, state)
		d.AvailableAt = now.Add(-5 * 24 * time.Hour)
		d.ExpiresAt = now.Add(expiresIn)
		if mod != nil {
			mod(d)
		}
		if err := m.s.CreateDeposit(m.ctx, d); err != nil {
			t.Fatalf("CreateDeposit: %v", err)
		}
		return d
	}
	late := add(navette.DepositAvailable, within, nil)     // at the edge of the window: due
	early := add(navette.DepositAvailable, time.Hour, nil) // due, expires first
	add(navette.DepositAvailable, within+time.Second, nil) // not yet
	add(navette.DepositAvailable, 0, nil)                  // expired: the sweeper's
	add(navette.DepositAvailable, -time.Hour, nil)         // expired
	add(navette.DepositRevoked, time.Hour, nil)            // revoked
	add(navette.DepositAvailable, time.Hour, func(d *navette.DepositRecord) { d.RemindedAt = now.Add(-time.Minute) })
	add(navette.DepositAvailable, time.Hour, func(d *navette.DepositRecord) { d.PurgedAt = now })
	add(navette.DepositAvailable, time.Hour, func(d *navette.DepositRecord) {
		// Kept for less than the reminder delay: no reminder.
		d.AvailableAt = d.ExpiresAt.Add(-within)
	})
	add(navette.DepositAvailable, time.Hour, func(d *navette.DepositRecord) {
		for i := range d.Recipients {
			d.Recipients[i].FirstDownloadAt = now.Add(-time.Hour) // everyone fetched
		}
	})
	partly := add(navette.DepositAvailable, 2*time.Hour, func(d *navette.DepositRecord) {
		d.Recipients[0].FirstDownloadAt = now.Add(-time.Hour)
	})

	ids, err := m.s.DueReminders(m.ctx, now, within, 10)
	if err != nil {
		t.Fatalf("DueReminders: %v", err)
	}
	metaEqual(t, "DueReminders", ids, []string{early.ID, partly.ID, late.ID})
	ids, err = m.s.DueReminders(m.ctx, now, within, 2)
	if err != nil {
		t.Fatalf("DueReminders(limit 2): %v", err)
	}
	metaEqual(t, "DueReminders(limit 2)", ids, []string{early.ID, partly.ID})

	// Once reminded, a deposit is no longer due.
	if err := m.s.UpdateDeposit(m.ctx, early.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.RemindedAt = now
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}
	if got := m.getDeposit(early.ID).RemindedAt; !got.Equal(now) {
		t.Errorf("RemindedAt = %v, want %v", got, now)
	}
	ids, err = m.s.DueReminders(m.ctx, now, within, 10)
	if err != nil {
		t.Fatalf("DueReminders: %v", err)
	}
	metaEqual(t, "DueReminders after a reminder", ids, []string{partly.ID, late.ID})

	_, err = m.s.DueReminders(m.ctx, now, within, 0)
	metaCode(t, "DueReminders(limit 0)", err, navette.EINVALID)
	_, err = m.s.DueReminders(m.ctx, now, 0, 10)
	metaCode(t, "DueReminders(within 0)", err, navette.EINVALID)
}

func testMetaNoticesWithEvents(t *testing.T, m *metaFixture) {
	alice, bob, carol := m.user("Alice"), m.user("Bob"), m.user("Carol")

	// With CreateDeposit.
	d := m.newDeposit(alice, bob, carol)
	n1, n2 := m.newNotice(navette.NoticeDeposit, bob, d.ID), m.newNotice(navette.NoticeDeposit, carol, d.ID)
	n2.State = ""                  // pending by default
	n2.NextAttemptAt = time.Time{} // due at its creation by default
	ev := m.event(navette.EventDepositCreated, alice.ID, d.ID)
	ev.Notices = []navette.Notice{n1, n2}
	if err := m.s.CreateDeposit(m.ctx, d, ev); err != nil {
		t.Fatalf("CreateDeposit(with notices): %v", err)
	}
	metaEqual(t, "notice 1", m.getNotice(n1.ID), &n1)
	want2 := metaCloneNotice(&n2)
	want2.State, want2.NextAttemptAt = navette.NoticePending, n2.CreatedAt
	metaEqual(t, "notice 2 (defaults)", m.getNotice(n2.ID), want2)
	for _, e := range m.events(d.ID) {
		if e.Notices != nil {
			t.Errorf("event %s read back with notices", e.Type)
		}
	}

	// With UpdateDeposit; a function that fails writes none.
	n3 := m.newNotice(navette.NoticeReceipt, alice, d.ID)
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		ev := m.event(navette.EventFileDownloaded, bob.ID, d.ID)
		ev.Notices = []navette.Notice{m.newNotice(navette.NoticeReceipt, alice, d.ID)}
		return []navette.Event{ev}, &errMetaTest{1}
	})
	var e *errMetaTest
	if !errors.As(err, &e) {
		t.Fatalf("UpdateDeposit(failing fn) = %v", err)
	}
	err = m.s.UpdateDeposit(m.ctx, d.ID, func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		ev := m.event(navette.EventFileDownloaded, bob.ID, d.ID)
		ev.Notices = []navette.Notice{n3}
		return []navette.Event{ev}, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit(with notice): %v", err)
	}
	metaEqual(t, "notice from UpdateDeposit", m.getNotice(n3.ID), &n3)

	// Every notice of the deposit, oldest first.
	got, err := m.s.Notices(m.ctx, navette.NoticeFilter{DepositID: d.ID})
	if err != nil {
		t.Fatalf("Notices: %v", err)
	}
	metaEqual(t, "Notices(deposit)", noticeIDs(got), []string{n1.ID, n2.ID, n3.ID})

	// With CreateUser, for a notice without deposit (a sign-in code).
	dave := &navette.User{ID: navette.NewID(), Email: "dave@example.org", Role: navette.RolePartner, CreatedAt: m.now()}
	code := navette.Notice{ID: navette.NewID(), Kind: navette.NoticeSignInCode, UserID: dave.ID, CreatedAt: m.now()}
	ev = m.event(navette.EventUserCreated, "", "")
	ev.Notices = []navette.Notice{code}
	if err := m.s.CreateUser(m.ctx, dave, ev); err != nil {
		t.Fatalf("CreateUser(with a notice to the new user): %v", err)
	}
	want := code
	want.State, want.NextAttemptAt = navette.NoticePending, code.CreatedAt
	metaEqual(t, "notice without deposit", m.getNotice(code.ID), &want)

	_, err = m.s.Notice(m.ctx, navette.NewID())
	metaCode(t, "Notice(unknown)", err, navette.ENOTFOUND)
}

func testMetaNoticesRefused(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	before := m.events("")
	ok := m.newNotice(navette.NoticeDeposit, bob, d.ID)
	for _, tc := range []struct {
		name string
		mod  func(n *navette.Notice)
		code string
	}{
		{"no id", func(n *navette.Notice) { n.ID = "" }, navette.EINVALID},
		{"bad id", func(n *navette.Notice) { n.ID = "not an id" }, navette.EINVALID},
		{"no kind", func(n *navette.Notice) { n.Kind = "" }, navette.EINVALID},
		{"unknown kind", func(n *navette.Notice) { n.Kind = "spam" }, navette.EINVALID},
		{"no addressee", func(n *navette.Notice) { n.UserID = "" }, navette.EINVALID},
		{"unknown addressee", func(n *navette.Notice) { n.UserID = navette.NewID() }, navette.ENOTFOUND},
		{"no creation time", func(n *navette.Notice) { n.CreatedAt = time.Time{} }, navette.EINVALID},
		{"unknown state", func(n *navette.Notice) { n.State = "lost" }, navette.EINVALID},
		{"negative attempts", func(n *navette.Notice) { n.Attempts = -1 }, navette.EINVALID},
	} {
		n := m.newNotice(navette.NoticeDeposit, bob, d.ID)
		tc.mod(&n)
		ev := m.event(navette.EventDepositAvailable, "", d.ID)
		ev.Notices = []navette.Notice{ok, n}
		metaCode(t, "AppendEvents(notice with "+tc.name+")", m.s.AppendEvents(m.ctx, ev), tc.code)
		// The change the notice goes with is refused with it.
		err := m.s.UpdateDeposit(m.ctx, d.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
			d.State = navette.DepositRevoked
			return []navette.Event{ev}, nil
		})
		metaCode(t, "UpdateDeposit(notice with "+tc.name+")", err, tc.code)
	}
	metaEqual(t, "events after refused notices", m.events(""), before)
	metaEqual(t, "deposit after refused notices", m.getDeposit(d.ID), d)
	got, err := m.s.Notices(m.ctx, navette.NoticeFilter{})
	if err != nil {
		t.Fatalf("Notices: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("%d notices stored from refused writes", len(got))
	}

	// A notice id given twice.
	m.notices(ok)
	ev := m.event(navette.EventDepositAvailable, "", d.ID)
	ev.Notices = []navette.Notice{ok}
	metaCode(t, "AppendEvents(notice id taken)", m.s.AppendEvents(m.ctx, ev), navette.ECONFLICT)
}

func testMetaClaimNotices(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	now := metaEpoch.Add(24 * time.Hour)
	at := func(due time.Duration, state navette.NoticeState) navette.Notice {
		n := m.newNotice(navette.NoticeDeposit, bob, d.ID)
		n.NextAttemptAt = now.Add(due)
		n.State = state
		return n
	}
	stored := m.notices(
		at(-time.Hour, navette.NoticePending),   // 0: due second
		at(0, navette.NoticePending),            // 1: due third, at now exactly
		at(-2*time.Hour, navette.NoticePending), // 2: due first
		at(time.Microsecond, navette.NoticePending),
		at(-3*time.Hour, navette.NoticeSent),
		at(-3*time.Hour, navette.NoticeDead),
	)
	lease := 5 * time.Minute
	claimed, err := m.s.ClaimNotices(m.ctx, now, lease, 2)
	if err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	leased := func(n *navette.Notice, attempts int, until time.Time) *navette.Notice {
		c := metaCloneNotice(n)
		c.Attempts, c.NextAttemptAt = attempts, until
		return c
	}
	until := now.Add(lease)
	metaEqual(t, "ClaimNotices(limit 2)", claimed, []*navette.Notice{leased(stored[2], 1, until), leased(stored[0], 1, until)})
	metaEqual(t, "claimed notice in storage", m.getNotice(stored[2].ID), leased(stored[2], 1, until))

	claimed, err = m.s.ClaimNotices(m.ctx, now, lease, 10)
	if err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	metaEqual(t, "ClaimNotices(rest)", claimed, []*navette.Notice{leased(stored[1], 1, until)})
	claimed, err = m.s.ClaimNotices(m.ctx, now, lease, 10)
	if err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	if len(claimed) != 0 {
		t.Errorf("ClaimNotices while leased: %v", noticeIDs(claimed))
	}

	// When the leases run out, the notices are claimed again, with the one
	// due since.
	later := until
	claimed, err = m.s.ClaimNotices(m.ctx, later, 0, 10)
	if err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	// The three whose leases end together come after the one due since,
	// in the order of their ids.
	again := []*navette.Notice{leased(stored[0], 2, later), leased(stored[1], 2, later), leased(stored[2], 2, later)}
	slices.SortFunc(again, func(a, b *navette.Notice) int { return strings.Compare(a.ID, b.ID) })
	metaEqual(t, "ClaimNotices after the leases", claimed, append([]*navette.Notice{leased(stored[3], 1, later)}, again...))

	_, err = m.s.ClaimNotices(m.ctx, now, lease, 0)
	metaCode(t, "ClaimNotices(limit 0)", err, navette.EINVALID)
	_, err = m.s.ClaimNotices(m.ctx, now, -time.Second, 1)
	metaCode(t, "ClaimNotices(negative lease)", err, navette.EINVALID)
}

func testMetaClaimNoticesConcurrent(t *testing.T, m *metaFixture) {
	const (
		claimers = 8
		total    = 200
	)
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	var all []navette.Notice
	for range total {
		n := m.newNotice(navette.NoticeDeposit, bob, d.ID)
		n.NextAttemptAt = metaEpoch // all due
		all = append(all, n)
	}
	m.notices(all...)
	now := metaEpoch.Add(time.Hour)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]int{}
		errs []error
	)
	for range claimers {
		wg.Go(func() {
			for {
				ns, err := m.s.ClaimNotices(m.ctx, now, time.Hour, 7)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if len(ns) == 0 {
					return
				}
				mu.Lock()
				for _, n := range ns {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("ClaimNotices: %v", err)
	}
	if len(seen) != total {
		t.Errorf("%d notices claimed, want %d", len(seen), total)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("notice %s claimed %d times", id, k)
		}
	}
	for _, n := range all {
		if got := m.getNotice(n.ID); got.Attempts != 1 {
			t.Errorf("notice %s has %d attempts after one claim", n.ID, got.Attempts)
		}
	}
}

func testMetaNoticeSent(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	ns := m.notices(m.newNotice(navette.NoticeDeposit, bob, d.ID), m.newNotice(navette.NoticeDeposit, bob, d.ID))
	if _, err := m.s.ClaimNotices(m.ctx, m.clock.Now(), time.Minute, 10); err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	at := m.now()
	ev := m.event(navette.EventNoticeSent, "", d.ID)
	before := len(m.events(d.ID))
	if err := m.s.NoticeSent(m.ctx, ns[0].ID, at, ev); err != nil {
		t.Fatalf("NoticeSent: %v", err)
	}
	got := m.getNotice(ns[0].ID)
	want := metaCloneNotice(ns[0])
	want.State, want.SentAt, want.Attempts = navette.NoticeSent, at, 1
	want.NextAttemptAt = got.NextAttemptAt // the lease's end, left as it was
	want.Key, want.Payload = navette.WrappedKey{}, nil
	metaEqual(t, "sent notice", got, want)
	if n := len(m.events(d.ID)); n != before+1 {
		t.Errorf("%d events after NoticeSent, want %d", n, before+1)
	}

	// Sent again (a delivery repeated after a crash): recorded once.
	if err := m.s.NoticeSent(m.ctx, ns[0].ID, at.Add(time.Hour), ev); err != nil {
		t.Fatalf("NoticeSent(again): %v", err)
	}
	metaEqual(t, "notice sent twice", m.getNotice(ns[0].ID), want)
	if n := len(m.events(d.ID)); n != before+1 {
		t.Errorf("%d events after a second NoticeSent, want %d", n, before+1)
	}
	// The other notice is untouched.
	other := m.getNotice(ns[1].ID)
	if other.State != navette.NoticePending || other.Payload == nil {
		t.Errorf("other notice after NoticeSent: %+v", other)
	}
	metaCode(t, "NoticeSent(unknown)", m.s.NoticeSent(m.ctx, navette.NewID(), at), navette.ENOTFOUND)
	metaCode(t, "NoticeSent(zero time)", m.s.NoticeSent(m.ctx, ns[1].ID, time.Time{}), navette.EINVALID)
}

func testMetaNoticeFailed(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	n := m.notices(m.newNotice(navette.NoticeDeposit, bob, d.ID))[0]
	now := m.clock.Now()
	claim := func() *navette.Notice {
		t.Helper()
		ns, err := m.s.ClaimNotices(m.ctx, now, time.Minute, 10)
		if err != nil || len(ns) != 1 {
			t.Fatalf("ClaimNotices = %d notices, %v", len(ns), err)
		}
		return ns[0]
	}
	c := claim()
	next := now.Add(30 * time.Second)
	// A claim that is not the last one made cannot record a failure.
	metaCode(t, "NoticeFailed(stale attempt)", m.s.NoticeFailed(m.ctx, n.ID, 0, "x", next, false), navette.ECONFLICT)
	metaCode(t, "NoticeFailed(future attempt)", m.s.NoticeFailed(m.ctx, n.ID, 2, "x", next, false), navette.ECONFLICT)
	if err := m.s.NoticeFailed(m.ctx, n.ID, c.Attempts, "421 try later", next, false); err != nil {
		t.Fatalf("NoticeFailed: %v", err)
	}
	want := metaCloneNotice(n)
	want.Attempts, want.LastError, want.NextAttemptAt = 1, "421 try later", next
	metaEqual(t, "notice after a failure", m.getNotice(n.ID), want)
	metaCode(t, "NoticeFailed(no next time)", m.s.NoticeFailed(m.ctx, n.ID, 1, "x", time.Time{}, false), navette.EINVALID)

	// Not due before next.
	if ns, err := m.s.ClaimNotices(m.ctx, now, time.Minute, 10); err != nil || len(ns) != 0 {
		t.Fatalf("ClaimNotices before the retry time = %d notices, %v", len(ns), err)
	}
	now = next
	c = claim()
	if c.Attempts != 2 {
		t.Errorf("second claim has %d attempts, want 2", c.Attempts)
	}
	ev := m.event(navette.EventNoticeDead, "", d.ID)
	before := len(m.events(d.ID))
	if err := m.s.NoticeFailed(m.ctx, n.ID, 2, "550 no such user", time.Time{}, true, ev); err != nil {
		t.Fatalf("NoticeFailed(dead): %v", err)
	}
	want.Attempts, want.LastError, want.State = 2, "550 no such user", navette.NoticeDead
	want.NextAttemptAt = c.NextAttemptAt // kept when none is given
	metaEqual(t, "dead notice (key and payload kept)", m.getNotice(n.ID), want)
	if got := len(m.events(d.ID)); got != before+1 {
		t.Errorf("%d events after NoticeFailed(dead), want %d", got, before+1)
	}
	if ns, err := m.s.ClaimNotices(m.ctx, now.Add(time.Hour), time.Minute, 10); err != nil || len(ns) != 0 {
		t.Errorf("ClaimNotices returned a dead notice: %d, %v", len(ns), err)
	}
	metaCode(t, "NoticeFailed(dead notice)", m.s.NoticeFailed(m.ctx, n.ID, 2, "x", next, false), navette.ECONFLICT)
	metaCode(t, "NoticeFailed(unknown)", m.s.NoticeFailed(m.ctx, navette.NewID(), 1, "x", next, false), navette.ENOTFOUND)

	// A failure recorded after another delivery sent the notice changes
	// nothing.
	s := m.notices(m.newNotice(navette.NoticeDeposit, bob, d.ID))[0]
	now = m.clock.Now()
	c = claim()
	if err := m.s.NoticeSent(m.ctx, s.ID, now); err != nil {
		t.Fatalf("NoticeSent: %v", err)
	}
	metaCode(t, "NoticeFailed(sent notice)", m.s.NoticeFailed(m.ctx, s.ID, c.Attempts, "late failure", now.Add(time.Minute), false), navette.ECONFLICT)
	if got := m.getNotice(s.ID); got.State != navette.NoticeSent || got.LastError != "" {
		t.Errorf("sent notice after a late failure: state %s, error %q", got.State, got.LastError)
	}
}

func testMetaReplayNotice(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	ns := m.notices(m.newNotice(navette.NoticeDeposit, bob, d.ID), m.newNotice(navette.NoticeReceipt, alice, d.ID))
	dead, pending := ns[0], ns[1]
	now := m.clock.Now()
	c, err := m.s.ClaimNotices(m.ctx, now, time.Minute, 1)
	if err != nil || len(c) != 1 || c[0].ID != dead.ID {
		t.Fatalf("ClaimNotices = %v, %v", c, err)
	}
	if err := m.s.NoticeFailed(m.ctx, dead.ID, 1, "550 rejected", time.Time{}, true); err != nil {
		t.Fatalf("NoticeFailed: %v", err)
	}
	metaCode(t, "ReplayNotice(pending)", m.s.ReplayNotice(m.ctx, pending.ID, now), navette.ECONFLICT)
	metaCode(t, "ReplayNotice(unknown)", m.s.ReplayNotice(m.ctx, navette.NewID(), now), navette.ENOTFOUND)

	replayAt := now.Add(time.Hour)
	ev := m.event(navette.EventNoticeReplayed, alice.ID, d.ID)
	before := len(m.events(d.ID))
	if err := m.s.ReplayNotice(m.ctx, dead.ID, replayAt, ev); err != nil {
		t.Fatalf("ReplayNotice: %v", err)
	}
	want := metaCloneNotice(dead)
	want.NextAttemptAt, want.LastError = replayAt, "550 rejected"
	metaEqual(t, "replayed notice", m.getNotice(dead.ID), want)
	if got := len(m.events(d.ID)); got != before+1 {
		t.Errorf("%d events after ReplayNotice, want %d", got, before+1)
	}
	metaCode(t, "ReplayNotice(again)", m.s.ReplayNotice(m.ctx, dead.ID, replayAt), navette.ECONFLICT)
	c, err = m.s.ClaimNotices(m.ctx, replayAt, time.Minute, 10)
	if err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	if ids := noticeIDs(c); !slices.Contains(ids, dead.ID) {
		t.Errorf("replayed notice not claimed: %v", ids)
	}
	if err := m.s.NoticeSent(m.ctx, dead.ID, replayAt); err != nil {
		t.Fatalf("NoticeSent: %v", err)
	}
	metaCode(t, "ReplayNotice(sent)", m.s.ReplayNotice(m.ctx, dead.ID, replayAt), navette.ECONFLICT)
}

func testMetaNoticesFilter(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d1 := m.deposit(navette.DepositAvailable, alice, bob)
	d2 := m.deposit(navette.DepositAvailable, alice, bob)
	var in []navette.Notice
	for i := range 6 {
		d, u := d1, bob
		if i%2 == 1 {
			d, u = d2, alice
		}
		n := m.newNotice(navette.NoticeDeposit, u, d.ID)
		if i >= 4 {
			n.State = navette.NoticeDead
		}
		in = append(in, n)
	}
	m.notices(in...)
	ids := func(f navette.NoticeFilter) []string {
		t.Helper()
		ns, err := m.s.Notices(m.ctx, f)
		if err != nil {
			t.Fatalf("Notices(%+v): %v", f, err)
		}
		return noticeIDs(ns)
	}
	id := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, in[i].ID)
		}
		return out
	}
	metaEqual(t, "Notices()", ids(navette.NoticeFilter{}), id(0, 1, 2, 3, 4, 5))
	metaEqual(t, "Notices(dead)", ids(navette.NoticeFilter{State: navette.NoticeDead}), id(4, 5))
	metaEqual(t, "Notices(pending)", ids(navette.NoticeFilter{State: navette.NoticePending}), id(0, 1, 2, 3))
	metaEqual(t, "Notices(d2)", ids(navette.NoticeFilter{DepositID: d2.ID}), id(1, 3, 5))
	metaEqual(t, "Notices(to bob, dead)", ids(navette.NoticeFilter{UserID: bob.ID, State: navette.NoticeDead}), id(4))
	metaEqual(t, "Notices(limit 2)", ids(navette.NoticeFilter{Limit: 2}), id(0, 1))
	metaEqual(t, "Notices(sent)", ids(navette.NoticeFilter{State: navette.NoticeSent}), []string{})
	_, err := m.s.Notices(m.ctx, navette.NoticeFilter{Limit: -1})
	metaCode(t, "Notices(negative limit)", err, navette.EINVALID)
	_, err = m.s.Notices(m.ctx, navette.NoticeFilter{State: "lost"})
	metaCode(t, "Notices(unknown state)", err, navette.EINVALID)

	// The default limit is 100.
	var more []navette.Notice
	for range 101 {
		more = append(more, m.newNotice(navette.NoticeReminder, bob, d1.ID))
	}
	m.notices(more...)
	if got := len(ids(navette.NoticeFilter{})); got != 100 {
		t.Errorf("Notices() = %d notices, want 100", got)
	}
}
