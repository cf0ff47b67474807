package storetest

import (
	"testing"
	"time"

	"navette"
)

func testMetaJobs(t *testing.T, m *metaFixture) {
	js, _ := m.s.(navette.JobStore)
	if js == nil {
		t.Fatalf("%T does not implement navette.JobStore", m.s)
	}
	last := func(name string) navette.JobRun {
		t.Helper()
		run, err := js.LastRun(m.ctx, name)
		if err != nil {
			t.Fatalf("LastRun(%q): %v", name, err)
		}
		return run
	}
	if run := last("scrub"); run != (navette.JobRun{}) {
		t.Fatalf("LastRun of a job that never ran = %+v, want the zero JobRun", run)
	}

	// A run starts: its start is kept, no end yet.
	start := m.now()
	if err := js.RecordRun(m.ctx, "scrub", navette.JobRun{Start: start}); err != nil {
		t.Fatalf("RecordRun(start): %v", err)
	}
	if run := last("scrub"); !run.Start.Equal(start) || !run.End.IsZero() {
		t.Fatalf("LastRun after a start = %+v, want start %v and no end", run, start)
	}
	// It ends.
	end := m.now().Add(time.Hour)
	if err := js.RecordRun(m.ctx, "scrub", navette.JobRun{Start: start, End: end}); err != nil {
		t.Fatalf("RecordRun(end): %v", err)
	}
	if run := last("scrub"); !run.Start.Equal(start) || !run.End.Equal(end) {
		t.Fatalf("LastRun after an end = %+v, want %v to %v", run, start, end)
	}
	// The next one starts and fails: the last end stays.
	next := m.now().Add(2 * time.Hour)
	if err := js.RecordRun(m.ctx, "scrub", navette.JobRun{Start: next, End: end}); err != nil {
		t.Fatalf("RecordRun(next start): %v", err)
	}
	if run := last("scrub"); !run.Start.Equal(next) || !run.End.Equal(end) {
		t.Fatalf("LastRun after a failed run = %+v, want start %v, end %v", run, next, end)
	}
	// Jobs are apart: another never ran.
	if run := last("check"); run != (navette.JobRun{}) {
		t.Fatalf("LastRun of another job = %+v, want the zero JobRun", run)
	}

	for _, bad := range []struct {
		name string
		run  navette.JobRun
	}{
		{"", navette.JobRun{Start: start}},
		{"scrub", navette.JobRun{End: end}},
	} {
		if err := js.RecordRun(m.ctx, bad.name, bad.run); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("RecordRun(%q, %+v) = %v, want EINVALID", bad.name, bad.run, err)
		}
	}
	if run := last("scrub"); !run.Start.Equal(next) || !run.End.Equal(end) {
		t.Errorf("LastRun after refused records = %+v, want it unchanged", run)
	}
}
