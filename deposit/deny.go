package deposit

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"navette"
)

// DenyWindow is how long the denied accesses of one person are counted
// together: the first of a window is journaled at once, the others as one
// access.denied event once the window is over, so that guessing ids cannot
// grow the journal without bound.
const DenyWindow = time.Minute

// denials counts denied accesses per person, on this node.
type denials struct {
	mu      sync.Mutex
	byActor map[string]*denialWindow
}

// denialWindow is what one person was denied since the window began,
// after the first denial, by reason.
type denialWindow struct {
	since  time.Time
	counts map[string]int
}

// add notes a denial of actorID at now. It returns whether it begins a
// window, to be journaled at once, and the window it ends, if any, to be
// journaled as a count.
func (d *denials) add(actorID, reason string, now time.Time) (first bool, ended *denialWindow) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byActor == nil {
		d.byActor = map[string]*denialWindow{}
	}
	w := d.byActor[actorID]
	if w != nil && now.Sub(w.since) >= DenyWindow {
		ended, w = w, nil
	}
	if w == nil {
		d.byActor[actorID] = &denialWindow{since: now, counts: map[string]int{}}
		return true, ended
	}
	w.counts[reason]++
	return false, ended
}

// take removes and returns the windows that are over at now, or all of
// them if all is set, by actor.
func (d *denials) take(now time.Time, all bool) map[string]*denialWindow {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]*denialWindow{}
	for id, w := range d.byActor {
		if all || now.Sub(w.since) >= DenyWindow {
			out[id] = w
			delete(d.byActor, id)
		}
	}
	return out
}

// event returns the event that records the denials of w after its first,
// or false if there were none.
func (w *denialWindow) event(actorID string, now time.Time) (navette.Event, bool) {
	total := 0
	var b strings.Builder
	for _, reason := range slices.Sorted(maps.Keys(w.counts)) {
		total += w.counts[reason]
		b.WriteString(" " + reason + "=" + strconv.Itoa(w.counts[reason]))
	}
	if total == 0 {
		return navette.Event{}, false
	}
	return navette.Event{Time: now, Type: navette.EventAccessDenied, ActorID: actorID, Detail: "count=" + strconv.Itoa(total) + b.String()}, true
}

// deny records a refused access: at once if it is actor's first in the
// window, counted otherwise. Either way it costs the caller the same
// whether the id exists or not. Nothing is recorded for a request the
// person may not have made (Unasked).
func (s *Service) deny(ctx context.Context, actor *navette.User, depositID, detail string) {
	if ctx.Value(unaskedKey{}) != nil {
		return
	}
	if !navette.ValidID(depositID) {
		depositID = ""
	}
	now := s.Clock.Now()
	first, ended := s.denied.add(actor.ID, detail, now)
	var evs []navette.Event
	if ended != nil {
		if ev, ok := ended.event(actor.ID, now); ok {
			evs = append(evs, ev)
		}
	}
	if first {
		evs = append(evs, navette.Event{Time: now, Type: navette.EventAccessDenied, ActorID: actor.ID, DepositID: depositID, Detail: detail})
	}
	s.appendDenials(ctx, evs)
}

// FlushDenials journals the denied accesses counted in windows that are
// over, or in every window if all is set (at shutdown). Run it every
// DenyWindow or so.
func (s *Service) FlushDenials(ctx context.Context, all bool) {
	now := s.Clock.Now()
	var evs []navette.Event
	ws := s.denied.take(now, all)
	for _, id := range slices.Sorted(maps.Keys(ws)) {
		if ev, ok := ws[id].event(id, now); ok {
			evs = append(evs, ev)
		}
	}
	s.appendDenials(ctx, evs)
}

func (s *Service) appendDenials(ctx context.Context, evs []navette.Event) {
	if len(evs) == 0 {
		return
	}
	if err := s.Meta.AppendEvents(context.WithoutCancel(ctx), evs...); err != nil {
		s.log().ErrorContext(ctx, "recording a denied access", "err", err)
	}
}
