package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"navette"
)

// activityParis is where the suite's months begin and end.
var activityParis = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// activityMonths returns the Paris months of 2025 from first to last.
func activityMonths(first, last time.Month) []navette.Period {
	var ps []navette.Period
	for mo := first; mo <= last; mo++ {
		start := time.Date(2025, mo, 1, 0, 0, 0, 0, activityParis)
		ps = append(ps, navette.Period{Label: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)})
	}
	return ps
}

// activityDeposit is a deposit of the suite's known data.
type activityDeposit struct {
	sender     *navette.User
	recipients []*navette.User
	at         time.Time       // submitted and made available
	retention  int             // days
	sizes      []int64         // stored files
	rejected   int64           // size of a rejected file, if not 0
	downloads  []time.Duration // each recipient's first download after at, 0 for none
	revoked    bool
	draft      bool // left a draft
}

// activityAdd stores d: a draft with its files, then submitted and made
// available at d.at, downloaded as d.downloads say.
func (m *metaFixture) activityAdd(d activityDeposit) *navette.DepositRecord {
	m.t.Helper()
	rec := m.newDeposit(d.sender, d.recipients...)
	if err := m.s.CreateDeposit(m.ctx, rec); err != nil {
		m.t.Fatalf("CreateDeposit: %v", err)
	}
	for _, size := range d.sizes {
		f := m.newFile(rec)
		f.Size = size
		if err := m.s.CreateFile(m.ctx, f, 100); err != nil {
			m.t.Fatalf("CreateFile: %v", err)
		}
	}
	if d.rejected > 0 {
		f := m.newFile(rec)
		f.Size, f.State = d.rejected, navette.FileRejected
		if err := m.s.CreateFile(m.ctx, f, 100); err != nil {
			m.t.Fatalf("CreateFile(rejected): %v", err)
		}
	}
	if d.draft {
		return rec
	}
	first := map[string]time.Duration{}
	for i, r := range d.recipients {
		if i < len(d.downloads) && d.downloads[i] > 0 {
			first[r.ID] = d.downloads[i]
		}
	}
	err := m.s.UpdateDeposit(m.ctx, rec.ID, func(got *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		got.State, got.RetentionDays = navette.DepositAvailable, d.retention
		got.SubmittedAt, got.AvailableAt = d.at, d.at
		got.ExpiresAt = d.at.AddDate(0, 0, d.retention)
		if d.revoked {
			got.State, got.RevokedAt = navette.DepositRevoked, d.at.Add(time.Hour)
		}
		for i := range got.Recipients {
			if delay, ok := first[got.Recipients[i].UserID]; ok {
				got.Recipients[i].FirstDownloadAt, got.Recipients[i].FirstDownloadBy = d.at.Add(delay), got.Recipients[i].UserID
			}
		}
		return nil, nil
	})
	if err != nil {
		m.t.Fatalf("UpdateDeposit: %v", err)
	}
	return rec
}

// activityData is the suite's known data: two courts, their clerks, a
// partner and a staff member of no court as senders, and lawyers of two
// firms as recipients.
type activityData struct {
	amiens, lille *navette.Court
}

