package storetest

import (
	"sync"
	"testing"
	"time"

	"navette"
)

// testMetaDownloadClaims: ClaimDownload counts the downloads recorded and
// the claims still running of one deposit, file and user against the cap;
// a claim ends when released, when its download's event is appended with
// it in the context, or when it expires, and only then.
func testMetaDownloadClaims(t *testing.T, m *metaFixture) {
	sender, bob, carol := m.user("sender"), m.user("bob"), m.user("carol")
	d := m.deposit(navette.DepositDraft, sender, bob, carol)
	f, g := m.file(d), m.file(d)
	now := m.clock.Now()
	claim := func(name string, u *navette.User, file *navette.FileRecord, max int, at time.Time, want bool) string {
		t.Helper()
		id, err := m.s.ClaimDownload(m.ctx, d.ID, file.ID, u.ID, max, at, at.Add(time.Minute))
		if err != nil || (id != "") != want {
			t.Fatalf("%s: ClaimDownload = %q, %v; want a claim: %v", name, id, err, want)
		}
		return id
	}
	downloaded := func(name, claimID string, u *navette.User, file *navette.FileRecord) {
		t.Helper()
		e := m.event(navette.EventFileDownloaded, u.ID, d.ID)
		e.FileID = file.ID
		if err := m.s.AppendEvents(navette.NewContextWithDownloadClaim(m.ctx, claimID), e); err != nil {
			t.Fatalf("%s: AppendEvents: %v", name, err)
		}
	}
	release := func(id string) {
		t.Helper()
		if err := m.s.ReleaseDownloadClaim(m.ctx, id); err != nil {
			t.Fatalf("ReleaseDownloadClaim: %v", err)
		}
	}

	a := claim("first of two", bob, f, 2, now, true)
	b := claim("second of two", bob, f, 2, now, true)
	claim("third of two", bob, f, 2, now, false)
	claim("another person", carol, f, 2, now, true)
	claim("another file", bob, g, 1, now, true)
	release(a)
	release(a)
	c := claim("after a release", bob, f, 2, now, true)
	downloaded("recorded", b, bob, f)
	claim("one recorded, one running", bob, f, 2, now, false)
	downloaded("recorded without its claim", "", bob, g)
	release(c)
	claim("the recorded one counts once", bob, f, 2, now, true)
	claim("cap reached again", bob, f, 2, now, false)
	claim("all of them expired", bob, f, 2, now.Add(2*time.Minute), true)
	claim("recorded ones never expire", bob, f, 1, now.Add(time.Hour), false)

	// A claim in the context ends only with the download of its own file
	// and person.
	h := m.file(d)
	x := claim("before a foreign event", carol, h, 1, now, true)
	downloaded("another file's download", x, carol, g)
	claim("still claimed", carol, h, 1, now, false)

	for _, tc := range []struct {
		name      string
		deposit   string
		max       int
		at, until time.Time
		code      string
	}{
		{"no cap", d.ID, 0, now, now.Add(time.Minute), navette.EINVALID},
		{"expired at once", d.ID, 1, now, now, navette.EINVALID},
		{"no such deposit", navette.NewID(), 1, now, now.Add(time.Minute), navette.ENOTFOUND},
	} {
		if _, err := m.s.ClaimDownload(m.ctx, tc.deposit, f.ID, bob.ID, tc.max, tc.at, tc.until); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}

// testMetaDownloadClaimsConcurrent: of ten claims at once under a cap of
// one, exactly one is granted.
func testMetaDownloadClaimsConcurrent(t *testing.T, m *metaFixture) {
	sender, bob := m.user("sender"), m.user("bob")
	d := m.deposit(navette.DepositDraft, sender, bob)
	f := m.file(d)
	now := m.clock.Now()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		granted int
	)
	for range 10 {
		wg.Go(func() {
			id, err := m.s.ClaimDownload(m.ctx, d.ID, f.ID, bob.ID, 1, now, now.Add(time.Minute))
			if err != nil {
				t.Errorf("ClaimDownload: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if id != "" {
				granted++
			}
		})
	}
	wg.Wait()
	if granted != 1 {
		t.Errorf("%d claims granted at once under a cap of 1, want 1", granted)
	}
}

// testMetaDownloadClaimRenewal: a claim extended before it expires keeps
// its place under the cap past its first expiry, until the new one; a
// claim that expired, was released or was recorded is not extended, nor
// brought back.
func testMetaDownloadClaimRenewal(t *testing.T, m *metaFixture) {
	sender, bob := m.user("sender"), m.user("bob")
	d := m.deposit(navette.DepositDraft, sender, bob)
	f := m.file(d)
	now := m.clock.Now()
	claim := func(name string, at time.Time, want bool) string {
		t.Helper()
		id, err := m.s.ClaimDownload(m.ctx, d.ID, f.ID, bob.ID, 1, at, at.Add(time.Minute))
		if err != nil || (id != "") != want {
			t.Fatalf("%s: ClaimDownload = %q, %v; want a claim: %v", name, id, err, want)
		}
		return id
	}
	extend := func(name, id string, at, until time.Time, want bool) {
		t.Helper()
		if ok, err := m.s.ExtendDownloadClaim(m.ctx, id, at, until); err != nil || ok != want {
			t.Fatalf("%s: ExtendDownloadClaim = %v, %v; want %v", name, ok, err, want)
		}
	}

	a := claim("first", now, true)
	extend("before it expires", a, now.Add(30*time.Second), now.Add(2*time.Minute), true)
	claim("past its first expiry", now.Add(90*time.Second), false)
	extend("expired", a, now.Add(2*time.Minute), now.Add(3*time.Minute), false)
	b := claim("once the extension expired", now.Add(2*time.Minute), true)
	if err := m.s.ReleaseDownloadClaim(m.ctx, b); err != nil {
		t.Fatal(err)
	}
	extend("released", b, now.Add(2*time.Minute), now.Add(3*time.Minute), false)
	extend("never was", navette.NewID(), now, now.Add(time.Minute), false)
	c := claim("after the release", now.Add(2*time.Minute), true)
	e := m.event(navette.EventFileDownloaded, bob.ID, d.ID)
	e.FileID = f.ID
	if err := m.s.AppendEvents(navette.NewContextWithDownloadClaim(m.ctx, c), e); err != nil {
		t.Fatal(err)
	}
	extend("recorded", c, now.Add(2*time.Minute), now.Add(3*time.Minute), false)
	if _, err := m.s.ExtendDownloadClaim(m.ctx, a, now, now); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("extended to now: %v, want EINVALID", err)
	}
}
