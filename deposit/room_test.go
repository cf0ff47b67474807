package deposit_test

import (
	"log/slog"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/disk"
	"navette/internal/testtmpfs"
)

// TestRoom checks the room bookkeeping on a real 16 MiB tmpfs with a
// reserve of 4 MiB: what is promised to one upload is not offered to
// another; a promise lapses after Hold unless a write runs; released room
// is offered again; below the reserve the state is ENOSPACE.
func TestRoom(t *testing.T) {
	const mib = 1 << 20
	dir := testtmpfs.Mount(t, 16*mib)
	store, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	r := &deposit.Room{Space: store, Reserve: navette.Reserve{Bytes: 4 * mib}, Clock: clock, Hold: time.Minute, Log: slog.New(slog.DiscardHandler)}
	ctx := t.Context()
	a, b, c := navette.NewID(), navette.NewID(), navette.NewID()
	steps := []struct {
		name string
		do   func() error
		want string // error code
	}{
		{"a takes half the room", func() error { return r.Claim(ctx, a, 6*mib) }, ""},
		{"b cannot take the same half", func() error { return r.Claim(ctx, b, 6*mib) }, navette.ENOSPACE},
		{"b fits in what is left", func() error { return r.Claim(ctx, b, 5*mib) }, ""},
		{"nothing more fits", func() error { return r.Claim(ctx, c, mib) }, navette.ENOSPACE},
		{"a writes, its promise lapses not", func() error { r.Begin(a, 6*mib, 0); clock.Advance(2 * time.Minute); return nil }, ""},
		{"b's promise lapsed, a's holds", func() error { return r.Claim(ctx, c, 6*mib) }, navette.ENOSPACE},
		{"c fits beside a", func() error { return r.Claim(ctx, c, 5*mib) }, ""},
		{"a's write ends half way", func() error { r.End(a, 6*mib, 3*mib); r.Release(c); return nil }, ""},
		{"a still needs 3 MiB", func() error { return r.Claim(ctx, b, 9*mib) }, navette.ENOSPACE},
		{"the rest is offered", func() error { return r.Claim(ctx, b, 8*mib) }, ""},
		{"released room is offered again", func() error { r.Release(a); r.Release(b); return r.Claim(ctx, c, 11*mib) }, ""},
		{"larger than the room", func() error { r.Release(c); return r.Claim(ctx, c, 12*mib) }, navette.ENOSPACE},
	}
	for _, s := range steps {
		if err := s.do(); navette.ErrorCode(err) != s.want {
			t.Fatalf("%s: %v, want code %q", s.name, err, s.want)
		}
	}
	st, err := r.State(ctx)
	if err != nil || st.Reserve != 4*mib || st.Total != 16*mib {
		t.Fatalf("State = %+v, %v", st, err)
	}
	testtmpfs.Take(t, dir+"/filler", st.Free-3*mib)
	if st, err := r.State(ctx); !navette.IsCode(err, navette.ENOSPACE) || st.Free != 3*mib {
		t.Fatalf("State below the reserve = %+v, %v; want ENOSPACE", st, err)
	}
}