// activityFill stores the known data whose figures testMetaActivity
// expects; see the comments for the figures each deposit adds.
func (m *metaFixture) activityFill() activityData {
	amiens, lille := m.court("TJ-AMIENS", "TJ Amiens"), m.court("TJ-LILLE", "TJ Lille")
	clerkA := m.person("Greffier Amiens", navette.RoleAgent, inCourt(amiens.ID))
	clerkL := m.person("Greffier Lille", navette.RoleAgent, inCourt(lille.ID))
	staff := m.person("Agent Central", navette.RoleAgent)
	org := func(name string) func(u *navette.User) { return func(u *navette.User) { u.Org = name } }
	sender := m.person("Expert Libre", navette.RolePartner)
	x := m.person("Avocat Un", navette.RolePartner, org("Cabinet Martin"))
	y := m.person("Avocat Deux", navette.RolePartner, org("Cabinet Martin"))
	z := m.person("Avocat Trois", navette.RolePartner, org("SCP Durand"))
	utc := func(mo time.Month, day, hour, minute int) time.Time {
		return time.Date(2025, mo, day, hour, minute, 0, 0, time.UTC)
	}
	h := time.Hour
	// Outside the span: March 2025 in Paris.
	m.activityAdd(activityDeposit{sender: clerkA, recipients: []*navette.User{z}, at: utc(time.March, 20, 10, 0), retention: 7, sizes: []int64{4000}, downloads: []time.Duration{h}})
	// April, Amiens: 2 deposits, 3 files, 1,300 bytes; fetched after 30 min (the earlier of two) and 48 h.
	amiensDeposit := m.activityAdd(activityDeposit{sender: clerkA, recipients: []*navette.User{x, y}, at: utc(time.April, 10, 9, 0), retention: 7, sizes: []int64{100, 200}, rejected: 999, downloads: []time.Duration{h, h / 2}})
	m.activityAdd(activityDeposit{sender: clerkA, recipients: []*navette.User{z}, at: utc(time.April, 20, 9, 0), retention: 7, sizes: []int64{1000}, downloads: []time.Duration{48 * h}})
	// May 1st, 00:00 in Paris, Amiens: 1 deposit, 1 file, 1 byte; never fetched, ended.
	m.activityAdd(activityDeposit{sender: clerkA, recipients: []*navette.User{staff}, at: utc(time.April, 30, 22, 0), retention: 7, sizes: []int64{1}})
	// May, Lille: 2 deposits, 4 files, 110 bytes; one never fetched (ended), one after 240 h.
	lilleDeposit := m.activityAdd(activityDeposit{sender: clerkL, recipients: []*navette.User{z}, at: utc(time.May, 2, 9, 0), retention: 7, sizes: []int64{50}})
	m.activityAdd(activityDeposit{sender: clerkL, recipients: []*navette.User{x}, at: utc(time.May, 5, 9, 0), retention: 25, sizes: []int64{10, 20, 30}, downloads: []time.Duration{240 * h}})
	// May, partners: 1 deposit, 1 file, 7 bytes; fetched after 480 h, not ended.
	m.activityAdd(activityDeposit{sender: sender, recipients: []*navette.User{staff}, at: utc(time.May, 10, 9, 0), retention: 30, sizes: []int64{7}, downloads: []time.Duration{480 * h}})
	// May, staff of no court: 1 deposit, 1 file, 5 bytes; revoked, so not ended.
	m.activityAdd(activityDeposit{sender: staff, recipients: []*navette.User{z}, at: utc(time.May, 15, 9, 0), retention: 7, sizes: []int64{5}, revoked: true})
	// A draft counts nowhere.
	m.activityAdd(activityDeposit{sender: clerkA, recipients: []*navette.User{x}, sizes: []int64{10_000}, draft: true})
	m.activityNotices(x, staff, amiensDeposit.ID, lilleDeposit.ID, utc(time.April, 12, 9, 0), utc(time.May, 3, 9, 0), utc(time.May, 31, 22, 30))
	return activityData{amiens: amiens, lille: lille}
}

