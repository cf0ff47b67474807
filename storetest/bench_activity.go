package storetest

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"navette"
)

// BenchActivity counts a month of national traffic (200,000 deposits of
// two files each from the agents of 200 courts to 5,000 lawyers of 1,000
// firms, half of them downloaded) for the platform and for one court. s
// must be empty; db writes to its database directly, the only way to load
// it in reasonable time; analyze, if set, runs once the data is loaded.
func BenchActivity(b *testing.B, s navette.ActivityStore, db *sql.DB, analyze func() error) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	fillActivity(b, db, start)
	if analyze != nil {
		if err := analyze(); err != nil {
			b.Fatal(err)
		}
	}
	var periods []navette.Period
	for m := range 12 {
		p := time.Date(2025, time.November+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		periods = append(periods, navette.Period{Label: p.Format("2006-01"), Start: p, End: p.AddDate(0, 1, 0)})
	}
	for _, court := range []string{"", "c7"} {
		b.Run("court="+court, func(b *testing.B) {
			for b.Loop() {
				a, err := s.Activity(b.Context(), navette.ActivityFilter{Periods: periods, CourtID: court, Top: 10, Now: start.AddDate(0, 2, 0)})
				if err != nil || a.Delays.Available == 0 {
					b.Fatal(a, err)
				}
			}
		})
	}
}

func fillActivity(b *testing.B, db *sql.DB, start time.Time) {
	b.Helper()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatal(q, err)
		}
	}
	t0 := start.UnixMicro()
	for c := range 200 {
		exec(`INSERT INTO courts (id, code, name, created_at) VALUES ($1, $2, $3, $4)`, fmt.Sprintf("c%d", c), fmt.Sprintf("TJ%d", c), fmt.Sprintf("TJ %d", c), t0)
		exec(`INSERT INTO users (id, email, name, role, court_id, created_at) VALUES ($1, $2, 'Greffe', 'agent', $3, $4)`, fmt.Sprintf("a%d", c), fmt.Sprintf("a%d@j.example", c), fmt.Sprintf("c%d", c), t0)
	}
	for l := range 5000 {
		exec(`INSERT INTO users (id, email, name, role, org, created_at) VALUES ($1, $2, 'Avocat', 'partner', $3, $4)`, fmt.Sprintf("l%d", l), fmt.Sprintf("l%d@a.example", l), fmt.Sprintf("Cabinet %d", l%1000), t0)
	}
	dep, err := tx.Prepare(`INSERT INTO deposits (id, sender_id, state, retention_days, created_at, submitted_at, available_at, expires_at) VALUES ($1, $2, 'available', 30, $3, $3, $3, $4)`)
	if err != nil {
		b.Fatal(err)
	}
	rec, err := tx.Prepare(`INSERT INTO deposit_recipients (deposit_id, user_id, first_download_at) VALUES ($1, $2, $3)`)
	if err != nil {
		b.Fatal(err)
	}
	file, err := tx.Prepare(`INSERT INTO files (id, deposit_id, size, stored_bytes, state, created_at) VALUES ($1, $2, $3, $3, 'stored', $4)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200_000 {
		id := fmt.Sprintf("d%d", i)
		at := t0 + int64(i)*13_000_000 // 200,000 over 30 days
		benchExec(b, dep, id, fmt.Sprintf("a%d", i%200), at, at+30*24*3600*1_000_000)
		var first any
		if i%2 == 0 {
			first = at + int64(i%97)*3600*1_000_000
		}
		benchExec(b, rec, id, fmt.Sprintf("l%d", i%5000), first)
		for f := range 2 {
			benchExec(b, file, fmt.Sprintf("f%d-%d", i, f), id, int64(1_000_000+i), at)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func benchExec(b *testing.B, st *sql.Stmt, args ...any) {
	b.Helper()
	if _, err := st.Exec(args...); err != nil {
		b.Fatal(err)
	}
}
