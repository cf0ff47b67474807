package cli

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminJournalVerify: the command accepts an intact journal and prints
// its head, accepts that head as a checkpoint later, and refuses, in one
// line with a non-zero exit, a journal altered behind the store's back or a
// malformed checkpoint.
func TestAdminJournalVerify(t *testing.T) {
	dir := t.TempDir()
	for _, days := range []string{"40", "50"} {
		if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-retention", days); r.code != 0 {
			t.Fatalf("settings: %+v", r)
		}
	}
	r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "journal intact: 2 events\nhead 2:") {
		t.Fatalf("verify: %+v", r)
	}
	head := strings.TrimPrefix(strings.TrimSpace(strings.Split(r.stdout, "\n")[1]), "head ")
	if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-files", "7"); r.code != 0 {
		t.Fatalf("settings: %+v", r)
	}
	r = runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--checkpoint", head)
	if r.code != 0 || !strings.Contains(r.stdout, "3 events, checkpoint 2 holds\nhead 3:") {
		t.Fatalf("verify with a checkpoint: %+v", r)
	}
	if r := runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir, "--checkpoint", "2:zz"); r.code != 2 || !strings.Contains(r.stderr, "--checkpoint is SEQ:HASH") {
		t.Errorf("bad checkpoint: %+v", r)
	}

	raw, err := sql.Open("sqlite", filepath.Join(dir, "navette.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER events_no_update; UPDATE events SET detail = replace(detail, 'max_retention_days=40', 'max_retention_days=400') WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, false, "admin", "journal", "verify", "--data", dir)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "broken at event 1") {
		t.Errorf("altered journal: %+v", r)
	}
}
