package deposit

import (
	"context"
	"time"

	"navette"
)

// Tracking is what became of a deposit at one of its recipients, as its
// sender follows it.
type Tracking struct {
	// NoticeState is the state of the deposit's notice to the recipient,
	// "" if none was queued; NotifiedAt is when it was sent.
	NoticeState navette.NoticeState
	NotifiedAt  time.Time
	// OpenedBy and DownloadedBy name the member who first opened and first
	// downloaded the deposit for a service mailbox; "" when the recipient
	// did in person, or nobody did.
	OpenedBy     string
	DownloadedBy string
	// Files counts the distinct files downloaded by the recipient, or by
	// the member who first downloaded for it.
	Files int
	// AtLimit counts the files that person downloaded completely as many
	// times as the deposit's MaxDownloads allows: they are refused them
	// from then on. 0 when the deposit has no cap.
	AtLimit int
}

// Track returns, for the sender of deposit id, what became of it at each of
// its recipients, by recipient id: the notice, who opened and downloaded it
// for a mailbox, how many files were downloaded. Returns what Get returns,
// and EFORBIDDEN (journaled) unless actor sent it.
func (s *Service) Track(ctx context.Context, actor *navette.User, id string) (map[string]Tracking, error) {
	d, err := s.lookupSent(ctx, actor, id, "Only the sender may follow a deposit.")
	if err != nil {
		return nil, err
	}
	notified, err := s.depositNotices(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	downloads, err := s.completeDownloads(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	names := memberNames{s: s, names: map[string]string{}}
	out := make(map[string]Tracking, len(d.Recipients))
	for _, rc := range d.Recipients {
		t := Tracking{OpenedBy: names.of(ctx, rc.UserID, rc.FirstOpenedBy), DownloadedBy: names.of(ctx, rc.UserID, rc.FirstDownloadBy)}
		if n := notified[rc.UserID]; n != nil {
			t.NoticeState = n.State
			if n.State == navette.NoticeSent {
				t.NotifiedAt = n.SentAt
			}
		}
		by := rc.UserID
		if t.DownloadedBy != "" {
			by = rc.FirstDownloadBy
		}
		t.Files, t.AtLimit = len(downloads[by]), atLimit(downloads[by], d.MaxDownloads)
		out[rc.UserID] = t
	}
	return out, nil
}

// depositNotices returns the deposit notices of deposit id, by recipient.
func (s *Service) depositNotices(ctx context.Context, id string) (map[string]*navette.Notice, error) {
	notices, err := s.Meta.Notices(ctx, navette.NoticeFilter{DepositID: id, Limit: 1000})
	if err != nil {
		return nil, err
	}
	notified := map[string]*navette.Notice{}
	for _, n := range notices {
		if n.Kind == navette.NoticeDeposit {
			notified[n.UserID] = n
		}
	}
	return notified, nil
}

// completeDownloads returns the complete downloads of the files of deposit
// id, by actor and file.
func (s *Service) completeDownloads(ctx context.Context, id string) (map[string]map[string]int, error) {
	downloads := map[string]map[string]int{}
	var after int64
	for {
		evs, err := s.Meta.Events(ctx, navette.EventFilter{DepositID: id, AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			after = e.Seq
			if e.Type != navette.EventFileDownloaded {
				continue
			}
			if downloads[e.ActorID] == nil {
				downloads[e.ActorID] = map[string]int{}
			}
			downloads[e.ActorID][e.FileID]++
		}
		if len(evs) < 1000 {
			return downloads, nil
		}
	}
}

// memberNames reads and keeps the names of the members who acted for a
// service mailbox.
type memberNames struct {
	s     *Service
	names map[string]string
}

// of returns the name of user by, who acted for recipient; "" if by is
// empty, is recipient, or cannot be read.
func (m memberNames) of(ctx context.Context, recipient, by string) string {
	if by == "" || by == recipient {
		return ""
	}
	if n, ok := m.names[by]; ok {
		return n
	}
	if u, err := m.s.Meta.User(ctx, by); err == nil {
		m.names[by] = u.Name
	}
	return m.names[by]
}

// atLimit returns how many files of counts (complete downloads by file)
// reached limit; none if limit is 0, no cap.
func atLimit(counts map[string]int, limit int) int {
	if limit <= 0 {
		return 0
	}
	n := 0
	for _, c := range counts {
		if c >= limit {
			n++
		}
	}
	return n
}
