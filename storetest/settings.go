package storetest

import (
	"testing"

	"navette"
)

// testMetaSettings checks that settings start empty, are replaced whole
// with their events, keep who saved them last even when every limit is
// cleared, and that a bad value writes nothing.
func testMetaSettings(t *testing.T, m *metaFixture) {
	admin := m.user("Admin")
	got, err := m.s.Settings(m.ctx)
	if err != nil {
		t.Fatalf("Settings on an empty store: %v", err)
	}
	metaEqual(t, "settings never saved", got, &navette.Settings{})

	first := &navette.Settings{
		Limits:    navette.Limits{MaxFileSize: 5 << 30, MaxFiles: 20, MaxRetentionDays: 25, MaxRecipients: 7},
		UpdatedAt: m.now(),
		UpdatedBy: admin.ID,
	}
	ev := m.event(navette.EventSettingsChanged, admin.ID, "")
	if err := m.s.SaveSettings(m.ctx, first, ev); err != nil {
		t.Fatalf("SaveSettings: %v", err)
	}
	got, err = m.s.Settings(m.ctx)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "settings saved", got, first)
	evs, err := m.s.Events(m.ctx, navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != navette.EventSettingsChanged || last.ActorID != admin.ID {
		t.Errorf("last event: got %+v, want settings.changed by the admin", last)
	}

	// Saving replaces: a zero limit goes back to the configuration's.
	second := &navette.Settings{Limits: navette.Limits{MaxRetentionDays: 30}, UpdatedAt: m.now(), UpdatedBy: admin.ID}
	if err := m.s.SaveSettings(m.ctx, second); err != nil {
		t.Fatalf("SaveSettings: %v", err)
	}
	got, _ = m.s.Settings(m.ctx)
	metaEqual(t, "settings replaced", got, second)

	cleared := &navette.Settings{UpdatedAt: m.now(), UpdatedBy: admin.ID}
	if err := m.s.SaveSettings(m.ctx, cleared); err != nil {
		t.Fatalf("SaveSettings cleared: %v", err)
	}
	got, _ = m.s.Settings(m.ctx)
	metaEqual(t, "settings cleared", got, cleared)

	// Out of bounds, or with a bad event: nothing is written.
	before := len(evs)
	for _, bad := range []navette.Limits{
		{MaxFileSize: 1000},
		{MaxFileSize: navette.MaxLimits.MaxFileSize + 1},
		{MaxFiles: -1},
		{MaxRetentionDays: navette.MaxLimits.MaxRetentionDays + 1},
		{MaxRecipients: navette.MaxLimits.MaxRecipients + 1},
	} {
		err := m.s.SaveSettings(m.ctx, &navette.Settings{Limits: bad, UpdatedAt: m.now(), UpdatedBy: admin.ID}, ev)
		metaCode(t, "SaveSettings out of bounds", err, navette.EINVALID)
	}
	err = m.s.SaveSettings(m.ctx, &navette.Settings{Limits: navette.Limits{MaxFiles: 3}, UpdatedAt: m.now()}, navette.Event{Type: navette.EventSettingsChanged})
	metaCode(t, "SaveSettings with an event without time", err, navette.EINVALID)
	metaCode(t, "SaveSettings without time", m.s.SaveSettings(m.ctx, &navette.Settings{}), navette.EINVALID)
	got, _ = m.s.Settings(m.ctx)
	metaEqual(t, "settings after refusals", got, cleared)
	evs, _ = m.s.Events(m.ctx, navette.EventFilter{})
	if len(evs) != before {
		t.Errorf("events after refusals: got %d, want %d", len(evs), before)
	}
}
