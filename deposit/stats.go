package deposit

import (
	"context"
	"slices"
	"sort"
	"time"
	_ "time/tzdata" // Europe/Paris whatever the host has

	"navette"
)

// Stats are the platform's figures per month and court, from the journal.
type Stats struct {
	Months     []string // "2026-11", oldest first, in Europe/Paris
	Courts     []string // court names, in order
	Deposits   map[string]map[string]int
	Bytes      map[string]map[string]int64
	Available  int
	Downloaded int
	// Delays are the times from availability to first download, sorted.
	Delays []time.Duration
}

// Stats groups of senders of no court.
const (
	StatsPartners = "partenaires"        // partners
	StatsNoCourt  = "(sans juridiction)" // staff of no court
)

// Median returns the median delay to the first download.
func (s *Stats) Median() time.Duration {
	if len(s.Delays) == 0 {
		return 0
	}
	return s.Delays[len(s.Delays)/2]
}

// Buckets returns how many first downloads came within each of: a day,
// 3 days, a week, two weeks, and later.
func (s *Stats) Buckets() []int {
	limits := []time.Duration{24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}
	out := make([]int, len(limits)+1)
	for _, d := range s.Delays {
		i := sort.Search(len(limits), func(i int) bool { return d < limits[i] })
		out[i]++
	}
	return out
}

// maxStatsEvents bounds the journal Stats reads.
const maxStatsEvents = 1_000_000

// paris is where months begin and end for Stats.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("deposit: no Europe/Paris time zone: " + err.Error())
	}
	return loc
}()

// Stats reads the journal into the figures actor may see: the whole
// platform's for a platform admin, their court's for a court admin (its
// senders' deposits). Returns EFORBIDDEN for anyone else.
func (s *Service) Stats(ctx context.Context, actor *navette.User) (*Stats, error) {
	courtID := ""
	switch {
	case actor != nil && actor.Role == navette.RoleAdmin:
	case actor != nil && actor.Role == navette.RoleCourtAdmin:
		courtID = actor.CourtID
	default:
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only administrators see the statistics.")
	}
	st := &Stats{Deposits: map[string]map[string]int{}, Bytes: map[string]map[string]int64{}}
	depCourt := map[string]string{}  // deposit id → court name
	depBytes := map[string]int64{}   // deposit id → bytes stored
	depSender := map[string]string{} // deposit id → sender
	available := map[string]time.Time{}
	first := map[string]bool{}
	court := s.senderCourts(ctx, courtID)
	seen := map[string]bool{}
	var after int64
	for n := 0; n < maxStatsEvents; {
		evs, err := s.Meta.Events(ctx, navette.EventFilter{AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		n += len(evs)
		for _, e := range evs {
			after = e.Seq
			switch e.Type {
			case navette.EventFileStored:
				depBytes[e.DepositID] += e.Size
			case navette.EventDepositSubmitted:
				c := court(e.ActorID)
				depSender[e.DepositID] = e.ActorID
				if c == "-" {
					continue
				}
				depCourt[e.DepositID] = c
				m := e.Time.In(paris).Format("2006-01")
				if !seen[m] {
					seen[m] = true
					st.Months = append(st.Months, m)
				}
				if st.Deposits[m] == nil {
					st.Deposits[m], st.Bytes[m] = map[string]int{}, map[string]int64{}
				}
				st.Deposits[m][c]++
				st.Bytes[m][c] += depBytes[e.DepositID]
			case navette.EventDepositAvailable:
				if _, ok := depCourt[e.DepositID]; ok {
					available[e.DepositID] = e.Time
					st.Available++
				}
			case navette.EventFileDownloaded:
				at, ok := available[e.DepositID]
				if !ok || first[e.DepositID] || e.ActorID == depSender[e.DepositID] {
					continue
				}
				first[e.DepositID] = true
				st.Downloaded++
				st.Delays = append(st.Delays, e.Time.Sub(at))
			}
			delete(depBytes, "")
		}
	}
	slices.Sort(st.Months)
	cs := map[string]bool{}
	for _, m := range st.Deposits {
		for c := range m {
			cs[c] = true
		}
	}
	for c := range cs {
		st.Courts = append(st.Courts, c)
	}
	slices.Sort(st.Courts)
	slices.Sort(st.Delays)
	return st, nil
}

// senderCourts returns a function giving the name of a sender's court
// group, cached: "-" for a sender outside courtID when it is set, "" for an
// unknown user.
func (s *Service) senderCourts(ctx context.Context, courtID string) func(userID string) string {
	courtNames := map[string]string{}
	if cs, err := s.Meta.Courts(ctx); err == nil {
		for _, c := range cs {
			courtNames[c.ID] = c.Name
		}
	}
	courtOf := map[string]string{} // user id → court name
	return func(userID string) string {
		if c, ok := courtOf[userID]; ok {
			return c
		}
		name := ""
		if u, err := s.Meta.User(ctx, userID); err == nil {
			if courtID != "" && u.CourtID != courtID {
				name = "-"
			} else if u.CourtID != "" {
				name = courtNames[u.CourtID]
			} else if u.Role == navette.RolePartner {
				name = StatsPartners
			} else {
				name = StatsNoCourt
			}
		}
		courtOf[userID] = name
		return name
	}
}
