package deposit

import (
	"context"
	"fmt"

	"navette"
)

// ConfiguredLimits returns the limits of the server's configuration
// (Service.Limits), with navette.DefaultLimits for those it leaves unset:
// what applies where no admin setting says otherwise.
func (s *Service) ConfiguredLimits() navette.Limits {
	return s.Limits.Or(navette.DefaultLimits)
}

// CurrentLimits returns the limits in force: the admins' settings, then the
// configuration's, then the defaults. They are read from storage each time,
// so that a change made on one node applies on every node at once.
func (s *Service) CurrentLimits(ctx context.Context) (navette.Limits, error) {
	st, err := s.Meta.Settings(ctx)
	if err != nil {
		return navette.Limits{}, err
	}
	return st.Limits.Or(s.ConfiguredLimits()), nil
}

// DefaultRetention returns the retention a new deposit gets when its
// sender chooses none, within lim's ceiling.
func (s *Service) DefaultRetention(lim navette.Limits) int {
	if d := s.DefaultRetentionDays; d > 0 && d < lim.MaxRetentionDays {
		return d
	}
	return lim.MaxRetentionDays
}

// Settings returns the platform settings admins saved. Returns EFORBIDDEN
// unless actor is a platform admin.
func (s *Service) Settings(ctx context.Context, actor *navette.User) (*navette.Settings, error) {
	if actor == nil || actor.Role != navette.RoleAdmin {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only platform admins see the platform settings.")
	}
	return s.Meta.Settings(ctx)
}

// SaveSettings replaces the limits admins set with l, a zero field going
// back to the configuration's, and journals the change. Existing deposits
// keep their retention and files. Returns EFORBIDDEN unless actor is a
// platform admin, EINVALID for a limit out of navette.MaxLimits' bounds.
func (s *Service) SaveSettings(ctx context.Context, actor *navette.User, l navette.Limits) (*navette.Settings, error) {
	if actor == nil || actor.Role != navette.RoleAdmin {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only platform admins change the platform settings.")
	}
	if err := l.Valid(); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	st := &navette.Settings{Limits: l, UpdatedAt: now, UpdatedBy: actor.ID}
	ev := navette.Event{Time: now, Type: navette.EventSettingsChanged, ActorID: actor.ID, Detail: settingsDetail(l)}
	if err := s.Meta.SaveSettings(ctx, st, ev); err != nil {
		return nil, err
	}
	s.log().InfoContext(ctx, "platform settings changed", "by", actor.ID, "settings", ev.Detail)
	return st, nil
}

// settingsDetail writes limits as the journal keeps them: "name=value"
// for each, 0 meaning the configuration's.
func settingsDetail(l navette.Limits) string {
	return fmt.Sprintf("max_file_size=%d max_files=%d max_retention_days=%d max_recipients=%d",
		l.MaxFileSize, l.MaxFiles, l.MaxRetentionDays, l.MaxRecipients)
}
