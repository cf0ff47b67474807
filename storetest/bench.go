package storetest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"navette"
)

// BenchInbox lists the first page of two inboxes on a platform of 100,000
// available deposits: a busy lawyer's, who received 10,000 of them, and a
// quiet one's, who received 3. Both must stay fast: the quiet inbox must
// not cost a walk through everybody's deposits. It reports the 95th
// percentile of each, and their ratio to a lookup of one deposit by id
// measured in the same run (the baseline). s must be empty. analyze, if
// set, runs once the deposits are made: PostgreSQL's ANALYZE, which
// autovacuum runs in production after such a load, so that the planner
// knows the tables as it would there.
func BenchInbox(b *testing.B, s navette.MetaStore, analyze func() error) {
	const total, busyShare = 100_000, 10
	ctx := b.Context()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name string, role navette.Role) *navette.User {
		u := &navette.User{ID: navette.NewID(), Email: name + "@bench.example", Name: name, Role: role, CreatedAt: at}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		return u
	}
	sender, busy, quiet := mk("greffe", navette.RoleAgent), mk("busy", navette.RolePartner), mk("quiet", navette.RolePartner)
	others := make([]*navette.User, 200)
	for i := range others {
		others[i] = mk("other"+strconv.Itoa(i), navette.RolePartner)
	}
	start := time.Now()
	var oneID string
	for i := range total {
		to := others[i%len(others)]
		switch {
		case i%busyShare == 0:
			to = busy
		case i == total/3 || i == total/2+1 || i == total-7:
			to = quiet
		}
		at = at.Add(time.Second)
		d := &navette.DepositRecord{ID: navette.NewID(), SenderID: sender.ID, State: navette.DepositAvailable, RetentionDays: 30,
			Key: navette.WrappedKey{KeyID: "k", Data: []byte{1}}, Reference: []byte{1}, CreatedAt: at, SubmittedAt: at, AvailableAt: at,
			ExpiresAt: at.Add(30 * 24 * time.Hour), Recipients: []navette.Recipient{{UserID: to.ID}}}
		if err := s.CreateDeposit(ctx, d); err != nil {
			b.Fatal(err)
		}
		oneID = d.ID
	}
	b.Logf("%d deposits made in %s", total, time.Since(start).Round(time.Second))
	if analyze != nil {
		if err := analyze(); err != nil {
			b.Fatal(err)
		}
	}
	var baseline time.Duration
	for _, c := range []struct {
		name string
		u    *navette.User
		want int
	}{{"baseline-one-deposit", nil, 1}, {"busy", busy, 51}, {"quiet", quiet, 3}} {
		b.Run(c.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				n := 1
				if c.u == nil {
					if _, err := s.Deposit(ctx, oneID); err != nil {
						b.Fatal(err)
					}
				} else {
					ds, err := s.ListDeposits(ctx, navette.DepositFilter{UserID: c.u.ID, Box: navette.BoxInbox, Limit: 51})
					if err != nil {
						b.Fatal(err)
					}
					n = len(ds)
				}
				times = append(times, time.Since(t0))
				if n != c.want {
					b.Fatalf("%s: %d deposits, want %d", c.name, n, c.want)
				}
			}
			slices.Sort(times)
			p95 := times[len(times)*95/100]
			b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
			if c.u == nil {
				baseline = p95
			} else if baseline > 0 {
				b.ReportMetric(float64(p95)/float64(baseline), "x-baseline")
			}
		})
	}
}
