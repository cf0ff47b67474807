package notify

import (
	"context"
	"log/slog"

	"navette"
)

// Store is what the delivery Worker and the outbox Admin needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.OutboxStore
	navette.UserStore
	navette.JournalStore
}

// Admin lets platform admins, through the API, and operators, on the
// command line, see the notices of the outbox (dead letters first of all)
// and replay them. Its fields are set once before use.
type Admin struct {
	Meta  Store
	Clock navette.Clock
	// Kick, if set, is called after a replay so that delivery starts at
	// once (Worker.Kick).
	Kick func()
	Log  *slog.Logger
}

// NoticeView is a notice with the address it goes to.
type NoticeView struct {
	*navette.Notice
	Email string // the addressee's, "" if the user is gone
}

// Notices returns the notices matching f, oldest first, to an admin.
// Returns EUNAUTHORIZED without actor, EFORBIDDEN for one who is not an
// admin.
func (a *Admin) Notices(ctx context.Context, actor *navette.User, f navette.NoticeFilter) ([]NoticeView, error) {
	if err := a.check(ctx, actor); err != nil {
		return nil, err
	}
	return a.OperatorNotices(ctx, f)
}

// OperatorNotices returns the notices matching f, for the operator of the
// data directory (the command line).
func (a *Admin) OperatorNotices(ctx context.Context, f navette.NoticeFilter) ([]NoticeView, error) {
	ns, err := a.Meta.Notices(ctx, f)
	if err != nil {
		return nil, err
	}
	emails := map[string]string{}
	out := make([]NoticeView, 0, len(ns))
	for _, n := range ns {
		email, err := a.email(ctx, emails, n.UserID)
		if err != nil {
			return nil, err
		}
		n.Key, n.Payload = navette.WrappedKey{}, nil // never leaves the service
		out = append(out, NoticeView{Notice: n, Email: email})
	}
	return out, nil
}

// email returns the address of user id, "" if there is no such user,
// from emails, where it keeps what it reads from the store.
func (a *Admin) email(ctx context.Context, emails map[string]string, id string) (string, error) {
	if email, ok := emails[id]; ok {
		return email, nil
	}
	u, err := a.Meta.User(ctx, id)
	if err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		return "", err
	}
	email := ""
	if u != nil {
		email = u.Email
	}
	emails[id] = email
	return email, nil
}

// Replay makes a dead notice pending again, with all its attempts ahead of
// it, for an admin, and journals it. Returns EUNAUTHORIZED without actor,
// EFORBIDDEN for one who is not an admin, ENOTFOUND if there is no such
// notice, ECONFLICT if it is not dead or its content was destroyed (its
// deposit's proof retention ended).
func (a *Admin) Replay(ctx context.Context, actor *navette.User, id string) (*NoticeView, error) {
	if err := a.check(ctx, actor); err != nil {
		return nil, err
	}
	return a.replay(ctx, actor.ID, id)
}

// OperatorReplay replays a dead notice for the operator of the data
// directory, as Replay does.
func (a *Admin) OperatorReplay(ctx context.Context, id string) (*NoticeView, error) {
	return a.replay(ctx, "", id)
}

func (a *Admin) replay(ctx context.Context, actorID, id string) (*NoticeView, error) {
	if !navette.ValidID(id) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such notice.")
	}
	n, err := a.Meta.Notice(ctx, id)
	if err != nil {
		return nil, err
	}
	if n.State == navette.NoticeDead && n.Payload == nil {
		return nil, navette.Errorf(navette.ECONFLICT, "This notice can no longer be sent: its deposit's proof retention has ended and its content was destroyed.")
	}
	now := a.Clock.Now()
	ev := navette.Event{Time: now, Type: navette.EventNoticeReplayed, ActorID: actorID, DepositID: n.DepositID, Detail: NoticeDetail(n)}
	if err := a.Meta.ReplayNotice(ctx, id, now, ev); err != nil {
		return nil, err
	}
	// What the replay left, read before the worker is woken to change it.
	n, err = a.Meta.Notice(ctx, id)
	if a.Kick != nil {
		a.Kick()
	}
	if err != nil {
		return nil, err
	}
	n.Key, n.Payload = navette.WrappedKey{}, nil // never leaves the service
	v := NoticeView{Notice: n}
	if u, err := a.Meta.User(ctx, n.UserID); err == nil {
		v.Email = u.Email
	}
	return &v, nil
}

// check lets admins through and journals anyone else's attempt.
func (a *Admin) check(ctx context.Context, actor *navette.User) error {
	if actor == nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if actor.Role == navette.RoleAdmin {
		return nil
	}
	ev := navette.Event{Time: a.Clock.Now(), Type: navette.EventAccessDenied, ActorID: actor.ID, Detail: "not_admin"}
	if err := a.Meta.AppendEvents(context.WithoutCancel(ctx), ev); err != nil {
		a.log().ErrorContext(ctx, "recording a denied access", "err", err)
	}
	return navette.Errorf(navette.EFORBIDDEN, "Only platform admins may see and replay notices.")
}

func (a *Admin) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

// DeadCount counts the dead notices, up to limit, for an admin. Returns
// what Notices returns.
func (a *Admin) DeadCount(ctx context.Context, actor *navette.User, limit int) (int, error) {
	if err := a.check(ctx, actor); err != nil {
		return 0, err
	}
	ns, err := a.Meta.Notices(ctx, navette.NoticeFilter{State: navette.NoticeDead, Limit: limit})
	if err != nil {
		return 0, err
	}
	return len(ns), nil
}