// activityNotices queues and settles the suite's notices: in April a
// reminder sent and a dead notice about an Amiens deposit; in May a
// reminder sent and a dead notice about a Lille deposit, a dead sign-in
// code, and a pending reminder; in June in Paris a dead reminder.
func (m *metaFixture) activityNotices(u, staff *navette.User, amiensDeposit, lilleDeposit string, april, may, june time.Time) {
	m.t.Helper()
	at := func(t time.Time) { m.clock.Advance(t.Sub(m.clock.Now())) }
	type settle struct {
		n    navette.Notice
		dead bool
		sent bool
	}
	var all []settle
	at(april)
	all = append(all,
		settle{n: m.newNotice(navette.NoticeReminder, u, amiensDeposit), sent: true},
		settle{n: m.newNotice(navette.NoticeDeposit, u, amiensDeposit), dead: true})
	at(may)
	all = append(all,
		settle{n: m.newNotice(navette.NoticeReminder, u, lilleDeposit), sent: true},
		settle{n: m.newNotice(navette.NoticeDeposit, u, lilleDeposit), dead: true},
		settle{n: m.newNotice(navette.NoticeSignInCode, staff, ""), dead: true},
		settle{n: m.newNotice(navette.NoticeReminder, u, lilleDeposit)})
	at(june)
	all = append(all, settle{n: m.newNotice(navette.NoticeReminder, u, amiensDeposit), dead: true})
	ns := make([]navette.Notice, len(all))
	for i := range all {
		ns[i] = all[i].n
	}
	m.notices(ns...)
	if _, err := m.s.ClaimNotices(m.ctx, m.now(), time.Minute, 100); err != nil {
		m.t.Fatalf("ClaimNotices: %v", err)
	}
	for _, s := range all {
		var err error
		switch {
		case s.sent:
			err = m.s.NoticeSent(m.ctx, s.n.ID, m.now())
		case s.dead:
			err = m.s.NoticeFailed(m.ctx, s.n.ID, 1, "550 no such user", m.now(), true)
		}
		if err != nil {
			m.t.Fatalf("settle notice %s: %v", s.n.Kind, err)
		}
	}
}

