package app_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/app"
	"navette/internal/testnode"
)

// lockedBuffer is a log destination the node and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJournalHeadLogged: every hour the node writes the journal's head to
// its log, a checkpoint kept outside the database that VerifyJournal
// accepts.
func TestJournalHeadLogged(t *testing.T) {
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	var logs lockedBuffer
	a := testnode.Start(t, clock, func(c *app.Config) {
		c.SweepInterval = 5 * time.Millisecond
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	testnode.User(t, a, "greffe@justice.example", "Greffe", navette.RoleAgent)
	clock.Advance(time.Hour)
	head, err := a.Meta.JournalHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("checkpoint=%d:%x", head.Seq, head.Hash)
	waitFor(t, "the journal's head in the log", func() bool { return strings.Contains(logs.String(), want) })
	if _, err := navette.VerifyJournal(t.Context(), a.Meta, head); err != nil {
		t.Errorf("VerifyJournal with the logged checkpoint: %v", err)
	}
}
