package deposit

import (
	"cmp"
	"context"
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
// anyone else, EUNAVAILABLE if the store cannot count.
func (s *Service) Stats(ctx context.Context, actor *navette.User) (*Stats, error) {
	courtID := ""
	switch {
	case actor != nil && actor.Role == navette.RoleAdmin:
	case actor != nil && actor.Role == navette.RoleCourtAdmin:
		courtID = actor.CourtID
	default:
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only administrators see the statistics.")
	}
	as, ok := s.Meta.(navette.ActivityStore)
	if !ok {
		return nil, navette.Errorf(navette.EUNAVAILABLE, "This store does not count statistics.")
	}
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
	return st, nil
}
