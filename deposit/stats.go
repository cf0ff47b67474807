package deposit

import (
	"cmp"
	"context"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Paris whatever the host has

	"navette"
)

// Stats are the figures of the months an admin may see, as the store
// counted them, with the names of the courts they mention.
type Stats struct {
	// Periods are the months counted, oldest first.
	Periods []navette.Period
	navette.Activity
	// Scope is the name of the court counted; "" for the whole platform.
	Scope string
	// CountedAt is when the store counted them: figures that took long to
	// count are kept for StatsKeep (see Service.Stats).
	CountedAt time.Time
	// courts names each court by its id.
	courts map[string]string
}

// Stats groups of senders of no court.
const (
	StatsPartners = "partenaires"        // partners
	StatsNoCourt  = "(sans juridiction)" // staff of no court
)

// StatsMonths is how many months Stats counts, the current one included.
const StatsMonths = 12

// StatsTop is how many partner organisations Stats ranks.
const StatsTop = 10

// Group names the group of senders a row counts: its court's name, or
// StatsPartners or StatsNoCourt.
func (s *Stats) Group(r navette.ActivityRow) string {
	switch {
	case r.CourtID != "":
		return cmp.Or(s.courts[r.CourtID], r.CourtID)
	case r.Partners:
		return StatsPartners
	}
	return StatsNoCourt
}

// Month sums the rows of one month.
func (s *Stats) Month(label string) navette.ActivityRow {
	sum := navette.ActivityRow{Month: label}
	for _, r := range s.Rows {
		if r.Month == label {
			sum.Deposits += r.Deposits
			sum.Files += r.Files
			sum.Bytes += r.Bytes
		}
	}
	return sum
}

// NoticesOf returns the notice counts of one month.
func (s *Stats) NoticesOf(label string) navette.NoticeMonth {
	for _, n := range s.Notices {
		if n.Month == label {
			return n
		}
	}
	return navette.NoticeMonth{Month: label}
}

// paris is where months begin and end for Stats.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("deposit: no Europe/Paris time zone: " + err.Error())
	}
	return loc
}()

// LastMonths returns the n calendar months in Europe/Paris that end with
// the one now falls in, oldest first.
func LastMonths(now time.Time, n int) []navette.Period {
	now = now.In(paris)
	first := time.Date(now.Year(), now.Month()-time.Month(n-1), 1, 0, 0, 0, 0, paris)
	ps := make([]navette.Period, n)
	for i := range ps {
		start := first.AddDate(0, i, 0)
		ps[i] = navette.Period{Label: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
	}
	return ps
}

// Stats counts the last StatsMonths months that actor may see: the whole
// platform's for a platform admin, their court's for a court admin (its
// senders' deposits and the notices about them). Returns EFORBIDDEN for
// anyone else, a court admin without a court included, EUNAVAILABLE if the store cannot count.
//
// Visits at once share one count. Figures that took StatsSlow or more to
// count (the platform's, at national scale, take tens of seconds) are kept
// for StatsKeep, so that admins opening the page do not count them again
// each time; quicker ones are counted at each visit.
func (s *Service) Stats(ctx context.Context, actor *navette.User) (*Stats, error) {
	courtID := ""
	switch {
	case actor != nil && actor.Role == navette.RoleAdmin:
	case actor != nil && actor.Role == navette.RoleCourtAdmin && actor.CourtID != "":
		courtID = actor.CourtID
	default:
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only administrators see the statistics.")
	}
	as, ok := s.Meta.(navette.ActivityStore)
	if !ok {
		return nil, navette.Errorf(navette.EUNAVAILABLE, "This store does not count statistics.")
	}
	return s.stats.get(ctx, courtID, s.Clock, func(ctx context.Context) (*Stats, error) {
		return s.countStats(ctx, as, courtID)
	})
}

func (s *Service) countStats(ctx context.Context, as navette.ActivityStore, courtID string) (*Stats, error) {
	now := s.Clock.Now()
	st := &Stats{Periods: LastMonths(now, StatsMonths), courts: map[string]string{}}
	a, err := as.Activity(ctx, navette.ActivityFilter{Periods: st.Periods, CourtID: courtID, Top: StatsTop, Now: now})
	if err != nil {
		return nil, err
	}
	st.Activity = *a
	cs, err := s.Meta.Courts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		st.courts[c.ID] = c.Name
	}
	if courtID != "" {
		st.Scope = cmp.Or(st.courts[courtID], courtID)
	}
	st.CountedAt = now
	return st, nil
}

// How long counted statistics are kept.
const (
	StatsSlow = time.Second      // counts that took this long or more are kept
	StatsKeep = 10 * time.Minute // for this long
)

// statsCache shares one count of each scope between the visits that ask at
// once, and keeps the slow ones for StatsKeep. Its zero value is ready.
type statsCache struct {
	mu sync.Mutex
	by map[string]*statsCount
}

type statsCount struct {
	done chan struct{}
	st   *Stats
	err  error
	keep bool // took StatsSlow or more
}

func (c *statsCache) get(ctx context.Context, scope string, clock navette.Clock, count func(context.Context) (*Stats, error)) (*Stats, error) {
	c.mu.Lock()
	e := c.by[scope]
	if e == nil || e.stale(clock.Now()) {
		e = &statsCount{done: make(chan struct{})}
		if c.by == nil {
			c.by = map[string]*statsCount{}
		}
		c.by[scope] = e
		go c.fill(context.WithoutCancel(ctx), e, count)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.st, e.err
	case <-ctx.Done():
		return nil, navette.WrapError(navette.EUNAVAILABLE, ctx.Err(), "The statistics are still being counted: try again shortly.")
	}
}

// stale reports whether a count must be made again: one in progress is
// shared, a failed or quick one is not kept, a slow one is kept StatsKeep.
func (e *statsCount) stale(now time.Time) bool {
	select {
	case <-e.done:
	default:
		return false
	}
	return e.err != nil || !e.keep || now.Sub(e.st.CountedAt) >= StatsKeep
}

// fill counts once, on a context of its own so that a visitor who leaves
// does not waste the count the others wait for.
func (c *statsCache) fill(ctx context.Context, e *statsCount, count func(context.Context) (*Stats, error)) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	start := time.Now()
	e.st, e.err = count(ctx)
	e.keep = time.Since(start) >= StatsSlow
	close(e.done)
}