func testMetaActivity(t *testing.T, m *metaFixture) {
	as, ok := m.s.(navette.ActivityStore)
	if !ok {
		t.Fatalf("%T does not implement navette.ActivityStore", m.s)
	}
	span := activityMonths(time.April, time.May)
	now := time.Date(2025, time.June, 5, 0, 0, 0, 0, time.UTC)
	if _, err := as.Activity(m.ctx, navette.ActivityFilter{Now: now}); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("Activity with no period: %v, want EINVALID", err)
	}
	a, err := as.Activity(m.ctx, navette.ActivityFilter{Periods: span, Now: now, Top: 10})
	if err != nil {
		t.Fatalf("Activity of an empty store: %v", err)
	}
	if fmt.Sprintf("%+v", *a) != fmt.Sprintf("%+v", navette.Activity{}) {
		t.Errorf("Activity of an empty store = %+v, want nothing", *a)
	}

	data := m.activityFill()
	amiens, lille := data.amiens.ID, data.lille.ID
	// The local operator acted in March (out of the span), April and May.
	for _, day := range []time.Time{
		time.Date(2025, time.March, 10, 9, 0, 0, 0, time.UTC),
		time.Date(2025, time.April, 10, 9, 0, 0, 0, time.UTC),
		time.Date(2025, time.May, 10, 9, 0, 0, 0, time.UTC),
	} {
		ev := navette.Event{Time: day, Type: navette.EventSettingsChanged, ActorID: navette.LocalOperator, Detail: "max_files=3"}
		if err := m.s.AppendEvents(m.ctx, ev); err != nil {
			t.Fatalf("AppendEvents as the local operator: %v", err)
		}
	}
	rows := []navette.ActivityRow{
		{Month: "2025-04", CourtID: amiens, Deposits: 2, Files: 3, Bytes: 1300},
		{Month: "2025-05", Deposits: 1, Files: 1, Bytes: 5},
		{Month: "2025-05", Partners: true, Deposits: 1, Files: 1, Bytes: 7},
		{Month: "2025-05", CourtID: amiens, Deposits: 1, Files: 1, Bytes: 1},
		{Month: "2025-05", CourtID: lille, Deposits: 2, Files: 4, Bytes: 110},
	}
	slices.SortStableFunc(rows, func(p, q navette.ActivityRow) int {
		return cmp.Or(cmp.Compare(p.Month, q.Month), cmp.Compare(p.CourtID, q.CourtID))
	})
	h := time.Hour
	for _, tc := range []struct {
		name  string
		f     navette.ActivityFilter
		wants navette.Activity
	}{{
		name: "platform",
		f:    navette.ActivityFilter{Periods: span, Now: now, Top: 10},
		wants: navette.Activity{
			Rows:    rows,
			Notices: []navette.NoticeMonth{{Month: "2025-04", Reminders: 1, Dead: 1}, {Month: "2025-05", Reminders: 1, Dead: 2}},
			Delays: navette.Delays{Available: 7, Fetched: 4, Ended: 5, Unfetched: 2,
				Median: 144 * h, P90: 408 * h, Buckets: [5]int64{1, 1, 0, 1, 1}},
			Orgs:          []navette.OrgVolume{{Org: "SCP Durand", Deposits: 3, Bytes: 1055}, {Org: "Cabinet Martin", Deposits: 2, Bytes: 360}},
			LocalOperator: 2,
		},
	}, {
		name: "Amiens",
		f:    navette.ActivityFilter{Periods: span, Now: now, Top: 10, CourtID: amiens},
		wants: navette.Activity{
			Rows: []navette.ActivityRow{
				{Month: "2025-04", CourtID: amiens, Deposits: 2, Files: 3, Bytes: 1300},
				{Month: "2025-05", CourtID: amiens, Deposits: 1, Files: 1, Bytes: 1},
			},
			Notices: []navette.NoticeMonth{{Month: "2025-04", Reminders: 1, Dead: 1}},
			Delays: navette.Delays{Available: 3, Fetched: 2, Ended: 3, Unfetched: 1,
				Median: 24*h + 15*time.Minute, P90: 43*h + 15*time.Minute, Buckets: [5]int64{1, 1, 0, 0, 0}},
			Orgs: []navette.OrgVolume{{Org: "SCP Durand", Deposits: 1, Bytes: 1000}, {Org: "Cabinet Martin", Deposits: 1, Bytes: 300}},
		},
	}, {
		name: "Lille, top 1",
		f:    navette.ActivityFilter{Periods: span, Now: now, Top: 1, CourtID: lille},
		wants: navette.Activity{
			Rows:    []navette.ActivityRow{{Month: "2025-05", CourtID: lille, Deposits: 2, Files: 4, Bytes: 110}},
			Notices: []navette.NoticeMonth{{Month: "2025-05", Reminders: 1, Dead: 1}},
			Delays: navette.Delays{Available: 2, Fetched: 1, Ended: 2, Unfetched: 1,
				Median: 240 * h, P90: 240 * h, Buckets: [5]int64{0, 0, 0, 1, 0}},
			Orgs: []navette.OrgVolume{{Org: "Cabinet Martin", Deposits: 1, Bytes: 60}},
		},
	}, {
		name: "May only, no ranking",
		f:    navette.ActivityFilter{Periods: span[1:], Now: now},
		wants: navette.Activity{
			Rows:    rows[1:],
			Notices: []navette.NoticeMonth{{Month: "2025-05", Reminders: 1, Dead: 2}},
			Delays: navette.Delays{Available: 5, Fetched: 2, Ended: 3, Unfetched: 2,
				Median: 360 * h, P90: 456 * h, Buckets: [5]int64{0, 0, 0, 1, 1}},
			LocalOperator: 1,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := as.Activity(m.ctx, tc.f)
			if err != nil {
				t.Fatalf("Activity: %v", err)
			}
			if g, w := fmt.Sprintf("%+v", got.Rows), fmt.Sprintf("%+v", tc.wants.Rows); g != w {
				t.Errorf("Rows:\n got %s\nwant %s", g, w)
			}
			if g, w := fmt.Sprintf("%+v", got.Notices), fmt.Sprintf("%+v", tc.wants.Notices); g != w {
				t.Errorf("Notices:\n got %s\nwant %s", g, w)
			}
			if got.Delays != tc.wants.Delays {
				t.Errorf("Delays:\n got %+v\nwant %+v", got.Delays, tc.wants.Delays)
			}
			if g, w := fmt.Sprintf("%+v", got.Orgs), fmt.Sprintf("%+v", tc.wants.Orgs); g != w {
				t.Errorf("Orgs:\n got %s\nwant %s", g, w)
			}
			if got.LocalOperator != tc.wants.LocalOperator {
				t.Errorf("LocalOperator: got %d, want %d", got.LocalOperator, tc.wants.LocalOperator)
			}
		})
	}
}
